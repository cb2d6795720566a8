//! Unit tests of turning `/pull-updates` responses into pulls (no I/O; the end-to-end tests
//! against a real tursodb are in `tests/sync_pull_updates.rs`).

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use super::*;
use crate::protocol::pull_updates::{
    PageData, PageSetRawEncodingProto, PageSetZstdEncodingProto, PullUpdatesRespProtoBody,
};

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

fn committed(pull: Pull) -> (CommittedPages, u64) {
    match pull {
        Pull::Pages { committed, frames } => (committed, frames),
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
    assert_eq!(c.pages.iter().map(|p| p.pgno).collect::<Vec<_>>(), [2, 7, 1]);
    assert_eq!(c.pages[0].data, vec![1; PAGE_SIZE]);
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
fn content_length_mismatch_is_a_cut_body() {
    assert!(check_content_length("c", Some("10"), None, &[0; 10]).is_ok());
    assert!(check_content_length("c", None, None, &[0; 10]).is_ok());
    assert!(check_content_length("c", Some("12"), Some("gzip"), &[0; 10]).is_ok(), "decompressed");
    let err = check_content_length("c", Some("12"), Some("identity"), &[0; 10]).unwrap_err();
    assert_eq!(err.code(), "SYNC_INVALID_RESPONSE");
    assert!(check_content_length("c", Some("12"), None, &[0; 10]).is_err());
}
