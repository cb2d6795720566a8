//! `primary-bench`: loopback throughput of the dev primary (figures, not a test).
//! Starts the server in process on port 0 with a temp database, then measures
//! BatchLogEntries frames/second (pulling a ~20 MB log from 0) and Hrana `execute` requests/second
//! (`SELECT` on one keep-alive connection, then 4 concurrent connections).
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

use std::time::Instant;

use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioExecutor;
use libsql_edge_dev_primary::{app, Primary, PrimaryOptions, Shared};
use libsql_edge_protocol::grpc_web;
use libsql_edge_protocol::replication_log::{Frames, HelloResponse, LogOffset};
use prost::Message;

type Client =
    hyper_util::client::legacy::Client<hyper_util::client::legacy::connect::HttpConnector, Full<bytes::Bytes>>;
type BoxError = Box<dyn std::error::Error + Send + Sync>;

async fn post(client: &Client, url: &str, headers: &[(&str, &str)], body: Vec<u8>) -> Result<Vec<u8>, BoxError> {
    let mut b = hyper::Request::post(url);
    for (k, v) in headers {
        b = b.header(*k, *v);
    }
    let resp = client.request(b.body(Full::new(bytes::Bytes::from(body)))?).await?;
    Ok(resp.into_body().collect().await?.to_bytes().to_vec())
}

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    let dir = std::env::temp_dir().join(format!("primary-bench-{}", uuid::Uuid::new_v4()));
    let primary = Primary::open(PrimaryOptions::new(&dir))?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    tokio::spawn(async move { axum::serve(listener, app(Shared::new(primary, None, true))).await });
    let client: Client = hyper_util::client::legacy::Client::builder(TokioExecutor::new()).build_http();
    let pipeline = |sql: &str| {
        serde_json::json!({"baton": null, "requests": [{"type": "execute", "stmt": {"sql": sql}}, {"type": "close"}]})
            .to_string()
            .into_bytes()
    };
    let url = format!("{base}/v2/pipeline");
    post(&client, &url, &[], pipeline("CREATE TABLE t (id INTEGER PRIMARY KEY, b BLOB)")).await?;
    for _ in 0..10 {
        let sql = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x<500) INSERT INTO t(b) SELECT randomblob(3000) FROM c";
        post(&client, &url, &[], pipeline(sql)).await?;
    }

    // Replication: pull everything from frame 0.
    let gw = [("content-type", "application/grpc-web+proto")];
    let hello =
        post(&client, &format!("{base}/wal_log.ReplicationLog/Hello"), &gw, grpc_web::encode_data_frame(&[8, 1]))
            .await?;
    let (msgs, _) = grpc_web::decode_response_body(&hello)?;
    let token = String::from_utf8(HelloResponse::decode(&msgs[0][..])?.session_token)?;
    let mut total_frames = 0u64;
    let rounds = 5;
    let started = Instant::now();
    for _ in 0..rounds {
        let mut next = 0;
        loop {
            let body = grpc_web::encode_data_frame(&LogOffset { next_offset: next, wal_flavor: None }.encode_to_vec());
            let h = [gw[0], ("x-session-token", token.as_str())];
            let resp = post(&client, &format!("{base}/wal_log.ReplicationLog/BatchLogEntries"), &h, body).await?;
            let (msgs, _) = grpc_web::decode_response_body(&resp)?;
            let n = Frames::decode(&msgs[0][..])?.frames.len() as u64;
            if n == 0 {
                break;
            }
            next += n;
            total_frames += n;
        }
    }
    let secs = started.elapsed().as_secs_f64();
    println!(
        "BatchLogEntries: {total_frames} frames in {secs:.2} s = {:.0} frames/s ({:.1} MB/s of frame data)",
        total_frames as f64 / secs,
        total_frames as f64 * 4120.0 / secs / 1e6
    );

    // Hrana execute: sequential on one keep-alive connection, then 4 concurrent clients.
    let n = 2000;
    let started = Instant::now();
    for i in 0..n {
        post(&client, &url, &[], pipeline(&format!("SELECT id FROM t WHERE id = {}", i % 5000 + 1))).await?;
    }
    let secs = started.elapsed().as_secs_f64();
    println!("Hrana execute (read, 1 connection): {n} requests in {secs:.2} s = {:.0} req/s", n as f64 / secs);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for w in 0..4 {
        let client = client.clone();
        let url = url.clone();
        let body = pipeline(&format!("SELECT id FROM t WHERE id = {}", w + 1));
        tasks.push(tokio::spawn(async move {
            for _ in 0..n / 4 {
                post(&client, &url, &[], body.clone()).await?;
            }
            Ok::<_, BoxError>(())
        }));
    }
    for t in tasks {
        t.await??;
    }
    let secs = started.elapsed().as_secs_f64();
    println!("Hrana execute (read, 4 connections): {n} requests in {secs:.2} s = {:.0} req/s", n as f64 / secs);
    let n = 500;
    let started = Instant::now();
    for i in 0..n {
        post(&client, &url, &[], pipeline(&format!("INSERT INTO t(b) VALUES (x'{i:04x}')"))).await?;
    }
    let secs = started.elapsed().as_secs_f64();
    println!(
        "Hrana execute (write + log fsync, 1 connection): {n} requests in {secs:.2} s = {:.0} req/s",
        n as f64 / secs
    );
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}
