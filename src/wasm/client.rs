//! `WasmClient`: the crate's `Client` exported to JS, one method per `@libsql/client` method. Every
//! call converts its arguments, runs the Rust client and converts the result; nothing is decided
//! here except how a due interval sync is started (in the background, handed to the caller's
//! `waitUntil` when one was given, so reads are not blocked by it).

use std::rc::Rc;

use js_sys::{Array, BigInt, Function, Object, Promise, Reflect};
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::future_to_promise;

use super::convert::{self, error_to_js, stats_to_js, type_error, value_from_js, value_to_js};
use super::fetch::FetchTransport;
use crate::client::{Client, ClientConfig, ResultSet, Statement, TxMode};
use crate::error::Error;
use crate::protocol::Position;
use crate::sync::SyncStats;
use crate::transport::Transport;

/// A client exported to JS.
#[wasm_bindgen(js_name = WasmClient)]
pub struct WasmClient {
    client: Rc<Client>,
    transport: Rc<FetchTransport>,
    wait_until: Option<Function>,
}

fn get(object: &JsValue, key: &str) -> Result<JsValue, JsValue> {
    Reflect::get(object, &key.into())
}

fn opt_bool(object: &JsValue, key: &str) -> Result<Option<bool>, JsValue> {
    let v = get(object, key)?;
    if v.is_undefined() || v.is_null() {
        return Ok(None);
    }
    v.as_bool().map(Some).ok_or_else(|| type_error(&format!("{key} must be a boolean")))
}

/// `{sql, args}` with `args` an array (positional) or a plain object (named).
pub(super) fn statement_from_js(stmt: &JsValue) -> Result<Statement, JsValue> {
    let sql = get(stmt, "sql")?.as_string().ok_or_else(|| type_error("statement sql must be a string"))?;
    let args = get(stmt, "args")?;
    if args.is_undefined() || args.is_null() || Array::is_array(&args) {
        return Ok(Statement { sql, args: convert::args_from_js(&args)?, named_args: Vec::new() });
    }
    let mut named_args = Vec::new();
    for entry in Object::entries(args.unchecked_ref::<Object>()).iter() {
        let pair = Array::from(&entry);
        let name = pair.get(0).as_string().unwrap_or_default();
        named_args.push((name, value_from_js(&pair.get(1))?));
    }
    Ok(Statement { sql, args: Vec::new(), named_args })
}

pub(super) fn statements_from_js(stmts: &JsValue) -> Result<Vec<Statement>, JsValue> {
    if !Array::is_array(stmts) {
        return Err(type_error("statements must be an array"));
    }
    Array::from(stmts).iter().map(|s| statement_from_js(&s)).collect()
}

pub(super) fn mode_from_js(mode: Option<String>) -> Result<TxMode, JsValue> {
    let name = mode.unwrap_or_else(|| "deferred".into());
    TxMode::parse(&name).ok_or_else(|| js_sys::RangeError::new(&format!("Unknown transaction mode {name:?}")).into())
}

/// `{columns, columnTypes, rows, rowsAffected, lastInsertRowid}`.
pub(super) fn result_to_js(rs: &ResultSet) -> JsValue {
    let object = Object::new();
    let columns: Array = rs.columns.iter().map(|c| JsValue::from_str(c)).collect();
    let types: Array = rs.column_types.iter().map(|t| JsValue::from_str(t)).collect();
    let rows: Array = rs.rows.iter().map(|row| row.iter().map(value_to_js).collect::<Array>()).collect();
    let rowid = rs.last_insert_rowid.map(|r| JsValue::from(BigInt::from(r))).unwrap_or(JsValue::UNDEFINED);
    for (key, value) in [
        ("columns", columns.into()),
        ("columnTypes", types.into()),
        ("rows", rows.into()),
        ("rowsAffected", JsValue::from(rs.rows_affected as f64)),
        ("lastInsertRowid", rowid),
    ] {
        let _ = Reflect::set(&object, &key.into(), &value);
    }
    object.into()
}

pub(super) fn results_to_js(results: &[ResultSet]) -> JsValue {
    results.iter().map(result_to_js).collect::<Array>().into()
}

/// `@libsql/client`'s `Replicated`: `{frame_no, frames_synced}`, plus our `stats`.
fn replicated_to_js(stats: &SyncStats) -> JsValue {
    let frame_no = match &stats.position {
        Some(Position::Sqld { frame_no, .. }) | Some(Position::Http { frame_no, .. }) => frame_no.0 as f64,
        Some(Position::Revision(r)) => r.0.parse::<f64>().unwrap_or(0.0),
        None => 0.0,
    };
    let object = Object::new();
    let _ = Reflect::set(&object, &"frame_no".into(), &frame_no.into());
    let _ = Reflect::set(&object, &"frames_synced".into(), &(stats.frames_synced as f64).into());
    let _ = Reflect::set(&object, &"stats".into(), &stats_to_js(stats));
    object.into()
}

fn reject(e: Error) -> JsValue {
    error_to_js(&e)
}

#[wasm_bindgen(js_class = WasmClient)]
impl WasmClient {
    /// `config`: `@libsql/client`'s Config plus `syncProtocol`, `memoryBudgetBytes`, `timeoutMs`;
    /// `fetch`: the fetch function (`globalThis.fetch` when absent); `waitUntil`: the request's
    /// `ctx.waitUntil` (optional), which keeps a background sync alive after the response.
    #[wasm_bindgen(constructor)]
    pub fn new(config: JsValue, fetch: JsValue, wait_until: JsValue) -> Result<WasmClient, JsValue> {
        let url = convert::get_string(&config, "url")?.ok_or_else(|| type_error("config.url is required"))?;
        let encryption = get(&config, "encryptionKey")?;
        let config = ClientConfig {
            url,
            sync_url: convert::get_string(&config, "syncUrl")?,
            auth_token: convert::get_string(&config, "authToken")?,
            sync_interval_s: convert::get_number(&config, "syncInterval")?,
            read_your_writes: opt_bool(&config, "readYourWrites")?,
            sync_protocol: convert::get_string(&config, "syncProtocol")?,
            memory_budget_bytes: convert::get_number(&config, "memoryBudgetBytes")?.map(|n| n as u64),
            timeout_ms: convert::get_number(&config, "timeoutMs")?.map(|n| n as u32),
            max_response_bytes: convert::get_number(&config, "maxResponseBytes")?.map(|n| n as u64),
            concurrency: convert::get_number(&config, "concurrency")?.map(|n| n as u32),
            encryption_key: !(encryption.is_undefined() || encryption.is_null()),
        };
        let client = Client::new(&config).map_err(reject)?;
        let wait_until = wait_until.dyn_into::<Function>().ok();
        Ok(WasmClient { client: Rc::new(client), transport: Rc::new(FetchTransport::new(&fetch)?), wait_until })
    }

    /// Starts a due interval sync in the background (never for the first bootstrap, which the call
    /// itself awaits). Its failure is left for the next sync to retry.
    fn start_due_sync(&self) {
        let now = self.transport.now_ms();
        if self.client.position().is_none() || !self.client.sync_due(now) {
            return;
        }
        let (client, transport) = (self.client.clone(), self.transport.clone());
        let promise = future_to_promise(async move {
            let _ = client.sync(transport.as_ref()).await;
            Ok(JsValue::UNDEFINED)
        });
        if let Some(wait_until) = &self.wait_until {
            let _ = wait_until.call1(&JsValue::NULL, &promise);
        }
    }

    /// Runs `future` on the client and converts its result.
    fn run<T, F>(&self, call: impl FnOnce(Rc<Client>, Rc<FetchTransport>) -> F, to_js: fn(&T) -> JsValue) -> Promise
    where
        F: std::future::Future<Output = crate::error::Result<T>> + 'static,
        T: 'static,
    {
        self.start_due_sync();
        let future = call(self.client.clone(), self.transport.clone());
        future_to_promise(async move { future.await.map(|v| to_js(&v)).map_err(reject) })
    }

    /// `execute(stmt)`.
    pub fn execute(&self, stmt: JsValue) -> Result<Promise, JsValue> {
        let stmt = statement_from_js(&stmt)?;
        Ok(self.run(move |c, t| async move { c.execute(t.as_ref(), &stmt).await }, result_to_js))
    }

    /// `batch(stmts, mode)`.
    pub fn batch(&self, stmts: JsValue, mode: Option<String>) -> Result<Promise, JsValue> {
        let (stmts, mode) = (statements_from_js(&stmts)?, mode_from_js(mode)?);
        Ok(self.run(
            move |c, t| async move { c.batch(t.as_ref(), &stmts, mode).await },
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
        let (client, transport) = (self.client.clone(), self.transport.clone());
        future_to_promise(
            async move { client.sync(transport.as_ref()).await.map(|s| replicated_to_js(&s)).map_err(reject) },
        )
    }

    /// `transaction(mode)`: resolves to a transaction id.
    pub fn transaction(&self, mode: Option<String>) -> Result<Promise, JsValue> {
        let mode = mode_from_js(mode)?;
        Ok(self.run(move |c, t| async move { c.transaction(t.as_ref(), mode).await }, |id: &u32| JsValue::from(*id)))
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
        let (client, transport) = (self.client.clone(), self.transport.clone());
        future_to_promise(async move {
            client.tx_close(transport.as_ref(), id).await;
            Ok(JsValue::UNDEFINED)
        })
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

    /// The size of the wasm instance's linear memory (it only ever grows).
    #[wasm_bindgen(getter, js_name = wasmMemoryBytes)]
    pub fn wasm_memory_bytes(&self) -> f64 {
        (core::arch::wasm32::memory_size(0) as f64) * 65536.0
    }
}
