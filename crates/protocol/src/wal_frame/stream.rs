//! `WalFrameDecoder`: consecutive SQLite WAL frames of a known page size (a Turso HTTP sync
//! `/sync` body) decoded as the body arrives, holding at most one frame plus the chunk being read.

use super::{WalFrame, WAL_FRAME_HEADER_LEN};
use crate::chunks::Pending;
use crate::error::{Error, Result};
use crate::frame::is_valid_page_size;

/// Decodes a body of whole WAL frames.
#[derive(Debug)]
pub struct WalFrameDecoder {
    frame_len: usize,
    pending: Pending,
}

impl WalFrameDecoder {
    /// A decoder for frames of `page_size` pages.
    pub fn new(page_size: usize) -> Result<Self> {
        if !is_valid_page_size(page_size) {
            return Err(Error::InvalidField { field: "WAL page size", value: page_size.to_string() });
        }
        Ok(Self { frame_len: WAL_FRAME_HEADER_LEN + page_size, pending: Pending::default() })
    }

    /// Feeds the next bytes; calls `on_frame` for every frame completed, in order. The callback may
    /// stop the decoder with an error of its own type, which `feed` returns.
    pub fn feed<E: From<Error>>(
        &mut self,
        chunk: &[u8],
        mut on_frame: impl FnMut(WalFrame) -> std::result::Result<(), E>,
    ) -> std::result::Result<(), E> {
        self.pending.push(chunk);
        while let Some(bytes) = self.pending.take(self.frame_len) {
            on_frame(WalFrame::decode(&bytes)?)?;
        }
        Ok(())
    }

    /// Checks that the body ended on a frame boundary.
    pub fn finish(&self) -> Result<()> {
        if !self.pending.is_empty() {
            return Err(Error::Truncated { what: "WAL frame", needed: self.frame_len, got: self.pending.len() });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use super::*;
    use crate::wal_frame::{WalFrameEncoder, WalHeader};

    fn body(frames: u32) -> (Vec<WalFrame>, Vec<u8>) {
        let mut enc = WalFrameEncoder::new(&WalHeader::new(4096, 0, 1, 2));
        let frames: Vec<WalFrame> =
            (1..=frames).map(|n| enc.next_frame(n, if n == frames { n } else { 0 }, vec![n as u8; 4096])).collect();
        let bytes = frames.iter().flat_map(WalFrame::encode).collect();
        (frames, bytes)
    }

    #[test]
    fn frames_decode_at_every_chunk_size() {
        let (frames, bytes) = body(3);
        for step in [1, 23, 24, 4119, 4120, 4121, 10_000, bytes.len()] {
            let mut d = WalFrameDecoder::new(4096).unwrap();
            let mut got = Vec::new();
            for chunk in bytes.chunks(step) {
                d.feed(chunk, |f| {
                    got.push(f);
                    Ok::<_, Error>(())
                })
                .unwrap();
            }
            d.finish().unwrap();
            assert_eq!(got, frames, "step {step}");
        }
    }

    #[test]
    fn truncated_body_and_bad_page_size_are_errors() {
        let (_, bytes) = body(2);
        let mut d = WalFrameDecoder::new(4096).unwrap();
        d.feed(&bytes[..5000], |_| Ok::<_, Error>(())).unwrap();
        assert_eq!(d.finish().unwrap_err().code(), "TRUNCATED");
        assert_eq!(WalFrameDecoder::new(1000).unwrap_err().code(), "INVALID_FIELD");
        assert_eq!(WalFrameDecoder::new(usize::MAX).unwrap_err().code(), "INVALID_FIELD");
    }
}
