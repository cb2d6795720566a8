//! Reads committed transactions out of SQLite's WAL file, incrementally and read-only.
//!
//! The primary never lets SQLite checkpoint on its own (`wal_autocheckpoint = 0`, no checkpoint on
//! close), so every committed transaction stays in `data-wal` until the capture has copied it into
//! the replication log. This module validates frames exactly as SQLite does (salts and the cumulative
//! checksum chain) and returns only whole transactions, each as its distinct pages (latest version
//! wins) sorted by page number, the commit size last. A [`WalCursor`] remembers where the last whole
//! transaction ended so the next read continues from there.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::Path;

use libsql_edge_protocol::wal_frame::{
    WalFrameEncoder, WalFrameHeader, WalHeader, WAL_FRAME_HEADER_LEN, WAL_HEADER_LEN,
};
use serde::{Deserialize, Serialize};

/// Where the next unread transaction of a WAL starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct WalCursor {
    /// Salt-1 of the WAL these offsets belong to.
    pub salt1: u32,
    /// Salt-2 of the WAL.
    pub salt2: u32,
    /// Byte offset of the first unread frame.
    pub offset: u64,
    /// Running checksum after the last read frame.
    pub checksum1: u32,
    /// Running checksum, second word.
    pub checksum2: u32,
}

/// One committed write transaction found in the WAL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WalTxn {
    /// Distinct pages written, sorted by page number, each at its final version in the transaction.
    pub pages: Vec<(u32, Vec<u8>)>,
    /// Database size in pages after the commit.
    pub db_size: u32,
}

/// Reads the transactions committed after `cursor` (or from the WAL's start when `cursor` is `None`
/// or belongs to an earlier WAL, i.e. different salts). Returns them and the cursor after the last
/// one. A missing, empty or half-written WAL yields no transactions and keeps the cursor.
pub fn read_committed(path: &Path, cursor: Option<WalCursor>) -> io::Result<(Vec<WalTxn>, Option<WalCursor>)> {
    let mut file = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok((Vec::new(), cursor)),
        Err(e) => return Err(e),
    };
    let mut head = [0u8; WAL_HEADER_LEN];
    if file.read_exact(&mut head).is_err() {
        return Ok((Vec::new(), cursor));
    }
    let Ok(header) = WalHeader::decode(&head) else {
        return Ok((Vec::new(), cursor));
    };
    let (start, mut chain) = match cursor {
        Some(c) if c.salt1 == header.salt1 && c.salt2 == header.salt2 => {
            (c.offset, WalFrameEncoder::resume(&header, (c.checksum1, c.checksum2)))
        }
        _ => (WAL_HEADER_LEN as u64, WalFrameEncoder::new(&header)),
    };
    file.seek(SeekFrom::Start(start))?;
    let frame_len = WAL_FRAME_HEADER_LEN + header.page_size as usize;
    let mut txns = Vec::new();
    let mut pending: BTreeMap<u32, Vec<u8>> = BTreeMap::new();
    let mut new_cursor = cursor.filter(|c| c.salt1 == header.salt1 && c.salt2 == header.salt2);
    let mut offset = start;
    // Read in chunks and stop at the first invalid frame: after a WAL restart, stale frames of the
    // previous WAL follow the valid ones and must not be read.
    let mut chunk = vec![0u8; frame_len * 256];
    'outer: loop {
        let mut filled = 0;
        while filled < chunk.len() {
            let n = file.read(&mut chunk[filled..])?;
            if n == 0 {
                break;
            }
            filled += n;
        }
        let whole = filled / frame_len;
        for frame in chunk[..whole * frame_len].chunks_exact(frame_len) {
            let Ok(fh) = WalFrameHeader::decode(frame) else { break 'outer };
            let page = &frame[WAL_FRAME_HEADER_LEN..];
            if !chain.accept(&fh, page) {
                break 'outer;
            }
            offset += frame_len as u64;
            pending.insert(fh.page_no, page.to_vec());
            if fh.is_commit() {
                let pages = std::mem::take(&mut pending).into_iter().filter(|(pgno, _)| *pgno <= fh.db_size).collect();
                txns.push(WalTxn { pages, db_size: fh.db_size });
                let (checksum1, checksum2) = chain.checksum();
                new_cursor = Some(WalCursor { salt1: header.salt1, salt2: header.salt2, offset, checksum1, checksum2 });
            }
        }
        if filled < chunk.len() {
            break;
        }
    }
    Ok((txns, new_cursor))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rusqlite::Connection;

    #[test]
    fn read_committed_returns_each_commit_once() {
        let dir = tempdir();
        let db = dir.join("data");
        let c = Connection::open(&db).unwrap();
        c.query_row("PRAGMA journal_mode=WAL", [], |r| r.get::<_, String>(0)).unwrap();
        c.execute_batch("PRAGMA wal_autocheckpoint=0; CREATE TABLE t(x); INSERT INTO t VALUES (1);").unwrap();
        let wal = dir.join("data-wal");
        let (txns, cur) = read_committed(&wal, None).unwrap();
        assert_eq!(txns.len(), 2);
        assert_eq!(txns[0].pages[0].0, 1);
        let (again, cur2) = read_committed(&wal, cur).unwrap();
        assert!(again.is_empty());
        assert_eq!(cur, cur2);
        c.execute("INSERT INTO t VALUES (2)", []).unwrap();
        let (more, _) = read_committed(&wal, cur).unwrap();
        assert_eq!(more.len(), 1);
        assert_eq!(more[0].db_size, 2);
    }

    fn tempdir() -> std::path::PathBuf {
        let d = std::env::temp_dir().join(format!("walreader-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&d).unwrap();
        d
    }
}
