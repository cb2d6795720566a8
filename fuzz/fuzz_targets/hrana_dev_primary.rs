//! Hrana JSON as the dev primary parses requests (`crates/protocol/src/hrana*`,
//! `crates/dev-primary/src/hrana*`): the pipeline body (sqld's 400 message on failure), the v2/v3
//! feature check, batons (decoded from base64 to a stream id), stored SQL, argument binding
//! (positional and named), batch conditions, `describe` and `sequence`. The SQL text itself is not
//! fuzzed: each statement's text is replaced by one of `SQL` (chosen by the text's length), so
//! the fuzzer explores the request shape and the binding rules rather than SQLite. A request that
//! parses must print as JSON that parses to the same request.
#![no_main]
use std::collections::HashMap;

use libfuzzer_sys::fuzz_target;
use libsql_edge_dev_primary::hrana::batch::execute_batch;
use libsql_edge_dev_primary::hrana::exec::{describe, execute_stmt, sequence};
use libsql_edge_dev_primary::hrana::{check_version, Streams, Version};
use libsql_edge_fuzz::exec::block_on;
use libsql_edge_protocol::hrana::{parse_pipeline_request, Batch, PipelineReqBody, Stmt, StreamRequest};
use rusqlite::Connection;

/// Statements that stand in for the request's SQL text.
const SQL: &[&str] = &[
    "SELECT 1",
    "SELECT ?",
    "SELECT ?1, ?2, ?3",
    "SELECT :a, @b, $c",
    "SELECT ?, :name",
    "SELECT * FROM t WHERE id = ?",
    "SELECT v, typeof(v) FROM t WHERE v = :v OR id = @id",
    "INSERT INTO t(v) VALUES (?)",
    "",
    " ; -- nothing",
    "SELECT 1; SELECT 2",
    "SELEC nonsense",
    "SELECT * FROM missing",
    "EXPLAIN SELECT ?",
    "BEGIN",
    "ROLLBACK",
];

fn stand_in(sql: &str) -> String {
    SQL[sql.len() % SQL.len()].to_string()
}

fn stmt(s: &Stmt) -> Stmt {
    Stmt { sql: s.sql.as_deref().map(stand_in), ..s.clone() }
}

thread_local! {
    static CONN: Connection = {
        let conn = Connection::open_in_memory().unwrap_or_else(|e| panic!("{e}"));
        conn.execute_batch(
            "CREATE TABLE t(id INTEGER PRIMARY KEY, v); INSERT INTO t(v) VALUES (1), ('two'), (x'03'), (4.5), (NULL);",
        )
        .unwrap_or_else(|e| panic!("{e}"));
        conn
    };
}

fn check_round_trip(req: &PipelineReqBody) {
    let text = serde_json::to_string(req).unwrap_or_else(|e| panic!("a parsed request does not print: {e}"));
    let again = parse_pipeline_request(text.as_bytes())
        .unwrap_or_else(|e| panic!("a printed request does not parse: {e}\n{text}"));
    let text_again = serde_json::to_string(&again).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(text_again, text, "a request changed through print + parse");
}

fuzz_target!(|data: &[u8]| {
    let req = match parse_pipeline_request(data) {
        Ok(req) => req,
        Err(message) => {
            assert!(message.starts_with("Cannot deserialize client message from JSON: "));
            return;
        }
    };
    check_round_trip(&req);
    let v2 = check_version(&req, Version::V2);
    assert!(check_version(&req, Version::V3).is_ok());
    let _ = v2;

    // Batons: no stream is open, so any baton is refused; a baton the server issues works once.
    let streams = Streams::default();
    block_on(async {
        match req.baton.as_deref() {
            Some(b) => assert!(streams.checkout(Some(b)).await.is_err(), "a baton nobody issued was accepted"),
            None => {
                let out = streams.checkout(None).await.unwrap_or_else(|_| panic!("new stream refused"));
                let baton = streams.checkin(out, false).unwrap_or_else(|| panic!("no baton for an open stream"));
                let out = streams.checkout(Some(&baton)).await.unwrap_or_else(|_| panic!("issued baton refused"));
                streams.checkin(out, true);
                assert!(streams.checkout(Some(&baton)).await.is_err(), "a spent baton was accepted");
            }
        }
    });

    CONN.with(|conn| {
        let mut stored: HashMap<i32, String> = HashMap::new();
        for r in req.requests.iter().take(64) {
            match r {
                StreamRequest::Execute { stmt: s } => drop(execute_stmt(conn, &stmt(s), &stored, true)),
                StreamRequest::Batch { batch } => {
                    let batch = Batch {
                        steps: batch
                            .steps
                            .iter()
                            .take(64)
                            .cloned()
                            .map(|mut step| {
                                step.stmt = stmt(&step.stmt);
                                step
                            })
                            .collect(),
                        ..batch.clone()
                    };
                    if let Ok(result) = execute_batch(conn, &batch, &stored, true, |f| f()) {
                        assert_eq!(result.step_results.len(), batch.steps.len());
                        assert_eq!(result.step_errors.len(), batch.steps.len());
                    }
                }
                StreamRequest::Describe { sql, .. } => drop(describe(conn, &stand_in(sql.as_deref().unwrap_or("")))),
                StreamRequest::Sequence { sql, .. } => {
                    drop(sequence(conn, &stand_in(sql.as_deref().unwrap_or("")), true, || {}))
                }
                StreamRequest::StoreSql { sql_id, sql } => drop(stored.insert(*sql_id, stand_in(sql))),
                StreamRequest::CloseSql { sql_id } => drop(stored.remove(sql_id)),
                StreamRequest::Close | StreamRequest::GetAutocommit => {}
            }
        }
        // A `BEGIN` stand-in may have left a transaction open.
        let _ = conn.execute_batch("ROLLBACK");
    });
});
