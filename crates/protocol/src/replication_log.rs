//! sqld's `wal_log.ReplicationLog` service messages (proto3), hand-written prost structs (no protoc).
//! Field numbers follow tursodatabase/libsql `libsql-replication/proto/{replication_log,metadata}.proto`.
//!
//! Methods (`POST /wal_log.ReplicationLog/<Method>`): `Hello(HelloRequest) -> HelloResponse`,
//! `BatchLogEntries(LogOffset) -> Frames`, `LogEntries(LogOffset) -> stream Frame`,
//! `Snapshot(LogOffset) -> stream Frame`.

use prost::Message;

mod stream;

pub use stream::{FramesDecoder, FramesItem, FramesLayout, MAX_FRAME_MESSAGE_LEN};

use crate::error::{Error, Result};

/// Path prefix of the service.
pub const SERVICE_PATH: &str = "/wal_log.ReplicationLog";
/// Error message for a missing or unknown `x-session-token` (with `FAILED_PRECONDITION`).
pub const NO_HELLO: &str = "NO_HELLO";
/// Error message for an offset older than the log start (with `FAILED_PRECONDITION`).
pub const NEED_SNAPSHOT: &str = "NEED_SNAPSHOT";
/// The handshake version clients send.
pub const HANDSHAKE_VERSION: u64 = 1;

/// `HelloRequest`.
#[derive(Clone, PartialEq, Message)]
pub struct HelloRequest {
    /// 1: always 1 in current clients.
    #[prost(uint64, optional, tag = "1")]
    pub handshake_version: Option<u64>,
}

/// `HelloResponse`.
#[derive(Clone, PartialEq, Message)]
pub struct HelloResponse {
    /// 1: per-process UUID, deprecated.
    #[prost(string, tag = "1")]
    pub generation_id: String,
    /// 2: always 0.
    #[prost(uint64, tag = "2")]
    pub generation_start_index: u64,
    /// 3: the log's UUID, the compatibility key.
    #[prost(string, tag = "3")]
    pub log_id: String,
    /// 4: session token to send back as `x-session-token`.
    #[prost(bytes = "vec", tag = "4")]
    pub session_token: Vec<u8>,
    /// 5: last committed frame_no; absent when the log is empty.
    #[prost(uint64, optional, tag = "5")]
    pub current_replication_index: Option<u64>,
    /// 6: database config.
    #[prost(message, optional, tag = "6")]
    pub config: Option<DatabaseConfig>,
}

/// `metadata.DatabaseConfig`.
#[derive(Clone, PartialEq, Message)]
pub struct DatabaseConfig {
    /// 1
    #[prost(bool, tag = "1")]
    pub block_reads: bool,
    /// 2
    #[prost(bool, tag = "2")]
    pub block_writes: bool,
    /// 3
    #[prost(string, optional, tag = "3")]
    pub block_reason: Option<String>,
    /// 4
    #[prost(uint64, tag = "4")]
    pub max_db_pages: u64,
    /// 5
    #[prost(string, optional, tag = "5")]
    pub heartbeat_url: Option<String>,
    /// 6
    #[prost(string, optional, tag = "6")]
    pub bottomless_db_id: Option<String>,
    /// 7
    #[prost(string, optional, tag = "7")]
    pub jwt_key: Option<String>,
    /// 8
    #[prost(uint64, optional, tag = "8")]
    pub txn_timeout_s: Option<u64>,
    /// 9
    #[prost(bool, tag = "9")]
    pub allow_attach: bool,
    /// 10
    #[prost(uint64, optional, tag = "10")]
    pub max_row_size: Option<u64>,
    /// 11
    #[prost(bool, optional, tag = "11")]
    pub shared_schema: Option<bool>,
    /// 12
    #[prost(string, optional, tag = "12")]
    pub shared_schema_name: Option<String>,
    /// 13: RELAXED=0, STRONG=1, EXTRA=2, OFF=3.
    #[prost(int32, optional, tag = "13")]
    pub durability_mode: Option<i32>,
}

impl DatabaseConfig {
    /// The config sqld 0.24.33 sends by default (observed in `hello.body`).
    pub fn sqld_default() -> Self {
        Self {
            max_db_pages: 244_140_625_000_000,
            txn_timeout_s: Some(5),
            max_row_size: Some(5_000_000),
            shared_schema: Some(false),
            durability_mode: Some(0),
            ..Default::default()
        }
    }
}

/// `LogOffset`.
#[derive(Clone, PartialEq, Message)]
pub struct LogOffset {
    /// 1: first frame_no wanted.
    #[prost(uint64, tag = "1")]
    pub next_offset: u64,
    /// 2: `Sqlite`=0, `Libsql`=1 (rejected by sqld).
    #[prost(int32, optional, tag = "2")]
    pub wal_flavor: Option<i32>,
}

/// `Frame`: one replication frame ([`crate::frame`]).
#[derive(Clone, PartialEq, Message)]
pub struct Frame {
    /// 1: the 4120-byte replication frame.
    #[prost(bytes = "vec", tag = "1")]
    pub data: Vec<u8>,
    /// 2: commit time in ms since the epoch, only on commit frames.
    #[prost(int64, optional, tag = "2")]
    pub timestamp: Option<i64>,
    /// 3: never set by sqld.
    #[prost(uint64, optional, tag = "3")]
    pub durable_frame_no: Option<u64>,
}

/// `Frames`: the `BatchLogEntries` reply.
#[derive(Clone, PartialEq, Message)]
pub struct Frames {
    /// 1
    #[prost(message, repeated, tag = "1")]
    pub frames: Vec<Frame>,
}

/// Decodes a protobuf message, mapping prost's error to [`Error::Protobuf`].
pub fn decode_message<M: Message + Default>(message: &'static str, bytes: &[u8]) -> Result<M> {
    M::decode(bytes).map_err(|e| Error::Protobuf { message, reason: e.to_string() })
}

#[cfg(test)]
mod tests {
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use super::*;

    #[test]
    fn hello_request_encodes_like_the_official_client() {
        let m = HelloRequest { handshake_version: Some(1) };
        assert_eq!(m.encode_to_vec(), vec![0x08, 0x01]);
        assert_eq!(decode_message::<HelloRequest>("HelloRequest", &[8, 1]).unwrap(), m);
    }

    #[test]
    fn log_offset_zero_is_empty_and_35_is_0823() {
        assert!(LogOffset { next_offset: 0, wal_flavor: None }.encode_to_vec().is_empty());
        assert_eq!(LogOffset { next_offset: 35, wal_flavor: None }.encode_to_vec(), vec![8, 0x23]);
    }

    #[test]
    fn default_config_encodes_as_observed() {
        let bytes = DatabaseConfig::sqld_default().encode_to_vec();
        let expected = [
            0x20, 0xc0, 0xec, 0xe9, 0xd9, 0xb6, 0xc1, 0x37, 0x40, 0x05, 0x50, 0xc0, 0x96, 0xb1, 0x02, 0x58, 0x00, 0x68,
            0x00,
        ];
        assert_eq!(bytes, expected);
    }

    #[test]
    fn frames_round_trip_and_garbage_fails() {
        let f = Frames { frames: vec![Frame { data: vec![1, 2, 3], timestamp: Some(5), durable_frame_no: None }] };
        let b = f.encode_to_vec();
        assert_eq!(decode_message::<Frames>("Frames", &b).unwrap(), f);
        assert!(decode_message::<Frames>("Frames", &b[..b.len() - 1]).is_err());
        assert!(decode_message::<Frames>("Frames", &[0xff, 0xff, 0xff]).is_err());
    }
}
