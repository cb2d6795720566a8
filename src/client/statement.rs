//! Statements in and result sets out, shaped like `@libsql/client`'s `InStatement` and `ResultSet`,
//! with the conversions to and from Hrana's JSON types and the replica's `Rows`.

use crate::protocol::hrana;
use crate::replica::Rows;
use crate::value::Value;

/// One SQL statement with its arguments.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Statement {
    /// The SQL text.
    pub sql: String,
    /// Positional arguments.
    pub args: Vec<Value>,
    /// Named arguments (`:name`, `@name`, `$name`, or a bare name).
    pub named_args: Vec<(String, Value)>,
}

impl Statement {
    /// A statement without arguments.
    pub fn new(sql: impl Into<String>) -> Statement {
        Statement { sql: sql.into(), ..Default::default() }
    }

    /// The Hrana form.
    pub fn to_hrana(&self) -> hrana::Stmt {
        hrana::Stmt {
            sql: Some(self.sql.clone()),
            args: self.args.iter().map(to_hrana_value).collect(),
            named_args: self
                .named_args
                .iter()
                .map(|(name, value)| hrana::NamedArg { name: name.clone(), value: to_hrana_value(value) })
                .collect(),
            want_rows: Some(true),
            ..Default::default()
        }
    }
}

/// The transaction modes of `batch` and `transaction`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TxMode {
    /// `BEGIN IMMEDIATE`: runs on the primary.
    Write,
    /// `BEGIN TRANSACTION READONLY` semantics: runs on the replica when it can.
    Read,
    /// `BEGIN DEFERRED`: runs on the primary.
    Deferred,
}

impl TxMode {
    /// Parses `@libsql/client`'s mode names.
    pub fn parse(name: &str) -> Option<TxMode> {
        match name {
            "write" => Some(TxMode::Write),
            "read" => Some(TxMode::Read),
            "deferred" => Some(TxMode::Deferred),
            _ => None,
        }
    }

    /// The `BEGIN` statement of this mode, as `@libsql/client` sends it.
    pub fn begin_sql(self) -> &'static str {
        match self {
            TxMode::Write => "BEGIN IMMEDIATE",
            TxMode::Read => "BEGIN TRANSACTION READONLY",
            TxMode::Deferred => "BEGIN DEFERRED",
        }
    }
}

/// A statement's result, as `@libsql/client` shapes it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ResultSet {
    /// Column names.
    pub columns: Vec<String>,
    /// Declared column types (`""` for expressions).
    pub column_types: Vec<String>,
    /// Rows of values.
    pub rows: Vec<Vec<Value>>,
    /// Rows changed by the statement.
    pub rows_affected: u64,
    /// Rowid of the last insert, if the statement inserted.
    pub last_insert_rowid: Option<i64>,
    /// The position this result saw, as a bookmark (libsql-edge only).
    pub bookmark: Option<String>,
}

impl From<Rows> for ResultSet {
    fn from(rows: Rows) -> ResultSet {
        ResultSet {
            columns: rows.columns,
            column_types: rows.decltypes.into_iter().map(Option::unwrap_or_default).collect(),
            rows: rows.rows,
            rows_affected: 0,
            last_insert_rowid: None,
            bookmark: None,
        }
    }
}

impl From<hrana::StmtResult> for ResultSet {
    fn from(r: hrana::StmtResult) -> ResultSet {
        ResultSet {
            columns: r.cols.iter().map(|c| c.name.clone().unwrap_or_default()).collect(),
            column_types: r.cols.into_iter().map(|c| c.decltype.unwrap_or_default()).collect(),
            rows: r.rows.into_iter().map(|row| row.into_iter().map(from_hrana_value).collect()).collect(),
            rows_affected: r.affected_row_count,
            last_insert_rowid: r.last_insert_rowid,
            bookmark: None,
        }
    }
}

/// A value in Hrana's JSON form.
pub fn to_hrana_value(v: &Value) -> hrana::Value {
    match v {
        Value::Null => hrana::Value::Null,
        Value::Integer(i) => hrana::Value::Integer { value: *i },
        Value::Real(f) => hrana::Value::Float { value: *f },
        Value::Text(s) => hrana::Value::Text { value: s.clone() },
        Value::Blob(b) => hrana::Value::Blob { value: b.clone() },
    }
}

/// A value from Hrana's JSON form.
pub fn from_hrana_value(v: hrana::Value) -> Value {
    match v {
        hrana::Value::Null => Value::Null,
        hrana::Value::Integer { value } => Value::Integer(value),
        hrana::Value::Float { value } => Value::Real(value),
        hrana::Value::Text { value } => Value::Text(value),
        hrana::Value::Blob { value } => Value::Blob(value),
    }
}
