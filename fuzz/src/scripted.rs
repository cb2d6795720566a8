//! A `Transport` whose answers come from the fuzz input: a closure maps each request to a
//! response. Sleeps (retry backoff) return at once and the clock stands still, so a run is
//! deterministic. After `MAX_REQUESTS` every request fails, which bounds any retry or sync loop.

use std::cell::{Cell, RefCell};

use libsql_edge::transport::{BoxFuture, Request, Response, Transport, TransportError};

/// Requests answered before the transport fails every further one.
pub const MAX_REQUESTS: u32 = 64;

/// Answers requests with `respond`; `None` is a network error.
pub struct Scripted<F: FnMut(&Request) -> Option<Response>> {
    respond: RefCell<F>,
    sent: Cell<u32>,
}

impl<F: FnMut(&Request) -> Option<Response>> Scripted<F> {
    /// A transport answering with `respond`.
    pub fn new(respond: F) -> Self {
        Scripted { respond: RefCell::new(respond), sent: Cell::new(0) }
    }

    /// Requests sent so far.
    pub fn sent(&self) -> u32 {
        self.sent.get()
    }
}

impl<F: FnMut(&Request) -> Option<Response>> Transport for Scripted<F> {
    fn send(&self, request: Request) -> BoxFuture<'_, Result<Response, TransportError>> {
        self.sent.set(self.sent.get() + 1);
        let answer = if self.sent.get() > MAX_REQUESTS { None } else { (self.respond.borrow_mut())(&request) };
        Box::pin(std::future::ready(answer.ok_or_else(|| TransportError::Network("script ended".into()))))
    }

    fn sleep(&self, _ms: u32) -> BoxFuture<'_, ()> {
        Box::pin(std::future::ready(()))
    }

    fn now_ms(&self) -> f64 {
        0.0
    }
}

/// A response with `status`, `headers` and `body`.
pub fn response(status: u16, headers: &[(&str, &str)], body: Vec<u8>) -> Response {
    Response {
        status,
        headers: headers.iter().map(|(n, v)| (n.to_string(), v.to_string())).collect(),
        body: libsql_edge::transport::Body::from_bytes(body),
    }
}

/// The path part of a request URL (after the scripted target's base URL).
pub fn path(request: &Request) -> &str {
    request.url.strip_prefix(BASE_URL).unwrap_or(&request.url)
}

/// The base URL the harnesses sync from (never contacted).
pub const BASE_URL: &str = "http://fuzz.invalid";
