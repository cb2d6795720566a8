//! Namespaces (`--namespaces`): `/ns/{name}/...` is served by database `name`, opened once on first
//! use; data and replication (gRPC `BatchLogEntries` / `LogEntries`, HTTP sync) are per namespace;
//! bad names are 400; unprefixed paths keep serving the default database.

mod common;

use std::collections::BTreeMap;
use std::sync::Arc;

use common::*;
use http_body_util::BodyExt;
use libsql_edge_dev_primary::auth::JwtAuth;
use libsql_edge_dev_primary::{app_with_namespaces, Namespaces, PrimaryOptions};
use libsql_edge_protocol::frame::Frame;
use libsql_edge_protocol::replication_log::{Frame as PbFrame, LogOffset};
use prost::Message;
use tower::ServiceExt;

/// A default database and namespaces over `dir`, as `--namespaces` serves them.
struct Server {
    namespaces: Arc<Namespaces>,
    default: Prefixed,
}

impl Server {
    fn new(dir: &std::path::Path, auth: Option<JwtAuth>) -> Self {
        let st = state(open(dir, None), auth.clone());
        let namespaces = Namespaces::new(PrimaryOptions::new(dir), auth, true);
        let router = app_with_namespaces(st, namespaces.clone());
        Self { namespaces, default: Prefixed { router, prefix: String::new() } }
    }

    fn ns(&self, name: &str) -> Prefixed {
        Prefixed { router: self.default.router.clone(), prefix: format!("/ns/{name}") }
    }

    fn primary(&self, name: &str) -> Arc<libsql_edge_dev_primary::Primary> {
        self.namespaces.get_open(name).expect("namespace open").primary.clone()
    }
}

fn rows(result: &serde_json::Value) -> Vec<String> {
    result["response"]["result"]["rows"]
        .as_array()
        .unwrap_or_else(|| panic!("no rows: {result}"))
        .iter()
        .map(|r| r[0]["value"].as_str().unwrap().to_owned())
        .collect()
}

async fn workload(t: &impl Target, tag: &str, rows: usize) {
    exec(t, "CREATE TABLE IF NOT EXISTS items (id INTEGER PRIMARY KEY, tag TEXT, data BLOB)").await;
    for i in 0..rows {
        exec(t, &format!("INSERT INTO items (tag, data) VALUES ('{tag}', randomblob({}))", 200 + i * 300)).await;
    }
}

#[tokio::test]
async fn namespaces_hold_different_data_and_the_unprefixed_path_serves_the_default() {
    let dir = tempdir();
    let srv = Server::new(&dir, None);
    let (a, b, default) = (srv.ns("tenant-a"), srv.ns("Tenant_B"), srv.default.clone());
    exec(&default, "CREATE TABLE t (v TEXT)").await;
    exec(&default, "INSERT INTO t VALUES ('default')").await;
    exec(&a, "CREATE TABLE t (v TEXT)").await;
    exec(&a, "INSERT INTO t VALUES ('a1'), ('a2')").await;
    exec(&b, "CREATE TABLE t (v TEXT)").await;
    exec(&b, "INSERT INTO t VALUES ('b1')").await;
    assert_eq!(rows(&exec(&a, "SELECT v FROM t ORDER BY v").await), ["a1", "a2"]);
    assert_eq!(rows(&exec(&b, "SELECT v FROM t ORDER BY v").await), ["b1"]);
    assert_eq!(rows(&exec(&default, "SELECT v FROM t ORDER BY v").await), ["default"]);

    // A write to one is invisible to the others, through both Hrana versions.
    let r = post(
        &a,
        "/v3/pipeline",
        &[("content-type", "application/json")],
        serde_json::json!({"requests": [{"type": "execute", "stmt": {"sql": "CREATE TABLE only_a (x)"}}]})
            .to_string()
            .into_bytes(),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    for other in [&b, &default] {
        let r = exec(other, "SELECT count(*) FROM only_a").await;
        assert_eq!(r["type"], "error", "{r}");
        assert!(r["error"]["message"].as_str().unwrap().contains("no such table"), "{r}");
    }
    assert_eq!(rows(&exec(&a, "SELECT count(*) FROM only_a").await), ["0"]);

    // On disk: DIR/ns/NAME/, the default database where it always was.
    assert!(dir.join("ns/tenant-a/data").exists() && dir.join("ns/Tenant_B/wallog").exists());
    assert!(dir.join("data").exists());
    assert_eq!(srv.namespaces.stats().open, 2);

    // Unprefixed paths are the default database's routes; only `/ns/` is taken.
    assert_eq!(get(&default, "/health", &[]).await.status, 200);
    assert_eq!(get(&a, "/health", &[]).await.status, 200);
    assert_eq!(get(&default, "/nsx/v2/pipeline", &[]).await.status, 404);
    assert_eq!(get(&a, "/no-such-route", &[]).await.status, 404);
    let r = get(&a, "/info", &[]).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("access-control-allow-origin").as_deref(), Some("*"));
}

#[tokio::test]
async fn without_namespaces_the_prefix_is_an_unknown_path() {
    let st = state(open(&scratch_dir(), None), None);
    let r = pipeline(
        &Prefixed { router: libsql_edge_dev_primary::app(st), prefix: "/ns/a".into() },
        serde_json::json!({"requests": []}),
    )
    .await;
    assert_eq!(r.status, 404);
}

#[tokio::test]
async fn grpc_replication_of_each_namespace_returns_its_own_frames() {
    let dir = tempdir();
    let srv = Server::new(&dir, None);
    let (a, b) = (srv.ns("a"), srv.ns("b"));
    workload(&a, "a", 30).await;
    workload(&b, "b", 7).await;
    exec(&b, "DELETE FROM items WHERE id % 2 = 0").await;

    let (token_a, hello_a) = hello(&a).await;
    let (token_b, hello_b) = hello(&b).await;
    let (_, hello_default) = hello(&srv.default).await;
    assert_ne!(hello_a.log_id, hello_b.log_id);
    assert_ne!(hello_a.log_id, hello_default.log_id);
    assert_ne!(hello_a.current_replication_index, hello_b.current_replication_index);
    assert_eq!(hello_default.current_replication_index, None, "the default database saw no write");

    for (t, token, hello, name) in [(&a, &token_a, &hello_a, "a"), (&b, &token_b, &hello_b, "b")] {
        let mut pages = BTreeMap::new();
        let (next, _) = pull_all(t, token, &mut pages, 0).await;
        assert_eq!(Some(next - 1), hello.current_replication_index, "{name}");
        assert_same_db(&pages, &db_pages(&srv.primary(name)));
    }

    // Each namespace has its own session: a's token means nothing to b.
    let r = grpc(&b, "BatchLogEntries", Some(&token_a), &[]).await;
    assert_eq!(r.header("grpc-message").as_deref(), Some("NO_HELLO"));

    // LogEntries (streaming): the first chunk from 0 is a's first frames, not b's.
    let first_a = log_entries_first_chunk(&a, &token_a).await;
    let first_b = log_entries_first_chunk(&b, &token_b).await;
    for (first, t, token) in [(&first_a, &a, &token_a), (&first_b, &b, &token_b)] {
        let batch = batch_frames(t, token).await;
        assert!(!first.is_empty() && first.len() <= batch.len());
        assert!(first[..] == batch[..first.len()], "LogEntries and BatchLogEntries agree");
        assert_eq!(first[0].header.frame_no, 0);
    }
    assert!(first_a != first_b);
}

/// Frames of `BatchLogEntries` from 0.
async fn batch_frames(t: &impl Target, token: &str) -> Vec<Frame> {
    let r =
        grpc(t, "BatchLogEntries", Some(token), &LogOffset { next_offset: 0, wal_flavor: None }.encode_to_vec()).await;
    let (msgs, _) = libsql_edge_protocol::grpc_web::decode_response_body(&r.body).unwrap();
    let frames = libsql_edge_protocol::replication_log::Frames::decode(&msgs[0][..]).unwrap();
    frames.frames.iter().map(|f| Frame::decode(&f.data).unwrap()).collect()
}

/// The first body chunk of a `LogEntries` stream from 0 (the stream itself never ends).
async fn log_entries_first_chunk(t: &Prefixed, token: &str) -> Vec<Frame> {
    let req = axum::http::Request::post(format!("{}/wal_log.ReplicationLog/LogEntries", t.prefix))
        .header("content-type", "application/grpc-web+proto")
        .header("x-session-token", token)
        .body(axum::body::Body::from(grpc_body(&LogOffset { next_offset: 0, wal_flavor: None }.encode_to_vec())))
        .unwrap();
    let resp = t.router.clone().oneshot(req).await.unwrap();
    assert_eq!(resp.headers().get("grpc-status"), None);
    let mut body = resp.into_body();
    let chunk = body.frame().await.unwrap().unwrap().into_data().unwrap();
    let mut rest = &chunk[..];
    let mut frames = Vec::new();
    while !rest.is_empty() {
        assert_eq!(rest[0], 0, "a data frame");
        let len = u32::from_be_bytes(rest[1..5].try_into().unwrap()) as usize;
        frames.push(Frame::decode(&PbFrame::decode(&rest[5..5 + len]).unwrap().data).unwrap());
        rest = &rest[5 + len..];
    }
    frames
}

#[tokio::test]
async fn http_sync_of_each_namespace_exports_and_syncs_its_own_database() {
    use libsql_edge_protocol::wal_frame::WalFrame;
    let dir = tempdir();
    let srv = Server::new(&dir, None);
    let (a, b) = (srv.ns("a"), srv.ns("b"));
    workload(&a, "a", 12).await;
    workload(&b, "b", 3).await;
    srv.primary("a").checkpoint_now().unwrap();
    workload(&a, "a", 5).await;
    workload(&b, "b", 2).await;
    for (t, name) in [(&a, "a"), (&b, "b")] {
        let g = get(t, "/info", &[]).await.json()["current_generation"].as_u64().unwrap();
        let export = get(t, &format!("/export/{g}"), &[]).await;
        assert_eq!(export.status, 200, "{name}");
        let mut pages: BTreeMap<u32, Vec<u8>> =
            export.body.chunks(4096).enumerate().map(|(i, p)| (i as u32 + 1, p.to_vec())).collect();
        let mut next = 1;
        loop {
            let r = get(t, &format!("/sync/{g}/{next}/{}", next + 64), &[]).await;
            if r.status == 400 {
                assert_eq!(r.json()["generation"].as_u64(), Some(g), "{name}");
                break;
            }
            assert_eq!(r.status, 200, "{name}");
            let frames = WalFrame::decode_many(&r.body, 4096).unwrap();
            for f in &frames {
                pages.insert(f.header.page_no, f.page.clone());
                if f.header.is_commit() {
                    let size = f.header.db_size;
                    pages.retain(|p, _| *p <= size);
                }
            }
            next += frames.len() as u64;
        }
        assert_same_db(&pages, &db_pages(&srv.primary(name)));
    }
}

#[tokio::test]
async fn concurrent_first_requests_for_a_new_name_open_it_once() {
    let dir = tempdir();
    let srv = Server::new(&dir, None);
    let n = 24;
    let hold = srv.namespaces.hold_opens().await;
    let mut tasks = Vec::new();
    for i in 0..n {
        let t = srv.ns("fresh");
        tasks.push(tokio::spawn(async move {
            let sql = format!("CREATE TABLE IF NOT EXISTS t (x); INSERT INTO t VALUES ({i});");
            let r =
                pipeline(&t, serde_json::json!({"requests": [{"type": "sequence", "sql": sql}, {"type": "close"}]}))
                    .await;
            assert_eq!(r.status, 200, "{}", r.text());
            assert_eq!(r.json()["results"][0]["type"], "ok", "{}", r.text());
        }));
    }
    // Every request has found the name not yet open and waits; none has opened it.
    while srv.namespaces.stats().waits < n {
        tokio::task::yield_now().await;
    }
    assert_eq!(srv.namespaces.stats().opens, 0);
    drop(hold);
    for t in tasks {
        t.await.unwrap();
    }
    let stats = srv.namespaces.stats();
    assert_eq!((stats.opens, stats.open), (1, 1), "{stats:?}");
    assert_eq!(rows(&exec(&srv.ns("fresh"), "SELECT count(*) FROM t").await), [n.to_string()]);
    assert_eq!(srv.namespaces.stats().waits, n, "an open namespace is served without waiting");
}

#[tokio::test]
async fn bad_names_are_400_with_a_json_error_and_create_nothing() {
    let dir = tempdir();
    let srv = Server::new(&dir, None);
    let long = "x".repeat(65);
    let paths = [
        "/ns".to_owned(),
        "/ns/".to_owned(),
        "/ns//v2/pipeline".to_owned(),
        "/ns/a.b/v2/pipeline".to_owned(),
        "/ns/../v2/pipeline".to_owned(),
        "/ns/a%2Fb/v2/pipeline".to_owned(),
        "/ns/%D1%82/v2/pipeline".to_owned(),
        "/ns/a%20b/v2/pipeline".to_owned(),
        format!("/ns/{long}/v2/pipeline"),
    ];
    for path in &paths {
        let r = post(&srv.default, path, &[("content-type", "application/json")], b"{\"requests\":[]}".to_vec()).await;
        assert_eq!(r.status, 400, "{path}: {}", r.text());
        assert_eq!(r.header("content-type").as_deref(), Some("application/json"), "{path}");
        let msg = r.json()["error"].as_str().unwrap().to_owned();
        assert!(msg.starts_with("invalid namespace name"), "{path}: {msg}");
    }
    assert_eq!(srv.namespaces.stats(), Default::default());
    assert!(!dir.join("ns").exists(), "nothing was created");
    // The longest valid name, and every allowed character.
    let max = format!("{}-_09AZaz", "n".repeat(64 - 8));
    assert_eq!(rows(&exec(&srv.ns(&max), "SELECT 1").await), ["1"]);
    assert!(dir.join("ns").join(&max).join("data").exists());
}

#[tokio::test]
async fn with_auth_a_request_without_a_valid_token_is_refused_and_opens_nothing() {
    let pem = std::fs::read_to_string(fixtures().join("sqld-0.24.33/auth/jwt_pub.pem")).unwrap();
    let dir = tempdir();
    let srv = Server::new(&dir, Some(JwtAuth::from_key_text(&pem).unwrap()));
    let a = srv.ns("a");
    let r = pipeline(&a, serde_json::json!({"requests": []})).await;
    assert_eq!(r.status, 401);
    assert_eq!(r.json()["error"], "Unauthorized: `Expected authorization header but none given`");
    let r = post(&a, "/v2/pipeline", &[("authorization", "Bearer not.a.jwt")], b"{\"requests\":[]}".to_vec()).await;
    assert_eq!(r.status, 401);
    let r = grpc(&a, "Hello", None, &[8, 1]).await;
    assert_eq!(r.header("grpc-status").as_deref(), Some("13"));
    assert_eq!(srv.namespaces.stats().opens, 0);
    assert!(!dir.join("ns").exists());

    // The namespace has the default database's auth: a valid token writes, a read-only one reads.
    let tokens: serde_json::Value =
        serde_json::from_slice(&std::fs::read(fixtures().join("sqld-0.24.33/auth/tokens.json")).unwrap()).unwrap();
    let rw = format!("Bearer {}", tokens["tokens"]["valid_rw"].as_str().unwrap());
    let ro = format!("Bearer {}", tokens["tokens"]["valid_ro"].as_str().unwrap());
    let body = |sql: &str| {
        serde_json::json!({"requests": [{"type": "execute", "stmt": {"sql": sql}}, {"type": "close"}]})
            .to_string()
            .into_bytes()
    };
    let r = post(&a, "/v2/pipeline", &[("authorization", &rw)], body("CREATE TABLE t (x)")).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let r = post(&a, "/v2/pipeline", &[("authorization", &ro)], body("INSERT INTO t VALUES (1)")).await;
    assert_eq!(r.status, 403, "{}", r.text());
    let r = post(&a, "/v2/pipeline", &[("authorization", &ro)], body("SELECT count(*) FROM t")).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(srv.namespaces.stats().opens, 1);
}

/// One Hrana pipeline over a fresh HTTP/1.1 connection to a real process; the JSON reply.
fn http_pipeline(addr: &str, path: &str, sql: &str) -> serde_json::Value {
    use std::io::{Read, Write};
    let body =
        serde_json::json!({"requests": [{"type": "execute", "stmt": {"sql": sql}}, {"type": "close"}]}).to_string();
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    write!(
        s,
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut response = String::new();
    s.read_to_string(&mut response).unwrap();
    let (head, json) = response.split_once("\r\n\r\n").unwrap();
    assert!(head.starts_with("HTTP/1.1 200"), "{head}\n{json}");
    serde_json::from_str::<serde_json::Value>(json).unwrap()["results"][0].clone()
}

#[test]
fn the_binary_with_namespaces_seeds_only_the_default_and_keeps_acknowledged_namespace_writes() {
    use std::io::BufRead;
    let dir = tempdir();
    let seed = dir.join("seed.sql");
    std::fs::write(&seed, "CREATE TABLE s(x); INSERT INTO s VALUES (1), (2);").unwrap();
    let db = dir.join("db");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_libsql-edge-primary"))
        .args(["--db", db.to_str().unwrap(), "--listen", "127.0.0.1:0", "--namespaces"])
        .args(["--seed", seed.to_str().unwrap()])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let addr = line.trim().strip_prefix("http://").unwrap().to_owned();

    assert_eq!(rows(&http_pipeline(&addr, "/v2/pipeline", "SELECT count(*) FROM s")), ["2"]);
    let r = http_pipeline(&addr, "/ns/t1/v2/pipeline", "SELECT count(*) FROM s");
    assert!(r["error"]["message"].as_str().unwrap().contains("no such table"), "{r}");
    http_pipeline(&addr, "/ns/t1/v3/pipeline", "CREATE TABLE u (x)");
    http_pipeline(&addr, "/ns/t1/v2/pipeline", "INSERT INTO u VALUES (42)");
    child.kill().unwrap(); // SIGKILL: no clean shutdown
    child.wait().unwrap();

    // Reopened in process, the namespace holds its acknowledged writes and its log rebuilds it.
    let p = open(&db.join("ns/t1"), None);
    let n: i64 = p.connect().unwrap().query_row("SELECT x FROM u", [], |r| r.get(0)).unwrap();
    assert_eq!(n, 42);
    let (pages, _) = p.log.pages_at(p.replication_index()).unwrap();
    assert_eq!(pages.into_values().collect::<Vec<_>>(), db_pages(&p));
}
