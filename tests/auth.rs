//! Authentication end to end against a dev primary that requires JWTs (the key and tokens recorded
//! with sqld 0.24.33): a valid token syncs and writes; a read-only token syncs and reads but cannot
//! write; a bad token is `SYNC_AUTH` at once, never retried, and never appears in the error.
#![cfg(not(target_arch = "wasm32"))]

#[path = "common/primary.rs"]
mod primary;

use std::cell::Cell;

use libsql_edge::transport::native::{block_on, NativeTransport};
use libsql_edge::transport::{BoxFuture, Request, Response, Transport, TransportError};
use libsql_edge::{Client, ClientConfig, Statement, Value};
use primary::{DevPrimary, Options};

fn fixture(path: &str) -> String {
    std::fs::read_to_string(format!("{}/../shared/fixtures/sqld-0.24.33/auth/{path}", env!("CARGO_MANIFEST_DIR")))
        .unwrap()
}

fn token(name: &str) -> String {
    let tokens: serde_json::Value = serde_json::from_str(&fixture("tokens.json")).unwrap();
    tokens["tokens"][name].as_str().unwrap().to_string()
}

/// Counts requests (observation only).
struct Counting {
    calls: Cell<u32>,
}

impl Transport for Counting {
    fn send(&self, request: Request) -> BoxFuture<'_, Result<Response, TransportError>> {
        self.calls.set(self.calls.get() + 1);
        NativeTransport.send(request)
    }

    fn sleep(&self, ms: u32) -> BoxFuture<'_, ()> {
        NativeTransport.sleep(ms)
    }

    fn now_ms(&self) -> f64 {
        NativeTransport.now_ms()
    }
}

fn client(p: &DevPrimary, token: &str, protocol: &str) -> Client {
    Client::new(&ClientConfig {
        url: "file:auth.db".into(),
        sync_url: Some(p.url.clone()),
        auth_token: Some(token.into()),
        sync_protocol: Some(protocol.into()),
        ..Default::default()
    })
    .unwrap()
}

#[test]
fn tokens_are_checked_on_sync_and_writes_and_never_leak() {
    for (protocol, http_sync) in [("sqld", false), ("http-sync", true)] {
        let mut p =
            DevPrimary::start(Options { auth_key: Some(fixture("jwt_pub.pem")), http_sync, ..Default::default() });
        p.token = Some(token("valid_rw"));
        p.execute(&["CREATE TABLE t (x)", "INSERT INTO t VALUES (1)"]);
        let t = &NativeTransport;

        let rw = client(&p, &token("valid_rw"), protocol);
        let count = |c: &Client| block_on(c.execute(t, &Statement::new("SELECT count(*) FROM t"))).unwrap().rows;
        assert_eq!(count(&rw), vec![vec![Value::Integer(1)]], "{protocol}");
        block_on(rw.execute(t, &Statement::new("INSERT INTO t VALUES (2)"))).unwrap();
        assert_eq!(count(&rw), vec![vec![Value::Integer(2)]], "{protocol}");

        let ro = client(&p, &token("valid_ro"), protocol);
        assert_eq!(count(&ro), vec![vec![Value::Integer(2)]], "{protocol}");
        let err = block_on(ro.execute(t, &Statement::new("INSERT INTO t VALUES (3)"))).unwrap_err();
        assert!(err.to_string().contains("Authorization forbidden"), "{protocol}: {err}");

        for bad in ["garbage", "expired", "wrong_key"] {
            let secret = token(bad);
            let c = client(&p, &secret, protocol);
            let counting = Counting { calls: Cell::new(0) };
            let err = block_on(c.execute(&counting, &Statement::new("SELECT 1"))).unwrap_err();
            assert_eq!(err.code(), "SYNC_AUTH", "{protocol} {bad}: {err}");
            assert_eq!(counting.calls.get(), 1, "{protocol} {bad}: an auth failure is not retried");
            assert!(!err.to_string().contains(&secret), "{protocol} {bad}: the token leaked into {err}");
            assert!(!format!("{err:?}").contains(&secret), "{protocol} {bad}: the token leaked into the Debug form");
        }
    }
}
