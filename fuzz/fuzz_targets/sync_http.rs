//! Turso HTTP sync end to end (`src/sync/http_sync.rs` over `wal_frame.rs`): a scripted server
//! answers `/info`, `/export/{generation}` and `/sync/{generation}/{start}/{end}` partly from the
//! input, and the real client syncs a real `Replica`. The sync must end; every install is checked
//! (a refused one leaves the replica as it was, an accepted one holds exactly its pages); what is
//! installed can be read without a crash.
//!
//! Input: `[mode] ++ ...`. Mode 0: the `/info` body. Mode 1: the `/export` body. Mode 2:
//! `part(export body) ++ first /sync body` (WAL frames). Mode 3: `part(export body) ++ [status
//! selector] ++ first /sync body` (end of generation, errors). `part` is a u32le length + bytes.
#![no_main]
use libfuzzer_sys::fuzz_target;
use libsql_edge::sync::{http_sync::HttpSync, sync_into, Io, SyncTarget};
use libsql_edge::ReplicaConfig;
use libsql_edge_fuzz::exec::block_on;
use libsql_edge_fuzz::input::Input;
use libsql_edge_fuzz::replica_check::{exercise, CheckedSink};
use libsql_edge_fuzz::scripted::{path, response, Scripted, BASE_URL};
use libsql_edge_fuzz::sources::CHECK_QUERY;

const STATUSES: [u16; 6] = [200, 400, 500, 404, 503, 200];

fuzz_target!(|data: &[u8]| {
    let mut input = Input(data);
    let mode = input.byte() % 4;
    let (info, export, status, sync_body) = match mode {
        0 => (input.rest(), &[][..], 200, &[][..]),
        1 => (&b"{\"current_generation\":1}"[..], input.rest(), 200, &[][..]),
        2 => {
            let export = input.part();
            (&b"{\"current_generation\":1}"[..], export, 200, input.rest())
        }
        _ => {
            let export = input.part();
            let status = STATUSES[usize::from(input.byte()) % STATUSES.len()];
            (&b"{\"current_generation\":1}"[..], export, status, input.rest())
        }
    };
    let mut syncs = 0;
    let transport = Scripted::new(|request| {
        let p = path(request);
        Some(if p == "/info" {
            response(200, &[("content-type", "application/json")], info.to_vec())
        } else if p.starts_with("/export/") {
            response(200, &[], export.to_vec())
        } else if let Some(rest) = p.strip_prefix("/sync/") {
            syncs += 1;
            let generation = rest.split('/').next().unwrap_or("1");
            if syncs == 1 && mode >= 2 {
                response(status, &[], sync_body.to_vec())
            } else {
                response(400, &[], format!("{{\"generation\":{generation}}}").into_bytes())
            }
        } else {
            return None;
        })
    });
    let target = SyncTarget::new(BASE_URL, None, 1000);
    let io = Io::new(&transport, &target);
    let sink = CheckedSink::new(ReplicaConfig::default());
    let _ = block_on(sync_into(&sink, &mut HttpSync::new(), &io, None));
    if sink.installs.get() > 0 {
        exercise(&mut sink.replica.borrow_mut(), CHECK_QUERY);
    }
});
