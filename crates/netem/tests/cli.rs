//! The binary: prints its URL first, and in wrapper mode runs the command with NETEM_URL set and
//! exits with its code.

use std::process::Command;

#[test]
fn netem_wrapper_mode_sets_netem_url_and_returns_the_exit_code() {
    let upstream = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_libsql-edge-netem"))
        .args(["--upstream", &format!("http://{}", upstream.local_addr().unwrap()), "--rtt-ms", "40"])
        .args(["--fault", "kind=drop after=10 every=2", "--", "sh", "-c", "echo \"child $NETEM_URL\"; exit 7"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(7), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8(out.stdout).unwrap();
    let mut lines = stdout.lines();
    let url = lines.next().unwrap();
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");
    assert_eq!(lines.next(), Some(format!("child {url}").as_str()));
}

#[test]
fn netem_bad_rule_is_refused_at_start() {
    let out = Command::new(env!("CARGO_BIN_EXE_libsql-edge-netem"))
        .args(["--upstream", "http://127.0.0.1:9", "--fault", "kind=drop ms=5", "--", "true"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not valid for kind drop"));
}
