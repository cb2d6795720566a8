//! gRPC-Web `proxy.Proxy` through `app()` with `oneshot`: programs, bincode values, per-client
//! transactions, sqld's condition and error semantics, capture into the replication log, auth and
//! malformed requests.

mod common;

use common::*;
use libsql_edge_dev_primary::auth::JwtAuth;
use libsql_edge_dev_primary::AppState;
use libsql_edge_protocol::grpc_web::{code, decode_response_body};
use libsql_edge_protocol::hrana::Value;
use libsql_edge_protocol::proxy::*;
use prost::Message;

const CONTENT_TYPE: (&str, &str) = ("content-type", "application/grpc-web+proto");

async fn call(state: &AppState, method: &str, msg: &impl Message, auth: Option<&str>) -> Reply {
    let mut h = vec![CONTENT_TYPE];
    if let Some(a) = auth {
        h.push(("x-authorization", a));
    }
    post(state, &format!("/proxy.Proxy/{method}"), &h, grpc_body(&msg.encode_to_vec())).await
}

fn ok_reply<M: Message + Default>(r: &Reply) -> M {
    assert_eq!(r.status, 200);
    assert_eq!(r.header("grpc-status"), None, "{:?}", r.header("grpc-message"));
    let (msgs, status) = decode_response_body(&r.body).unwrap();
    assert_eq!(status.code, 0);
    M::decode(&msgs[0][..]).unwrap()
}

fn status(r: &Reply) -> (u32, String) {
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-length").as_deref(), Some("0"), "errors are trailers-only");
    (r.header("grpc-status").unwrap().parse().unwrap(), r.header("grpc-message").unwrap_or_default())
}

fn query(sql: &str, args: &[Value]) -> Query {
    Query {
        stmt: sql.into(),
        params: Some(Params::Positional(Positional { values: args.iter().map(ValueMsg::from_value).collect() })),
        skip_rows: false,
    }
}

fn step(sql: &str, args: &[Value]) -> Step {
    Step { cond: None, query: Some(query(sql, args)) }
}

fn program(client: &str, steps: Vec<Step>) -> ProgramReq {
    ProgramReq { client_id: client.into(), pgm: Some(Program { steps }) }
}

async fn execute(state: &AppState, client: &str, steps: Vec<Step>) -> ExecuteResults {
    ok_reply(&call(state, "Execute", &program(client, steps), None).await)
}

fn rows(r: &QueryResult) -> &ResultRows {
    match &r.row_result {
        Some(RowResult::Row(rows)) => rows,
        other => panic!("expected rows, got {other:?}"),
    }
}

fn error(r: &QueryResult) -> &ProxyError {
    match &r.row_result {
        Some(RowResult::Error(e)) => e,
        other => panic!("expected an error, got {other:?}"),
    }
}

fn values(rows: &ResultRows) -> Vec<Vec<Value>> {
    rows.rows.iter().map(|r| r.values.iter().map(|v| v.to_value().unwrap()).collect()).collect()
}

fn int(v: i64) -> Value {
    Value::Integer { value: v }
}

fn new_client() -> String {
    uuid::Uuid::new_v4().to_string()
}

async fn count(state: &AppState, table: &str) -> String {
    exec(state, &format!("SELECT count(*) FROM {table}")).await["response"]["result"]["rows"][0][0]["value"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn execute_program_returns_rows_rowid_and_read_your_writes_frame_no() {
    let primary = open(&scratch_dir(), None);
    let st = state(primary.clone(), None);
    let c = new_client();
    let res = execute(
        &st,
        &c,
        vec![
            step("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)", &[]),
            step("INSERT INTO t (v) VALUES (?), (?)", &[Value::Text { value: "a".into() }, Value::Null]),
            step("SELECT id, v FROM t ORDER BY id", &[]),
        ],
    )
    .await;
    assert_eq!(res.results.len(), 3);
    assert_eq!(res.state, State::Init as i32);
    let insert = rows(&res.results[1]);
    assert_eq!((insert.affected_row_count, insert.last_insert_rowid), (2, Some(2)));
    let select = rows(&res.results[2]);
    let names: Vec<_> = select.column_descriptions.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["id", "v"]);
    assert_eq!(select.column_descriptions[0].decltype.as_deref(), Some("INTEGER"));
    assert_eq!(values(select), vec![vec![int(1), Value::Text { value: "a".into() }], vec![int(2), Value::Null]]);
    assert_eq!(select.last_insert_rowid, None);

    // current_frame_no is the primary's replication index, and the log already holds those frames.
    let frame_no = res.current_frame_no.unwrap();
    assert_eq!(Some(frame_no), primary.replication_index());
    let (token, hello) = hello(&st).await;
    assert_eq!(hello.current_replication_index, Some(frame_no));
    let mut pages = std::collections::BTreeMap::new();
    let (next, size) = pull_all(&st, &token, &mut pages, 0).await;
    assert_eq!(next, frame_no + 1);
    assert_eq!(pages.len() as u32, size);
    assert_eq!(pages.into_values().collect::<Vec<_>>(), db_pages(&primary));
}

#[tokio::test]
async fn every_value_type_round_trips_positional_and_named() {
    let st = state(open(&scratch_dir(), None), None);
    let vals = vec![
        Value::Null,
        int(i64::MIN),
        int(i64::MAX),
        Value::Float { value: -0.25 },
        Value::Text { value: "héllo ☃".into() },
        Value::Blob { value: vec![0, 1, 0xfe, 0xff] },
    ];
    let res = execute(&st, &new_client(), vec![step("SELECT ?, ?, ?, ?, ?, ?", &vals)]).await;
    assert_eq!(values(rows(&res.results[0])), vec![vals.clone()]);

    let named = Named {
        names: vec![":a".into(), "b".into()],
        values: vec![ValueMsg::from_value(&int(7)), ValueMsg::from_value(&Value::Text { value: "x".into() })],
    };
    let q = Query { stmt: "SELECT :a + 1, @b".into(), params: Some(Params::Named(named)), skip_rows: false };
    let res = execute(&st, &new_client(), vec![Step { cond: None, query: Some(q) }]).await;
    assert_eq!(values(rows(&res.results[0])), vec![vec![int(8), Value::Text { value: "x".into() }]]);

    let mut q = query("SELECT 1 UNION ALL SELECT 2", &[]);
    q.skip_rows = true;
    let res = execute(&st, &new_client(), vec![Step { cond: None, query: Some(q) }]).await;
    assert!(rows(&res.results[0]).rows.is_empty());
}

#[tokio::test]
async fn interactive_transaction_spans_calls_of_one_client_only() {
    let st = state(open(&scratch_dir(), None), None);
    exec(&st, "CREATE TABLE t (v)").await;
    let (a, b) = (new_client(), new_client());
    let res = execute(&st, &a, vec![step("BEGIN", &[]), step("INSERT INTO t VALUES (1)", &[])]).await;
    assert_eq!(res.state, State::Txn as i32);
    let before = res.current_frame_no;
    // Not committed: invisible to Hrana and to another client.
    assert_eq!(count(&st, "t").await, "0");
    let other = execute(&st, &b, vec![step("SELECT count(*) FROM t", &[])]).await;
    assert_eq!(other.state, State::Init as i32);
    assert_eq!(values(rows(&other.results[0])), vec![vec![int(0)]]);
    // The same client still sees its own transaction.
    let res = execute(&st, &a, vec![step("SELECT count(*) FROM t", &[])]).await;
    assert_eq!((res.state, values(rows(&res.results[0]))), (State::Txn as i32, vec![vec![int(1)]]));
    let res = execute(&st, &a, vec![step("COMMIT", &[])]).await;
    assert_eq!(res.state, State::Init as i32);
    assert!(res.current_frame_no > before);
    assert_eq!(count(&st, "t").await, "1");
}

#[tokio::test]
async fn disconnect_drops_the_client_and_rolls_back() {
    let st = state(open(&scratch_dir(), None), None);
    exec(&st, "CREATE TABLE t (v)").await;
    let a = new_client();
    let res = execute(&st, &a, vec![step("BEGIN", &[]), step("INSERT INTO t VALUES (1)", &[])]).await;
    assert_eq!(res.state, State::Txn as i32);
    let _: Ack = ok_reply(&call(&st, "Disconnect", &DisconnectMessage { client_id: a.clone() }, None).await);
    assert!(st.proxy_clients.is_empty());
    assert_eq!(count(&st, "t").await, "0");
    // The writer lock is gone: another writer is not blocked.
    exec(&st, "INSERT INTO t VALUES (2)").await;
    let res = execute(&st, &a, vec![step("SELECT count(*) FROM t", &[])]).await;
    assert_eq!((res.state, values(rows(&res.results[0]))), (State::Init as i32, vec![vec![int(1)]]));
}

#[tokio::test]
async fn step_errors_and_conditions_follow_sqld() {
    let st = state(open(&scratch_dir(), None), None);
    exec(&st, "CREATE TABLE t (id INTEGER PRIMARY KEY, u UNIQUE)").await;
    let cond = |kind| Some(Cond { cond: Some(kind) });
    let steps = vec![
        step("INSERT INTO t (u) VALUES (1)", &[]),
        step("INSERT INTO t (u) VALUES (1)", &[]),
        Step { cond: cond(CondKind::Ok(OkCond { step: 1 })), query: Some(query("INSERT INTO t (u) VALUES (2)", &[])) },
        Step {
            cond: cond(CondKind::Err(ErrCond { step: 2 })),
            query: Some(query("INSERT INTO t (u) VALUES (3)", &[])),
        },
        Step { cond: cond(CondKind::Ok(OkCond { step: 9 })), query: Some(query("SELECT 1", &[])) },
        step("SELEC 1", &[]),
        step("SELECT ?", &[]),
        step("SELECT * FROM nowhere", &[]),
    ];
    let res = execute(&st, &new_client(), steps).await;
    assert_eq!(res.results.len(), 8);
    assert_eq!(rows(&res.results[0]).affected_row_count, 1);
    let e = error(&res.results[1]);
    assert_eq!((e.code, e.extended_code), (ErrorCode::Internal as i32, 2067), "{e:?}"); // SQLITE_CONSTRAINT_UNIQUE
    assert_eq!(e.message, "UNIQUE constraint failed: t.u");
    // Skipped: empty rows; a skipped step counts as "not ok", so `err(2)` runs step 3.
    assert_eq!(rows(&res.results[2]), &ResultRows::default());
    assert_eq!(rows(&res.results[3]).affected_row_count, 1);
    assert!(error(&res.results[4]).message.contains("step"), "{:?}", res.results[4]);
    assert_eq!(error(&res.results[5]).extended_code, 1);
    assert_eq!(error(&res.results[6]).code, ErrorCode::SqlError as i32);
    assert!(error(&res.results[7]).message.contains("no such table"));
    assert_eq!(count(&st, "t").await, "2");
}

#[tokio::test]
async fn describe_reports_columns_and_params() {
    let st = state(open(&scratch_dir(), None), None);
    exec(&st, "CREATE TABLE t (a INTEGER, b TEXT)").await;
    let req = DescribeRequest { client_id: new_client(), stmt: "SELECT a, b FROM t WHERE a = ? AND b = :name".into() };
    let r: DescribeResult = ok_reply(&call(&st, "Describe", &req, None).await);
    let Some(DescribeOutcome::Description(d)) = r.describe_result else { panic!("{r:?}") };
    assert_eq!(d.param_count, 2);
    assert_eq!(d.param_names, [":name"]);
    let cols: Vec<_> = d.column_descriptions.iter().map(|c| (c.name.as_str(), c.decltype.as_deref())).collect();
    assert_eq!(cols, [("a", Some("INTEGER")), ("b", Some("TEXT"))]);
    let bad = DescribeRequest { client_id: new_client(), stmt: "SELECT * FROM nowhere".into() };
    let (c, m) = status(&call(&st, "Describe", &bad, None).await);
    assert_eq!(c, code::PERMISSION_DENIED);
    assert!(m.contains("no%20such%20table"), "{m}");
}

#[tokio::test]
async fn auth_applies_and_read_only_tokens_cannot_write() {
    let pem = std::fs::read_to_string(fixtures().join("sqld-0.24.33/auth/jwt_pub.pem")).unwrap();
    let st = state(open(&scratch_dir(), None), Some(JwtAuth::from_key_text(&pem).unwrap()));
    let tokens: serde_json::Value =
        serde_json::from_slice(&std::fs::read(fixtures().join("sqld-0.24.33/auth/tokens.json")).unwrap()).unwrap();
    let ro = format!("Bearer {}", tokens["tokens"]["valid_ro"].as_str().unwrap());
    let rw = format!("Bearer {}", tokens["tokens"]["valid_rw"].as_str().unwrap());
    let create = program(&new_client(), vec![step("CREATE TABLE t (v)", &[])]);
    assert_eq!(status(&call(&st, "Execute", &create, None).await).0, code::INTERNAL);
    assert_eq!(status(&call(&st, "Execute", &create, Some("Bearer garbage")).await).0, code::UNAUTHENTICATED);
    let (c, m) = status(&call(&st, "Execute", &create, Some(&ro)).await);
    assert_eq!(c, code::PERMISSION_DENIED);
    assert!(m.starts_with("Authorization%20forbidden"), "{m}");
    let _: ExecuteResults = ok_reply(&call(&st, "Execute", &create, Some(&rw)).await);
    let read = program(&new_client(), vec![step("SELECT count(*) FROM t", &[])]);
    let res: ExecuteResults = ok_reply(&call(&st, "Execute", &read, Some(&ro)).await);
    assert_eq!(values(rows(&res.results[0])), vec![vec![int(0)]]);
}

#[tokio::test]
async fn malformed_requests_get_statuses_not_panics() {
    let st = state(open(&scratch_dir(), None), None);
    let c = new_client();
    let bad_id = program("not-a-uuid", vec![step("SELECT 1", &[])]);
    assert_eq!(status(&call(&st, "Execute", &bad_id, None).await).0, code::INVALID_ARGUMENT);
    let no_pgm = ProgramReq { client_id: c.clone(), pgm: None };
    assert_eq!(status(&call(&st, "Execute", &no_pgm, None).await).0, code::INVALID_ARGUMENT);
    let no_query = program(&c, vec![Step { cond: None, query: None }]);
    assert_eq!(status(&call(&st, "Execute", &no_query, None).await).0, code::INVALID_ARGUMENT);
    let bad_value = Query {
        stmt: "SELECT ?".into(),
        params: Some(Params::Positional(Positional { values: vec![ValueMsg { data: vec![9, 0, 0, 0] }] })),
        skip_rows: false,
    };
    let bad_value = program(&c, vec![Step { cond: None, query: Some(bad_value) }]);
    assert_eq!(status(&call(&st, "Execute", &bad_value, None).await).0, code::INVALID_ARGUMENT);
    let stream = program(&c, vec![]);
    assert_eq!(status(&call(&st, "StreamExec", &stream, None).await).0, code::UNIMPLEMENTED);
    let empty: ExecuteResults = ok_reply(&call(&st, "Execute", &stream, None).await);
    assert!(empty.results.is_empty());
    for body in [vec![0, 0, 0, 0, 3, 0xff, 0xff, 0xff], vec![0, 0xff, 0xff, 0xff, 0xff], vec![0x42], b"junk".to_vec()] {
        for method in ["Execute", "Describe", "Disconnect"] {
            let r = post(&st, &format!("/proxy.Proxy/{method}"), &[CONTENT_TYPE], body.clone()).await;
            assert_eq!(r.status, 200, "{method} {body:?}");
            assert!(r.header("grpc-status").is_some_and(|s| s != "0"), "{method} {body:?}");
        }
    }
}
