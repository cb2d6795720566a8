//! The one wasm-bindgen boundary: everything that touches `JsValue` lives here and in `wasm/`.
//! `fetch` implements `Transport` over a JS fetch function; `convert` turns values and errors into
//! JS (errors in exactly one function); `replica` is the temporary `WasmReplica` export (a replica
//! plus a sync protocol), to be replaced by a `WasmClient` around the crate's client.
//!
//! Invariant: no `RefCell` borrow is held across an `.await`, so overlapping JS calls never panic.

mod client;
mod convert;
mod fetch;
mod replica;

pub use client::WasmClient;
pub use fetch::FetchTransport;
pub use replica::WasmReplica;
