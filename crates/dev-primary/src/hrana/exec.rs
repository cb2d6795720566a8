//! Runs one Hrana statement on a rusqlite connection and builds its result the way sqld does:
//! statement-count checks, positional / named binding, sqld's error codes and messages.

use std::collections::HashMap;
use std::time::Instant;

use libsql_edge_protocol::hrana::{Col, DescribeParam, DescribeResult, Error as HranaError, Stmt, StmtResult, Value};
use rusqlite::types::ValueRef;
use rusqlite::{Connection, Statement};

/// A failure of one statement: goes into the result slot (`Stmt`), or fails the whole HTTP
/// request with 400 (`Protocol`) or 403 (`Forbidden`).
#[derive(Debug)]
pub enum ExecError {
    /// Reported in the result slot.
    Stmt(HranaError),
    /// A protocol error: HTTP 400, text/plain.
    Protocol(String),
    /// A write attempted with a read-only token: HTTP 403.
    Forbidden,
    /// The log could not capture a commit: HTTP 500.
    Internal(String),
}

impl ExecError {
    fn stmt(code: &str, message: impl Into<String>) -> Self {
        ExecError::Stmt(HranaError { message: message.into(), code: code.into() })
    }
}

/// Resolves `sql` / `sql_id` against the stream's stored SQL.
pub fn resolve_sql<'a>(
    sql: Option<&'a str>,
    sql_id: Option<i32>,
    stored: &'a HashMap<i32, String>,
) -> Result<&'a str, ExecError> {
    match (sql, sql_id) {
        (Some(s), None) => Ok(s),
        (None, Some(id)) => stored
            .get(&id)
            .map(String::as_str)
            .ok_or_else(|| ExecError::Protocol(format!("SQL text with id {id} was not found"))),
        (Some(_), Some(_)) => Err(ExecError::Protocol("Received both SQL text and SQL id".into())),
        (None, None) => Err(ExecError::Protocol("Received neither SQL text nor SQL id".into())),
    }
}

/// Maps a rusqlite error to sqld's Hrana error.
pub fn sqlite_error(e: &rusqlite::Error) -> ExecError {
    match e {
        rusqlite::Error::SqliteFailure(f, msg) => {
            let msg = msg.clone().unwrap_or_else(|| f.to_string());
            if f.code == rusqlite::ErrorCode::Unknown
                && (msg.contains("syntax error")
                    || msg.contains("incomplete input")
                    || msg.contains("unrecognized token"))
            {
                return ExecError::stmt("SQL_PARSE_ERROR", format!("SQL string could not be parsed: {msg}"));
            }
            ExecError::stmt(code_name(f.extended_code & 0xff), format!("SQLite error: {msg}"))
        }
        rusqlite::Error::SqlInputError { error, msg, .. } => {
            if msg.contains("syntax error") || msg.contains("incomplete input") || msg.contains("unrecognized token") {
                return ExecError::stmt("SQL_PARSE_ERROR", format!("SQL string could not be parsed: {msg}"));
            }
            ExecError::stmt(code_name(error.extended_code & 0xff), format!("SQLite error: {msg}"))
        }
        rusqlite::Error::MultipleStatement => {
            ExecError::stmt("SQL_MANY_STATEMENTS", "SQL string contains more than one statement")
        }
        other => ExecError::stmt("SQLITE_UNKNOWN", format!("SQLite error: {other}")),
    }
}

/// sqld's name of a primary SQLite result code: SQLite's own name, except that codes sqld does not
/// name (SQLITE_ERROR among them: "no such table" comes back as SQLITE_UNKNOWN) are `SQLITE_UNKNOWN`.
pub fn code_name(code: i32) -> &'static str {
    match code {
        2..=15 | 17..=26 => libsql_edge_protocol::sqlite_code::primary_name(code),
        _ => "SQLITE_UNKNOWN",
    }
}

fn is_blank_sql(sql: &str) -> bool {
    // Strip comments and semicolons; nothing left means no statement.
    let mut rest = sql;
    loop {
        rest = rest.trim_start_matches(|c: char| c.is_whitespace() || c == ';');
        if let Some(r) = rest.strip_prefix("--") {
            rest = r.split_once('\n').map_or("", |(_, tail)| tail);
        } else if let Some(r) = rest.strip_prefix("/*") {
            rest = r.split_once("*/").map_or("", |(_, tail)| tail);
        } else {
            return rest.is_empty();
        }
    }
}

/// Prepares exactly one statement.
pub fn prepare<'c>(conn: &'c Connection, sql: &str) -> Result<Statement<'c>, ExecError> {
    if is_blank_sql(sql) {
        return Err(ExecError::stmt("SQL_NO_STATEMENT", "SQL string does not contain any statement"));
    }
    conn.prepare(sql).map_err(|e| sqlite_error(&e))
}

fn to_sql_value(v: &Value) -> rusqlite::types::Value {
    use rusqlite::types::Value as V;
    match v {
        Value::Null => V::Null,
        Value::Integer { value } => V::Integer(*value),
        Value::Float { value } => V::Real(*value),
        Value::Text { value } => V::Text(value.clone()),
        Value::Blob { value } => V::Blob(value.clone()),
    }
}

/// Converts a column value to Hrana.
pub fn from_sql_value(v: ValueRef<'_>) -> Value {
    match v {
        ValueRef::Null => Value::Null,
        ValueRef::Integer(i) => Value::Integer { value: i },
        ValueRef::Real(f) => Value::Float { value: f },
        ValueRef::Text(t) => Value::Text { value: String::from_utf8_lossy(t).into_owned() },
        ValueRef::Blob(b) => Value::Blob { value: b.to_vec() },
    }
}

fn bind(stmt: &mut Statement<'_>, s: &Stmt) -> Result<(), ExecError> {
    if !s.args.is_empty() && !s.named_args.is_empty() {
        return Err(ExecError::stmt(
            "ARGS_BOTH_POSITIONAL_AND_NAMED",
            "Arguments must be either positional or named, not both",
        ));
    }
    let count = stmt.parameter_count();
    if s.args.len() > count {
        return Err(ExecError::stmt(
            "ARGS_INVALID",
            format!("Arguments do not match SQL parameters: {} values given for {count} parameters", s.args.len()),
        ));
    }
    for i in 1..=count {
        let name = stmt.parameter_name(i).map(str::to_owned);
        let value = match &name {
            Some(n) if !n.starts_with('?') && s.args.is_empty() => {
                let bare = &n[1..];
                s.named_args
                    .iter()
                    .find(|a| a.name == *n)
                    .or_else(|| s.named_args.iter().find(|a| a.name == bare))
                    .map(|a| &a.value)
            }
            _ => s.args.get(i - 1),
        };
        let Some(value) = value else {
            return Err(ExecError::stmt(
                "ARGS_INVALID",
                format!("Arguments do not match SQL parameters: value for parameter {i} not found"),
            ));
        };
        stmt.raw_bind_parameter(i, to_sql_value(value)).map_err(|e| sqlite_error(&e))?;
    }
    Ok(())
}

/// Whether the statement would write (used for read-only tokens and replication).
pub fn is_readonly(stmt: &Statement<'_>) -> bool {
    stmt.readonly()
}

fn columns(stmt: &Statement<'_>) -> Vec<Col> {
    stmt.columns()
        .map(|c| Col { name: Some(c.name().to_owned()), decltype: c.decl_type().map(str::to_owned) })
        .collect()
}

fn looks_like_insert(sql: &str) -> bool {
    let t = sql.trim_start().to_ascii_lowercase();
    t.starts_with("insert") || t.starts_with("replace") || (t.starts_with("with") && t.contains("insert"))
}

/// Executes one statement. `read_only` refuses writes with [`ExecError::Forbidden`].
pub fn execute_stmt(
    conn: &Connection,
    s: &Stmt,
    stored: &HashMap<i32, String>,
    read_only: bool,
) -> Result<StmtResult, ExecError> {
    let started = Instant::now();
    let sql = resolve_sql(s.sql.as_deref(), s.sql_id, stored)?;
    let mut stmt = prepare(conn, sql)?;
    let readonly = is_readonly(&stmt);
    if read_only && !readonly {
        return Err(ExecError::Forbidden);
    }
    bind(&mut stmt, s)?;
    let cols = columns(&stmt);
    let ncols = cols.len();
    let rowid_before = conn.last_insert_rowid();
    let mut rows_out = Vec::new();
    {
        let mut rows = stmt.raw_query();
        while let Some(row) = rows.next().map_err(|e| sqlite_error(&e))? {
            let mut vals = Vec::with_capacity(ncols);
            for i in 0..ncols {
                vals.push(from_sql_value(row.get_ref(i).map_err(|e| sqlite_error(&e))?));
            }
            rows_out.push(vals);
        }
    }
    let changes = if readonly { 0 } else { conn.changes() };
    let rowid_after = conn.last_insert_rowid();
    let last_insert_rowid =
        (changes > 0 && (rowid_after != rowid_before || looks_like_insert(sql))).then_some(rowid_after);
    Ok(StmtResult {
        cols,
        rows_read: rows_out.len() as u64,
        rows: rows_out,
        affected_row_count: changes,
        last_insert_rowid,
        replication_index: None,
        rows_written: changes,
        query_duration_ms: (started.elapsed().as_micros() as f64) / 1000.0,
    })
}

/// Describes a statement.
pub fn describe(conn: &Connection, sql: &str) -> Result<DescribeResult, ExecError> {
    let stmt = prepare(conn, sql)?;
    let params = (1..=stmt.parameter_count())
        .map(|i| DescribeParam { name: stmt.parameter_name(i).filter(|n| !n.starts_with('?')).map(str::to_owned) })
        .collect();
    Ok(DescribeResult {
        params,
        cols: columns(&stmt),
        is_explain: stmt.is_explain() != 0,
        is_readonly: stmt.readonly(),
    })
}

/// Runs a script statement by statement, stopping at the first error.
pub fn sequence(conn: &Connection, sql: &str, read_only: bool, mut after_each: impl FnMut()) -> Result<(), ExecError> {
    let mut rest = sql;
    while !is_blank_sql(rest) {
        let (stmt, tail) = prepare_one(conn, rest)?;
        if let Some(mut stmt) = stmt {
            if read_only && !stmt.readonly() {
                return Err(ExecError::Forbidden);
            }
            let mut rows = stmt.raw_query();
            let res = loop {
                match rows.next() {
                    Ok(Some(_)) => continue,
                    Ok(None) => break Ok(()),
                    Err(e) => break Err(sqlite_error(&e)),
                }
            };
            drop(rows);
            after_each();
            res?;
        }
        if tail == 0 || tail >= rest.len() {
            break;
        }
        rest = &rest[tail..];
    }
    Ok(())
}

/// Prepares the first statement of `sql`; returns it and the byte offset of the rest.
fn prepare_one<'c>(conn: &'c Connection, sql: &str) -> Result<(Option<Statement<'c>>, usize), ExecError> {
    // rusqlite refuses trailing statements in `prepare`, so find the statement end with
    // `sqlite3_complete` on growing prefixes split at semicolons.
    let mut end = sql.len();
    for (i, _) in sql.match_indices(';') {
        if is_complete(&sql[..=i]) {
            end = i + 1;
            break;
        }
    }
    let one = &sql[..end];
    if is_blank_sql(one) {
        return Ok((None, end));
    }
    let stmt = conn.prepare(one).map_err(|e| sqlite_error(&e))?;
    Ok((Some(stmt), end))
}

fn is_complete(sql: &str) -> bool {
    let Ok(c) = std::ffi::CString::new(sql) else {
        return false;
    };
    // SAFETY: `c` is a valid NUL-terminated string for the duration of the call.
    unsafe { rusqlite::ffi::sqlite3_complete(c.as_ptr()) != 0 }
}
