//! One proxied exchange: pick a fault, delay the request by half the round trip, forward it to
//! the upstream (body paced), delay the response head by the other half, and send the response
//! body through a pump that paces it and ends it as the fault wants.

use std::sync::atomic::Ordering::Relaxed;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Limited};
use hyper::body::Incoming;
use hyper::header::{HeaderMap, HeaderValue, CONTENT_LENGTH, HOST};
use hyper::{Request, Response, StatusCode, Uri};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use tokio::time::{sleep, Instant};

use crate::body::{full, Body, BoxError, Ending, Pump};
use crate::conn::Fate;
use crate::fault::Fault;
use crate::rule::Rules;
use crate::shape::{Direction, Link};
use crate::stats::Stats;

/// Path prefix of the proxy's own endpoints (no real route uses it).
pub const ADMIN_PREFIX: &str = "/__netem/";
/// Largest upstream body a `truncate` fault buffers to learn its length.
const TRUNCATE_BUFFER_MAX: usize = 512 << 20;

/// Headers that belong to one hop, never forwarded (RFC 9110 section 7.6.1).
const HOP_BY_HOP: [&str; 9] = [
    "connection",
    "keep-alive",
    "proxy-connection",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
];

/// The proxy's state, shared by every connection.
pub struct Proxy {
    /// `scheme://authority` of the upstream.
    upstream: Uri,
    client: Client<HttpConnector, Body>,
    /// The shaping link.
    pub link: Arc<Link>,
    /// The counters.
    pub stats: Arc<Stats>,
    /// The fault rules in force.
    pub rules: Mutex<Rules>,
}

fn strip_hop_by_hop(headers: &mut HeaderMap) {
    for name in HOP_BY_HOP {
        headers.remove(name);
    }
}

fn text_response(status: StatusCode, text: impl Into<String>) -> Response<Body> {
    let mut res = Response::new(full(Bytes::from(text.into())));
    *res.status_mut() = status;
    res.headers_mut().insert("content-type", HeaderValue::from_static("text/plain; charset=utf-8"));
    res
}

impl Proxy {
    /// A proxy to `upstream` (`http://host:port`; any path in it is ignored).
    pub fn new(upstream: Uri, link: Link, rules: Rules) -> Proxy {
        // No Nagle: a request head and its body are separate writes, and a delayed ACK from the
        // upstream would hold the body back 40 ms.
        let mut connector = HttpConnector::new();
        connector.set_nodelay(true);
        let client = Client::builder(TokioExecutor::new()).build(connector);
        Proxy { upstream, client, link: Arc::new(link), stats: Arc::default(), rules: Mutex::new(rules) }
    }

    fn pump(&self, dir: Direction, fate: Option<Arc<Fate>>) -> Pump {
        Pump { link: self.link.clone(), stats: self.stats.clone(), dir, fate }
    }

    /// Sleeps one one-way delay and accounts it.
    async fn one_way(&self) {
        let asked = self.link.one_way_delay();
        if asked > Duration::ZERO {
            let t = Instant::now();
            sleep(asked).await;
            self.stats.delay(asked, t.elapsed());
        }
    }

    /// Answers one request on the client connection whose fate is `fate`.
    pub async fn handle(self: Arc<Self>, req: Request<Incoming>, fate: Arc<Fate>) -> Response<Body> {
        if req.uri().path().starts_with(ADMIN_PREFIX) {
            self.stats.admin_requests.fetch_add(1, Relaxed);
            return crate::admin::handle(&self, req).await;
        }
        self.stats.requests.fetch_add(1, Relaxed);
        let fault = self.rules.lock().unwrap_or_else(|p| p.into_inner()).pick(req.method().as_str(), req.uri().path());
        if let Some(f) = &fault {
            self.stats.fault(f);
        }
        match fault {
            Some(Fault::Reset { after: None }) => {
                fate.reset_now();
                return Response::new(full(Bytes::new()));
            }
            Some(Fault::Status { status, forward: false }) => {
                self.one_way().await;
                self.one_way().await;
                let code = StatusCode::from_u16(status).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
                return text_response(code, format!("netem: injected status {status}\n"));
            }
            _ => {}
        }
        self.one_way().await;
        let upstream_res = match self.forward(req).await {
            Ok(res) => res,
            Err(e) => {
                self.stats.upstream_errors.fetch_add(1, Relaxed);
                self.one_way().await;
                return text_response(StatusCode::BAD_GATEWAY, format!("netem: upstream failed: {e}\n"));
            }
        };
        self.one_way().await;
        self.respond(upstream_res, fault, fate).await
    }

    async fn forward(&self, req: Request<Incoming>) -> Result<Response<Incoming>, BoxError> {
        let (mut parts, body) = req.into_parts();
        let path = parts.uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
        let mut uri = self.upstream.clone().into_parts();
        uri.path_and_query = Some(path.parse()?);
        parts.uri = Uri::from_parts(uri)?;
        strip_hop_by_hop(&mut parts.headers);
        if let Some(authority) = self.upstream.authority() {
            parts.headers.insert(HOST, HeaderValue::from_str(authority.as_str())?);
        }
        let body = self.pump(Direction::Up, None).spawn(body, None, Ending::Finish);
        Ok(self.client.request(Request::from_parts(parts, body)).await?)
    }

    async fn respond(&self, res: Response<Incoming>, fault: Option<Fault>, fate: Arc<Fate>) -> Response<Body> {
        let (mut parts, body) = res.into_parts();
        strip_hop_by_hop(&mut parts.headers);
        let down = self.pump(Direction::Down, Some(fate));
        let body = match fault {
            None | Some(Fault::Reset { after: None }) | Some(Fault::Status { forward: false, .. }) => {
                down.spawn(body, None, Ending::Finish)
            }
            Some(Fault::Drop { after }) => down.spawn(body, None, Ending::Abort { after, reset: false }),
            Some(Fault::Reset { after: Some(after) }) => down.spawn(body, None, Ending::Abort { after, reset: true }),
            Some(Fault::Delay { ms }) => down.spawn(body, Some(Duration::from_millis(ms)), Ending::Finish),
            Some(Fault::Stall { after, ms }) => {
                down.spawn(body, None, Ending::Stall { after, max: Duration::from_millis(ms) })
            }
            Some(Fault::Endless { limit }) => {
                parts.headers.remove(CONTENT_LENGTH);
                down.spawn(body, None, Ending::Endless { limit })
            }
            Some(Fault::Status { status, forward: true }) => {
                let _ = body.collect().await;
                let code = StatusCode::from_u16(status).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
                return text_response(code, format!("netem: injected status {status} (request was forwarded)\n"));
            }
            Some(Fault::Truncate { after, lie }) => {
                let whole = match Limited::new(body, TRUNCATE_BUFFER_MAX).collect().await {
                    Ok(c) => c.to_bytes(),
                    Err(e) => return text_response(StatusCode::BAD_GATEWAY, format!("netem: truncate: {e}\n")),
                };
                let kept = whole.slice(..usize::try_from(after).unwrap_or(usize::MAX).min(whole.len()));
                let claimed = if lie { whole.len() } else { kept.len() };
                parts.headers.insert(CONTENT_LENGTH, HeaderValue::from(claimed));
                let ending = if lie && kept.len() < whole.len() {
                    Ending::Abort { after: kept.len() as u64, reset: false }
                } else {
                    Ending::Finish
                };
                down.spawn(http_body_util::Full::new(kept), None, ending)
            }
        };
        Response::from_parts(parts, body)
    }
}
