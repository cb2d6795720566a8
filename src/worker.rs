//! The Rust API for Cloudflare Workers written with workers-rs (the `worker` crate): the same
//! embedded replica `createClient` gives JavaScript, from a `#[event(fetch)]` handler.
//!
//! - [`Client`] (feature `worker`, wasm32): one per isolate, created without I/O from a
//!   [`ClientConfig`]; an embedded replica (`url: "file:NAME"` with `sync_url`) or remote-only
//!   (`url: "https://…"`). Hold it in a `thread_local!` `OnceCell` (see the example below): every
//!   request of the isolate then reads the same replica.
//! - [`Session`]: one request's view of the client, from `client.session(&ctx)`. Its calls run
//!   with the request's `worker::Context`, so background syncs they start go to
//!   `ctx.wait_until` and outlive the response; it carries bookmarks (read-your-writes and
//!   monotonic reads across its calls, and across requests through `session.bookmark()`), and
//!   `maxLag` / `onStale`.
//! - The transport is the JS package's own (`wasm::FetchTransport`): the runtime's global `fetch`
//!   with a web-sys `Request` and an `AbortController` per request, aborted at the call's deadline.
//! - Typed results, on every target: [`Row`] (`row.get::<i64>("id")`), `rs.rows_as::<Post>()`
//!   (serde), and parameters from tuples, arrays, maps and [`named_params!`](crate::named_params).
//!   Errors are the crate's one [`Error`](crate::Error) with the JS package's codes
//!   (`err.code()`), plus `ROW_DECODE` for a value that does not convert.
//!
//! ```ignore
//! use std::cell::OnceCell;
//! use libsql_edge::worker::{Client, ClientConfig};
//! use worker::*;
//!
//! thread_local! {
//!     // One client, so one replica, per isolate; created on the first request.
//!     static CLIENT: OnceCell<Client> = const { OnceCell::new() };
//! }
//!
//! fn client(env: &Env) -> Result<Client> {
//!     CLIENT.with(|cell| {
//!         if let Some(client) = cell.get() {
//!             return Ok(client.clone());
//!         }
//!         let config = ClientConfig {
//!             url: "file:app.db".into(),
//!             sync_url: Some(env.var("PRIMARY_URL")?.to_string()),
//!             ..Default::default()
//!         };
//!         let client = Client::open(config)?; // libsql_edge::Error converts into worker::Error
//!         Ok(cell.get_or_init(|| client).clone())
//!     })
//! }
//!
//! #[event(fetch)]
//! async fn fetch(_req: Request, env: Env, ctx: Context) -> Result<Response> {
//!     let db = client(&env)?.session(&ctx);
//!     let rs = db.execute("SELECT id, title FROM posts WHERE id = ?", (1,)).await?; // local
//!     let posts: Vec<Post> = rs.rows_as()?;
//!     Response::from_json(&posts)
//! }
//! ```

mod de;
mod params;
mod row;

#[cfg(all(feature = "worker", target_arch = "wasm32"))]
mod client;
#[cfg(all(feature = "worker", target_arch = "wasm32"))]
mod context;
#[cfg(all(feature = "worker", target_arch = "wasm32"))]
mod session;
#[cfg(all(feature = "worker", target_arch = "wasm32"))]
mod transaction;

#[cfg(test)]
mod tests;

pub use de::{DeError, RowDeserializer, ValueDeserializer};
pub use params::{statement, IntoParams, Params};
pub use row::{ColumnIndex, Row};

pub use crate::client::{ClientConfig, ClientStats, ResultSet, Statement, TxMode};
pub use crate::sync::engine::OnStale;
pub use crate::sync::SyncStats;

#[cfg(all(feature = "worker", target_arch = "wasm32"))]
pub use client::Client;
#[cfg(all(feature = "worker", target_arch = "wasm32"))]
pub use session::Session;
#[cfg(all(feature = "worker", target_arch = "wasm32"))]
pub use transaction::Transaction;
