//! The `/pull-updates` page selector (`pull_updates/selector.rs`): a RoaringBitmap in the portable
//! format without run containers. Checked against the `roaring` crate (the reference
//! implementation's format): the bytes we send must deserialize to exactly the page ids we meant.
//!
//! Input: page ids as little-endian u32s (mostly small, so containers fill up).
#![no_main]
use std::collections::BTreeSet;

use libfuzzer_sys::fuzz_target;
use libsql_edge_protocol::pull_updates::pages_selector;
use roaring::RoaringBitmap;

fuzz_target!(|data: &[u8]| {
    let mut ids = Vec::new();
    // At most 5000 ids: enough for a bitmap container (over 4096 ids) and many containers.
    for c in data.chunks_exact(4).take(1024) {
        if ids.len() > 5_000 {
            break;
        }
        let raw = u32::from_le_bytes([c[0], c[1], c[2], c[3]]);
        // The top bit of the first byte widens the range: ranges of ids, small ids, or any u32.
        match c[0] & 0xc0 {
            0x00 => ids.extend((raw >> 8) % 70_000..((raw >> 8) % 70_000 + u32::from(c[1]) * 20)),
            0x40 => ids.push(raw % 140_000),
            _ => ids.push(raw),
        }
    }
    let bytes = pages_selector(&ids);
    let expected: BTreeSet<u32> = ids.iter().copied().collect();
    if expected.is_empty() {
        assert!(bytes.is_empty(), "an empty set is the empty selector (all pages)");
        return;
    }
    let bitmap = RoaringBitmap::deserialize_from(&bytes[..])
        .unwrap_or_else(|e| panic!("roaring refused our selector for {} ids: {e}", expected.len()));
    let got: BTreeSet<u32> = bitmap.iter().collect();
    assert_eq!(got, expected);
    // The reference serialization of the same set is the same bytes.
    let mut reference = Vec::new();
    if bitmap.serialize_into(&mut reference).is_ok() && reference[..4] == bytes[..4] {
        assert_eq!(reference, bytes, "differs from roaring's own serialization");
    }
});
