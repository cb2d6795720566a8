//! `FetchTransport`: the `Transport` over a JS `fetch` function injected from JS (default
//! `globalThis.fetch`). Each request gets an `AbortController` whose `abort` a `setTimeout` fires
//! after the request's timeout; the timer is cleared once the whole body has arrived (or failed),
//! so no timer outlives a request. JS rejections are classified here, once, into `TransportError`.

use js_sys::{Array, Function, Object, Promise, Reflect, Uint8Array};
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

use crate::transport::{BoxFuture, Request, Response, Transport, TransportError};

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_name = setTimeout)]
    fn set_timeout(callback: &Function, ms: f64) -> JsValue;

    #[wasm_bindgen(js_name = clearTimeout)]
    fn clear_timeout(id: &JsValue);

    type AbortController;

    #[wasm_bindgen(constructor)]
    fn new() -> AbortController;

    #[wasm_bindgen(method, getter)]
    fn signal(this: &AbortController) -> JsValue;
}

/// HTTP through a JS `fetch(url, init)` function.
#[derive(Debug, Clone)]
pub struct FetchTransport {
    fetch: Function,
}

impl FetchTransport {
    /// Uses `fetch`, or the runtime's `globalThis.fetch` when it is `undefined` / `null`.
    pub fn new(fetch: &JsValue) -> Result<FetchTransport, JsValue> {
        let fetch = if fetch.is_undefined() || fetch.is_null() {
            Reflect::get(&js_sys::global(), &"fetch".into())?
        } else {
            fetch.clone()
        };
        match fetch.dyn_into::<Function>() {
            Ok(fetch) => Ok(FetchTransport { fetch }),
            Err(_) => Err(super::convert::type_error("fetch must be a function")),
        }
    }

    async fn send_js(&self, request: Request) -> Result<Response, TransportError> {
        let controller = AbortController::new();
        let timer = Timer::start(&controller, request.timeout_ms);
        let outcome = self.exchange(&request, &controller.signal()).await;
        drop(timer);
        outcome.map_err(|e| classify(&e, &controller, request.timeout_ms))
    }

    /// One request and its whole body; any rejection comes back as the raw JS value.
    async fn exchange(&self, request: &Request, signal: &JsValue) -> Result<Response, JsValue> {
        let init = Object::new();
        Reflect::set(&init, &"method".into(), &request.method.as_str().into())?;
        let headers: Array =
            request.headers.iter().map(|(n, v)| Array::of2(&JsValue::from_str(n), &JsValue::from_str(v))).collect();
        Reflect::set(&init, &"headers".into(), &headers)?;
        if !request.body.is_empty() {
            Reflect::set(&init, &"body".into(), &Uint8Array::from(request.body.as_slice()))?;
        }
        Reflect::set(&init, &"signal".into(), signal)?;
        let promise = self.fetch.call2(&js_sys::global(), &JsValue::from_str(&request.url), &init)?;
        let response = JsFuture::from(Promise::resolve(&promise)).await?;
        let status = Reflect::get(&response, &"status".into())?.as_f64().unwrap_or(0.0) as u16;
        let headers = response_headers(&Reflect::get(&response, &"headers".into())?)?;
        let array_buffer: Function = Reflect::get(&response, &"arrayBuffer".into())?.dyn_into()?;
        let buffer = JsFuture::from(Promise::resolve(&array_buffer.call0(&response)?)).await?;
        let body = Uint8Array::new(&buffer).to_vec();
        Ok(Response { status, headers, body })
    }
}

/// `Headers` (iterable of `[name, value]`) as pairs.
fn response_headers(headers: &JsValue) -> Result<Vec<(String, String)>, JsValue> {
    let mut out = Vec::new();
    if let Some(iter) = js_sys::try_iter(headers)? {
        for entry in iter {
            let entry = Array::from(&entry?);
            if let (Some(n), Some(v)) = (entry.get(0).as_string(), entry.get(1).as_string()) {
                out.push((n, v));
            }
        }
    }
    Ok(out)
}

/// A rejection is a timeout when our controller fired (or the runtime says so); anything else is a
/// network error described by the JS error's name and message.
fn classify(error: &JsValue, controller: &AbortController, timeout_ms: u32) -> TransportError {
    let name = Reflect::get(error, &"name".into()).ok().and_then(|v| v.as_string()).unwrap_or_default();
    let aborted = Reflect::get(&controller.signal(), &"aborted".into()).ok().and_then(|v| v.as_bool());
    if aborted == Some(true) || name == "TimeoutError" {
        return TransportError::Timeout(timeout_ms);
    }
    let message = Reflect::get(error, &"message".into()).ok().and_then(|v| v.as_string());
    let text = match (name.is_empty(), message) {
        (false, Some(m)) => format!("{name}: {m}"),
        (_, Some(m)) => m,
        _ => js_sys::JSON::stringify(error).ok().and_then(|s| s.as_string()).unwrap_or_else(|| "fetch failed".into()),
    };
    TransportError::Network(text)
}

/// The abort timer of one request; cleared on drop.
struct Timer {
    id: JsValue,
}

impl Timer {
    fn start(controller: &AbortController, timeout_ms: u32) -> Timer {
        let abort = Reflect::get(controller, &"abort".into())
            .ok()
            .and_then(|f| f.dyn_into::<Function>().ok())
            .map(|f| f.bind0(controller));
        let id = match abort {
            Some(abort) => set_timeout(&abort, timeout_ms as f64),
            None => JsValue::UNDEFINED,
        };
        Timer { id }
    }
}

impl Drop for Timer {
    fn drop(&mut self) {
        if !self.id.is_undefined() {
            clear_timeout(&self.id);
        }
    }
}

impl Transport for FetchTransport {
    fn send(&self, request: Request) -> BoxFuture<'_, Result<Response, TransportError>> {
        Box::pin(self.send_js(request))
    }

    fn sleep(&self, ms: u32) -> BoxFuture<'_, ()> {
        let promise = Promise::new(&mut |resolve, _reject| {
            set_timeout(&resolve, ms as f64);
        });
        Box::pin(async move {
            let _ = JsFuture::from(promise).await;
        })
    }

    fn now_ms(&self) -> f64 {
        js_sys::Date::now()
    }
}
