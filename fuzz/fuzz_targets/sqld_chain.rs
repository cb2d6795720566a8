//! The CRC-64 chain of sqld replication frames, as `src/sync/sqld.rs` verifies it while it pulls:
//! frames from the input are served by a scripted sqld in two `BatchLogEntries` replies, and the
//! real client syncs a real `Replica` from them. Whatever it accepted must hold up against an
//! independent reference: frame numbers contiguous from 0, every frame chained to the one before
//! it (or seeded with 0 at the start of a reply, after compaction), the position on a commit
//! frame, and the replica's pages exactly the newest images of the accepted frames. A refused sync
//! leaves no trace, and readers never crash on what was installed.
//!
//! Input: `[split] [page size selector] ++ frames`, each frame 24 bytes of header + the page.
#![no_main]
use std::collections::BTreeMap;

use libfuzzer_sys::fuzz_target;
use libsql_edge::protocol::frame::{Frame, FRAME_HEADER_LEN};
use libsql_edge::protocol::Position;
use libsql_edge::sync::{sqld::Sqld, sync_into, Io, SyncTarget};
use libsql_edge::ReplicaConfig;
use libsql_edge_fuzz::exec::block_on;
use libsql_edge_fuzz::input::Input;
use libsql_edge_fuzz::replica_check::{exercise, masked, CheckedSink};
use libsql_edge_fuzz::scripted::{Scripted, BASE_URL};
use libsql_edge_fuzz::sources::CHECK_QUERY;
use libsql_edge_fuzz::sqld;

fuzz_target!(|data: &[u8]| {
    let mut input = Input(data);
    let split = usize::from(input.byte());
    let page_size = 512usize << (input.byte() % 4);
    let chunks: Vec<&[u8]> = input.rest().chunks_exact(FRAME_HEADER_LEN + page_size).collect();
    let split = split.min(chunks.len());
    let batches = [&chunks[..split], &chunks[split..]];

    let mut served = 0;
    let transport = Scripted::new(|request| match sqld::method(request) {
        "Hello" => Some(sqld::hello()),
        "BatchLogEntries" => {
            served += 1;
            Some(sqld::frames(batches.get(served - 1).copied().unwrap_or_default()))
        }
        _ => None,
    });
    let target = SyncTarget::new(BASE_URL, None, 1000);
    let io = Io::new(&transport, &target);
    let sink = CheckedSink::new(ReplicaConfig::default());
    let result = block_on(sync_into(&sink, &mut Sqld::new(), &io, None));
    let mut replica = sink.replica.borrow_mut();

    let Some(position) = replica.position() else {
        assert!(replica.export().is_empty(), "no position but pages ({result:?})");
        return;
    };
    let Position::Sqld { frame_no, log_id } = position else { panic!("not a sqld position: {position}") };
    assert_eq!(log_id.to_string(), sqld::LOG_ID);

    // The reference: every frame served, by frame number, and whether it opened a reply.
    let mut by_no: BTreeMap<u64, (Frame, bool)> = BTreeMap::new();
    for batch in batches {
        for (i, chunk) in batch.iter().enumerate() {
            let Ok(f) = Frame::decode(chunk) else { continue };
            if let Some((old, _)) = by_no.get(&f.header.frame_no) {
                if old != &f {
                    return; // Two different frames with one number: no single reference.
                }
            }
            by_no.insert(f.header.frame_no, (f, i == 0));
        }
    }
    let mut accepted = Vec::new();
    let mut prev = 0u64;
    for n in 0..=frame_no.0 {
        let (f, opens_reply) =
            by_no.get(&n).unwrap_or_else(|| panic!("frame {n} of 0..={} was never served", frame_no.0));
        let chained = f.verify_checksum(prev) || ((n == 0 || *opens_reply) && f.verify_checksum(0));
        assert!(chained, "frame {n} accepted with a broken checksum chain");
        prev = f.header.checksum;
        accepted.push(f.clone());
    }
    assert!(accepted.last().is_some_and(|f| f.header.is_commit()), "position {} is not a commit frame", frame_no.0);
    let expected = sqld::expected_image(&accepted).unwrap_or_else(|| panic!("installed without every page"));
    assert!(masked(&replica.export()) == masked(&expected), "the replica's pages are not the accepted frames' pages");
    exercise(&mut replica, CHECK_QUERY);
});
