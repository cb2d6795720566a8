//! SQLite WAL frames and the WAL file header (big-endian), as served by Turso Cloud HTTP sync
//! (`/sync/{generation}/{start}/{end}` bodies) and as written by SQLite itself.
//!
//! WAL header, 32 bytes, all u32be:
//!
//! | offset | field | notes |
//! |---|---|---|
//! | 0 | magic | `0x377f0682` (checksums over little-endian words) or `0x377f0683` (big-endian words) |
//! | 4 | format version | 3007000 |
//! | 8 | page size | |
//! | 12 | checkpoint sequence | |
//! | 16 | salt-1 | |
//! | 20 | salt-2 | |
//! | 24 | checksum-1 | over bytes 0..24 |
//! | 28 | checksum-2 | |
//!
//! Frame header, 24 bytes, all u32be: page number (0), db size after commit or 0 (4), salt-1 (8),
//! salt-2 (12), checksum-1 (16), checksum-2 (20); then the page. The checksums are SQLite's
//! cumulative Fletcher-like sums over the frame header's first 8 bytes and the page, seeded with
//! the previous frame's (or the WAL header's) checksums. The low bit of the magic selects the word
//! byte order: 0 = little-endian words, 1 = big-endian words.

use crate::error::{Error, Result};
use crate::frame::{arr4, is_valid_page_size};

mod stream;

pub use stream::WalFrameDecoder;

/// Size of the WAL file header.
pub const WAL_HEADER_LEN: usize = 32;
/// Size of a WAL frame header.
pub const WAL_FRAME_HEADER_LEN: usize = 24;
/// WAL magic with checksums over little-endian words.
pub const WAL_MAGIC_LE: u32 = 0x377f_0682;
/// WAL magic with checksums over big-endian words.
pub const WAL_MAGIC_BE: u32 = 0x377f_0683;
/// The WAL format version SQLite writes.
pub const WAL_FORMAT_VERSION: u32 = 3_007_000;

/// The 32-byte WAL file header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WalHeader {
    /// Offset 0: `WAL_MAGIC_LE` or `WAL_MAGIC_BE`.
    pub magic: u32,
    /// Offset 4: format version (3007000).
    pub version: u32,
    /// Offset 8: page size.
    pub page_size: u32,
    /// Offset 12: checkpoint sequence number.
    pub checkpoint_seq: u32,
    /// Offset 16: salt-1.
    pub salt1: u32,
    /// Offset 20: salt-2.
    pub salt2: u32,
    /// Offset 24: checksum-1 over bytes 0..24.
    pub checksum1: u32,
    /// Offset 28: checksum-2.
    pub checksum2: u32,
}

impl WalHeader {
    /// A header with valid checksums for the given fields.
    pub fn new(page_size: u32, checkpoint_seq: u32, salt1: u32, salt2: u32) -> Self {
        let mut h = Self {
            magic: WAL_MAGIC_LE,
            version: WAL_FORMAT_VERSION,
            page_size,
            checkpoint_seq,
            salt1,
            salt2,
            checksum1: 0,
            checksum2: 0,
        };
        let (c1, c2) = wal_checksum(h.big_endian_words(), (0, 0), &h.encode()[..24]);
        h.checksum1 = c1;
        h.checksum2 = c2;
        h
    }

    /// Whether the checksums are computed over big-endian words (low bit of the magic).
    pub fn big_endian_words(&self) -> bool {
        self.magic & 1 == 1
    }

    /// Encodes the 32 bytes.
    pub fn encode(&self) -> [u8; WAL_HEADER_LEN] {
        let mut out = [0u8; WAL_HEADER_LEN];
        let fields = [
            self.magic,
            self.version,
            self.page_size,
            self.checkpoint_seq,
            self.salt1,
            self.salt2,
            self.checksum1,
            self.checksum2,
        ];
        for (i, f) in fields.iter().enumerate() {
            out[i * 4..i * 4 + 4].copy_from_slice(&f.to_be_bytes());
        }
        out
    }

    /// Decodes and validates magic, page size and header checksum.
    pub fn decode(bytes: &[u8]) -> Result<Self> {
        let b = bytes.get(..WAL_HEADER_LEN).ok_or(Error::Truncated {
            what: "WAL header",
            needed: WAL_HEADER_LEN,
            got: bytes.len(),
        })?;
        let w = |i: usize| u32::from_be_bytes(arr4(&b[i * 4..]));
        let h = Self {
            magic: w(0),
            version: w(1),
            page_size: w(2),
            checkpoint_seq: w(3),
            salt1: w(4),
            salt2: w(5),
            checksum1: w(6),
            checksum2: w(7),
        };
        if h.magic != WAL_MAGIC_LE && h.magic != WAL_MAGIC_BE {
            return Err(Error::InvalidField { field: "WAL magic", value: format!("{:#x}", h.magic) });
        }
        if !is_valid_page_size(h.page_size as usize) {
            return Err(Error::InvalidField { field: "WAL page size", value: h.page_size.to_string() });
        }
        if wal_checksum(h.big_endian_words(), (0, 0), &b[..24]) != (h.checksum1, h.checksum2) {
            return Err(Error::InvalidField { field: "WAL header checksum", value: "mismatch".into() });
        }
        Ok(h)
    }
}

/// The 24-byte header of a WAL frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WalFrameHeader {
    /// Offset 0, u32be: page number (1-based).
    pub page_no: u32,
    /// Offset 4, u32be: database size in pages after this commit; 0 if not a commit frame.
    pub db_size: u32,
    /// Offset 8, u32be: salt-1 copied from the WAL header.
    pub salt1: u32,
    /// Offset 12, u32be: salt-2.
    pub salt2: u32,
    /// Offset 16, u32be: cumulative checksum-1.
    pub checksum1: u32,
    /// Offset 20, u32be: cumulative checksum-2.
    pub checksum2: u32,
}

impl WalFrameHeader {
    /// Whether this frame is a commit frame.
    pub fn is_commit(&self) -> bool {
        self.db_size != 0
    }

    /// Encodes the 24 bytes.
    pub fn encode(&self) -> [u8; WAL_FRAME_HEADER_LEN] {
        let mut out = [0u8; WAL_FRAME_HEADER_LEN];
        let fields = [self.page_no, self.db_size, self.salt1, self.salt2, self.checksum1, self.checksum2];
        for (i, f) in fields.iter().enumerate() {
            out[i * 4..i * 4 + 4].copy_from_slice(&f.to_be_bytes());
        }
        out
    }

    /// Decodes the first 24 bytes.
    pub fn decode(bytes: &[u8]) -> Result<Self> {
        let b = bytes.get(..WAL_FRAME_HEADER_LEN).ok_or(Error::Truncated {
            what: "WAL frame header",
            needed: WAL_FRAME_HEADER_LEN,
            got: bytes.len(),
        })?;
        let w = |i: usize| u32::from_be_bytes(arr4(&b[i * 4..]));
        Ok(Self { page_no: w(0), db_size: w(1), salt1: w(2), salt2: w(3), checksum1: w(4), checksum2: w(5) })
    }
}

/// A whole WAL frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WalFrame {
    /// The header.
    pub header: WalFrameHeader,
    /// The page image.
    pub page: Vec<u8>,
}

impl WalFrame {
    /// Encodes header and page.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(WAL_FRAME_HEADER_LEN + self.page.len());
        out.extend_from_slice(&self.header.encode());
        out.extend_from_slice(&self.page);
        out
    }

    /// Decodes one frame filling `bytes` exactly (header + a valid page size).
    pub fn decode(bytes: &[u8]) -> Result<Self> {
        let header = WalFrameHeader::decode(bytes)?;
        let page = &bytes[WAL_FRAME_HEADER_LEN..];
        if !is_valid_page_size(page.len()) {
            return Err(Error::InvalidFrameLen { len: bytes.len() });
        }
        Ok(Self { header, page: page.to_vec() })
    }

    /// Splits a body of consecutive frames of `page_size` pages (`/sync` replies). The body must be
    /// a non-empty whole number of frames.
    pub fn decode_many(body: &[u8], page_size: usize) -> Result<Vec<Self>> {
        // Validate the page size before adding to it: an arbitrary `page_size` could overflow.
        if body.is_empty() || !is_valid_page_size(page_size) {
            return Err(Error::InvalidFrameLen { len: body.len() });
        }
        let len = WAL_FRAME_HEADER_LEN + page_size;
        if !body.len().is_multiple_of(len) {
            return Err(Error::InvalidFrameLen { len: body.len() });
        }
        body.chunks(len).map(Self::decode).collect()
    }
}

/// Builds frames that chain SQLite's checksums from a WAL header, as SQLite would write them.
#[derive(Debug, Clone)]
pub struct WalFrameEncoder {
    big_endian_words: bool,
    salt1: u32,
    salt2: u32,
    checksum: (u32, u32),
}

impl WalFrameEncoder {
    /// Starts a chain after `header`.
    pub fn new(header: &WalHeader) -> Self {
        Self {
            big_endian_words: header.big_endian_words(),
            salt1: header.salt1,
            salt2: header.salt2,
            checksum: (header.checksum1, header.checksum2),
        }
    }

    /// The running checksum (that of the last frame produced, or the header's).
    pub fn checksum(&self) -> (u32, u32) {
        self.checksum
    }

    /// Resumes a chain whose last checksum is known.
    pub fn resume(header: &WalHeader, checksum: (u32, u32)) -> Self {
        let mut e = Self::new(header);
        e.checksum = checksum;
        e
    }

    /// Produces the next frame.
    pub fn next_frame(&mut self, page_no: u32, db_size: u32, page: Vec<u8>) -> WalFrame {
        let mut header =
            WalFrameHeader { page_no, db_size, salt1: self.salt1, salt2: self.salt2, checksum1: 0, checksum2: 0 };
        let c = wal_checksum(self.big_endian_words, self.checksum, &header.encode()[..8]);
        let c = wal_checksum(self.big_endian_words, c, &page);
        header.checksum1 = c.0;
        header.checksum2 = c.1;
        self.checksum = c;
        WalFrame { header, page }
    }

    /// Checks that `frame` is the next valid frame of this chain (salts and checksums) and, if so,
    /// advances the chain. This is how SQLite decides which WAL frames are valid.
    pub fn accept(&mut self, header: &WalFrameHeader, page: &[u8]) -> bool {
        if header.salt1 != self.salt1 || header.salt2 != self.salt2 {
            return false;
        }
        let c = wal_checksum(self.big_endian_words, self.checksum, &header.encode()[..8]);
        let c = wal_checksum(self.big_endian_words, c, page);
        if c != (header.checksum1, header.checksum2) {
            return false;
        }
        self.checksum = c;
        true
    }
}

/// SQLite's WAL checksum over `data` (a multiple of 8 bytes), seeded with `seed`.
pub fn wal_checksum(big_endian_words: bool, seed: (u32, u32), data: &[u8]) -> (u32, u32) {
    let (mut s1, mut s2) = seed;
    for chunk in data.chunks_exact(8) {
        let (x0, x1) = if big_endian_words {
            (u32::from_be_bytes(arr4(&chunk[0..4])), u32::from_be_bytes(arr4(&chunk[4..8])))
        } else {
            (u32::from_le_bytes(arr4(&chunk[0..4])), u32::from_le_bytes(arr4(&chunk[4..8])))
        };
        s1 = s1.wrapping_add(x0).wrapping_add(s2);
        s2 = s2.wrapping_add(x1).wrapping_add(s1);
    }
    (s1, s2)
}

#[cfg(test)]
mod tests {
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use super::*;

    #[test]
    fn wal_header_round_trip_validates_checksum() {
        let h = WalHeader::new(4096, 3, 0x1234, 0x5678);
        let b = h.encode();
        assert_eq!(&b[0..4], &[0x37, 0x7f, 0x06, 0x82]);
        assert_eq!(WalHeader::decode(&b).unwrap(), h);
        let mut bad = b;
        bad[20] ^= 1;
        assert!(WalHeader::decode(&bad).is_err());
        assert!(matches!(WalHeader::decode(&b[..31]), Err(Error::Truncated { .. })));
        assert!(WalHeader::decode(&[0xff; 32]).is_err());
    }

    #[test]
    fn wal_frames_chain_and_are_accepted_in_order_only() {
        let h = WalHeader::new(4096, 0, 1, 2);
        let mut enc = WalFrameEncoder::new(&h);
        let f1 = enc.next_frame(1, 0, vec![1; 4096]);
        let f2 = enc.next_frame(2, 2, vec![2; 4096]);
        let body = [f1.encode(), f2.encode()].concat();
        let frames = WalFrame::decode_many(&body, 4096).unwrap();
        assert_eq!(frames, vec![f1.clone(), f2.clone()]);
        assert_eq!(&body[0..8], &[0, 0, 0, 1, 0, 0, 0, 0]);
        assert!(frames[1].header.is_commit());
        let mut check = WalFrameEncoder::new(&h);
        assert!(!check.clone().accept(&f2.header, &f2.page));
        assert!(check.accept(&f1.header, &f1.page));
        assert!(check.accept(&f2.header, &f2.page));
    }

    #[test]
    fn wal_frames_truncated_or_garbage_are_errors() {
        assert!(WalFrame::decode_many(&[], 4096).is_err());
        assert!(WalFrame::decode_many(&[0; 4119], 4096).is_err());
        assert!(WalFrame::decode(&[0; 10]).is_err());
        assert!(WalFrame::decode(&[0; 100]).is_err());
    }

    #[test]
    fn wal_frames_with_absurd_page_size_are_errors_not_overflows() {
        let body = [0u8; 4120];
        for page_size in [usize::MAX, usize::MAX - 23, usize::MAX - 24, 0, 4095] {
            assert!(matches!(WalFrame::decode_many(&body, page_size), Err(Error::InvalidFrameLen { .. })));
        }
    }
}
