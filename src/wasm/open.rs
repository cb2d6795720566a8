//! `openClient`: the one constructor the shim calls. Rust decides which client a configuration
//! gets: a `WasmLocalClient` for a local database (`:memory:` / `file:` without `syncUrl`), else a
//! `WasmClient` (embedded replica or remote-only).

use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::JsValue;

use super::client::WasmClient;
use super::convert::{error_to_js, get_number, get_string, type_error};
use super::local::WasmLocalClient;
use crate::client::ClientConfig;

/// `@libsql/client`'s default `concurrency`.
const DEFAULT_CONCURRENCY: f64 = 20.0;

/// Opens the client `config` describes (already expanded by the shim); `fetch`, `waitUntil`,
/// `clock` and `snapshotStore` as for `WasmClient`.
#[wasm_bindgen(js_name = openClient)]
pub fn open_client(
    config: JsValue,
    fetch: JsValue,
    wait_until: JsValue,
    clock: JsValue,
    snapshot_store: JsValue,
) -> Result<JsValue, JsValue> {
    let url = get_string(&config, "url")?.ok_or_else(|| type_error("config.url is required"))?;
    let encryption = js_sys::Reflect::get(&config, &"encryptionKey".into())?;
    let local = ClientConfig {
        url,
        sync_url: get_string(&config, "syncUrl")?,
        encryption_key: !(encryption.is_undefined() || encryption.is_null()),
        ..Default::default()
    };
    match local.local_database().map_err(|e| error_to_js(&e))? {
        Some(url) => {
            let concurrency = get_number(&config, "concurrency")?.unwrap_or(DEFAULT_CONCURRENCY) as usize;
            Ok(WasmLocalClient::open(url, concurrency).map_err(|e| error_to_js(&e))?.into())
        }
        None => Ok(WasmClient::new(config, fetch, wait_until, clock, snapshot_store)?.into()),
    }
}
