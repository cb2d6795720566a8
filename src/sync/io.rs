//! `Io`: every request a sync makes, through one `Transport`. Adds the primary's base URL and the
//! `Authorization` header, gives each request a timeout, retries transient failures with
//! exponential backoff, and counts round trips and bytes. Tokens never reach error messages.

use std::cell::Cell;

use crate::error::{Error, Result};
use crate::transport::{Method, Request, Response, Transport};

/// Attempts per request for transient failures (network errors, timeouts, 429 and 5xx).
const ATTEMPTS: u32 = 5;
/// First backoff; doubles per retry (100, 200, 400, 800 ms).
const BACKOFF_MS: u32 = 100;

/// Where to sync from and how.
#[derive(Clone)]
pub struct SyncTarget {
    /// `http://` or `https://` base URL without a trailing slash (`libsql://` already mapped).
    pub url: String,
    /// Bearer token, if the primary wants one.
    pub auth_token: Option<String>,
    /// Per-request timeout in milliseconds.
    pub timeout_ms: u32,
}

impl std::fmt::Debug for SyncTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SyncTarget")
            .field("url", &self.url)
            .field("auth_token", &self.auth_token.as_ref().map(|_| "<redacted>"))
            .field("timeout_ms", &self.timeout_ms)
            .finish()
    }
}

impl SyncTarget {
    /// Builds a target from a user URL: `libsql://` becomes `https://`, `ws(s)://` becomes `http(s)://`.
    pub fn new(url: &str, auth_token: Option<String>, timeout_ms: u32) -> SyncTarget {
        SyncTarget { url: http_base_url(url), auth_token, timeout_ms }
    }
}

/// Maps the URL schemes `@libsql/client` accepts to the HTTP base URL they mean.
pub fn http_base_url(url: &str) -> String {
    let url = url.trim_end_matches('/');
    for (from, to) in [("libsql://", "https://"), ("wss://", "https://"), ("ws://", "http://")] {
        if let Some(rest) = url.strip_prefix(from) {
            return format!("{to}{rest}");
        }
    }
    url.to_string()
}

/// Request counters of one sync.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counters {
    /// Requests sent, retries included.
    pub round_trips: u32,
    /// Response body bytes received.
    pub bytes_received: u64,
}

/// The I/O of one sync.
pub struct Io<'a> {
    transport: &'a dyn Transport,
    target: &'a SyncTarget,
    round_trips: Cell<u32>,
    bytes_received: Cell<u64>,
}

impl<'a> Io<'a> {
    /// I/O against `target` through `transport`.
    pub fn new(transport: &'a dyn Transport, target: &'a SyncTarget) -> Io<'a> {
        Io { transport, target, round_trips: Cell::new(0), bytes_received: Cell::new(0) }
    }

    /// The target.
    pub fn target(&self) -> &SyncTarget {
        self.target
    }

    /// Counters so far.
    pub fn counters(&self) -> Counters {
        Counters { round_trips: self.round_trips.get(), bytes_received: self.bytes_received.get() }
    }

    /// Milliseconds since the epoch, from the transport's clock.
    pub fn now_ms(&self) -> f64 {
        self.transport.now_ms()
    }

    /// Sends a request to `path` (appended to the base URL) and returns the response, whatever
    /// its status, except: 401 and 403 become `Error::Auth`; network errors, timeouts, 429 and 5xx
    /// are retried with backoff and become errors when the attempts run out. Every sync request is a
    /// read, so retrying is safe. `context` names the operation in errors.
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        headers: &[(&str, &str)],
        body: Vec<u8>,
        context: &str,
    ) -> Result<Response> {
        let mut all_headers: Vec<(String, String)> =
            headers.iter().map(|(n, v)| (n.to_string(), v.to_string())).collect();
        if let Some(token) = &self.target.auth_token {
            all_headers.push(("Authorization".into(), format!("Bearer {token}")));
        }
        let request = Request {
            method,
            url: format!("{}{path}", self.target.url),
            headers: all_headers,
            body,
            timeout_ms: self.target.timeout_ms,
        };
        let mut attempt = 0;
        loop {
            attempt += 1;
            self.round_trips.set(self.round_trips.get() + 1);
            let outcome = self.transport.send(request.clone()).await;
            let retry = match &outcome {
                Ok(r) => is_transient(r),
                Err(_) => true,
            };
            if retry && attempt < ATTEMPTS {
                self.transport.sleep(BACKOFF_MS << (attempt - 1)).await;
                continue;
            }
            return match outcome {
                Err(source) => Err(Error::Network { context: context.to_string(), source }),
                Ok(response) => {
                    self.bytes_received.set(self.bytes_received.get() + response.body.len() as u64);
                    match response.status {
                        401 | 403 => Err(Error::Auth { context: context.to_string(), message: body_text(&response) }),
                        _ if is_transient(&response) => Err(unexpected_status(context, &response)),
                        _ => Ok(response),
                    }
                }
            };
        }
    }
}

/// Whether a response is a failure worth retrying: 429 and 5xx (but 501), except a JSON body naming a
/// `generation`. QUIRK: Turso HTTP sync answers "no more frames in this generation" with 400 or 500
/// and `{"generation": G}` (protocols.md section 7); that is an answer, not a failure.
fn is_transient(response: &Response) -> bool {
    let status = response.status;
    if !(status == 429 || (500..600).contains(&status)) || status == 501 {
        return false;
    }
    let names_generation = serde_json::from_slice::<serde_json::Value>(&response.body)
        .map(|v| v.get("generation").is_some())
        .unwrap_or(false);
    !names_generation
}

/// The start of a response body as text, for error messages.
pub fn body_text(response: &Response) -> String {
    let text = String::from_utf8_lossy(&response.body[..response.body.len().min(300)]).into_owned();
    if text.is_empty() {
        format!("HTTP {}", response.status)
    } else {
        text
    }
}

/// An `Error::HttpStatus` for a response the protocol cannot use.
pub fn unexpected_status(context: &str, response: &Response) -> Error {
    Error::HttpStatus { context: context.to_string(), status: response.status, message: body_text(response) }
}
