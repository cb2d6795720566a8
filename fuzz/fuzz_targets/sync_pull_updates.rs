//! Turso Sync `/pull-updates` end to end (`src/sync/pull_updates.rs` over `pull_updates*`): a
//! scripted server answers the bootstrap (and in mode 1 the next pull) with bodies from the input;
//! later pulls get "up to date" (a header naming the client's own revision). The real client syncs
//! a real `Replica`; the sync must end; every install is checked (a refused one leaves the replica
//! as it was, an accepted one holds exactly its pages); what is installed can be read.
//!
//! Input: `[mode] ++ ...`. Mode 0: the bootstrap body. Mode 1: `part(bootstrap body) ++ the next
//! body`. Mode 2: `[u32le content-length] ++ the bootstrap body` (a body cut short).
#![no_main]
use libfuzzer_sys::fuzz_target;
use libsql_edge::protocol::pull_updates::{decode_request, encode_response, PullUpdatesRespProtoBody};
use libsql_edge::sync::{pull_updates::PullUpdates, sync_into, Io, SyncTarget};
use libsql_edge::ReplicaConfig;
use libsql_edge_fuzz::exec::block_on;
use libsql_edge_fuzz::input::Input;
use libsql_edge_fuzz::replica_check::{exercise, CheckedSink};
use libsql_edge_fuzz::scripted::{response, Scripted, BASE_URL};
use libsql_edge_fuzz::sources::CHECK_QUERY;

fuzz_target!(|data: &[u8]| {
    let mut input = Input(data);
    let mode = input.byte() % 3;
    let mut declared = None;
    let bodies: Vec<&[u8]> = match mode {
        0 => vec![input.rest()],
        1 => vec![input.part(), input.rest()],
        _ => {
            declared = Some(u32::from_le_bytes([input.byte(), input.byte(), input.byte(), input.byte()]));
            vec![input.rest()]
        }
    };
    let mut next = bodies.into_iter();
    let transport = Scripted::new(|request| {
        let body = match next.next() {
            Some(body) => body.to_vec(),
            None => {
                // Up to date: the client's own revision, no pages.
                let client_revision = decode_request(&request.body).ok()?.client_revision;
                let header = PullUpdatesRespProtoBody { server_revision: client_revision, ..Default::default() };
                encode_response(&header, &[])
            }
        };
        let length = declared.take().map_or(body.len().to_string(), |l| l.to_string());
        Some(response(200, &[("content-type", "application/protobuf"), ("content-length", &length)], body))
    });
    let target = SyncTarget::new(BASE_URL, None, 1000);
    let io = Io::new(&transport, &target);
    let sink = CheckedSink::new(ReplicaConfig::default());
    let _ = block_on(sync_into(&sink, &mut PullUpdates::new(), &io, None));
    if sink.installs.get() > 0 {
        exercise(&mut sink.replica.borrow_mut(), CHECK_QUERY);
    }
});
