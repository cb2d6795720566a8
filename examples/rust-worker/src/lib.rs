//! The example Rust Worker: one libsql-edge client per isolate (a `thread_local!` `OnceCell`,
//! created on the first request, so nothing runs at module load). Reads are served from the
//! in-memory replica; writes go to the primary and are read back at once (read-your-writes).
//! `PRIMARY_URL`, `SYNC_INTERVAL` (seconds), and optionally `TIMEOUT_MS` (per call) and
//! `SYNC_PROTOCOL` (`sqld`, `http-sync`, `pull-updates`; detected when unset) come from the
//! environment (wrangler.toml [vars]).
//!
//!   GET  /                      what this Worker does, with curl lines
//!   GET  /query?sql=SELECT...   a statement (read-only ones run on the replica)
//!   POST /write  body: SQL      a write, forwarded to the primary, then read back locally
//!   GET  /sync                  pull from the primary now
//!   GET  /stats                 where reads were served, lag, syncs, memory
//!   GET  /notes[?id=N]          the demo table as typed rows (`rows_as::<Note>()`)
//!   POST /batch?mode=write      body: JSON array of SQL; one atomic batch (`read`: on the replica)
//!   POST /transaction?mode=write[&rollback=1]   body: JSON array of SQL, run in an interactive
//!                               transaction, then committed (or rolled back); `read`: on the replica
//!   GET  /bench?n=&rows=&warm=  n point selects on `bench` timed inside the Worker (benches/rust-worker)
//!
//! A request may send `x-libsql-bookmark` (from an earlier response) to read at least what that
//! request saw; every response carries the session's bookmark and a `server-timing` header.

use std::cell::OnceCell;

use libsql_edge::named_params;
use libsql_edge::worker::{statement, Client, ClientConfig, ResultSet, Session, TxMode};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value as Json};
use worker::url::form_urlencoded;
use worker::wasm_bindgen::JsCast;
use worker::{event, Context, Env, Headers, Method, Request, Response};

const BOOKMARK_HEADER: &str = "x-libsql-bookmark";

thread_local! {
    /// One client, so one replica, per isolate.
    static CLIENT: OnceCell<Client> = const { OnceCell::new() };
}

/// What a route can fail with: the database's errors keep their codes.
enum Failure {
    Db(libsql_edge::Error),
    Worker(worker::Error),
    BadRequest(String),
}

impl From<libsql_edge::Error> for Failure {
    fn from(e: libsql_edge::Error) -> Failure {
        Failure::Db(e)
    }
}

impl From<worker::Error> for Failure {
    fn from(e: worker::Error) -> Failure {
        Failure::Worker(e)
    }
}

type Result<T> = std::result::Result<T, Failure>;

fn client(env: &Env) -> Result<Client> {
    CLIENT.with(|cell| {
        if let Some(client) = cell.get() {
            return Ok(client.clone());
        }
        let number = |name: &str| match env.var(name) {
            Ok(v) => v
                .to_string()
                .parse::<f64>()
                .map(Some)
                .map_err(|_| Failure::BadRequest(format!("{name} is not a number"))),
            Err(_) => Ok(None),
        };
        let config = ClientConfig {
            url: "file:example.db".into(),
            sync_url: Some(env.var("PRIMARY_URL")?.to_string()),
            sync_interval_s: Some(number("SYNC_INTERVAL")?.unwrap_or(5.0)),
            timeout_ms: number("TIMEOUT_MS")?.map(|ms| ms as u32),
            sync_protocol: env.var("SYNC_PROTOCOL").ok().map(|v| v.to_string()),
            ..Default::default()
        };
        let client = Client::open(config)?;
        Ok(cell.get_or_init(|| client).clone())
    })
}

/// A note of the demo database (examples/demo.sql), read with serde.
#[derive(Debug, Deserialize, Serialize)]
struct Note {
    id: i64,
    body: String,
    created_at: String,
}

/// A result set as JSON: `{columns, columnTypes, rows, rowsAffected, lastInsertRowid}`, as
/// `ResultSet.toJSON()` in JS; each row deserialized into a JSON array.
fn result_json(rs: &ResultSet) -> Result<Json> {
    let rows: Vec<Vec<Json>> = rs.rows_as()?;
    Ok(json!({
        "columns": rs.columns,
        "columnTypes": rs.column_types,
        "rows": rows,
        "rowsAffected": rs.rows_affected,
        "lastInsertRowid": rs.last_insert_rowid,
    }))
}

fn replica_json(client: &Client) -> Json {
    json!({ "position": client.position(), "memoryBytes": client.memory_bytes() })
}

fn stats_json(client: &Client) -> Json {
    let s = client.stats();
    let c = &s.counters;
    let by: serde_json::Map<String, Json> = c.remote_by_reason().map(|(r, n)| (r.as_str().into(), n.into())).collect();
    json!({
        "protocol": s.protocol,
        "position": s.position,
        "confirmedAt": s.confirmed_at,
        "lagMs": s.lag_ms,
        "remoteReads": s.remote_reads.map(|r| r.as_str()),
        "syncs": { "started": c.syncs_started, "joined": c.syncs_joined, "takenOver": c.syncs_taken_over,
                   "failed": c.syncs_failed, "lastError": c.last_error },
        "pulled": { "bytes": c.bytes_pulled, "roundTrips": c.round_trips },
        "reads": { "local": c.reads_local, "remote": c.reads_remote_total(), "remoteBy": by },
        "memoryBytes": s.memory_bytes,
        "memoryBudgetBytes": s.memory_budget_bytes,
        "wasmMemoryBytes": client.wasm_memory_bytes(),
    })
}

/// The request's URL: path and query pairs. Read without `Url::parse` (`req.url()`), which would
/// link the `url` crate's IDNA code and tables (155 KB of wasm, 68 KB gzipped) for nothing needed here.
struct Target {
    origin: String,
    path: String,
    query: Vec<(String, String)>,
}

impl Target {
    fn of(req: &Request) -> Target {
        let full = req.inner().url();
        let query = full.split_once('?').map_or("", |(_, q)| q.split('#').next().unwrap_or(""));
        let path = req.path();
        let origin = full.find(path.as_str()).map_or(full.as_str(), |at| &full[..at]).to_string();
        Target { origin, path, query: form_urlencoded::parse(query.as_bytes()).into_owned().collect() }
    }

    fn param(&self, name: &str) -> Option<String> {
        self.query.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
    }

    fn int_param(&self, name: &str, default: u32, max: u32) -> Result<u32> {
        match self.param(name) {
            None => Ok(default),
            Some(v) => v.parse().ok().filter(|n| *n <= max).ok_or_else(|| Failure::BadRequest(format!("bad {name}"))),
        }
    }
}

/// A JSON array of SQL texts from the request body.
async fn sql_list(req: &mut Request) -> Result<Vec<String>> {
    let body = req.text().await?;
    serde_json::from_str(&body).map_err(|e| Failure::BadRequest(format!("body must be a JSON array of SQL: {e}")))
}

/// `?mode=write|read|deferred` (default `write`).
fn mode(url: &Target) -> Result<TxMode> {
    let name = url.param("mode").unwrap_or_else(|| "write".into());
    TxMode::parse(&name).ok_or_else(|| Failure::BadRequest(format!("unknown mode {name:?}")))
}

fn help(url: &Target) -> Result<Response> {
    let origin = &url.origin;
    let text = format!(
        "libsql-edge example Rust Worker: reads from an in-memory replica, writes to the primary.\n\n\
         curl '{origin}/query?sql=SELECT%20*%20FROM%20notes'\n\
         curl -X POST '{origin}/write' --data \"INSERT INTO notes(body) VALUES ('hello from Rust')\"\n\
         curl '{origin}/sync'\n\
         curl '{origin}/stats'\n\
         curl '{origin}/notes'\n"
    );
    Ok(Response::ok(text)?)
}

/// `n` point selects (after `warm` untimed ones) on the benchmark table, each on its own await,
/// the loop timed with the Worker's `performance.now()`: what benches/rust-worker compares with the
/// JS package (benches/workerd/worker.ts `/loop` and `/q`, the same ids from `start` on).
async fn bench(db: &Session, url: &Target) -> Result<Json> {
    let n = url.int_param("n", 2000, 100_000)?;
    let warm = url.int_param("warm", 200, 100_000)?;
    let rows = url.int_param("rows", 1, 1_000_000_000)?.max(1);
    let start = url.int_param("start", 0, 1_000_000_000)?;
    // The same deterministic walk over the ids as benches/workerd/worker.ts.
    let id = |i: u32| 1 + ((u64::from(start) + u64::from(i)) * 7919 + 13) % u64::from(rows);
    let sql = "SELECT id, k, name, val FROM bench WHERE id = ?";
    let mut found = 0;
    for i in 0..warm {
        found += db.execute(sql, (id(i) as i64,)).await?.rows.len();
    }
    let clock = worker::js_sys::global().unchecked_into::<worker::web_sys::WorkerGlobalScope>().performance();
    let now = || clock.as_ref().map_or(0.0, |p| p.now());
    let loop_start = now();
    for i in 0..n {
        let rs = db.execute(sql, (id(warm + i) as i64,)).await?;
        found += rs.iter().filter(|row| row.get::<i64>("id").is_ok()).count();
    }
    let loop_ms = now() - loop_start;
    if found != (warm + n) as usize {
        return Err(Failure::BadRequest(format!("expected {} rows, found {found}", warm + n)));
    }
    Ok(json!({ "n": n, "loopMs": loop_ms, "mean": if n > 0 { loop_ms / f64::from(n) } else { 0.0 } }))
}

async fn route(req: &mut Request, url: &Target, client: &Client, db: &Session) -> Result<Response> {
    match (req.method(), url.path.as_str()) {
        (_, "/") => help(url),
        (_, "/sync") => {
            let s = db.sync().await?;
            let body = json!({
                "protocol": s.protocol.as_str(),
                "framesSynced": s.frames_synced,
                "pagesApplied": s.pages_applied,
                "bytesReceived": s.bytes_received,
                "roundTrips": s.round_trips,
                "durationMs": s.duration_ms,
                "replica": replica_json(client),
            });
            Ok(Response::from_json(&body)?)
        }
        (_, "/query") => {
            let sql = url.param("sql").unwrap_or_else(|| "SELECT 1".into());
            let rs = db.execute(&sql, ()).await?;
            let mut body = result_json(&rs)?;
            body["replica"] = replica_json(client);
            Ok(Response::from_json(&body)?)
        }
        (Method::Post, "/write") => {
            let sql = req.text().await?;
            let rs = db.execute(&sql, ()).await?;
            let body = json!({
                "rowsAffected": rs.rows_affected,
                "lastInsertRowid": rs.last_insert_rowid,
                "replica": replica_json(client),
            });
            Ok(Response::from_json(&body)?)
        }
        (_, "/notes") => {
            let rs = match url.param("id") {
                Some(id) => {
                    let id: i64 = id.parse().map_err(|_| Failure::BadRequest("bad id".into()))?;
                    let sql = "SELECT id, body, created_at FROM notes WHERE id = :id";
                    db.execute(sql, named_params! { ":id": id }).await?
                }
                None => db.execute("SELECT id, body, created_at FROM notes ORDER BY id", ()).await?,
            };
            let notes: Vec<Note> = rs.rows_as()?;
            Ok(Response::from_json(&notes)?)
        }
        (Method::Post, "/batch") => {
            let stmts: Vec<_> = sql_list(req).await?.into_iter().map(|sql| statement(sql, ())).collect();
            let results = db.batch(&stmts, mode(url)?).await?;
            let results = results.iter().map(result_json).collect::<Result<Vec<_>>>()?;
            Ok(Response::from_json(&json!({ "results": results }))?)
        }
        (Method::Post, "/transaction") => {
            let sqls = sql_list(req).await?;
            let tx = db.transaction(mode(url)?).await?;
            let mut results = Vec::new();
            for sql in &sqls {
                // On an error `tx` is dropped here: it rolls back in the background of this request.
                results.push(result_json(&tx.execute(sql, ()).await?)?);
            }
            match url.param("rollback") {
                Some(_) => tx.rollback().await?,
                None => tx.commit().await?,
            }
            Ok(Response::from_json(&json!({ "results": results }))?)
        }
        (_, "/stats") => Ok(Response::from_json(&stats_json(client))?),
        (_, "/bench") => Ok(Response::from_json(&bench(db, url).await?)?),
        _ => Ok(Response::from_json(&json!({ "error": { "message": "not found" } }))?.with_status(404)),
    }
}

fn error_response(failure: Failure) -> worker::Result<Response> {
    let (status, code, message, index) = match failure {
        Failure::Db(e) => {
            // A failed batch names its statement, as LibsqlBatchError's statementIndex.
            let index = match &e {
                libsql_edge::Error::Batch { statement_index, .. } => Some(*statement_index),
                _ => None,
            };
            (500, e.code().to_string(), e.to_string(), index)
        }
        Failure::Worker(e) => (500, "WORKER_ERROR".to_string(), e.to_string(), None),
        Failure::BadRequest(m) => (400, "BAD_REQUEST".to_string(), m, None),
    };
    let error = json!({ "code": code, "message": message, "statementIndex": index });
    Ok(Response::from_json(&json!({ "error": error }))?.with_status(status))
}

#[event(fetch)]
async fn fetch(mut req: Request, env: Env, ctx: Context) -> worker::Result<Response> {
    let url = Target::of(&req);
    let client = match client(&env) {
        Ok(client) => client,
        Err(failure) => return error_response(failure),
    };
    // A session per request: its background syncs go to ctx.wait_until; it reads at least what the
    // caller's bookmark says.
    let session = match req.headers().get(BOOKMARK_HEADER)? {
        Some(bookmark) => client.session(&ctx).with_bookmark(&bookmark),
        None => Ok(client.session(&ctx)),
    };
    let result = match session {
        Ok(db) => route(&mut req, &url, &client, &db).await.map(|r| (r, db.bookmark())),
        Err(e) => Err(Failure::Db(e)),
    };
    match result {
        Ok((response, bookmark)) => {
            let headers = Headers::new();
            headers.set("content-type", "application/json")?;
            headers.set("server-timing", &client.server_timing())?;
            if let Some(bookmark) = bookmark {
                headers.set(BOOKMARK_HEADER, &bookmark)?;
            }
            let response = if url.path == "/" { response } else { response.with_headers(headers) };
            Ok(response)
        }
        Err(failure) => error_response(failure),
    }
}
