//! JWT auth replayed from sqld's recorded exchanges (server D): Hrana 401/403 bodies and the
//! trailers-only gRPC statuses of `Hello`.

mod common;

use common::*;
use libsql_edge_dev_primary::auth::JwtAuth;

fn auth_state() -> libsql_edge_dev_primary::AppState {
    let pem = std::fs::read_to_string(fixtures().join("sqld-0.24.33/auth/jwt_pub.pem")).unwrap();
    state(open(&scratch_dir(), None), Some(JwtAuth::from_key_text(&pem).unwrap()))
}

#[tokio::test]
async fn hrana_auth_replay_matches_sqld_status_and_body() {
    let st = auth_state();
    let text = std::fs::read_to_string(fixtures().join("sqld-0.24.33/auth/hrana-v2-auth.jsonl")).unwrap();
    for line in text.lines() {
        let ex: serde_json::Value = serde_json::from_str(line).unwrap();
        let mut headers = vec![("content-type", "application/json".to_owned())];
        if let Some(a) = ex["request_headers"]["Authorization"].as_str() {
            headers.push(("authorization", a.to_owned()));
        }
        let h: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let r = post(&st, "/v2/pipeline", &h, ex["request_text"].as_str().unwrap().as_bytes().to_vec()).await;
        let name = ex["name"].as_str().unwrap();
        assert_eq!(r.status as u64, ex["status"].as_u64().unwrap(), "{name}: {}", r.text());
        assert_eq!(r.header("content-type").as_deref(), ex["headers"]["content-type"].as_str(), "{name}");
        if r.status != 200 {
            assert_eq!(r.text(), ex["response_text"].as_str().unwrap(), "{name}");
        }
        assert!(r.header("www-authenticate").is_none());
    }
}

#[tokio::test]
async fn grpc_hello_auth_failures_are_trailers_only_like_sqld() {
    let st = auth_state();
    for case in ["no-token", "garbage-token", "wrong-key-token", "expired-token", "valid-token"] {
        let ex: serde_json::Value = serde_json::from_slice(
            &std::fs::read(fixtures().join(format!("sqld-0.24.33/auth/grpc/hello-{case}.headers.json"))).unwrap(),
        )
        .unwrap();
        let mut h = vec![("content-type", "application/grpc-web+proto")];
        if let Some(a) = ex["request"]["headers"]["X-Authorization"].as_str() {
            h.push(("x-authorization", a));
        }
        let r = post(&st, "/wal_log.ReplicationLog/Hello", &h, grpc_body(&[8, 1])).await;
        assert_eq!(r.status, 200, "{case}");
        let resp = &ex["response"]["headers"];
        assert_eq!(r.header("grpc-status").as_deref(), resp["grpc-status"].as_str(), "{case}");
        assert_eq!(r.header("grpc-message").as_deref(), resp["grpc-message"].as_str(), "{case}");
    }
}

#[tokio::test]
async fn read_only_token_can_replicate_and_raw_base64url_key_works() {
    let st = auth_state();
    let tokens: serde_json::Value =
        serde_json::from_slice(&std::fs::read(fixtures().join("sqld-0.24.33/auth/tokens.json")).unwrap()).unwrap();
    let ro = format!("Bearer {}", tokens["tokens"]["valid_ro"].as_str().unwrap());
    let r = post(&st, "/wal_log.ReplicationLog/Hello", &[("authorization", &ro)], grpc_body(&[8, 1])).await;
    assert_eq!(r.header("grpc-status"), None);
    let r = get(&st, "/info", &[]).await;
    assert_eq!(r.status, 401);
    let r = get(&st, "/info", &[("authorization", &ro)]).await;
    assert_eq!(r.status, 200);
    // The same key as raw base64url (the last 32 bytes of the SPKI DER).
    let raw = "65a4yRyKY_vfebCzcrkFEZ1tW2X0zZnSLfiFCOmtyUU";
    let auth = JwtAuth::from_key_text(raw).unwrap();
    assert!(auth.check_token(tokens["tokens"]["valid_rw"].as_str().unwrap()).is_ok());
    assert!(JwtAuth::from_key_text("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----").is_err());
}
