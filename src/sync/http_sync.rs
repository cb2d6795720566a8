//! Turso Cloud HTTP sync: `GET /info` and `GET /export/{generation}` to bootstrap, then
//! `GET /sync/{generation}/{start}/{end}` (SQLite WAL frames, big-endian) to catch up. A 400/500
//! reply carrying `{"generation": G}` ends the generation: with `G` equal to ours the replica is up to
//! date; any other `G` (the server checkpointed into a new generation, or the database was recreated)
//! means bootstrap again from `/export` of the current generation. Bodies are cut into pages as
//! they arrive, under the memory limit; an export whose `Content-Length` (or in-header size) is
//! over the limit is refused before its body is read.

use super::io::{unexpected_status, Io, CONTROL_BODY_CAP};
use super::{in_context, over_budget, PageBatch, Protocol, ProtocolKind, Pull};
use crate::error::{Error, Result};
use crate::protocol::db_header;
use crate::protocol::db_image::ImageDecoder;
use crate::protocol::wal_frame::WalFrameDecoder;
use crate::protocol::{FrameNo, Generation, Position};
use crate::transport::{BoxFuture, Method};

/// Frames asked for per `/sync` request (4 MiB of pages); doubled while a reply holds no commit.
const BATCH_FRAMES: u64 = 1024;
/// The largest window asked for when one transaction is bigger than a batch.
const MAX_BATCH_FRAMES: u64 = 1 << 16;
/// Page size of the protocol (Turso Cloud's, and the official client's assumption).
const PAGE_SIZE: usize = 4096;

/// Client state of the HTTP sync protocol: the position says everything, except right after
/// protocol detection, whose `GET /info` already named the current generation.
#[derive(Debug, Default)]
pub struct HttpSync {
    /// The generation `/info` answered just before the first pull (used by it only).
    known: Option<u32>,
}

impl HttpSync {
    /// A client.
    pub fn new() -> HttpSync {
        HttpSync::default()
    }

    /// A client whose first bootstrap exports `generation`, which `/info` just named.
    pub fn at_generation(generation: u32) -> HttpSync {
        HttpSync { known: Some(generation) }
    }
}

/// `GET /info`: the server's current generation, or `None` if it does not speak this protocol.
pub async fn current_generation(io: &Io<'_>) -> Result<Option<u32>> {
    let context = "http-sync /info";
    let mut response = io.send(Method::Get, "/info", &[], Vec::new(), context).await?;
    if !(200..300).contains(&response.status) {
        return Ok(None);
    }
    let body = io.read_body(&mut response.body, CONTROL_BODY_CAP, context).await?;
    let generation = serde_json::from_slice::<serde_json::Value>(&body)
        .ok()
        .and_then(|v| v.get("current_generation")?.as_u64())
        .and_then(|g| u32::try_from(g).ok())
        .filter(|g| *g > 0);
    Ok(generation)
}

fn invalid(context: &str, message: String) -> Error {
    Error::InvalidResponse { context: context.to_string(), message }
}

async fn bootstrap(io: &Io<'_>, limit: u64, mut known: Option<u32>) -> Result<Pull> {
    let mut asked = 0;
    let (generation, context, mut response) = loop {
        let generation = match known.take() {
            Some(generation) => generation,
            None => current_generation(io)
                .await?
                .ok_or_else(|| invalid("http-sync /info", "no current_generation".into()))?,
        };
        let context = format!("http-sync /export/{generation}");
        let mut response = io.send(Method::Get, &format!("/export/{generation}"), &[], Vec::new(), &context).await?;
        if response.status == 200 {
            break (generation, context, response);
        }
        // The generation may have ended between `/info` and `/export` (a checkpoint): ask again,
        // once; the new one is exported.
        let error = unexpected_status(io, &context, &mut response).await;
        asked += 1;
        if asked == 2 || !matches!(error, Error::HttpStatus { status: 400 | 404 | 410, .. }) {
            return Err(error);
        }
    };
    let mut batch = PageBatch::new(limit);
    let declared = response.content_length();
    if let Some(len) = declared {
        batch.check_announced(len).map_err(|over| over_budget(over.needed, limit))?;
        batch.reserve(len);
    }
    let mut decoder = ImageDecoder::default();
    let mut received = 0u64;
    // The in-header size, when SQLite would trust it, announces the whole image.
    let mut announced: Option<u32> = None;
    while let Some(chunk) = io.next_chunk(&mut response.body, &context).await? {
        received += chunk.len() as u64;
        if let Some(len) = declared.filter(|&len| received > len) {
            return Err(Error::ResponseTooLarge { context, limit: len });
        }
        decoder
            .feed(&chunk, |pgno, page| {
                if pgno == 1 {
                    announced = db_header::trusted_db_size(&page);
                    if let Some(pages) = announced {
                        batch
                            .check_announced(u64::from(pages) * page.len() as u64)
                            .map_err(|o| over_budget(o.needed, limit))?;
                    }
                }
                if announced.is_some_and(|pages| pgno > pages) {
                    // More pages than the image's own header announces: no legitimate export.
                    let limit = u64::from(pgno - 1) * page.len() as u64;
                    return Err(Error::ResponseTooLarge { context: context.clone(), limit });
                }
                batch.add(pgno, page).map_err(|o| over_budget(o.needed, limit))
            })
            .map_err(|e| in_context(e, &context))?;
    }
    decoder.finish().map_err(|e| invalid(&context, e.to_string()))?;
    if let Some(len) = declared.filter(|&len| received != len) {
        return Err(invalid(&context, format!("body is {received} bytes, content-length says {len}")));
    }
    batch.commit(decoder.pages(), u64::from(decoder.pages()));
    let position = Position::Http { generation: Generation(generation), frame_no: FrameNo(0) };
    let (committed, _) = batch.into_committed(true, position).ok_or_else(|| invalid(&context, "no commit".into()))?;
    Ok(Pull::Pages { committed, frames: 0, over_limit: None })
}

/// The generation named by an end-of-generation reply, if the body is one.
fn end_of_generation(body: &[u8]) -> Option<u64> {
    serde_json::from_slice::<serde_json::Value>(body).ok()?.get("generation")?.as_u64()
}

async fn catch_up(io: &Io<'_>, generation: u32, frame_no: u64, limit: u64) -> Result<Pull> {
    let start = frame_no + 1;
    // Never ask for more frames than the limit could hold.
    let fit = (limit / PAGE_SIZE as u64).max(1);
    let mut window = BATCH_FRAMES.min(fit);
    loop {
        let end = start + window;
        let path = format!("/sync/{generation}/{start}/{end}");
        let context = format!("http-sync {path}");
        let mut response = io.send(Method::Get, &path, &[], Vec::new(), &context).await?;
        if matches!(response.status, 400 | 500) {
            let body = io.read_body(&mut response.body, CONTROL_BODY_CAP, &context).await.unwrap_or_default();
            return match end_of_generation(&body) {
                Some(g) if g == generation as u64 => Ok(Pull::UpToDate),
                Some(_) => bootstrap(io, limit, None).await,
                None => Err(Error::HttpStatus {
                    context,
                    status: response.status,
                    message: String::from_utf8_lossy(&body[..body.len().min(300)]).into_owned(),
                }),
            };
        }
        if response.status != 200 {
            return Err(unexpected_status(io, &context, &mut response).await);
        }
        let mut decoder = WalFrameDecoder::new(PAGE_SIZE).map_err(|e| invalid(&context, e.to_string()))?;
        let mut batch = PageBatch::new(limit);
        let mut count = 0u64;
        let mut over_limit = None;
        while let Some(chunk) = io.next_chunk(&mut response.body, &context).await? {
            let fed = decoder.feed(&chunk, |frame| {
                count += 1;
                let (pgno, db_size) = (frame.header.page_no, frame.header.db_size);
                batch.add(pgno, frame.page).map_err(|over| {
                    over_limit = Some(over.needed);
                    over_budget(over.needed, limit)
                })?;
                if db_size != 0 {
                    batch.commit(db_size, count);
                }
                Ok(())
            });
            if over_limit.is_some() {
                break;
            }
            fed.map_err(|e| in_context(e, &context))?;
        }
        if over_limit.is_none() {
            decoder.finish().map_err(|e| invalid(&context, e.to_string()))?;
            if count == 0 {
                return Err(invalid(&context, "no frames".into()));
            }
        }
        // QUIRK: a server may extend a reply to the next commit boundary, as the dev primary does
        // (like sqld's BatchLogEntries): more frames than asked are fine, they are consecutive.
        if !batch.has_commit() {
            if let Some(needed) = over_limit {
                return Err(over_budget(needed, limit));
            }
            if window >= MAX_BATCH_FRAMES {
                return Err(invalid(&context, "no commit frame".into()));
            }
            window *= 2;
            continue;
        }
        let placeholder = Position::Http { generation: Generation(generation), frame_no: FrameNo(frame_no) };
        let (mut committed, frames) =
            batch.into_committed(false, placeholder).ok_or_else(|| invalid(&context, "no commit".into()))?;
        // The position counts the frames up to the last commit, known only now.
        committed.position =
            Position::Http { generation: Generation(generation), frame_no: FrameNo(frame_no + frames) };
        return Ok(Pull::Pages { committed, frames, over_limit });
    }
}

impl Protocol for HttpSync {
    fn kind(&self) -> ProtocolKind {
        ProtocolKind::HttpSync
    }

    fn pull<'a>(
        &'a mut self,
        io: &'a Io<'a>,
        position: Option<&'a Position>,
        limit: u64,
        _keep: super::Keep<'a>,
    ) -> BoxFuture<'a, Result<Pull>> {
        // Only the first pull may trust detection's generation; a later one asks `/info` itself.
        let known = self.known.take();
        Box::pin(async move {
            match position {
                Some(Position::Http { generation, frame_no }) => catch_up(io, generation.0, frame_no.0, limit).await,
                _ => bootstrap(io, limit, known).await,
            }
        })
    }
}
