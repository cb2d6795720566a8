//! Shared helpers for the native integration tests: a WAL-mode source database on disk whose
//! committed transactions are read back from its WAL file, the way a primary captures them.
#![allow(dead_code)] // shared by several test binaries, each using a part

use std::fs;
use std::path::PathBuf;

use libsql_edge::protocol::{FrameNo, Generation, Position};
use libsql_edge::replica::PATCHED_RANGES;
use libsql_edge::{CommittedPages, Page, Replica, Rows, Value};
use rusqlite::Connection;

/// SQLite WAL header length; each frame is a 24-byte big-endian header plus one page.
const WAL_HEADER_LEN: u64 = 32;
const WAL_FRAME_HEADER_LEN: usize = 24;

/// A WAL-mode source database that never checkpoints, so its WAL holds every transaction.
pub struct WalSource {
    _dir: tempfile::TempDir,
    pub conn: Connection,
    wal_path: PathBuf,
    page_size: usize,
    /// Offset just past the last commit frame read so far.
    committed_offset: u64,
    /// WAL frame index (1-based) of that commit frame.
    frame_no: u64,
}

impl WalSource {
    pub fn new(page_size: usize) -> WalSource {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("source.db");
        let conn = Connection::open(&path).unwrap();
        conn.execute_batch(&format!(
            "PRAGMA page_size = {page_size}; PRAGMA journal_mode = WAL; PRAGMA wal_autocheckpoint = 0; \
             PRAGMA cache_size = 8;"
        ))
        .unwrap();
        let wal_path = dir.path().join("source.db-wal");
        WalSource { _dir: dir, conn, wal_path, page_size, committed_offset: WAL_HEADER_LEN, frame_no: 0 }
    }

    /// Every transaction committed to the WAL since the last call, oldest first. Frames after the
    /// last commit frame belong to a transaction whose commit has not arrived: they are left for a
    /// later call (SQLite may still rewrite them in place).
    pub fn committed(&mut self) -> Vec<CommittedPages> {
        let wal = fs::read(&self.wal_path).unwrap_or_default();
        let frame_len = WAL_FRAME_HEADER_LEN + self.page_size;
        let mut out = Vec::new();
        let mut pending = Vec::new();
        let mut at = self.committed_offset as usize;
        let mut frame_no = self.frame_no;
        while at + frame_len <= wal.len() {
            let header = &wal[at..at + WAL_FRAME_HEADER_LEN];
            let pgno = u32::from_be_bytes(header[0..4].try_into().unwrap());
            let db_size = u32::from_be_bytes(header[4..8].try_into().unwrap());
            pending.push(Page { pgno, data: wal[at + WAL_FRAME_HEADER_LEN..at + frame_len].to_vec() });
            at += frame_len;
            frame_no += 1;
            if db_size != 0 {
                out.push(CommittedPages {
                    replace: false,
                    position: Position::Http { generation: Generation(1), frame_no: FrameNo(frame_no) },
                    db_size_pages: db_size,
                    pages: std::mem::take(&mut pending),
                    dropped: Vec::new(),
                });
                self.committed_offset = at as u64;
                self.frame_no = frame_no;
            }
        }
        out
    }

    /// The source's current database image.
    pub fn image(&mut self) -> Vec<u8> {
        self.conn.serialize("main").unwrap().to_vec()
    }

    pub fn rows(&self, sql: &str) -> Rows {
        let mut stmt = self.conn.prepare(sql).unwrap();
        let width = stmt.column_count();
        let columns = stmt.column_names().map(str::to_string).collect();
        let decltypes = stmt.columns().map(|c| c.decl_type().map(str::to_string)).collect();
        let rows = stmt
            .query_map([], |row| (0..width).map(|i| row.get_ref(i).map(Value::from)).collect())
            .unwrap()
            .collect::<Result<Vec<Vec<Value>>, _>>()
            .unwrap();
        Rows { columns, decltypes, rows }
    }
}

/// `image` with the header bytes the replica owns zeroed.
pub fn mask(mut image: Vec<u8>) -> Vec<u8> {
    for r in PATCHED_RANGES {
        if image.len() >= r.end {
            image[r].fill(0);
        }
    }
    image
}

/// Asserts the replica holds the source's pages (but for `PATCHED_RANGES`) and answers `queries`
/// exactly like it, and that SQLite finds the replica's database intact.
pub fn assert_same(replica: &mut Replica, source: &mut WalSource, queries: &[&str]) {
    let (ours, theirs) = (mask(replica.export()), mask(source.image()));
    assert_eq!(ours.len(), theirs.len(), "database sizes differ");
    if let Some(i) = ours.iter().zip(&theirs).position(|(a, b)| a != b) {
        panic!("page bytes differ at offset {i} (page {})", i / source.page_size + 1);
    }
    for q in queries {
        assert_eq!(replica.query(q, &[]).unwrap(), source.rows(q), "{q}");
    }
    let check = replica.query("PRAGMA integrity_check", &[]).unwrap();
    assert_eq!(check.rows, vec![vec![Value::Text("ok".into())]]);
}
