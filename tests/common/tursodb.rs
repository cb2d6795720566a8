//! `TursoDb`: a real `tursodb --sync-server` (npm `@tursodatabase/cli-linux-x64-gnu` 0.7.0) on a
//! free loopback port over a fresh database file in a temporary directory, for end-to-end tests of
//! `/pull-updates`. Writes and primary-side reads go through its Hrana `/v2/pipeline` subset:
//! `execute` requests only (tursodb 0.7.0 rejects `close`), integers as strings. The server is
//! killed when the value is dropped.
#![allow(dead_code)]

use std::fs::File;
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use libsql_edge::protocol::hrana::{
    PipelineReqBody, PipelineRespBody, Stmt, StmtResult, StreamRequest, StreamResponse, StreamResult, Value as HValue,
};
use libsql_edge::Value;

/// How long the server may take to accept connections.
const START_TIMEOUT: Duration = Duration::from_secs(10);

/// A running tursodb sync server.
pub struct TursoDb {
    child: Child,
    dir: tempfile::TempDir,
    port: u16,
}

/// The tursodb binary that `npm run setup` installs.
pub fn binary() -> PathBuf {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("node_modules/@tursodatabase/cli-linux-x64-gnu/tursodb");
    if !path.is_file() {
        panic!("{} is missing: run `npm run setup` (scripts/setup.sh installs tursodb 0.7.0)", path.display());
    }
    path
}

impl TursoDb {
    /// Starts a server on a new, empty database and waits until it accepts connections.
    pub fn start() -> TursoDb {
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let log = File::create(dir.path().join("tursodb.log")).unwrap();
        let child = Command::new(binary())
            .arg(dir.path().join("db"))
            .arg("--sync-server")
            .arg(format!("127.0.0.1:{port}"))
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap();
        let mut db = TursoDb { child, dir, port };
        db.wait_ready();
        db
    }

    fn wait_ready(&mut self) {
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, self.port));
        let started = Instant::now();
        loop {
            if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
                return;
            }
            if let Some(status) = self.child.try_wait().unwrap() {
                panic!("tursodb exited with {status} before listening:\n{}", self.log());
            }
            if started.elapsed() > START_TIMEOUT {
                panic!("tursodb did not listen on port {} within {START_TIMEOUT:?}:\n{}", self.port, self.log());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// `http://127.0.0.1:<port>`, no trailing slash.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// What the server printed so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("tursodb.log")).unwrap_or_default()
    }

    /// Runs one statement; panics on any error.
    pub fn execute(&self, sql: &str) -> Vec<Vec<Value>> {
        self.execute_args(sql, &[])
    }

    /// Runs one statement with positional arguments; panics on any error.
    pub fn execute_args(&self, sql: &str, args: &[Value]) -> Vec<Vec<Value>> {
        let stmt = Stmt { sql: Some(sql.to_string()), args: args.iter().map(to_hrana).collect(), ..Default::default() };
        self.pipeline(vec![stmt]).pop().unwrap()
    }

    /// Runs statements in order in one `/v2/pipeline` request (each in autocommit unless the
    /// statements say `BEGIN` / `COMMIT`); panics on any error. Returns each statement's rows.
    pub fn batch(&self, sqls: &[&str]) -> Vec<Vec<Vec<Value>>> {
        self.pipeline(sqls.iter().map(|s| Stmt { sql: Some(s.to_string()), ..Default::default() }).collect())
    }

    fn pipeline(&self, stmts: Vec<Stmt>) -> Vec<Vec<Vec<Value>>> {
        let sqls: Vec<String> = stmts.iter().map(|s| s.sql.clone().unwrap_or_default()).collect();
        let body = PipelineReqBody {
            baton: None,
            requests: stmts.into_iter().map(|stmt| StreamRequest::Execute { stmt }).collect(),
        };
        let response = ureq::post(&format!("{}/v2/pipeline", self.url()))
            .set("content-type", "application/json")
            .send_bytes(&serde_json::to_vec(&body).unwrap());
        let text = match response {
            // Not `into_string`: it stops at 10 MB.
            Ok(r) => std::io::read_to_string(r.into_reader()).unwrap(),
            Err(ureq::Error::Status(code, r)) => panic!("pipeline {sqls:?}: HTTP {code}: {}", r.into_string().unwrap()),
            Err(e) => panic!("pipeline {sqls:?}: {e}"),
        };
        let parsed: PipelineRespBody = serde_json::from_str(&text).unwrap();
        assert_eq!(parsed.results.len(), sqls.len(), "{text}");
        parsed
            .results
            .into_iter()
            .zip(&sqls)
            .map(|(result, sql)| match result {
                StreamResult::Ok { response: StreamResponse::Execute { result } } => rows(result),
                other => panic!("{sql}: {other:?}"),
            })
            .collect()
    }
}

impl Drop for TursoDb {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A loopback port nobody listens on right now.
fn free_port() -> u16 {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap().local_addr().unwrap().port()
}

fn rows(result: StmtResult) -> Vec<Vec<Value>> {
    result.rows.into_iter().map(|row| row.into_iter().map(from_hrana).collect()).collect()
}

fn from_hrana(v: HValue) -> Value {
    match v {
        HValue::Null => Value::Null,
        HValue::Integer { value } => Value::Integer(value),
        HValue::Float { value } => Value::Real(value),
        HValue::Text { value } => Value::Text(value),
        HValue::Blob { value } => Value::Blob(value),
    }
}

fn to_hrana(v: &Value) -> HValue {
    match v {
        Value::Null => HValue::Null,
        Value::Integer(value) => HValue::Integer { value: *value },
        Value::Real(value) => HValue::Float { value: *value },
        Value::Text(value) => HValue::Text { value: value.clone() },
        Value::Blob(value) => HValue::Blob { value: value.clone() },
    }
}
