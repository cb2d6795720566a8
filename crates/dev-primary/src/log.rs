//! The replication log: every committed write transaction as libsql frames, numbered from 0 over
//! the life of the log, identified by `log_id`, with a merged snapshot holding the compacted past.
//!
//! Invariants: the file holds whole transactions only; readers see a frame only after it is fsynced
//! (`next_frame_no` advances last); frames below `start_frame_no` are only in the snapshot, so a
//! reader asking for them gets `NEED_SNAPSHOT`. Appends and compaction are serialized by the caller
//! (the capture); reads run concurrently on a shared file handle and never block writers.

pub mod file;
pub mod snapshot;

use std::collections::{BTreeMap, HashMap};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};

use libsql_edge_protocol::frame::{Frame, FrameHeader, LIBSQL_PAGE_SIZE};
use tokio::sync::watch;

use crate::wal_reader::WalTxn;
use file::{LogFile, FRAME_LEN};
use snapshot::{SnapshotFile, SnapshotHeader};

/// Frames per `BatchLogEntries` reply before extending to the next commit (sqld's
/// `MAX_FRAMES_PER_BATCH`).
pub const MAX_FRAMES_PER_BATCH: u64 = 1024;

/// An encoded frame and, on commit frames written by this process, its timestamp (ms).
pub type LoggedFrame = (Vec<u8>, Option<i64>);

/// The mutable part of the log.
#[derive(Debug)]
pub struct LogState {
    /// Identity of the log.
    pub log_id: u128,
    /// The current file.
    pub file: LogFile,
    /// First frame in the file.
    pub start_frame_no: u64,
    /// Next frame number to write; frames below it are durable.
    pub next_frame_no: u64,
    /// Checksum of the last frame.
    pub last_checksum: u64,
    /// Database size in pages after the last commit.
    pub size_after: Option<u32>,
    /// The merged snapshot of compacted frames.
    pub snapshot: Option<SnapshotFile>,
    /// Commit timestamps (ms since epoch) of commits made by this process.
    pub timestamps: HashMap<u64, i64>,
}

/// Why frames could not be served.
#[derive(Debug)]
pub enum ReadError {
    /// The offset is below the log start: the client must fetch a snapshot.
    NeedSnapshot,
    /// An I/O error.
    Io(io::Error),
}

impl From<io::Error> for ReadError {
    fn from(e: io::Error) -> Self {
        ReadError::Io(e)
    }
}

/// Why a snapshot could not be served.
#[derive(Debug)]
pub enum SnapshotError {
    /// No compaction ever happened.
    NoSnapshot,
    /// The offset is past the snapshot's end.
    NotFound,
    /// An I/O error.
    Io(io::Error),
}

/// The replication log of one database.
#[derive(Debug)]
pub struct ReplicationLog {
    dir: PathBuf,
    state: RwLock<LogState>,
    next_tx: watch::Sender<u64>,
}

impl ReplicationLog {
    /// Opens the log in `dir`, or `None` if there is none (or it is damaged beyond its header).
    pub fn open(dir: &Path) -> io::Result<Option<Self>> {
        let Some((file, scan)) = LogFile::open(&dir.join("wallog"))? else {
            return Ok(None);
        };
        let log_id = file.header.log_id;
        let snapshot = SnapshotFile::open_latest(&dir.join("snapshots"), log_id)?;
        let start = file.header.start_frame_no;
        if start > 0 && snapshot.as_ref().is_none_or(|s| s.header.end_frame_no + 1 < start) {
            // A log that starts after 0 without its snapshot cannot serve a full history.
            return Ok(None);
        }
        let size_after = scan.last_size_after.or(snapshot.as_ref().map(|s| s.header.size_after));
        let state = LogState {
            log_id,
            start_frame_no: start,
            next_frame_no: start + scan.frame_count,
            last_checksum: scan.last_checksum,
            size_after,
            snapshot,
            timestamps: HashMap::new(),
            file,
        };
        Ok(Some(Self::from_state(dir, state)))
    }

    /// Creates a new, empty log with a fresh `log_id`, removing old snapshots.
    pub fn create(dir: &Path) -> io::Result<Self> {
        let log_id = uuid::Uuid::new_v4().as_u128();
        let _ = std::fs::remove_dir_all(dir.join("snapshots"));
        let file = LogFile::create(&dir.join("wallog"), log_id, 0, 0)?;
        let state = LogState {
            log_id,
            file,
            start_frame_no: 0,
            next_frame_no: 0,
            last_checksum: 0,
            size_after: None,
            snapshot: None,
            timestamps: HashMap::new(),
        };
        Ok(Self::from_state(dir, state))
    }

    fn from_state(dir: &Path, state: LogState) -> Self {
        let (next_tx, _) = watch::channel(state.next_frame_no);
        Self { dir: dir.to_path_buf(), state: RwLock::new(state), next_tx }
    }

    /// Read access to the state.
    pub fn read(&self) -> RwLockReadGuard<'_, LogState> {
        self.state.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn write(&self) -> RwLockWriteGuard<'_, LogState> {
        self.state.write().unwrap_or_else(PoisonError::into_inner)
    }

    /// The log's identity.
    pub fn log_id(&self) -> u128 {
        self.read().log_id
    }

    /// The last committed frame_no (sqld's replication index), `None` when the log is empty.
    pub fn last_commit(&self) -> Option<u64> {
        self.read().next_frame_no.checked_sub(1)
    }

    /// The next frame number to be written.
    pub fn next_frame_no(&self) -> u64 {
        self.read().next_frame_no
    }

    /// Watches `next_frame_no` (for streaming readers).
    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.next_tx.subscribe()
    }

    /// Appends whole transactions, fsyncs, then makes them visible.
    pub fn append_txns(&self, txns: &[WalTxn]) -> io::Result<()> {
        if txns.is_empty() {
            return Ok(());
        }
        let (file, count, mut next, mut checksum) = {
            let s = self.read();
            (s.file.clone(), s.next_frame_no - s.start_frame_no, s.next_frame_no, s.last_checksum)
        };
        let first = next;
        let mut bytes = Vec::with_capacity(txns.iter().map(|t| t.pages.len()).sum::<usize>() * FRAME_LEN as usize);
        let mut commits = Vec::new();
        let mut size_after = None;
        for txn in txns {
            for (i, (pgno, page)) in txn.pages.iter().enumerate() {
                let is_last = i + 1 == txn.pages.len();
                let frame = Frame::new(next, checksum, *pgno, if is_last { txn.db_size } else { 0 }, page.clone());
                checksum = frame.header.checksum;
                bytes.extend_from_slice(&frame.encode());
                if is_last {
                    commits.push(next);
                    size_after = Some(txn.db_size);
                }
                next += 1;
            }
        }
        file.append(count, &bytes)?;
        let now = now_ms();
        {
            let mut s = self.write();
            debug_assert_eq!(s.next_frame_no, first);
            s.next_frame_no = next;
            s.last_checksum = checksum;
            s.size_after = size_after.or(s.size_after);
            for c in commits {
                s.timestamps.insert(c, now);
            }
        }
        self.next_tx.send_replace(next);
        Ok(())
    }

    /// Replaces the log with a new `log_id` whose frames `0..N-1` are every page of the database
    /// (the commit on the last), as sqld does on recovery.
    pub fn reset_with_dump(dir: &Path, pages: Vec<Vec<u8>>) -> io::Result<Self> {
        let log = Self::create(dir)?;
        if !pages.is_empty() {
            let db_size = pages.len() as u32;
            let pages = pages.into_iter().enumerate().map(|(i, p)| (i as u32 + 1, p)).collect();
            log.append_txns(&[WalTxn { pages, db_size }])?;
        }
        Ok(log)
    }

    /// Frames from `next_offset`: up to [`MAX_FRAMES_PER_BATCH`], extended to the next commit.
    /// Each item is the encoded frame and, on commit frames, its timestamp.
    pub fn batch(&self, next_offset: u64) -> Result<Vec<LoggedFrame>, ReadError> {
        self.frames_from(next_offset, MAX_FRAMES_PER_BATCH)
    }

    /// Like [`Self::batch`] with a custom soft limit.
    pub fn frames_from(&self, next_offset: u64, limit: u64) -> Result<Vec<LoggedFrame>, ReadError> {
        let (file, start, next, timestamps) = {
            let s = self.read();
            if next_offset < s.start_frame_no {
                return Err(ReadError::NeedSnapshot);
            }
            if next_offset >= s.next_frame_no {
                return Ok(Vec::new());
            }
            let end = s.next_frame_no.min(next_offset.saturating_add(limit.max(1)));
            let ts: HashMap<u64, i64> = (next_offset..s.next_frame_no)
                .filter_map(|n| s.timestamps.get(&n).map(|t| (n, *t)))
                .take(4096)
                .collect();
            (s.file.clone(), next_offset, (end, s.next_frame_no), ts)
        };
        let (mut end, hard_end) = next;
        let mut raw = file.read_raw(start, end - start)?;
        // Extend to the commit boundary.
        loop {
            let last = &raw[raw.len() - FRAME_LEN as usize..];
            let h = FrameHeader::decode(last).map_err(io::Error::other)?;
            if h.is_commit() || end >= hard_end {
                break;
            }
            let more = (hard_end - end).min(256);
            raw.extend_from_slice(&file.read_raw(end, more)?);
            end += more;
            // Trim anything past the first commit in the newly read part.
            let base = (end - more - start) as usize;
            for i in 0..more as usize {
                let off = (base + i) * FRAME_LEN as usize;
                let h = FrameHeader::decode(&raw[off..]).map_err(io::Error::other)?;
                if h.is_commit() {
                    raw.truncate(off + FRAME_LEN as usize);
                    end = start + (base + i + 1) as u64;
                    break;
                }
            }
        }
        Ok(raw
            .chunks(FRAME_LEN as usize)
            .enumerate()
            .map(|(i, c)| (c.to_vec(), timestamps.get(&(start + i as u64)).copied()))
            .collect())
    }

    /// The snapshot frames for `next_offset`: one per page, descending frame_no, only those with
    /// frame_no >= `next_offset` (at least one), the last carrying the snapshot's `size_after`.
    pub fn snapshot_frames(&self, next_offset: u64) -> Result<Vec<Vec<u8>>, SnapshotError> {
        let snap = self.read().snapshot.clone().ok_or(SnapshotError::NoSnapshot)?;
        if next_offset > snap.header.end_frame_no {
            return Err(SnapshotError::NotFound);
        }
        let all = snap.read_all().map_err(SnapshotError::Io)?;
        let mut frames: Vec<Vec<u8>> = Vec::with_capacity(all.len());
        for f in all {
            let h = FrameHeader::decode(&f).map_err(|e| SnapshotError::Io(io::Error::other(e)))?;
            if h.frame_no >= next_offset || frames.is_empty() {
                frames.push(f);
            }
        }
        let n = frames.len();
        for (i, f) in frames.iter_mut().enumerate() {
            let size = if i + 1 == n { snap.header.size_after } else { 0 };
            f[20..24].copy_from_slice(&size.to_le_bytes());
        }
        Ok(frames)
    }

    /// Moves every frame of the current file into the merged snapshot and starts a new file at
    /// the next frame_no (checksum chain seeded with 0, as observed on sqld).
    pub fn compact(&self) -> io::Result<()> {
        let (log_id, file, start, next, size_after, old_snap) = {
            let s = self.read();
            (s.log_id, s.file.clone(), s.start_frame_no, s.next_frame_no, s.size_after, s.snapshot.clone())
        };
        if next == start {
            return Ok(());
        }
        let size_after = size_after.unwrap_or(0);
        let mut pages: HashMap<u32, Vec<u8>> = match &old_snap {
            Some(s) => s.page_frames()?,
            None => HashMap::new(),
        };
        let mut at = start;
        while at < next {
            let n = (next - at).min(1024);
            let raw = file.read_raw(at, n)?;
            for c in raw.chunks(FRAME_LEN as usize) {
                let h = FrameHeader::decode(c).map_err(io::Error::other)?;
                pages.insert(h.page_no, c.to_vec());
            }
            at += n;
        }
        pages.retain(|pgno, _| *pgno <= size_after);
        let header = SnapshotHeader {
            log_id,
            start_frame_no: old_snap.as_ref().map_or(start, |s| s.header.start_frame_no),
            end_frame_no: next - 1,
            frame_count: pages.len() as u64,
            size_after,
        };
        let snap = SnapshotFile::write(&self.dir.join("snapshots"), header, pages.into_values().collect())?;
        let new_file = LogFile::create(&self.dir.join("wallog"), log_id, next, 0)?;
        {
            let mut s = self.write();
            s.file = new_file;
            s.start_frame_no = next;
            s.last_checksum = 0;
            s.snapshot = Some(snap);
            s.timestamps.retain(|k, _| *k >= next);
        }
        if let Some(old) = old_snap {
            old.remove();
        }
        Ok(())
    }

    /// Size of the current log file in bytes.
    pub fn file_len(&self) -> u64 {
        let s = self.read();
        file::LOG_HEADER_LEN + (s.next_frame_no - s.start_frame_no) * FRAME_LEN
    }

    /// The database pages as of commit frame `at` (inclusive), from the snapshot and the log.
    /// Fails when `at` lies inside the compacted range (only its end can be rebuilt).
    pub fn pages_at(&self, at: Option<u64>) -> io::Result<(BTreeMap<u32, Vec<u8>>, u32)> {
        let (file, start, snap) = {
            let s = self.read();
            (s.file.clone(), s.start_frame_no, s.snapshot.clone())
        };
        let mut pages = BTreeMap::new();
        let Some(at) = at else { return Ok((pages, 0)) };
        let mut size = 0;
        if let Some(snap) = &snap {
            if at < snap.header.end_frame_no {
                return Err(io::Error::other("state inside the compacted range"));
            }
            for (pgno, f) in snap.page_frames()? {
                pages.insert(pgno, f[24..].to_vec());
            }
            size = snap.header.size_after;
        }
        let mut n = start;
        while n <= at {
            let count = (at + 1 - n).min(1024);
            let raw = file.read_raw(n, count)?;
            for c in raw.chunks(FRAME_LEN as usize) {
                let h = FrameHeader::decode(c).map_err(io::Error::other)?;
                pages.insert(h.page_no, c[24..].to_vec());
                if h.is_commit() {
                    size = h.size_after;
                }
            }
            n += count;
        }
        pages.retain(|p, _| *p <= size);
        debug_assert!(pages.values().all(|p| p.len() == LIBSQL_PAGE_SIZE));
        Ok((pages, size))
    }
}

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}
