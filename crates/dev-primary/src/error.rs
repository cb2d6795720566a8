//! `AppError`: every way a request can fail, mapped to the status and body shape sqld uses.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use libsql_edge_protocol::grpc_web::{GrpcStatus, CONTENT_TYPE as GRPC_WEB};

/// A failed request.
#[derive(Debug)]
pub enum AppError {
    /// Hrana protocol error: 400 text/plain.
    HranaProtocol(String),
    /// Expired Hrana stream: 400 with a Hrana error body.
    StreamExpired,
    /// Authentication failed: 401 `{"error":"Unauthorized: `…`"}`.
    Unauthorized(String),
    /// Write with a read-only token: 403.
    Forbidden,
    /// A gRPC error, sent trailers-only (HTTP 200, status in headers).
    Grpc(GrpcStatus),
    /// Turso HTTP sync: no more frames in this generation (400 with `{generation}`).
    GenerationEnd(u32),
    /// Bad request outside Hrana (JSON error body).
    BadRequest(String),
    /// Unknown path: 404 with an empty body (as sqld).
    NotFound,
    /// Anything else: 500.
    Internal(String),
}

impl AppError {
    /// A trailers-only gRPC error.
    pub fn grpc(code: u32, message: impl Into<String>) -> Self {
        AppError::Grpc(GrpcStatus::new(code, message))
    }
}

fn json(status: StatusCode, value: serde_json::Value) -> Response {
    (status, [(header::CONTENT_TYPE, "application/json")], value.to_string()).into_response()
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        match self {
            AppError::HranaProtocol(m) => {
                (StatusCode::BAD_REQUEST, [(header::CONTENT_TYPE, "text/plain")], m).into_response()
            }
            AppError::StreamExpired => json(
                StatusCode::BAD_REQUEST,
                serde_json::json!({"message": "The stream has expired due to inactivity", "code": "STREAM_EXPIRED"}),
            ),
            AppError::Unauthorized(m) => {
                json(StatusCode::UNAUTHORIZED, serde_json::json!({"error": format!("Unauthorized: `{m}`")}))
            }
            AppError::Forbidden => json(
                StatusCode::FORBIDDEN,
                serde_json::json!({"error": "Authorization forbidden: Current session doesn't not have Write permission to namespace default"}),
            ),
            AppError::Grpc(status) => {
                let mut r = StatusCode::OK.into_response();
                let h = r.headers_mut();
                h.insert(header::CONTENT_TYPE, HeaderValue::from_static(GRPC_WEB));
                h.insert("grpc-status", HeaderValue::from(status.code));
                if let Ok(v) = HeaderValue::from_str(&status.message_header()) {
                    h.insert("grpc-message", v);
                }
                h.insert(header::CONTENT_LENGTH, HeaderValue::from(0));
                r
            }
            AppError::GenerationEnd(g) => json(
                StatusCode::BAD_REQUEST,
                serde_json::json!({"error": "no more frames in this generation", "generation": g}),
            ),
            AppError::BadRequest(m) => json(StatusCode::BAD_REQUEST, serde_json::json!({"error": m})),
            AppError::NotFound => StatusCode::NOT_FOUND.into_response(),
            AppError::Internal(m) => json(StatusCode::INTERNAL_SERVER_ERROR, serde_json::json!({"error": m})),
        }
    }
}
