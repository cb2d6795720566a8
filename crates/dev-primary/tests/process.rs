//! The real `libsql-edge-primary` process: kill -9 in the middle of writes loses no acknowledged
//! transaction and leaves log and database consistent; a stuck client connection does not block
//! writers.

mod common;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::*;

/// Starts the binary on a free port over `dir`; returns the child and its `host:port`.
fn spawn(dir: &std::path::Path) -> (Child, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_libsql-edge-primary"))
        .args(["--db", dir.to_str().unwrap(), "--listen", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let addr = line.trim().strip_prefix("http://").expect("the first stdout line is the URL").to_string();
    (child, addr)
}

/// One Hrana statement over a fresh HTTP/1.1 connection; `Ok` only for a 200 with an `ok` result.
fn execute(addr: &str, sql: &str) -> Result<serde_json::Value, String> {
    let body =
        serde_json::json!({"requests": [{"type": "execute", "stmt": {"sql": sql}}, {"type": "close"}]}).to_string();
    let mut s = TcpStream::connect(addr).map_err(|e| e.to_string())?;
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let request = format!(
        "POST /v2/pipeline HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    s.write_all(request.as_bytes()).map_err(|e| e.to_string())?;
    let mut response = String::new();
    s.read_to_string(&mut response).map_err(|e| e.to_string())?;
    let (head, json) = response.split_once("\r\n\r\n").ok_or("no response")?;
    if !head.starts_with("HTTP/1.1 200") {
        return Err(head.to_string());
    }
    let v: serde_json::Value = serde_json::from_str(json).map_err(|e| e.to_string())?;
    if v["results"][0]["type"] != "ok" {
        return Err(v.to_string());
    }
    Ok(v)
}

#[tokio::test(flavor = "multi_thread")]
async fn kill_9_during_writes_loses_no_acknowledged_transaction() {
    let dir = tempdir();
    let (mut child, addr) = spawn(&dir);
    execute(&addr, "CREATE TABLE t (id INTEGER PRIMARY KEY, data BLOB)").unwrap();
    let writer = {
        let addr = addr.clone();
        std::thread::spawn(move || {
            let mut acknowledged = Vec::new();
            for i in 0..5000 {
                match execute(&addr, &format!("INSERT INTO t VALUES ({i}, randomblob(3000))")) {
                    Ok(_) => acknowledged.push(i),
                    Err(_) => break,
                }
            }
            acknowledged
        })
    };
    std::thread::sleep(Duration::from_millis(400));
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let acknowledged = writer.join().unwrap();
    assert!(acknowledged.len() > 5, "too few writes before the kill: {}", acknowledged.len());

    // Reopen in process (recovery runs) and check: every acknowledged row is there, the log from
    // frame 0 rebuilds the database byte for byte, and SQLite finds it intact.
    let primary = open(&dir, None);
    let st = state(primary.clone(), None);
    let rows = exec(&st, "SELECT id FROM t ORDER BY id").await;
    let ids: Vec<i64> = rows["response"]["result"]["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r[0]["value"].as_str().unwrap().parse().unwrap())
        .collect();
    for i in &acknowledged {
        assert!(ids.contains(&(*i as i64)), "acknowledged row {i} lost");
    }
    let check = exec(&st, "PRAGMA integrity_check").await;
    assert_eq!(check["response"]["result"]["rows"][0][0]["value"], "ok");
    let (token, _) = hello(&st).await;
    let mut pages = BTreeMap::new();
    pull_all(&st, &token, &mut pages, 0).await;
    let db = db_pages(&primary);
    assert_eq!(pages.len(), db.len(), "page count");
    for (i, p) in db.iter().enumerate() {
        assert!(pages.get(&(i as u32 + 1)) == Some(p), "page {} differs from the log", i + 1);
    }
}

#[test]
fn a_stuck_client_connection_does_not_block_writers() {
    let dir = tempdir();
    let (mut child, addr) = spawn(&dir);
    execute(&addr, "CREATE TABLE t (x)").unwrap();
    // A request whose body never arrives, and a LogEntries stream nobody reads.
    let mut half = TcpStream::connect(&addr).unwrap();
    half.write_all(b"POST /v2/pipeline HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"requests\":").unwrap();
    let mut stream = TcpStream::connect(&addr).unwrap();
    stream
        .write_all(b"POST /wal_log.ReplicationLog/LogEntries HTTP/1.1\r\nHost: x\r\ncontent-type: application/grpc-web+proto\r\nContent-Length: 5\r\n\r\n\x00\x00\x00\x00\x00")
        .unwrap();
    let started = Instant::now();
    for i in 0..50 {
        execute(&addr, &format!("INSERT INTO t VALUES ({i})")).unwrap();
    }
    let elapsed = started.elapsed();
    let count = execute(&addr, "SELECT count(*) FROM t").unwrap();
    assert_eq!(count["results"][0]["response"]["result"]["rows"][0][0]["value"], "50");
    // Bounded, generous: 50 writes with fsync take well under a second here; blocked writers would
    // wait for the stuck connections forever.
    assert!(elapsed < Duration::from_secs(20), "writes took {elapsed:?}");
    drop((half, stream));
    child.kill().unwrap();
    child.wait().unwrap();
}
