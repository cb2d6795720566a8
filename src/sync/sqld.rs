//! sqld's replication protocol: gRPC-Web `wal_log.ReplicationLog` (`Hello`, `BatchLogEntries`,
//! `Snapshot`). Keeps the session token; verifies every frame's rolling CRC-64 as it arrives;
//! hands the replica whole transactions only (frames after the last commit frame of a batch are
//! dropped and fetched again); starts over from frame 0 when the primary's `log_id` is not the
//! replica's. Frames are decoded from the body as it arrives into a `PageBatch`, which stops the
//! read when the memory limit is reached.

use super::grpc::{call, call_frames, status_error};
use super::io::Io;
use super::{over_budget, PageBatch, Protocol, ProtocolKind, Pull};
use crate::error::{Error, Result};
use crate::protocol::frame::Frame;
use crate::protocol::replication_log::LogOffset;
use crate::protocol::replication_log::{self as wal_log, decode_message, FramesLayout, HelloRequest, HelloResponse};
use crate::protocol::{FrameNo, LogId, Position};
use crate::transport::BoxFuture;

/// How many times one pull re-handshakes after `NO_HELLO` before giving up.
const HELLO_ATTEMPTS: u32 = 3;

#[derive(Debug, Clone)]
struct Session {
    token: String,
    log_id: LogId,
}

/// Client state of the sqld protocol.
#[derive(Debug, Default)]
pub struct Sqld {
    session: Option<Session>,
    /// The last commit frame handed out and its checksum, to link the next batch's chain.
    chain: Option<(u64, u64)>,
}

/// Checks frames of one `BatchLogEntries` reply as they arrive: consecutive numbers from `next`,
/// a linked CRC-64 chain, pages grouped by commit.
struct BatchReader<'a> {
    context: &'a str,
    next: u64,
    prev: Option<u64>,
    count: u64,
    batch: PageBatch,
    /// The last commit frame read: number and checksum.
    commit: Option<(u64, u64)>,
    over_limit: Option<u64>,
}

impl BatchReader<'_> {
    fn frame(&mut self, frame: Frame) -> Result<()> {
        let expected = self.next + self.count;
        if frame.header.frame_no != expected {
            return Err(Error::InvalidResponse {
                context: self.context.to_string(),
                message: format!("frame {} where {expected} was due", frame.header.frame_no),
            });
        }
        // A log that was compacted starts a new chain seeded with 0 (observed on sqld 0.24.33).
        let first = self.count == 0;
        let linked = match self.prev {
            Some(p) => frame.verify_checksum(p) || (first && frame.verify_checksum(0)),
            None => first,
        };
        if !linked {
            return Err(Error::ChecksumMismatch { context: self.context.to_string(), frame_no: expected });
        }
        self.prev = Some(frame.header.checksum);
        self.count += 1;
        let header = frame.header;
        if let Err(over) = self.batch.add(header.page_no, frame.page) {
            self.over_limit = Some(over.needed);
            return Err(over_budget(over.needed, self.batch.limit()));
        }
        if header.is_commit() {
            self.batch.commit(header.size_after, self.count);
            self.commit = Some((header.frame_no, header.checksum));
        }
        Ok(())
    }
}

const HELLO: &str = "sqld Hello";

/// The session a `Hello` answer opens.
fn session_of(messages: &[Vec<u8>]) -> Result<Session> {
    let invalid = |message: String| Error::InvalidResponse { context: HELLO.into(), message };
    let bytes = messages.first().ok_or_else(|| invalid("no HelloResponse".into()))?;
    let hello: HelloResponse = decode_message("HelloResponse", bytes)?;
    let log_id = hello.log_id.parse().map_err(|_| invalid(format!("log_id {:?} is not a UUID", hello.log_id)))?;
    let token = String::from_utf8(hello.session_token).map_err(|_| invalid("session token is not text".into()))?;
    Ok(Session { token, log_id })
}

impl Sqld {
    /// A client with no session yet.
    pub fn new() -> Sqld {
        Sqld::default()
    }

    /// A client with the session of a `Hello` answer already received (protocol detection's).
    pub fn with_hello(messages: &[Vec<u8>]) -> Result<Sqld> {
        Ok(Sqld { session: Some(session_of(messages)?), chain: None })
    }

    async fn hello(&mut self, io: &Io<'_>) -> Result<Session> {
        let request = HelloRequest { handshake_version: Some(wal_log::HANDSHAKE_VERSION) };
        let path = format!("{}/Hello", wal_log::SERVICE_PATH);
        let messages = call(io, &path, &request, None, HELLO).await?.map_err(|s| status_error(HELLO, s))?;
        let session = session_of(&messages)?;
        self.session = Some(session.clone());
        Ok(session)
    }

    async fn pull_frames(&mut self, io: &Io<'_>, position: Option<&Position>, limit: u64) -> Result<Pull> {
        for _ in 0..HELLO_ATTEMPTS {
            let session = match &self.session {
                Some(s) => s.clone(),
                None => self.hello(io).await?,
            };
            let (next, replace) = match position {
                Some(Position::Sqld { log_id, frame_no }) if *log_id == session.log_id => (frame_no.0 + 1, false),
                _ => (0, true),
            };
            let context = format!("sqld BatchLogEntries({next})");
            let path = format!("{}/BatchLogEntries", wal_log::SERVICE_PATH);
            let offset = LogOffset { next_offset: next, wal_flavor: None };
            let prev = match (next, self.chain) {
                (0, _) => Some(0),
                (n, Some((frame_no, checksum))) if frame_no + 1 == n => Some(checksum),
                _ => None,
            };
            let mut reader = BatchReader {
                context: &context,
                next,
                prev,
                count: 0,
                batch: PageBatch::new(limit),
                commit: None,
                over_limit: None,
            };
            let outcome =
                call_frames(io, &path, &offset, &session.token, FramesLayout::Batch, &context, |f| reader.frame(f))
                    .await;
            let status = match outcome {
                Ok(status) => status,
                // Stopped by the memory limit: whatever whole transactions came first still count.
                Err(e) if reader.over_limit.is_some() && !reader.batch.has_commit() => return Err(e),
                Err(_) if reader.over_limit.is_some() => Ok(()),
                Err(e) => return Err(e),
            };
            match status {
                Ok(()) => return self.finish_batch(reader, &session, replace),
                Err(status) if status.message.contains(wal_log::NO_HELLO) => self.session = None,
                Err(status) if status.message.contains(wal_log::NEED_SNAPSHOT) => {
                    // `None`: the primary restarted between the two calls; handshake again.
                    if let Some(pull) = self.snapshot(io, &session, next, replace, limit).await? {
                        return Ok(pull);
                    }
                }
                Err(status) => return Err(status_error(&context, status)),
            }
        }
        Err(Error::GrpcStatus {
            context: "sqld BatchLogEntries".into(),
            code: crate::protocol::grpc_web::code::FAILED_PRECONDITION,
            message: format!("{} after {HELLO_ATTEMPTS} handshakes", wal_log::NO_HELLO),
        })
    }

    /// The whole transactions of a read batch.
    fn finish_batch(&mut self, reader: BatchReader<'_>, session: &Session, replace: bool) -> Result<Pull> {
        let BatchReader { context, count, batch, commit, over_limit, .. } = reader;
        let Some((frame_no, checksum)) = commit else {
            if count == 0 {
                return Ok(Pull::UpToDate);
            }
            return Err(Error::InvalidResponse {
                context: context.to_string(),
                message: format!("{count} frames without a commit frame"),
            });
        };
        self.chain = Some((frame_no, checksum));
        let position = Position::Sqld { log_id: session.log_id, frame_no: FrameNo(frame_no) };
        let Some((committed, frames)) = batch.into_committed(replace, position) else { return Ok(Pull::UpToDate) };
        Ok(Pull::Pages { committed, frames, over_limit })
    }

    /// `Snapshot(next)` after `NEED_SNAPSHOT`: every page's newest version as one transaction. sqld
    /// streams it in descending frame order, so the first version of a page is its newest, and the
    /// last frame carries the database size. `None` when the session is gone (`NO_HELLO`).
    async fn snapshot(
        &mut self,
        io: &Io<'_>,
        session: &Session,
        next: u64,
        replace: bool,
        limit: u64,
    ) -> Result<Option<Pull>> {
        let context = format!("sqld Snapshot({next})");
        let path = format!("{}/Snapshot", wal_log::SERVICE_PATH);
        let offset = LogOffset { next_offset: next, wal_flavor: None };
        let mut batch = PageBatch::new(limit);
        let (mut count, mut max, mut size_after) = (0u64, None::<u64>, None);
        let outcome = call_frames(io, &path, &offset, &session.token, FramesLayout::PerMessage, &context, |f| {
            count += 1;
            max = Some(max.map_or(f.header.frame_no, |m| m.max(f.header.frame_no)));
            if f.header.is_commit() {
                size_after = Some(f.header.size_after);
            }
            batch.add_if_absent(f.header.page_no, f.page).map_err(|over| over_budget(over.needed, limit))
        })
        .await?;
        if let Err(status) = outcome {
            if status.message.contains(wal_log::NO_HELLO) {
                self.session = None;
                return Ok(None);
            }
            return Err(status_error(&context, status));
        }
        let invalid = |message: &str| Error::InvalidResponse { context: context.clone(), message: message.into() };
        let (Some(size_after), Some(max)) = (size_after, max) else {
            return Err(invalid("snapshot without a frame carrying the database size"));
        };
        if max < next {
            return Err(invalid("snapshot ends before the requested frame"));
        }
        // The snapshot's frames carry checksums of the original log; the chain restarts after it.
        self.chain = None;
        batch.commit(size_after, count);
        let position = Position::Sqld { log_id: session.log_id, frame_no: FrameNo(max) };
        let (committed, frames) =
            batch.into_committed(replace, position).ok_or_else(|| invalid("snapshot without pages"))?;
        Ok(Some(Pull::Pages { committed, frames, over_limit: None }))
    }
}

impl Protocol for Sqld {
    fn kind(&self) -> ProtocolKind {
        ProtocolKind::Sqld
    }

    fn pull<'a>(
        &'a mut self,
        io: &'a Io<'a>,
        position: Option<&'a Position>,
        limit: u64,
        _keep: super::Keep<'a>,
    ) -> BoxFuture<'a, Result<Pull>> {
        Box::pin(self.pull_frames(io, position, limit))
    }
}
