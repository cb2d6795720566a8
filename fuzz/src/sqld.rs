//! Playing sqld for the sync targets: the gRPC-Web replies of `wal_log.ReplicationLog` built from
//! fuzz input, and the reference model of what a replica must hold after accepting frames.

use std::collections::BTreeMap;

use libsql_edge::protocol::frame::Frame;
use libsql_edge::protocol::grpc_web::{encode_unary_body, CONTENT_TYPE};
use libsql_edge::protocol::replication_log::{self, Frames, HelloResponse};
use libsql_edge::transport::{Request, Response};
use prost::Message;

use crate::scripted::{path, response};

/// The log id every scripted sqld reports.
pub const LOG_ID: &str = "d1e5a3f0-1b2c-4d5e-8f90-a1b2c3d4e5f6";

/// The method a request calls (`Hello`, `BatchLogEntries`, `Snapshot`), or the path.
pub fn method(request: &Request) -> &str {
    let p = path(request);
    p.strip_prefix(replication_log::SERVICE_PATH).and_then(|m| m.strip_prefix('/')).unwrap_or(p)
}

/// A successful reply around `body` (a gRPC-Web body).
pub fn ok(body: Vec<u8>) -> Response {
    response(200, &[("content-type", CONTENT_TYPE)], body)
}

/// A valid `Hello` reply.
pub fn hello() -> Response {
    let hello = HelloResponse {
        generation_id: "00000000-0000-0000-0000-000000000000".into(),
        log_id: LOG_ID.into(),
        session_token: b"fuzz-session".to_vec(),
        current_replication_index: None,
        ..Default::default()
    };
    ok(encode_unary_body(&hello.encode_to_vec()))
}

/// A `BatchLogEntries` reply carrying `frames` (each a whole replication frame).
pub fn frames(frames: &[&[u8]]) -> Response {
    let message = Frames {
        frames: frames
            .iter()
            .map(|f| replication_log::Frame { data: f.to_vec(), timestamp: None, durable_frame_no: None })
            .collect(),
    };
    ok(encode_unary_body(&message.encode_to_vec()))
}

/// A trailers-only error reply (HTTP 200, empty body, status in the headers), as sqld sends.
pub fn trailers_only(code: &str, message: &str) -> Response {
    response(200, &[("content-type", CONTENT_TYPE), ("grpc-status", code), ("grpc-message", message)], Vec::new())
}

/// What a replica holds after the frames `accepted` (in log order) up to their last commit frame:
/// the newest image of every page, cut or extended to that commit's `size_after`. `None` if a page
/// of the database is missing (the replica must then have refused the pull).
pub fn expected_image(accepted: &[Frame]) -> Option<Vec<u8>> {
    let commit = accepted.iter().rev().find(|f| f.header.is_commit())?;
    let mut pages = BTreeMap::new();
    for f in accepted {
        pages.insert(f.header.page_no, f.page.as_slice());
    }
    let mut image = Vec::new();
    for pgno in 1..=commit.header.size_after {
        image.extend_from_slice(pages.get(&pgno)?);
    }
    Some(image)
}
