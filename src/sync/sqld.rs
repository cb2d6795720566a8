//! sqld's replication protocol: gRPC-Web `wal_log.ReplicationLog` (`Hello`, `BatchLogEntries`,
//! `Snapshot`). Keeps the session token; verifies every frame's rolling CRC-64; hands the replica
//! whole transactions only (frames after the last commit frame of a batch are dropped and fetched
//! again); starts over from frame 0 when the primary's `log_id` is not the replica's.

use super::grpc::{call, status_error};
use super::io::Io;
use super::{Protocol, ProtocolKind, Pull};
use crate::error::{Error, Result};
use crate::protocol::frame::Frame;
use crate::protocol::replication_log::{self as wal_log, decode_message, HelloRequest, HelloResponse, LogOffset};
use crate::protocol::{FrameNo, LogId, Position};
use crate::replica::{CommittedPages, Page};
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

impl Sqld {
    /// A client with no session yet.
    pub fn new() -> Sqld {
        Sqld::default()
    }

    async fn hello(&mut self, io: &Io<'_>) -> Result<Session> {
        let context = "sqld Hello";
        let request = HelloRequest { handshake_version: Some(wal_log::HANDSHAKE_VERSION) };
        let path = format!("{}/Hello", wal_log::SERVICE_PATH);
        let messages = call(io, &path, &request, None, context).await?.map_err(|s| status_error(context, s))?;
        let invalid = |message: String| Error::InvalidResponse { context: context.into(), message };
        let bytes = messages.first().ok_or_else(|| invalid("no HelloResponse".into()))?;
        let hello: HelloResponse = decode_message("HelloResponse", bytes)?;
        let log_id = hello.log_id.parse().map_err(|_| invalid(format!("log_id {:?} is not a UUID", hello.log_id)))?;
        let token = String::from_utf8(hello.session_token).map_err(|_| invalid("session token is not text".into()))?;
        let session = Session { token, log_id };
        self.session = Some(session.clone());
        Ok(session)
    }

    async fn pull_frames(&mut self, io: &Io<'_>, position: Option<&Position>) -> Result<Pull> {
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
            match call(io, &path, &offset, Some(&session.token), &context).await? {
                Ok(messages) => return self.frames_to_pull(&context, &session, next, replace, &messages),
                Err(status) if status.message.contains(wal_log::NO_HELLO) => self.session = None,
                Err(status) if status.message.contains(wal_log::NEED_SNAPSHOT) => {
                    return self.snapshot(io, &session, next, replace).await;
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

    /// Verifies and groups a `BatchLogEntries` reply.
    fn frames_to_pull(
        &mut self,
        context: &str,
        session: &Session,
        next: u64,
        replace: bool,
        messages: &[Vec<u8>],
    ) -> Result<Pull> {
        let frames = decode_frames(messages)?;
        if frames.is_empty() {
            return Ok(Pull::UpToDate);
        }
        let invalid = |message: String| Error::InvalidResponse { context: context.to_string(), message };
        let mut prev = match (next, self.chain) {
            (0, _) => Some(0),
            (n, Some((frame_no, checksum))) if frame_no + 1 == n => Some(checksum),
            _ => None,
        };
        for (i, frame) in frames.iter().enumerate() {
            let expected = next + i as u64;
            if frame.header.frame_no != expected {
                return Err(invalid(format!("frame {} where {expected} was due", frame.header.frame_no)));
            }
            // A log that was compacted starts a new chain seeded with 0 (observed on sqld 0.24.33).
            let linked = match prev {
                Some(p) => frame.verify_checksum(p) || (i == 0 && frame.verify_checksum(0)),
                None => i == 0,
            };
            if !linked {
                return Err(Error::ChecksumMismatch { context: context.to_string(), frame_no: expected });
            }
            prev = Some(frame.header.checksum);
        }
        let Some(last_commit) = frames.iter().rposition(|f| f.header.is_commit()) else {
            return Err(invalid(format!("{} frames without a commit frame", frames.len())));
        };
        let commit = frames[last_commit].header;
        self.chain = Some((commit.frame_no, commit.checksum));
        let count = last_commit as u64 + 1;
        let pages =
            frames.into_iter().take(last_commit + 1).map(|f| Page { pgno: f.header.page_no, data: f.page }).collect();
        let committed = CommittedPages {
            replace,
            position: Position::Sqld { log_id: session.log_id, frame_no: FrameNo(commit.frame_no) },
            db_size_pages: commit.size_after,
            pages,
        };
        Ok(Pull::Pages { committed, frames: count })
    }

    /// `Snapshot(next)` after `NEED_SNAPSHOT`: every page's newest version as one transaction.
    async fn snapshot(&mut self, io: &Io<'_>, session: &Session, next: u64, replace: bool) -> Result<Pull> {
        let context = format!("sqld Snapshot({next})");
        let path = format!("{}/Snapshot", wal_log::SERVICE_PATH);
        let offset = LogOffset { next_offset: next, wal_flavor: None };
        let messages = match call(io, &path, &offset, Some(&session.token), &context).await? {
            Ok(m) => m,
            Err(status) if status.message.contains(wal_log::NO_HELLO) => {
                self.session = None;
                return Err(status_error(&context, status));
            }
            Err(status) => return Err(status_error(&context, status)),
        };
        let mut frames = Vec::with_capacity(messages.len());
        for m in &messages {
            let frame: wal_log::Frame = decode_message("Frame", m)?;
            frames.push(Frame::decode(&frame.data)?);
        }
        let invalid = |message: &str| Error::InvalidResponse { context: context.clone(), message: message.into() };
        let size_after = frames.iter().find(|f| f.header.is_commit()).map(|f| f.header.size_after);
        let (Some(size_after), Some(max)) = (size_after, frames.iter().map(|f| f.header.frame_no).max()) else {
            return Err(invalid("snapshot without a frame carrying the database size"));
        };
        if max < next {
            return Err(invalid("snapshot ends before the requested frame"));
        }
        // The snapshot's frames carry checksums of the original log; the chain restarts after it.
        self.chain = None;
        let count = frames.len() as u64;
        // Descending frame_no: reverse so that, should a page repeat, its newest version is last.
        let pages = frames.into_iter().rev().map(|f| Page { pgno: f.header.page_no, data: f.page }).collect();
        let committed = CommittedPages {
            replace,
            position: Position::Sqld { log_id: session.log_id, frame_no: FrameNo(max) },
            db_size_pages: size_after,
            pages,
        };
        Ok(Pull::Pages { committed, frames: count })
    }
}

/// The frames of a `BatchLogEntries` reply (normally one `Frames` message).
fn decode_frames(messages: &[Vec<u8>]) -> Result<Vec<Frame>> {
    let mut out = Vec::new();
    for m in messages {
        let batch: wal_log::Frames = decode_message("Frames", m)?;
        for frame in batch.frames {
            out.push(Frame::decode(&frame.data)?);
        }
    }
    Ok(out)
}

impl Protocol for Sqld {
    fn kind(&self) -> ProtocolKind {
        ProtocolKind::Sqld
    }

    fn pull<'a>(&'a mut self, io: &'a Io<'a>, position: Option<&'a Position>) -> BoxFuture<'a, Result<Pull>> {
        Box::pin(self.pull_frames(io, position))
    }
}
