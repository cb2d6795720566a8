//! Small endpoints: health, version, Hrana probes, 404 fallback, CORS headers.

use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::AppError;

/// `GET /health`: 200, empty.
pub async fn handle_get_health() -> StatusCode {
    StatusCode::OK
}

/// `GET /version`.
pub async fn handle_get_version() -> String {
    format!("libsql-edge-primary {} (sqld 0.24.33 compatible)", env!("CARGO_PKG_VERSION"))
}

/// `GET /v2`, `GET /v3`.
pub async fn handle_get_hrana_probe() -> &'static str {
    "Hello, this is HTTP API v2 (Hrana over HTTP)"
}

/// Everything else: 404 with an empty body.
pub async fn handle_not_found() -> Response {
    AppError::NotFound.into_response()
}

/// Adds sqld's permissive CORS headers.
pub async fn add_cors_headers(mut r: Response) -> Response {
    let h = r.headers_mut();
    h.insert("access-control-allow-origin", HeaderValue::from_static("*"));
    h.insert(
        "access-control-expose-headers",
        HeaderValue::from_static("grpc-status,grpc-message,grpc-status-details-bin"),
    );
    r
}
