//! Decode errors of the wire formats: lengths, framing, enum values, truncation. Nothing else.

/// A wire format could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A position's text form is not one of `sqld:<log_id>/<frame_no>`, `http:<generation>/<frame_no>`
    /// or `rev:<revision>`.
    #[error("invalid position {text:?}: {reason}")]
    InvalidPosition {
        /// The text that was given (positions hold no secrets).
        text: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A `log_id` is not a UUID in its hyphenated text form.
    #[error("invalid log_id {0:?}")]
    InvalidLogId(String),
    /// A buffer ended before a complete item: `needed` bytes were required, `got` were left.
    #[error("truncated {what}: needed {needed} bytes, got {got}")]
    Truncated {
        /// What was being decoded.
        what: &'static str,
        /// Bytes required.
        needed: usize,
        /// Bytes available.
        got: usize,
    },
    /// A replication or WAL frame has a length other than header + page size.
    #[error("invalid frame length {len}")]
    InvalidFrameLen {
        /// The length that was given.
        len: usize,
    },
    /// A header field holds a value the format does not allow.
    #[error("invalid {field}: {value}")]
    InvalidField {
        /// The field.
        field: &'static str,
        /// The offending value, as text.
        value: String,
    },
    /// A gRPC-Web frame has an unknown flags byte or malformed trailers.
    #[error("invalid grpc-web framing: {0}")]
    GrpcWebFraming(&'static str),
    /// A protobuf message could not be decoded.
    #[error("invalid protobuf {message}: {reason}")]
    Protobuf {
        /// The message type.
        message: &'static str,
        /// prost's description of the fault.
        reason: String,
    },
    /// A JSON document could not be decoded.
    #[error("invalid json {what}: {reason}")]
    Json {
        /// What was being decoded.
        what: &'static str,
        /// serde_json's description of the fault.
        reason: String,
    },
    /// A bincode value (proxy `Value.data`) is malformed.
    #[error("invalid bincode value: {0}")]
    InvalidBincode(&'static str),
}

/// Result of decoding.
pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    /// Stable code of this error, in the `@libsql/client` style.
    pub fn code(&self) -> &'static str {
        match self {
            Error::InvalidPosition { .. } => "INVALID_POSITION",
            Error::InvalidLogId(_) => "INVALID_LOG_ID",
            Error::Truncated { .. } => "TRUNCATED",
            Error::InvalidFrameLen { .. } => "INVALID_FRAME_LEN",
            Error::InvalidField { .. } => "INVALID_FIELD",
            Error::GrpcWebFraming(_) => "GRPC_WEB_FRAMING",
            Error::Protobuf { .. } => "INVALID_PROTOBUF",
            Error::Json { .. } => "INVALID_JSON",
            Error::InvalidBincode(_) => "INVALID_BINCODE",
        }
    }
}
