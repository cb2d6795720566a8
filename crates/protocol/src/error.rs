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
}

/// Result of decoding.
pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    /// Stable code of this error, in the `@libsql/client` style.
    pub fn code(&self) -> &'static str {
        match self {
            Error::InvalidPosition { .. } => "INVALID_POSITION",
            Error::InvalidLogId(_) => "INVALID_LOG_ID",
        }
    }
}
