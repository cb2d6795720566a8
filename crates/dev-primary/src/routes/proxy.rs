//! gRPC-Web `proxy.Proxy`: `Execute`, `Describe`, `Disconnect` (the unary methods the native
//! libsql client uses to forward writes from an embedded replica). `StreamExec` is bidirectional
//! streaming, which gRPC-Web cannot carry: `UNIMPLEMENTED`. Auth is the gRPC auth of the other
//! services; a read-only token may read and describe, and a write fails the whole call with
//! `PERMISSION_DENIED`. All failures are trailers-only statuses, as sqld sends them.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use libsql_edge_protocol::grpc_web::code;
use libsql_edge_protocol::proxy::{
    Ack, DescribeOutcome, DescribeRequest, DescribeResult, DisconnectMessage, ProgramReq,
};

use crate::auth::Access;
pub use crate::proxy::ProxyClients;
use crate::proxy::{describe_statement, execute_program, ProxyFailure};
use crate::routes::grpc_access;
use crate::routes::replication::{request, unary};
use crate::{AppError, AppState};

/// `POST /proxy.Proxy/{method}`.
pub async fn handle_post_proxy(
    State(state): State<AppState>,
    Path(method): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    dispatch(state, &method, headers, body).await.unwrap_or_else(IntoResponse::into_response)
}

async fn dispatch(state: AppState, method: &str, headers: HeaderMap, body: Bytes) -> Result<Response, AppError> {
    let access = grpc_access(&state, &headers)?;
    match method {
        "Execute" => execute(state, access, &body).await,
        "Describe" => describe(state, &body).await,
        "Disconnect" => {
            let req: DisconnectMessage = request("DisconnectMessage", &body)?;
            state.proxy_clients.disconnect(client_id(&req.client_id)?);
            Ok(unary(&Ack {}))
        }
        _ => Err(AppError::grpc(code::UNIMPLEMENTED, format!("Method {method} not implemented"))),
    }
}

fn client_id(text: &str) -> Result<uuid::Uuid, AppError> {
    uuid::Uuid::parse_str(text)
        .map_err(|_| AppError::grpc(code::INVALID_ARGUMENT, format!("invalid client_id {text:?}: not a UUID")))
}

fn failure(f: ProxyFailure) -> AppError {
    match f {
        ProxyFailure::InvalidArgument(m) => AppError::grpc(code::INVALID_ARGUMENT, m),
        ProxyFailure::PermissionDenied(m) => AppError::grpc(code::PERMISSION_DENIED, m),
        ProxyFailure::Internal(m) => AppError::grpc(code::INTERNAL, m),
    }
}

async fn execute(state: AppState, access: Access, body: &[u8]) -> Result<Response, AppError> {
    let req: ProgramReq = request("ProgramReq", body)?;
    let id = client_id(&req.client_id)?;
    let pgm = req.pgm.ok_or_else(|| AppError::grpc(code::INVALID_ARGUMENT, "missing program"))?;
    let mut conn = state.proxy_clients.checkout(id).await;
    let st = state.clone();
    let results =
        tokio::task::spawn_blocking(move || execute_program(&st.primary, &mut conn, &pgm, access == Access::ReadOnly))
            .await
            .map_err(|e| AppError::grpc(code::INTERNAL, e.to_string()))?
            .map_err(failure)?;
    Ok(unary(&results))
}

async fn describe(state: AppState, body: &[u8]) -> Result<Response, AppError> {
    let req: DescribeRequest = request("DescribeRequest", body)?;
    let id = client_id(&req.client_id)?;
    let mut conn = state.proxy_clients.checkout(id).await;
    let st = state.clone();
    let description = tokio::task::spawn_blocking(move || describe_statement(&st.primary, &mut conn, &req.stmt))
        .await
        .map_err(|e| AppError::grpc(code::INTERNAL, e.to_string()))?
        .map_err(failure)?;
    Ok(unary(&DescribeResult { describe_result: Some(DescribeOutcome::Description(description)) }))
}
