//! `libsql-edge-fuzz-seeds FIXTURES OUT`: writes one seed directory per fuzz target under `OUT`
//! (`OUT/<target>/<name>`) from the sqld 0.24.33 and tursodb 0.7.0 captures in `FIXTURES`
//! (`../shared/fixtures`, see its README). Large captures are cut to a few frames or pages and
//! re-encoded, so seeds stay small enough to mutate. Targets with no capture (the proxy, the
//! selector) get seeds built with the protocol crate. Each seed's first bytes follow the input
//! layout documented at the top of its target's file.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use libsql_edge_protocol::frame::Frame;
use libsql_edge_protocol::grpc_web::{decode_request_body, decode_response_body, encode_data_frame, encode_unary_body};
use libsql_edge_protocol::hrana::Value;
use libsql_edge_protocol::proxy;
use libsql_edge_protocol::pull_updates::{decode_response, encode_response, pages_selector, PageData};
use libsql_edge_protocol::replication_log::{self as wal_log, decode_message};
use libsql_edge_protocol::wal_frame::{WalFrameEncoder, WalHeader};
use prost::Message;

type Result<T> = std::result::Result<T, String>;

struct Seeds {
    fixtures: PathBuf,
    out: PathBuf,
    written: usize,
}

impl Seeds {
    fn read(&self, rel: &str) -> Result<Vec<u8>> {
        fs::read(self.fixtures.join(rel)).map_err(|e| format!("{rel}: {e}"))
    }

    fn json(&self, rel: &str) -> Result<serde_json::Value> {
        serde_json::from_slice(&self.read(rel)?).map_err(|e| format!("{rel}: {e}"))
    }

    fn jsonl(&self, rel: &str) -> Result<Vec<serde_json::Value>> {
        let text = String::from_utf8(self.read(rel)?).map_err(|e| format!("{rel}: {e}"))?;
        text.lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| serde_json::from_str(l).map_err(|e| format!("{rel}: {e}")))
            .collect()
    }

    fn write(&mut self, target: &str, name: &str, bytes: &[u8]) -> Result<()> {
        let dir = self.out.join(target);
        fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        fs::write(dir.join(name), bytes).map_err(|e| format!("{target}/{name}: {e}"))?;
        self.written += 1;
        Ok(())
    }
}

/// The replication frames of a `BatchLogEntries` reply body.
fn batch_frames(body: &[u8]) -> Result<Vec<Vec<u8>>> {
    let (messages, _) = decode_response_body(body).map_err(|e| e.to_string())?;
    let mut out = Vec::new();
    for m in messages {
        let frames: wal_log::Frames = decode_message("Frames", &m).map_err(|e| e.to_string())?;
        out.extend(frames.frames.into_iter().map(|f| f.data));
    }
    Ok(out)
}

/// A `BatchLogEntries` reply body carrying `frames`.
fn batch_body(frames: &[Vec<u8>]) -> Vec<u8> {
    let message = wal_log::Frames {
        frames: frames
            .iter()
            .map(|d| wal_log::Frame { data: d.clone(), timestamp: None, durable_frame_no: None })
            .collect(),
    };
    encode_unary_body(&message.encode_to_vec())
}

/// The database image after applying `frames` (whole transactions, in log order).
fn image(frames: &[Vec<u8>]) -> Result<Vec<u8>> {
    let mut pages = BTreeMap::new();
    let mut size = 0;
    for f in frames {
        let f = Frame::decode(f).map_err(|e| e.to_string())?;
        pages.insert(f.header.page_no, f.page);
        if f.header.is_commit() {
            size = f.header.size_after;
        }
    }
    Ok((1..=size).flat_map(|n| pages.get(&n).cloned().unwrap_or_default()).collect())
}

/// `frames` as SQLite WAL frames (big-endian headers, SQLite's checksums), without the WAL header.
fn wal_frames(header: &WalHeader, frames: &[Vec<u8>]) -> Result<Vec<u8>> {
    let mut encoder = WalFrameEncoder::new(header);
    let mut out = Vec::new();
    for f in frames {
        let f = Frame::decode(f).map_err(|e| e.to_string())?;
        out.extend(encoder.next_frame(f.header.page_no, f.header.size_after, f.page).encode());
    }
    Ok(out)
}

fn part(bytes: &[u8]) -> Vec<u8> {
    let mut out = (bytes.len() as u32).to_le_bytes().to_vec();
    out.extend_from_slice(bytes);
    out
}

fn cat(parts: &[&[u8]]) -> Vec<u8> {
    parts.concat()
}

fn sqld(s: &mut Seeds) -> Result<()> {
    let all = batch_frames(&s.read("sqld-0.24.33/grpc/batch-from-0.body")?)?;
    // Transactions end at frames 1, 4, 6 and 14 (log-index.json).
    let (txn1, txn3, txn4) = (&all[..2], &all[..7], &all[..15]);
    let tail = batch_frames(&s.read("sqld-0.24.33/grpc/batch-from-1317.body")?)?;
    let hello = s.read("sqld-0.24.33/grpc/hello.body")?;
    let beyond = s.read("sqld-0.24.33/grpc/batch-beyond-end.body")?;
    let snapshot_body = s.read("sqld-0.24.33/grpc/snapshot/snapshot-from-0.body")?;
    let (snapshot, _) = decode_response_body(&snapshot_body).map_err(|e| e.to_string())?;
    let mut snapshot_cut: Vec<u8> =
        snapshot[..3].iter().chain(snapshot.last()).flat_map(|m| encode_data_frame(m)).collect();
    snapshot_cut.extend_from_slice(&snapshot_body[snapshot_body.len() - 20..]);

    for (i, f) in txn1.iter().chain(&tail).enumerate() {
        s.write("frame", &format!("sqld-frame-{i}"), f)?;
    }
    for (name, frames, split) in [("txn1", txn1, 1u8), ("txn1-3", txn3, 2), ("txn1-4", txn4, 5), ("tail", &tail[..], 0)]
    {
        s.write("sqld_chain", name, &cat(&[&[split, 3], &frames.concat()]))?;
    }
    for (name, body) in
        [("batch-txn1-4", batch_body(txn4)), ("batch-beyond-end", beyond.clone()), ("batch-tail", batch_body(&tail))]
    {
        s.write("sync_sqld", name, &cat(&[&[0], &body]))?;
    }
    s.write("sync_sqld", "snapshot-cut", &cat(&[&[1], &snapshot_cut]))?;
    s.write("sync_sqld", "hello", &cat(&[&[2], &hello]))?;
    for (name, rel) in [
        ("no-hello", "sqld-0.24.33/grpc/batch-no-session-token.headers.json"),
        ("need-snapshot", "sqld-0.24.33/grpc/snapshot/batch-from-0-need-snapshot.headers.json"),
        ("auth-invalid", "sqld-0.24.33/auth/grpc/hello-garbage-token.headers.json"),
        ("auth-missing", "sqld-0.24.33/auth/grpc/hello-no-token.headers.json"),
    ] {
        let h = &s.json(rel)?["response"]["headers"];
        let text = format!("{}\n{}", h["grpc-status"].as_str().unwrap_or(""), h["grpc-message"].as_str().unwrap_or(""));
        s.write("sync_sqld", name, &cat(&[&[3], text.as_bytes()]))?;
        s.write("grpc_web", &format!("headers-{name}"), text.as_bytes())?;
    }

    for (name, body) in [
        ("hello", hello.clone()),
        ("beyond-end", beyond),
        ("batch-tail", s.read("sqld-0.24.33/grpc/batch-from-1317.body")?),
        ("snapshot-cut", snapshot_cut),
        ("trailer", b"\x80\x00\x00\x00\x0fgrpc-status:0\r\n".to_vec()),
    ] {
        s.write("grpc_web", &name.to_string(), &body)?;
    }

    let (hello_messages, _) = decode_response_body(&hello).map_err(|e| e.to_string())?;
    let hello_message = hello_messages.first().ok_or("hello without message")?;
    s.write("replication_log", "hello", &cat(&[&[0], hello_message]))?;
    let hello_decoded: wal_log::HelloResponse =
        decode_message("HelloResponse", hello_message).map_err(|e| e.to_string())?;
    if let Some(config) = hello_decoded.config {
        s.write("replication_log", "config", &cat(&[&[5], &config.encode_to_vec()]))?;
    }
    s.write(
        "replication_log",
        "frames-tail",
        &cat(&[
            &[1],
            &wal_log::Frames {
                frames: tail
                    .iter()
                    .map(|d| wal_log::Frame { data: d.clone(), timestamp: Some(1), durable_frame_no: None })
                    .collect(),
            }
            .encode_to_vec(),
        ]),
    )?;
    s.write("replication_log", "frame-snapshot", &cat(&[&[2], &snapshot[0]]))?;
    for rel in ["sqld-0.24.33/grpc/batch-from-1317.headers.json", "sqld-0.24.33/grpc/batch-from-mid-660.headers.json"] {
        let hex = s.json(rel)?["request"]["body_hex"].as_str().unwrap_or("").to_string();
        let bytes: Vec<u8> =
            (0..hex.len() / 2).filter_map(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).ok()).collect();
        let offset = decode_request_body(&bytes).map_err(|e| e.to_string())?;
        s.write("replication_log", &format!("log-offset-{}", offset.len()), &cat(&[&[3], &offset]))?;
    }
    s.write("replication_log", "hello-request", &[4, 8, 1])?;
    let log_id = hello_decoded.log_id;
    for (name, text) in [
        ("sqld", format!("sqld:{log_id}/1320")),
        ("http", "http:1/24".into()),
        ("rev", "rev:1319".into()),
        ("log-id", log_id.clone()),
    ] {
        s.write("pos", name, text.as_bytes())?;
    }

    // HTTP sync: the image after transactions 1-3, then transaction 4 as WAL frames.
    let header = WalHeader::new(4096, 0, 0x1234_5678, 0x9abc_def0);
    let base = image(txn3)?;
    let frames = wal_frames(&header, &txn4[7..])?;
    s.write("wal_frame", "frames", &cat(&[&[3], &frames]))?;
    s.write("wal_frame", "wal-file", &cat(&[&[3], &header.encode(), &frames]))?;
    s.write("sync_http", "info", b"\x00{\"current_generation\":1}")?;
    s.write("sync_http", "export", &cat(&[&[1], &image(txn4)?]))?;
    s.write("sync_http", "export-empty", &[1])?;
    s.write("sync_http", "sync-frames", &cat(&[&[2], &part(&base), &frames]))?;
    for (name, status, body) in [
        ("same-generation", 1u8, "{\"generation\":1}"),
        ("new-generation", 2, "{\"generation\":2}"),
        ("error", 2, "oops"),
    ] {
        s.write("sync_http", name, &cat(&[&[3], &part(&base), &[status], body.as_bytes()]))?;
    }
    Ok(())
}

fn hrana(s: &mut Seeds) -> Result<()> {
    const STATUSES: [u64; 8] = [200, 200, 200, 200, 400, 404, 500, 503];
    let files = [
        "sqld-0.24.33/hrana-v2.jsonl",
        "sqld-0.24.33/hrana-v3.jsonl",
        "tursodb-0.7.0/hrana-v2.jsonl",
        "sqld-0.24.33/auth/hrana-v2-auth.jsonl",
    ];
    for (f, file) in files.iter().enumerate() {
        let mut by_step: BTreeMap<String, Vec<u8>> = BTreeMap::new();
        for (i, x) in s.jsonl(file)?.into_iter().enumerate() {
            let request = x["request_text"].as_str().unwrap_or_default();
            let reply = x["response_text"].as_str().unwrap_or_default();
            let status = x["status"].as_u64().unwrap_or(200);
            let selector = STATUSES.iter().position(|s| *s == status).unwrap_or(6) as u8;
            let kinds: Vec<&str> = x["request"]["requests"]
                .as_array()
                .map(|r| r.iter().filter_map(|q| q["type"].as_str()).collect())
                .unwrap_or_default();
            let call = match kinds.first() {
                Some(&"batch") => 1,
                Some(&"sequence") => 3,
                _ => 0,
            };
            s.write("hrana_dev_primary", &format!("{f}-{i}"), request.as_bytes())?;
            s.write("hrana_client", &format!("{f}-{i}"), &cat(&[&[call, selector], reply.as_bytes()]))?;
            let step = x["step"].as_str().unwrap_or_default().to_string();
            let records = by_step.entry(step).or_default();
            if !records.is_empty() {
                records.push(0);
            }
            records.push(selector);
            records.extend_from_slice(reply.as_bytes());
            // Blobs and their base64 text.
            for v in x["response"]["results"].as_array().into_iter().flatten() {
                for row in v["response"]["result"]["rows"].as_array().into_iter().flatten() {
                    for cell in row.as_array().into_iter().flatten() {
                        if let Some(b64) = cell["base64"].as_str() {
                            s.write("base64", &format!("{f}-{i}-{}", b64.len()), b64.as_bytes())?;
                        }
                        if let Ok(value) = serde_json::from_value::<Value>(cell.clone()) {
                            let bytes = proxy::encode_value(&value);
                            s.write("proxy_value", &format!("{f}-{i}-{}", bytes.len()), &bytes)?;
                        }
                    }
                }
            }
        }
        // Interactive transactions: every reply of a step, in order, for the transaction call.
        for (step, records) in by_step {
            s.write("hrana_client", &format!("{f}-step-{step}-tx"), &cat(&[&[5], &records]))?;
        }
    }
    Ok(())
}

fn pull_updates(s: &mut Seeds) -> Result<()> {
    let bootstrap = s.read("tursodb-0.7.0/pull/bootstrap.body")?;
    let up_to_date = s.read("tursodb-0.7.0/pull/up-to-date.body")?;
    let at_revision = s.read("tursodb-0.7.0/pull/bootstrap-at-revision.body")?;
    // The incremental reply, cut to the pages of the bootstrap's 8-page database.
    let incremental = decode_response(&s.read("tursodb-0.7.0/pull/incremental.body")?).map_err(|e| e.to_string())?;
    let mut header = incremental.header.clone();
    header.db_size = 8;
    let small: Vec<PageData> = incremental.pages.iter().filter(|p| p.page_id < 8).cloned().collect();
    let incremental_cut = encode_response(&header, &small);
    let some_pages = encode_response(&incremental.header, &incremental.pages[..12]);

    for (name, body) in [
        ("bootstrap", &bootstrap),
        ("up-to-date", &up_to_date),
        ("bootstrap-at-revision", &at_revision),
        ("incremental-cut", &incremental_cut),
        ("incremental-prefix", &some_pages),
    ] {
        s.write("pull_updates", name, &cat(&[&[2], body]))?;
        s.write("sync_pull_updates", name, &cat(&[&[0], body]))?;
    }
    s.write("sync_pull_updates", "then-incremental", &cat(&[&[1], &part(&bootstrap), &incremental_cut]))?;
    s.write("sync_pull_updates", "then-up-to-date", &cat(&[&[1], &part(&bootstrap), &up_to_date]))?;
    let declared = (bootstrap.len() as u32 + 100).to_le_bytes();
    s.write("sync_pull_updates", "cut-short", &cat(&[&[2], &declared, &bootstrap]))?;
    for name in ["bootstrap", "incremental", "up-to-date", "bootstrap-at-revision"] {
        let request = s.read(&format!("tursodb-0.7.0/pull/{name}.request.bin"))?;
        s.write("pull_updates", &format!("request-{name}"), &cat(&[&[1], &request]))?;
    }

    // Selector: page ids as u32le, the low bits of the first byte choosing how they are read.
    let ids: Vec<u32> = incremental.pages.iter().map(|p| p.page_id as u32).take(2000).collect();
    let as_input = |ids: &[u32]| -> Vec<u8> { ids.iter().flat_map(|id| ((id << 8) | 0x40).to_le_bytes()).collect() };
    s.write("pull_updates_selector", "incremental-ids", &as_input(&ids))?;
    s.write("pull_updates_selector", "one", &as_input(&[1]))?;
    s.write("pull_updates_selector", "range", &[0x00, 0xff, 0, 0])?;
    // The same selector bytes the client sends, as a request field.
    let request = libsql_edge_protocol::pull_updates::PullUpdatesReqProtoBody {
        server_pages_selector: pages_selector(&ids),
        ..Default::default()
    };
    s.write("pull_updates", "request-selector", &cat(&[&[1], &request.encode_to_vec()]))?;
    Ok(())
}

/// Proxy messages: no capture exists, so seeds are built from the protocol crate's types.
fn proxy_seeds(s: &mut Seeds) -> Result<()> {
    use proxy::*;
    let values: Vec<ValueMsg> = [
        Value::Null,
        Value::Integer { value: -42 },
        Value::Float { value: 0.1 },
        Value::Text { value: "héllo".into() },
        Value::Blob { value: vec![0, 1, 2, 255] },
    ]
    .iter()
    .map(ValueMsg::from_value)
    .collect();
    let query = |stmt: &str, params| Query { stmt: stmt.into(), params: Some(params), skip_rows: false };
    let program = ProgramReq {
        client_id: "00000000-0000-0000-0000-000000000001".into(),
        pgm: Some(Program {
            steps: vec![
                Step { cond: None, query: Some(query("BEGIN", Params::Positional(Positional { values: vec![] }))) },
                Step {
                    cond: Some(Cond { cond: Some(CondKind::Ok(OkCond { step: 0 })) }),
                    query: Some(query(
                        "INSERT INTO t VALUES (?, ?, ?, ?, ?)",
                        Params::Positional(Positional { values: values.clone() }),
                    )),
                },
                Step {
                    cond: Some(Cond {
                        cond: Some(CondKind::Not(NotCond {
                            cond: Some(Box::new(Cond {
                                cond: Some(CondKind::And(AndCond {
                                    conds: vec![Cond { cond: Some(CondKind::IsAutocommit(IsAutocommitCond {})) }],
                                })),
                            })),
                        })),
                    }),
                    query: Some(query(
                        "SELECT :a",
                        Params::Named(Named { names: vec![":a".into()], values: values[..1].to_vec() }),
                    )),
                },
            ],
        }),
    };
    s.write("proxy", "program", &cat(&[&[0], &program.encode_to_vec()]))?;
    let results = ExecuteResults {
        results: vec![
            QueryResult {
                row_result: Some(RowResult::Row(ResultRows {
                    column_descriptions: vec![Column { name: "a".into(), decltype: Some("TEXT".into()) }],
                    rows: vec![Row { values: values.clone() }],
                    affected_row_count: 1,
                    last_insert_rowid: Some(7),
                })),
            },
            QueryResult {
                row_result: Some(RowResult::Error(ProxyError {
                    code: ErrorCode::Internal as i32,
                    message: "UNIQUE constraint failed".into(),
                    extended_code: 2067,
                })),
            },
        ],
        state: State::Txn as i32,
        current_frame_no: Some(1320),
    };
    s.write("proxy", "results", &cat(&[&[1], &results.encode_to_vec()]))?;
    let describe = DescribeResult {
        describe_result: Some(DescribeOutcome::Description(Description {
            column_descriptions: vec![],
            param_names: vec![":a".into()],
            param_count: 2,
        })),
    };
    s.write("proxy", "describe", &cat(&[&[2], &describe.encode_to_vec()]))?;
    for (i, v) in values.iter().enumerate() {
        s.write("proxy_value", &format!("built-{i}"), &v.data)?;
    }
    Ok(())
}

/// Snapshot manifests of each protocol (the format is ours: no fixture records one) and bookmarks.
fn snapshot_seeds(s: &mut Seeds) -> Result<()> {
    use libsql_edge_protocol::snapshot::{Manifest, SnapshotProtocol};
    use libsql_edge_protocol::{FrameNo, Generation, LogId, Position, Revision};
    let positions = [
        (SnapshotProtocol::Sqld, Position::Sqld { log_id: LogId(0x1234_5678_9abc_def0), frame_no: FrameNo(1320) }),
        (SnapshotProtocol::HttpSync, Position::Http { generation: Generation(1), frame_no: FrameNo(24) }),
        (SnapshotProtocol::PullUpdates, Position::Revision(Revision("1319".into()))),
    ];
    for (i, (protocol, position)) in positions.into_iter().enumerate() {
        let page_count = 10 + 7 * i as u32;
        let chunk_pages = 4;
        let chunks = (0..page_count.div_ceil(chunk_pages)).map(|c| [c as u8; 32]).collect();
        let manifest = Manifest {
            protocol,
            database: 0xfeed_0000 + i as u64,
            created_at_ms: 1_796_000_000_000,
            page_size: 4096,
            page_count,
            chunk_pages,
            position: position.clone(),
            chunks,
        };
        s.write("snapshot_manifest", &format!("manifest-{i}"), &manifest.encode())?;
        s.write("bookmark", &format!("position-{i}"), format!("\u{1}lb1.0000000000000001.{position}").as_bytes())?;
    }
    Ok(())
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let [_, fixtures, out] = &args[..] else {
        eprintln!("usage: libsql-edge-fuzz-seeds FIXTURES_DIR OUT_DIR");
        std::process::exit(2);
    };
    let mut seeds =
        Seeds { fixtures: Path::new(fixtures).to_path_buf(), out: Path::new(out).to_path_buf(), written: 0 };
    for (name, step) in [
        ("sqld", sqld as fn(&mut Seeds) -> Result<()>),
        ("hrana", hrana),
        ("pull-updates", pull_updates),
        ("proxy", proxy_seeds),
        ("snapshot", snapshot_seeds),
    ] {
        if let Err(e) = step(&mut seeds) {
            eprintln!("seeds: {name}: {e}");
            std::process::exit(1);
        }
    }
    println!("seeds: wrote {} seeds under {}", seeds.written, out);
}
