//! The crate's one error type, with stable codes (`Error::code`) in the `@libsql/client` style.

use crate::protocol::sqlite_code;

/// Everything that can go wrong in libsql-edge's core.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// SQLite reported a failure (prepare, step, bind); its codes are passed through.
    #[error("{0}")]
    Sqlite(#[from] rusqlite::Error),
    /// The statement is not read-only (`sqlite3_stmt_readonly`), so the replica will not run it; the
    /// client forwards such statements to the primary.
    #[error("statement is not read-only; the local replica only runs read-only statements")]
    WriteRefused,
    /// An apply or bootstrap would make the replica hold more bytes than its budget allows. The
    /// replica is left unchanged.
    #[error("replica memory budget exceeded: {needed} bytes needed, budget is {budget} bytes")]
    MemoryBudget {
        /// Bytes the replica would hold after the operation.
        needed: u64,
        /// The configured budget.
        budget: u64,
    },
    /// Committed pages do not form a valid transaction for this replica (wrong page length, page
    /// number 0 or beyond `db_size_pages`, a new page missing, page size mismatch).
    #[error("invalid committed pages: {0}")]
    InvalidPages(String),
    /// A whole-database image is not a SQLite database this replica can serve.
    #[error("invalid database image: {0}")]
    InvalidImage(String),
    /// A wire format could not be decoded.
    #[error(transparent)]
    Protocol(#[from] crate::protocol::Error),
    /// The primary could not be reached (after retries): connection failure or timeout.
    #[error("{context}: {source}")]
    Network {
        /// What was being done (`sqld BatchLogEntries(17)`); never holds a token.
        context: String,
        /// The transport's failure.
        #[source]
        source: crate::transport::TransportError,
    },
    /// The primary refused the credentials (HTTP 401/403, gRPC UNAUTHENTICATED). Never retried.
    #[error("{context}: authentication failed: {message}")]
    Auth {
        /// What was being done.
        context: String,
        /// The server's explanation.
        message: String,
    },
    /// The primary answered with a status the protocol does not allow here (5xx after retries).
    #[error("{context}: unexpected status {status}: {message}")]
    HttpStatus {
        /// What was being done.
        context: String,
        /// HTTP status.
        status: u16,
        /// The start of the response body.
        message: String,
    },
    /// A gRPC call ended with an error status the client cannot handle.
    #[error("{context}: grpc status {code}: {message}")]
    GrpcStatus {
        /// What was being done.
        context: String,
        /// `grpc-status`.
        code: u32,
        /// `grpc-message`.
        message: String,
    },
    /// The primary's answer is well-formed but makes no sense (a frame gap, a body that is not
    /// whole frames, an unknown encoding).
    #[error("{context}: invalid response: {message}")]
    InvalidResponse {
        /// What was being done.
        context: String,
        /// What is wrong.
        message: String,
    },
    /// The primary ran the statement and reported an error (Hrana error object or non-2xx reply);
    /// its code is passed through (`SQLITE_CONSTRAINT`, `SQL_PARSE_ERROR`, `SERVER_ERROR`, ...).
    #[error("{message}")]
    Server {
        /// The server's code.
        code: String,
        /// The server's message.
        message: String,
    },
    /// A statement of a batch failed; the batch was rolled back.
    #[error("{source}")]
    Batch {
        /// Index of the failing statement in the caller's list.
        statement_index: usize,
        /// The statement's error.
        #[source]
        source: Box<Error>,
    },
    /// The client configuration is invalid (`URL_INVALID`, `URL_SCHEME_NOT_SUPPORTED`, ...).
    #[error("{message}")]
    Config {
        /// The `@libsql/client` code.
        code: &'static str,
        /// What is wrong.
        message: String,
    },
    /// An operation on a transaction that has ended, or a client that was closed.
    #[error("{message}")]
    Closed {
        /// `TRANSACTION_CLOSED` or `CLIENT_CLOSED`.
        code: &'static str,
        /// What was attempted.
        message: String,
    },
    /// A response body is longer than any answer the call can accept (a Hrana result over
    /// `maxResponseBytes`, a control message over its cap, a body longer than it announced).
    #[error("{context}: response larger than {limit} bytes")]
    ResponseTooLarge {
        /// What was being done.
        context: String,
        /// The cap, in bytes.
        limit: u64,
    },
    /// A bookmark is malformed, belongs to another database, or names a history the primary no
    /// longer has: the read it came with is not served stale.
    #[error("invalid bookmark: {message}")]
    BookmarkInvalid {
        /// What is wrong with it.
        message: String,
    },
    /// A read of a partial replica needed pages it does not hold (an internal signal: the client
    /// fetches them and runs the statement again; it only surfaces when that cannot happen).
    #[error("the partial replica lacks {} page(s) this read needs", pages.len())]
    PagesMissing {
        /// The missing page numbers, in the order they were read.
        pages: Vec<u32>,
    },
    /// The page source of a partial replica could not give the pages a read needs at the
    /// replica's position (failed, sent another position, or a page that does not verify).
    #[error("page source: {message}")]
    PageSource {
        /// What went wrong.
        message: String,
    },
    /// A replication frame's rolling checksum does not match: nothing of that response is applied.
    #[error("{context}: checksum mismatch at frame {frame_no}")]
    ChecksumMismatch {
        /// What was being done.
        context: String,
        /// The first frame whose checksum failed.
        frame_no: u64,
    },
    /// A result value could not be converted to the Rust type asked for (`row.get`, `rows_as`,
    /// serde), or the column asked for is not in the result.
    #[error("column {column}: {message}")]
    Decode {
        /// The column's name (or index) the conversion was for; empty for the row as a whole.
        column: String,
        /// What did not fit.
        message: String,
    },
}

/// Result with the crate's error.
pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    /// The stable code: SQLite's primary code name for SQLite failures, our own otherwise.
    pub fn code(&self) -> &str {
        match self {
            Error::Sqlite(e) => match sqlite_failure(e) {
                // SQLite's "not an error" (a prepare that found no statement), named as
                // `@libsql/client` names a base code it has no name for.
                Some(f) if f.extended_code & 0xff == 0 => "SQLITE_UNKNOWN_0",
                Some(f) => sqlite_code::primary_name(f.extended_code),
                None => rusqlite_misuse_code(e),
            },
            Error::WriteRefused => "REPLICA_WRITE_REFUSED",
            Error::MemoryBudget { .. } => "REPLICA_MEMORY_BUDGET",
            Error::InvalidPages(_) => "REPLICA_INVALID_PAGES",
            Error::InvalidImage(_) => "REPLICA_INVALID_IMAGE",
            Error::Protocol(_) | Error::InvalidResponse { .. } => "SYNC_INVALID_RESPONSE",
            Error::Network { source: crate::transport::TransportError::Timeout(_), .. } => "SYNC_TIMEOUT",
            Error::Network { .. } => "SYNC_NETWORK",
            Error::Auth { .. } => "SYNC_AUTH",
            Error::HttpStatus { status, .. } if *status >= 500 => "SYNC_SERVER_ERROR",
            Error::HttpStatus { .. } => "SYNC_HTTP_STATUS",
            Error::GrpcStatus { .. } => "SYNC_GRPC_STATUS",
            Error::ChecksumMismatch { .. } => "SYNC_CHECKSUM_MISMATCH",
            Error::ResponseTooLarge { .. } => "RESPONSE_TOO_LARGE",
            Error::BookmarkInvalid { .. } => "BOOKMARK_INVALID",
            Error::PagesMissing { .. } => "REPLICA_PAGES_MISSING",
            Error::PageSource { .. } => "REPLICA_PAGE_SOURCE",
            Error::Decode { .. } => "ROW_DECODE",
            Error::Server { code, .. } => code,
            Error::Batch { source, .. } => source.code(),
            Error::Config { code, .. } | Error::Closed { code, .. } => code,
        }
    }

    /// SQLite's extended code name (`SQLITE_CONSTRAINT_UNIQUE`), for SQLite failures only.
    pub fn extended_code(&self) -> Option<&'static str> {
        self.raw_code().map(sqlite_code::extended_name)
    }

    /// SQLite's numeric extended result code, for SQLite failures only.
    pub fn raw_code(&self) -> Option<i32> {
        match self {
            Error::Sqlite(e) => sqlite_failure(e).map(|f| f.extended_code),
            Error::Batch { source, .. } => source.raw_code(),
            _ => None,
        }
    }
}

/// The failure SQLite itself reported, including syntax errors (which rusqlite reports separately).
fn sqlite_failure(e: &rusqlite::Error) -> Option<&rusqlite::ffi::Error> {
    match e {
        rusqlite::Error::SqlInputError { error, .. } => Some(error),
        e => e.sqlite_error(),
    }
}

/// rusqlite errors that SQLite itself did not raise are API misuse on our side or the caller's:
/// a wrong number of parameters, several statements in one string, a bad conversion.
fn rusqlite_misuse_code(e: &rusqlite::Error) -> &'static str {
    match e {
        rusqlite::Error::InvalidParameterCount(..) | rusqlite::Error::InvalidParameterName(_) => "SQLITE_RANGE",
        _ => "SQLITE_MISUSE",
    }
}
