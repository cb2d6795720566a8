//! Helpers shared by the dev-primary integration tests: a primary in a temp dir, in-process
//! requests through `app()` (or any router under a path prefix, see [`Target`]) with `oneshot`,
//! and fixture paths.
#![allow(dead_code)]

use std::path::PathBuf;
use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, Response};
use axum::Router;
use http_body_util::BodyExt;
use libsql_edge_dev_primary::{app, auth::JwtAuth, AppState, Primary, PrimaryOptions, Shared};
use tower::ServiceExt;

pub fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/fixtures")
}

/// A fresh directory under the system temp dir, removed when dropped.
pub struct TestDir(PathBuf);

impl std::ops::Deref for TestDir {
    type Target = std::path::Path;
    fn deref(&self) -> &std::path::Path {
        &self.0
    }
}

impl AsRef<std::path::Path> for TestDir {
    fn as_ref(&self) -> &std::path::Path {
        &self.0
    }
}

impl Drop for TestDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A fresh directory that lives until the current test's thread ends (libtest runs each test on
/// its own thread), for one-liners such as `open(&scratch_dir(), None)`.
pub fn scratch_dir() -> PathBuf {
    thread_local! {
        static KEEP: std::cell::RefCell<Vec<TestDir>> = const { std::cell::RefCell::new(Vec::new()) };
    }
    let dir = tempdir();
    let path = dir.0.clone();
    KEEP.with(|k| k.borrow_mut().push(dir));
    path
}

pub fn tempdir() -> TestDir {
    let d = std::env::temp_dir().join(format!("dev-primary-test-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&d).unwrap();
    TestDir(d)
}

pub fn open(dir: &std::path::Path, max_log_size: Option<u64>) -> Arc<Primary> {
    let mut o = PrimaryOptions::new(dir);
    o.max_log_size = max_log_size;
    Primary::open(o).unwrap()
}

pub fn state(primary: Arc<Primary>, auth: Option<JwtAuth>) -> AppState {
    Shared::new(primary, auth, true)
}

pub struct Reply {
    pub status: u16,
    pub headers: axum::http::HeaderMap,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&self.body)))
    }
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers.get(name).map(|v| v.to_str().unwrap().to_owned())
    }
}

/// Where in-process requests go: a database's state (served by its own `app`), or a router whose
/// paths all start with a prefix (a namespace: `/ns/NAME`).
pub trait Target {
    fn router(&self) -> Router;
    fn prefix(&self) -> &str {
        ""
    }
}

impl Target for AppState {
    fn router(&self) -> Router {
        app(self.clone())
    }
}

impl<T: Target + ?Sized> Target for &T {
    fn router(&self) -> Router {
        (**self).router()
    }
    fn prefix(&self) -> &str {
        (**self).prefix()
    }
}

/// A router reached under `prefix` (every request path is `prefix` + the usual path).
#[derive(Clone)]
pub struct Prefixed {
    pub router: Router,
    pub prefix: String,
}

impl Target for Prefixed {
    fn router(&self) -> Router {
        self.router.clone()
    }
    fn prefix(&self) -> &str {
        &self.prefix
    }
}

pub async fn call(target: &impl Target, mut req: Request<Body>) -> Reply {
    if !target.prefix().is_empty() {
        let pq = req.uri().path_and_query().map_or("/", |p| p.as_str()).to_owned();
        *req.uri_mut() = format!("{}{pq}", target.prefix()).parse().unwrap();
    }
    let resp: Response<Body> = target.router().oneshot(req).await.unwrap();
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let body = resp.into_body().collect().await.unwrap().to_bytes().to_vec();
    Reply { status, headers, body }
}

pub async fn post(state: &impl Target, path: &str, headers: &[(&str, &str)], body: Vec<u8>) -> Reply {
    let mut b = Request::post(path);
    for (k, v) in headers {
        b = b.header(*k, *v);
    }
    call(state, b.body(Body::from(body)).unwrap()).await
}

pub async fn get(state: &impl Target, path: &str, headers: &[(&str, &str)]) -> Reply {
    let mut b = Request::get(path);
    for (k, v) in headers {
        b = b.header(*k, *v);
    }
    call(state, b.body(Body::empty()).unwrap()).await
}

pub async fn pipeline(state: &impl Target, body: serde_json::Value) -> Reply {
    post(state, "/v2/pipeline", &[("content-type", "application/json")], body.to_string().into_bytes()).await
}

pub async fn exec(state: &impl Target, sql: &str) -> serde_json::Value {
    let r = pipeline(
        state,
        serde_json::json!({"baton": null, "requests": [{"type": "execute", "stmt": {"sql": sql}}, {"type": "close"}]}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    r.json()["results"][0].clone()
}

pub fn grpc_body(msg: &[u8]) -> Vec<u8> {
    libsql_edge_protocol::grpc_web::encode_data_frame(msg)
}

pub async fn grpc(state: &impl Target, method: &str, token: Option<&str>, msg: &[u8]) -> Reply {
    let mut h = vec![("content-type", "application/grpc-web+proto")];
    if let Some(t) = token {
        h.push(("x-session-token", t));
    }
    post(state, &format!("/wal_log.ReplicationLog/{method}"), &h, grpc_body(msg)).await
}

/// Hello; returns the session token and the decoded response.
pub async fn hello(state: &impl Target) -> (String, libsql_edge_protocol::replication_log::HelloResponse) {
    use prost::Message;
    let r = grpc(state, "Hello", None, &[8, 1]).await;
    let (msgs, status) = libsql_edge_protocol::grpc_web::decode_response_body(&r.body).unwrap();
    assert_eq!(status.code, 0);
    let h = libsql_edge_protocol::replication_log::HelloResponse::decode(&msgs[0][..]).unwrap();
    (String::from_utf8(h.session_token.clone()).unwrap(), h)
}

/// Pulls every frame from `from` with BatchLogEntries into a page map (whole transactions only).
pub async fn pull_all(
    state: &impl Target,
    token: &str,
    pages: &mut std::collections::BTreeMap<u32, Vec<u8>>,
    from: u64,
) -> (u64, u32) {
    use libsql_edge_protocol::frame::Frame;
    use libsql_edge_protocol::replication_log::{Frames, LogOffset};
    use prost::Message;
    let mut next = from;
    let mut size = 0;
    let mut prev: Option<u64> = None;
    loop {
        let r = grpc(
            state,
            "BatchLogEntries",
            Some(token),
            &LogOffset { next_offset: next, wal_flavor: None }.encode_to_vec(),
        )
        .await;
        assert_eq!(r.header("grpc-status"), None, "{:?}", r.header("grpc-message"));
        let (msgs, _) = libsql_edge_protocol::grpc_web::decode_response_body(&r.body).unwrap();
        let frames = Frames::decode(&msgs[0][..]).unwrap();
        if frames.frames.is_empty() {
            return (next, size);
        }
        let mut pending = Vec::new();
        for f in frames.frames {
            let f = Frame::decode(&f.data).unwrap();
            assert_eq!(f.header.frame_no, next);
            if let Some(p) = prev {
                assert!(f.verify_checksum(p), "checksum chain broken at {next}");
            }
            prev = Some(f.header.checksum);
            next += 1;
            let commit = f.header.is_commit();
            if commit {
                size = f.header.size_after;
            }
            pending.push(f);
            if commit {
                for f in pending.drain(..) {
                    pages.insert(f.header.page_no, f.page);
                }
                pages.retain(|p, _| *p <= size);
            }
        }
        assert!(pending.is_empty(), "batch must end at a commit");
    }
}

/// The database file's pages after a checkpoint of a copy.
pub fn db_pages(primary: &Primary) -> Vec<Vec<u8>> {
    primary.checkpoint_now().unwrap();
    let conn = primary.connect().unwrap();
    conn.query_row("PRAGMA wal_checkpoint(FULL)", [], |_| Ok(())).unwrap();
    let bytes = std::fs::read(primary.dir().join("data")).unwrap();
    let n: u32 = conn.query_row("PRAGMA page_count", [], |r| r.get(0)).unwrap();
    bytes.chunks(4096).take(n as usize).map(<[u8]>::to_vec).collect()
}

/// Pages rebuilt from replication (page number → bytes) equal the database's pages, in order.
pub fn assert_same_db(pages: &std::collections::BTreeMap<u32, Vec<u8>>, db: &[Vec<u8>]) {
    assert_eq!(pages.len(), db.len(), "page count");
    for (i, p) in db.iter().enumerate() {
        assert!(pages.get(&(i as u32 + 1)) == Some(p), "page {} differs", i + 1);
    }
}
