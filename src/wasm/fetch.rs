//! `FetchTransport`: the `Transport` over a JS `fetch` function, injected from JS by the JS package
//! (default `globalThis.fetch`) or the runtime's global `fetch` for a Rust Worker (feature
//! `worker`), called exactly as `@libsql/client` calls it: with one web-sys `Request`. This is the
//! one HTTP implementation of every wasm build.
//! Each request gets an `AbortController` whose `abort` a `setTimeout` fires after the request's
//! timeout; the timer lives as long as the response body is being read and is cleared once the body
//! has ended, failed or been dropped, so no timer outlives a request. Bodies are read by
//! `body::FetchBody`; dropping one before its end cancels the stream. JS rejections are classified
//! here, once, into `TransportError`.

use js_sys::{Array, Function, Promise, Reflect, Uint8Array};
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{AbortController, Headers, RequestInit};

use super::body::{FetchBody, Reader};
use crate::transport::{Body, BoxFuture, Request, Response, Transport, TransportError};

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_name = setTimeout)]
    fn set_timeout(callback: &Function, ms: f64) -> JsValue;

    #[wasm_bindgen(js_name = clearTimeout)]
    fn clear_timeout(id: &JsValue);
}

/// HTTP through a JS `fetch(request)` function.
#[derive(Debug, Clone)]
pub struct FetchTransport {
    fetch: Function,
    /// Milliseconds since the epoch (`Date.now` when `None`).
    clock: Option<Function>,
}

impl FetchTransport {
    /// Uses `fetch`, or the runtime's `globalThis.fetch` when it is `undefined` / `null`, and
    /// `clock` for the time when given.
    pub fn new(fetch: &JsValue, clock: Option<Function>) -> Result<FetchTransport, JsValue> {
        let fetch = if fetch.is_undefined() || fetch.is_null() {
            Reflect::get(&js_sys::global(), &"fetch".into())?
        } else {
            fetch.clone()
        };
        match fetch.dyn_into::<Function>() {
            Ok(fetch) => Ok(FetchTransport { fetch, clock }),
            Err(_) => Err(js_sys::TypeError::new("fetch must be a function").into()),
        }
    }

    /// Uses the runtime's `globalThis.fetch` and `Date.now` (what `worker::Fetch` calls).
    pub fn global() -> Result<FetchTransport, JsValue> {
        FetchTransport::new(&JsValue::UNDEFINED, None)
    }

    async fn send_js(&self, request: Request) -> Result<Response, TransportError> {
        let controller = AbortController::new().map_err(|e| classify(&e, None, request.timeout_ms))?;
        let timer = Timer::start(&controller, request.timeout_ms);
        match self.exchange(&request, &controller).await {
            Ok((status, headers, reader)) => {
                let body = FetchBody::new(reader, controller, request.timeout_ms, timer);
                Ok(Response { status, headers, body: Body::new(body) })
            }
            Err(e) => Err(classify(&e, Some(&controller), request.timeout_ms)),
        }
    }

    /// Sends the request; returns status, headers and a reader of the body (`None`: no body).
    async fn exchange(
        &self,
        request: &Request,
        controller: &AbortController,
    ) -> Result<(u16, Vec<(String, String)>, Option<Reader>), JsValue> {
        let headers = Headers::new()?;
        for (name, value) in &request.headers {
            headers.append(name, value)?;
        }
        let init = RequestInit::new();
        init.set_method(request.method.as_str());
        init.set_headers(&headers);
        if !request.body.is_empty() {
            init.set_body(&Uint8Array::from(request.body.as_slice()));
        }
        init.set_signal(Some(&controller.signal()));
        let js_request = web_sys::Request::new_with_str_and_init(&request.url, &init)?;
        let promise = self.fetch.call1(&js_sys::global(), &js_request)?;
        let response: web_sys::Response = JsFuture::from(Promise::resolve(&promise)).await?.dyn_into()?;
        let headers = response_headers(&response.headers())?;
        let reader = match response.body() {
            Some(stream) => Some(Reader::of(&stream)?),
            None => None,
        };
        Ok((response.status(), headers, reader))
    }
}

/// `Headers` (iterable of `[name, value]`) as pairs.
fn response_headers(headers: &Headers) -> Result<Vec<(String, String)>, JsValue> {
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
pub(super) fn classify(error: &JsValue, controller: Option<&AbortController>, timeout_ms: u32) -> TransportError {
    let name = Reflect::get(error, &"name".into()).ok().and_then(|v| v.as_string()).unwrap_or_default();
    let aborted = controller.is_some_and(|c| c.signal().aborted());
    if aborted || name == "TimeoutError" {
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
pub(super) struct Timer {
    id: JsValue,
}

impl Timer {
    pub(super) fn start(controller: &AbortController, timeout_ms: u32) -> Timer {
        // `abort` bound to its controller: a plain JS function, no Rust closure to keep alive.
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

    pub(super) fn clear(&mut self) {
        if !self.id.is_undefined() {
            clear_timeout(&self.id);
            self.id = JsValue::UNDEFINED;
        }
    }
}

impl Drop for Timer {
    fn drop(&mut self) {
        self.clear();
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
        match &self.clock {
            Some(clock) => clock.call0(&JsValue::NULL).ok().and_then(|v| v.as_f64()).unwrap_or_else(js_sys::Date::now),
            None => js_sys::Date::now(),
        }
    }
}
