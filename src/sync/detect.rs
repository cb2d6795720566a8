//! Which sync protocol a primary speaks, when the user sets no `syncProtocol`: `GET /info` answers
//! with a generation → Turso HTTP sync; else `Hello` answers as gRPC → sqld; else Turso Sync
//! (`/pull-updates`). The answer is cached per URL for the life of the isolate. Turso Sync is
//! chosen by elimination, so the first pull confirms it: a server that answers it as no Turso Sync
//! server would is `SYNC_NOT_A_PRIMARY`, naming what each probe got (`unconfirmed`).

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use super::grpc::{call, status_error};
use super::http_sync::{current_generation, HttpSync};
use super::io::Io;
use super::sqld::Sqld;
use super::{Protocol, ProtocolKind};
use crate::error::{Error, Result};
use crate::protocol::grpc_web::code;
use crate::protocol::replication_log::{self as wal_log, HelloRequest};

fn cache() -> &'static Mutex<HashMap<String, ProtocolKind>> {
    static CACHE: OnceLock<Mutex<HashMap<String, ProtocolKind>>> = OnceLock::new();
    CACHE.get_or_init(Default::default)
}

/// A detected protocol; `unconfirmed` when it is Turso Sync by elimination: what the probes for
/// the other two got.
pub struct Detected {
    /// The protocol to use.
    pub kind: ProtocolKind,
    /// Until a pull confirms it, what `GET /info` and sqld's `Hello` answered.
    pub unconfirmed: Option<String>,
    /// A client of `kind` that starts from what the probe already learned (HTTP sync: the current
    /// generation; sqld: the session of its `Hello`), so the first pull does not ask again.
    pub primed: Option<Box<dyn Protocol>>,
}

/// The protocol of `io`'s target, probing only the first time for each URL. Authentication failures
/// are errors, not a reason to try the next protocol.
pub async fn detect(io: &Io<'_>) -> Result<Detected> {
    let url = io.target().url.clone();
    if let Some(kind) = cache().lock().unwrap_or_else(|p| p.into_inner()).get(&url) {
        return Ok(Detected { kind: *kind, unconfirmed: None, primed: None });
    }
    let detected = probe(io).await?;
    cache().lock().unwrap_or_else(|p| p.into_inner()).insert(url, detected.kind);
    Ok(detected)
}

/// The first pull's `error` from a protocol chosen by elimination (`unconfirmed`, see `Detected`):
/// an answer no Turso Sync server gives (a 4xx other than authentication, a body that does not
/// decode) means the server speaks none of the three, and detection starts over next time.
/// Other errors (the network, 5xx, the budget) say nothing about the protocol and pass through.
pub fn unconfirmed_error(io: &Io<'_>, unconfirmed: &str, error: Error) -> Error {
    let foreign = match &error {
        Error::HttpStatus { status, .. } => *status < 500,
        Error::InvalidResponse { .. } | Error::Protocol(_) => true,
        _ => false,
    };
    if !foreign {
        return error;
    }
    cache().lock().unwrap_or_else(|p| p.into_inner()).remove(&io.target().url);
    Error::NotAPrimary { tried: format!("{unconfirmed}; Turso Sync: {error}") }
}

async fn probe(io: &Io<'_>) -> Result<Detected> {
    let found = |kind, primed| Ok(Detected { kind, unconfirmed: None, primed });
    let info = match current_generation(io).await? {
        Some(generation) => {
            return found(ProtocolKind::HttpSync, Some(Box::new(HttpSync::at_generation(generation))));
        }
        None => "Turso HTTP sync: GET /info gave no generation",
    };
    let context = "sqld gRPC Hello";
    let hello = HelloRequest { handshake_version: Some(wal_log::HANDSHAKE_VERSION) };
    let path = format!("{}/Hello", wal_log::SERVICE_PATH);
    let refused = match call(io, &path, &hello, None, context).await {
        // An answer that is no usable session still means sqld: its own Hello says what is wrong.
        Ok(Ok(messages)) => {
            let primed = Sqld::with_hello(&messages).ok().map(|s| Box::new(s) as Box<dyn Protocol>);
            return found(ProtocolKind::Sqld, primed);
        }
        Ok(Err(status)) => match status_error(context, status) {
            e @ Error::Auth { .. } => return Err(e),
            // Any gRPC status at all means a gRPC server, i.e. sqld.
            Error::GrpcStatus { code: c, .. } if c != code::UNIMPLEMENTED => return found(ProtocolKind::Sqld, None),
            e => e,
        },
        Err(e @ Error::Auth { .. }) => return Err(e),
        Err(e) => e,
    };
    Ok(Detected { kind: ProtocolKind::PullUpdates, unconfirmed: Some(format!("{info}; {refused}")), primed: None })
}
