//! sqld's write proxy (`proxy.Proxy`) without HTTP: one SQLite connection per `client_id` (so an
//! interactive transaction spans calls), clients idle for [`CLIENT_IDLE`] dropped (rolling back)
//! at the next proxy request (no background sweeper: an abandoned open write transaction holds
//! the write lock until then, or until `Disconnect`), and programs
//! run step by step through the Hrana statement executor and its gate + capture path, so every
//! committed write lands in the replication log before the reply. `routes::proxy` adapts it to axum.
//!
//! Behaviour follows sqld (`libsql-server/src/rpc/proxy.rs`, `connection/program.rs`): a step's
//! condition sees, per earlier step, only "ran successfully" (skipped = not ok); a skipped step
//! yields an empty `ResultRows`; a failed step yields an `Error` and the program goes on; a bad
//! step reference in a condition is that step's error; `state` is `TXN` when the connection is
//! left inside a transaction; `current_frame_no` is the last committed frame_no.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use libsql_edge_protocol::hrana::{self, NamedArg, Stmt, StmtResult};
use libsql_edge_protocol::proxy::{
    Column, Cond, CondKind, Description, ErrorCode, ExecuteResults, Params, Program, ProxyError, QueryResult,
    ResultRows, Row, RowResult, State, ValueMsg,
};
use rusqlite::Connection;

use crate::hrana::exec::{code_name, describe, execute_stmt, ExecError};
use crate::hrana::run_guarded;
use crate::primary::Primary;

/// A client idle this long loses its connection (and any open transaction), as on sqld.
pub const CLIENT_IDLE: Duration = Duration::from_secs(30);

/// A client's connection, opened on first use.
pub type ClientConn = Option<Connection>;

#[derive(Debug)]
struct ClientSlot {
    conn: Arc<tokio::sync::Mutex<ClientConn>>,
    last_used: Instant,
}

/// Proxy connections by client id.
#[derive(Debug, Default)]
pub struct ProxyClients {
    open: Mutex<HashMap<uuid::Uuid, ClientSlot>>,
}

impl ProxyClients {
    /// Locks the connection of `client_id` (a new, unopened one for an unknown client). Requests of
    /// one client run one at a time.
    pub async fn checkout(&self, client_id: uuid::Uuid) -> tokio::sync::OwnedMutexGuard<ClientConn> {
        let arc = {
            let mut open = self.open.lock().unwrap_or_else(PoisonError::into_inner);
            let now = Instant::now();
            open.retain(|_, s| now.duration_since(s.last_used) < CLIENT_IDLE || Arc::strong_count(&s.conn) > 1);
            let slot = open
                .entry(client_id)
                .or_insert_with(|| ClientSlot { conn: Arc::new(tokio::sync::Mutex::new(None)), last_used: now });
            slot.last_used = now;
            slot.conn.clone()
        };
        arc.lock_owned().await
    }

    /// Forgets a client; its connection closes (rolling back) once no request uses it.
    pub fn disconnect(&self, client_id: uuid::Uuid) {
        self.open.lock().unwrap_or_else(PoisonError::into_inner).remove(&client_id);
    }

    /// Number of known clients.
    pub fn len(&self) -> usize {
        self.open.lock().unwrap_or_else(PoisonError::into_inner).len()
    }

    /// Whether no client is known.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Why a whole proxy request failed (each becomes a gRPC status).
#[derive(Debug, PartialEq, Eq)]
pub enum ProxyFailure {
    /// Malformed program (missing query, undecodable value): `INVALID_ARGUMENT`.
    InvalidArgument(String),
    /// A write with a read-only token, or a describe that failed: `PERMISSION_DENIED` (as sqld).
    PermissionDenied(String),
    /// Connection or replication log failure: `INTERNAL`.
    Internal(String),
}

/// One validated step: its condition, the statement as Hrana runs it, and `skip_rows`.
struct PreparedStep<'p> {
    cond: Option<&'p Cond>,
    stmt: Stmt,
    skip_rows: bool,
}

/// Validates a program and converts its queries (sqld rejects a bad program before running any step).
fn prepare_program(pgm: &Program) -> Result<Vec<PreparedStep<'_>>, ProxyFailure> {
    let invalid = |m: String| ProxyFailure::InvalidArgument(m);
    let decode = |values: &[ValueMsg]| -> Result<Vec<hrana::Value>, ProxyFailure> {
        values.iter().map(|v| v.to_value().map_err(|e| invalid(e.to_string()))).collect()
    };
    let mut out = Vec::with_capacity(pgm.steps.len());
    for step in &pgm.steps {
        let query = step.query.as_ref().ok_or_else(|| invalid("invalid empty statement".into()))?;
        let mut stmt = Stmt { sql: Some(query.stmt.clone()), ..Default::default() };
        match &query.params {
            None => {}
            Some(Params::Positional(p)) => stmt.args = decode(&p.values)?,
            Some(Params::Named(n)) => {
                if n.names.len() != n.values.len() {
                    return Err(invalid("named parameters: names and values differ in number".into()));
                }
                let values = decode(&n.values)?;
                stmt.named_args =
                    n.names.iter().zip(values).map(|(name, value)| NamedArg { name: name.clone(), value }).collect();
            }
        }
        out.push(PreparedStep { cond: step.cond.as_ref(), stmt, skip_rows: query.skip_rows });
    }
    Ok(out)
}

/// Evaluates a condition over "step ran successfully" flags; a bad step reference is an error.
fn eval_cond(cond: &Cond, ok: &[bool], is_autocommit: bool) -> Result<bool, String> {
    let step_ok = |step: i64| {
        usize::try_from(step)
            .ok()
            .and_then(|i| ok.get(i).copied())
            .ok_or_else(|| format!("Invalid reference to step in a batch: {step}"))
    };
    match &cond.cond {
        None => Err("invalid empty condition".into()),
        Some(CondKind::Ok(c)) => step_ok(c.step),
        Some(CondKind::Err(c)) => step_ok(c.step).map(|b| !b),
        Some(CondKind::Not(c)) => match &c.cond {
            Some(inner) => eval_cond(inner, ok, is_autocommit).map(|b| !b),
            None => Err("invalid empty condition".into()),
        },
        Some(CondKind::And(c)) => {
            c.conds.iter().try_fold(true, |acc, c| eval_cond(c, ok, is_autocommit).map(|b| acc && b))
        }
        Some(CondKind::Or(c)) => {
            c.conds.iter().try_fold(false, |acc, c| eval_cond(c, ok, is_autocommit).map(|b| acc || b))
        }
        Some(CondKind::IsAutocommit(_)) => Ok(is_autocommit),
    }
}

fn empty_rows() -> QueryResult {
    QueryResult { row_result: Some(RowResult::Row(ResultRows::default())) }
}

fn step_error(code: ErrorCode, message: String, extended_code: i32) -> QueryResult {
    QueryResult { row_result: Some(RowResult::Error(ProxyError { code: code as i32, message, extended_code })) }
}

fn columns(cols: Vec<hrana::Col>) -> Vec<Column> {
    cols.into_iter().map(|c| Column { name: c.name.unwrap_or_default(), decltype: c.decltype }).collect()
}

fn result_rows(r: StmtResult, skip_rows: bool) -> QueryResult {
    let rows = if skip_rows {
        Vec::new()
    } else {
        r.rows.iter().map(|row| Row { values: row.iter().map(ValueMsg::from_value).collect() }).collect()
    };
    QueryResult {
        row_result: Some(RowResult::Row(ResultRows {
            column_descriptions: columns(r.cols),
            rows,
            affected_row_count: r.affected_row_count,
            last_insert_rowid: r.last_insert_rowid,
        })),
    }
}

/// The SQLite extended result code of the connection's last failure.
fn extended_errcode(conn: &Connection) -> i32 {
    // SAFETY: the handle is valid while `conn` is borrowed; the call only reads the error state.
    unsafe { rusqlite::ffi::sqlite3_extended_errcode(conn.handle()) }
}

/// Maps a Hrana statement error to the proxy's `Error`, as sqld reports it: bind failures are
/// `SQL_ERROR`; SQLite failures are `INTERNAL` with the extended code and rusqlite's message.
fn proxy_error(e: hrana::Error, extended: i32) -> QueryResult {
    if e.code.starts_with("ARGS_") {
        let message = format!("LibSQL failed to bind provided query parameters: `{}`", e.message);
        return step_error(ErrorCode::SqlError, message, 0);
    }
    let primary = match e.code.as_str() {
        "SQL_PARSE_ERROR" => Some(1),
        c if c.starts_with("SQLITE_") => (1..=255).find(|&n| code_name(n) == c),
        _ => None,
    };
    let extended_code = match primary {
        Some(p) if extended & 0xff == p => extended,
        Some(p) => p,
        None => 0,
    };
    let message = ["SQLite error: ", "SQL string could not be parsed: "]
        .iter()
        .find_map(|prefix| e.message.strip_prefix(prefix))
        .map_or_else(|| e.message.clone(), str::to_owned);
    step_error(ErrorCode::Internal, message, extended_code)
}

/// Runs a program on a client's connection (blocking; call from `spawn_blocking`).
pub fn execute_program(
    primary: &Primary,
    conn: &mut ClientConn,
    pgm: &Program,
    read_only: bool,
) -> Result<ExecuteResults, ProxyFailure> {
    let steps = prepare_program(pgm)?;
    let conn = open(primary, conn)?;
    let no_stored = HashMap::new();
    let mut ok = Vec::with_capacity(steps.len());
    let mut results = Vec::with_capacity(steps.len());
    for step in &steps {
        let enabled = match step.cond.map(|c| eval_cond(c, &ok, conn.is_autocommit())) {
            None | Some(Ok(true)) => true,
            Some(Ok(false)) => {
                results.push(empty_rows());
                false
            }
            Some(Err(message)) => {
                results.push(step_error(ErrorCode::Internal, message, 0));
                false
            }
        };
        if !enabled {
            ok.push(false);
            continue;
        }
        let outcome = run_guarded(primary, || match execute_stmt(conn, &step.stmt, &no_stored, read_only) {
            Ok(r) => Ok(Ok(r)),
            Err(ExecError::Stmt(e)) => Ok(Err((e, extended_errcode(conn)))),
            Err(other) => Err(other),
        });
        match outcome {
            Ok(Ok(r)) => {
                results.push(result_rows(r, step.skip_rows));
                ok.push(true);
            }
            Ok(Err((e, extended))) => {
                results.push(proxy_error(e, extended));
                ok.push(false);
            }
            Err(ExecError::Forbidden) => return Err(forbidden()),
            Err(ExecError::Protocol(m)) => {
                results.push(step_error(ErrorCode::SqlError, m, 0));
                ok.push(false);
            }
            Err(ExecError::Internal(m) | ExecError::Stmt(hrana::Error { message: m, .. })) => {
                return Err(ProxyFailure::Internal(m))
            }
        }
    }
    let state = if conn.is_autocommit() { State::Init } else { State::Txn };
    Ok(ExecuteResults { results, state: state as i32, current_frame_no: primary.replication_index() })
}

/// Describes a statement on a client's connection (blocking). Failures are `PERMISSION_DENIED`
/// statuses, as sqld sends them (it never fills `DescribeResult.error`).
pub fn describe_statement(primary: &Primary, conn: &mut ClientConn, sql: &str) -> Result<Description, ProxyFailure> {
    let conn = open(primary, conn)?;
    let d = describe(conn, sql).map_err(|e| match e {
        ExecError::Stmt(e) => ProxyFailure::PermissionDenied(e.message),
        ExecError::Protocol(m) | ExecError::Internal(m) => ProxyFailure::PermissionDenied(m),
        ExecError::Forbidden => forbidden(),
    })?;
    Ok(Description {
        param_count: d.params.len() as u64,
        param_names: d.params.into_iter().filter_map(|p| p.name).collect(),
        column_descriptions: columns(d.cols),
    })
}

fn open<'c>(primary: &Primary, conn: &'c mut ClientConn) -> Result<&'c Connection, ProxyFailure> {
    if conn.is_none() {
        *conn = Some(primary.connect().map_err(|e| ProxyFailure::Internal(e.to_string()))?);
    }
    conn.as_ref().ok_or_else(|| ProxyFailure::Internal("client without connection".into()))
}

fn forbidden() -> ProxyFailure {
    ProxyFailure::PermissionDenied(
        "Authorization forbidden: Current session doesn't not have Write permission to namespace default".into(),
    )
}
