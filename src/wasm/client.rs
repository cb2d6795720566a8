//! `WasmClient`: the crate's `Client` exported to JS, one method per `@libsql/client` method plus
//! libsql-edge's own (`stats`, `serverTiming`, `bookmark`, sessions through a `consistency`
//! argument). Every call converts its arguments, runs the Rust client and converts the result;
//! nothing is decided here. Background sync work the engine starts is run through the caller's
//! `waitUntil` when one was given.

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::{Function, Promise};
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::future_to_promise;

use super::args::{
    config_from_js, consistency_from_js, mode_from_js, statement_from_js, statement_parts_from_js, statements_from_js,
};
use super::convert::{self, error_to_js};
use super::fetch::FetchTransport;
use super::packed::Packer;
use super::results::{client_stats_to_js, replicated_to_js, result_to_js, results_to_js};
use super::snapshot::JsSnapshotStore;
use crate::client::{Client, ResultSet};
use crate::error::Error;
use crate::transport::Transport;

/// A client exported to JS.
#[wasm_bindgen(js_name = WasmClient)]
pub struct WasmClient {
    client: Rc<Client>,
    transport: Rc<FetchTransport>,
    /// The last packed result of `executeLocal` (read by the shim before its next call).
    packed: RefCell<Vec<u8>>,
}

fn reject(e: Error) -> JsValue {
    error_to_js(&e)
}

/// The size of the wasm instance's linear memory (it only ever grows).
fn wasm_memory_bytes() -> f64 {
    (core::arch::wasm32::memory_size(0) as f64) * 65536.0
}

#[wasm_bindgen(js_class = WasmClient)]
impl WasmClient {
    /// `config`: `@libsql/client`'s Config plus libsql-edge's options; `fetch`: the fetch function
    /// (`globalThis.fetch` when absent); `waitUntil`: keeps background syncs alive after the
    /// response (e.g. `waitUntil` from `cloudflare:workers`); `clock`: milliseconds since the epoch
    /// (tests; `Date.now` when absent); `snapshotStore`: `{get, put}` of bytes (js/snapshot.ts), or
    /// `undefined`.
    #[wasm_bindgen(constructor)]
    pub fn new(
        config: JsValue,
        fetch: JsValue,
        wait_until: JsValue,
        clock: JsValue,
        snapshot_store: JsValue,
    ) -> Result<WasmClient, JsValue> {
        let wait_until = wait_until.dyn_into::<Function>().ok();
        let config = config_from_js(&config, wait_until.is_some())?;
        let client = Rc::new(Client::new(&config).map_err(reject)?);
        let transport = Rc::new(FetchTransport::new(&fetch, clock.dyn_into::<Function>().ok())?);
        if !(snapshot_store.is_undefined() || snapshot_store.is_null()) {
            client.set_snapshot_store(Rc::new(JsSnapshotStore::new(snapshot_store)?));
        }
        let (weak, background) = (Rc::downgrade(&client), transport.clone());
        client.set_spawner(Box::new(move |task, token| {
            let (weak, transport) = (weak.clone(), background.clone());
            let promise = future_to_promise(async move {
                if let Some(engine) = weak.upgrade().as_deref().and_then(Client::engine) {
                    engine.run_task(transport.as_ref(), task, token).await;
                }
                Ok(JsValue::UNDEFINED)
            });
            if let Some(wait_until) = &wait_until {
                let _ = wait_until.call1(&JsValue::NULL, &promise);
            }
        }));
        Ok(WasmClient { client, transport, packed: RefCell::new(Vec::new()) })
    }

    /// Runs `future` on the client and converts its result.
    fn run<T, F>(&self, call: impl FnOnce(Rc<Client>, Rc<FetchTransport>) -> F, to_js: fn(&T) -> JsValue) -> Promise
    where
        F: std::future::Future<Output = crate::error::Result<T>> + 'static,
        T: 'static,
    {
        let future = call(self.client.clone(), self.transport.clone());
        future_to_promise(async move { future.await.map(|v| to_js(&v)).map_err(reject) })
    }

    /// `execute(stmt)`; `consistency` (a session's `{bookmark, maxLag, onStale}`) is optional.
    pub fn execute(&self, stmt: JsValue, consistency: JsValue) -> Result<Promise, JsValue> {
        let stmt = statement_from_js(&stmt)?;
        let consistency = consistency_from_js(&self.client, &consistency)?;
        Ok(self.run(move |c, t| async move { c.execute_with(t.as_ref(), &stmt, &consistency).await }, result_to_js))
    }

    /// The synchronous fast path of `execute(stmt)` for `{sql, args}`: when the replica can answer
    /// now (Rust decides, as `execute` would), runs the read and returns the address of its
    /// result packed in wasm memory (`wasm/packed.rs`; valid until this client's next call);
    /// returns 0 when the call needs the async `execute`. A local read's error is thrown.
    #[wasm_bindgen(js_name = executeLocal)]
    pub fn execute_local(&self, sql: String, args: JsValue, consistency: JsValue) -> Result<u32, JsValue> {
        let stmt = statement_parts_from_js(sql, &args)?;
        let consistency = consistency_from_js(&self.client, &consistency)?;
        let mut packed = self.packed.borrow_mut();
        let mut packer = Packer::new(&mut packed);
        match self.client.try_execute_local(self.transport.as_ref(), &stmt, &consistency, &mut packer) {
            None => Ok(0),
            Some(Err(e)) => Err(reject(e)),
            Some(Ok(bookmark)) => {
                packer.finish(0, None, bookmark.as_deref());
                Ok(packed.as_ptr() as u32)
            }
        }
    }

    /// `batch(stmts, mode)`, with an optional `consistency`.
    pub fn batch(&self, stmts: JsValue, mode: Option<String>, consistency: JsValue) -> Result<Promise, JsValue> {
        let (stmts, mode) = (statements_from_js(&stmts)?, mode_from_js(mode)?);
        let consistency = consistency_from_js(&self.client, &consistency)?;
        Ok(self.run(
            move |c, t| async move { c.batch_with(t.as_ref(), &stmts, mode, &consistency).await },
            |r: &Vec<ResultSet>| results_to_js(r),
        ))
    }

    /// `migrate(stmts)`.
    pub fn migrate(&self, stmts: JsValue) -> Result<Promise, JsValue> {
        let stmts = statements_from_js(&stmts)?;
        Ok(self
            .run(move |c, t| async move { c.migrate(t.as_ref(), &stmts).await }, |r: &Vec<ResultSet>| results_to_js(r)))
    }

    /// `executeMultiple(sql)`.
    #[wasm_bindgen(js_name = executeMultiple)]
    pub fn execute_multiple(&self, sql: String) -> Promise {
        self.run(move |c, t| async move { c.execute_multiple(t.as_ref(), &sql).await }, |_: &()| JsValue::UNDEFINED)
    }

    /// `sync()`: `{frame_no, frames_synced, stats}`.
    pub fn sync(&self) -> Promise {
        self.run(move |c, t| async move { c.sync(t.as_ref()).await }, replicated_to_js)
    }

    /// `transaction(mode)`, with an optional `consistency`: resolves to a transaction id.
    pub fn transaction(&self, mode: Option<String>, consistency: JsValue) -> Result<Promise, JsValue> {
        let mode = mode_from_js(mode)?;
        let consistency = consistency_from_js(&self.client, &consistency)?;
        Ok(self.run(
            move |c, t| async move { c.transaction_with(t.as_ref(), mode, &consistency).await },
            |id: &u32| JsValue::from(*id),
        ))
    }

    /// `tx.execute(stmt)`.
    #[wasm_bindgen(js_name = txExecute)]
    pub fn tx_execute(&self, id: u32, stmt: JsValue) -> Result<Promise, JsValue> {
        let stmt = statement_from_js(&stmt)?;
        Ok(self.run(move |c, t| async move { c.tx_execute(t.as_ref(), id, &stmt).await }, result_to_js))
    }

    /// `tx.batch(stmts)`.
    #[wasm_bindgen(js_name = txBatch)]
    pub fn tx_batch(&self, id: u32, stmts: JsValue) -> Result<Promise, JsValue> {
        let stmts = statements_from_js(&stmts)?;
        Ok(self.run(
            move |c, t| async move { c.tx_batch(t.as_ref(), id, &stmts).await },
            |r: &Vec<ResultSet>| results_to_js(r),
        ))
    }

    /// `tx.executeMultiple(sql)`.
    #[wasm_bindgen(js_name = txExecuteMultiple)]
    pub fn tx_execute_multiple(&self, id: u32, sql: String) -> Promise {
        self.run(
            move |c, t| async move { c.tx_execute_multiple(t.as_ref(), id, &sql).await },
            |_: &()| JsValue::UNDEFINED,
        )
    }

    /// `tx.commit()`.
    #[wasm_bindgen(js_name = txCommit)]
    pub fn tx_commit(&self, id: u32) -> Promise {
        self.run(move |c, t| async move { c.tx_commit(t.as_ref(), id).await }, |_: &()| JsValue::UNDEFINED)
    }

    /// `tx.rollback()`.
    #[wasm_bindgen(js_name = txRollback)]
    pub fn tx_rollback(&self, id: u32) -> Promise {
        self.run(move |c, t| async move { c.tx_rollback(t.as_ref(), id).await }, |_: &()| JsValue::UNDEFINED)
    }

    /// `tx.close()`: rolls back if still open; never fails.
    #[wasm_bindgen(js_name = txClose)]
    pub fn tx_close(&self, id: u32) -> Promise {
        self.run(
            move |c, t| async move {
                c.tx_close(t.as_ref(), id).await;
                Ok(())
            },
            |_: &()| JsValue::UNDEFINED,
        )
    }

    /// `tx.closed`.
    #[wasm_bindgen(js_name = txClosed)]
    pub fn tx_closed(&self, id: u32) -> bool {
        self.client.transaction_closed(id)
    }

    /// `close()`.
    pub fn close(&self) {
        self.client.close();
    }

    /// `closed`.
    #[wasm_bindgen(getter)]
    pub fn closed(&self) -> bool {
        self.client.is_closed()
    }

    /// `protocol`: `"file"` for an embedded replica, `"http"` for remote-only.
    #[wasm_bindgen(getter)]
    pub fn protocol(&self) -> String {
        self.client.protocol().to_string()
    }

    /// The replica's position in its text form, or `null`.
    #[wasm_bindgen(getter)]
    pub fn position(&self) -> Option<String> {
        self.client.position().map(|p| p.to_string())
    }

    /// Page bytes the replica holds.
    #[wasm_bindgen(getter, js_name = memoryBytes)]
    pub fn memory_bytes(&self) -> f64 {
        self.client.memory_bytes() as f64
    }

    /// The newest position this client has seen, as a bookmark, or `null`.
    #[wasm_bindgen(getter)]
    pub fn bookmark(&self) -> Option<String> {
        self.client.bookmark()
    }

    /// Checks a session's options now (a bad bookmark throws `BOOKMARK_INVALID` at `session()`).
    #[wasm_bindgen(js_name = checkConsistency)]
    pub fn check_consistency(&self, consistency: JsValue) -> Result<(), JsValue> {
        consistency_from_js(&self.client, &consistency).map(|_| ())
    }

    /// `stats()`.
    pub fn stats(&self) -> JsValue {
        client_stats_to_js(&self.client.stats(self.transport.now_ms()), wasm_memory_bytes())
    }

    /// `serverTiming()`: a `Server-Timing` header value for the last call.
    #[wasm_bindgen(js_name = serverTiming)]
    pub fn server_timing(&self) -> String {
        self.client.server_timing()
    }
}

/// `configure({ memoryBudgetBytes })`: the budget the replicas of this isolate share (`null`:
/// unlimited).
#[wasm_bindgen(js_name = configureIsolate)]
pub fn configure_isolate(memory_budget_bytes: Option<f64>) -> Result<(), JsValue> {
    match memory_budget_bytes {
        Some(b) if !(b.is_finite() && b >= 0.0) => {
            Err(convert::type_error("memoryBudgetBytes must be a number of bytes"))
        }
        b => {
            crate::replica::MemoryPool::isolate().set_limit(b.map(|b| b as u64));
            Ok(())
        }
    }
}
