//! The Hrana-over-HTTP client: writes and write transactions forwarded to the primary, and every
//! statement in remote-only mode. Pipelines go to `/v3/pipeline`, falling back to `/v2/pipeline` when
//! the server has no v3 (404); batons keep interactive streams. Requests that may have run on the
//! server are never retried. QUIRK: tursodb 0.7.0 rejects `close` with HTTP 500 and runs nothing, so
//! after that answer `close` requests are left out for this server.

use std::cell::Cell;

use crate::error::{Error, Result};
use crate::protocol::hrana::{
    BatchResult, PipelineReqBody, PipelineRespBody, StmtResult, StreamRequest, StreamResponse, StreamResult,
};
use crate::sync::io::http_base_url;
use crate::transport::{Method, ReadError, Request, Transport, ERROR_BODY_CAP};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Version {
    Unknown,
    V3,
    V2,
}

/// A Hrana stream: its baton between requests, and the URL the server asked to continue on.
#[derive(Debug, Default, Clone)]
pub struct Stream {
    baton: Option<String>,
    base_url: Option<String>,
}

impl Stream {
    /// Whether the server still holds this stream open.
    pub fn is_open(&self) -> bool {
        self.baton.is_some()
    }
}

/// Connection settings for a Hrana server.
pub struct Remote {
    url: String,
    auth_token: Option<String>,
    timeout_ms: u32,
    max_response_bytes: usize,
    concurrency: usize,
    in_flight: Cell<usize>,
    version: Cell<Version>,
    omit_close: Cell<bool>,
}

/// How long to wait before looking again for a free slot when `concurrency` requests are in flight.
const SLOT_POLL_MS: u32 = 2;

/// A request slot, given back on drop.
struct Slot<'a>(&'a Cell<usize>);

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        self.0.set(self.0.get().saturating_sub(1));
    }
}

impl std::fmt::Debug for Remote {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Remote").field("url", &self.url).field("version", &self.version.get()).finish()
    }
}

impl Remote {
    /// A client for the Hrana server at `url` (`libsql://` means `https://`): requests time out
    /// after `timeout_ms`, answers longer than `max_response_bytes` are refused, and at most
    /// `concurrency` requests are in flight at once (later ones wait for a slot on their own timer,
    /// never on another request's promise).
    pub fn new(
        url: &str,
        auth_token: Option<String>,
        timeout_ms: u32,
        max_response_bytes: usize,
        concurrency: usize,
    ) -> Remote {
        Remote {
            url: http_base_url(url),
            auth_token,
            timeout_ms,
            max_response_bytes,
            concurrency: concurrency.max(1),
            in_flight: Cell::new(0),
            version: Cell::new(Version::Unknown),
            omit_close: Cell::new(false),
        }
    }

    /// Takes a request slot, waiting (on `transport`'s timer, within the call's deadline) while
    /// `concurrency` requests are in flight.
    async fn slot(&self, transport: &dyn Transport) -> Slot<'_> {
        // A passed deadline makes sleep return at once; the request then fails on its own.
        for _ in 0..10_000 {
            if self.in_flight.get() < self.concurrency {
                break;
            }
            transport.sleep(SLOT_POLL_MS).await;
        }
        self.in_flight.set(self.in_flight.get() + 1);
        Slot(&self.in_flight)
    }

    /// Requests in flight now.
    pub fn in_flight(&self) -> usize {
        self.in_flight.get()
    }

    /// Runs `requests` on `stream` (a new stream when it holds no baton) and returns one result per
    /// request.
    pub async fn pipeline(
        &self,
        transport: &dyn Transport,
        stream: &mut Stream,
        requests: Vec<StreamRequest>,
    ) -> Result<Vec<StreamResult>> {
        loop {
            let sent: Vec<StreamRequest> = if self.omit_close.get() {
                requests.iter().filter(|r| !matches!(r, StreamRequest::Close)).cloned().collect()
            } else {
                requests.clone()
            };
            let version = self.version.get();
            let path = if version == Version::V2 { "v2" } else { "v3" };
            let base = stream.base_url.clone().unwrap_or_else(|| self.url.clone());
            let body = serde_json::to_vec(&PipelineReqBody { baton: stream.baton.clone(), requests: sent.clone() })
                .map_err(|e| Error::InvalidResponse { context: "hrana request".into(), message: e.to_string() })?;
            let mut headers = vec![("content-type".to_string(), "application/json".to_string())];
            if let Some(token) = &self.auth_token {
                headers.push(("authorization".into(), format!("Bearer {token}")));
            }
            let request = Request {
                method: Method::Post,
                url: format!("{base}/{path}/pipeline"),
                headers,
                body,
                timeout_ms: self.timeout_ms,
            };
            let context = format!("hrana {path}/pipeline");
            let network = |source| Error::Network { context: context.clone(), source };
            let (status, body) = {
                let _slot = self.slot(transport).await;
                let mut response = transport.send(request).await.map_err(network)?;
                let limit = if response.status == 200 { self.max_response_bytes } else { ERROR_BODY_CAP };
                let expected = response.content_length();
                let body = match response.body.read_capped(limit, expected).await {
                    Ok(body) => body,
                    Err(ReadError::Transport(e)) => return Err(network(e)),
                    Err(ReadError::TooLarge { limit }) if response.status == 200 => {
                        return Err(Error::ResponseTooLarge { context, limit: limit as u64 })
                    }
                    Err(ReadError::TooLarge { .. }) => Vec::new(),
                };
                (response.status, body)
            };
            // Answers that prove nothing ran: retry in the form this server understands.
            if status == 404 && version == Version::Unknown {
                self.version.set(Version::V2);
                continue;
            }
            // `sent`, not the flag: a concurrent pipeline may have set it since this one was sent.
            let sent_close = sent.iter().any(|r| matches!(r, StreamRequest::Close));
            if status == 500 && sent_close && text(&body).contains("unknown variant `close`") {
                self.omit_close.set(true);
                continue;
            }
            if status != 200 {
                return Err(http_error(status, &body));
            }
            if version == Version::Unknown {
                self.version.set(Version::V3);
            }
            let body: PipelineRespBody = serde_json::from_slice(&body)
                .map_err(|e| Error::InvalidResponse { context: context.clone(), message: e.to_string() })?;
            if body.results.len() != sent.len() {
                return Err(Error::InvalidResponse {
                    context,
                    message: format!("{} results for {} requests", body.results.len(), sent.len()),
                });
            }
            stream.baton = body.baton;
            if body.base_url.is_some() {
                stream.base_url = body.base_url;
            }
            // Put back the `close` results of requests that were left out.
            let mut results = body.results.into_iter();
            return Ok(requests
                .iter()
                .map(|r| match (r, self.omit_close.get()) {
                    (StreamRequest::Close, true) => StreamResult::Ok { response: StreamResponse::Close },
                    _ => results.next().unwrap_or(StreamResult::Ok { response: StreamResponse::Close }),
                })
                .collect());
        }
    }

    /// Runs one request followed by `close` on a new stream and returns its response.
    pub async fn once(&self, transport: &dyn Transport, request: StreamRequest) -> Result<StreamResponse> {
        let mut stream = Stream::default();
        let mut results = self.pipeline(transport, &mut stream, vec![request, StreamRequest::Close]).await?;
        response_of(results.swap_remove(0))
    }

    /// Closes a stream the server still holds (best effort: errors are ignored).
    pub async fn close(&self, transport: &dyn Transport, stream: &mut Stream) {
        if stream.is_open() {
            let _ = self.pipeline(transport, stream, vec![StreamRequest::Close]).await;
        }
        stream.baton = None;
    }
}

/// The response of one pipeline slot, or its error.
pub fn response_of(result: StreamResult) -> Result<StreamResponse> {
    match result {
        StreamResult::Ok { response } => Ok(response),
        StreamResult::Error { error } => Err(Error::Server { code: error.code, message: error.message }),
    }
}

/// The statement result of an `execute` slot.
pub fn stmt_result(response: StreamResponse) -> Result<StmtResult> {
    match response {
        StreamResponse::Execute { result } => check_values(&result).map(|_| result),
        other => Err(mismatch("execute", &other)),
    }
}

/// The batch result of a `batch` slot.
pub fn batch_result(response: StreamResponse) -> Result<BatchResult> {
    match response {
        StreamResponse::Batch { result } => {
            result.step_results.iter().flatten().try_for_each(check_values)?;
            Ok(result)
        }
        other => Err(mismatch("batch", &other)),
    }
}

/// QUIRK: sqld writes a non-finite REAL as JSON `null`, which the Hrana decoder reads as NaN (SQLite
/// itself never yields NaN). `@libsql/client` rejects such a value with `HRANA_PROTO_ERROR`; so do we.
fn check_values(result: &StmtResult) -> Result<()> {
    let bad = result
        .rows
        .iter()
        .flatten()
        .any(|v| matches!(v, crate::protocol::hrana::Value::Float { value } if value.is_nan()));
    if bad {
        return Err(Error::Server {
            code: "HRANA_PROTO_ERROR".into(),
            message: "Value for float must be a number (the server sent a non-finite REAL)".into(),
        });
    }
    Ok(())
}

fn mismatch(wanted: &str, got: &StreamResponse) -> Error {
    Error::InvalidResponse { context: "hrana pipeline".into(), message: format!("{wanted} answered with {got:?}") }
}

fn text(body: &[u8]) -> String {
    String::from_utf8_lossy(&body[..body.len().min(500)]).into_owned()
}

/// A non-200 reply, mapped as `@libsql/client` does: a JSON body with `message` keeps its `code`;
/// anything else is `SERVER_ERROR` with the status and text.
fn http_error(status: u16, body: &[u8]) -> Error {
    if let Ok(json) = serde_json::from_slice::<serde_json::Value>(body) {
        if let Some(message) = json.get("message").and_then(|m| m.as_str()) {
            let code = json.get("code").and_then(|c| c.as_str()).unwrap_or("SERVER_ERROR");
            return Error::Server { code: code.to_string(), message: message.to_string() };
        }
    }
    let body = text(body);
    let message = if body.is_empty() {
        format!("Server returned HTTP status {status}")
    } else {
        format!("Server returned HTTP status {status}: {body}")
    };
    Error::Server { code: "SERVER_ERROR".into(), message }
}
