//! `POST /v2/pipeline` and `/v3/pipeline`.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use libsql_edge_protocol::hrana::parse_pipeline_request;

use crate::auth::Access;
use crate::hrana::{check_version, response_body, run_requests, PipelineError, Version};
use crate::routes::http_access;
use crate::{AppError, AppState};

/// `POST /v2/pipeline`.
pub async fn handle_post_pipeline_v2(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    pipeline(state, headers, body, Version::V2).await.unwrap_or_else(IntoResponse::into_response)
}

/// `POST /v3/pipeline`.
pub async fn handle_post_pipeline_v3(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    pipeline(state, headers, body, Version::V3).await.unwrap_or_else(IntoResponse::into_response)
}

impl From<PipelineError> for AppError {
    fn from(e: PipelineError) -> Self {
        match e {
            PipelineError::Protocol(m) => AppError::HranaProtocol(m),
            PipelineError::StreamExpired => AppError::StreamExpired,
            PipelineError::Forbidden => AppError::Forbidden,
            PipelineError::Internal(m) => AppError::Internal(m),
        }
    }
}

async fn pipeline(state: AppState, headers: HeaderMap, body: Bytes, version: Version) -> Result<Response, AppError> {
    let access = http_access(&state, &headers)?;
    let req = parse_pipeline_request(&body).map_err(AppError::HranaProtocol)?;
    check_version(&req, version)?;
    let mut out = state.streams.checkout(req.baton.as_deref()).await?;
    let st = state.clone();
    let joined = tokio::task::spawn_blocking(move || {
        let r = run_requests(&st.primary, &mut out, &req.requests, access == Access::ReadOnly);
        (out, r)
    })
    .await
    .map_err(|e| AppError::Internal(e.to_string()))?;
    let (out, result) = joined;
    match result {
        Ok((results, closed)) => {
            let baton = state.streams.checkin(out, closed);
            let body =
                serde_json::to_string(&response_body(baton, results)).map_err(|e| AppError::Internal(e.to_string()))?;
            Ok(([(header::CONTENT_TYPE, "application/json")], body).into_response())
        }
        Err(e) => {
            state.streams.discard(out);
            Err(e.into())
        }
    }
}
