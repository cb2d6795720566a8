//! Replays the Hrana exchanges recorded from sqld 0.24.33 against the dev primary and compares the
//! responses field by field: status, content type, JSON shape and types, error codes, integer
//! encodings and replication indexes. Batons, timings and row counters are compared by type only.

mod common;

use std::collections::HashMap;

use common::*;
use serde_json::Value;

fn strip_position(text: &str) -> &str {
    text.split(" at line ").next().unwrap_or(text)
}

fn compare(path: &str, expected: &Value, actual: &Value, diffs: &mut Vec<String>) {
    match (expected, actual) {
        (Value::Object(e), Value::Object(a)) => {
            let mut ek: Vec<_> = e.keys().collect();
            let mut ak: Vec<_> = a.keys().collect();
            ek.sort();
            ak.sort();
            if ek != ak {
                diffs.push(format!("{path}: keys {ek:?} != {ak:?}"));
                return;
            }
            for (k, ev) in e {
                let p = format!("{path}.{k}");
                match k.as_str() {
                    "baton" => {
                        if ev.is_null() != a[k].is_null() {
                            diffs.push(format!("{p}: baton nullness differs"));
                        }
                    }
                    "query_duration_ms" | "rows_read" | "rows_written" => {
                        if !a[k].is_number() {
                            diffs.push(format!("{p}: not a number"));
                        }
                    }
                    "message" => {
                        if !a[k].is_string() {
                            diffs.push(format!("{p}: not a string"));
                        }
                    }
                    _ => compare(&p, ev, &a[k], diffs),
                }
            }
        }
        (Value::Array(e), Value::Array(a)) => {
            if e.len() != a.len() {
                diffs.push(format!("{path}: length {} != {}", e.len(), a.len()));
                return;
            }
            for (i, (ev, av)) in e.iter().zip(a).enumerate() {
                compare(&format!("{path}[{i}]"), ev, av, diffs);
            }
        }
        (e, a) => {
            if e != a {
                diffs.push(format!("{path}: {e} != {a}"));
            }
        }
    }
}

async fn replay(file: &str) {
    let dir = tempdir();
    let st = state(open(&dir, None), None);
    let text = std::fs::read_to_string(fixtures().join("sqld-0.24.33").join(file)).unwrap();
    let mut batons: HashMap<String, String> = HashMap::new();
    let mut all_diffs = Vec::new();
    let mut replayed = 0;
    for line in text.lines() {
        let ex: Value = serde_json::from_str(line).unwrap();
        let path = ex["path"].as_str().unwrap();
        if !path.ends_with("/pipeline") {
            continue; // /v3/cursor is not implemented
        }
        let name = ex["name"].as_str().unwrap().to_owned();
        let mut body = ex["request_text"].as_str().unwrap().to_owned();
        if let Some(Value::String(b)) = ex["request"].get("baton") {
            if let Some(ours) = batons.get(b) {
                body = body.replace(b.as_str(), ours);
            }
        }
        let r = post(&st, path, &[("content-type", "application/json")], body.into_bytes()).await;
        replayed += 1;
        let mut diffs = Vec::new();
        if r.status as u64 != ex["status"].as_u64().unwrap() {
            diffs.push(format!("status {} != {} ({})", ex["status"], r.status, r.text()));
        }
        let ct = ex["headers"]["content-type"].as_str().unwrap();
        if r.header("content-type").as_deref() != Some(ct) {
            diffs.push(format!("content-type {ct} != {:?}", r.header("content-type")));
        }
        if ex["response_is_json"].as_bool().unwrap() && diffs.is_empty() {
            let actual = r.json();
            if let (Some(Value::String(theirs)), Some(Value::String(ours))) =
                (ex["response"].get("baton"), actual.get("baton"))
            {
                batons.insert(theirs.clone(), ours.clone());
            }
            compare("$", &ex["response"], &actual, &mut diffs);
        } else if diffs.is_empty() {
            let expected = ex["response_text"].as_str().unwrap();
            if strip_position(expected) != strip_position(&r.text()) {
                diffs.push(format!("body {expected:?} != {:?}", r.text()));
            }
        }
        for d in diffs {
            all_diffs.push(format!("{file} {name}: {d}"));
        }
    }
    assert!(replayed > 40);
    assert!(all_diffs.is_empty(), "{} differences:\n{}", all_diffs.len(), all_diffs.join("\n"));
}

#[tokio::test]
async fn hrana_v2_replay_matches_sqld() {
    replay("hrana-v2.jsonl").await;
}

#[tokio::test]
async fn hrana_v3_replay_matches_sqld() {
    replay("hrana-v3.jsonl").await;
}
