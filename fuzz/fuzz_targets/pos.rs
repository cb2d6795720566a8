//! Position text forms (`pos.rs`, `FromStr`): positions come back from bookmarks and cookies, so
//! any text must parse or fail with `INVALID_POSITION`; what parses prints back to text that
//! parses to the same position; and every position prints to text that parses back to it.
//!
//! Input: text to parse; the same bytes also build a position to print.
#![no_main]
use libfuzzer_sys::arbitrary::{Arbitrary, Unstructured};
use libfuzzer_sys::fuzz_target;
use libsql_edge_protocol::{FrameNo, Generation, LogId, Position, Revision};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    match text.parse::<Position>() {
        Ok(p) => assert_eq!(p.to_string().parse::<Position>().as_ref(), Ok(&p), "{text:?}"),
        Err(e) => assert_eq!(e.code(), "INVALID_POSITION"),
    }
    if let Ok(id) = text.parse::<LogId>() {
        assert_eq!(id.to_string().parse::<LogId>(), Ok(id));
    }

    let mut u = Unstructured::new(data);
    let built = match u8::arbitrary(&mut u).unwrap_or(0) % 3 {
        0 => Position::Sqld {
            log_id: LogId(u128::arbitrary(&mut u).unwrap_or(0)),
            frame_no: FrameNo(u64::arbitrary(&mut u).unwrap_or(0)),
        },
        1 => Position::Http {
            generation: Generation(u32::arbitrary(&mut u).unwrap_or(0)),
            frame_no: FrameNo(u64::arbitrary(&mut u).unwrap_or(0)),
        },
        _ => Position::Revision(Revision(String::arbitrary(&mut u).unwrap_or_default())),
    };
    assert_eq!(built.to_string().parse::<Position>().as_ref(), Ok(&built));
});
