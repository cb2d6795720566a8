//! Snapshot files: the compacted part of the log, one frame per page at its newest version, in
//! descending frame_no, as sqld streams them from `Snapshot`.
//!
//! File `snapshots/{log_id}-{start}-{end}.snap`: a 48-byte little-endian header `log_id` u128,
//! `start_frame_no` u64, `end_frame_no` u64, `frame_count` u64, `size_after` u32, 4 pad bytes; then
//! the frames. The primary keeps one merged snapshot covering every compacted frame; only the last
//! frame (lowest frame_no) carries `size_after`.

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use libsql_edge_protocol::frame::FrameHeader;

use super::file::{sync_parent, FRAME_LEN};

const HEADER_LEN: u64 = 48;

/// Header of a snapshot file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SnapshotHeader {
    /// The log this snapshot belongs to.
    pub log_id: u128,
    /// Lowest frame_no covered.
    pub start_frame_no: u64,
    /// Highest frame_no covered (a commit frame).
    pub end_frame_no: u64,
    /// Frames in the file.
    pub frame_count: u64,
    /// Database size in pages at `end_frame_no`.
    pub size_after: u32,
}

/// An open snapshot file.
#[derive(Debug, Clone)]
pub struct SnapshotFile {
    file: Arc<File>,
    path: PathBuf,
    /// Its header.
    pub header: SnapshotHeader,
}

impl SnapshotFile {
    /// Writes a snapshot from encoded frames (any order; one per page) and fsyncs it.
    pub fn write(dir: &Path, header: SnapshotHeader, mut frames: Vec<Vec<u8>>) -> io::Result<Self> {
        std::fs::create_dir_all(dir)?;
        frames.sort_by_key(|f| std::cmp::Reverse(FrameHeader::decode(f).map(|h| h.frame_no).unwrap_or(0)));
        let n = frames.len();
        let path = dir.join(format!(
            "{}-{}-{}.snap",
            uuid::Uuid::from_u128(header.log_id),
            header.start_frame_no,
            header.end_frame_no
        ));
        let tmp = path.with_extension("tmp");
        {
            let mut f = OpenOptions::new().create(true).truncate(true).write(true).open(&tmp)?;
            let mut h = [0u8; HEADER_LEN as usize];
            h[0..16].copy_from_slice(&header.log_id.to_le_bytes());
            h[16..24].copy_from_slice(&header.start_frame_no.to_le_bytes());
            h[24..32].copy_from_slice(&header.end_frame_no.to_le_bytes());
            h[32..40].copy_from_slice(&(n as u64).to_le_bytes());
            h[40..44].copy_from_slice(&header.size_after.to_le_bytes());
            f.write_all(&h)?;
            let mut w = io::BufWriter::new(&mut f);
            for (i, mut frame) in frames.into_iter().enumerate() {
                let size = if i + 1 == n { header.size_after } else { 0 };
                frame[20..24].copy_from_slice(&size.to_le_bytes());
                w.write_all(&frame)?;
            }
            w.flush()?;
            drop(w);
            f.sync_all()?;
        }
        std::fs::rename(&tmp, &path)?;
        sync_parent(&path)?;
        let header = SnapshotHeader { frame_count: n as u64, ..header };
        Ok(Self { file: Arc::new(File::open(&path)?), path, header })
    }

    /// Opens the snapshot of `log_id` with the highest end in `dir`, deleting others of that log.
    pub fn open_latest(dir: &Path, log_id: u128) -> io::Result<Option<Self>> {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return Ok(None);
        };
        let prefix = format!("{}-", uuid::Uuid::from_u128(log_id));
        let mut best: Option<Self> = None;
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if !name.starts_with(&prefix) || !name.ends_with(".snap") {
                continue;
            }
            let Some(snap) = Self::open(&entry.path())? else {
                continue;
            };
            if snap.header.log_id != log_id {
                continue;
            }
            match &best {
                Some(b) if b.header.end_frame_no >= snap.header.end_frame_no => {
                    let _ = std::fs::remove_file(&snap.path);
                }
                _ => {
                    if let Some(old) = best.take() {
                        let _ = std::fs::remove_file(&old.path);
                    }
                    best = Some(snap);
                }
            }
        }
        Ok(best)
    }

    fn open(path: &Path) -> io::Result<Option<Self>> {
        let file = File::open(path)?;
        let mut h = [0u8; HEADER_LEN as usize];
        if file.read_exact_at(&mut h, 0).is_err() {
            return Ok(None);
        }
        let u64_at = |o: usize| {
            let mut a = [0u8; 8];
            a.copy_from_slice(&h[o..o + 8]);
            u64::from_le_bytes(a)
        };
        let mut id = [0u8; 16];
        id.copy_from_slice(&h[0..16]);
        let mut sz = [0u8; 4];
        sz.copy_from_slice(&h[40..44]);
        let header = SnapshotHeader {
            log_id: u128::from_le_bytes(id),
            start_frame_no: u64_at(16),
            end_frame_no: u64_at(24),
            frame_count: u64_at(32),
            size_after: u32::from_le_bytes(sz),
        };
        if file.metadata()?.len() != HEADER_LEN + header.frame_count * FRAME_LEN {
            return Ok(None);
        }
        Ok(Some(Self { file: Arc::new(file), path: path.to_path_buf(), header }))
    }

    /// All frames, encoded, in file order (descending frame_no).
    pub fn read_all(&self) -> io::Result<Vec<Vec<u8>>> {
        let mut out = Vec::with_capacity(self.header.frame_count as usize);
        for i in 0..self.header.frame_count {
            let mut buf = vec![0u8; FRAME_LEN as usize];
            self.file.read_exact_at(&mut buf, HEADER_LEN + i * FRAME_LEN)?;
            out.push(buf);
        }
        Ok(out)
    }

    /// Deletes the file.
    pub fn remove(&self) {
        let _ = std::fs::remove_file(&self.path);
    }

    /// Newest version of each page, by page number (frame bytes).
    pub fn page_frames(&self) -> io::Result<HashMap<u32, Vec<u8>>> {
        let mut map = HashMap::new();
        for f in self.read_all()? {
            let h = FrameHeader::decode(&f).map_err(io::Error::other)?;
            map.entry(h.page_no).or_insert(f);
        }
        Ok(map)
    }
}
