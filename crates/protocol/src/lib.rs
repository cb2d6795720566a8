//! Wire formats shared by the libsql-edge client and the dev primary: positions, replication
//! frames, framing and messages. Pure data and codecs: no I/O, compiles for every target.
#![warn(missing_docs)]
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

pub mod base64;
pub mod chunks;
pub mod crc64;
pub mod db_header;
pub mod db_image;
pub mod error;
pub mod frame;
pub mod grpc_web;
pub mod hrana;
pub mod pos;
pub mod proxy;
pub mod pull_updates;
pub mod replication_log;
pub mod snapshot;
pub mod sqlite_code;
pub mod varint;
pub mod wal_frame;

pub use error::{Error, Result};
pub use pos::{FrameNo, Generation, LogId, Position, Revision};
