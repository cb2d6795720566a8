//! Hrana JSON as a client reads it (`crates/protocol/src/hrana*`, `src/remote.rs`, `src/client*`):
//! a remote-only `Client` runs one of its calls against replies taken from the input, so the
//! reply types, their value encodings (integers as text, base64 blobs, `null` floats) and what the
//! client builds from them (result sets, batch step mapping, batons) see any bytes. Every reply
//! must give a result or an error, never a panic; a reply body that parses must print as JSON that
//! parses to the same value.
//!
//! Input: `[call] ++ record (0x00 record)*`, each record `[status selector] ++ body`; request `k`
//! gets record `k` (JSON never holds a raw NUL, so recorded bodies split cleanly).
#![no_main]
use libfuzzer_sys::fuzz_target;
use libsql_edge::client::ClientConfig;
use libsql_edge::protocol::hrana::PipelineRespBody;
use libsql_edge::{Client, Statement, TxMode, Value};
use libsql_edge_fuzz::exec::block_on;
use libsql_edge_fuzz::input::Input;
use libsql_edge_fuzz::scripted::{response, Scripted, BASE_URL};

const STATUSES: [u16; 8] = [200, 200, 200, 200, 400, 404, 500, 503];

fn check_round_trip(body: &[u8]) {
    let Ok(parsed) = serde_json::from_slice::<PipelineRespBody>(body) else { return };
    let text = serde_json::to_string(&parsed).unwrap_or_else(|e| panic!("a parsed reply does not print: {e}"));
    let again: PipelineRespBody =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("a printed reply does not parse: {e}\n{text}"));
    let text_again = serde_json::to_string(&again).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(text_again, text, "a reply changed through print + parse");
}

/// A REAL as a server prints it (shortest text that reads back to the same double, as sqld's
/// serde_json and tursodb do) must read back exactly, as JavaScript's JSON.parse reads it.
fn check_float(data: &[u8]) {
    let Some(bytes) = data.get(..8) else { return };
    let value = f64::from_bits(u64::from_le_bytes(bytes.try_into().unwrap_or_default()));
    if !value.is_finite() {
        return;
    }
    let text = format!(r#"{{"type":"float","value":{}}}"#, serde_json::to_string(&value).unwrap_or_default());
    match serde_json::from_str::<libsql_edge::protocol::hrana::Value>(&text) {
        Ok(libsql_edge::protocol::hrana::Value::Float { value: read }) => {
            assert_eq!(read.to_bits(), value.to_bits(), "{text} read as {read:e}")
        }
        other => panic!("{text} read as {other:?}"),
    }
}

fuzz_target!(|data: &[u8]| {
    check_float(data);
    let mut input = Input(data);
    let call = input.byte();
    let records: Vec<&[u8]> = input.rest().split(|b| *b == 0).collect();
    for r in &records {
        check_round_trip(r.get(1..).unwrap_or_default());
    }
    let mut next = records.iter();
    let transport = Scripted::new(|_| {
        let record = next.next()?;
        let (status, body) = record.split_first().map(|(s, b)| (*s, b)).unwrap_or((0, &[]));
        Some(response(STATUSES[usize::from(status) % STATUSES.len()], &[], body.to_vec()))
    });
    let config = ClientConfig { url: BASE_URL.into(), timeout_ms: Some(1000), ..Default::default() };
    let client = Client::new(&config).unwrap_or_else(|e| panic!("remote-only client: {e}"));
    let write =
        Statement { sql: "INSERT INTO t VALUES (?, :a)".into(), args: vec![Value::Integer(1)], ..Default::default() };
    let read = Statement::new("SELECT * FROM t");
    let _ = block_on(async {
        match call % 6 {
            0 => client.execute(&transport, &write).await.map(|_| ()),
            1 => client.batch(&transport, &[write.clone(), read.clone()], TxMode::Write).await.map(|_| ()),
            2 => client.batch(&transport, &[read.clone()], TxMode::Read).await.map(|_| ()),
            3 => client.execute_multiple(&transport, "CREATE TABLE x(a); INSERT INTO x VALUES (1)").await,
            4 => client.migrate(&transport, &[write.clone()]).await.map(|_| ()),
            _ => {
                let tx = client.transaction(&transport, TxMode::Write).await?;
                client.tx_execute(&transport, tx, &write).await?;
                client.tx_batch(&transport, tx, &[read.clone(), write.clone()]).await?;
                client.tx_commit(&transport, tx).await
            }
        }
    });
    client.close();
});
