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
//!
//! Partial replicas: the protocol can serve any page at any revision the server still has
//! (`server_revision` plus `server_pages_selector`; tursodb never checkpoints its WAL), so a
//! partial replica bootstraps with page 1 only, keeps from each pull only the pages it holds
//! (the rest are listed as dropped), and fetches what reads miss with `fetch_pages`, at its own
//! revision: an answer for another revision, or with pages that were not asked for, is refused.

use super::io::{Io, CONTROL_BODY_CAP};
use super::{in_context, over_budget, Keep, PageBatch, Protocol, ProtocolKind, Pull};
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
        keep: Keep<'a>,
    ) -> BoxFuture<'a, Result<Pull>> {
        Box::pin(async move {
            let client_revision = match position {
                Some(Position::Revision(Revision(r))) => r.as_str(),
                // No position, or one of another protocol: start over.
                _ => "",
            };
            pull_from(io, client_revision, limit, keep).await
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

/// Pulls everything after `client_revision` (`""`: the whole database, or page 1 of it for a
/// partial replica).
async fn pull_from(io: &Io<'_>, client_revision: &str, limit: u64, keep: Keep<'_>) -> Result<Pull> {
    let bootstrap = client_revision.is_empty();
    let read = request(io, client_revision, bootstrap, limit, keep).await?;
    if bootstrap || read.pages > 0 {
        return read.into_pull();
    }
    if read.header.server_revision == client_revision {
        return Ok(Pull::UpToDate);
    }
    // QUIRK: tursodb answers a revision it does not have (the database was recreated, or is
    // older than our revision) with 200, its own head revision and no pages, not an error
    // (shared/reference/protocols.md 8.5, 8.7). Our pages belong to another history: bootstrap.
    request(io, "", true, limit, keep).await?.into_pull()
}

/// Sends one request and decodes its body as it arrives.
async fn request<'k>(
    io: &Io<'_>,
    client_revision: &str,
    bootstrap: bool,
    limit: u64,
    keep: Keep<'k>,
) -> Result<PullReader<'k>> {
    let mode = match (bootstrap, keep) {
        (true, Some(_)) => Mode::PartialBootstrap,
        (true, None) => Mode::Bootstrap,
        (false, keep) => Mode::Pull(keep),
    };
    let context = match mode {
        Mode::Bootstrap => "pull-updates bootstrap".to_string(),
        Mode::PartialBootstrap => "pull-updates bootstrap (page 1)".to_string(),
        _ => format!("pull-updates from revision {client_revision:?}"),
    };
    let mut request = PullUpdatesReqProtoBody::raw_from(client_revision);
    if mode == Mode::PartialBootstrap {
        request.server_pages_selector = pages_selector(&[0]);
    }
    send(io, &request, PullReader::new(context, mode, limit)).await
}

/// Sends `request` and decodes the answer into `reader` as it arrives.
async fn send<'k>(
    io: &Io<'_>,
    request: &PullUpdatesReqProtoBody,
    mut reader: PullReader<'k>,
) -> Result<PullReader<'k>> {
    let headers = [("content-type", CONTENT_TYPE), ("accept-encoding", CONTENT_TYPE)];
    let mut response = io.send(Method::Post, PATH, &headers, encode_request(request), &reader.context).await?;
    if response.status != 200 {
        return Err(super::io::unexpected_status(io, &reader.context, &mut response).await);
    }
    reader.declared = response.content_length();
    while let Some(chunk) = io.next_chunk(&mut response.body, &reader.context).await? {
        reader.feed(&chunk)?;
    }
    reader.end()?;
    Ok(reader)
}

/// Fetches pages `pgnos` (1-based) as they are at `revision`, for a partial replica standing
/// there. Fails with `REPLICA_PAGE_SOURCE` when the server answers for another revision or sends
/// a page that was not asked for; pages it does not send are absent from the result.
pub async fn fetch_pages(io: &Io<'_>, revision: &Revision, pgnos: &[u32]) -> Result<Vec<(u32, Vec<u8>)>> {
    let ids: Vec<u32> = pgnos.iter().filter(|&&p| p > 0).map(|p| p - 1).collect();
    let request = PullUpdatesReqProtoBody {
        server_revision: revision.0.clone(),
        server_pages_selector: pages_selector(&ids),
        ..PullUpdatesReqProtoBody::raw_from("")
    };
    let context = format!("pull-updates pages at revision {:?}", revision.0);
    let limit = ids.len() as u64 * PAGE_SIZE as u64;
    let reader = send(io, &request, PullReader::new(context, Mode::Fetch, limit)).await?;
    if reader.header.server_revision != revision.0 {
        return Err(Error::PageSource {
            message: format!(
                "asked for pages at revision {:?}, the server answered for {:?}",
                revision.0, reader.header.server_revision
            ),
        });
    }
    let Some((committed, _)) = ({
        let mut batch = reader.batch;
        batch.commit(u32::MAX, reader.pages);
        batch.into_committed(false, Position::Revision(revision.clone()))
    }) else {
        return Ok(Vec::new());
    };
    let wanted: std::collections::BTreeSet<u32> = pgnos.iter().copied().collect();
    let mut pages = Vec::with_capacity(committed.pages.len());
    for page in committed.pages {
        if !wanted.contains(&page.pgno) {
            return Err(Error::PageSource {
                message: format!("the server sent page {}, which was not asked for", page.pgno),
            });
        }
        pages.push((page.pgno, page.data));
    }
    Ok(pages)
}

/// What a response is read for.
#[derive(Clone, Copy)]
enum Mode<'k> {
    /// A whole database, which must fit in the limit.
    Bootstrap,
    /// Page 1 of a database, for a partial replica.
    PartialBootstrap,
    /// The changes after a revision, keeping what `keep` says (all without it).
    Pull(Keep<'k>),
    /// Pages asked for by number at a revision (the header's `db_size` is the head's, not ours).
    Fetch,
}

impl PartialEq for Mode<'_> {
    fn eq(&self, other: &Self) -> bool {
        std::mem::discriminant(self) == std::mem::discriminant(other)
    }
}

/// One `/pull-updates` body being decoded: the header's checks, then each page into a
/// `PageBatch`, which refuses what the memory limit cannot hold (or, for a partial replica, drops
/// it).
struct PullReader<'k> {
    context: String,
    mode: Mode<'k>,
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

impl<'k> PullReader<'k> {
    fn new(context: String, mode: Mode<'k>, limit: u64) -> PullReader<'k> {
        let bootstrap = matches!(mode, Mode::Bootstrap | Mode::PartialBootstrap);
        let batch = match mode {
            Mode::Pull(Some(_)) => PageBatch::dropping(limit),
            _ => PageBatch::new(limit),
        };
        PullReader {
            context,
            mode,
            bootstrap,
            limit,
            declared: None,
            received: 0,
            decoder: ResponseDecoder::default(),
            header: PullUpdatesRespProtoBody::default(),
            replace: bootstrap,
            db_size_pages: 0,
            pages: 0,
            batch,
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
        if self.replace && self.mode == Mode::Bootstrap {
            let announced = u64::from(self.db_size_pages) * PAGE_SIZE as u64;
            self.batch.check_announced(announced).map_err(|o| over_budget(o.needed, self.limit))?;
        }
        self.header = header;
        Ok(())
    }

    fn page(&mut self, page: PageData) -> Result<()> {
        self.pages += 1;
        let counted =
            if self.mode == Mode::Fetch { self.limit / PAGE_SIZE as u64 } else { u64::from(self.db_size_pages) };
        if counted == 0 || self.pages > counted {
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
        let kept = match self.mode {
            Mode::Pull(Some(keep)) => keep(pgno),
            // A server that ignores the selector sends more than page 1: a partial replica starts
            // with page 1 only.
            Mode::PartialBootstrap => pgno == 1,
            _ => true,
        };
        if !kept {
            self.batch.drop_page(pgno);
            return Ok(());
        }
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
