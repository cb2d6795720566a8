//! One statement on a local connection, exactly as `@libsql/client`'s local (sqlite3/libsql)
//! client runs it: only the first statement of the text runs (the rest is ignored); a statement
//! that returns columns gives its rows and no write counts; any other gives `rowsAffected` and
//! `lastInsertRowid`. Arguments bind leniently, as libsql binds them: an array by parameter index,
//! an object by parameter name without its `:`/`@`/`$` prefix; a parameter without a value is NULL
//! and surplus values are ignored.

use rusqlite::fallible_iterator::FallibleIterator as _;
use rusqlite::Connection;

use crate::client::{ResultSet, Statement};
use crate::error::{Error, Result};
use crate::value::Value;

/// SQLite's error for a prepare that found no statement, as libsql reports it: code 0 (`SQLITE_OK`,
/// "not an error"), which `@libsql/client` names `SQLITE_UNKNOWN_0`.
fn no_statement() -> Error {
    Error::Sqlite(rusqlite::Error::SqliteFailure(rusqlite::ffi::Error::new(0), Some("not an error".into())))
}

/// A SQLite failure with SQLite's own message (rusqlite adds the SQL and offset to prepare errors).
pub(super) fn sqlite_error(e: rusqlite::Error) -> Error {
    match e {
        rusqlite::Error::SqlInputError { error, msg, .. } => {
            Error::Sqlite(rusqlite::Error::SqliteFailure(error, Some(msg)))
        }
        e => Error::Sqlite(e),
    }
}

/// The name a named argument matches: its key without one leading prefix character.
fn bare(name: &str) -> &str {
    name.strip_prefix([':', '@', '$']).unwrap_or(name)
}

fn bind(stmt: &mut rusqlite::Statement<'_>, s: &Statement) -> rusqlite::Result<()> {
    for index in 1..=stmt.parameter_count() {
        let value = if s.named_args.is_empty() {
            s.args.get(index - 1)
        } else {
            let name = stmt.parameter_name(index).map(bare);
            name.and_then(|n| s.named_args.iter().rev().find(|(k, _)| bare(k) == n).map(|(_, v)| v))
        };
        if let Some(v) = value {
            stmt.raw_bind_parameter(index, v)?;
        }
    }
    Ok(())
}

/// Runs the first statement of `s.sql` on `conn`.
pub fn execute(conn: &Connection, s: &Statement) -> Result<ResultSet> {
    let mut batch = rusqlite::Batch::new(conn, &s.sql);
    let mut stmt = batch.next().map_err(sqlite_error)?.ok_or_else(no_statement)?;
    bind(&mut stmt, s).map_err(sqlite_error)?;
    if stmt.column_count() > 0 {
        let mut rows = Vec::new();
        let mut cursor = stmt.raw_query();
        while let Some(row) = cursor.next().map_err(sqlite_error)? {
            let width = row.as_ref().column_count();
            let mut values = Vec::with_capacity(width);
            for i in 0..width {
                values.push(Value::from(row.get_ref(i).map_err(sqlite_error)?));
            }
            rows.push(values);
        }
        drop(cursor);
        // Read after stepping: a step may re-prepare against a newer schema.
        let columns = stmt.column_names().map(str::to_string).collect();
        let column_types = stmt.columns().map(|c| c.decl_type().unwrap_or("").to_string()).collect();
        return Ok(ResultSet {
            columns,
            column_types,
            rows,
            rows_affected: 0,
            last_insert_rowid: None,
            bookmark: None,
        });
    }
    let before = conn.total_changes();
    stmt.raw_execute().map_err(sqlite_error)?;
    // `changes()` keeps the count of the last INSERT/UPDATE/DELETE; a statement that changed
    // nothing (DDL, BEGIN) reports 0, as libsql does.
    let rows_affected = if conn.total_changes() == before { 0 } else { conn.changes() };
    Ok(ResultSet { rows_affected, last_insert_rowid: Some(conn.last_insert_rowid()), ..ResultSet::default() })
}

/// Runs every statement of `sql` (no results); stops at the first error, keeping what ran.
pub fn execute_script(conn: &Connection, sql: &str) -> Result<()> {
    conn.execute_batch(sql).map_err(sqlite_error)
}
