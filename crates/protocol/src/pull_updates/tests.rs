//! Tests of the `/pull-updates` messages against the tursodb 0.7.0 captures
//! (`shared/fixtures/tursodb-0.7.0/pull/`), plus round trips, truncation and garbage.

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use super::*;

/// The bytes of a capture, compiled in so the tests also run on wasm32.
macro_rules! fixture {
    ($name:literal) => {
        include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/fixtures/tursodb-0.7.0/pull/", $name))
            .as_slice()
    };
}

const BOOTSTRAP_BODY: &[u8] = fixture!("bootstrap.body");
const AT_REVISION_BODY: &[u8] = fixture!("bootstrap-at-revision.body");
const UP_TO_DATE_BODY: &[u8] = fixture!("up-to-date.body");
/// Page order of both bootstrap captures (zero-based ids, as the server walked its WAL).
const BOOTSTRAP_PAGE_IDS: [u64; 8] = [1, 6, 5, 2, 3, 4, 0, 7];

fn raw_header(server_revision: &str, db_size: u64) -> PullUpdatesRespProtoBody {
    PullUpdatesRespProtoBody {
        server_revision: server_revision.into(),
        db_size,
        raw_encoding: Some(PageSetRawEncodingProto {}),
        ..Default::default()
    }
}

fn page(page_id: u64, fill: u8) -> PageData {
    PageData { page_id, encoded_page: vec![fill; PAGE_SIZE] }
}

fn ids(response: &PullUpdatesResponse) -> Vec<u64> {
    response.pages.iter().map(|p| p.page_id).collect()
}

#[test]
fn decode_bootstrap_fixture_matches_capture() {
    let r = decode_response(BOOTSTRAP_BODY).unwrap();
    assert_eq!(r.header, raw_header("24", 8));
    assert_eq!(ids(&r), BOOTSTRAP_PAGE_IDS);
    assert!(r.pages.iter().all(|p| p.encoded_page.len() == PAGE_SIZE));
    let page0 = &r.pages.iter().find(|p| p.page_id == 0).unwrap().encoded_page;
    assert_eq!(&page0[..16], b"SQLite format 3\0");
    assert_eq!(u32::from_be_bytes(page0[28..32].try_into().unwrap()), 8, "header db size = db_size");
    // The header is `08 0a 02 "24" 10 08 1a 00`; re-encoding gives the capture back byte for byte.
    assert_eq!(&BOOTSTRAP_BODY[..9], &[0x08, 0x0a, 0x02, b'2', b'4', 0x10, 0x08, 0x1a, 0x00]);
    assert_eq!(encode_response(&r.header, &r.pages), BOOTSTRAP_BODY);
}

#[test]
fn decode_bootstrap_at_revision_keeps_the_head_db_size_quirk() {
    // QUIRK: with an explicit server_revision tursodb 0.7.0 reports the head's db_size (1298), not
    // the revision's (8): shared/reference/protocols.md 8.5.
    let r = decode_response(AT_REVISION_BODY).unwrap();
    assert_eq!(r.header, raw_header("24", 1298));
    assert_eq!(ids(&r), BOOTSTRAP_PAGE_IDS);
    let boot = decode_response(BOOTSTRAP_BODY).unwrap();
    assert_eq!(r.pages, boot.pages, "same pages as the plain bootstrap at 24");
    let page0 = &r.pages.iter().find(|p| p.page_id == 0).unwrap().encoded_page;
    assert_eq!(u32::from_be_bytes(page0[28..32].try_into().unwrap()), 8);
    assert_eq!(encode_response(&r.header, &r.pages), AT_REVISION_BODY);
}

#[test]
fn decode_up_to_date_fixture_is_header_only() {
    let r = decode_response(UP_TO_DATE_BODY).unwrap();
    assert_eq!(r.header, raw_header("1319", 1298));
    assert!(r.pages.is_empty());
    assert_eq!(encode_response(&r.header, &[]), UP_TO_DATE_BODY);
}

#[test]
fn request_fixtures_decode_and_encode_identically() {
    let cases: [(&[u8], PullUpdatesReqProtoBody); 4] = [
        (fixture!("bootstrap.request.bin"), PullUpdatesReqProtoBody::default()),
        (fixture!("incremental.request.bin"), PullUpdatesReqProtoBody::raw_from("24")),
        (fixture!("up-to-date.request.bin"), PullUpdatesReqProtoBody::raw_from("1319")),
        (
            fixture!("bootstrap-at-revision.request.bin"),
            PullUpdatesReqProtoBody { server_revision: "24".into(), ..Default::default() },
        ),
    ];
    for (bytes, expected) in cases {
        assert_eq!(decode_request(bytes).unwrap(), expected);
        assert_eq!(encode_request(&expected), bytes);
    }
    assert!(encode_request(&PullUpdatesReqProtoBody::raw_from("")).is_empty(), "a bootstrap is an empty body");
}

#[test]
fn request_every_field_round_trips() {
    let r = PullUpdatesReqProtoBody {
        encoding: PageUpdatesEncodingReq::Zstd as i32,
        server_revision: "9".into(),
        client_revision: "3".into(),
        long_poll_timeout_ms: 5000,
        // RoaringBitmap {1}, portable format (protocols.md 8.5).
        server_pages_selector: vec![0x3a, 0x30, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0x10, 0, 0, 0, 1, 0],
        client_pages: vec![1, 2, 3],
        server_query_selector: "SELECT 1".into(),
        stream_kind: PullUpdatesStreamKind::MvccLogicalLog as i32,
    };
    let bytes = encode_request(&r);
    assert_eq!(decode_request(&bytes).unwrap(), r);
    assert_eq!(&bytes[..2], &[0x08, 0x01], "field 1 = ZSTD");
    assert!(decode_request(&[0xff, 0xff, 0xff]).is_err(), "tursodb's own 'invalid varint' case");
    assert!(decode_request(&bytes[..bytes.len() - 1]).is_err());
}

#[test]
fn response_every_field_round_trips_whole_and_byte_by_byte() {
    let header = PullUpdatesRespProtoBody {
        server_revision: "page:4".into(),
        db_size: u64::from(u32::MAX) + 7,
        raw_encoding: None,
        zstd_encoding: Some(PageSetZstdEncodingProto { level: -3, pages_dict: vec![0, 7, 1 << 31] }),
        stream_kind: PullUpdatesStreamKind::MvccLogicalLog as i32,
        apply_mode: PullUpdatesApplyMode::ReplaceBase as i32,
        mvcc_log: Some(MvccLogicalLogMetadataProto {
            format: "lml3".into(),
            checkpoint_transition: true,
            ranges: vec![MvccLogicalLogRangeProto {
                generation: 2,
                start_offset: 10,
                end_offset: 99,
                starts_with_header: true,
                crc_seed: Some(vec![9; 8]),
            }],
        }),
        protocol: PullUpdatesProtocol::MvccLogical as i32,
    };
    let pages = vec![page(0, 1), page(u64::MAX, 2), PageData { page_id: 5, encoded_page: vec![] }];
    let body = encode_response(&header, &pages);
    let whole = decode_response(&body).unwrap();
    assert_eq!(whole, PullUpdatesResponse { header: header.clone(), pages: pages.clone() });

    let mut decoder = ResponseDecoder::default();
    let mut items = Vec::new();
    for b in &body {
        decoder
            .feed(std::slice::from_ref(b), |i| {
                items.push(i);
                Ok::<_, crate::Error>(())
            })
            .unwrap();
    }
    decoder.finish().unwrap();
    assert_eq!(decoder.buffered(), 0);
    let mut expected = vec![ResponseItem::Header(header)];
    expected.extend(pages.into_iter().map(ResponseItem::Page));
    assert_eq!(items, expected);
}

#[test]
fn decoder_chunks_of_any_size_give_the_fixture_pages() {
    let whole = decode_response(BOOTSTRAP_BODY).unwrap();
    for chunk in [1, 2, 3, 7, 4099, 4100, 4104, 5000, BOOTSTRAP_BODY.len()] {
        let mut decoder = ResponseDecoder::default();
        let mut pages = Vec::new();
        for piece in BOOTSTRAP_BODY.chunks(chunk) {
            decoder
                .feed(piece, |i| {
                    if let ResponseItem::Page(p) = i {
                        pages.push(p)
                    }
                    Ok::<_, crate::Error>(())
                })
                .unwrap();
            assert!(decoder.buffered() <= 4104, "holds back at most one message");
        }
        decoder.finish().unwrap();
        assert_eq!(pages, whole.pages, "chunk {chunk}");
    }
}

#[test]
fn proto3_missing_fields_decode_as_zero() {
    // Page 0 as captured: `83 20 12 80 20 <4096>`, no field 1.
    let page0 = &BOOTSTRAP_BODY[24627..24627 + 4101];
    assert_eq!(&page0[..5], &[0x83, 0x20, 0x12, 0x80, 0x20]);
    let mut body = vec![0x00]; // an empty header: revision "", db_size 0, no encoding
    body.extend_from_slice(page0);
    let r = decode_response(&body).unwrap();
    assert_eq!(r.header, PullUpdatesRespProtoBody::default());
    assert_eq!(r.header.apply_mode, PullUpdatesApplyMode::Incremental as i32);
    assert_eq!(r.header.protocol, PullUpdatesProtocol::Unspecified as i32);
    assert_eq!(ids(&r), [0]);
    assert_eq!(page(0, 0).encode_to_vec()[..3], [0x12, 0x80, 0x20], "page 0 is encoded without field 1");
}

#[test]
fn truncated_bodies_are_errors() {
    let boundaries = message_boundaries(BOOTSTRAP_BODY);
    assert_eq!(boundaries.len(), 1 + 8);
    // Every cut inside a message fails; sampled densely around each boundary and sparsely inside.
    let mut cuts: Vec<usize> = (0..BOOTSTRAP_BODY.len()).step_by(61).collect();
    for b in &boundaries {
        cuts.extend(b.saturating_sub(3)..(b + 4).min(BOOTSTRAP_BODY.len()));
    }
    for cut in cuts {
        let result = decode_response(&BOOTSTRAP_BODY[..cut]);
        // The owned decoder (which gives the body back while decoding) agrees exactly.
        assert_eq!(
            decode_response_owned(BOOTSTRAP_BODY[..cut].to_vec()).map_err(|e| e.code()),
            result.clone().map_err(|e| e.code()),
            "cut {cut}"
        );
        if boundaries.contains(&cut) {
            // QUIRK of the format: no trailer, so a cut between messages is a shorter valid body.
            assert!(result.is_ok(), "cut {cut}");
        } else {
            let err = result.unwrap_err();
            assert!(["TRUNCATED", "INVALID_PROTOBUF"].contains(&err.code()), "cut {cut}: {err}");
        }
    }
    assert_eq!(decode_response(&[]).unwrap_err().code(), "TRUNCATED", "no header");
    assert_eq!(decode_response_owned(Vec::new()).unwrap_err().code(), "TRUNCATED", "no header");
    assert_eq!(decode_response_owned(BOOTSTRAP_BODY.to_vec()).unwrap(), decode_response(BOOTSTRAP_BODY).unwrap());
}

/// Offsets just past each message.
fn message_boundaries(body: &[u8]) -> Vec<usize> {
    let mut at = 0;
    let mut out = Vec::new();
    while at < body.len() {
        let crate::varint::Varint::Value(len, n) = crate::varint::read_varint(&body[at..]) else {
            panic!("bad fixture")
        };
        at += n + len as usize;
        out.push(at);
    }
    out
}

#[test]
fn garbage_bodies_never_panic() {
    assert!(decode_response(&[0xff, 0xff, 0xff]).is_err());
    assert_eq!(decode_response(&[0x02, 0xff, 0xff]).unwrap_err().code(), "INVALID_PROTOBUF");
    assert_eq!(decode_response(&[0x01, 0x08]).unwrap_err().code(), "INVALID_PROTOBUF");
    // A header whose field 2 is a length-delimited field instead of a varint.
    assert_eq!(decode_response(&[0x03, 0x12, 0x01, 0x00]).unwrap_err().code(), "INVALID_PROTOBUF");
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for i in 0..2000 {
        let len = (next() % 64) as usize;
        let mut body: Vec<u8> = (0..len).map(|_| next() as u8).collect();
        if i % 2 == 0 && !body.is_empty() {
            // A plausible small length prefix, so decoding reaches the protobuf layer.
            body[0] = (next() % len as u64) as u8 & 0x7f;
        }
        let _ = decode_response(&body);
        let _ = decode_request(&body);
    }
    // Mutations of a real body: flip one byte at a time over the header and the first page prefix.
    for i in 0..20 {
        for bit in 0..8 {
            let mut body = BOOTSTRAP_BODY.to_vec();
            body[i] ^= 1 << bit;
            let _ = decode_response(&body);
        }
    }
}

#[test]
fn message_length_over_the_limit_is_rejected() {
    let mut body = Vec::new();
    prost::encoding::encode_varint(MAX_MESSAGE_LEN as u64 + 1, &mut body);
    assert_eq!(decode_response(&body).unwrap_err().code(), "INVALID_FIELD");
    let mut body = Vec::new();
    prost::encoding::encode_varint(u64::MAX, &mut body);
    assert_eq!(decode_response(&body).unwrap_err().code(), "INVALID_FIELD");
}

/// Checks every capture against the facts its `*.decoded.json` records (including the 5 MB
/// incremental pull, which is not compiled in).
#[test]
#[cfg_attr(target_arch = "wasm32", ignore = "reads fixture files")]
fn decode_all_fixtures_matches_decoded_json() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/fixtures/tursodb-0.7.0/pull");
    for name in ["bootstrap", "bootstrap-at-revision", "incremental", "up-to-date"] {
        let body = std::fs::read(dir.join(format!("{name}.body"))).unwrap();
        let facts: serde_json::Value =
            serde_json::from_slice(&std::fs::read(dir.join(format!("{name}.decoded.json"))).unwrap()).unwrap();
        let r = decode_response(&body).unwrap();
        assert_eq!(body.len() as u64, facts["body_bytes"].as_u64().unwrap(), "{name}");
        assert_eq!(r.header.server_revision, facts["header"]["server_revision"].as_str().unwrap(), "{name}");
        assert_eq!(r.header.db_size, facts["header"]["db_size"].as_u64().unwrap(), "{name}");
        assert!(r.header.raw_encoding.is_some() && r.header.zstd_encoding.is_none(), "{name}");
        assert_eq!(r.header.apply_mode, PullUpdatesApplyMode::Incremental as i32, "{name}");
        assert_eq!(r.header.stream_kind, PullUpdatesStreamKind::Pages as i32, "{name}");
        assert_eq!(r.pages.len() as u64, facts["page_count"].as_u64().unwrap(), "{name}");
        assert_eq!(1 + r.pages.len() as u64, facts["message_count"].as_u64().unwrap(), "{name}");
        let expected_ids: Vec<u64> =
            facts["page_ids_zero_based"].as_array().unwrap().iter().map(|v| v.as_u64().unwrap()).collect();
        assert_eq!(ids(&r), expected_ids, "{name}");
        for (p, fact) in r.pages.iter().zip(facts["pages"].as_array().unwrap()) {
            assert_eq!(p.encoded_page.len() as u64, fact["bytes"].as_u64().unwrap(), "{name}");
            assert_eq!(p.page_id, fact["page_id"].as_u64().unwrap(), "{name}");
        }
        let request = decode_request(&std::fs::read(dir.join(format!("{name}.request.bin"))).unwrap()).unwrap();
        let wanted = &facts["request"];
        assert_eq!(request.client_revision, wanted["client_revision"].as_str().unwrap_or(""), "{name}");
        assert_eq!(request.server_revision, wanted["server_revision"].as_str().unwrap_or(""), "{name}");
        assert_eq!(encode_response(&r.header, &r.pages), body, "{name} re-encodes identically");
    }
}
