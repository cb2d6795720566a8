//! A real listener on port 0, and the binary's wrapper mode.

mod common;

use common::*;
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioExecutor;

#[tokio::test]
async fn real_listener_on_port_zero_serves_hrana() {
    let st = state(open(&scratch_dir(), None), None);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, libsql_edge_dev_primary::app(st)).await });
    let client = hyper_util::client::legacy::Client::builder(TokioExecutor::new()).build_http::<Full<bytes::Bytes>>();
    let body = r#"{"baton":null,"requests":[{"type":"execute","stmt":{"sql":"SELECT 42"}},{"type":"close"}]}"#;
    let req = hyper::Request::post(format!("http://{addr}/v2/pipeline"))
        .header("content-type", "application/json")
        .body(Full::new(bytes::Bytes::from(body)))
        .unwrap();
    let resp = client.request(req).await.unwrap();
    assert_eq!(resp.status(), 200);
    let bytes = resp.into_body().collect().await.unwrap().to_bytes();
    let v: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(v["results"][0]["response"]["result"]["rows"][0][0]["value"], "42");
}

#[test]
fn wrapper_mode_runs_the_command_with_primary_url_and_returns_its_code() {
    let dir = tempdir();
    let seed = dir.join("seed.sql");
    std::fs::write(&seed, "CREATE TABLE s(x); INSERT INTO s VALUES (1), (2);").unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_libsql-edge-primary"))
        .args(["--db", dir.join("db").to_str().unwrap(), "--listen", "127.0.0.1:0", "--seed", seed.to_str().unwrap()])
        .args(["--", "sh", "-c", "echo \"got $PRIMARY_URL\"; exit 7"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let mut lines = stdout.lines();
    let url = lines.next().unwrap();
    assert!(url.starts_with("http://127.0.0.1:"), "{stdout}");
    assert_eq!(lines.next(), Some(format!("got {url}").as_str()));
    assert_eq!(out.status.code(), Some(7));
    // The seed landed in the log: reopening shows it.
    let p = open(&dir.join("db"), None);
    assert!(p.replication_index().is_some());
    let n: i64 = p.connect().unwrap().query_row("SELECT count(*) FROM s", [], |r| r.get(0)).unwrap();
    assert_eq!(n, 2);
}
