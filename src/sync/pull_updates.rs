//! Turso Sync `POST /pull-updates` (Turso Cloud, `tursodb --sync-server`): one request brings the
//! replica from its revision to the server's latest, as the newest version of every page written
//! in between (raw 4096-byte pages, zero-based ids). An empty client revision is a bootstrap.
//!
//! Invariants: a response is turned into one `CommittedPages` or nothing (a bad body applies no
//! page); the position is the response's `server_revision`; a bootstrap always replaces the
//! replica's content. A reply with no pages and another revision than ours means the server's
//! history started over (shared/reference/protocols.md 8.7): the replica bootstraps again.

use super::io::{unexpected_status, Io};
use super::{Protocol, ProtocolKind, Pull};
use crate::error::{Error, Result};
use crate::protocol::pull_updates::{
    decode_response, decode_response_owned, encode_request, pages_selector, PullUpdatesApplyMode,
    PullUpdatesReqProtoBody, PullUpdatesResponse, PullUpdatesStreamKind, CONTENT_TYPE, PAGE_SIZE, PATH,
};
use crate::protocol::{Position, Revision};
use crate::replica::{CommittedPages, Page};
use crate::transport::{BoxFuture, Method};

/// Client state of the pull-updates protocol (none: the position says everything).
#[derive(Debug, Default)]
pub struct PullUpdates;

impl PullUpdates {
    /// A client.
    pub fn new() -> PullUpdates {
        PullUpdates
    }
}

impl Protocol for PullUpdates {
    fn kind(&self) -> ProtocolKind {
        ProtocolKind::PullUpdates
    }

    fn pull<'a>(&'a mut self, io: &'a Io<'a>, position: Option<&'a Position>) -> BoxFuture<'a, Result<Pull>> {
        Box::pin(async move {
            let client_revision = match position {
                Some(Position::Revision(Revision(r))) => r.as_str(),
                // No position, or one of another protocol: start over.
                _ => "",
            };
            pull_from(io, client_revision).await
        })
    }
}

/// A client revision beyond any real one (i64::MAX, so it parses as any integer type): tursodb
/// answers it with its head revision and no pages.
const PROBE_CLIENT_REVISION: &str = "9223372036854775807";

/// Whether the target serves `/pull-updates`, for protocol detection: one request answered by at
/// most one page. Asks for the pages after [`PROBE_CLIENT_REVISION`], filtered to page_id 0, so a
/// server ignoring either limit still sends little (tursodb 0.7.0 honours both: a 9-byte header).
/// `Some(server_revision)` if it answered 200 with a valid response; `None` for any other status
/// (tursodb and sqld answer 404 on each other's paths) or body. Auth and network failures are errors.
pub async fn probe(io: &Io<'_>) -> Result<Option<Revision>> {
    let context = "detect pull-updates";
    let request = PullUpdatesReqProtoBody {
        server_pages_selector: pages_selector(&[0]),
        ..PullUpdatesReqProtoBody::raw_from(PROBE_CLIENT_REVISION)
    };
    let headers = [("content-type", CONTENT_TYPE), ("accept-encoding", CONTENT_TYPE)];
    let response = io.send(Method::Post, PATH, &headers, encode_request(&request), context).await?;
    if response.status != 200 {
        return Ok(None);
    }
    Ok(decode_response(&response.body)
        .ok()
        .filter(|r| !r.header.server_revision.is_empty())
        .map(|r| Revision(r.header.server_revision)))
}

/// Pulls everything after `client_revision` (`""`: the whole database).
async fn pull_from(io: &Io<'_>, client_revision: &str) -> Result<Pull> {
    let (context, response) = request(io, client_revision).await?;
    if client_revision.is_empty() {
        return into_pull(&context, response, true);
    }
    if response.pages.is_empty() {
        if response.header.server_revision == client_revision {
            return Ok(Pull::UpToDate);
        }
        // QUIRK: tursodb answers a revision it does not have (the database was recreated, or is
        // older than our revision) with 200, its own head revision and no pages, not an error
        // (shared/reference/protocols.md 8.5, 8.7). Our pages belong to another history: bootstrap.
        let (context, response) = request(io, "").await?;
        return into_pull(&context, response, true);
    }
    into_pull(&context, response, false)
}

/// Sends one request and decodes the body. Returns the context used in errors too.
async fn request(io: &Io<'_>, client_revision: &str) -> Result<(String, PullUpdatesResponse)> {
    let context = if client_revision.is_empty() {
        "pull-updates bootstrap".to_string()
    } else {
        format!("pull-updates from revision {client_revision:?}")
    };
    let body = encode_request(&PullUpdatesReqProtoBody::raw_from(client_revision));
    let headers = [("content-type", CONTENT_TYPE), ("accept-encoding", CONTENT_TYPE)];
    let mut response = io.send(Method::Post, PATH, &headers, body, &context).await?;
    if response.status != 200 {
        return Err(unexpected_status(&context, &response));
    }
    check_content_length(
        &context,
        response.header("content-length"),
        response.header("content-encoding"),
        &response.body,
    )?;
    // Decoding gives the body back as it goes: a bootstrap never holds the body and its pages in full.
    let body = std::mem::take(&mut response.body);
    let decoded = decode_response_owned(body).map_err(|e| invalid(&context, e.to_string()))?;
    Ok((context, decoded))
}

/// A body shorter than its `Content-Length` was cut (a cut between two messages would otherwise
/// decode as a valid, shorter body). Skipped when the body was decompressed on the way.
fn check_content_length(context: &str, declared: Option<&str>, encoding: Option<&str>, body: &[u8]) -> Result<()> {
    if encoding.is_some_and(|e| !e.trim().eq_ignore_ascii_case("identity")) {
        return Ok(());
    }
    match declared.and_then(|v| v.trim().parse::<u64>().ok()) {
        Some(len) if len != body.len() as u64 => {
            Err(invalid(context, format!("body is {} bytes, content-length says {len}", body.len())))
        }
        _ => Ok(()),
    }
}

/// Turns a decoded response into the pages to apply. `bootstrap`: the request had no client
/// revision, so the pages are a whole database.
fn into_pull(context: &str, response: PullUpdatesResponse, bootstrap: bool) -> Result<Pull> {
    let PullUpdatesResponse { header, pages } = response;
    if header.zstd_encoding.is_some() {
        return Err(invalid(context, "zstd page encoding is not supported (raw was asked for)".into()));
    }
    if header.stream_kind != PullUpdatesStreamKind::Pages as i32 {
        return Err(invalid(context, format!("stream kind {} is not pages", header.stream_kind)));
    }
    let replace = match header.apply_mode {
        m if m == PullUpdatesApplyMode::Incremental as i32 => bootstrap,
        m if m == PullUpdatesApplyMode::ReplaceBase as i32 => true,
        m => return Err(invalid(context, format!("unknown apply mode {m}"))),
    };
    if header.server_revision.is_empty() {
        // An empty revision as a position would make every later pull a bootstrap.
        return Err(invalid(context, "empty server_revision".into()));
    }
    let db_size_pages =
        u32::try_from(header.db_size).map_err(|_| invalid(context, format!("db_size {} pages", header.db_size)))?;
    if db_size_pages == 0 && !pages.is_empty() {
        return Err(invalid(context, format!("db_size 0 with {} pages", pages.len())));
    }
    let frames = pages.len() as u64;
    let pages = pages
        .into_iter()
        .map(|p| {
            if p.encoded_page.len() != PAGE_SIZE {
                return Err(invalid(
                    context,
                    format!("page_id {} is {} bytes, pages are {PAGE_SIZE}", p.page_id, p.encoded_page.len()),
                ));
            }
            // page_id is zero-based; SQLite page numbers are 1-based u32.
            let pgno = u32::try_from(p.page_id)
                .ok()
                .and_then(|id| id.checked_add(1))
                .ok_or_else(|| invalid(context, format!("page_id {} out of range", p.page_id)))?;
            Ok(Page { pgno, data: p.encoded_page })
        })
        .collect::<Result<Vec<Page>>>()?;
    let position = Position::Revision(Revision(header.server_revision));
    Ok(Pull::Pages { committed: CommittedPages { replace, position, db_size_pages, pages }, frames })
}

fn invalid(context: &str, message: String) -> Error {
    Error::InvalidResponse { context: context.to_string(), message }
}

#[cfg(test)]
mod tests;
