//! Shaping adds the configured round trip and paces bodies at the configured bandwidth, both
//! directions. Asserted on the proxy's own accounting (what the shape asked for, and what the
//! proxy measured around its sleeps), never on the test's wall clock.

mod common;

use common::{direct, exchange, pipeline_body, End, Harness, LONG};
use libsql_edge_netem::shape::BURST;
use libsql_edge_netem::Shape;

fn ms(v: &serde_json::Value) -> f64 {
    v.as_f64().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn netem_rtt_adds_half_each_way_per_exchange() {
    let h = Harness::start(Shape { rtt_ms: 40.0, ..Default::default() }, &[]).await;
    let body = pipeline_body(&["SELECT 1"]);
    for _ in 0..3 {
        let r = exchange(&h.addr(), None, "POST", "/v2/pipeline", &body, LONG, usize::MAX).await;
        assert_eq!((r.status, r.end), (200, End::Complete));
    }
    let s = h.stats();
    assert_eq!(s["delays"], 6, "one delay for each request and each response head");
    assert_eq!(ms(&s["delay_ms_asked"]), 120.0, "deterministic without jitter");
    assert!(ms(&s["delay_ms_measured"]) >= 120.0, "{s}");
    assert_eq!(s["paced_bodies"], 0, "no bandwidth limit");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn netem_bandwidth_paces_bodies_both_ways() {
    // 8 Mbit/s = 1 byte per microsecond each way.
    let h = Harness::start(Shape { bandwidth_mbit: 8.0, ..Default::default() }, &[]).await;
    let payload = "x".repeat(60_000);
    let body = pipeline_body(&["SELECT zeroblob(100000)", &format!("SELECT '{payload}'")]);
    let want = direct(&h, &body).await;
    let r = exchange(&h.addr(), None, "POST", "/v2/pipeline", &body, LONG, usize::MAX).await;
    assert_eq!(r.end, End::Complete);
    common::assert_same(&r.body, &want);
    let s = h.stats();
    let bytes = (s["bytes_up"].as_u64().unwrap(), s["bytes_down"].as_u64().unwrap());
    assert_eq!(bytes, (body.len() as u64, r.body.len() as u64));
    // Each body's span on the link covers its bytes at the configured rate, less the bucket the
    // link may lend (BURST) and the accounting's microsecond rounding.
    assert_eq!(s["paced_bodies"], 2, "the request body and the response body");
    let floor_ms = (bytes.0 + bytes.1) as f64 / 1000.0 - 2.0 * BURST.as_secs_f64() * 1e3 - 0.01;
    assert!(ms(&s["pace_span_ms"]) >= floor_ms, "{s} vs {floor_ms} ms");
    assert!(ms(&s["throttle_ms_measured"]) > 0.0, "{s}");
    assert_eq!(s["delays"], 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn netem_shape_changes_at_runtime_through_admin() {
    let h = Harness::start(Shape::default(), &[]).await;
    let set = exchange(&h.addr(), None, "PUT", "/__netem/shape", r#"{"rtt_ms": 10}"#, LONG, usize::MAX).await;
    assert_eq!(set.status, 200);
    let r = exchange(&h.addr(), None, "GET", "/health", "", LONG, usize::MAX).await;
    assert_eq!(r.status, 200);
    assert_eq!(ms(&h.stats()["delay_ms_asked"]), 10.0);
    let bad = exchange(&h.addr(), None, "PUT", "/__netem/shape", r#"{"rtt_ms": -1}"#, LONG, usize::MAX).await;
    assert_eq!(bad.status, 400);
}
