//! `Io`: every request a sync makes, through one `Transport` (the client wraps it in
//! `WithDeadline`, so a whole sync ends by one deadline). Adds the primary's base URL and the
//! `Authorization` header, retries transient failures with exponential backoff, reads bodies chunk
//! by chunk with caps, and counts round trips and bytes. Tokens never reach error messages.

use std::cell::Cell;

use crate::error::{Error, Result};
use crate::transport::{Body, Method, ReadError, Request, Response, Transport, TransportError, ERROR_BODY_CAP};

/// Attempts per request for transient failures (network errors, timeouts, 429 and 5xx).
const ATTEMPTS: u32 = 5;
/// First backoff; doubles per retry (100, 200, 400, 800 ms).
const BACKOFF_MS: u32 = 100;
/// The most bytes read of a control answer (`/info`, `Hello`, a probe).
pub const CONTROL_BODY_CAP: usize = 1 << 20;

/// Where to sync from and how.
#[derive(Clone)]
pub struct SyncTarget {
    /// `http://` or `https://` base URL without a trailing slash (`libsql://` already mapped).
    pub url: String,
    /// Bearer token, if the primary wants one.
    pub auth_token: Option<String>,
    /// Timeout of one request, in milliseconds (the call's deadline may cut it shorter).
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

/// The I/O of one sync call.
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
    /// are retried with backoff and become errors when the attempts run out (a passed deadline makes
    /// every attempt fail at once). Every sync request is a read, so retrying is safe. The body of a 2xx answer
    /// is left to stream; any other answer's body is read (at most 64 KiB) before it is returned.
    /// `context` names the operation in errors.
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
        let url = format!("{}{path}", self.target.url);
        let mut attempt = 0;
        loop {
            attempt += 1;
            let timeout_ms = self.target.timeout_ms;
            let request =
                Request { method, url: url.clone(), headers: all_headers.clone(), body: body.clone(), timeout_ms };
            self.round_trips.set(self.round_trips.get() + 1);
            let outcome = match self.transport.send(request).await {
                Ok(response) => self.settle(response).await,
                Err(e) => Err(e),
            };
            let retry = match &outcome {
                Ok((r, text)) => is_transient(r.status, text),
                Err(_) => true,
            };
            if retry && attempt < ATTEMPTS {
                self.transport.sleep(BACKOFF_MS << (attempt - 1)).await;
                continue;
            }
            let (response, text) = outcome.map_err(|source| Error::Network { context: context.to_string(), source })?;
            return match response.status {
                401 | 403 => {
                    Err(Error::Auth { context: context.to_string(), message: text_of(response.status, &text) })
                }
                status if is_transient(status, &text) => {
                    Err(Error::HttpStatus { context: context.to_string(), status, message: text_of(status, &text) })
                }
                _ => Ok(response),
            };
        }
    }

    /// Reads the body of a non-2xx answer (capped) and puts it back as an in-memory body.
    async fn settle(&self, mut response: Response) -> std::result::Result<(Response, Vec<u8>), TransportError> {
        if (200..300).contains(&response.status) {
            return Ok((response, Vec::new()));
        }
        let text = match response.body.read_capped(ERROR_BODY_CAP, None).await {
            Ok(bytes) => bytes,
            Err(ReadError::TooLarge { .. }) => Vec::new(),
            Err(ReadError::Transport(e)) => return Err(e),
        };
        self.bytes_received.set(self.bytes_received.get() + text.len() as u64);
        response.body = Body::from_bytes(text.clone());
        Ok((response, text))
    }

    /// The next chunk of `body`, counted; transport failures become `Error::Network`.
    pub async fn next_chunk(&self, body: &mut Body, context: &str) -> Result<Option<Vec<u8>>> {
        let chunk =
            body.next_chunk().await.map_err(|source| Error::Network { context: context.to_string(), source })?;
        if let Some(c) = &chunk {
            self.bytes_received.set(self.bytes_received.get() + c.len() as u64);
        }
        Ok(chunk)
    }

    /// Reads a whole small body (at most `limit` bytes), counted.
    pub async fn read_body(&self, body: &mut Body, limit: usize, context: &str) -> Result<Vec<u8>> {
        let mut out = Vec::new();
        while let Some(chunk) = self.next_chunk(body, context).await? {
            if out.len() + chunk.len() > limit {
                return Err(Error::ResponseTooLarge { context: context.to_string(), limit: limit as u64 });
            }
            out.extend_from_slice(&chunk);
        }
        Ok(out)
    }
}

/// Whether an answer is a failure worth retrying: 429 and 5xx (but 501), except a JSON body
/// naming a `generation`. QUIRK: Turso HTTP sync answers "no more frames in this generation" with
/// 400 or 500 and `{"generation": G}` (protocols.md section 7); that is an answer, not a failure.
fn is_transient(status: u16, body: &[u8]) -> bool {
    if !(status == 429 || (500..600).contains(&status)) || status == 501 {
        return false;
    }
    let names_generation =
        serde_json::from_slice::<serde_json::Value>(body).map(|v| v.get("generation").is_some()).unwrap_or(false);
    !names_generation
}

fn text_of(status: u16, body: &[u8]) -> String {
    let text = String::from_utf8_lossy(&body[..body.len().min(300)]).into_owned();
    if text.is_empty() {
        format!("HTTP {status}")
    } else {
        text
    }
}

/// An `Error::HttpStatus` for an answer the protocol cannot use; reads (at most 300 bytes of) its
/// body for the message.
pub async fn unexpected_status(io: &Io<'_>, context: &str, response: &mut Response) -> Error {
    let text = io.read_body(&mut response.body, ERROR_BODY_CAP, context).await.unwrap_or_default();
    Error::HttpStatus {
        context: context.to_string(),
        status: response.status,
        message: text_of(response.status, &text),
    }
}
