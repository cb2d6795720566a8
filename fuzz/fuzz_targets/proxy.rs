//! sqld's write-proxy messages (`proxy.rs`): every request and reply type decodes any bytes or fails
//! cleanly, survives encode + decode unchanged, and every bincode value inside decodes or fails
//! cleanly (`ValueMsg::to_value`), as the dev primary (requests) and a client (replies) read them.
//!
//! Input: `[message type] ++ protobuf bytes`.
#![no_main]
use libfuzzer_sys::fuzz_target;
use libsql_edge_fuzz::input::Input;
use libsql_edge_protocol::proxy::{
    Ack, DescribeRequest, DescribeResult, DisconnectMessage, ExecuteResults, Params, ProgramReq, RowResult, ValueMsg,
};
use libsql_edge_protocol::replication_log::decode_message;
use prost::Message;

fn round_trip<M: Message + Default + PartialEq + std::fmt::Debug>(name: &'static str, bytes: &[u8]) -> Option<M> {
    let m: M = decode_message(name, bytes).ok()?;
    let again: M = decode_message(name, &m.encode_to_vec()).unwrap_or_else(|e| panic!("{name} re-encoded: {e}"));
    assert_eq!(again, m, "{name} changed through encode + decode");
    Some(m)
}

fn values(values: &[ValueMsg]) {
    for v in values {
        if let Ok(value) = v.to_value() {
            assert_eq!(ValueMsg::from_value(&value), *v, "bincode value re-encoded differently");
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let mut input = Input(data);
    let kind = input.byte();
    let bytes = input.rest();
    match kind % 6 {
        0 => {
            let Some(req) = round_trip::<ProgramReq>("ProgramReq", bytes) else { return };
            for step in req.pgm.iter().flat_map(|p| &p.steps) {
                match step.query.as_ref().and_then(|q| q.params.as_ref()) {
                    Some(Params::Positional(p)) => values(&p.values),
                    Some(Params::Named(n)) => values(&n.values),
                    None => {}
                }
            }
        }
        1 => {
            let Some(res) = round_trip::<ExecuteResults>("ExecuteResults", bytes) else { return };
            for r in &res.results {
                if let Some(RowResult::Row(rows)) = &r.row_result {
                    rows.rows.iter().for_each(|row| values(&row.values));
                }
            }
        }
        2 => drop(round_trip::<DescribeResult>("DescribeResult", bytes)),
        3 => drop(round_trip::<DescribeRequest>("DescribeRequest", bytes)),
        4 => drop(round_trip::<DisconnectMessage>("DisconnectMessage", bytes)),
        _ => drop(round_trip::<Ack>("Ack", bytes)),
    }
});
