//! The one async boundary of the core: an HTTP request/response trait. On wasm it is implemented
//! over an injected JavaScript `fetch`; natively over a blocking HTTP client (tests, benchmarks).
//!
//! Response bodies are streams read chunk by chunk ([`Body`]), never buffered whole by the
//! transport: callers decode as bytes arrive and stop when a cap or a memory budget says so. Every
//! request carries its timeout, which covers the whole exchange, body included; implementations
//! must honour it.

use std::future::Future;
use std::pin::Pin;

/// A future that need not be `Send` (JS promises are not).
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + 'a>>;

/// The largest chunk a body hands out at once; transports split larger runtime chunks.
pub const MAX_CHUNK: usize = 256 << 10;

/// The most bytes read of an error answer (4xx/5xx): enough for any server's explanation.
pub const ERROR_BODY_CAP: usize = 64 << 10;

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
    /// Give up after this many milliseconds, counting until the whole body has been read.
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

/// A response body, read in chunks of at most [`MAX_CHUNK`] bytes.
pub trait BodyStream {
    /// The next chunk, or `None` at the end of the body. A failure (the request's timeout passed,
    /// the connection dropped) ends the body.
    fn next_chunk(&mut self) -> BoxFuture<'_, Result<Option<Vec<u8>>, TransportError>>;
}

/// A response body: a stream of chunks. Dropping it before the end cancels the rest.
pub struct Body(Box<dyn BodyStream>);

impl std::fmt::Debug for Body {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Body")
    }
}

/// Why a capped read of a body failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReadError {
    /// The transport failed while the body arrived.
    Transport(TransportError),
    /// The body is longer than the cap.
    TooLarge {
        /// The cap, in bytes.
        limit: usize,
    },
}

/// A body already in memory, handed out in chunks.
struct Bytes {
    bytes: Vec<u8>,
    at: usize,
}

impl BodyStream for Bytes {
    fn next_chunk(&mut self) -> BoxFuture<'_, Result<Option<Vec<u8>>, TransportError>> {
        let chunk = if self.at < self.bytes.len() {
            let end = (self.at + MAX_CHUNK).min(self.bytes.len());
            let chunk = self.bytes[self.at..end].to_vec();
            self.at = end;
            Some(chunk)
        } else {
            None
        };
        Box::pin(std::future::ready(Ok(chunk)))
    }
}

impl Body {
    /// A body read from `stream`.
    pub fn new(stream: impl BodyStream + 'static) -> Body {
        Body(Box::new(stream))
    }

    /// A body that is already in memory (error answers, tests).
    pub fn from_bytes(bytes: Vec<u8>) -> Body {
        Body::new(Bytes { bytes, at: 0 })
    }

    /// An empty body.
    pub fn empty() -> Body {
        Body::from_bytes(Vec::new())
    }

    /// The next chunk, or `None` at the end.
    pub async fn next_chunk(&mut self) -> Result<Option<Vec<u8>>, TransportError> {
        self.0.next_chunk().await
    }

    /// Reads the whole body if it is at most `limit` bytes; stops reading as soon as it is longer.
    /// `expected` (a declared length) sizes the buffer once, so it is not grown by doubling.
    pub async fn read_capped(&mut self, limit: usize, expected: Option<u64>) -> Result<Vec<u8>, ReadError> {
        let mut out = Vec::with_capacity(expected.map_or(0, |n| n.min(limit as u64) as usize));
        while let Some(chunk) = self.next_chunk().await.map_err(ReadError::Transport)? {
            if out.len() + chunk.len() > limit {
                return Err(ReadError::TooLarge { limit });
            }
            out.extend_from_slice(&chunk);
        }
        Ok(out)
    }
}

/// One HTTP response: status and headers; the body arrives as it is read.
#[derive(Debug)]
pub struct Response {
    /// Status code.
    pub status: u16,
    /// Header names (any case) and values.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Body,
}

impl Response {
    /// The first value of header `name`, compared case-insensitively.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    /// The declared `Content-Length` of a body that was not re-encoded on the way (no
    /// `Content-Encoding` other than `identity`), if any.
    pub fn content_length(&self) -> Option<u64> {
        if self.header("content-encoding").is_some_and(|e| !e.trim().eq_ignore_ascii_case("identity")) {
            return None;
        }
        self.header("content-length").and_then(|v| v.trim().parse().ok())
    }
}

/// Why a request got no (whole) response.
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
    /// Sends `request` and returns the status and headers; the body is read from the response.
    fn send(&self, request: Request) -> BoxFuture<'_, Result<Response, TransportError>>;

    /// Waits `ms` milliseconds (backoff between retries, waiting for another request's sync).
    fn sleep(&self, ms: u32) -> BoxFuture<'_, ()>;

    /// Milliseconds since the Unix epoch (deadlines, sync intervals, statistics).
    fn now_ms(&self) -> f64;
}

/// A transport whose every request and sleep ends by one deadline: what makes `timeoutMs` bound
/// a whole call, retries and backoff included. Requests get what is left of the deadline as their
/// timeout; once it has passed they fail at once with `TransportError::Timeout`.
pub struct WithDeadline<'a> {
    inner: &'a dyn Transport,
    at_ms: f64,
    timeout_ms: u32,
}

impl<'a> WithDeadline<'a> {
    /// `inner`, for a call that may take `timeout_ms` from now.
    pub fn new(inner: &'a dyn Transport, timeout_ms: u32) -> WithDeadline<'a> {
        WithDeadline { inner, at_ms: inner.now_ms() + f64::from(timeout_ms), timeout_ms }
    }

    /// Milliseconds left, or `None` once the deadline has passed.
    pub fn remaining_ms(&self) -> Option<u32> {
        let left = self.at_ms - self.inner.now_ms();
        (left >= 1.0).then(|| left.min(f64::from(u32::MAX)) as u32)
    }
}

impl Transport for WithDeadline<'_> {
    fn send(&self, mut request: Request) -> BoxFuture<'_, Result<Response, TransportError>> {
        match self.remaining_ms() {
            Some(left) => {
                request.timeout_ms = request.timeout_ms.min(left);
                self.inner.send(request)
            }
            None => Box::pin(std::future::ready(Err(TransportError::Timeout(self.timeout_ms)))),
        }
    }

    fn sleep(&self, ms: u32) -> BoxFuture<'_, ()> {
        self.inner.sleep(ms.min(self.remaining_ms().unwrap_or(0)))
    }

    fn now_ms(&self) -> f64 {
        self.inner.now_ms()
    }
}

#[cfg(not(target_arch = "wasm32"))]
pub mod native;

#[cfg(test)]
mod tests {
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use super::*;

    fn block_on<F: Future>(future: F) -> F::Output {
        let mut future = std::pin::pin!(future);
        let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
        loop {
            if let std::task::Poll::Ready(out) = future.as_mut().poll(&mut cx) {
                return out;
            }
        }
    }

    #[test]
    fn body_chunks_are_bounded_and_capped_reads_stop() {
        let mut body = Body::from_bytes(vec![7; MAX_CHUNK * 2 + 5]);
        let sizes: Vec<usize> = std::iter::from_fn(|| block_on(body.next_chunk()).unwrap().map(|c| c.len())).collect();
        assert_eq!(sizes, vec![MAX_CHUNK, MAX_CHUNK, 5]);
        let mut body = Body::from_bytes(vec![1; 10]);
        assert_eq!(block_on(body.read_capped(10, Some(10))).unwrap().len(), 10);
        let mut body = Body::from_bytes(vec![1; 11]);
        assert_eq!(block_on(body.read_capped(10, None)), Err(ReadError::TooLarge { limit: 10 }));
    }
}
