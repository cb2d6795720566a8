//! Each fault kind does what it says, seen by a raw client through the proxy in front of a real
//! dev primary; and the rule triggers and admin endpoints work.

mod common;

use std::time::{Duration, Instant};

use common::{assert_prefix, assert_same, direct, exchange, pipeline_body, End, Harness, LONG};
use libsql_edge_netem::Shape;

/// A response of about 133 KB: a 100,000-byte blob, base64 in Hrana JSON.
fn big() -> String {
    pipeline_body(&["SELECT zeroblob(100000)"])
}

async fn post(h: &Harness, body: &str, probe: Duration) -> common::Reply {
    exchange(&h.addr(), None, "POST", "/v2/pipeline", body, probe, usize::MAX).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn netem_without_rules_forwards_bytes_unchanged_and_counts_them() {
    let h = Harness::start(Shape::default(), &[]).await;
    let want = direct(&h, &big()).await;
    let reply = post(&h, &big(), LONG).await;
    assert_eq!((reply.status, reply.end), (200, End::Complete));
    assert_same(&reply.body, &want);
    let s = h.stats();
    assert_eq!(s["requests"], 1);
    assert_eq!(s["bytes_down"], reply.body.len());
    assert_eq!(s["bytes_up"], big().len());
    assert_eq!(s["faults_total"], 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn netem_drop_closes_mid_body_then_passes_the_next_request() {
    let h = Harness::start(Shape::default(), &["kind=drop after=1000 count=1"]).await;
    let want = direct(&h, &big()).await;
    let cut = post(&h, &big(), LONG).await;
    assert_eq!((cut.status, cut.end), (200, End::Eof));
    assert!(cut.content_length().unwrap() > 100_000, "the head is the upstream's");
    assert_prefix(&cut.body, &want, 1000);
    let next = post(&h, &big(), LONG).await;
    assert_eq!(next.end, End::Complete);
    assert_same(&next.body, &want);
    assert_eq!(h.stats()["faults"]["drop"], 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn netem_truncate_honest_sends_a_short_well_formed_body() {
    let h = Harness::start(Shape::default(), &["kind=truncate after=50 count=1"]).await;
    let want = direct(&h, &big()).await;
    let cut = post(&h, &big(), LONG).await;
    assert_eq!((cut.status, cut.end, cut.content_length()), (200, End::Complete, Some(50)));
    assert_prefix(&cut.body, &want, 50);
    // The connection stays usable: the next request on it gets the whole answer.
    let next = exchange(&h.addr(), cut.stream, "POST", "/v2/pipeline", &big(), LONG, usize::MAX).await;
    assert_eq!(next.end, End::Complete);
    assert_same(&next.body, &want);
    assert_eq!(h.stats()["faults"]["truncate"], 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn netem_truncate_lie_keeps_the_full_content_length_and_closes() {
    let h = Harness::start(Shape::default(), &["kind=truncate after=50 lie=true"]).await;
    let want = direct(&h, &big()).await;
    let cut = post(&h, &big(), LONG).await;
    assert_eq!((cut.status, cut.end), (200, End::Eof));
    assert!(cut.content_length().unwrap() > 100_000, "the whole body's length");
    assert_prefix(&cut.body, &want, 50);
    assert_eq!(h.stats()["faults"]["truncate_lie"], 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn netem_delay_holds_the_body_back_then_sends_all_of_it() {
    let h = Harness::start(Shape::default(), &["kind=delay ms=400"]).await;
    let want = direct(&h, &big()).await;
    let sent = Instant::now();
    let reply = post(&h, &big(), LONG).await;
    // A lower bound only: the proxy cannot have finished the body before it waited.
    assert!(sent.elapsed() >= Duration::from_millis(400));
    assert_eq!(reply.end, End::Complete);
    assert_same(&reply.body, &want);
    assert_eq!(h.stats()["faults"]["delay"], 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn netem_stall_sends_head_and_prefix_then_nothing_on_an_open_connection() {
    let h = Harness::start(Shape::default(), &["kind=stall after=10 ms=600000"]).await;
    let want = direct(&h, &big()).await;
    let reply = post(&h, &big(), Duration::from_millis(300)).await;
    assert_eq!((reply.status, reply.end), (200, End::Quiet), "open, silent");
    assert_prefix(&reply.body, &want, 10);
    assert_eq!(h.stats()["faults"]["stall"], 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn netem_status_answers_5xx_and_forwards_only_when_asked() {
    let h = Harness::start(
        Shape::default(),
        &["kind=status status=503 count=1", "kind=status status=500 forward=true count=1"],
    )
    .await;
    let _ = direct(&h, &pipeline_body(&["CREATE TABLE t(x)"])).await;
    let insert = pipeline_body(&["INSERT INTO t VALUES (1)"]);
    let first = post(&h, &insert, LONG).await;
    assert_eq!((first.status, first.end), (503, End::Complete));
    assert_eq!(h.count("SELECT count(*) FROM t"), 0, "not forwarded");
    let second = post(&h, &insert, LONG).await;
    assert_eq!((second.status, second.end), (500, End::Complete));
    assert_eq!(h.count("SELECT count(*) FROM t"), 1, "forwarded, answer replaced");
    let third = post(&h, &insert, LONG).await;
    assert_eq!(third.status, 200);
    assert_eq!(h.count("SELECT count(*) FROM t"), 2);
    assert_eq!(h.stats()["faults"]["status"], 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn netem_reset_before_the_answer_sends_rst_and_forwards_nothing() {
    let h = Harness::start(Shape::default(), &["kind=reset count=1"]).await;
    let _ = direct(&h, &pipeline_body(&["CREATE TABLE t(x)"])).await;
    let reply = post(&h, &pipeline_body(&["INSERT INTO t VALUES (1)"]), LONG).await;
    assert_eq!((reply.end, reply.body.len()), (End::Reset, 0));
    assert_eq!(h.count("SELECT count(*) FROM t"), 0);
    assert_eq!(h.stats()["faults"]["reset"], 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn netem_reset_mid_body_sends_rst_after_the_prefix() {
    let h = Harness::start(Shape::default(), &["kind=reset after=1000"]).await;
    let reply = post(&h, &big(), LONG).await;
    assert_eq!(reply.end, End::Reset);
    assert!(reply.body.len() <= 1000, "{} body bytes", reply.body.len());
    assert_eq!(h.stats()["faults"]["reset"], 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn netem_endless_body_keeps_coming_past_the_real_one() {
    let h = Harness::start(Shape::default(), &["kind=endless limit=100000000"]).await;
    let want = direct(&h, &big()).await;
    let reply = exchange(&h.addr(), None, "POST", "/v2/pipeline", &big(), LONG, 2_000_000).await;
    assert_eq!((reply.status, reply.end), (200, End::Limit));
    assert_eq!(reply.content_length(), None);
    assert_eq!(reply.header("transfer-encoding"), Some("chunked"));
    assert!(reply.body.len() >= 2_000_000 && want.len() < 200_000);
    assert_eq!(h.stats()["faults"]["endless"], 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn netem_rules_match_by_path_and_method_and_every_nth() {
    let h = Harness::start(Shape::default(), &["kind=status status=502 path=/v2/pipeline method=POST every=2"]).await;
    let body = pipeline_body(&["SELECT 1"]);
    let mut statuses = Vec::new();
    for _ in 0..4 {
        statuses.push(post(&h, &body, LONG).await.status);
    }
    assert_eq!(statuses, [200, 502, 200, 502]);
    let health = exchange(&h.addr(), None, "GET", "/health", "", LONG, usize::MAX).await;
    assert_eq!(health.status, 200, "other paths never match");
    let probe = exchange(&h.addr(), None, "POST", "/v2", "", LONG, usize::MAX).await;
    assert_ne!(probe.status, 502, "a path prefix of the rule's path does not match");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn netem_admin_sets_rules_at_runtime_and_reports_counters() {
    let h = Harness::start(Shape::default(), &[]).await;
    let body = pipeline_body(&["SELECT 1"]);
    let set = exchange(
        &h.addr(),
        None,
        "PUT",
        "/__netem/rules",
        r#"[{"kind":"status","status":504,"count":1}]"#,
        LONG,
        usize::MAX,
    )
    .await;
    assert_eq!(set.status, 200, "{}", String::from_utf8_lossy(&set.body));
    assert_eq!(post(&h, &body, LONG).await.status, 504);
    assert_eq!(post(&h, &body, LONG).await.status, 200);
    let rules = exchange(&h.addr(), None, "GET", "/__netem/rules", "", LONG, usize::MAX).await;
    let rules: serde_json::Value = serde_json::from_slice(&rules.body).unwrap();
    assert_eq!((rules[0]["matched"].as_u64(), rules[0]["fired"].as_u64()), (Some(2), Some(1)));
    let stats = exchange(&h.addr(), None, "GET", "/__netem/stats", "", LONG, usize::MAX).await;
    let stats: serde_json::Value = serde_json::from_slice(&stats.body).unwrap();
    assert_eq!(stats["requests"], 2, "admin requests are not proxied requests");
    assert_eq!(stats["faults"]["status"], 1);
    let bad = exchange(&h.addr(), None, "POST", "/__netem/rules", "kind=explode", LONG, usize::MAX).await;
    assert_eq!(bad.status, 400);
    let cleared = exchange(&h.addr(), None, "DELETE", "/__netem/stats", "", LONG, usize::MAX).await;
    let cleared: serde_json::Value = serde_json::from_slice(&cleared.body).unwrap();
    assert_eq!(cleared["requests"], 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn netem_unreachable_upstream_answers_502() {
    let h = Harness::start(Shape::default(), &[]).await;
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dead = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let netem = libsql_edge_netem::start(
        tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap(),
        libsql_edge_netem::Config { upstream: dead, shape: Shape::default(), rules: vec![] },
    )
    .unwrap();
    let reply = exchange(netem.url.trim_start_matches("http://"), None, "GET", "/health", "", LONG, usize::MAX).await;
    assert_eq!(reply.status, 502);
    assert_eq!(netem.proxy.stats.to_json()["upstream_errors"], 1);
    drop(h);
}
