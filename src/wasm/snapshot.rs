//! `JsSnapshotStore`: the snapshot tier's store over a JS object `{get(key), put(key, bytes)}`
//! (js/snapshot.ts turns a Workers/Deno `Cache`, an R2 bucket or any get/put object into that
//! shape). `get` resolves to a `Uint8Array` or `null`; its bytes are copied into wasm memory a
//! piece at a time as the loader reads them, never whole. SHA-256 digests are computed by the
//! runtime's WebCrypto (`crypto.subtle.digest`), natively, instead of in wasm.

use js_sys::{Function, Promise, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

use crate::sync::snapshot::{Object, SnapshotStore, StoreError};
use crate::transport::{Body, BodyStream, BoxFuture, TransportError, MAX_CHUNK};

/// A JS `{get, put}` store.
pub struct JsSnapshotStore {
    store: JsValue,
    get: Function,
    put: Function,
}

fn error(e: &JsValue) -> StoreError {
    let message = js_sys::Reflect::get(e, &"message".into()).ok().and_then(|m| m.as_string());
    StoreError(message.unwrap_or_else(|| "snapshot store call failed".into()))
}

impl JsSnapshotStore {
    /// Wraps `store`, which must have `get` and `put` functions.
    pub fn new(store: JsValue) -> Result<JsSnapshotStore, JsValue> {
        let method = |name: &str| -> Result<Function, JsValue> {
            js_sys::Reflect::get(&store, &name.into())?
                .dyn_into::<Function>()
                .map_err(|_| super::convert::type_error(&format!("snapshotStore.{name} must be a function")))
        };
        Ok(JsSnapshotStore { get: method("get")?, put: method("put")?, store })
    }

    async fn call(&self, f: &Function, args: &[&JsValue]) -> Result<JsValue, StoreError> {
        let promise = match args {
            [a] => f.call1(&self.store, a),
            [a, b] => f.call2(&self.store, a, b),
            _ => Err(JsValue::from_str("bad arity")),
        }
        .map_err(|e| error(&e))?;
        JsFuture::from(Promise::resolve(&promise)).await.map_err(|e| error(&e))
    }
}

/// `crypto.subtle.digest("SHA-256", array)`, or `None` where the runtime has no WebCrypto.
async fn web_crypto_sha256(array: &Uint8Array) -> Option<[u8; 32]> {
    let crypto = js_sys::Reflect::get(&js_sys::global(), &"crypto".into()).ok()?;
    let subtle = js_sys::Reflect::get(&crypto, &"subtle".into()).ok()?;
    let digest = js_sys::Reflect::get(&subtle, &"digest".into()).ok()?.dyn_into::<Function>().ok()?;
    let promise = digest.call2(&subtle, &"SHA-256".into(), array).ok()?;
    let buffer = JsFuture::from(Promise::resolve(&promise)).await.ok()?;
    let bytes = Uint8Array::new(&buffer).to_vec();
    bytes.try_into().ok()
}

/// A body read out of a JS `Uint8Array`, `MAX_CHUNK` bytes at a time.
struct ArrayBody {
    array: Uint8Array,
    at: u32,
}

impl BodyStream for ArrayBody {
    fn next_chunk(&mut self) -> BoxFuture<'_, Result<Option<Vec<u8>>, TransportError>> {
        let len = self.array.length();
        let chunk = (self.at < len).then(|| {
            let end = self.at.saturating_add(MAX_CHUNK as u32).min(len);
            let bytes = self.array.subarray(self.at, end).to_vec();
            self.at = end;
            bytes
        });
        Box::pin(std::future::ready(Ok(chunk)))
    }
}

impl SnapshotStore for JsSnapshotStore {
    fn get(&self, key: &str, max_len: u64) -> BoxFuture<'_, Result<Option<Object>, StoreError>> {
        let key = JsValue::from_str(key);
        Box::pin(async move {
            let value = self.call(&self.get, &[&key]).await?;
            if value.is_null() || value.is_undefined() {
                return Ok(None);
            }
            let array = value.dyn_into::<Uint8Array>().map_err(|_| StoreError("get did not return bytes".into()))?;
            if u64::from(array.length()) > max_len {
                return Ok(None);
            }
            let sha256 = web_crypto_sha256(&array).await;
            Ok(Some(Object { body: Body::new(ArrayBody { array, at: 0 }), sha256 }))
        })
    }

    fn sha256(&self, bytes: &[u8]) -> BoxFuture<'_, Option<[u8; 32]>> {
        let array = Uint8Array::from(bytes);
        Box::pin(async move { web_crypto_sha256(&array).await })
    }

    fn put(&self, key: &str, bytes: Vec<u8>) -> BoxFuture<'_, Result<(), StoreError>> {
        let key = JsValue::from_str(key);
        Box::pin(async move {
            let array = Uint8Array::from(bytes.as_slice());
            drop(bytes);
            self.call(&self.put, &[&key, &array]).await.map(|_| ())
        })
    }
}
