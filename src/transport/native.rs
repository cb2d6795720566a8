//! The native `Transport`: blocking HTTP/1.1 (ureq, no TLS) inside ready futures, plus `block_on`
//! to drive the core's futures from synchronous code. For tests, benchmarks and native embedding;
//! not compiled for wasm. The body is read from the socket chunk by chunk as the caller asks; the
//! request's timeout covers the whole exchange (ureq's overall timeout).

use std::io::Read;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::{Body, BodyStream, BoxFuture, Request, Response, Transport, TransportError};

/// HTTP over the operating system's sockets.
#[derive(Debug, Default, Clone)]
pub struct NativeTransport;

/// A body read from the socket.
struct SocketBody {
    reader: Box<dyn Read + Send + Sync>,
    timeout_ms: u32,
    done: bool,
}

impl BodyStream for SocketBody {
    fn next_chunk(&mut self) -> BoxFuture<'_, Result<Option<Vec<u8>>, TransportError>> {
        let result = if self.done {
            Ok(None)
        } else {
            // 64 KiB at a time: well under MAX_CHUNK.
            let mut chunk = vec![0u8; 64 << 10];
            match self.reader.read(&mut chunk) {
                Ok(0) => {
                    self.done = true;
                    Ok(None)
                }
                Ok(n) => {
                    chunk.truncate(n);
                    Ok(Some(chunk))
                }
                Err(e) => {
                    self.done = true;
                    Err(classify(&e.to_string(), self.timeout_ms))
                }
            }
        };
        Box::pin(std::future::ready(result))
    }
}

impl NativeTransport {
    fn send_blocking(&self, request: Request) -> Result<Response, TransportError> {
        let timeout = Duration::from_millis(request.timeout_ms as u64);
        let agent = ureq::AgentBuilder::new().timeout(timeout).redirects(0).build();
        let mut call = agent.request(request.method.as_str(), &request.url);
        for (name, value) in &request.headers {
            call = call.set(name, value);
        }
        let result = if request.body.is_empty() { call.call() } else { call.send_bytes(&request.body) };
        let response = match result {
            Ok(r) | Err(ureq::Error::Status(_, r)) => r,
            Err(ureq::Error::Transport(t)) => return Err(classify(&t.to_string(), request.timeout_ms)),
        };
        let status = response.status();
        let headers = response
            .headers_names()
            .into_iter()
            .filter_map(|n| response.header(&n).map(|v| (n.clone(), v.to_string())))
            .collect();
        let body = SocketBody { reader: response.into_reader(), timeout_ms: request.timeout_ms, done: false };
        Ok(Response { status, headers, body: Body::new(body) })
    }
}

fn classify(message: &str, timeout_ms: u32) -> TransportError {
    if message.contains("timed out") || message.contains("Timeout") || message.contains("would block") {
        TransportError::Timeout(timeout_ms)
    } else {
        TransportError::Network(message.to_string())
    }
}

impl Transport for NativeTransport {
    fn send(&self, request: Request) -> BoxFuture<'_, Result<Response, TransportError>> {
        let result = self.send_blocking(request);
        Box::pin(std::future::ready(result))
    }

    fn sleep(&self, ms: u32) -> BoxFuture<'_, ()> {
        std::thread::sleep(Duration::from_millis(ms as u64));
        Box::pin(std::future::ready(()))
    }

    fn now_ms(&self) -> f64 {
        SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs_f64() * 1e3).unwrap_or(0.0)
    }
}

/// Runs a future to completion on the current thread. The core's futures only await a
/// `Transport`; with `NativeTransport` those are ready at once, so this never parks for long.
pub fn block_on<F: std::future::Future>(future: F) -> F::Output {
    let mut future = std::pin::pin!(future);
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    loop {
        if let std::task::Poll::Ready(out) = future.as_mut().poll(&mut cx) {
            return out;
        }
        std::thread::yield_now();
    }
}
