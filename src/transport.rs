//! The one async boundary of the core: an HTTP request/response trait. On wasm it is implemented
//! over an injected JavaScript `fetch`; natively over a blocking HTTP client (tests, benchmarks).
//! Every request carries its own timeout; implementations must honour it.

use std::future::Future;
use std::pin::Pin;

/// A future that need not be `Send` (JS promises are not).
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + 'a>>;

/// HTTP method.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// GET.
    Get,
    /// POST.
    Post,
}

impl Method {
    /// The method's name on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
        }
    }
}

/// One HTTP request. Its `Debug` shows header names only: values may hold tokens.
#[derive(Clone)]
pub struct Request {
    /// Method.
    pub method: Method,
    /// Absolute `http:` / `https:` URL.
    pub url: String,
    /// Header names and values (may hold secrets: never log them).
    pub headers: Vec<(String, String)>,
    /// Body bytes (sent with a `Content-Length`).
    pub body: Vec<u8>,
    /// Give up after this many milliseconds, counting until the whole body has arrived.
    pub timeout_ms: u32,
}

impl std::fmt::Debug for Request {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<&str> = self.headers.iter().map(|(n, _)| n.as_str()).collect();
        f.debug_struct("Request")
            .field("method", &self.method)
            .field("url", &self.url)
            .field("headers", &names)
            .field("body_len", &self.body.len())
            .field("timeout_ms", &self.timeout_ms)
            .finish()
    }
}

/// One HTTP response, body read in full.
#[derive(Debug, Clone, Default)]
pub struct Response {
    /// Status code.
    pub status: u16,
    /// Header names (any case) and values.
    pub headers: Vec<(String, String)>,
    /// Body bytes.
    pub body: Vec<u8>,
}

impl Response {
    /// The first value of header `name`, compared case-insensitively.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

/// Why a request got no response.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransportError {
    /// The timeout passed before the response was complete.
    #[error("timed out after {0} ms")]
    Timeout(u32),
    /// Connection refused or reset, DNS failure, a body cut short, a runtime that refused the call.
    #[error("network error: {0}")]
    Network(String),
}

/// Sends HTTP requests. Implementations are not required to be `Send`.
pub trait Transport {
    /// Sends `request` and reads the whole response.
    fn send(&self, request: Request) -> BoxFuture<'_, Result<Response, TransportError>>;

    /// Waits `ms` milliseconds (backoff between retries).
    fn sleep(&self, ms: u32) -> BoxFuture<'_, ()>;

    /// Milliseconds since the Unix epoch (sync intervals, statistics).
    fn now_ms(&self) -> f64;
}

#[cfg(not(target_arch = "wasm32"))]
pub mod native;
