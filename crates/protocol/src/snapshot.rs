//! The snapshot tier's format: a manifest naming a replica image at a position, and chunks of fixed
//! page ranges, content-addressed by their SHA-256. Chunks are uploaded first and the manifest last,
//! so a reader never finds a manifest whose chunks were not written (a store may still evict them:
//! a missing or damaged chunk makes the reader fall back to the primary).
//!
//! Keys (relative to a store; `<database>` is 16 lowercase hex digits of the database id):
//! - `<database>/manifest`: the newest manifest of the database (overwritten);
//! - `<database>/chunk/<sha256 hex>`: a chunk, named by its content.
//!
//! Manifest, all integers little-endian:
//!
//! | offset        | width        | field                                                      |
//! |---------------|--------------|------------------------------------------------------------|
//! | 0             | 4            | magic `"LESM"`                                             |
//! | 4             | 2            | format version, u16 (1)                                    |
//! | 6             | 1            | protocol: 0 sqld, 1 Turso HTTP sync, 2 Turso Sync          |
//! | 7             | 1            | reserved, 0                                                |
//! | 8             | 8            | database id, u64                                           |
//! | 16            | 8            | created at, ms since the epoch, u64                        |
//! | 24            | 4            | page size in bytes, u32 (a power of two, 512..=65536)       |
//! | 28            | 4            | page count, u32 (the database size)                        |
//! | 32            | 4            | pages per chunk, u32 (the last chunk may hold fewer)       |
//! | 36            | 4            | chunk count, u32 (= ceil(page count / pages per chunk))   |
//! | 40            | 2            | position length `n`, u16                                   |
//! | 42            | n            | position, UTF-8, the `Position` text form                  |
//! | 42 + n        | 32 × chunks  | SHA-256 of each chunk, in page order                       |
//! | end − 8       | 8            | CRC-64 (`crc64`, seed 0) of every byte before it, u64      |
//!
//! A chunk is the raw page images of its range, concatenated (page `i * pages_per_chunk + 1` first).

use crate::crc64::crc64_chain;
use crate::error::{Error, Result};
use crate::frame::is_valid_page_size;
use crate::Position;

/// The manifest's magic.
pub const MAGIC: &[u8; 4] = b"LESM";
/// The format version this crate writes and reads.
pub const VERSION: u16 = 1;
/// Bytes of a chunk digest (SHA-256).
pub const DIGEST_LEN: usize = 32;
/// The most chunks a manifest may list (a 64 MiB-per-chunk, 4-billion-page database is far beyond
/// any replica; this bounds what a decoder allocates from a count field).
pub const MAX_CHUNKS: u32 = 1 << 20;

const HEADER_LEN: usize = 42;
const TRAILER_LEN: usize = 8;

/// Which sync protocol the position belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SnapshotProtocol {
    /// sqld gRPC replication.
    Sqld = 0,
    /// Turso HTTP sync.
    HttpSync = 1,
    /// Turso Sync `/pull-updates`.
    PullUpdates = 2,
}

impl SnapshotProtocol {
    fn from_byte(b: u8) -> Option<Self> {
        match b {
            0 => Some(Self::Sqld),
            1 => Some(Self::HttpSync),
            2 => Some(Self::PullUpdates),
            _ => None,
        }
    }
}

/// A decoded manifest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Manifest {
    /// The protocol of `position`.
    pub protocol: SnapshotProtocol,
    /// The database id.
    pub database: u64,
    /// When it was made, ms since the epoch.
    pub created_at_ms: u64,
    /// Page size in bytes.
    pub page_size: u32,
    /// Database size in pages.
    pub page_count: u32,
    /// Pages per chunk.
    pub chunk_pages: u32,
    /// Where the image stands.
    pub position: Position,
    /// SHA-256 of each chunk.
    pub chunks: Vec<[u8; DIGEST_LEN]>,
}

fn invalid(value: impl Into<String>) -> Error {
    Error::InvalidField { field: "snapshot manifest", value: value.into() }
}

fn u16_at(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([b[at], b[at + 1]])
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

fn u64_at(b: &[u8], at: usize) -> u64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(&b[at..at + 8]);
    u64::from_le_bytes(a)
}

/// The number of chunks of `page_count` pages cut in chunks of `chunk_pages`.
pub fn chunk_count(page_count: u32, chunk_pages: u32) -> u32 {
    if chunk_pages == 0 {
        return 0;
    }
    page_count.div_ceil(chunk_pages)
}

impl Manifest {
    /// Bytes of the whole image.
    pub fn image_bytes(&self) -> u64 {
        u64::from(self.page_count) * u64::from(self.page_size)
    }

    /// The pages of chunk `index`: first page number (1-based) and how many.
    pub fn chunk_range(&self, index: u32) -> (u32, u32) {
        let before = index.saturating_mul(self.chunk_pages);
        (before.saturating_add(1), self.chunk_pages.min(self.page_count.saturating_sub(before)))
    }

    /// The encoded manifest.
    pub fn encode(&self) -> Vec<u8> {
        let position = self.position.to_string();
        let mut out = Vec::with_capacity(HEADER_LEN + position.len() + self.chunks.len() * DIGEST_LEN + TRAILER_LEN);
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&VERSION.to_le_bytes());
        out.push(self.protocol as u8);
        out.push(0);
        out.extend_from_slice(&self.database.to_le_bytes());
        out.extend_from_slice(&self.created_at_ms.to_le_bytes());
        out.extend_from_slice(&self.page_size.to_le_bytes());
        out.extend_from_slice(&self.page_count.to_le_bytes());
        out.extend_from_slice(&self.chunk_pages.to_le_bytes());
        out.extend_from_slice(&(self.chunks.len() as u32).to_le_bytes());
        out.extend_from_slice(&(position.len() as u16).to_le_bytes());
        out.extend_from_slice(position.as_bytes());
        for c in &self.chunks {
            out.extend_from_slice(c);
        }
        let crc = crc64_chain(0, &out);
        out.extend_from_slice(&crc.to_le_bytes());
        out
    }

    /// Decodes and validates a manifest: magic, version, checksum, a valid page size, a chunk
    /// count that matches the page count, a position that parses. Allocates only what the bytes
    /// hold.
    pub fn decode(bytes: &[u8]) -> Result<Manifest> {
        if bytes.len() < HEADER_LEN + TRAILER_LEN {
            return Err(Error::Truncated {
                what: "snapshot manifest",
                needed: HEADER_LEN + TRAILER_LEN,
                got: bytes.len(),
            });
        }
        let (body, trailer) = bytes.split_at(bytes.len() - TRAILER_LEN);
        if &body[..4] != MAGIC {
            return Err(invalid("bad magic"));
        }
        if u16_at(body, 4) != VERSION {
            return Err(invalid(format!("format version {}", u16_at(body, 4))));
        }
        if crc64_chain(0, body) != u64_at(trailer, 0) {
            return Err(invalid("checksum mismatch"));
        }
        let protocol = SnapshotProtocol::from_byte(body[6]).ok_or_else(|| invalid(format!("protocol {}", body[6])))?;
        let (page_size, page_count, chunk_pages, chunks) =
            (u32_at(body, 24), u32_at(body, 28), u32_at(body, 32), u32_at(body, 36));
        if !is_valid_page_size(page_size as usize) {
            return Err(invalid(format!("page size {page_size}")));
        }
        if chunk_pages == 0 || chunks > MAX_CHUNKS || chunks != chunk_count(page_count, chunk_pages) {
            return Err(invalid(format!("{chunks} chunks of {chunk_pages} pages for {page_count} pages")));
        }
        let n = u16_at(body, 40) as usize;
        let digests = chunks as usize * DIGEST_LEN;
        if body.len() != HEADER_LEN + n + digests {
            return Err(invalid(format!("length {} for a {n}-byte position and {chunks} chunks", bytes.len())));
        }
        let text =
            std::str::from_utf8(&body[HEADER_LEN..HEADER_LEN + n]).map_err(|_| invalid("position is not UTF-8"))?;
        let position: Position = text.parse()?;
        let chunks = body[HEADER_LEN + n..]
            .chunks_exact(DIGEST_LEN)
            .map(|c| {
                let mut d = [0u8; DIGEST_LEN];
                d.copy_from_slice(c);
                d
            })
            .collect();
        Ok(Manifest {
            protocol,
            database: u64_at(body, 8),
            created_at_ms: u64_at(body, 16),
            page_size,
            page_count,
            chunk_pages,
            position,
            chunks,
        })
    }
}

/// `<database>/manifest`.
pub fn manifest_key(database: u64) -> String {
    format!("{database:016x}/manifest")
}

/// `<database>/chunk/<sha256 hex>`.
pub fn chunk_key(database: u64, digest: &[u8; DIGEST_LEN]) -> String {
    let mut key = format!("{database:016x}/chunk/");
    for b in digest {
        key.push_str(&format!("{b:02x}"));
    }
    key
}

#[cfg(test)]
mod tests {
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use super::*;
    use crate::{FrameNo, LogId};

    fn manifest() -> Manifest {
        Manifest {
            protocol: SnapshotProtocol::Sqld,
            database: 0x1234_5678_9abc_def0,
            created_at_ms: 1_764_500_000_000,
            page_size: 4096,
            page_count: 10,
            chunk_pages: 4,
            position: Position::Sqld { log_id: LogId(7), frame_no: FrameNo(99) },
            chunks: vec![[1; 32], [2; 32], [3; 32]],
        }
    }

    #[test]
    fn manifest_round_trips_and_names_its_ranges() {
        let m = manifest();
        assert_eq!(Manifest::decode(&m.encode()).unwrap(), m);
        assert_eq!((m.chunk_range(0), m.chunk_range(2)), ((1, 4), (9, 2)));
        assert_eq!(manifest_key(m.database), "123456789abcdef0/manifest");
        assert!(chunk_key(m.database, &[0xab; 32]).ends_with(&"ab".repeat(32)));
    }

    #[test]
    fn damaged_truncated_and_inconsistent_manifests_are_refused() {
        let good = manifest().encode();
        for cut in [0, 10, 41, good.len() - 1] {
            assert!(Manifest::decode(&good[..cut]).is_err(), "cut {cut}");
        }
        for at in [0, 4, 6, 24, 30, 36, 45, good.len() - 40, good.len() - 1] {
            let mut bad = good.clone();
            bad[at] ^= 0x40;
            assert!(Manifest::decode(&bad).is_err(), "flip at {at}");
        }
        let mut m = manifest();
        m.chunks.pop();
        assert_eq!(Manifest::decode(&m.encode()).unwrap_err().code(), "INVALID_FIELD", "too few chunks");
        let mut m = manifest();
        m.page_size = 1000;
        assert!(Manifest::decode(&m.encode()).is_err());
    }
}
