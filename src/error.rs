//! The crate's one error type, with stable codes (`Error::code`) in the `@libsql/client` style.

use crate::sqlite_code;

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
}

/// Result with the crate's error.
pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    /// The stable code: SQLite's primary code name for SQLite failures, our own otherwise.
    pub fn code(&self) -> &'static str {
        match self {
            Error::Sqlite(e) => match sqlite_failure(e) {
                Some(f) => sqlite_code::primary_name(f.extended_code),
                None => rusqlite_misuse_code(e),
            },
            Error::WriteRefused => "REPLICA_WRITE_REFUSED",
            Error::MemoryBudget { .. } => "REPLICA_MEMORY_BUDGET",
            Error::InvalidPages(_) => "REPLICA_INVALID_PAGES",
            Error::InvalidImage(_) => "REPLICA_INVALID_IMAGE",
            Error::Protocol(e) => e.code(),
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
