//! libsql-edge dev primary: a local server speaking sqld's wire protocols (Hrana over HTTP,
//! gRPC-Web `wal_log.ReplicationLog` and `proxy.Proxy`) and Turso Cloud's HTTP sync, over one
//! SQLite database whose committed transactions are captured into a replication log.
//!
//! [`app`] builds the router (testable with `tower::ServiceExt::oneshot`); [`app_with_namespaces`]
//! adds `/ns/{name}/...` databases in front of it; `main.rs` is the CLI.
#![warn(missing_docs)]
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

pub mod auth;
pub mod db;
pub mod error;
pub mod generations;
pub mod hrana;
pub mod log;
pub mod namespaces;
pub mod primary;
pub mod proxy;
pub mod routes;
pub mod wal_reader;

use std::sync::Arc;

use axum::extract::DefaultBodyLimit;
use axum::Router;

pub use error::AppError;
pub use namespaces::{app_with_namespaces, Namespaces};
pub use primary::{Primary, PrimaryOptions};

/// Shared server state.
#[derive(Debug)]
pub struct Shared {
    /// The database and its log.
    pub primary: Arc<Primary>,
    /// Open Hrana streams.
    pub streams: hrana::Streams,
    /// JWT verifier; `None` = auth off.
    pub auth: Option<auth::JwtAuth>,
    /// This process's `Hello` session token.
    pub session_token: String,
    /// This process's `Hello` generation id.
    pub generation_id: String,
    /// Whether `/info`, `/export` and `/sync` are served (off: 404 as sqld, so native clients use gRPC).
    pub http_sync: bool,
    /// Proxy connections by client id.
    pub proxy_clients: routes::proxy::ProxyClients,
}

/// The state handed to handlers.
pub type AppState = Arc<Shared>;

impl Shared {
    /// New state around an opened primary.
    pub fn new(primary: Arc<Primary>, auth: Option<auth::JwtAuth>, http_sync: bool) -> AppState {
        Arc::new(Self {
            primary,
            streams: hrana::Streams::default(),
            auth,
            session_token: uuid::Uuid::new_v4().to_string(),
            generation_id: uuid::Uuid::new_v4().to_string(),
            http_sync,
            proxy_clients: Default::default(),
        })
    }
}

/// The whole HTTP surface.
pub fn app(state: AppState) -> Router {
    routes::router().layer(DefaultBodyLimit::max(256 * 1024 * 1024)).with_state(state)
}
