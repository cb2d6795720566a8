//! libsql-edge: an embedded libSQL / Turso read replica for edge runtimes. The replica core is
//! synchronous and runtime-free; only `wasm*` modules touch JavaScript. `worker` is the Rust API
//! for workers-rs Workers (its client needs feature `worker`; typed rows and parameters are pure).
#![warn(missing_docs)]
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

pub use libsql_edge_protocol as protocol;
pub use protocol::sqlite_code;

#[cfg(all(target_arch = "wasm32", feature = "js"))]
mod alloc;
pub mod client;
pub mod error;
pub mod local;
pub mod remote;
pub mod replica;
pub mod sync;
pub mod transport;
pub mod value;
#[cfg(target_arch = "wasm32")]
pub mod wasm;
pub mod worker;

pub use client::{Client, ClientConfig, ResultSet, Statement, TxMode};
pub use error::{Error, Result};
pub use local::LocalClient;
pub use replica::{ApplyOutcome, CommittedPages, Page, Replica, ReplicaConfig, Rows};
pub use value::Value;
