//! Turso Sync `POST /pull-updates` (Turso Cloud, `tursodb --sync-server`): one request brings the
//! replica from its revision to the server's latest, as the newest version of every page written
//! in between (raw 4096-byte pages, zero-based ids). An empty client revision is a bootstrap.
//!
//! Invariants: a response is turned into one `CommittedPages` or nothing (a bad body applies no
//! page); the position is the response's `server_revision`; a bootstrap always replaces the
//! replica's content. A reply with no pages and another revision than ours means the server's
//! history started over (shared/reference/protocols.md 8.7): the replica bootstraps again. The
//! body is decoded as it arrives: the header's `db_size` announces a bootstrap's size, which is
//! refused before any page is read when it is over the memory limit.

use super::io::{Io, CONTROL_BODY_CAP};
use super::{in_context, over_budget, PageBatch, Protocol, ProtocolKind, Pull};
use crate::error::{Error, Result};
use crate::protocol::pull_updates::{
    decode_response, encode_request, pages_selector, PageData, PullUpdatesApplyMode, PullUpdatesReqProtoBody,
    PullUpdatesRespProtoBody, PullUpdatesStreamKind, ResponseDecoder, ResponseItem, CONTENT_TYPE, PAGE_SIZE, PATH,
};
use crate::protocol::{Position, Revision};
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

    fn pull<'a>(
        &'a mut self,
        io: &'a Io<'a>,
        position: Option<&'a Position>,
        limit: u64,
    ) -> BoxFuture<'a, Result<Pull>> {
        Box::pin(async move {
            let client_revision = match position {
                Some(Position::Revision(Revision(r))) => r.as_str(),
                // No position, or one of another protocol: start over.
                _ => "",
            };
            pull_from(io, client_revision, limit).await
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
    let mut response = io.send(Method::Post, PATH, &headers, encode_request(&request), context).await?;
    if response.status != 200 {
        return Ok(None);
    }
    let body = match io.read_body(&mut response.body, CONTROL_BODY_CAP, context).await {
        Ok(body) => body,
        Err(Error::ResponseTooLarge { .. }) => return Ok(None),
        Err(e) => return Err(e),
    };
    Ok(decode_response(&body)
        .ok()
        .filter(|r| !r.header.server_revision.is_empty())
        .map(|r| Revision(r.header.server_revision)))
}

/// Pulls everything after `client_revision` (`""`: the whole database).
async fn pull_from(io: &Io<'_>, client_revision: &str, limit: u64) -> Result<Pull> {
    let bootstrap = client_revision.is_empty();
    let read = request(io, client_revision, bootstrap, limit).await?;
    if bootstrap || read.pages > 0 {
        return read.into_pull();
    }
    if read.header.server_revision == client_revision {
        return Ok(Pull::UpToDate);
    }
    // QUIRK: tursodb answers a revision it does not have (the database was recreated, or is
    // older than our revision) with 200, its own head revision and no pages, not an error
    // (shared/reference/protocols.md 8.5, 8.7). Our pages belong to another history: bootstrap.
    request(io, "", true, limit).await?.into_pull()
}

/// Sends one request and decodes its body as it arrives.
async fn request(io: &Io<'_>, client_revision: &str, bootstrap: bool, limit: u64) -> Result<PullReader> {
    let context = if bootstrap {
        "pull-updates bootstrap".to_string()
    } else {
        format!("pull-updates from revision {client_revision:?}")
    };
    let body = encode_request(&PullUpdatesReqProtoBody::raw_from(client_revision));
    let headers = [("content-type", CONTENT_TYPE), ("accept-encoding", CONTENT_TYPE)];
    let mut response = io.send(Method::Post, PATH, &headers, body, &context).await?;
    if response.status != 200 {
        return Err(super::io::unexpected_status(io, &context, &mut response).await);
    }
    let mut reader = PullReader::new(context, bootstrap, limit, response.content_length());
    while let Some(chunk) = io.next_chunk(&mut response.body, &reader.context).await? {
        reader.feed(&chunk)?;
    }
    reader.end()?;
    Ok(reader)
}

/// One `/pull-updates` body being decoded: the header's checks, then each page into a
/// `PageBatch`, which refuses what the memory limit cannot hold.
struct PullReader {
    context: String,
    bootstrap: bool,
    limit: u64,
    declared: Option<u64>,
    received: u64,
    decoder: ResponseDecoder,
    header: PullUpdatesRespProtoBody,
    replace: bool,
    db_size_pages: u32,
    pages: u64,
    batch: PageBatch,
}

impl PullReader {
    fn new(context: String, bootstrap: bool, limit: u64, declared: Option<u64>) -> PullReader {
        PullReader {
            context,
            bootstrap,
            limit,
            declared,
            received: 0,
            decoder: ResponseDecoder::default(),
            header: PullUpdatesRespProtoBody::default(),
            replace: bootstrap,
            db_size_pages: 0,
            pages: 0,
            batch: PageBatch::new(limit),
        }
    }

    fn feed(&mut self, chunk: &[u8]) -> Result<()> {
        self.received += chunk.len() as u64;
        if let Some(len) = self.declared.filter(|&len| self.received > len) {
            return Err(Error::ResponseTooLarge { context: self.context.clone(), limit: len });
        }
        let mut decoder = std::mem::take(&mut self.decoder);
        let result = decoder.feed(chunk, |item| match item {
            ResponseItem::Header(header) => self.header(header),
            ResponseItem::Page(page) => self.page(page),
        });
        self.decoder = decoder;
        result.map_err(|e| in_context(e, &self.context))
    }

    /// Checks the header; refuses at once a bootstrap larger than the limit.
    fn header(&mut self, header: PullUpdatesRespProtoBody) -> Result<()> {
        if header.zstd_encoding.is_some() {
            return Err(self.invalid("zstd page encoding is not supported (raw was asked for)".into()));
        }
        if header.stream_kind != PullUpdatesStreamKind::Pages as i32 {
            return Err(self.invalid(format!("stream kind {} is not pages", header.stream_kind)));
        }
        self.replace = match header.apply_mode {
            m if m == PullUpdatesApplyMode::Incremental as i32 => self.bootstrap,
            m if m == PullUpdatesApplyMode::ReplaceBase as i32 => true,
            m => return Err(self.invalid(format!("unknown apply mode {m}"))),
        };
        if header.server_revision.is_empty() {
            // An empty revision as a position would make every later pull a bootstrap.
            return Err(self.invalid("empty server_revision".into()));
        }
        self.db_size_pages =
            u32::try_from(header.db_size).map_err(|_| self.invalid(format!("db_size {} pages", header.db_size)))?;
        if self.replace {
            let announced = u64::from(self.db_size_pages) * PAGE_SIZE as u64;
            self.batch.check_announced(announced).map_err(|o| over_budget(o.needed, self.limit))?;
        }
        self.header = header;
        Ok(())
    }

    fn page(&mut self, page: PageData) -> Result<()> {
        self.pages += 1;
        if self.db_size_pages == 0 || self.pages > u64::from(self.db_size_pages) {
            return Err(self.invalid(format!("more pages than db_size {}", self.db_size_pages)));
        }
        if page.encoded_page.len() != PAGE_SIZE {
            return Err(self.invalid(format!(
                "page_id {} is {} bytes, pages are {PAGE_SIZE}",
                page.page_id,
                page.encoded_page.len()
            )));
        }
        // page_id is zero-based; SQLite page numbers are 1-based u32.
        let pgno = u32::try_from(page.page_id)
            .ok()
            .and_then(|id| id.checked_add(1))
            .ok_or_else(|| self.invalid(format!("page_id {} out of range", page.page_id)))?;
        self.batch.add(pgno, page.encoded_page).map_err(|o| over_budget(o.needed, self.limit))
    }

    /// The body ended: it must have ended between messages, after a header, at its declared length.
    fn end(&mut self) -> Result<()> {
        self.decoder.finish().map_err(|e| self.invalid(e.to_string()))?;
        if let Some(len) = self.declared.filter(|&len| len != self.received) {
            return Err(self.invalid(format!("body is {} bytes, content-length says {len}", self.received)));
        }
        Ok(())
    }

    fn into_pull(mut self) -> Result<Pull> {
        self.batch.commit(self.db_size_pages, self.pages);
        let position = Position::Revision(Revision(self.header.server_revision.clone()));
        let (committed, frames) = self
            .batch
            .into_committed(self.replace, position)
            .ok_or_else(|| Error::InvalidResponse { context: self.context.clone(), message: "no commit".into() })?;
        Ok(Pull::Pages { committed, frames, over_limit: None })
    }

    fn invalid(&self, message: String) -> Error {
        Error::InvalidResponse { context: self.context.clone(), message }
    }
}

#[cfg(test)]
mod tests;
