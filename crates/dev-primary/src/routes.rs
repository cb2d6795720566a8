//! Route table: one module per endpoint family.

pub mod hrana;
pub mod http_sync;
pub mod misc;
pub mod proxy;
pub mod replication;

use axum::http::HeaderMap;
use axum::routing::{get, post};
use axum::Router;

use crate::auth::Access;
use crate::{AppError, AppState};

/// All routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/health", get(misc::handle_get_health))
        .route("/version", get(misc::handle_get_version))
        .route("/v2", get(misc::handle_get_hrana_probe))
        .route("/v3", get(misc::handle_get_hrana_probe))
        .route("/v2/pipeline", post(hrana::handle_post_pipeline_v2))
        .route("/v3/pipeline", post(hrana::handle_post_pipeline_v3))
        .route("/wal_log.ReplicationLog/{method}", post(replication::handle_post_replication))
        .route("/proxy.Proxy/{method}", post(proxy::handle_post_proxy))
        .route("/info", get(http_sync::handle_get_info))
        .route("/export/{generation}", get(http_sync::handle_get_export))
        .route("/sync/{generation}/{start}/{end}", get(http_sync::handle_get_sync))
        .fallback(misc::handle_not_found)
        .layer(axum::middleware::map_response(misc::add_cors_headers))
}

/// Checks `Authorization` for HTTP endpoints (401 JSON on failure).
pub fn http_access(state: &AppState, headers: &HeaderMap) -> Result<Access, AppError> {
    let Some(auth) = &state.auth else {
        return Ok(Access::ReadWrite);
    };
    let value = headers.get("authorization").and_then(|v| v.to_str().ok());
    auth.check_header(value).map_err(|e| AppError::Unauthorized(e.message().to_owned()))
}

/// Checks auth metadata for gRPC (`x-authorization` or `authorization`), as trailers-only errors.
pub fn grpc_access(state: &AppState, headers: &HeaderMap) -> Result<Access, AppError> {
    let Some(auth) = &state.auth else {
        return Ok(Access::ReadWrite);
    };
    let value = headers.get("x-authorization").or_else(|| headers.get("authorization")).and_then(|v| v.to_str().ok());
    match auth.check_header(value) {
        Ok(a) => Ok(a),
        Err(crate::auth::AuthError::Missing) => Err(AppError::grpc(
            libsql_edge_protocol::grpc_web::code::INTERNAL,
            "Error parsing auth header: Expected authorization header but none given",
        )),
        Err(e) => Err(AppError::grpc(
            libsql_edge_protocol::grpc_web::code::UNAUTHENTICATED,
            format!("AuthError: {}", e.message()),
        )),
    }
}
