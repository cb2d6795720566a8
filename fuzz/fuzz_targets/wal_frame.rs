//! SQLite WAL frames (`wal_frame.rs`): the WAL header, one frame, and `decode_many` over a body
//! with a page size taken from the input; decoded frames re-encode to the input, and SQLite's
//! checksum chain (`WalFrameEncoder::accept`) never panics on them.
//!
//! Input: `[page size selector] ++ body`; the body also serves as a WAL file (header + frames).
#![no_main]
use libfuzzer_sys::fuzz_target;
use libsql_edge_fuzz::input::Input;
use libsql_edge_protocol::wal_frame::{
    WalFrame, WalFrameEncoder, WalFrameHeader, WalHeader, WAL_FRAME_HEADER_LEN, WAL_HEADER_LEN,
};

fuzz_target!(|data: &[u8]| {
    let mut input = Input(data);
    let selector = input.byte();
    let body = input.rest();
    // Mostly the valid sizes 512..65536; sometimes an arbitrary (possibly absurd) one.
    let page_size = match selector {
        0..=127 => 512usize << (selector % 8),
        128..=191 => usize::MAX - usize::from(selector),
        _ => usize::from(selector) * 17,
    };

    if let Ok(frame) = WalFrame::decode(body) {
        assert_eq!(frame.encode(), body);
        assert_eq!(WalFrameHeader::decode(body), Ok(frame.header));
    }
    match WalFrame::decode_many(body, page_size) {
        Ok(frames) => {
            assert_eq!(frames.len() * (WAL_FRAME_HEADER_LEN + page_size), body.len());
            let again: Vec<u8> = frames.iter().flat_map(WalFrame::encode).collect();
            assert_eq!(again, body);
        }
        Err(e) => assert!(!e.to_string().is_empty()),
    }

    // As a WAL file: a valid header, then as many whole frames of its page size as follow.
    if let Ok(header) = WalHeader::decode(body) {
        assert_eq!(header.encode(), body[..WAL_HEADER_LEN]);
        let frames = &body[WAL_HEADER_LEN..];
        let len = WAL_FRAME_HEADER_LEN + header.page_size as usize;
        let whole = frames.len() / len * len;
        if whole > 0 {
            let decoded = WalFrame::decode_many(&frames[..whole], header.page_size as usize)
                .unwrap_or_else(|e| panic!("whole frames of the header's page size refused: {e}"));
            let mut chain = WalFrameEncoder::new(&header);
            for f in &decoded {
                if !chain.accept(&f.header, &f.page) {
                    break;
                }
            }
        }
    }
});
