//! gRPC-Web `proxy.Proxy`.
use crate::{AppError, AppState};
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};

/// Proxy connections by client id.
#[derive(Debug, Default)]
pub struct ProxyClients;

/// `POST /proxy.Proxy/{method}`.
pub async fn handle_post_proxy(
    State(_state): State<AppState>,
    Path(_m): Path<String>,
    _headers: HeaderMap,
    _body: Bytes,
) -> Response {
    AppError::NotFound.into_response()
}
