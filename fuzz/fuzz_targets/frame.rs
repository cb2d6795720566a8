//! libsql replication frames (`frame.rs`): decode any bytes; a frame that decodes re-encodes to
//! the same bytes, has a valid page size and a non-zero page number.
#![no_main]
use libfuzzer_sys::fuzz_target;
use libsql_edge_protocol::frame::{is_valid_page_size, Frame, FrameHeader, FRAME_HEADER_LEN};

fuzz_target!(|data: &[u8]| {
    let header = FrameHeader::decode(data);
    assert_eq!(header.is_ok(), data.len() >= FRAME_HEADER_LEN);
    match Frame::decode(data) {
        Ok(frame) => {
            assert_eq!(frame.encode(), data, "re-encoding a decoded frame");
            assert_eq!(Ok(frame.header), header);
            assert_eq!(frame.header.encode(), data[..FRAME_HEADER_LEN]);
            assert!(is_valid_page_size(frame.page.len()) && frame.header.page_no != 0);
            // The chain check must agree with a frame rebuilt from the same seed.
            let rebuilt = Frame::new(
                frame.header.frame_no,
                frame.header.checksum,
                frame.header.page_no,
                frame.header.size_after,
                frame.page.clone(),
            );
            assert!(rebuilt.verify_checksum(frame.header.checksum));
        }
        Err(e) => assert!(!e.code().is_empty() && !e.to_string().is_empty()),
    }
});
