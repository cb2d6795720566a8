#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use super::*;
use crate::error::Error;

fn all_values() -> Vec<Value> {
    vec![
        Value::Null,
        Value::Integer { value: 42 },
        Value::Integer { value: i64::MIN },
        Value::Float { value: -0.5 },
        Value::Float { value: f64::INFINITY },
        Value::Text { value: "héllo ☃".into() },
        Value::Text { value: String::new() },
        Value::Blob { value: vec![0, 1, 2, 0xff] },
        Value::Blob { value: Vec::new() },
    ]
}

#[test]
fn bincode_values_have_the_bincode_1_layout() {
    assert_eq!(encode_value(&Value::Null), [0, 0, 0, 0]);
    assert_eq!(encode_value(&Value::Integer { value: 42 }), [1, 0, 0, 0, 42, 0, 0, 0, 0, 0, 0, 0]);
    assert_eq!(
        encode_value(&Value::Integer { value: -1 }),
        [1, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]
    );
    assert_eq!(encode_value(&Value::Float { value: 1.0 }), [2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xf0, 0x3f]);
    assert_eq!(encode_value(&Value::Text { value: "ab".into() }), [3, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, b'a', b'b']);
    assert_eq!(encode_value(&Value::Blob { value: vec![9] }), [4, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 9]);
}

#[test]
fn bincode_values_round_trip() {
    for v in all_values() {
        let msg = ValueMsg::from_value(&v);
        assert_eq!(msg.to_value().unwrap(), v);
    }
    let nan = decode_value(&encode_value(&Value::Float { value: f64::NAN })).unwrap();
    assert!(matches!(nan, Value::Float { value } if value.is_nan()));
}

#[test]
fn bincode_truncated_garbage_and_trailing_bytes_are_errors() {
    for v in all_values() {
        let b = encode_value(&v);
        for cut in 0..b.len() {
            assert!(decode_value(&b[..cut]).is_err(), "{v:?} cut at {cut}");
        }
        let mut long = b.clone();
        long.push(0);
        assert_eq!(decode_value(&long), Err(Error::InvalidBincode("trailing bytes after the value")));
    }
    assert_eq!(decode_value(&[5, 0, 0, 0]), Err(Error::InvalidBincode("unknown value variant")));
    assert_eq!(decode_value(&[0xff; 4]), Err(Error::InvalidBincode("unknown value variant")));
    let bad_utf8 = [3, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0xff];
    assert_eq!(decode_value(&bad_utf8), Err(Error::InvalidBincode("text is not UTF-8")));
}

#[test]
fn bincode_huge_lengths_are_truncation_errors_on_every_target() {
    // Lengths that overflow `12 + len` in a 32-bit (wasm32) or 64-bit usize.
    for len in [u64::MAX, u64::MAX - 11, u64::from(u32::MAX), u64::from(u32::MAX) - 11, 1 << 40] {
        let mut b = vec![4, 0, 0, 0];
        b.extend_from_slice(&len.to_le_bytes());
        b.extend_from_slice(&[1, 2, 3]);
        assert!(matches!(decode_value(&b), Err(Error::Truncated { .. })), "len {len}");
    }
}

#[test]
fn program_req_encodes_with_upstream_field_numbers() {
    let req = ProgramReq {
        client_id: "c".into(),
        pgm: Some(Program {
            steps: vec![Step {
                cond: Some(Cond { cond: Some(CondKind::Ok(OkCond { step: 0 })) }),
                query: Some(Query {
                    stmt: "x".into(),
                    params: Some(Params::Positional(Positional { values: vec![ValueMsg { data: vec![0, 0, 0, 0] }] })),
                    skip_rows: true,
                }),
            }],
        }),
    };
    let bytes = req.encode_to_vec();
    // 0a 01 'c' | 12 len Program{ 0a len Step{ 0a 02 Cond{0a 00 OkCond{}} 12 len Query{0a 01 'x' 12 08 Positional{0a 06 Value{0a 04 00000000}} 20 01} } }
    let query = [0x0a, 1, b'x', 0x12, 8, 0x0a, 6, 0x0a, 4, 0, 0, 0, 0, 0x20, 1];
    let mut step = vec![0x0a, 2, 0x0a, 0];
    step.extend_from_slice(&[0x12, query.len() as u8]);
    step.extend_from_slice(&query);
    let mut program = vec![0x0a, step.len() as u8];
    program.extend_from_slice(&step);
    let mut expected = vec![0x0a, 1, b'c', 0x12, program.len() as u8];
    expected.extend_from_slice(&program);
    assert_eq!(bytes, expected);
    assert_eq!(ProgramReq::decode(&bytes[..]).unwrap(), req);
}

#[test]
fn nested_conditions_round_trip() {
    let leaf = |s| Cond { cond: Some(CondKind::Err(ErrCond { step: s })) };
    let cond = Cond {
        cond: Some(CondKind::Not(NotCond {
            cond: Some(Box::new(Cond {
                cond: Some(CondKind::And(AndCond {
                    conds: vec![
                        leaf(1),
                        Cond { cond: Some(CondKind::Or(OrCond { conds: vec![leaf(2)] })) },
                        Cond { cond: Some(CondKind::IsAutocommit(IsAutocommitCond {})) },
                    ],
                })),
            })),
        })),
    };
    assert_eq!(Cond::decode(&cond.encode_to_vec()[..]).unwrap(), cond);
}

#[test]
fn execute_results_round_trip_and_garbage_fails() {
    let res = ExecuteResults {
        results: vec![
            QueryResult {
                row_result: Some(RowResult::Row(ResultRows {
                    column_descriptions: vec![Column { name: "a".into(), decltype: Some("INTEGER".into()) }],
                    rows: vec![Row { values: vec![ValueMsg::from_value(&Value::Integer { value: 7 })] }],
                    affected_row_count: 1,
                    last_insert_rowid: Some(7),
                })),
            },
            QueryResult {
                row_result: Some(RowResult::Error(ProxyError {
                    code: ErrorCode::Internal as i32,
                    message: "UNIQUE constraint failed: t.a".into(),
                    extended_code: 2067,
                })),
            },
        ],
        state: State::Txn as i32,
        current_frame_no: Some(12),
    };
    let bytes = res.encode_to_vec();
    assert_eq!(ExecuteResults::decode(&bytes[..]).unwrap(), res);
    assert!(ExecuteResults::decode(&bytes[..bytes.len() - 1]).is_err());
    assert!(ExecuteResults::decode(&[0xff, 0xff, 0xff][..]).is_err());
    // Column.decltype is field 3, not 2.
    let col = Column { name: String::new(), decltype: Some("T".into()) }.encode_to_vec();
    assert_eq!(col, [0x1a, 1, b'T']);
}

#[test]
fn describe_and_disconnect_round_trip() {
    let d = DescribeResult {
        describe_result: Some(DescribeOutcome::Description(Description {
            column_descriptions: vec![Column { name: "x".into(), decltype: None }],
            param_names: vec![":a".into()],
            param_count: 2,
        })),
    };
    assert_eq!(DescribeResult::decode(&d.encode_to_vec()[..]).unwrap(), d);
    let req = DescribeRequest { client_id: "c".into(), stmt: "SELECT 1".into() };
    assert_eq!(DescribeRequest::decode(&req.encode_to_vec()[..]).unwrap(), req);
    let m = DisconnectMessage { client_id: "c".into() };
    assert_eq!(m.encode_to_vec(), [0x0a, 1, b'c']);
    assert!(Ack {}.encode_to_vec().is_empty());
}
