//! Namespaces (`--namespaces`): many databases in one dev primary, for multi-tenant tests.
//!
//! A request whose path starts with `/ns/{name}/` is served by the database `name`, with the
//! `/ns/{name}` prefix removed before the normal routes see it (so a client configured with the
//! URL `http://HOST/ns/NAME` works unchanged). A namespace is opened on first use under
//! `<dir>/ns/<name>/` with the default database's options (log size, checkpoint interval, auth,
//! HTTP sync) and stays open until the process ends. Concurrent first requests for one name open it
//! once: each name has a [`OnceCell`], and the opening runs in a task of its own, so a client that
//! goes away mid-open cannot leave a half-open database behind for the next request to open again.
//! Paths without the prefix keep going to the default database. With auth on, a request that
//! carries no valid token never opens (creates) a namespace: the default database's routes refuse
//! it, with the same status and body the namespace's routes would give.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use axum::extract::{Request, State};
use axum::http::Uri;
use axum::response::{IntoResponse, Response};
use axum::Router;
use tokio::sync::{OnceCell, RwLock, RwLockWriteGuard};
use tower::ServiceExt;

use crate::auth::JwtAuth;
use crate::{app, AppError, AppState, Primary, PrimaryOptions, Shared};

/// Longest accepted namespace name.
pub const MAX_NAME_LEN: usize = 64;

/// Whether `name` is a valid namespace name: 1 to [`MAX_NAME_LEN`] characters of `[A-Za-z0-9_-]`.
pub fn valid_name(name: &str) -> bool {
    (1..=MAX_NAME_LEN).contains(&name.len())
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// One open namespace: its state and its routes bound to that state.
#[derive(Debug, Clone)]
struct Namespace {
    state: AppState,
    router: Router,
}

/// Counters, for tests and diagnostics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct NamespaceStats {
    /// Requests that had to wait for a namespace to be opened (it was not open when they came).
    pub waits: u64,
    /// Times a namespace database was opened (`Primary::open` calls).
    pub opens: u64,
    /// Namespaces open now.
    pub open: u64,
}

/// The registry of namespaces.
#[derive(Debug)]
pub struct Namespaces {
    template: PrimaryOptions,
    root: PathBuf,
    auth: Option<JwtAuth>,
    http_sync: bool,
    cells: Mutex<HashMap<String, Arc<OnceCell<Namespace>>>>,
    waits: AtomicU64,
    opens: AtomicU64,
    /// Opening takes it shared; [`Namespaces::hold_opens`] takes it exclusively.
    open_gate: RwLock<()>,
}

impl Namespaces {
    /// A registry whose namespaces live under `<template.dir>/ns/` and are opened with the
    /// template's other options (the default database's), `auth` and `http_sync`.
    pub fn new(template: PrimaryOptions, auth: Option<JwtAuth>, http_sync: bool) -> Arc<Self> {
        Arc::new(Self {
            root: template.dir.join("ns"),
            template,
            auth,
            http_sync,
            cells: Mutex::new(HashMap::new()),
            waits: AtomicU64::new(0),
            opens: AtomicU64::new(0),
            open_gate: RwLock::new(()),
        })
    }

    fn cell(&self, name: &str) -> Arc<OnceCell<Namespace>> {
        let mut cells = self.cells.lock().unwrap_or_else(PoisonError::into_inner);
        cells.entry(name.to_owned()).or_default().clone()
    }

    /// The namespace `name`, opened (once) if it is not open yet.
    async fn namespace(self: &Arc<Self>, name: &str) -> Result<Namespace, AppError> {
        let cell = self.cell(name);
        if let Some(ns) = cell.get() {
            return Ok(ns.clone());
        }
        self.waits.fetch_add(1, Ordering::SeqCst);
        let this = self.clone();
        let name = name.to_owned();
        // In a task of its own: the open completes even if this request is dropped meanwhile.
        tokio::spawn(async move { cell.get_or_try_init(|| this.open(name)).await.cloned() })
            .await
            .map_err(|e| AppError::Internal(format!("opening a namespace: {e}")))?
    }

    async fn open(self: Arc<Self>, name: String) -> Result<Namespace, AppError> {
        let _gate = self.open_gate.read().await;
        self.opens.fetch_add(1, Ordering::SeqCst);
        let mut opts = self.template.clone();
        opts.dir = self.root.join(&name);
        let primary = tokio::task::spawn_blocking(move || Primary::open(opts))
            .await
            .map_err(|e| AppError::Internal(format!("opening namespace {name}: {e}")))?
            .map_err(|e| AppError::Internal(format!("opening namespace {name}: {e}")))?;
        let state = Shared::new(primary, self.auth.clone(), self.http_sync);
        Ok(Namespace { router: app(state.clone()), state })
    }

    /// The state of namespace `name` if it is open.
    pub fn get_open(&self, name: &str) -> Option<AppState> {
        let cells = self.cells.lock().unwrap_or_else(PoisonError::into_inner);
        cells.get(name).and_then(|c| c.get()).map(|ns| ns.state.clone())
    }

    /// The counters.
    pub fn stats(&self) -> NamespaceStats {
        let open =
            self.cells.lock().unwrap_or_else(PoisonError::into_inner).values().filter(|c| c.initialized()).count();
        NamespaceStats {
            waits: self.waits.load(Ordering::SeqCst),
            opens: self.opens.load(Ordering::SeqCst),
            open: open as u64,
        }
    }

    /// Holds every namespace open until the guard is dropped (tests line up concurrent first
    /// requests with it, then release them together).
    pub async fn hold_opens(&self) -> RwLockWriteGuard<'_, ()> {
        self.open_gate.write().await
    }

    /// Clean shutdown of every open namespace (blocking): capture and checkpoint each.
    pub fn shutdown(&self) -> std::io::Result<()> {
        let open: Vec<AppState> = {
            let cells = self.cells.lock().unwrap_or_else(PoisonError::into_inner);
            cells.values().filter_map(|c| c.get()).map(|ns| ns.state.clone()).collect()
        };
        for state in open {
            state.primary.shutdown()?;
        }
        Ok(())
    }

    /// Whether `headers` carry a token that verifies (HTTP or gRPC metadata), or auth is off.
    fn authorized(&self, headers: &axum::http::HeaderMap) -> bool {
        let Some(auth) = &self.auth else { return true };
        ["authorization", "x-authorization"]
            .iter()
            .filter_map(|h| headers.get(*h).and_then(|v| v.to_str().ok()))
            .any(|v| auth.check_header(Some(v)).is_ok())
    }

    /// Serves a request under `/ns`: splits off the name, opens the namespace, strips the prefix
    /// and hands the request to the namespace's routes (or to `refuse`, the default database's
    /// routes, when it carries no valid token).
    async fn serve(self: &Arc<Self>, mut req: Request, refuse: Router) -> Result<Response, AppError> {
        let path = req.uri().path();
        let rest = path.strip_prefix("/ns").unwrap_or(path);
        let rest = rest.strip_prefix('/').unwrap_or(rest);
        let (name, tail) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, "/"),
        };
        let tail = match req.uri().query() {
            Some(q) => format!("{tail}?{q}"),
            None => tail.to_owned(),
        };
        if !valid_name(name) {
            let shown: String = name.chars().take(80).collect();
            return Err(AppError::BadRequest(format!(
                "invalid namespace name {shown:?}: expected 1 to {MAX_NAME_LEN} characters of A-Z, a-z, 0-9, '_' and '-'"
            )));
        }
        let uri: Uri = tail.parse().map_err(|e| AppError::BadRequest(format!("invalid path: {e}")))?;
        let router = if self.authorized(req.headers()) { self.namespace(name).await?.router } else { refuse };
        *req.uri_mut() = uri;
        match router.oneshot(req).await {
            Ok(r) => Ok(r),
            Err(never) => match never {},
        }
    }
}

/// What the `/ns` routes need: the registry, and the default database's routes (for refusals).
#[derive(Debug, Clone)]
struct Routing {
    namespaces: Arc<Namespaces>,
    default: Router,
}

/// Every request: `/ns` and `/ns/...` to [`Namespaces::serve`], anything else to the default
/// database's routes. A fallback rather than `/ns/{*rest}` routes, so no path parameters of this
/// router reach the inner routes' `Path` extractors.
async fn handle_request(State(routing): State<Routing>, req: Request) -> Response {
    let path = req.uri().path();
    if path != "/ns" && !path.starts_with("/ns/") {
        return match routing.default.oneshot(req).await {
            Ok(r) => r,
            Err(never) => match never {},
        };
    }
    match routing.namespaces.serve(req, routing.default).await {
        Ok(r) => r,
        Err(e) => crate::routes::misc::add_cors_headers(e.into_response()).await,
    }
}

/// The whole HTTP surface with namespaces: `/ns/{name}/...` goes to namespace `name`, everything
/// else to the default database (`state`), exactly as [`app`] serves it.
pub fn app_with_namespaces(state: AppState, namespaces: Arc<Namespaces>) -> Router {
    Router::new().fallback(handle_request).with_state(Routing { namespaces, default: app(state) })
}
