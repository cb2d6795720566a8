//! Hrana's base64 (`base64.rs`): any text decodes or fails cleanly; bytes survive encode + decode;
//! a decoded value re-encodes to text that decodes to the same bytes; padding never changes the
//! result.
#![no_main]
use libfuzzer_sys::fuzz_target;
use libsql_edge_protocol::base64::{decode, encode_unpadded};

fuzz_target!(|data: &[u8]| {
    assert_eq!(decode(&encode_unpadded(data)).as_deref(), Ok(data));
    let text = String::from_utf8_lossy(data);
    if let Ok(bytes) = decode(&text) {
        assert!(bytes.len() <= text.len() / 4 * 3 + 2);
        let unpadded = text.trim_end_matches('=');
        assert_eq!(decode(unpadded).as_ref(), Ok(&bytes));
        assert_eq!(decode(&encode_unpadded(&bytes)), Ok(bytes));
    }
});
