//! The primary: one SQLite database in WAL mode plus its replication log, kept in step.
//!
//! Capture: after every statement any connection runs, [`Primary::capture`] copies the newly
//! committed WAL transactions into the log (fsynced) before the client is answered. SQLite never
//! checkpoints on its own; [`Primary::capture`] checkpoints only while holding the statement gate
//! exclusively, after a final capture, so no commit can slip between capture and checkpoint. The
//! WAL position at each completed checkpoint is stored durably in `wal-cursor.json`.
//!
//! Recovery on open: the log is validated and cut at its last whole transaction; transactions
//! still in the WAL past the cursor are re-derived (deterministically: distinct pages by page
//! number) and appended, skipping those the log already holds. Anything inconsistent (no log, no
//! cursor, counts that do not line up, a size mismatch) gives a new `log_id` and a full page dump
//! as frames `0..N-1`, as sqld does.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError, RwLock, RwLockReadGuard};

use rusqlite::Connection;
use serde::{Deserialize, Serialize};

use crate::db::{checkpoint, open_connection, PAGE_SIZE};
use crate::generations::Generations;
use crate::log::ReplicationLog;
use crate::wal_reader::{read_committed, WalCursor};

/// Start-up options of the primary.
#[derive(Debug, Clone)]
pub struct PrimaryOptions {
    /// Data directory.
    pub dir: PathBuf,
    /// Compact the log into a snapshot when its file exceeds this many bytes.
    pub max_log_size: Option<u64>,
    /// Checkpoint the WAL (and start a new HTTP-sync generation) after this many captured frames.
    pub checkpoint_frames: u64,
}

impl PrimaryOptions {
    /// Defaults for `dir`.
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into(), max_log_size: None, checkpoint_frames: 4096 }
    }
}

/// Failure to open the primary.
#[derive(Debug, thiserror::Error)]
pub enum PrimaryError {
    /// File system error.
    #[error("io: {0}")]
    Io(#[from] io::Error),
    /// SQLite error.
    #[error("sqlite: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// The database uses a page size the log cannot carry.
    #[error("unsupported page size {0} (only 4096)")]
    PageSize(i64),
}

#[derive(Debug, Serialize, Deserialize)]
struct CursorFile {
    log_id: String,
    cursor: Option<WalCursor>,
    next_frame_no: u64,
}

#[derive(Debug)]
struct CaptureState {
    cursor: Option<WalCursor>,
    frames_since_checkpoint: u64,
}

/// The primary database and its log.
#[derive(Debug)]
pub struct Primary {
    dir: PathBuf,
    db_path: PathBuf,
    wal_path: PathBuf,
    /// The replication log.
    pub log: ReplicationLog,
    /// HTTP-sync generations.
    pub generations: Mutex<Generations>,
    capture: Mutex<CaptureState>,
    gate: RwLock<()>,
    keeper: Mutex<Connection>,
    opts: PrimaryOptions,
}

impl Primary {
    /// Opens (recovering if needed) the primary in `opts.dir`.
    pub fn open(opts: PrimaryOptions) -> Result<Arc<Self>, PrimaryError> {
        let dir = opts.dir.clone();
        fs::create_dir_all(&dir)?;
        let db_path = dir.join("data");
        let wal_path = dir.join("data-wal");
        let db_had_data = fs::metadata(&db_path).map(|m| m.len() > 0).unwrap_or(false);
        let cursor_file: Option<CursorFile> =
            fs::read(dir.join("wal-cursor.json")).ok().and_then(|b| serde_json::from_slice(&b).ok());

        let mut log = match ReplicationLog::open(&dir)? {
            Some(log) => match &cursor_file {
                Some(cf) if cf.log_id == uuid::Uuid::from_u128(log.log_id()).to_string() => {
                    if replay_wal(&log, &wal_path, cf)? {
                        Some(log)
                    } else {
                        None
                    }
                }
                _ => None,
            },
            None if !db_had_data => Some(ReplicationLog::create(&dir)?),
            None => None,
        };

        let keeper = open_connection(&db_path)?;
        let page_size: i64 = keeper.query_row("PRAGMA page_size", [], |r| r.get(0))?;
        if page_size != PAGE_SIZE {
            return Err(PrimaryError::PageSize(page_size));
        }
        checkpoint(&keeper, "TRUNCATE")?;
        let db_pages = fs::metadata(&db_path)?.len() / PAGE_SIZE as u64;
        if let Some(l) = &log {
            let expected = l.read().size_after.map_or(db_pages.min(1), u64::from);
            if expected != db_pages {
                log = None;
            }
        }
        let log = match log {
            Some(l) => l,
            None => ReplicationLog::reset_with_dump(&dir, read_db_pages(&db_path)?)?,
        };
        let mut generations = Generations::load(&dir);
        generations.advance(log.log_id(), log.next_frame_no())?;
        let primary = Self {
            dir: dir.clone(),
            db_path,
            wal_path,
            generations: Mutex::new(generations),
            capture: Mutex::new(CaptureState { cursor: None, frames_since_checkpoint: 0 }),
            gate: RwLock::new(()),
            keeper: Mutex::new(keeper),
            opts,
            log,
        };
        primary.write_cursor(None)?;
        Ok(Arc::new(primary))
    }

    /// The data directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// A new connection for a stream.
    pub fn connect(&self) -> rusqlite::Result<Connection> {
        open_connection(&self.db_path)
    }

    /// Holds the statement gate (shared) while a statement runs; checkpoints take it exclusively.
    pub fn gate(&self) -> RwLockReadGuard<'_, ()> {
        self.gate.read().unwrap_or_else(PoisonError::into_inner)
    }

    /// The current replication index (last committed frame_no).
    pub fn replication_index(&self) -> Option<u64> {
        self.log.last_commit()
    }

    /// Copies newly committed transactions from the WAL into the log; compacts and checkpoints
    /// when due. Call after every statement, outside the gate.
    pub fn capture(&self) -> io::Result<()> {
        let mut cap = self.capture.lock().unwrap_or_else(PoisonError::into_inner);
        let appended = self.capture_locked(&mut cap)?;
        if appended == 0 {
            return Ok(());
        }
        if let Some(max) = self.opts.max_log_size {
            if self.log.file_len() > max {
                // Compaction drops the current generation's frames: the next generation starts
                // under the same lock, so no HTTP-sync reader sees the frames gone while that
                // generation is still current (it would take that for "no more frames").
                let mut generations = self.lock_generations();
                self.log.compact()?;
                generations.advance(self.log.log_id(), self.log.next_frame_no())?;
            }
        }
        if cap.frames_since_checkpoint >= self.opts.checkpoint_frames {
            self.try_checkpoint(&mut cap)?;
        }
        Ok(())
    }

    /// Forces a checkpoint attempt (tests, shutdown). Returns whether it completed.
    pub fn checkpoint_now(&self) -> io::Result<bool> {
        let mut cap = self.capture.lock().unwrap_or_else(PoisonError::into_inner);
        self.capture_locked(&mut cap)?;
        self.try_checkpoint(&mut cap)
    }

    fn capture_locked(&self, cap: &mut CaptureState) -> io::Result<u64> {
        let (txns, cursor) = read_committed(&self.wal_path, cap.cursor)?;
        self.log.append_txns(&txns)?;
        cap.cursor = cursor;
        let n: u64 = txns.iter().map(|t| t.pages.len() as u64).sum();
        cap.frames_since_checkpoint += n;
        Ok(n)
    }

    fn try_checkpoint(&self, cap: &mut CaptureState) -> io::Result<bool> {
        let Ok(_exclusive) = self.gate.try_write() else {
            return Ok(false);
        };
        self.capture_locked(cap)?;
        let keeper = self.keeper.lock().unwrap_or_else(PoisonError::into_inner);
        let (busy, wal_frames, done) = checkpoint(&keeper, "PASSIVE").map_err(io::Error::other)?;
        drop(keeper);
        if busy != 0 || wal_frames != done {
            return Ok(false);
        }
        self.write_cursor(cap.cursor)?;
        cap.frames_since_checkpoint = 0;
        let next = self.log.next_frame_no();
        self.lock_generations().advance(self.log.log_id(), next)?;
        Ok(true)
    }

    fn lock_generations(&self) -> std::sync::MutexGuard<'_, Generations> {
        self.generations.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn write_cursor(&self, cursor: Option<WalCursor>) -> io::Result<()> {
        let cf = CursorFile {
            log_id: uuid::Uuid::from_u128(self.log.log_id()).to_string(),
            cursor,
            next_frame_no: self.log.next_frame_no(),
        };
        let path = self.dir.join("wal-cursor.json");
        let tmp = path.with_extension("tmp");
        {
            let f = fs::File::create(&tmp)?;
            serde_json::to_writer(&f, &cf).map_err(io::Error::other)?;
            f.sync_all()?;
        }
        fs::rename(&tmp, &path)?;
        crate::log::file::sync_parent(&path)
    }

    /// Clean shutdown: capture, checkpoint if possible.
    pub fn shutdown(&self) -> io::Result<()> {
        self.checkpoint_now().map(|_| ())
    }
}

/// Appends the WAL transactions the log lacks. `false` when the two cannot be reconciled.
fn replay_wal(log: &ReplicationLog, wal_path: &Path, cf: &CursorFile) -> io::Result<bool> {
    let (txns, _) = read_committed(wal_path, cf.cursor)?;
    let Some(mut skip) = log.next_frame_no().checked_sub(cf.next_frame_no) else {
        return Ok(false);
    };
    let mut rest = txns.into_iter().peekable();
    while skip > 0 {
        match rest.next() {
            Some(t) if (t.pages.len() as u64) <= skip => skip -= t.pages.len() as u64,
            _ => return Ok(false),
        }
    }
    let rest: Vec<_> = rest.collect();
    log.append_txns(&rest)?;
    Ok(true)
}

/// Every page of a checkpointed database file.
fn read_db_pages(path: &Path) -> io::Result<Vec<Vec<u8>>> {
    let bytes = match fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == io::ErrorKind::NotFound => Vec::new(),
        Err(e) => return Err(e),
    };
    Ok(bytes.chunks_exact(PAGE_SIZE as usize).map(<[u8]>::to_vec).collect())
}
