//! The native `Transport`: blocking HTTP/1.1 (ureq, no TLS) inside a ready future, plus `block_on`
//! to drive the core's futures from synchronous code. For tests, benchmarks and native embedding;
//! not compiled for wasm.

use std::io::Read;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::{BoxFuture, Request, Response, Transport, TransportError};

/// HTTP over the operating system's sockets.
#[derive(Debug, Default, Clone)]
pub struct NativeTransport;

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
        let mut body = Vec::new();
        response.into_reader().read_to_end(&mut body).map_err(|e| classify(&e.to_string(), request.timeout_ms))?;
        Ok(Response { status, headers, body })
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
