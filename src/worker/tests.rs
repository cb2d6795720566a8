#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use std::collections::{BTreeMap, HashMap};

use serde::Deserialize;

use super::{statement, IntoParams, Params};
use crate::client::ResultSet;
use crate::value::Value;

fn result_set() -> ResultSet {
    ResultSet {
        columns: vec!["id".into(), "title".into(), "score".into(), "draft".into(), "body".into(), "note".into()],
        rows: vec![
            vec![
                Value::Integer(1),
                Value::Text("hello".into()),
                Value::Real(4.5),
                Value::Integer(0),
                Value::Blob(vec![1, 2, 3]),
                Value::Null,
            ],
            vec![
                Value::Integer(2),
                Value::Text("world".into()),
                Value::Integer(7),
                Value::Integer(1),
                Value::Blob(vec![]),
                Value::Text("n".into()),
            ],
        ],
        ..Default::default()
    }
}

#[derive(Debug, Deserialize, PartialEq)]
struct Post {
    id: i64,
    title: String,
    score: f64,
    draft: bool,
    body: Vec<u8>,
    note: Option<String>,
}

#[test]
fn row_get_converts_by_name_and_index() {
    let rs = result_set();
    let row = rs.row(0).unwrap();
    assert_eq!(row.get::<i64>("id").unwrap(), 1);
    assert_eq!(row.get::<i32>(0).unwrap(), 1);
    assert_eq!(row.get::<u8>("id").unwrap(), 1);
    assert_eq!(row.get::<String>("title").unwrap(), "hello");
    assert_eq!(row.get::<&str>(String::from("title")).unwrap(), "hello");
    assert_eq!(row.get::<f64>("score").unwrap(), 4.5);
    assert!(!row.get::<bool>("draft").unwrap());
    assert_eq!(row.get::<Vec<u8>>("body").unwrap(), vec![1, 2, 3]);
    assert_eq!(row.get::<&[u8]>("body").unwrap(), &[1, 2, 3]);
    assert_eq!(row.get::<Option<String>>("note").unwrap(), None);
    assert_eq!(row.value("note").unwrap(), &Value::Null);
    let second = rs.row(1).unwrap();
    assert_eq!(second.get::<Option<String>>("note").unwrap().as_deref(), Some("n"));
    // An INTEGER reads as a float; SQLite has no booleans, any non-zero integer is true.
    assert_eq!(second.get::<f64>("score").unwrap(), 7.0);
    assert!(second.get::<bool>("draft").unwrap());
    assert!(rs.row(2).is_none());
    assert_eq!(rs.iter().len(), 2);
}

#[test]
fn row_get_mismatches_are_row_decode_errors_naming_the_column() {
    let rs = result_set();
    let row = rs.row(0).unwrap();
    let e = row.get::<i64>("title").unwrap_err();
    assert_eq!(e.code(), "ROW_DECODE");
    assert!(e.to_string().starts_with("column title: invalid type: string \"hello\""), "{e}");
    let e = row.get::<i64>("missing").unwrap_err();
    assert_eq!((e.code(), e.to_string().as_str()), ("ROW_DECODE", "column missing: no such column in the result"));
    assert_eq!(row.get::<i64>(9).unwrap_err().to_string(), "column 9: no such column in the result");
    // Out of range for the type asked for, and NULL where a value is required.
    let big = ResultSet { columns: vec!["n".into()], rows: vec![vec![Value::Integer(300)]], ..Default::default() };
    assert!(big.row(0).unwrap().get::<u8>("n").unwrap_err().to_string().contains("expected u8"));
    assert_eq!(row.get::<String>("note").unwrap_err().code(), "ROW_DECODE");
    assert!(row.get::<bool>("title").is_err());
}

#[test]
fn rows_as_deserializes_structs_tuples_and_maps() {
    let rs = result_set();
    let posts: Vec<Post> = rs.rows_as().unwrap();
    assert_eq!(
        posts[0],
        Post { id: 1, title: "hello".into(), score: 4.5, draft: false, body: vec![1, 2, 3], note: None }
    );
    assert_eq!(posts[1].note.as_deref(), Some("n"));
    assert!(posts[1].draft);

    // Borrowed fields, a subset of the columns, renamed fields.
    #[derive(Deserialize)]
    struct Title<'a> {
        #[serde(rename = "title")]
        name: &'a str,
    }
    let titles: Vec<Title<'_>> = rs.rows_as().unwrap();
    assert_eq!(titles.iter().map(|t| t.name).collect::<Vec<_>>(), vec!["hello", "world"]);

    let tuples: Vec<(i64, String)> = rs.rows_as().unwrap();
    assert_eq!(tuples[1], (2, "world".to_string()));

    let maps: Vec<BTreeMap<String, serde_json::Value>> = rs.rows_as().unwrap();
    assert_eq!(maps[0]["title"], serde_json::json!("hello"));
    assert_eq!(maps[0]["note"], serde_json::Value::Null);
    assert_eq!(maps[0]["body"], serde_json::json!([1, 2, 3]));
}

#[test]
fn rows_as_reports_the_failing_column_and_missing_fields() {
    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Wrong {
        id: i64,
        score: i64,
    }
    let e = result_set().rows_as::<Wrong>().unwrap_err();
    assert_eq!(e.code(), "ROW_DECODE");
    assert!(e.to_string().starts_with("column score: invalid type: floating point `4.5`"), "{e}");

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Missing {
        id: i64,
        author: String,
    }
    let e = result_set().rows_as::<Missing>().unwrap_err();
    assert_eq!(e.to_string(), "column author: no such column in the result");
}

#[test]
fn text_names_unit_enum_variants_and_newtypes_wrap_values() {
    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(rename_all = "lowercase")]
    enum State {
        Draft,
        Published,
    }
    #[derive(Debug, Deserialize, PartialEq)]
    struct Id(i64);
    let rs = ResultSet {
        columns: vec!["id".into(), "state".into()],
        rows: vec![vec![Value::Integer(3), Value::Text("published".into())]],
        ..Default::default()
    };
    let row = rs.row(0).unwrap();
    assert_eq!(row.get::<State>("state").unwrap(), State::Published);
    assert_eq!(row.get::<Id>("id").unwrap(), Id(3));
    assert!(row.get::<State>("id").is_err());
    assert_ne!(State::Draft, State::Published);
}

#[test]
fn params_come_from_tuples_arrays_maps_and_the_macro() {
    assert_eq!(().into_params(), Params::None);
    assert_eq!(
        (1, "a", 2.5, true, None::<i64>, vec![7u8]).into_params(),
        Params::Positional(vec![
            Value::Integer(1),
            Value::Text("a".into()),
            Value::Real(2.5),
            Value::Integer(1),
            Value::Null,
            Value::Blob(vec![7]),
        ])
    );
    assert_eq!([1i64, 2].into_params(), Params::Positional(vec![Value::Integer(1), Value::Integer(2)]));
    assert_eq!(vec!["x"].into_params(), Params::Positional(vec![Value::Text("x".into())]));
    assert_eq!((&[3u32][..]).into_params(), Params::Positional(vec![Value::Integer(3)]));
    let map = HashMap::from([(":id", 9)]);
    assert_eq!(map.into_params(), Params::Named(vec![(":id".into(), Value::Integer(9))]));
    let map = BTreeMap::from([("b", "y"), ("a", "x")]);
    assert_eq!(
        map.into_params(),
        Params::Named(vec![("a".into(), Value::Text("x".into())), ("b".into(), Value::Text("y".into()))])
    );
    assert_eq!(
        crate::named_params! { ":id": 7, "$body": "hi", "@n": None::<String> },
        Params::Named(vec![
            (":id".into(), Value::Integer(7)),
            ("$body".into(), Value::Text("hi".into())),
            ("@n".into(), Value::Null),
        ])
    );
    assert_eq!(crate::named_params! {}, Params::Named(vec![]));
}

#[test]
fn statement_puts_params_where_the_client_reads_them() {
    let s = statement("SELECT ?", (1,));
    assert_eq!((s.sql.as_str(), s.args.as_slice(), s.named_args.len()), ("SELECT ?", &[Value::Integer(1)][..], 0));
    let s = statement("SELECT :a", crate::named_params! { ":a": "x" });
    assert_eq!(s.named_args, vec![(":a".to_string(), Value::Text("x".into()))]);
    assert!(s.args.is_empty());
    assert_eq!(statement("SELECT 1", ()), crate::client::Statement::new("SELECT 1"));
}

/// The helpers run the replica's real results: a local query read back into a struct.
#[test]
fn rows_as_reads_a_replica_query() {
    let mut replica = crate::replica::Replica::open(crate::replica::ReplicaConfig::default()).unwrap();
    let rows =
        replica.query("SELECT 1 AS id, 'x' AS title, 2.0 AS score, 1 AS draft, x'ff' AS body, NULL AS note", &[]);
    let rs = ResultSet::from(rows.unwrap());
    let posts: Vec<Post> = rs.rows_as().unwrap();
    assert_eq!(posts, vec![Post { id: 1, title: "x".into(), score: 2.0, draft: true, body: vec![255], note: None }]);
}
