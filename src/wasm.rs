//! The one wasm-bindgen boundary: everything that touches `JsValue` lives here and in `wasm/`.
//! `fetch` implements `Transport` over a JS fetch function; `convert` turns values and errors into
//! JS (errors in exactly one function); `client` is the `WasmClient` export around the crate's
//! `Client`, `local` the `WasmLocalClient` export around `LocalClient`; `open` picks one for a
//! configuration; `trap` is a test-only hook that traps the instance on purpose.
//!
//! Invariant: no `RefCell` borrow is held across an `.await`, so overlapping JS calls never panic.

mod args;
mod client;
mod convert;
mod fetch;
mod local;
mod open;
mod packed;
mod results;
mod trap;

pub use client::WasmClient;
pub use fetch::FetchTransport;
pub use local::WasmLocalClient;

/// The instance's linear memory, where `executeLocal` leaves packed results for the shim.
#[wasm_bindgen::prelude::wasm_bindgen(js_name = wasmMemory)]
pub fn wasm_memory() -> wasm_bindgen::JsValue {
    wasm_bindgen::memory()
}
