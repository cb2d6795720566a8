//! Shared by the netem tests: a dev primary on a real loopback listener in this process, the proxy
//! in front of it, and a raw HTTP/1.1 client that reports exactly how a response ended (complete,
//! EOF, reset, or nothing more within a probe) instead of hiding it the way an HTTP library would.
#![allow(dead_code)]

use std::sync::Arc;
use std::time::Duration;

use libsql_edge_dev_primary::{app, Primary, PrimaryOptions, Shared};
use libsql_edge_netem::{start, Config, Rule, Running, Shape};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// A dev primary serving on 127.0.0.1 and a proxy in front of it.
pub struct Harness {
    pub primary_url: String,
    pub primary: Arc<Primary>,
    pub netem: Running,
    server: tokio::task::JoinHandle<()>,
    _dir: tempfile::TempDir,
}

impl Drop for Harness {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl Harness {
    pub async fn start(shape: Shape, rules: &[&str]) -> Harness {
        let dir = tempfile::tempdir().unwrap();
        let primary = Primary::open(PrimaryOptions::new(dir.path().join("db"))).unwrap();
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let primary_url = format!("http://{}", listener.local_addr().unwrap());
        let state = Shared::new(primary.clone(), None, true);
        let server = tokio::spawn(async move {
            axum::serve(listener, app(state)).await.unwrap();
        });
        let rules = rules.iter().map(|r| Rule::parse_text(r).unwrap()).collect();
        let netem = start(
            TcpListener::bind("127.0.0.1:0").await.unwrap(),
            Config { upstream: primary_url.clone(), shape, rules },
        )
        .unwrap();
        Harness { primary_url, primary, netem, server, _dir: dir }
    }

    pub fn addr(&self) -> String {
        self.netem.url.trim_start_matches("http://").to_string()
    }

    /// The proxy's counters.
    pub fn stats(&self) -> serde_json::Value {
        self.netem.proxy.stats.to_json()
    }

    /// Rows of one SELECT run directly on the primary's database (not through the proxy).
    pub fn count(&self, sql: &str) -> i64 {
        self.primary.connect().unwrap().query_row(sql, [], |r| r.get(0)).unwrap()
    }
}

/// A Hrana `/v2/pipeline` body running these statements then closing the stream.
pub fn pipeline_body(sqls: &[&str]) -> String {
    let mut requests: Vec<serde_json::Value> =
        sqls.iter().map(|sql| serde_json::json!({"type": "execute", "stmt": {"sql": sql}})).collect();
    requests.push(serde_json::json!({"type": "close"}));
    serde_json::json!({ "requests": requests }).to_string()
}

/// How a response ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum End {
    /// Content-Length bytes arrived (or the chunked terminator).
    Complete,
    /// The connection closed (FIN) before the body was complete.
    Eof,
    /// The connection was reset.
    Reset,
    /// Nothing more arrived within the probe; the connection is still open.
    Quiet,
    /// The read limit was reached.
    Limit,
}

/// One raw exchange's outcome.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    /// Body bytes as received (raw chunked framing when the response is chunked).
    pub body: Vec<u8>,
    pub end: End,
    /// The connection, still open when `end` is Complete or Quiet.
    pub stream: Option<TcpStream>,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    pub fn content_length(&self) -> Option<usize> {
        self.header("content-length").map(|v| v.parse().unwrap())
    }
}

/// Sends one request on `stream` (or a new connection to `addr`) and reads the answer until it is
/// complete, the connection ends, `limit` body bytes arrived, or nothing arrives for `probe`.
pub async fn exchange(
    addr: &str,
    stream: Option<TcpStream>,
    method: &str,
    path: &str,
    body: &str,
    probe: Duration,
    limit: usize,
) -> Reply {
    let mut stream = match stream {
        Some(s) => s,
        None => TcpStream::connect(addr).await.unwrap(),
    };
    let request = format!(
        "{method} {path} HTTP/1.1\r\nhost: {addr}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut buf = Vec::new();
    let mut head_len = None;
    let mut end;
    loop {
        if let Some(h) = head_len {
            if let Some(done) = complete(&buf[..h], &buf[h..]) {
                if done {
                    end = End::Complete;
                    break;
                }
            }
            if buf.len() - h >= limit {
                end = End::Limit;
                break;
            }
        }
        let mut chunk = [0u8; 16384];
        match tokio::time::timeout(probe, stream.read(&mut chunk)).await {
            Err(_) => {
                end = End::Quiet;
                break;
            }
            Ok(Ok(0)) => {
                end = End::Eof;
                break;
            }
            Ok(Ok(n)) => buf.extend_from_slice(&chunk[..n]),
            Ok(Err(e)) if e.kind() == std::io::ErrorKind::ConnectionReset => {
                end = End::Reset;
                break;
            }
            Ok(Err(e)) => panic!("read: {e}"),
        }
        if head_len.is_none() {
            head_len = buf.windows(4).position(|w| w == b"\r\n\r\n").map(|p| p + 4);
        }
    }
    let Some(h) = head_len else {
        return Reply { status: 0, headers: vec![], body: buf, end, stream: None };
    };
    let head = String::from_utf8_lossy(&buf[..h]).to_string();
    let mut lines = head.split("\r\n");
    let status = lines.next().unwrap().split(' ').nth(1).unwrap().parse().unwrap();
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    if end == End::Eof && complete(&buf[..h], &buf[h..]) == Some(true) {
        end = End::Complete;
    }
    let keep = matches!(end, End::Complete | End::Quiet);
    Reply { status, headers, body: buf[h..].to_vec(), end, stream: keep.then_some(stream) }
}

/// Whether `body` completes the response whose head is `head` (None: cannot tell).
fn complete(head: &[u8], body: &[u8]) -> Option<bool> {
    let head = String::from_utf8_lossy(head).to_ascii_lowercase();
    if let Some(cl) = head.split("\r\n").find_map(|l| l.strip_prefix("content-length:")) {
        return Some(body.len() >= cl.trim().parse::<usize>().unwrap());
    }
    if head.contains("transfer-encoding: chunked") {
        return Some(body.ends_with(b"0\r\n\r\n"));
    }
    None
}

/// The same request straight to the primary, for comparison.
pub async fn direct(h: &Harness, body: &str) -> Vec<u8> {
    let addr = h.primary_url.trim_start_matches("http://");
    let reply = exchange(addr, None, "POST", "/v2/pipeline", body, Duration::from_secs(30), usize::MAX).await;
    assert_eq!((reply.status, reply.end), (200, End::Complete));
    reply.body
}

/// The body with Hrana's `"query_duration_ms":<number>` zeroed (the one part that varies).
pub fn norm(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body).to_string();
    let key = "\"query_duration_ms\":";
    let mut out = String::new();
    let mut rest = text.as_str();
    while let Some(i) = rest.find(key) {
        out.push_str(&rest[..i + key.len()]);
        out.push('0');
        rest = rest[i + key.len()..].trim_start_matches(|c: char| c.is_ascii_digit() || c == '.');
    }
    out.push_str(rest);
    out
}

/// Asserts two bodies are equal up to the query duration, without printing them.
pub fn assert_same(got: &[u8], want: &[u8]) {
    assert!(norm(got) == norm(want), "bodies differ: {} bytes vs {} bytes", got.len(), want.len());
}

/// Asserts `got` is the first `n` bytes of `want`, without printing them.
pub fn assert_prefix(got: &[u8], want: &[u8], n: usize) {
    assert_eq!(got.len(), n, "body length");
    assert!(got == &want[..n], "not a prefix of the real body");
}

/// A generous probe for reads that must complete.
pub const LONG: Duration = Duration::from_secs(30);
