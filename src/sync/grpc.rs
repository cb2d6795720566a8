//! gRPC-Web calls over `Io`, as sqld serves them: one request message; the status from
//! trailers-only headers or from the trailer frame. Unary replies are read whole (capped);
//! frame-carrying replies (`BatchLogEntries`, `Snapshot`) are decoded as they arrive.

use prost::Message;

use super::in_context;
use super::io::{unexpected_status, Io, CONTROL_BODY_CAP};
use crate::error::{Error, Result};
use crate::protocol::frame::Frame;
use crate::protocol::grpc_web::{self, code, GrpcStatus};
use crate::protocol::replication_log::{FramesDecoder, FramesItem, FramesLayout};
use crate::transport::{Method, Response};

/// The outcome of a call that reached the server: its messages, or the error status it returned.
pub type CallResult = std::result::Result<Vec<Vec<u8>>, GrpcStatus>;

/// Sends `request` to `path`; returns the response if it carries a body to read, or the status of
/// a trailers-only answer.
async fn send(
    io: &Io<'_>,
    path: &str,
    request: &impl Message,
    session_token: Option<&str>,
    context: &str,
) -> Result<std::result::Result<Response, GrpcStatus>> {
    let body = grpc_web::encode_data_frame(&request.encode_to_vec());
    let mut headers = vec![("content-type", grpc_web::CONTENT_TYPE), ("x-grpc-web", "1")];
    if let Some(token) = session_token {
        headers.push(("x-session-token", token));
    }
    let mut response = io.send(Method::Post, path, &headers, body, context).await?;
    if response.status != 200 {
        return Err(unexpected_status(io, context, &mut response).await);
    }
    if let Some(status) = GrpcStatus::from_headers(response.header("grpc-status"), response.header("grpc-message")) {
        let status = status.map_err(|e| invalid(context, e))?;
        if status.code != code::OK {
            return Ok(Err(status));
        }
    }
    Ok(Ok(response))
}

fn invalid(context: &str, e: crate::protocol::Error) -> Error {
    Error::InvalidResponse { context: context.to_string(), message: e.to_string() }
}

/// A unary call (`Hello`): its messages, read whole (at most 1 MiB).
pub async fn call(
    io: &Io<'_>,
    path: &str,
    request: &impl Message,
    session_token: Option<&str>,
    context: &str,
) -> Result<CallResult> {
    let mut response = match send(io, path, request, session_token, context).await? {
        Ok(response) => response,
        Err(status) => return Ok(Err(status)),
    };
    let body = io.read_body(&mut response.body, CONTROL_BODY_CAP, context).await?;
    if body.is_empty() {
        return Ok(Ok(Vec::new()));
    }
    let (messages, status) = grpc_web::decode_response_body(&body).map_err(|e| invalid(context, e))?;
    Ok(if status.code == code::OK { Ok(messages) } else { Err(status) })
}

/// A call whose reply carries replication frames: `on_frame` gets each one as it is decoded and
/// may stop the read by returning an error (a memory limit). Returns the final status.
pub async fn call_frames(
    io: &Io<'_>,
    path: &str,
    request: &impl Message,
    session_token: &str,
    layout: FramesLayout,
    context: &str,
    mut on_frame: impl FnMut(Frame) -> Result<()>,
) -> Result<std::result::Result<(), GrpcStatus>> {
    let mut response = match send(io, path, request, Some(session_token), context).await? {
        Ok(response) => response,
        Err(status) => return Ok(Err(status)),
    };
    let mut decoder = FramesDecoder::new(layout);
    let mut status = None;
    let mut empty = true;
    while let Some(chunk) = io.next_chunk(&mut response.body, context).await? {
        empty &= chunk.is_empty();
        decoder
            .feed(&chunk, |item| match item {
                FramesItem::Frame(frame) => on_frame(frame),
                FramesItem::Status(s) => {
                    status = Some(s);
                    Ok(())
                }
            })
            .map_err(|e| in_context(e, context))?;
    }
    if empty && response.header("grpc-status").is_some() {
        // Trailers-only OK: no body at all.
        return Ok(Ok(()));
    }
    decoder.finish().map_err(|e| invalid(context, e))?;
    match status {
        Some(s) if s.code != code::OK => Ok(Err(s)),
        _ => Ok(Ok(())),
    }
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
