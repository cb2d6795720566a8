//! Turso Cloud HTTP sync: `GET /info` and `GET /export/{generation}` to bootstrap, then
//! `GET /sync/{generation}/{start}/{end}` (SQLite WAL frames, big-endian) to catch up. A 400/500
//! reply carrying `{"generation": G}` ends the generation: with `G` equal to ours the replica is up to
//! date; any other `G` (the server checkpointed into a new generation, or the database was recreated)
//! means bootstrap again from `/export` of the current generation.

use super::io::{unexpected_status, Io};
use super::{Protocol, ProtocolKind, Pull};
use crate::error::{Error, Result};
use crate::protocol::wal_frame::{WalFrame, WAL_FRAME_HEADER_LEN};
use crate::protocol::{FrameNo, Generation, Position};
use crate::replica::{CommittedPages, Page};
use crate::transport::{BoxFuture, Method};

/// Frames asked for per `/sync` request (4 MiB of pages); doubled while a reply holds no commit.
const BATCH_FRAMES: u64 = 1024;
/// The largest window asked for when one transaction is bigger than a batch.
const MAX_BATCH_FRAMES: u64 = 1 << 16;
/// Page size of the protocol (Turso Cloud's, and the official client's assumption).
const PAGE_SIZE: usize = 4096;

/// Client state of the HTTP sync protocol (none: the position says everything).
#[derive(Debug, Default)]
pub struct HttpSync;

impl HttpSync {
    /// A client.
    pub fn new() -> HttpSync {
        HttpSync
    }
}

/// `GET /info`: the server's current generation, or `None` if it does not speak this protocol.
pub async fn current_generation(io: &Io<'_>) -> Result<Option<u32>> {
    let context = "http-sync /info";
    let response = io.send(Method::Get, "/info", &[], Vec::new(), context).await?;
    if !(200..300).contains(&response.status) {
        return Ok(None);
    }
    let generation = serde_json::from_slice::<serde_json::Value>(&response.body)
        .ok()
        .and_then(|v| v.get("current_generation")?.as_u64())
        .and_then(|g| u32::try_from(g).ok())
        .filter(|g| *g > 0);
    Ok(generation)
}

async fn bootstrap(io: &Io<'_>) -> Result<Pull> {
    let generation = current_generation(io).await?.ok_or_else(|| Error::InvalidResponse {
        context: "http-sync /info".into(),
        message: "no current_generation".into(),
    })?;
    let context = format!("http-sync /export/{generation}");
    let response = io.send(Method::Get, &format!("/export/{generation}"), &[], Vec::new(), &context).await?;
    if response.status != 200 {
        return Err(unexpected_status(&context, &response));
    }
    let position = Position::Http { generation: Generation(generation), frame_no: FrameNo(0) };
    Ok(Pull::Image { image: response.body, position })
}

/// The generation named by an end-of-generation reply, if the body is one.
fn end_of_generation(body: &[u8]) -> Option<u64> {
    serde_json::from_slice::<serde_json::Value>(body).ok()?.get("generation")?.as_u64()
}

async fn catch_up(io: &Io<'_>, generation: u32, frame_no: u64) -> Result<Pull> {
    let start = frame_no + 1;
    let mut window = BATCH_FRAMES;
    loop {
        let end = start + window;
        let path = format!("/sync/{generation}/{start}/{end}");
        let context = format!("http-sync {path}");
        let response = io.send(Method::Get, &path, &[], Vec::new(), &context).await?;
        if matches!(response.status, 400 | 500) {
            return match end_of_generation(&response.body) {
                Some(g) if g == generation as u64 => Ok(Pull::UpToDate),
                Some(_) => bootstrap(io).await,
                None => Err(unexpected_status(&context, &response)),
            };
        }
        if response.status != 200 {
            return Err(unexpected_status(&context, &response));
        }
        let frames = WalFrame::decode_many(&response.body, PAGE_SIZE).map_err(|e| Error::InvalidResponse {
            context: context.clone(),
            message: format!("{e} (frames are {} bytes)", WAL_FRAME_HEADER_LEN + PAGE_SIZE),
        })?;
        // QUIRK: a server may extend a reply to the next commit boundary, as the dev primary does
        // (like sqld's BatchLogEntries): more frames than asked are fine, they are consecutive.
        let Some(last_commit) = frames.iter().rposition(|f| f.header.is_commit()) else {
            if window >= MAX_BATCH_FRAMES {
                return Err(Error::InvalidResponse { context, message: "no commit frame".into() });
            }
            window *= 2;
            continue;
        };
        let db_size_pages = frames[last_commit].header.db_size;
        let count = last_commit as u64 + 1;
        let pages =
            frames.into_iter().take(last_commit + 1).map(|f| Page { pgno: f.header.page_no, data: f.page }).collect();
        let committed = CommittedPages {
            replace: false,
            position: Position::Http { generation: Generation(generation), frame_no: FrameNo(frame_no + count) },
            db_size_pages,
            pages,
        };
        return Ok(Pull::Pages { committed, frames: count });
    }
}

impl Protocol for HttpSync {
    fn kind(&self) -> ProtocolKind {
        ProtocolKind::HttpSync
    }

    fn pull<'a>(&'a mut self, io: &'a Io<'a>, position: Option<&'a Position>) -> BoxFuture<'a, Result<Pull>> {
        Box::pin(async move {
            match position {
                Some(Position::Http { generation, frame_no }) => catch_up(io, generation.0, frame_no.0).await,
                _ => bootstrap(io).await,
            }
        })
    }
}
