//! libsql-edge netem: a loopback HTTP/1.1 proxy that shapes the link (round trip, bandwidth) and
//! injects faults (drops, truncations, delays, stalls, 5xx, resets, endless bodies) between
//! clients and an upstream primary, for benchmarks and chaos tests. Never part of the wasm build.
//!
//! [`start`] serves on a listener in the current tokio runtime; `main.rs` is the CLI. Rules and
//! the shape can be changed at runtime and counters read through the admin endpoints
//! ([`admin`], under `/__netem/`).
//!
//! Shaping ([`shape`]): half the round trip before forwarding each request and half before each
//! response head; bodies paced per direction at the bandwidth (a token bucket shared by all
//! connections). Faults ([`fault`], chosen by [`rule`]s), as command-line text or admin JSON:
//!
//! ```text
//! kind=drop after=1000 path=/wal_log every=3      close mid-body after 1000 bytes, every 3rd match
//! kind=truncate after=50 [lie=true]               short body, honest or lying Content-Length
//! kind=delay ms=500                               head now, body 500 ms later
//! kind=stall after=0 [ms=300000]                  head, then nothing (connection left open)
//! kind=status status=503 [forward=true]           answer 503 (forwarded first only if asked)
//! kind=reset [after=100]                          RST before answering, or after 100 body bytes
//! kind=endless [limit=1073741824]                 the real body, then zeros up to limit
//! ... method=POST count=5 probability=0.2 seed=7  matchers and triggers, on any kind
//! ```
#![warn(missing_docs)]
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

pub mod admin;
pub mod body;
pub mod conn;
pub mod fault;
pub mod proxy;
pub mod rule;
pub mod shape;
pub mod stats;

use std::sync::Arc;

use hyper::Uri;
use tokio::net::TcpListener;

pub use fault::Fault;
pub use proxy::Proxy;
pub use rule::{Rule, RuleError};
pub use shape::Shape;

/// What to start.
#[derive(Debug, Clone)]
pub struct Config {
    /// The upstream, `http://host:port`.
    pub upstream: String,
    /// The link's shape.
    pub shape: Shape,
    /// Fault rules, in evaluation order.
    pub rules: Vec<Rule>,
}

/// Why the proxy cannot start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The upstream is not an `http://host:port` URL.
    #[error("upstream {0:?} is not an http://host:port URL")]
    Upstream(String),
    /// The shape has a negative or non-finite value.
    #[error("shape: {0}")]
    Shape(String),
    /// The listener's address cannot be read.
    #[error("listener")]
    Listener(#[source] std::io::Error),
}

/// A proxy serving in the background; dropping it stops the listener and every connection.
pub struct Running {
    /// `http://127.0.0.1:<port>` (no trailing slash).
    pub url: String,
    /// The shared state (counters, rules, shape).
    pub proxy: Arc<Proxy>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Running {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Starts serving `config` on `listener` in the current tokio runtime.
pub fn start(listener: TcpListener, config: Config) -> Result<Running, StartError> {
    let upstream: Uri = config.upstream.parse().map_err(|_| StartError::Upstream(config.upstream.clone()))?;
    if upstream.scheme_str() != Some("http") || upstream.authority().is_none() {
        return Err(StartError::Upstream(config.upstream));
    }
    let upstream = Uri::builder()
        .scheme("http")
        .authority(upstream.authority().map(|a| a.as_str()).unwrap_or_default())
        .path_and_query("/")
        .build()
        .map_err(|_| StartError::Upstream(config.upstream.clone()))?;
    config.shape.validate().map_err(StartError::Shape)?;
    let url = format!("http://{}", listener.local_addr().map_err(StartError::Listener)?);
    let rules = rule::Rules { active: config.rules.into_iter().map(rule::ActiveRule::new).collect() };
    let proxy = Arc::new(Proxy::new(upstream, shape::Link::new(config.shape), rules));
    let task = tokio::spawn(conn::accept_loop(listener, proxy.clone()));
    Ok(Running { url, proxy, task })
}
