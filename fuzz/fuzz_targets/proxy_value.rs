//! The bincode encoding of proxy values (`proxy/value.rs`): decoding is strict, so anything that
//! decodes re-encodes to exactly the same bytes; a length field never makes it allocate more than
//! the input holds.
#![no_main]
use libfuzzer_sys::fuzz_target;
use libsql_edge_protocol::proxy::{decode_value, encode_value};

fuzz_target!(|data: &[u8]| {
    match decode_value(data) {
        Ok(value) => assert_eq!(encode_value(&value), data),
        Err(e) => assert!(!e.code().is_empty()),
    }
});
