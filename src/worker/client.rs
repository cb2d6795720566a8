//! `Client`: the crate's `Client` with its transport, for a Rust Worker. One per isolate (cheap to
//! clone: a handle to the same replica); calls go through a per-request [`Session`].

use std::rc::Rc;

use super::context::{self, WaitUntil};
use super::Session;
use crate::client::{ClientConfig, ClientStats};
use crate::error::{Error, Result};
use crate::sync::SyncStats;
use crate::transport::Transport;
use crate::wasm::FetchTransport;

/// What a client handle shares: the core client and the fetch transport.
pub(crate) struct Inner {
    pub(crate) core: crate::Client,
    pub(crate) transport: FetchTransport,
}

/// A libsql-edge client for a workers-rs Worker: an embedded replica in the isolate's memory, or a
/// remote-only client. Create one per isolate with [`Client::open`] and keep it (a `thread_local!`
/// `OnceCell`, see the [module docs](super)); run statements through `client.session(&ctx)`.
#[derive(Clone)]
pub struct Client {
    pub(crate) inner: Rc<Inner>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Client").field(&self.inner.core).finish()
    }
}

impl Client {
    /// A client for `config` (`@libsql/client`'s options, as [`ClientConfig`] fields), over the
    /// runtime's global `fetch`. Does no I/O: the first call bootstraps the replica. Background
    /// work is kept alive by each request's `waitUntil`, so `cold_start` defaults to `"remote"`
    /// (reads go to the primary until the first bootstrap, which runs in the background, is done).
    pub fn open(config: ClientConfig) -> Result<Client> {
        let core = crate::Client::new(&ClientConfig { wait_until: true, ..config })?;
        let transport = FetchTransport::global().map_err(|_| Error::Config {
            code: "FETCH_UNAVAILABLE",
            message: "the runtime has no global fetch function".into(),
        })?;
        let inner = Rc::new(Inner { core, transport });
        let weak = Rc::downgrade(&inner);
        inner.core.set_spawner(Box::new(move |task, token| {
            let weak = weak.clone();
            context::spawn(async move {
                if let Some(inner) = weak.upgrade() {
                    if let Some(engine) = inner.core.engine() {
                        engine.run_task(&inner.transport, task, token).await;
                    }
                }
            });
        }));
        Ok(Client { inner })
    }

    /// A session for the request `ctx` belongs to: its calls' background syncs go to
    /// `ctx.wait_until`.
    pub fn session(&self, ctx: &::worker::Context) -> Session {
        Session::new(self.clone(), Some(WaitUntil::of(ctx)))
    }

    /// A session outside any request (a scheduled event, a Durable Object alarm): background work
    /// it starts is only spawned, and the runtime may cut it off; prefer [`Client::session`].
    pub fn session_without_context(&self) -> Session {
        Session::new(self.clone(), None)
    }

    /// Syncs the replica with the primary until it is up to date (`SYNC_NOT_SUPPORTED` for a
    /// remote-only client). The same as `session.sync()`.
    pub async fn sync(&self) -> Result<SyncStats> {
        self.inner.core.sync(&self.inner.transport).await
    }

    /// Where reads were served and why, lag, syncs, bytes and memory (as `client.stats()` in JS).
    pub fn stats(&self) -> ClientStats {
        self.inner.core.stats(self.inner.transport.now_ms())
    }

    /// The wasm instance's linear memory in bytes (it only ever grows).
    pub fn wasm_memory_bytes(&self) -> u64 {
        core::arch::wasm32::memory_size(0) as u64 * 65536
    }

    /// A `Server-Timing` header value for the last call (where it was served, lag).
    pub fn server_timing(&self) -> String {
        self.inner.core.server_timing()
    }

    /// The newest position this client has seen, as a bookmark.
    pub fn bookmark(&self) -> Option<String> {
        self.inner.core.bookmark()
    }

    /// The replica's position in its text form (`sqld:<log_id>/<frame_no>`, …), once synced.
    pub fn position(&self) -> Option<String> {
        self.inner.core.position().map(|p| p.to_string())
    }

    /// `"file"` for an embedded replica, `"http"` for remote-only.
    pub fn protocol(&self) -> &'static str {
        self.inner.core.protocol()
    }

    /// Page bytes the replica holds.
    pub fn memory_bytes(&self) -> u64 {
        self.inner.core.memory_bytes()
    }

    /// Closes the client: open transactions are dropped, later calls fail with `CLIENT_CLOSED`.
    pub fn close(&self) {
        self.inner.core.close();
    }

    /// Whether [`Client::close`] was called.
    pub fn is_closed(&self) -> bool {
        self.inner.core.is_closed()
    }

    /// The core client and the transport its calls take, for what this API does not cover.
    pub fn core(&self) -> (&crate::Client, &dyn Transport) {
        (&self.inner.core, &self.inner.transport)
    }
}

/// For `?` in a handler returning `worker::Result`: the message starts with the error's code.
impl From<Error> for ::worker::Error {
    fn from(e: Error) -> ::worker::Error {
        ::worker::Error::RustError(format!("{}: {e}", e.code()))
    }
}
