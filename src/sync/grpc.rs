//! Unary and server-streaming gRPC-Web calls over `Io`, as sqld serves them: one request message,
//! buffered response messages, and the status from trailers-only headers or the trailer frame.

use prost::Message;

use super::io::{unexpected_status, Io};
use crate::error::{Error, Result};
use crate::protocol::grpc_web::{self, code, GrpcStatus};
use crate::transport::Method;

/// The outcome of a call that reached the server: its messages, or the error status it returned.
pub type CallResult = std::result::Result<Vec<Vec<u8>>, GrpcStatus>;

/// Calls `/{service}/{method}` with `request`; `session_token` goes in `x-session-token`.
pub async fn call(
    io: &Io<'_>,
    path: &str,
    request: &impl Message,
    session_token: Option<&str>,
    context: &str,
) -> Result<CallResult> {
    let body = grpc_web::encode_data_frame(&request.encode_to_vec());
    let mut headers = vec![("content-type", grpc_web::CONTENT_TYPE), ("x-grpc-web", "1")];
    if let Some(token) = session_token {
        headers.push(("x-session-token", token));
    }
    let response = io.send(Method::Post, path, &headers, body, context).await?;
    if response.status != 200 {
        return Err(unexpected_status(context, &response));
    }
    let invalid =
        |e: crate::protocol::Error| Error::InvalidResponse { context: context.to_string(), message: e.to_string() };
    if let Some(status) = GrpcStatus::from_headers(response.header("grpc-status"), response.header("grpc-message")) {
        let status = status.map_err(invalid)?;
        if status.code != code::OK {
            return Ok(Err(status));
        }
        if response.body.is_empty() {
            return Ok(Ok(Vec::new()));
        }
    }
    let (messages, status) = grpc_web::decode_response_body(&response.body).map_err(invalid)?;
    Ok(if status.code == code::OK { Ok(messages) } else { Err(status) })
}

/// Turns an error status into the crate's error: auth failures become `Error::Auth` (sqld reports a
/// missing token as INTERNAL "Error parsing auth header: ..."), everything else `Error::GrpcStatus`.
pub fn status_error(context: &str, status: GrpcStatus) -> Error {
    let auth = status.code == code::UNAUTHENTICATED
        || (status.code == code::INTERNAL && status.message.to_ascii_lowercase().contains("auth"));
    if auth {
        Error::Auth { context: context.to_string(), message: status.message }
    } else {
        Error::GrpcStatus { context: context.to_string(), code: status.code, message: status.message }
    }
}
