//! Turso Cloud HTTP sync: `GET /info`, `GET /export/{generation}`, `GET /sync/{generation}/{start}/{end}`.
use crate::{AppError, AppState};
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::IntoResponse;
use axum::response::Response;

/// `GET /info`.
pub async fn handle_get_info(State(_state): State<AppState>, _headers: HeaderMap) -> Response {
    AppError::NotFound.into_response()
}
/// `GET /export/{generation}`.
pub async fn handle_get_export(
    State(_state): State<AppState>,
    Path(_g): Path<String>,
    _headers: HeaderMap,
) -> Response {
    AppError::NotFound.into_response()
}
/// `GET /sync/{generation}/{start}/{end}`.
pub async fn handle_get_sync(
    State(_state): State<AppState>,
    Path(_p): Path<(String, String, String)>,
    _headers: HeaderMap,
) -> Response {
    AppError::NotFound.into_response()
}
