//! sqld's `wal_log` messages (`replication_log.rs`): every message type decodes any bytes or fails
//! cleanly, a decoded message survives encode + decode unchanged, and the fields a client goes on
//! to parse (`log_id`, session token, `Frame.data`) are parsed as `sync/sqld.rs` does.
//!
//! Input: `[message type] ++ protobuf bytes`.
#![no_main]
use libfuzzer_sys::fuzz_target;
use libsql_edge_fuzz::input::Input;
use libsql_edge_protocol::frame::Frame as ReplicationFrame;
use libsql_edge_protocol::replication_log::{
    decode_message, DatabaseConfig, Frame, Frames, HelloRequest, HelloResponse, LogOffset,
};
use libsql_edge_protocol::LogId;
use prost::Message;

fn round_trip<M: Message + Default + PartialEq + std::fmt::Debug>(name: &'static str, bytes: &[u8]) -> Option<M> {
    let m: M = decode_message(name, bytes).ok()?;
    let again: M = decode_message(name, &m.encode_to_vec()).unwrap_or_else(|e| panic!("{name} re-encoded: {e}"));
    assert_eq!(again, m, "{name} changed through encode + decode");
    Some(m)
}

fuzz_target!(|data: &[u8]| {
    let mut input = Input(data);
    let kind = input.byte();
    let bytes = input.rest();
    match kind % 6 {
        0 => {
            if let Some(hello) = round_trip::<HelloResponse>("HelloResponse", bytes) {
                let _ = hello.log_id.parse::<LogId>().map(|id| assert_eq!(id.to_string().parse::<LogId>(), Ok(id)));
                let _ = String::from_utf8(hello.session_token);
            }
        }
        1 => {
            if let Some(frames) = round_trip::<Frames>("Frames", bytes) {
                for f in frames.frames {
                    let _ = ReplicationFrame::decode(&f.data);
                }
            }
        }
        2 => {
            if let Some(f) = round_trip::<Frame>("Frame", bytes) {
                let _ = ReplicationFrame::decode(&f.data);
            }
        }
        3 => drop(round_trip::<LogOffset>("LogOffset", bytes)),
        4 => drop(round_trip::<HelloRequest>("HelloRequest", bytes)),
        _ => drop(round_trip::<DatabaseConfig>("DatabaseConfig", bytes)),
    }
});
