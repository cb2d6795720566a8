//! The one wasm-bindgen boundary: everything that touches `JsValue` lives here and in `wasm/`.
//! `fetch` implements `Transport` over a JS fetch function; `convert` turns values and errors into
//! JS (errors in exactly one function); `client` is the `WasmClient` export around the crate's
//! `Client`.
//!
//! Invariant: no `RefCell` borrow is held across an `.await`, so overlapping JS calls never panic.

mod args;
mod client;
mod convert;
mod fetch;
mod results;

pub use client::WasmClient;
pub use fetch::FetchTransport;
