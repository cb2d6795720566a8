//! gRPC replication against the dev primary: frames from 0 rebuild the database byte for byte,
//! sessions, restarts, crash recovery and compaction with NEED_SNAPSHOT / Snapshot.

mod common;

use std::collections::BTreeMap;

use common::*;
use libsql_edge_protocol::frame::Frame;
use libsql_edge_protocol::replication_log::{Frame as PbFrame, LogOffset};
use prost::Message;

async fn workload(st: &libsql_edge_dev_primary::AppState, rows: usize) {
    exec(st, "CREATE TABLE IF NOT EXISTS items (id INTEGER PRIMARY KEY, data BLOB)").await;
    for i in 0..rows {
        exec(st, &format!("INSERT INTO items (data) VALUES (randomblob({}))", 100 + i * 50)).await;
    }
}

#[tokio::test]
async fn batch_from_zero_rebuilds_the_database_byte_for_byte() {
    let dir = tempdir();
    let primary = open(&dir, None);
    let st = state(primary.clone(), None);
    workload(&st, 40).await;
    exec(&st, "DELETE FROM items WHERE id % 3 = 0").await;
    let (token, hello) = hello(&st).await;
    let mut pages = BTreeMap::new();
    let (next, _) = pull_all(&st, &token, &mut pages, 0).await;
    assert_eq!(Some(next - 1), hello.current_replication_index);
    assert_same_db(&pages, &db_pages(&primary));
}

#[tokio::test]
async fn session_token_is_required_and_flavor_libsql_is_refused() {
    let st = state(open(&scratch_dir(), None), None);
    let r = grpc(&st, "BatchLogEntries", None, &[]).await;
    assert_eq!(
        (r.status, r.header("grpc-status").as_deref(), r.header("grpc-message").as_deref()),
        (200, Some("9"), Some("NO_HELLO"))
    );
    assert!(r.body.is_empty());
    let r = grpc(&st, "BatchLogEntries", Some("bogus"), &[]).await;
    assert_eq!(r.header("grpc-message").as_deref(), Some("NO_HELLO"));
    let (token, hello) = hello(&st).await;
    assert_eq!(hello.current_replication_index, None);
    let r =
        grpc(&st, "BatchLogEntries", Some(&token), &LogOffset { next_offset: 0, wal_flavor: Some(1) }.encode_to_vec())
            .await;
    assert_eq!(r.header("grpc-status").as_deref(), Some("3"));
    let r = grpc(&st, "BatchLogEntries", Some(&token), &[]).await;
    assert_eq!(r.body.len(), 25, "empty Frames + trailer");
    let r = grpc(&st, "Snapshot", Some(&token), &[]).await;
    assert_eq!(r.header("grpc-status").as_deref(), Some("13"));
    // Garbage protobuf and framing never panic.
    let r = post(
        &st,
        "/wal_log.ReplicationLog/BatchLogEntries",
        &[("x-session-token", &token)],
        vec![0, 0, 0, 0, 3, 0xff, 0xff, 0xff],
    )
    .await;
    assert_eq!(r.status, 200);
    assert!(r.header("grpc-status").is_some());
    let r = post(&st, "/wal_log.ReplicationLog/BatchLogEntries", &[("x-session-token", &token)], vec![0, 0]).await;
    assert!(r.header("grpc-status").is_some());
}

#[tokio::test]
async fn clean_restart_keeps_log_id_and_frames() {
    let dir = tempdir();
    let (log_id, index) = {
        let st = state(open(&dir, None), None);
        workload(&st, 5).await;
        let (_, h) = hello(&st).await;
        st.primary.shutdown().unwrap();
        (h.log_id, h.current_replication_index)
    };
    let primary = open(&dir, None);
    let st = state(primary.clone(), None);
    let (token, h) = hello(&st).await;
    assert_eq!((h.log_id, h.current_replication_index), (log_id, index));
    workload(&st, 3).await;
    let mut pages = BTreeMap::new();
    pull_all(&st, &token, &mut pages, 0).await;
    assert_same_db(&pages, &db_pages(&primary));
}

#[tokio::test]
async fn commit_not_yet_in_the_log_is_recovered_on_open() {
    // Simulates kill -9 between SQLite's commit and the log append: a write goes straight to
    // SQLite, bypassing the capture, then the primary is reopened without a clean shutdown.
    let dir = tempdir();
    let log_id = {
        let primary = open(&dir, None);
        let st = state(primary.clone(), None);
        workload(&st, 5).await;
        let conn = primary.connect().unwrap();
        conn.execute_batch(
            "INSERT INTO items (data) VALUES (randomblob(3000)); INSERT INTO items (data) VALUES (x'01');",
        )
        .unwrap();
        let (_, h) = hello(&st).await;
        std::mem::forget(conn);
        h.log_id
    };
    let primary = open(&dir, None);
    let st = state(primary.clone(), None);
    let (token, h) = hello(&st).await;
    assert_eq!(h.log_id, log_id, "recovery from the WAL keeps the log");
    let mut pages = BTreeMap::new();
    pull_all(&st, &token, &mut pages, 0).await;
    assert_same_db(&pages, &db_pages(&primary));
    let n = exec(&st, "SELECT count(*) FROM items").await;
    assert_eq!(n["response"]["result"]["rows"][0][0]["value"], "7");
}

#[tokio::test]
async fn damaged_log_gets_new_log_id_and_full_dump() {
    let dir = tempdir();
    let log_id = {
        let st = state(open(&dir, None), None);
        workload(&st, 5).await;
        st.primary.shutdown().unwrap();
        hello(&st).await.1.log_id
    };
    std::fs::write(dir.join("wallog"), b"garbage").unwrap();
    let primary = open(&dir, None);
    let st = state(primary.clone(), None);
    let (token, h) = hello(&st).await;
    assert_ne!(h.log_id, log_id);
    let db = db_pages(&primary);
    assert_eq!(h.current_replication_index, Some(db.len() as u64 - 1), "frames 0..N-1");
    let mut pages = BTreeMap::new();
    pull_all(&st, &token, &mut pages, 0).await;
    assert_same_db(&pages, &db);
}

#[tokio::test]
async fn compaction_gives_need_snapshot_and_snapshot_plus_log_rebuilds_the_db() {
    let dir = tempdir();
    let primary = open(&dir, Some(64 * 1024));
    let st = state(primary.clone(), None);
    workload(&st, 60).await;
    let (token, _) = hello(&st).await;
    let r = grpc(&st, "BatchLogEntries", Some(&token), &[]).await;
    assert_eq!(
        (r.header("grpc-status").as_deref(), r.header("grpc-message").as_deref()),
        (Some("9"), Some("NEED_SNAPSHOT"))
    );
    let r = grpc(&st, "Snapshot", Some(&token), &[]).await;
    let (msgs, status) = libsql_edge_protocol::grpc_web::decode_response_body(&r.body).unwrap();
    assert_eq!(status.code, 0);
    let mut pages = BTreeMap::new();
    let mut max = 0;
    let mut last_no = u64::MAX;
    for (i, m) in msgs.iter().enumerate() {
        let f = Frame::decode(&PbFrame::decode(&m[..]).unwrap().data).unwrap();
        assert!(f.header.frame_no < last_no, "descending");
        last_no = f.header.frame_no;
        assert_eq!(f.header.is_commit(), i + 1 == msgs.len());
        max = max.max(f.header.frame_no);
        pages.insert(f.header.page_no, f.page);
    }
    pull_all(&st, &token, &mut pages, max + 1).await;
    assert_same_db(&pages, &db_pages(&primary));
    // Past the snapshot's end: UNAVAILABLE.
    let r = grpc(&st, "Snapshot", Some(&token), &LogOffset { next_offset: 1 << 40, wal_flavor: None }.encode_to_vec())
        .await;
    assert_eq!(r.header("grpc-status").as_deref(), Some("14"));
}

#[tokio::test]
async fn batches_end_at_commit_boundaries() {
    let st = state(open(&scratch_dir(), None), None);
    exec(&st, "CREATE TABLE big (b BLOB)").await;
    let r = exec(&st, "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x<1500) INSERT INTO big SELECT randomblob(3000) FROM c").await;
    assert_eq!(r["type"], "ok", "{r}");
    let (token, _) = hello(&st).await;
    let r = grpc(&st, "BatchLogEntries", Some(&token), &[]).await;
    let (msgs, _) = libsql_edge_protocol::grpc_web::decode_response_body(&r.body).unwrap();
    let frames = libsql_edge_protocol::replication_log::Frames::decode(&msgs[0][..]).unwrap();
    assert!(frames.frames.len() > 1024, "one large transaction is not split");
    let last = Frame::decode(&frames.frames.last().unwrap().data).unwrap();
    assert!(last.header.is_commit());
    assert!(frames.frames.last().unwrap().timestamp.is_some());
}

#[tokio::test]
async fn http_sync_export_plus_sync_rebuilds_the_db() {
    use libsql_edge_protocol::wal_frame::WalFrame;
    let dir = tempdir();
    let primary = open(&dir, None);
    let st = state(primary.clone(), None);
    workload(&st, 10).await;
    primary.checkpoint_now().unwrap();
    workload(&st, 10).await;
    let info = get(&st, "/info", &[]).await.json();
    let g = info["current_generation"].as_u64().unwrap();
    assert!(g >= 2, "checkpoint advanced the generation");
    let export = get(&st, &format!("/export/{g}"), &[]).await;
    assert_eq!(export.status, 200);
    let mut pages: BTreeMap<u32, Vec<u8>> =
        export.body.chunks(4096).enumerate().map(|(i, p)| (i as u32 + 1, p.to_vec())).collect();
    let mut next = 1;
    loop {
        let r = get(&st, &format!("/sync/{g}/{next}/{}", next + 128), &[]).await;
        if r.status == 400 {
            assert_eq!(r.json()["generation"].as_u64(), Some(g));
            break;
        }
        assert_eq!(r.status, 200);
        let frames = WalFrame::decode_many(&r.body, 4096).unwrap();
        assert!(frames.last().unwrap().header.is_commit());
        for f in &frames {
            pages.insert(f.header.page_no, f.page.clone());
            if f.header.is_commit() {
                let size = f.header.db_size;
                pages.retain(|p, _| *p <= size);
            }
        }
        next += frames.len() as u64;
    }
    assert_same_db(&pages, &db_pages(&primary));
}
