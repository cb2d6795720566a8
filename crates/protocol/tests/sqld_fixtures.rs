//! Decodes the gRPC-Web bodies recorded from sqld 0.24.33 with this crate's decoders and checks
//! the CRC-64 chain against the recorded checksums; applying all frames rebuilds `data.db`.
#![cfg(not(target_arch = "wasm32"))]

use std::collections::BTreeMap;
use std::path::PathBuf;

use libsql_edge_protocol::frame::Frame;
use libsql_edge_protocol::grpc_web::{decode_response_body, GrpcStatus};
use libsql_edge_protocol::replication_log::{decode_message, Frame as PbFrame, Frames, HelloResponse};

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/fixtures/sqld-0.24.33")
}

fn read(p: &str) -> Vec<u8> {
    std::fs::read(dir().join(p)).unwrap()
}

fn batch(p: &str) -> Vec<Frame> {
    let (msgs, status) = decode_response_body(&read(p)).unwrap();
    assert_eq!(status, GrpcStatus::ok());
    let frames: Frames = decode_message("Frames", &msgs[0]).unwrap();
    frames.frames.iter().map(|f| Frame::decode(&f.data).unwrap()).collect()
}

#[test]
fn hello_body_decodes_to_uuids_and_index_1320() {
    let (msgs, status) = decode_response_body(&read("grpc/hello.body")).unwrap();
    assert_eq!(status.code, 0);
    let h: HelloResponse = decode_message("HelloResponse", &msgs[0]).unwrap();
    assert_eq!(h.current_replication_index, Some(1320));
    assert!(h.log_id.parse::<libsql_edge_protocol::LogId>().is_ok());
    assert_eq!(h.config.unwrap(), libsql_edge_protocol::replication_log::DatabaseConfig::sqld_default());
}

#[test]
fn frames_from_zero_chain_checksums_and_rebuild_data_db() {
    let mut frames = batch("grpc/batch-from-0.body");
    assert_eq!(frames.len(), 1317);
    frames.extend(batch("grpc/batch-from-1317.body"));
    assert_eq!(frames.len(), 1321);
    let mut prev = 0;
    for f in &frames {
        assert!(f.verify_checksum(prev), "frame {}", f.header.frame_no);
        prev = f.header.checksum;
    }
    let mut pages = BTreeMap::new();
    let mut size = 0;
    for f in &frames {
        pages.insert(f.header.page_no, f.page.clone());
        if f.header.is_commit() {
            size = f.header.size_after;
        }
    }
    let db = read("data.db");
    assert_eq!(db.len(), size as usize * 4096);
    for (i, page) in db.chunks(4096).enumerate() {
        assert_eq!(pages.get(&(i as u32 + 1)).map(Vec::as_slice), Some(page), "page {}", i + 1);
    }
    assert!(batch("grpc/batch-beyond-end.body").is_empty());
}

#[test]
fn snapshot_stream_is_descending_with_size_on_last_and_new_chain_after() {
    let (msgs, status) = decode_response_body(&read("grpc/snapshot/snapshot-from-0.body")).unwrap();
    assert_eq!(status.code, 0);
    assert_eq!(msgs.len(), 1298);
    let frames: Vec<Frame> =
        msgs.iter().map(|m| Frame::decode(&decode_message::<PbFrame>("Frame", m).unwrap().data).unwrap()).collect();
    assert!(frames.windows(2).all(|w| w[0].header.frame_no > w[1].header.frame_no));
    assert_eq!(frames.last().unwrap().header.size_after, 1298);
    let after = batch("grpc/snapshot/batch-from-1317.body");
    assert!(after[0].verify_checksum(0), "the compacted log restarts its chain at seed 0");
}

#[test]
fn trailers_only_headers_decode() {
    let h: serde_json::Value = serde_json::from_slice(&read("grpc/snapshot-not-compacted.headers.json")).unwrap();
    let r = &h["response"]["headers"];
    let s = GrpcStatus::from_headers(r["grpc-status"].as_str(), r["grpc-message"].as_str()).unwrap().unwrap();
    assert_eq!(s, GrpcStatus::new(13, "No such file or directory (os error 2)"));
    assert_eq!(s.message_header(), r["grpc-message"].as_str().unwrap());
}
