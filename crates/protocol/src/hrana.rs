//! Hrana-over-HTTP JSON types (`/v2/pipeline`, `/v3/pipeline`), for both a client and a server.
//!
//! Encodings follow sqld 0.24.33 exactly: integers are decimal strings (a JSON number is rejected
//! with serde's "expected a borrowed string"), floats are JSON numbers (non-finite as `null`),
//! blobs are base64 without padding (padding accepted on input), `replication_index` and
//! `last_insert_rowid` are decimal strings (numbers accepted on input). Enum variant order is
//! sqld's, so serde's "expected one of …" messages match.

use serde::{Deserialize, Serialize};

use encoding::{blob_base64, f64_or_null, i64_text, opt_i64_text, opt_u64_text};

/// `POST /v{2,3}/pipeline` request body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PipelineReqBody {
    /// Stream baton; `null` opens a new stream.
    #[serde(default)]
    pub baton: Option<String>,
    /// Requests, run in order on the stream.
    pub requests: Vec<StreamRequest>,
}

/// Pipeline response body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PipelineRespBody {
    /// Baton for the next request; `null` when the stream is closed.
    pub baton: Option<String>,
    /// Where to send the next request, if elsewhere.
    pub base_url: Option<String>,
    /// One result per request.
    pub results: Vec<StreamResult>,
}

/// One request of a pipeline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum StreamRequest {
    /// Close the stream.
    Close,
    /// Execute one statement.
    Execute {
        /// The statement.
        stmt: Stmt,
    },
    /// Execute a batch with conditions.
    Batch {
        /// The batch.
        batch: Batch,
    },
    /// Run a multi-statement script without results.
    Sequence {
        /// The script.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        sql: Option<String>,
        /// A stored SQL id instead.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        sql_id: Option<i32>,
        /// Ignored by a primary.
        #[serde(default, skip_serializing_if = "Option::is_none", with = "opt_u64_text")]
        replication_index: Option<u64>,
    },
    /// Describe a statement.
    Describe {
        /// The SQL.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        sql: Option<String>,
        /// A stored SQL id instead.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        sql_id: Option<i32>,
        /// Ignored by a primary.
        #[serde(default, skip_serializing_if = "Option::is_none", with = "opt_u64_text")]
        replication_index: Option<u64>,
    },
    /// Store SQL text under an id for this stream.
    StoreSql {
        /// The id.
        sql_id: i32,
        /// The text.
        sql: String,
    },
    /// Forget stored SQL.
    CloseSql {
        /// The id.
        sql_id: i32,
    },
    /// Whether the stream's connection is in autocommit mode (Hrana 3).
    GetAutocommit,
}

/// A statement.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Stmt {
    /// SQL text (exactly one of `sql` and `sql_id`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sql: Option<String>,
    /// Stored SQL id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sql_id: Option<i32>,
    /// Positional arguments.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub args: Vec<Value>,
    /// Named arguments.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub named_args: Vec<NamedArg>,
    /// Whether rows are wanted (sqld ignores `false`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub want_rows: Option<bool>,
    /// Ignored by a primary.
    #[serde(default, skip_serializing_if = "Option::is_none", with = "opt_u64_text")]
    pub replication_index: Option<u64>,
}

/// A named argument.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NamedArg {
    /// Parameter name, with or without its `:`/`@`/`$` prefix.
    pub name: String,
    /// Value.
    pub value: Value,
}

/// A batch.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Batch {
    /// Steps in order.
    pub steps: Vec<BatchStep>,
    /// Ignored by a primary.
    #[serde(default, skip_serializing_if = "Option::is_none", with = "opt_u64_text")]
    pub replication_index: Option<u64>,
}

/// A batch step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BatchStep {
    /// Runs only if the condition holds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub condition: Option<BatchCond>,
    /// The statement.
    pub stmt: Stmt,
}

/// A batch step condition.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum BatchCond {
    /// Step `step` ran and succeeded.
    Ok {
        /// Index of an earlier step.
        step: u32,
    },
    /// Step `step` ran and failed.
    Error {
        /// Index of an earlier step.
        step: u32,
    },
    /// Negation.
    Not {
        /// The condition.
        cond: Box<BatchCond>,
    },
    /// All hold.
    And {
        /// The conditions.
        conds: Vec<BatchCond>,
    },
    /// Any holds.
    Or {
        /// The conditions.
        conds: Vec<BatchCond>,
    },
    /// The connection is in autocommit mode (Hrana 3).
    IsAutocommit,
}

impl BatchCond {
    /// Whether this condition (or a nested one) is `is_autocommit`.
    pub fn uses_is_autocommit(&self) -> bool {
        match self {
            BatchCond::IsAutocommit => true,
            BatchCond::Not { cond } => cond.uses_is_autocommit(),
            BatchCond::And { conds } | BatchCond::Or { conds } => conds.iter().any(Self::uses_is_autocommit),
            BatchCond::Ok { .. } | BatchCond::Error { .. } => false,
        }
    }
}

/// The result of one request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum StreamResult {
    /// Success.
    Ok {
        /// The response.
        response: StreamResponse,
    },
    /// Failure of this request only.
    Error {
        /// The error.
        error: Error,
    },
}

/// A successful response.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum StreamResponse {
    /// To `close`.
    Close,
    /// To `execute`.
    Execute {
        /// The statement result.
        result: StmtResult,
    },
    /// To `batch`.
    Batch {
        /// The batch result.
        result: BatchResult,
    },
    /// To `sequence`.
    Sequence,
    /// To `describe`.
    Describe {
        /// The description.
        result: DescribeResult,
    },
    /// To `store_sql`.
    StoreSql,
    /// To `close_sql`.
    CloseSql,
    /// To `get_autocommit`.
    GetAutocommit {
        /// Whether the connection is in autocommit mode.
        is_autocommit: bool,
    },
}

/// A Hrana error.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Error {
    /// Human-readable message.
    pub message: String,
    /// Stable code (`SQLITE_CONSTRAINT`, `SQL_PARSE_ERROR`, …).
    #[serde(default)]
    pub code: String,
}

/// A column.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Col {
    /// Name.
    pub name: Option<String>,
    /// Declared type.
    pub decltype: Option<String>,
}

/// The result of a statement.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StmtResult {
    /// Columns.
    pub cols: Vec<Col>,
    /// Rows.
    pub rows: Vec<Vec<Value>>,
    /// Changes.
    pub affected_row_count: u64,
    /// Rowid of the last insert, if this statement inserted.
    #[serde(with = "opt_i64_text")]
    pub last_insert_rowid: Option<i64>,
    /// The primary's replication index after the statement (`null` inside a batch).
    #[serde(default, with = "opt_u64_text")]
    pub replication_index: Option<u64>,
    /// Rows read.
    #[serde(default)]
    pub rows_read: u64,
    /// Rows written.
    #[serde(default)]
    pub rows_written: u64,
    /// Time spent.
    #[serde(default)]
    pub query_duration_ms: f64,
}

/// The result of a batch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BatchResult {
    /// One per step; `null` if skipped or failed.
    pub step_results: Vec<Option<StmtResult>>,
    /// One per step; the error of a failed step.
    pub step_errors: Vec<Option<Error>>,
    /// Replication index after the batch.
    #[serde(default, with = "opt_u64_text")]
    pub replication_index: Option<u64>,
}

/// The result of `describe`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DescribeResult {
    /// Parameters.
    pub params: Vec<DescribeParam>,
    /// Result columns.
    pub cols: Vec<Col>,
    /// Whether the statement is `EXPLAIN`.
    pub is_explain: bool,
    /// Whether it is read-only.
    pub is_readonly: bool,
}

/// A parameter of a described statement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DescribeParam {
    /// Its name with prefix, `null` for `?`.
    pub name: Option<String>,
}

/// A SQLite value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Value {
    /// NULL.
    Null,
    /// INTEGER, as a decimal string.
    Integer {
        /// The value.
        #[serde(with = "i64_text")]
        value: i64,
    },
    /// REAL, as a JSON number (`null` for non-finite values; decoded as NaN).
    Float {
        /// The value.
        #[serde(with = "f64_or_null")]
        value: f64,
    },
    /// TEXT.
    Text {
        /// The value.
        value: String,
    },
    /// BLOB, base64.
    Blob {
        /// The value.
        #[serde(rename = "base64", with = "blob_base64")]
        value: Vec<u8>,
    },
}

/// Parses a pipeline request body, giving sqld's 400 message on failure
/// (`Cannot deserialize client message from JSON: …`).
pub fn parse_pipeline_request(body: &[u8]) -> Result<PipelineReqBody, String> {
    serde_json::from_slice(body).map_err(|e| format!("Cannot deserialize client message from JSON: {e}"))
}

mod encoding;

#[cfg(test)]
mod tests;
