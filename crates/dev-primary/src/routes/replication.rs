//! gRPC-Web `wal_log.ReplicationLog`: Hello, BatchLogEntries, LogEntries (streaming), Snapshot.
//! Errors are trailers-only (HTTP 200, `grpc-status` / `grpc-message` headers), as sqld sends them.

use std::convert::Infallible;

use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use libsql_edge_protocol::grpc_web::{self, code, encode_data_frame, encode_trailer_frame, GrpcStatus};
use libsql_edge_protocol::replication_log::{
    decode_message, DatabaseConfig, Frame, Frames, HelloRequest, HelloResponse, LogOffset, NEED_SNAPSHOT, NO_HELLO,
};
use prost::Message;

use crate::log::{ReadError, SnapshotError};
use crate::routes::grpc_access;
use crate::{AppError, AppState};

/// `POST /wal_log.ReplicationLog/{method}`.
pub async fn handle_post_replication(
    State(state): State<AppState>,
    Path(method): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    dispatch(state, &method, headers, body).await.unwrap_or_else(IntoResponse::into_response)
}

/// A unary success response.
pub fn unary(message: &impl Message) -> Response {
    let body = grpc_web::encode_unary_body(&message.encode_to_vec());
    ([(header::CONTENT_TYPE, grpc_web::CONTENT_TYPE)], body).into_response()
}

/// Decodes the single request message.
pub fn request<M: Message + Default>(name: &'static str, body: &[u8]) -> Result<M, AppError> {
    let msg = grpc_web::decode_request_body(body).map_err(|e| AppError::grpc(code::INTERNAL, e.to_string()))?;
    decode_message(name, &msg).map_err(|e| AppError::grpc(code::INTERNAL, e.to_string()))
}

async fn dispatch(state: AppState, method: &str, headers: HeaderMap, body: Bytes) -> Result<Response, AppError> {
    grpc_access(&state, &headers)?;
    if method == "Hello" {
        let _req: HelloRequest = request("HelloRequest", &body)?;
        let resp = HelloResponse {
            generation_id: state.generation_id.clone(),
            generation_start_index: 0,
            log_id: uuid::Uuid::from_u128(state.primary.log.log_id()).to_string(),
            session_token: state.session_token.clone().into_bytes(),
            current_replication_index: state.primary.replication_index(),
            config: Some(DatabaseConfig::sqld_default()),
        };
        return Ok(unary(&resp));
    }
    if !matches!(method, "BatchLogEntries" | "LogEntries" | "Snapshot") {
        return Err(AppError::grpc(code::UNIMPLEMENTED, format!("Method {method} not implemented")));
    }
    let token = headers.get("x-session-token").and_then(|v| v.to_str().ok());
    if token != Some(state.session_token.as_str()) {
        return Err(AppError::grpc(code::FAILED_PRECONDITION, NO_HELLO));
    }
    let offset: LogOffset = request("LogOffset", &body)?;
    if offset.wal_flavor == Some(1) {
        return Err(AppError::grpc(code::INVALID_ARGUMENT, "libsql wal not supported"));
    }
    match method {
        "BatchLogEntries" => batch_log_entries(state, offset.next_offset).await,
        "LogEntries" => log_entries(state, offset.next_offset),
        _ => snapshot(state, offset.next_offset).await,
    }
}

fn to_frames(raw: Vec<(Vec<u8>, Option<i64>)>) -> Frames {
    Frames {
        frames: raw.into_iter().map(|(data, timestamp)| Frame { data, timestamp, durable_frame_no: None }).collect(),
    }
}

fn read_error(e: ReadError) -> AppError {
    match e {
        ReadError::NeedSnapshot => AppError::grpc(code::FAILED_PRECONDITION, NEED_SNAPSHOT),
        ReadError::Io(e) => AppError::grpc(code::INTERNAL, e.to_string()),
    }
}

async fn batch_log_entries(state: AppState, next_offset: u64) -> Result<Response, AppError> {
    let frames = tokio::task::spawn_blocking(move || state.primary.log.batch(next_offset))
        .await
        .map_err(|e| AppError::grpc(code::INTERNAL, e.to_string()))?
        .map_err(read_error)?;
    Ok(unary(&to_frames(frames)))
}

async fn snapshot(state: AppState, next_offset: u64) -> Result<Response, AppError> {
    let frames = tokio::task::spawn_blocking(move || state.primary.log.snapshot_frames(next_offset))
        .await
        .map_err(|e| AppError::grpc(code::INTERNAL, e.to_string()))?
        .map_err(|e| match e {
            SnapshotError::NoSnapshot => AppError::grpc(code::INTERNAL, "No such file or directory (os error 2)"),
            SnapshotError::NotFound => AppError::grpc(code::UNAVAILABLE, "snapshot not found"),
            SnapshotError::Io(e) => AppError::grpc(code::INTERNAL, e.to_string()),
        })?;
    let mut body = Vec::with_capacity(frames.len() * 4130 + 20);
    for data in frames {
        body.extend_from_slice(&encode_data_frame(
            &Frame { data, timestamp: None, durable_frame_no: None }.encode_to_vec(),
        ));
    }
    body.extend_from_slice(&encode_trailer_frame(&GrpcStatus::ok()));
    Ok(([(header::CONTENT_TYPE, grpc_web::CONTENT_TYPE)], body).into_response())
}

/// Streams frames as they are committed; never blocks writers (reads the log file only).
fn log_entries(state: AppState, next_offset: u64) -> Result<Response, AppError> {
    if next_offset < state.primary.log.read().start_frame_no {
        return Err(AppError::grpc(code::FAILED_PRECONDITION, NEED_SNAPSHOT));
    }
    let rx = state.primary.log.subscribe();
    let stream = futures_util::stream::unfold((state, rx, next_offset), |(state, mut rx, next)| async move {
        loop {
            let st = state.clone();
            let res = tokio::task::spawn_blocking(move || st.primary.log.batch(next)).await;
            match res {
                Ok(Ok(frames)) if !frames.is_empty() => {
                    let n = next + frames.len() as u64;
                    let mut chunk = Vec::new();
                    for (data, timestamp) in frames {
                        chunk.extend_from_slice(&encode_data_frame(
                            &Frame { data, timestamp, durable_frame_no: None }.encode_to_vec(),
                        ));
                    }
                    return Some((Ok::<_, Infallible>(Bytes::from(chunk)), (state, rx, n)));
                }
                Ok(Ok(_)) => {
                    if rx.changed().await.is_err() {
                        return None;
                    }
                }
                _ => {
                    let status = GrpcStatus::new(code::FAILED_PRECONDITION, NEED_SNAPSHOT);
                    return Some((Ok(Bytes::from(encode_trailer_frame(&status))), (state, rx, u64::MAX)));
                }
            }
        }
    });
    Ok(([(header::CONTENT_TYPE, grpc_web::CONTENT_TYPE)], Body::from_stream(stream)).into_response())
}
