#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use super::*;

#[test]
fn values_encode_like_sqld() {
    let v = vec![
        Value::Null,
        Value::Integer { value: i64::MIN },
        Value::Float { value: -0.0 },
        Value::Float { value: f64::INFINITY },
        Value::Text { value: "héllo ☃".into() },
        Value::Blob { value: vec![0, 1, 2, 0xff, 0xfe] },
    ];
    let json = serde_json::to_string(&v).unwrap();
    assert_eq!(
        json,
        r#"[{"type":"null"},{"type":"integer","value":"-9223372036854775808"},{"type":"float","value":-0.0},{"type":"float","value":null},{"type":"text","value":"héllo ☃"},{"type":"blob","base64":"AAEC//4"}]"#
    );
    let back: Vec<Value> = serde_json::from_str(&json).unwrap();
    assert_eq!(back[1], v[1]);
    assert_eq!(back[5], v[5]);
}

#[test]
fn integer_as_json_number_is_rejected_with_sqld_message() {
    let body = br#"{"baton":null,"requests":[{"type":"execute","stmt":{"sql":"SELECT ? AS v","args":[{"type":"integer","value":42}]}}]}"#;
    let err = parse_pipeline_request(body).unwrap_err();
    assert!(
        err.starts_with(
            "Cannot deserialize client message from JSON: invalid type: integer `42`, expected a borrowed string"
        ),
        "{err}"
    );
    let body = br#"{"baton":null,"requests":[{"type":"execute","stmt":{"sql":"SELECT ? AS v","args":[{"type":"float","value":"0.1"}]}}]}"#;
    let err = parse_pipeline_request(body).unwrap_err();
    assert!(err.contains(r#"invalid type: string "0.1", expected f64"#), "{err}");
}

#[test]
fn unknown_request_type_lists_variants_in_sqld_order() {
    let err = parse_pipeline_request(br#"{"baton":null,"requests":[{"type":"frobnicate"}]}"#).unwrap_err();
    assert!(err.contains("unknown variant `frobnicate`, expected one of `close`, `execute`, `batch`, `sequence`, `describe`, `store_sql`, `close_sql`, `get_autocommit`"), "{err}");
    assert!(parse_pipeline_request(b"this is not json").unwrap_err().contains("expected ident at line 1 column 2"));
    assert!(parse_pipeline_request(b"{}").unwrap_err().contains("missing field `requests`"));
}

#[test]
fn results_round_trip_with_string_indexes() {
    let r = PipelineRespBody {
        baton: None,
        base_url: None,
        results: vec![StreamResult::Ok {
            response: StreamResponse::Execute {
                result: StmtResult {
                    cols: vec![],
                    rows: vec![],
                    affected_row_count: 1,
                    last_insert_rowid: Some(1),
                    replication_index: Some(4),
                    rows_read: 0,
                    rows_written: 2,
                    query_duration_ms: 0.5,
                },
            },
        }],
    };
    let json = serde_json::to_string(&r).unwrap();
    assert!(json.contains(r#""last_insert_rowid":"1","replication_index":"4""#), "{json}");
    assert_eq!(serde_json::from_str::<PipelineRespBody>(&json).unwrap(), r);
    let numeric: StmtResult = serde_json::from_str(
        r#"{"cols":[],"rows":[],"affected_row_count":0,"last_insert_rowid":7,"replication_index":24}"#,
    )
    .unwrap();
    assert_eq!(numeric.replication_index, Some(24));
    assert_eq!(numeric.last_insert_rowid, Some(7));
}

#[test]
fn batch_conditions_parse_and_detect_is_autocommit() {
    let b: Batch = serde_json::from_str(
        r#"{"steps":[{"stmt":{"sql":"SELECT 1"}},{"condition":{"type":"and","conds":[{"type":"ok","step":0},{"type":"not","cond":{"type":"is_autocommit"}}]},"stmt":{"sql":"SELECT 2"}}]}"#,
    )
    .unwrap();
    assert!(b.steps[1].condition.as_ref().unwrap().uses_is_autocommit());
    assert!(b.steps[0].condition.is_none());
}

#[test]
fn floats_parse_exactly_as_sqld_prints_them() {
    // Found by fuzzing (fuzz/fuzz_targets/hrana_client.rs): without serde_json's `float_roundtrip`
    // these came back one unit in the last place off (1.0715660391465826e-75 read as ...825e-75),
    // while JavaScript's JSON.parse, and so @libsql/client, reads every one of them exactly.
    for text in [
        "1.0715660391465826e-75",
        "-1.81996730402717e-179",
        "-1.603964615428183e143",
        "-9.643915712060552e-234",
        "1.7976931348623157e308",
        "2.2250738585072014e-308",
        "5e-324",
        "0.1",
    ] {
        let exact: f64 = text.parse().unwrap();
        let json = format!(r#"{{"type":"float","value":{text}}}"#);
        let value: Value = serde_json::from_str(&json).unwrap();
        assert_eq!(value, Value::Float { value: exact }, "{text}");
        let printed = serde_json::to_string(&value).unwrap();
        assert_eq!(serde_json::from_str::<Value>(&printed).unwrap(), value, "{printed}");
    }
}
