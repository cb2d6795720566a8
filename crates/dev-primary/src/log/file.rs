//! The on-disk replication log file (`wallog`), in sqld's layout: a 64-byte little-endian header
//! then 4120-byte frames, frame n at `64 + (n - start_frame_no) * 4120`.
//!
//! Header: magic `SQLDWAL\0` (u64), `start_checksum` u64, `log_id` u128, `start_frame_no` u64,
//! `frame_count` u64, `version` u32 = 2, `page_size` i32 = 4096, `sqld_version` [u16; 4].
//!
//! Opening validates every frame (consecutive frame numbers, checksum chain) and cuts the file after
//! the last valid commit frame, so a torn append from a crash disappears. Appends are fsynced before
//! they become visible to readers. Readers use positioned reads on a shared handle, without locks.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::FileExt;
use std::path::Path;
use std::sync::Arc;

use libsql_edge_protocol::frame::{Frame, FrameHeader, FRAME_HEADER_LEN, LIBSQL_PAGE_SIZE};

/// Size of the log header.
pub const LOG_HEADER_LEN: u64 = 64;
/// Size of one frame in the file.
pub const FRAME_LEN: u64 = (FRAME_HEADER_LEN + LIBSQL_PAGE_SIZE) as u64;
const MAGIC: u64 = u64::from_le_bytes(*b"SQLDWAL\0");
const VERSION: u32 = 2;
const SQLD_VERSION: [u16; 4] = [0, 0, 24, 33];

/// The fields of the log header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LogHeader {
    /// Seed of the first frame's checksum.
    pub start_checksum: u64,
    /// The log's identity.
    pub log_id: u128,
    /// frame_no of the first frame in the file.
    pub start_frame_no: u64,
    /// Number of frames (informational; the scan on open is authoritative).
    pub frame_count: u64,
}

impl LogHeader {
    fn encode(&self) -> [u8; LOG_HEADER_LEN as usize] {
        let mut b = [0u8; LOG_HEADER_LEN as usize];
        b[0..8].copy_from_slice(&MAGIC.to_le_bytes());
        b[8..16].copy_from_slice(&self.start_checksum.to_le_bytes());
        b[16..32].copy_from_slice(&self.log_id.to_le_bytes());
        b[32..40].copy_from_slice(&self.start_frame_no.to_le_bytes());
        b[40..48].copy_from_slice(&self.frame_count.to_le_bytes());
        b[48..52].copy_from_slice(&VERSION.to_le_bytes());
        b[52..56].copy_from_slice(&(LIBSQL_PAGE_SIZE as i32).to_le_bytes());
        for (i, v) in SQLD_VERSION.iter().enumerate() {
            b[56 + i * 2..58 + i * 2].copy_from_slice(&v.to_le_bytes());
        }
        b
    }

    fn decode(b: &[u8]) -> Option<Self> {
        let u64_at = |o: usize| b.get(o..o + 8).and_then(|s| s.try_into().ok()).map(u64::from_le_bytes);
        if b.len() < LOG_HEADER_LEN as usize || u64_at(0)? != MAGIC {
            return None;
        }
        let log_id = u128::from_le_bytes(b[16..32].try_into().ok()?);
        let version = u32::from_le_bytes(b[48..52].try_into().ok()?);
        let page_size = i32::from_le_bytes(b[52..56].try_into().ok()?);
        if version != VERSION || page_size != LIBSQL_PAGE_SIZE as i32 {
            return None;
        }
        Some(Self { start_checksum: u64_at(8)?, log_id, start_frame_no: u64_at(32)?, frame_count: u64_at(40)? })
    }
}

/// What a scan of an existing log found.
#[derive(Debug, Clone, Copy)]
pub struct LogScan {
    /// Number of frames kept (up to the last valid commit).
    pub frame_count: u64,
    /// Checksum of the last kept frame (or the start checksum).
    pub last_checksum: u64,
    /// Database size after the last kept commit, if any frame was kept.
    pub last_size_after: Option<u32>,
}

/// An open log file.
#[derive(Debug, Clone)]
pub struct LogFile {
    file: Arc<File>,
    /// The header as written at creation.
    pub header: LogHeader,
}

impl LogFile {
    /// Creates (or replaces) a log file at `path`, fsynced.
    pub fn create(path: &Path, log_id: u128, start_frame_no: u64, start_checksum: u64) -> io::Result<Self> {
        let header = LogHeader { start_checksum, log_id, start_frame_no, frame_count: 0 };
        let tmp = path.with_extension("tmp");
        {
            let mut f = OpenOptions::new().create(true).truncate(true).write(true).open(&tmp)?;
            f.write_all(&header.encode())?;
            f.sync_all()?;
        }
        std::fs::rename(&tmp, path)?;
        sync_parent(path)?;
        let file = OpenOptions::new().read(true).write(true).open(path)?;
        Ok(Self { file: Arc::new(file), header })
    }

    /// Opens and validates an existing log; `None` if it is missing or its header is damaged.
    pub fn open(path: &Path) -> io::Result<Option<(Self, LogScan)>> {
        let file = match OpenOptions::new().read(true).write(true).open(path) {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e),
        };
        let mut head = [0u8; LOG_HEADER_LEN as usize];
        if file.read_exact_at(&mut head, 0).is_err() {
            return Ok(None);
        }
        let Some(header) = LogHeader::decode(&head) else {
            return Ok(None);
        };
        let len = file.metadata()?.len();
        let available = len.saturating_sub(LOG_HEADER_LEN) / FRAME_LEN;
        let mut scan = LogScan { frame_count: 0, last_checksum: header.start_checksum, last_size_after: None };
        let mut checksum = header.start_checksum;
        let mut buf = vec![0u8; FRAME_LEN as usize];
        for i in 0..available {
            file.read_exact_at(&mut buf, LOG_HEADER_LEN + i * FRAME_LEN)?;
            let Ok(frame) = Frame::decode(&buf) else {
                break;
            };
            if frame.header.frame_no != header.start_frame_no + i || !frame.verify_checksum(checksum) {
                break;
            }
            checksum = frame.header.checksum;
            if frame.header.is_commit() {
                scan = LogScan {
                    frame_count: i + 1,
                    last_checksum: checksum,
                    last_size_after: Some(frame.header.size_after),
                };
            }
        }
        let keep = LOG_HEADER_LEN + scan.frame_count * FRAME_LEN;
        if len != keep {
            file.set_len(keep)?;
            file.sync_all()?;
        }
        Ok(Some((Self { file: Arc::new(file), header }, scan)))
    }

    /// Appends encoded frames after `frame_count` existing frames and fsyncs.
    pub fn append(&self, frame_count: u64, frames: &[u8]) -> io::Result<()> {
        self.file.write_all_at(frames, LOG_HEADER_LEN + frame_count * FRAME_LEN)?;
        let count = frame_count + frames.len() as u64 / FRAME_LEN;
        self.file.write_all_at(&count.to_le_bytes(), 40)?;
        self.file.sync_data()
    }

    /// Reads `count` raw frames starting at `frame_no` (which must lie in this file).
    pub fn read_raw(&self, frame_no: u64, count: u64) -> io::Result<Vec<u8>> {
        let mut buf = vec![0u8; (count * FRAME_LEN) as usize];
        let idx = frame_no
            .checked_sub(self.header.start_frame_no)
            .ok_or_else(|| io::Error::other("frame before log start"))?;
        self.file.read_exact_at(&mut buf, LOG_HEADER_LEN + idx * FRAME_LEN)?;
        Ok(buf)
    }

    /// Reads the header of frame `frame_no`.
    pub fn read_header(&self, frame_no: u64) -> io::Result<FrameHeader> {
        let mut buf = [0u8; FRAME_HEADER_LEN];
        let idx = frame_no
            .checked_sub(self.header.start_frame_no)
            .ok_or_else(|| io::Error::other("frame before log start"))?;
        self.file.read_exact_at(&mut buf, LOG_HEADER_LEN + idx * FRAME_LEN)?;
        FrameHeader::decode(&buf).map_err(io::Error::other)
    }
}

/// fsyncs the directory holding `path`, so a rename is durable.
pub fn sync_parent(path: &Path) -> io::Result<()> {
    if let Some(parent) = path.parent() {
        File::open(parent)?.sync_all()?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_file_torn_tail_is_cut_at_last_commit() {
        let dir = std::env::temp_dir().join(format!("logfile-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("wallog");
        let log = LogFile::create(&path, 7, 0, 0).unwrap();
        let f0 = Frame::new(0, 0, 1, 0, vec![1; 4096]);
        let f1 = Frame::new(1, f0.header.checksum, 2, 2, vec![2; 4096]);
        let f2 = Frame::new(2, f1.header.checksum, 1, 0, vec![3; 4096]);
        log.append(0, &[f0.encode(), f1.encode()].concat()).unwrap();
        log.append(2, &f2.encode()[..1000]).unwrap();
        let (log, scan) = LogFile::open(&path).unwrap().unwrap();
        assert_eq!(scan.frame_count, 2);
        assert_eq!(scan.last_checksum, f1.header.checksum);
        assert_eq!(log.header.log_id, 7);
        assert_eq!(std::fs::metadata(&path).unwrap().len(), LOG_HEADER_LEN + 2 * FRAME_LEN);
        assert_eq!(log.read_header(1).unwrap(), f1.header);
    }
}
