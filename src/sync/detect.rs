//! Which sync protocol a primary speaks, when the user sets no `syncProtocol`: `GET /info` answers
//! with a generation → Turso HTTP sync; else `Hello` answers as gRPC → sqld; else Turso Sync
//! (`/pull-updates`). The answer is cached per URL for the life of the isolate.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use super::grpc::{call, status_error};
use super::http_sync::current_generation;
use super::io::Io;
use super::ProtocolKind;
use crate::error::{Error, Result};
use crate::protocol::grpc_web::code;
use crate::protocol::replication_log::{self as wal_log, HelloRequest};

fn cache() -> &'static Mutex<HashMap<String, ProtocolKind>> {
    static CACHE: OnceLock<Mutex<HashMap<String, ProtocolKind>>> = OnceLock::new();
    CACHE.get_or_init(Default::default)
}

/// The protocol of `io`'s target, probing only the first time for each URL. Authentication failures
/// are errors, not a reason to try the next protocol.
pub async fn detect(io: &Io<'_>) -> Result<ProtocolKind> {
    let url = io.target().url.clone();
    if let Some(kind) = cache().lock().unwrap_or_else(|p| p.into_inner()).get(&url) {
        return Ok(*kind);
    }
    let kind = probe(io).await?;
    cache().lock().unwrap_or_else(|p| p.into_inner()).insert(url, kind);
    Ok(kind)
}

async fn probe(io: &Io<'_>) -> Result<ProtocolKind> {
    if current_generation(io).await?.is_some() {
        return Ok(ProtocolKind::HttpSync);
    }
    let context = "detect sqld Hello";
    let hello = HelloRequest { handshake_version: Some(wal_log::HANDSHAKE_VERSION) };
    let path = format!("{}/Hello", wal_log::SERVICE_PATH);
    match call(io, &path, &hello, None, context).await {
        Ok(Ok(_)) => Ok(ProtocolKind::Sqld),
        Ok(Err(status)) => match status_error(context, status) {
            e @ Error::Auth { .. } => Err(e),
            // Any gRPC status at all means a gRPC server, i.e. sqld.
            Error::GrpcStatus { code: c, .. } if c != code::UNIMPLEMENTED => Ok(ProtocolKind::Sqld),
            _ => Ok(ProtocolKind::PullUpdates),
        },
        Err(e @ Error::Auth { .. }) => Err(e),
        Err(_) => Ok(ProtocolKind::PullUpdates),
    }
}
