//! The one wasm-bindgen boundary: everything that touches `JsValue` lives here and in `wasm/`.
//! `fetch` implements `Transport` over a JS fetch function; `convert` turns values and errors into
//! JS (errors in exactly one function); `client` is the `WasmClient` export around the crate's
//! `Client`, `local` the `WasmLocalClient` export around `LocalClient`; `open` picks one for a
//! configuration; `trap` is a test-only hook that traps the instance on purpose.
//!
//! Invariant: no `RefCell` borrow is held across an `.await`, so overlapping JS calls never panic.
//!
//! Everything but `fetch` is the JS package's export surface (feature `js`, on by default); a Rust
//! Worker (feature `worker` without `js`) links only the transport.

#[cfg(feature = "js")]
mod args;
mod body;
#[cfg(feature = "js")]
mod client;
#[cfg(feature = "js")]
mod convert;
mod fetch;
#[cfg(feature = "js")]
mod local;
#[cfg(feature = "js")]
mod open;
#[cfg(feature = "js")]
mod packed;
#[cfg(feature = "js")]
mod results;
#[cfg(feature = "js")]
mod snapshot;
#[cfg(feature = "js")]
mod trap;

#[cfg(feature = "js")]
pub use client::WasmClient;
pub use fetch::FetchTransport;
#[cfg(feature = "js")]
pub use local::WasmLocalClient;

/// The instance's linear memory, where `executeLocal` leaves packed results for the shim.
#[wasm_bindgen::prelude::wasm_bindgen(js_name = wasmMemory)]
pub fn wasm_memory() -> wasm_bindgen::JsValue {
    wasm_bindgen::memory()
}
