//! JS arguments into the client's Rust types: the `createClient` config, statements, transaction
//! modes and the consistency options of a session.

use js_sys::{Array, Object, Reflect};
use wasm_bindgen::{JsCast, JsValue};

use super::convert::{self, error_to_js, type_error, value_from_js};
use crate::client::{Client, ClientConfig, Statement, TxMode};
use crate::sync::engine::Consistency;

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

/// `@libsql/client`'s Config plus libsql-edge's options; `wait_until` says whether the caller gave
/// a `waitUntil`.
pub fn config_from_js(config: &JsValue, wait_until: bool) -> Result<ClientConfig, JsValue> {
    let url = convert::get_string(config, "url")?.ok_or_else(|| type_error("config.url is required"))?;
    let encryption = get(config, "encryptionKey")?;
    Ok(ClientConfig {
        url,
        sync_url: convert::get_string(config, "syncUrl")?,
        auth_token: convert::get_string(config, "authToken")?,
        sync_interval_s: convert::get_number(config, "syncInterval")?,
        read_your_writes: opt_bool(config, "readYourWrites")?,
        sync_protocol: convert::get_string(config, "syncProtocol")?,
        memory_budget_bytes: convert::get_number(config, "memoryBudgetBytes")?.map(|n| n as u64),
        timeout_ms: convert::get_number(config, "timeoutMs")?.map(|n| n as u32),
        max_response_bytes: convert::get_number(config, "maxResponseBytes")?.map(|n| n as u64),
        concurrency: convert::get_number(config, "concurrency")?.map(|n| n as u32),
        cold_start: convert::get_string(config, "coldStart")?,
        wait_until,
        max_lag_ms: convert::get_number(config, "maxLag")?,
        on_stale: convert::get_string(config, "onStale")?,
        snapshot_key: convert::get_string(config, "snapshotKey")?,
        snapshot_max_age_ms: convert::get_number(config, "snapshotMaxAgeMs")?,
        partial: {
            let partial = get(config, "partial")?;
            match partial.as_bool() {
                Some(b) => Some(b.to_string()),
                None if partial.is_undefined() || partial.is_null() => None,
                None => Some(partial.as_string().unwrap_or_else(|| "?".into())),
            }
        },
        encryption_key: !(encryption.is_undefined() || encryption.is_null()),
    })
}

/// `{sql, args}` with `args` an array (positional) or a plain object (named).
pub fn statement_from_js(stmt: &JsValue) -> Result<Statement, JsValue> {
    let sql = get(stmt, "sql")?.as_string().ok_or_else(|| type_error("statement sql must be a string"))?;
    statement_parts_from_js(sql, &get(stmt, "args")?)
}

/// A statement from its SQL and its `args` (an array, a plain object of named arguments, or
/// `undefined` / `null`).
pub fn statement_parts_from_js(sql: String, args: &JsValue) -> Result<Statement, JsValue> {
    let args = args.clone();
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

/// An array of statements.
pub fn statements_from_js(stmts: &JsValue) -> Result<Vec<Statement>, JsValue> {
    if !Array::is_array(stmts) {
        return Err(type_error("statements must be an array"));
    }
    Array::from(stmts).iter().map(|s| statement_from_js(&s)).collect()
}

/// `"write"`, `"read"` or `"deferred"` (the default).
pub fn mode_from_js(mode: Option<String>) -> Result<TxMode, JsValue> {
    let name = mode.unwrap_or_else(|| "deferred".into());
    TxMode::parse(&name).ok_or_else(|| js_sys::RangeError::new(&format!("Unknown transaction mode {name:?}")).into())
}

/// A session's `{bookmark, maxLag, onStale}` over the client's defaults; `undefined` is the
/// defaults. A bad bookmark or option is a `LibsqlError` with its code.
pub fn consistency_from_js(client: &Client, options: &JsValue) -> Result<Consistency, JsValue> {
    let mut c = client.default_consistency();
    if options.is_undefined() || options.is_null() {
        return Ok(c);
    }
    if let Some(text) = convert::get_string(options, "bookmark")? {
        c.bookmark = Some(client.parse_bookmark(&text).map_err(|e| error_to_js(&e))?);
    }
    if let Some(ms) = convert::get_number(options, "maxLag")? {
        c.max_lag_ms = Some(ms);
    }
    if let Some(name) = convert::get_string(options, "onStale")? {
        c.on_stale = crate::client::parse_on_stale(Some(&name)).map_err(|e| error_to_js(&e))?;
    }
    Ok(c)
}
