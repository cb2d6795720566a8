//! `WasmReplica` (temporary, until `WasmClient` wraps the crate's client): a `Replica` plus the
//! state of one sync protocol, exported to JS.
//!
//! Overlapping calls are safe by construction: the replica's `RefCell` is borrowed only between
//! awaits (`sync_into` reaches it through short borrows and discards a pull that another sync
//! overtook), and a sync takes the protocol state out of its slot for its duration (an overlapping
//! sync starts a fresh protocol session).

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::Promise;
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::JsValue;

use super::convert::{self, error_to_js, type_error};
use super::fetch::FetchTransport;
use crate::replica::{Replica, ReplicaConfig};
use crate::sync::http_sync::HttpSync;
use crate::sync::sqld::Sqld;
use crate::sync::{sync_into, Io, Protocol, ProtocolKind, SyncTarget};

/// Per-request timeout when the caller gives none.
const DEFAULT_TIMEOUT_MS: u32 = 30_000;

type ProtocolSlot = Rc<RefCell<Option<Box<dyn Protocol>>>>;

/// An in-memory replica that JS can sync and query.
#[wasm_bindgen(js_name = WasmReplica)]
pub struct WasmReplica {
    replica: Rc<RefCell<Replica>>,
    protocol: ProtocolSlot,
}

#[wasm_bindgen(js_class = WasmReplica)]
impl WasmReplica {
    /// Opens an empty replica. `options`: `{memoryBudgetBytes?, cacheSizeKib?}`.
    #[wasm_bindgen(constructor)]
    pub fn new(options: JsValue) -> std::result::Result<WasmReplica, JsValue> {
        let mut config = ReplicaConfig::default();
        if let Some(n) = convert::get_number(&options, "memoryBudgetBytes")? {
            config.memory_budget_bytes = n as u64;
        }
        if let Some(n) = convert::get_number(&options, "cacheSizeKib")? {
            config.cache_size_kib = n as u32;
        }
        let replica = Replica::open(config).map_err(|e| error_to_js(&e))?;
        Ok(WasmReplica { replica: Rc::new(RefCell::new(replica)), protocol: Rc::new(RefCell::new(None)) })
    }

    /// Syncs from the primary at `url` with `protocol` (`"sqld"` by default, or `"http-sync"`)
    /// through `fetch` (`globalThis.fetch` when absent). `options`: `{authToken?, timeoutMs?}`.
    /// Resolves to `{protocol, position, framesSynced, pagesApplied, bytesReceived, roundTrips,
    /// durationMs}`; rejects with an error object (see `convert::error_to_js`).
    pub fn sync(&self, fetch: JsValue, url: String, protocol: Option<String>, options: JsValue) -> Promise {
        let replica = self.replica.clone();
        let slot = self.protocol.clone();
        let setup = || -> std::result::Result<_, JsValue> {
            let transport = FetchTransport::new(&fetch)?;
            let name = protocol.as_deref().unwrap_or("sqld");
            let kind = match ProtocolKind::parse(name) {
                Some(k @ (ProtocolKind::Sqld | ProtocolKind::HttpSync)) => k,
                _ => {
                    return Err(type_error(&format!(
                        "unsupported sync protocol {name:?}: use \"sqld\" or \"http-sync\""
                    )))
                }
            };
            let auth_token = convert::get_string(&options, "authToken")?;
            let timeout_ms =
                convert::get_number(&options, "timeoutMs")?.map(|n| n as u32).unwrap_or(DEFAULT_TIMEOUT_MS);
            Ok((transport, kind, SyncTarget::new(&url, auth_token, timeout_ms)))
        };
        let setup = setup();
        wasm_bindgen_futures::future_to_promise(async move {
            let (transport, kind, target) = setup?;
            let mut protocol = match slot.borrow_mut().take() {
                Some(p) if p.kind() == kind => p,
                _ => new_protocol(kind),
            };
            let io = Io::new(&transport, &target);
            let result = sync_into(&*replica, protocol.as_mut(), &io, None).await;
            slot.borrow_mut().get_or_insert(protocol);
            result.map(|stats| convert::stats_to_js(&stats)).map_err(|e| error_to_js(&e))
        })
    }

    /// Runs one read-only statement with positional `args` (an array, or nothing) on the replica.
    /// Returns `{columns, columnTypes, rows}`, rows as arrays of values.
    pub fn query(&self, sql: &str, args: JsValue) -> std::result::Result<JsValue, JsValue> {
        let params = convert::args_from_js(&args)?;
        let rows = self.replica.borrow_mut().query(sql, &params).map_err(|e| error_to_js(&e))?;
        Ok(convert::rows_to_js(&rows))
    }

    /// The replica's position in its text form, or `null` before the first sync.
    #[wasm_bindgen(getter)]
    pub fn position(&self) -> Option<String> {
        self.replica.borrow().newest_position().map(|p| p.to_string())
    }
}

fn new_protocol(kind: ProtocolKind) -> Box<dyn Protocol> {
    match kind {
        ProtocolKind::HttpSync => Box::new(HttpSync::new()),
        _ => Box::new(Sqld::new()),
    }
}
