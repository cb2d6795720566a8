//! `WasmLocalClient`: the crate's `LocalClient` exported to JS with the same methods as
//! `WasmClient` (the shim drives both through one interface). Calls run synchronously; their
//! results come back as settled promises so the two classes look alike.

use std::cell::RefCell;

use js_sys::Promise;
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::JsValue;

use super::args::{mode_from_js, statement_from_js, statement_parts_from_js, statements_from_js};
use super::convert::error_to_js;
use super::packed::pack;
use super::results::{result_to_js, results_to_js};
use crate::error::Error;
use crate::local::LocalClient;

/// A local database exported to JS.
#[wasm_bindgen(js_name = WasmLocalClient)]
pub struct WasmLocalClient {
    client: LocalClient,
    /// The last packed result of `executeLocal`.
    packed: RefCell<Vec<u8>>,
}

fn settle<T>(result: crate::error::Result<T>, to_js: impl FnOnce(T) -> JsValue) -> Promise {
    match result {
        Ok(v) => Promise::resolve(&to_js(v)),
        Err(e) => Promise::reject(&error_to_js(&e)),
    }
}

fn done(_: ()) -> JsValue {
    JsValue::UNDEFINED
}

impl WasmLocalClient {
    /// Opens the local database `url` with at most `concurrency` connections.
    pub fn open(url: &str, concurrency: usize) -> crate::error::Result<WasmLocalClient> {
        Ok(WasmLocalClient { client: LocalClient::open(url, concurrency)?, packed: RefCell::new(Vec::new()) })
    }
}

#[wasm_bindgen(js_class = WasmLocalClient)]
impl WasmLocalClient {
    /// `execute(stmt)`.
    pub fn execute(&self, stmt: JsValue) -> Result<Promise, JsValue> {
        let stmt = statement_from_js(&stmt)?;
        Ok(settle(self.client.execute(&stmt), |r| result_to_js(&r)))
    }

    /// `execute({sql, args})` run now, as `WasmClient::executeLocal`: the address of the packed
    /// result (a local database always answers at once); an error is thrown.
    #[wasm_bindgen(js_name = executeLocal)]
    pub fn execute_local(&self, sql: String, args: JsValue, _consistency: JsValue) -> Result<u32, JsValue> {
        let stmt = statement_parts_from_js(sql, &args)?;
        let rs = self.client.execute(&stmt).map_err(|e| error_to_js(&e))?;
        let mut packed = self.packed.borrow_mut();
        pack(&rs, &mut packed);
        Ok(packed.as_ptr() as u32)
    }

    /// `batch(stmts, mode)`.
    pub fn batch(&self, stmts: JsValue, mode: Option<String>) -> Result<Promise, JsValue> {
        let (stmts, mode) = (statements_from_js(&stmts)?, mode_from_js(mode)?);
        Ok(settle(self.client.batch(&stmts, mode), |r| results_to_js(&r)))
    }

    /// `migrate(stmts)`.
    pub fn migrate(&self, stmts: JsValue) -> Result<Promise, JsValue> {
        let stmts = statements_from_js(&stmts)?;
        Ok(settle(self.client.migrate(&stmts), |r| results_to_js(&r)))
    }

    /// `executeMultiple(sql)`.
    #[wasm_bindgen(js_name = executeMultiple)]
    pub fn execute_multiple(&self, sql: String) -> Promise {
        settle(self.client.execute_multiple(&sql), done)
    }

    /// `sync()`: a local database has no primary.
    pub fn sync(&self) -> Promise {
        let e =
            Error::Config { code: "SYNC_NOT_SUPPORTED", message: "sync is not supported for local databases".into() };
        Promise::reject(&error_to_js(&e))
    }

    /// `reconnect()`: closes every connection and opens again.
    pub fn reconnect(&self) {
        self.client.reconnect();
    }

    /// `transaction(mode)`: resolves to a transaction id.
    pub fn transaction(&self, mode: Option<String>) -> Result<Promise, JsValue> {
        let mode = mode_from_js(mode)?;
        Ok(settle(self.client.transaction(mode), JsValue::from))
    }

    /// `tx.execute(stmt)`.
    #[wasm_bindgen(js_name = txExecute)]
    pub fn tx_execute(&self, id: u32, stmt: JsValue) -> Result<Promise, JsValue> {
        let stmt = statement_from_js(&stmt)?;
        Ok(settle(self.client.tx_execute(id, &stmt), |r| result_to_js(&r)))
    }

    /// `tx.batch(stmts)`.
    #[wasm_bindgen(js_name = txBatch)]
    pub fn tx_batch(&self, id: u32, stmts: JsValue) -> Result<Promise, JsValue> {
        let stmts = statements_from_js(&stmts)?;
        Ok(settle(self.client.tx_batch(id, &stmts), |r| results_to_js(&r)))
    }

    /// `tx.executeMultiple(sql)`.
    #[wasm_bindgen(js_name = txExecuteMultiple)]
    pub fn tx_execute_multiple(&self, id: u32, sql: String) -> Promise {
        settle(self.client.tx_execute_multiple(id, &sql), done)
    }

    /// `tx.commit()`.
    #[wasm_bindgen(js_name = txCommit)]
    pub fn tx_commit(&self, id: u32) -> Promise {
        settle(self.client.tx_commit(id), done)
    }

    /// `tx.rollback()`.
    #[wasm_bindgen(js_name = txRollback)]
    pub fn tx_rollback(&self, id: u32) -> Promise {
        settle(self.client.tx_rollback(id), done)
    }

    /// `tx.close()`.
    #[wasm_bindgen(js_name = txClose)]
    pub fn tx_close(&self, id: u32) -> Promise {
        self.client.tx_close(id);
        Promise::resolve(&JsValue::UNDEFINED)
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

    /// `protocol`: `"file"`, as `@libsql/client` names its local client.
    #[wasm_bindgen(getter)]
    pub fn protocol(&self) -> String {
        "file".into()
    }

    /// A local database has no replication position.
    #[wasm_bindgen(getter)]
    pub fn position(&self) -> Option<String> {
        None
    }

    /// No replica pages (the database lives in SQLite's own memory).
    #[wasm_bindgen(getter, js_name = memoryBytes)]
    pub fn memory_bytes(&self) -> f64 {
        0.0
    }

    /// `true`: the shim binds arguments and reports transaction errors as the local
    /// `@libsql/client` does.
    #[wasm_bindgen(getter)]
    pub fn local(&self) -> bool {
        true
    }
}
