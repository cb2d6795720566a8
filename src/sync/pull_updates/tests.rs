//! Unit tests of turning `/pull-updates` responses into pulls (no I/O; the end-to-end tests
//! against a real tursodb are in `tests/sync_pull_updates.rs`).

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use super::*;
use crate::protocol::pull_updates::{
    encode_response, PageSetRawEncodingProto, PageSetZstdEncodingProto, PullUpdatesResponse,
};
use crate::replica::CommittedPages;

fn response(revision: &str, db_size: u64, page_ids: &[u64]) -> PullUpdatesResponse {
    PullUpdatesResponse {
        header: PullUpdatesRespProtoBody {
            server_revision: revision.into(),
            db_size,
            raw_encoding: Some(PageSetRawEncodingProto {}),
            ..Default::default()
        },
        pages: page_ids.iter().map(|&id| PageData { page_id: id, encoded_page: vec![id as u8; PAGE_SIZE] }).collect(),
    }
}

/// Decodes `r` as a body read in 1000-byte chunks, with a 1 GiB limit.
fn into_pull(context: &str, r: PullUpdatesResponse, bootstrap: bool) -> Result<Pull> {
    read(context, &encode_response(&r.header, &r.pages), bootstrap, 1 << 30, None)
}

fn read(context: &str, body: &[u8], bootstrap: bool, limit: u64, declared: Option<u64>) -> Result<Pull> {
    let mode = if bootstrap { Mode::Bootstrap } else { Mode::Pull(None) };
    let mut reader = PullReader::new(context.into(), mode, limit);
    reader.declared = declared;
    for chunk in body.chunks(1000) {
        reader.feed(chunk)?;
    }
    reader.end()?;
    reader.into_pull()
}

fn committed(pull: Pull) -> (CommittedPages, u64) {
    match pull {
        Pull::Pages { committed, frames, over_limit: None } => (committed, frames),
        other => panic!("expected pages, got {other:?}"),
    }
}

#[test]
fn into_pull_maps_zero_based_ids_revision_and_size() {
    let (c, frames) = committed(into_pull("t", response("24", 8, &[1, 6, 0]), false).unwrap());
    assert_eq!(frames, 3);
    assert!(!c.replace);
    assert_eq!(c.position, Position::Revision(Revision("24".into())));
    assert_eq!(c.db_size_pages, 8);
    assert_eq!(c.pages.iter().map(|p| p.pgno).collect::<Vec<_>>(), [1, 2, 7]);
    assert_eq!(c.pages[1].data, vec![1; PAGE_SIZE]);
}

#[test]
fn into_pull_bootstrap_or_replace_base_replaces() {
    let (c, _) = committed(into_pull("t", response("3", 2, &[0, 1]), true).unwrap());
    assert!(c.replace);
    let mut r = response("page:4", 2, &[0, 1]);
    r.header.apply_mode = PullUpdatesApplyMode::ReplaceBase as i32;
    let (c, _) = committed(into_pull("t", r, false).unwrap());
    assert!(c.replace);
    // An empty primary: revision "0", no pages, size 0.
    let (c, frames) = committed(into_pull("t", response("0", 0, &[]), true).unwrap());
    assert!(c.replace && c.pages.is_empty() && c.db_size_pages == 0 && frames == 0);
}

#[test]
fn into_pull_rejects_what_cannot_be_applied() {
    let mut zstd = response("5", 2, &[0]);
    zstd.header.zstd_encoding = Some(PageSetZstdEncodingProto { level: 3, pages_dict: vec![] });
    let mut logical = response("5", 2, &[0]);
    logical.header.stream_kind = PullUpdatesStreamKind::MvccLogicalLog as i32;
    let mut mode = response("5", 2, &[0]);
    mode.header.apply_mode = 7;
    let mut short = response("5", 2, &[0]);
    short.pages[0].encoded_page.truncate(100);
    let cases = [
        zstd,
        logical,
        mode,
        short,
        response("", 2, &[0]),
        response("5", 0, &[0]),
        response("5", 1 << 32, &[0]),
        response("5", 2, &[u64::from(u32::MAX)]),
        response("5", 2, &[u64::MAX]),
    ];
    for r in cases {
        let err = into_pull("ctx", r.clone(), false).unwrap_err();
        assert_eq!(err.code(), "SYNC_INVALID_RESPONSE", "{r:?}");
        assert!(err.to_string().starts_with("ctx: invalid response: "), "{err}");
    }
}

#[test]
fn content_length_mismatch_is_a_cut_or_overlong_body() {
    let r = response("5", 2, &[0]);
    let body = encode_response(&r.header, &r.pages);
    let len = body.len() as u64;
    assert!(read("c", &body, false, 1 << 30, Some(len)).is_ok());
    let err = read("c", &body, false, 1 << 30, Some(len + 2)).unwrap_err();
    assert_eq!(err.code(), "SYNC_INVALID_RESPONSE");
    let err = read("c", &body, false, 1 << 30, Some(len - 2)).unwrap_err();
    assert_eq!(err.code(), "RESPONSE_TOO_LARGE");
}

#[test]
fn a_bootstrap_over_the_limit_is_refused_from_its_header() {
    let r = response("9", 100, &(0..100).collect::<Vec<_>>());
    let body = encode_response(&r.header, &r.pages);
    // The header alone announces 100 pages: refused before the first page is read.
    let mut reader = PullReader::new("c".into(), Mode::Bootstrap, 99 * PAGE_SIZE as u64);
    let header_len = encode_response(&r.header, &[]).len();
    let err = reader.feed(&body[..header_len]).unwrap_err();
    assert_eq!(err.code(), "REPLICA_MEMORY_BUDGET");
    assert_eq!(reader.pages, 0);
    // An incremental pull is stopped as its pages pass the limit.
    let err = read("c", &body, false, 10 * PAGE_SIZE as u64, None).unwrap_err();
    assert_eq!(err.code(), "REPLICA_MEMORY_BUDGET");
    assert!(read("c", &body, true, 100 * PAGE_SIZE as u64, None).is_ok());
}

#[test]
fn more_pages_than_db_size_is_not_a_legitimate_answer() {
    let r = response("9", 2, &[0, 1, 0]);
    let err = into_pull("c", r, false).unwrap_err();
    assert_eq!(err.code(), "SYNC_INVALID_RESPONSE");
}
