//! sqld replication end to end (`src/sync/sqld.rs` over `grpc_web.rs` and `replication_log.rs`):
//! a scripted sqld answers one call with raw bytes from the input, the real client syncs a real
//! `Replica`. The sync must end (Ok or an error, never a panic or a hang); a refused pull leaves
//! the replica exactly as it was; what is installed can be read without a crash.
//!
//! Input: `[mode] ++ body`. Mode 0: the first `BatchLogEntries` reply body. Mode 1: the `Snapshot`
//! reply body after `NEED_SNAPSHOT`. Mode 2: the `Hello` reply body. Mode 3: the
//! `BatchLogEntries` reply is trailers-only, the body giving `grpc-status`, `\n`, `grpc-message`.
#![no_main]
use libfuzzer_sys::fuzz_target;
use libsql_edge::sync::{sqld::Sqld, sync_into, Io, SyncTarget};
use libsql_edge::ReplicaConfig;
use libsql_edge_fuzz::exec::block_on;
use libsql_edge_fuzz::input::Input;
use libsql_edge_fuzz::replica_check::{assert_unchanged, exercise, CheckedSink, Snapshot};
use libsql_edge_fuzz::scripted::{Scripted, BASE_URL};
use libsql_edge_fuzz::sources::CHECK_QUERY;
use libsql_edge_fuzz::sqld;

fuzz_target!(|data: &[u8]| {
    let mut input = Input(data);
    let mode = input.byte() % 4;
    let body = input.rest();
    let mut batches = 0;
    let transport = Scripted::new(|request| {
        let method = sqld::method(request);
        Some(match (mode, method) {
            (2, "Hello") => sqld::ok(body.to_vec()),
            (_, "Hello") => sqld::hello(),
            (_, "BatchLogEntries") => {
                batches += 1;
                match (mode, batches) {
                    (0, 1) => sqld::ok(body.to_vec()),
                    (1, 1) => sqld::trailers_only("9", "NEED_SNAPSHOT"),
                    (3, 1) => {
                        let text = String::from_utf8_lossy(body);
                        let (status, message) = text.split_once('\n').unwrap_or((&text, ""));
                        let mut r = sqld::trailers_only(status, message);
                        r.headers.retain(|(_, v)| !v.is_empty());
                        r
                    }
                    _ => sqld::frames(&[]),
                }
            }
            (1, "Snapshot") => sqld::ok(body.to_vec()),
            _ => return None,
        })
    });
    let target = SyncTarget::new(BASE_URL, None, 1000);
    let io = Io::new(&transport, &target);
    let sink = CheckedSink::new(ReplicaConfig::default());
    let before = Snapshot::of(&sink.replica.borrow());
    let result = block_on(sync_into(&sink, &mut Sqld::new(), &io, None));
    let mut replica = sink.replica.borrow_mut();
    match result {
        // One reply carries pages at most, so a failed sync installed nothing.
        Err(e) => assert_unchanged(&before, &replica, &format!("sync ({e})")),
        Ok(stats) => {
            assert_eq!(stats.position, replica.position());
            assert_eq!(replica.export().len() as u64, replica.shape().bytes());
            exercise(&mut replica, CHECK_QUERY);
        }
    }
});
