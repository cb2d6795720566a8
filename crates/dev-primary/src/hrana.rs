//! Hrana over HTTP: streams (one SQLite connection each), single-use batons, idle expiry, and
//! running a pipeline's requests in order. HTTP-free; `routes::hrana` adapts it to axum.

pub mod batch;
pub mod exec;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use base64::Engine;
use libsql_edge_protocol::hrana::{
    PipelineReqBody, PipelineRespBody, StmtResult, StreamRequest, StreamResponse, StreamResult,
};
use rusqlite::Connection;

use crate::primary::Primary;
use exec::{describe, execute_stmt, resolve_sql, sequence, ExecError};

/// Idle time after which a stream expires (sqld: 10 s).
pub const STREAM_IDLE: Duration = Duration::from_secs(10);
/// How long an expired stream is remembered (sqld: 300 s).
pub const STREAM_EXPIRED_MEMORY: Duration = Duration::from_secs(300);
const MAX_STORED_SQL: usize = 50;
const MAX_STORED_SQL_LEN: usize = 5000;

/// Hrana protocol version of the endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Version {
    /// `/v2/pipeline`.
    V2,
    /// `/v3/pipeline`.
    V3,
}

/// Why a pipeline failed as a whole.
#[derive(Debug)]
pub enum PipelineError {
    /// 400 text/plain.
    Protocol(String),
    /// 400 with a Hrana error body, code `STREAM_EXPIRED`.
    StreamExpired,
    /// 403.
    Forbidden,
    /// 500.
    Internal(String),
}

/// The state of one stream.
#[derive(Debug)]
pub struct StreamState {
    conn: Option<Connection>,
    stored: HashMap<i32, String>,
}

#[derive(Debug)]
struct StreamSlot {
    state: Arc<tokio::sync::Mutex<StreamState>>,
    baton: String,
    last_used: Instant,
}

/// All open streams.
#[derive(Debug, Default)]
pub struct Streams {
    open: Mutex<HashMap<u64, StreamSlot>>,
    expired: Mutex<HashMap<u64, Instant>>,
    next_id: AtomicU64,
}

fn make_baton(id: u64, seq: u64) -> String {
    let mut b = Vec::with_capacity(48);
    b.extend_from_slice(&id.to_be_bytes());
    b.extend_from_slice(&seq.to_be_bytes());
    b.extend_from_slice(uuid::Uuid::new_v4().as_bytes());
    b.extend_from_slice(uuid::Uuid::new_v4().as_bytes());
    base64::engine::general_purpose::STANDARD_NO_PAD.encode(b)
}

fn baton_stream_id(baton: &str) -> Option<u64> {
    let b = base64::engine::general_purpose::STANDARD_NO_PAD.decode(baton).ok()?;
    Some(u64::from_be_bytes(b.get(0..8)?.try_into().ok()?))
}

/// A stream checked out for one pipeline.
pub struct CheckedOut {
    id: u64,
    state: tokio::sync::OwnedMutexGuard<StreamState>,
    arc: Arc<tokio::sync::Mutex<StreamState>>,
}

impl Streams {
    fn sweep(&self) {
        let now = Instant::now();
        let mut open = self.open.lock().unwrap_or_else(PoisonError::into_inner);
        let mut expired = self.expired.lock().unwrap_or_else(PoisonError::into_inner);
        let dead: Vec<u64> = open
            .iter()
            .filter(|(_, s)| now.duration_since(s.last_used) > STREAM_IDLE && Arc::strong_count(&s.state) == 1)
            .map(|(id, _)| *id)
            .collect();
        for id in dead {
            open.remove(&id);
            expired.insert(id, now);
        }
        expired.retain(|_, t| now.duration_since(*t) < STREAM_EXPIRED_MEMORY);
    }

    /// Checks out the stream for `baton` (a new one for `None`).
    pub async fn checkout(&self, baton: Option<&str>) -> Result<CheckedOut, PipelineError> {
        self.sweep();
        let invalid = || PipelineError::Protocol("Received an invalid baton".into());
        let (id, arc) = match baton {
            None => {
                let id = self.next_id.fetch_add(1, Ordering::Relaxed) + 1;
                (id, Arc::new(tokio::sync::Mutex::new(StreamState { conn: None, stored: HashMap::new() })))
            }
            Some(b) => {
                let id = baton_stream_id(b).ok_or_else(invalid)?;
                let mut open = self.open.lock().unwrap_or_else(PoisonError::into_inner);
                match open.get(&id) {
                    Some(slot) if slot.baton == b => {}
                    Some(_) => return Err(invalid()),
                    None => {
                        let expired = self.expired.lock().unwrap_or_else(PoisonError::into_inner);
                        return Err(if expired.contains_key(&id) { PipelineError::StreamExpired } else { invalid() });
                    }
                }
                let slot = open.get_mut(&id).ok_or_else(invalid)?;
                // Single use: the baton is spent now.
                slot.baton = String::new();
                slot.last_used = Instant::now();
                (id, slot.state.clone())
            }
        };
        let state = arc.clone().lock_owned().await;
        Ok(CheckedOut { id, state, arc })
    }

    /// Returns a stream after a pipeline: closed streams are dropped, others get a new baton.
    pub fn checkin(&self, out: CheckedOut, closed: bool) -> Option<String> {
        let CheckedOut { id, state, arc } = out;
        drop(state);
        let mut open = self.open.lock().unwrap_or_else(PoisonError::into_inner);
        if closed {
            open.remove(&id);
            return None;
        }
        let baton = make_baton(id, self.next_id.fetch_add(1, Ordering::Relaxed));
        open.insert(id, StreamSlot { state: arc, baton: baton.clone(), last_used: Instant::now() });
        Some(baton)
    }

    /// Drops a stream after a failed pipeline.
    pub fn discard(&self, out: CheckedOut) {
        let id = out.id;
        drop(out);
        self.open.lock().unwrap_or_else(PoisonError::into_inner).remove(&id);
    }

    /// Number of open streams.
    pub fn len(&self) -> usize {
        self.open.lock().unwrap_or_else(PoisonError::into_inner).len()
    }

    /// Whether no stream is open.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Checks v3-only features on `/v2` (before anything runs, as sqld does).
pub fn check_version(body: &PipelineReqBody, version: Version) -> Result<(), PipelineError> {
    if version == Version::V3 {
        return Ok(());
    }
    for r in &body.requests {
        match r {
            StreamRequest::GetAutocommit => {
                return Err(PipelineError::Protocol(
                    "The `get_autocommit` request is only supported in protocol version hrana3 and higher".into(),
                ))
            }
            StreamRequest::Batch { batch }
                if batch.steps.iter().any(|s| s.condition.as_ref().is_some_and(|c| c.uses_is_autocommit())) =>
            {
                return Err(PipelineError::Protocol(
                    "BatchCond of type `is_autocommit` is only supported in protocol version hrana3 and higher".into(),
                ));
            }
            _ => {}
        }
    }
    Ok(())
}

impl From<ExecError> for PipelineError {
    fn from(e: ExecError) -> Self {
        match e {
            ExecError::Protocol(m) => PipelineError::Protocol(m),
            ExecError::Forbidden => PipelineError::Forbidden,
            ExecError::Internal(m) => PipelineError::Internal(m),
            ExecError::Stmt(e) => PipelineError::Protocol(e.message),
        }
    }
}

/// Runs the requests on a checked-out stream (blocking). Returns the results and whether a `close`
/// ended the stream.
pub fn run_requests(
    primary: &Primary,
    out: &mut CheckedOut,
    requests: &[StreamRequest],
    read_only: bool,
) -> Result<(Vec<StreamResult>, bool), PipelineError> {
    let st = &mut *out.state;
    let mut results = Vec::with_capacity(requests.len());
    let mut closed = false;
    for req in requests {
        if closed {
            // Requests after `close` see a fresh stream in sqld; keep it simple: reopen.
            closed = false;
            st.conn = None;
            st.stored.clear();
        }
        if st.conn.is_none() && !matches!(req, StreamRequest::Close) {
            st.conn = Some(primary.connect().map_err(|e| PipelineError::Internal(e.to_string()))?);
        }
        let res = run_one(primary, st, req, read_only);
        let res = match res {
            Ok(StreamResponse::Close) => {
                closed = true;
                st.conn = None;
                st.stored.clear();
                Ok(StreamResponse::Close)
            }
            other => other,
        };
        match res {
            Ok(response) => results.push(StreamResult::Ok { response }),
            Err(ExecError::Stmt(error)) => results.push(StreamResult::Error { error }),
            Err(e) => return Err(e.into()),
        }
    }
    Ok((results, closed))
}

/// Runs `f` (one statement) holding the statement gate, then captures new commits into the log.
/// Every write path (Hrana, proxy) goes through here.
pub fn run_guarded<T>(primary: &Primary, f: impl FnOnce() -> Result<T, ExecError>) -> Result<T, ExecError> {
    let res = {
        let _gate = primary.gate();
        f()
    };
    primary.capture().map_err(|e| ExecError::Internal(format!("replication log: {e}")))?;
    res
}

fn run_one(
    primary: &Primary,
    st: &mut StreamState,
    req: &StreamRequest,
    read_only: bool,
) -> Result<StreamResponse, ExecError> {
    let conn = match (&st.conn, req) {
        (_, StreamRequest::Close) => return Ok(StreamResponse::Close),
        (Some(c), _) => c,
        (None, _) => return Err(ExecError::Internal("stream without connection".into())),
    };
    match req {
        StreamRequest::Close => Ok(StreamResponse::Close),
        StreamRequest::Execute { stmt } => {
            let mut result: StmtResult = run_guarded(primary, || execute_stmt(conn, stmt, &st.stored, read_only))?;
            result.replication_index = primary.replication_index();
            Ok(StreamResponse::Execute { result })
        }
        StreamRequest::Batch { batch } => {
            let mut result = batch::execute_batch(conn, batch, &st.stored, read_only, |f| run_guarded(primary, f))?;
            result.replication_index = primary.replication_index();
            Ok(StreamResponse::Batch { result })
        }
        StreamRequest::Sequence { sql, sql_id, .. } => {
            let sql = resolve_sql(sql.as_deref(), *sql_id, &st.stored)?.to_owned();
            let mut capture_err = None;
            let res = {
                let _gate = primary.gate();
                sequence(conn, &sql, read_only, || {})
            };
            if let Err(e) = primary.capture() {
                capture_err = Some(e);
            }
            if let Some(e) = capture_err {
                return Err(ExecError::Internal(format!("replication log: {e}")));
            }
            res.map(|()| StreamResponse::Sequence)
        }
        StreamRequest::Describe { sql, sql_id, .. } => {
            let sql = resolve_sql(sql.as_deref(), *sql_id, &st.stored)?;
            Ok(StreamResponse::Describe { result: describe(conn, sql)? })
        }
        StreamRequest::StoreSql { sql_id, sql } => {
            if st.stored.contains_key(sql_id) {
                return Err(ExecError::Protocol(format!("SQL text with id {sql_id} is already stored")));
            }
            if st.stored.len() >= MAX_STORED_SQL {
                return Err(ExecError::Stmt(libsql_edge_protocol::hrana::Error {
                    message: "Too many stored SQL texts".into(),
                    code: "SQL_STORE_TOO_MANY".into(),
                }));
            }
            if sql.len() > MAX_STORED_SQL_LEN {
                return Err(ExecError::Stmt(libsql_edge_protocol::hrana::Error {
                    message: "Stored SQL text is too large".into(),
                    code: "SQL_STORE_TOO_LARGE".into(),
                }));
            }
            st.stored.insert(*sql_id, sql.clone());
            Ok(StreamResponse::StoreSql)
        }
        StreamRequest::CloseSql { sql_id } => {
            st.stored.remove(sql_id);
            Ok(StreamResponse::CloseSql)
        }
        StreamRequest::GetAutocommit => Ok(StreamResponse::GetAutocommit { is_autocommit: conn.is_autocommit() }),
    }
}

/// Builds the response body.
pub fn response_body(baton: Option<String>, results: Vec<StreamResult>) -> PipelineRespBody {
    PipelineRespBody { baton, base_url: None, results }
}
