//! Snapshot manifests (`crates/protocol/src/snapshot.rs`): the bytes come from a store other
//! isolates write, so any bytes must decode or fail with an error, never panic or allocate from a
//! count field; what decodes encodes back to the same bytes; and every chunk range it names lies
//! within the database.
#![no_main]
use libfuzzer_sys::fuzz_target;
use libsql_edge_protocol::snapshot::Manifest;

fuzz_target!(|data: &[u8]| {
    let Ok(manifest) = Manifest::decode(data) else { return };
    assert_eq!(manifest.encode(), data, "a decoded manifest encodes to the bytes it came from");
    let mut covered = 0u64;
    for i in 0..manifest.chunks.len() as u32 {
        let (first, count) = manifest.chunk_range(i);
        assert!(count > 0 && u64::from(first) + u64::from(count) - 1 <= u64::from(manifest.page_count));
        covered += u64::from(count);
    }
    assert_eq!(covered, u64::from(manifest.page_count), "the chunks cover the database exactly");
});
