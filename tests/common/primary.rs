//! A dev primary (`crates/dev-primary`) serving on a real loopback listener, in this process, for
//! the sync tests; plus row-for-row comparison of a replica with it.
#![allow(dead_code)] // shared by several test binaries, each using a part

use std::path::PathBuf;
use std::sync::Arc;
use std::thread::JoinHandle;

use libsql_edge::{Replica, Value};
use libsql_edge_dev_primary::{app, Primary, PrimaryOptions, Shared};

/// A running dev primary.
pub struct DevPrimary {
    pub url: String,
    pub primary: Arc<Primary>,
    dir: PathBuf,
    _tmp: Option<tempfile::TempDir>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
    options: Options,
    /// Token `execute` sends when the primary requires auth.
    pub token: Option<String>,
}

/// How to start it.
#[derive(Clone, Default)]
pub struct Options {
    /// Serve `/info`, `/export`, `/sync` (Turso HTTP sync).
    pub http_sync: bool,
    /// Compact the log into snapshots past this many bytes.
    pub max_log_size: Option<u64>,
    /// Checkpoint (new HTTP-sync generation) after this many frames.
    pub checkpoint_frames: Option<u64>,
    /// Require JWTs verified with this Ed25519 public key (PEM or base64url text).
    pub auth_key: Option<String>,
}

impl DevPrimary {
    pub fn start(options: Options) -> DevPrimary {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("db");
        let mut p = Self::start_in(dir, options);
        p._tmp = Some(tmp);
        p
    }

    fn start_in(dir: PathBuf, options: Options) -> DevPrimary {
        let mut opts = PrimaryOptions::new(&dir);
        opts.max_log_size = options.max_log_size;
        if let Some(n) = options.checkpoint_frames {
            opts.checkpoint_frames = n;
        }
        let primary = Primary::open(opts).unwrap();
        let auth =
            options.auth_key.as_deref().map(|k| libsql_edge_dev_primary::auth::JwtAuth::from_key_text(k).unwrap());
        let state = Shared::new(primary.clone(), auth, options.http_sync);
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let (ready, port) = std::sync::mpsc::channel();
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
                ready.send(listener.local_addr().unwrap().port()).unwrap();
                axum::serve(listener, app(state))
                    .with_graceful_shutdown(async move {
                        let _ = stopped.await;
                    })
                    .await
                    .unwrap();
            });
        });
        let url = format!("http://127.0.0.1:{}", port.recv().unwrap());
        DevPrimary { url, primary, dir, _tmp: None, stop: Some(stop), thread: Some(thread), options, token: None }
    }

    fn stop_server(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }

    /// Stops the server cleanly and starts a new one on the same data (new session token, new
    /// port). `before_start` may tamper with the data directory in between.
    pub fn restart(mut self, before_start: impl FnOnce(&std::path::Path)) -> DevPrimary {
        self.stop_server();
        self.primary.shutdown().unwrap();
        before_start(&self.dir);
        let mut next = Self::start_in(self.dir.clone(), self.options.clone());
        next._tmp = self._tmp.take();
        next
    }

    /// Runs SQL statements on the primary over Hrana (`/v2/pipeline`), each in autocommit.
    pub fn execute(&self, statements: &[&str]) {
        let mut requests: Vec<serde_json::Value> =
            statements.iter().map(|sql| serde_json::json!({"type": "execute", "stmt": {"sql": sql}})).collect();
        requests.push(serde_json::json!({"type": "close"}));
        let body = serde_json::json!({ "requests": requests });
        let mut call = ureq::post(&format!("{}/v2/pipeline", self.url)).set("content-type", "application/json");
        if let Some(token) = &self.token {
            call = call.set("authorization", &format!("Bearer {token}"));
        }
        let text = call
            .send_string(&body.to_string())
            .unwrap_or_else(|e| panic!("pipeline failed: {e}"))
            .into_string()
            .unwrap();
        let response: serde_json::Value = serde_json::from_str(&text).unwrap();
        for (i, result) in response["results"].as_array().unwrap().iter().enumerate() {
            assert_eq!(result["type"], "ok", "statement {i} failed: {result}");
        }
    }

    /// Every table's rows, ordered by rowid, read from the primary's database.
    pub fn dump(&self) -> Vec<(String, Vec<Vec<Value>>)> {
        let conn = self.primary.connect().unwrap();
        dump_with(|sql| {
            let mut stmt = conn.prepare(sql).unwrap();
            let width = stmt.column_count();
            stmt.query_map([], |r| (0..width).map(|i| r.get_ref(i).map(Value::from)).collect())
                .unwrap()
                .collect::<Result<Vec<Vec<Value>>, _>>()
                .unwrap()
        })
    }
}

impl Drop for DevPrimary {
    fn drop(&mut self) {
        self.stop_server();
    }
}

fn dump_with(mut rows: impl FnMut(&str) -> Vec<Vec<Value>>) -> Vec<(String, Vec<Vec<Value>>)> {
    let tables = rows("SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name");
    let mut out =
        vec![("sqlite_schema".to_string(), rows("SELECT type, name, tbl_name, sql FROM sqlite_schema ORDER BY name"))];
    for t in tables {
        let Value::Text(name) = &t[0] else { panic!("table name {t:?}") };
        out.push((name.clone(), rows(&format!("SELECT * FROM \"{name}\" ORDER BY rowid"))));
    }
    out
}

/// Every table's rows, read from the replica.
pub fn dump_replica(replica: &mut Replica) -> Vec<(String, Vec<Vec<Value>>)> {
    dump_with(|sql| replica.query(sql, &[]).unwrap().rows)
}

/// Asserts the replica equals the primary row for row and passes `PRAGMA integrity_check`.
pub fn assert_replica_matches(replica: &mut Replica, primary: &DevPrimary) {
    let ours = dump_replica(replica);
    let theirs = primary.dump();
    assert_eq!(ours.len(), theirs.len(), "tables differ");
    for ((name, a), (_, b)) in ours.iter().zip(&theirs) {
        assert_eq!(a.len(), b.len(), "row count of {name}");
        assert!(a == b, "rows of {name} differ");
    }
    let check = replica.query("PRAGMA integrity_check", &[]).unwrap();
    assert_eq!(check.rows, vec![vec![Value::Text("ok".into())]]);
}
