//! sqld's write proxy `proxy.Proxy` (proto3): the unary messages of `Execute`, `Describe` and
//! `Disconnect` as hand-written prost structs (no protoc), and the bincode encoding of
//! `Value.data`. Field numbers follow tursodatabase/libsql `libsql-replication/proto/proxy.proto`.
//!
//! Methods (`POST /proxy.Proxy/<Method>`, gRPC-Web): `Execute(ProgramReq) -> ExecuteResults`,
//! `Describe(DescribeRequest) -> DescribeResult`, `Disconnect(DisconnectMessage) -> Ack`.
//! `StreamExec` is bidirectional streaming, which gRPC-Web cannot carry; its messages are not here.
//!
//! `Value.data` is bincode 1.x of a SQLite value, encoded and decoded by [`value`] and carried as
//! [`crate::hrana::Value`], the one SQLite value type of this crate.

pub mod value;

use prost::{Enumeration, Message, Oneof};

use crate::error::Result;
use crate::hrana::Value;
pub use value::{decode_value, encode_value};

/// Path prefix of the service.
pub const SERVICE_PATH: &str = "/proxy.Proxy";

/// `Query`: one statement and its parameters.
#[derive(Clone, PartialEq, Message)]
pub struct Query {
    /// 1: SQL text of exactly one statement.
    #[prost(string, tag = "1")]
    pub stmt: String,
    /// 2 / 3: positional or named parameters.
    #[prost(oneof = "Params", tags = "2, 3")]
    pub params: Option<Params>,
    /// 4: do not return rows.
    #[prost(bool, tag = "4")]
    pub skip_rows: bool,
}

/// `Query.Params`.
#[derive(Clone, PartialEq, Oneof)]
pub enum Params {
    /// 2: values bound to `?1`, `?2`, …
    #[prost(message, tag = "2")]
    Positional(Positional),
    /// 3: values bound by name.
    #[prost(message, tag = "3")]
    Named(Named),
}

/// `Positional`.
#[derive(Clone, PartialEq, Message)]
pub struct Positional {
    /// 1: values in parameter order.
    #[prost(message, repeated, tag = "1")]
    pub values: Vec<ValueMsg>,
}

/// `Named`: `names[i]` is bound to `values[i]`.
#[derive(Clone, PartialEq, Message)]
pub struct Named {
    /// 1: parameter names, with or without their `:`/`@`/`$` prefix.
    #[prost(string, repeated, tag = "1")]
    pub names: Vec<String>,
    /// 2: values, one per name.
    #[prost(message, repeated, tag = "2")]
    pub values: Vec<ValueMsg>,
}

/// `Value`: one bincode-encoded SQLite value (see the module table).
#[derive(Clone, PartialEq, Message)]
pub struct ValueMsg {
    /// 1: bincode bytes.
    #[prost(bytes = "vec", tag = "1")]
    pub data: Vec<u8>,
}

impl ValueMsg {
    /// Wraps the bincode encoding of `value`.
    pub fn from_value(value: &Value) -> Self {
        Self { data: encode_value(value) }
    }

    /// Decodes the bincode bytes.
    pub fn to_value(&self) -> Result<Value> {
        decode_value(&self.data)
    }
}

/// `QueryResult`: the outcome of one step.
#[derive(Clone, PartialEq, Message)]
pub struct QueryResult {
    /// 1 / 2: an error or the rows.
    #[prost(oneof = "RowResult", tags = "1, 2")]
    pub row_result: Option<RowResult>,
}

/// `QueryResult.row_result`.
#[derive(Clone, PartialEq, Oneof)]
pub enum RowResult {
    /// 1: the step failed.
    #[prost(message, tag = "1")]
    Error(ProxyError),
    /// 2: the step ran (or was skipped: then everything is empty).
    #[prost(message, tag = "2")]
    Row(ResultRows),
}

/// `Error.ErrorCode`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Enumeration)]
#[repr(i32)]
pub enum ErrorCode {
    /// Parameters could not be bound.
    SqlError = 0,
    /// Transaction busy.
    TxBusy = 1,
    /// Transaction timed out.
    TxTimeout = 2,
    /// Everything else, SQLite errors included (with `extended_code`).
    Internal = 3,
}

/// `Error`.
#[derive(Clone, PartialEq, Message)]
pub struct ProxyError {
    /// 1: [`ErrorCode`].
    #[prost(enumeration = "ErrorCode", tag = "1")]
    pub code: i32,
    /// 2: message.
    #[prost(string, tag = "2")]
    pub message: String,
    /// 3: SQLite (extended) result code, 0 when not a SQLite error.
    #[prost(int32, tag = "3")]
    pub extended_code: i32,
}

/// `ResultRows`.
#[derive(Clone, PartialEq, Message)]
pub struct ResultRows {
    /// 1: result columns.
    #[prost(message, repeated, tag = "1")]
    pub column_descriptions: Vec<Column>,
    /// 2: rows.
    #[prost(message, repeated, tag = "2")]
    pub rows: Vec<Row>,
    /// 3: rows changed by the statement.
    #[prost(uint64, tag = "3")]
    pub affected_row_count: u64,
    /// 4: rowid of the last insert, for inserts.
    #[prost(int64, optional, tag = "4")]
    pub last_insert_rowid: Option<i64>,
}

/// `Row`.
#[derive(Clone, PartialEq, Message)]
pub struct Row {
    /// 1: one value per column.
    #[prost(message, repeated, tag = "1")]
    pub values: Vec<ValueMsg>,
}

/// `Column`.
#[derive(Clone, PartialEq, Message)]
pub struct Column {
    /// 1: name.
    #[prost(string, tag = "1")]
    pub name: String,
    /// 3: declared type (tag 2 is unused upstream).
    #[prost(string, optional, tag = "3")]
    pub decltype: Option<String>,
}

/// `DescribeRequest`.
#[derive(Clone, PartialEq, Message)]
pub struct DescribeRequest {
    /// 1: client UUID.
    #[prost(string, tag = "1")]
    pub client_id: String,
    /// 2: SQL text.
    #[prost(string, tag = "2")]
    pub stmt: String,
}

/// `DescribeResult`.
#[derive(Clone, PartialEq, Message)]
pub struct DescribeResult {
    /// 1 / 2: an error or the description.
    #[prost(oneof = "DescribeOutcome", tags = "1, 2")]
    pub describe_result: Option<DescribeOutcome>,
}

/// `DescribeResult.describe_result`.
#[derive(Clone, PartialEq, Oneof)]
pub enum DescribeOutcome {
    /// 1
    #[prost(message, tag = "1")]
    Error(ProxyError),
    /// 2
    #[prost(message, tag = "2")]
    Description(Description),
}

/// `Description`.
#[derive(Clone, PartialEq, Message)]
pub struct Description {
    /// 1: result columns.
    #[prost(message, repeated, tag = "1")]
    pub column_descriptions: Vec<Column>,
    /// 2: names of the named parameters only (with prefix).
    #[prost(string, repeated, tag = "2")]
    pub param_names: Vec<String>,
    /// 3: number of parameters, named or not.
    #[prost(uint64, tag = "3")]
    pub param_count: u64,
}

/// `DisconnectMessage`.
#[derive(Clone, PartialEq, Message)]
pub struct DisconnectMessage {
    /// 1: client UUID.
    #[prost(string, tag = "1")]
    pub client_id: String,
}

/// `Ack`.
#[derive(Clone, PartialEq, Message)]
pub struct Ack {}

/// `State`: the connection's transaction state after a program.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Enumeration)]
#[repr(i32)]
pub enum State {
    /// Autocommit.
    Init = 0,
    /// Invalid.
    Invalid = 1,
    /// Inside a transaction.
    Txn = 2,
}

/// `ExecuteResults`: the `Execute` reply.
#[derive(Clone, PartialEq, Message)]
pub struct ExecuteResults {
    /// 1: one per step.
    #[prost(message, repeated, tag = "1")]
    pub results: Vec<QueryResult>,
    /// 2: [`State`] after the program.
    #[prost(enumeration = "State", tag = "2")]
    pub state: i32,
    /// 3: the primary's last committed frame_no after the program (read-your-writes).
    #[prost(uint64, optional, tag = "3")]
    pub current_frame_no: Option<u64>,
}

/// `Program`.
#[derive(Clone, PartialEq, Message)]
pub struct Program {
    /// 1: steps, run in order.
    #[prost(message, repeated, tag = "1")]
    pub steps: Vec<Step>,
}

/// `Step`.
#[derive(Clone, PartialEq, Message)]
pub struct Step {
    /// 1: run only if this holds.
    #[prost(message, optional, tag = "1")]
    pub cond: Option<Cond>,
    /// 2: the statement (required).
    #[prost(message, optional, tag = "2")]
    pub query: Option<Query>,
}

/// `Cond`.
#[derive(Clone, PartialEq, Message)]
pub struct Cond {
    /// 1..6: the condition.
    #[prost(oneof = "CondKind", tags = "1, 2, 3, 4, 5, 6")]
    pub cond: Option<CondKind>,
}

/// `Cond.cond`. Step indexes are 0-based; `ok`/`err` refer to whether a step ran successfully
/// (a skipped step counts as not ok).
#[derive(Clone, PartialEq, Oneof)]
pub enum CondKind {
    /// 1: step ran successfully.
    #[prost(message, tag = "1")]
    Ok(OkCond),
    /// 2: step failed or was skipped.
    #[prost(message, tag = "2")]
    Err(ErrCond),
    /// 3: negation.
    #[prost(message, tag = "3")]
    Not(NotCond),
    /// 4: conjunction.
    #[prost(message, tag = "4")]
    And(AndCond),
    /// 5: disjunction.
    #[prost(message, tag = "5")]
    Or(OrCond),
    /// 6: the connection is in autocommit mode.
    #[prost(message, tag = "6")]
    IsAutocommit(IsAutocommitCond),
}

/// `OkCond`.
#[derive(Clone, PartialEq, Message)]
pub struct OkCond {
    /// 1: step index.
    #[prost(int64, tag = "1")]
    pub step: i64,
}

/// `ErrCond`.
#[derive(Clone, PartialEq, Message)]
pub struct ErrCond {
    /// 1: step index.
    #[prost(int64, tag = "1")]
    pub step: i64,
}

/// `NotCond`.
#[derive(Clone, PartialEq, Message)]
pub struct NotCond {
    /// 1: the negated condition.
    #[prost(message, optional, boxed, tag = "1")]
    pub cond: Option<Box<Cond>>,
}

/// `AndCond`.
#[derive(Clone, PartialEq, Message)]
pub struct AndCond {
    /// 1
    #[prost(message, repeated, tag = "1")]
    pub conds: Vec<Cond>,
}

/// `OrCond`.
#[derive(Clone, PartialEq, Message)]
pub struct OrCond {
    /// 1
    #[prost(message, repeated, tag = "1")]
    pub conds: Vec<Cond>,
}

/// `IsAutocommitCond`.
#[derive(Clone, PartialEq, Message)]
pub struct IsAutocommitCond {}

/// `ProgramReq`: the `Execute` request.
#[derive(Clone, PartialEq, Message)]
pub struct ProgramReq {
    /// 1: client UUID; the server keeps one connection per client (transactions span calls).
    #[prost(string, tag = "1")]
    pub client_id: String,
    /// 2: the program (required).
    #[prost(message, optional, tag = "2")]
    pub pgm: Option<Program>,
}

#[cfg(test)]
mod tests;
