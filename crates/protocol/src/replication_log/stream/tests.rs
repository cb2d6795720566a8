//! `FramesDecoder` against bodies built the way sqld builds them: whole, at every chunk size,
//! with unknown fields, truncated, garbage, and with lengths that would make a naive decoder buffer
//! or allocate without bound.

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use prost::Message;

use super::*;
use crate::grpc_web::{encode_data_frame, encode_trailer_frame, encode_unary_body};
use crate::replication_log::{Frame as FrameMessage, Frames};

fn frames(n: u64) -> Vec<Frame> {
    let mut prev = 0;
    (0..n)
        .map(|i| {
            let size_after = if i + 1 == n { n as u32 } else { 0 };
            let f = Frame::new(i, prev, i as u32 + 1, size_after, vec![i as u8; 4096]);
            prev = f.header.checksum;
            f
        })
        .collect()
}

fn message(f: &Frame) -> FrameMessage {
    FrameMessage { data: f.encode(), timestamp: Some(1_700_000_000_000), durable_frame_no: None }
}

fn batch_body(frames: &[Frame]) -> Vec<u8> {
    encode_unary_body(&Frames { frames: frames.iter().map(message).collect() }.encode_to_vec())
}

fn snapshot_body(frames: &[Frame]) -> Vec<u8> {
    let mut body: Vec<u8> = frames.iter().flat_map(|f| encode_data_frame(&message(f).encode_to_vec())).collect();
    body.extend(encode_trailer_frame(&GrpcStatus::ok()));
    body
}

fn decode(layout: FramesLayout, body: &[u8], step: usize) -> Result<(Vec<Frame>, GrpcStatus)> {
    let mut d = FramesDecoder::new(layout);
    let mut got = Vec::new();
    let mut status = None;
    for chunk in body.chunks(step.max(1)) {
        d.feed(chunk, |item| {
            match item {
                FramesItem::Frame(f) => got.push(f),
                FramesItem::Status(s) => status = Some(s),
            }
            Ok::<_, Error>(())
        })?;
    }
    d.finish()?;
    Ok((got, status.expect("finish checked the trailers")))
}

#[test]
fn batch_and_snapshot_bodies_decode_at_every_chunk_size() {
    let want = frames(4);
    for (layout, body) in [(FramesLayout::Batch, batch_body(&want)), (FramesLayout::PerMessage, snapshot_body(&want))] {
        for step in [1, 2, 5, 6, 4095, 4133, 4134, 10_000, body.len()] {
            let (got, status) = decode(layout, &body, step).unwrap();
            assert_eq!(got, want, "{layout:?} step {step}");
            assert_eq!(status, GrpcStatus::ok());
        }
    }
}

#[test]
fn empty_batch_is_a_prefix_and_trailers() {
    // Observed on sqld 0.24.33: 25 bytes, `00 00000000` + `80 0000000f grpc-status:0\r\n`.
    let body = encode_unary_body(&[]);
    assert_eq!(body.len(), 25);
    let (got, status) = decode(FramesLayout::Batch, &body, 3).unwrap();
    assert!(got.is_empty());
    assert_eq!(status.code, 0);
}

#[test]
fn unknown_fields_of_frames_are_skipped_at_every_chunk_size() {
    let want = frames(2);
    let mut message = Vec::new();
    // field 7 varint, field 8 fixed64, field 9 fixed32, field 10 bytes (5000 bytes), then the frames.
    message.extend([7 << 3, 0x96, 0x01]);
    message.extend([(8 << 3) | 1, 1, 2, 3, 4, 5, 6, 7, 8]);
    message.extend([(9 << 3) | 5, 1, 2, 3, 4]);
    message.extend([(10 << 3) | 2, 0x88, 0x27]);
    message.extend(vec![0xab; 5000]);
    message.extend(Frames { frames: want.iter().map(super::tests::message).collect() }.encode_to_vec());
    let body = encode_unary_body(&message);
    for step in [1, 3, 7, 4096, body.len()] {
        assert_eq!(decode(FramesLayout::Batch, &body, step).unwrap().0, want, "step {step}");
    }
}

#[test]
fn truncated_bodies_fail_at_finish() {
    let body = batch_body(&frames(2));
    for cut in [1, 5, 6, 100, 4133, body.len() - 20, body.len() - 1] {
        let err = decode(FramesLayout::Batch, &body[..cut], 1000).unwrap_err();
        assert!(["TRUNCATED", "GRPC_WEB_FRAMING"].contains(&err.code()), "cut {cut}: {err}");
    }
}

#[test]
fn garbage_and_overlong_lengths_are_errors_not_waits() {
    let status = |body: &[u8], layout| decode(layout, body, 7).unwrap_err().code().to_string();
    // Unknown flags, compressed frames, a trailer frame longer than any trailer.
    assert_eq!(status(&[0x42, 0, 0, 0, 0], FramesLayout::Batch), "GRPC_WEB_FRAMING");
    assert_eq!(status(&[0x01, 0, 0, 0, 0], FramesLayout::Batch), "GRPC_WEB_FRAMING");
    assert_eq!(status(&[0x80, 0xff, 0xff, 0xff, 0xff], FramesLayout::Batch), "GRPC_WEB_FRAMING");
    // A Frame message announced with 2^32 bytes inside a 4 GiB data frame: refused at once.
    let mut huge = vec![0x00, 0xff, 0xff, 0xff, 0xff, 0x0a];
    huge.extend([0x80, 0x80, 0x80, 0x80, 0x10]);
    assert_eq!(status(&huge, FramesLayout::Batch), "GRPC_WEB_FRAMING");
    assert_eq!(status(&[0x00, 0xff, 0xff, 0xff, 0xff, 0x0a], FramesLayout::PerMessage), "GRPC_WEB_FRAMING");
    // A field longer than its message.
    assert_eq!(status(&[0x00, 0, 0, 0, 3, 0x0a, 0x05, 0x00], FramesLayout::Batch), "GRPC_WEB_FRAMING");
    // Wire types 3, 4, 6, 7 do not exist in proto3.
    assert_eq!(status(&[0x00, 0, 0, 0, 1, (1 << 3) | 3], FramesLayout::Batch), "GRPC_WEB_FRAMING");
    // A Frame message whose data is not a replication frame.
    let bad = encode_unary_body(
        &Frames { frames: vec![FrameMessage { data: vec![1, 2, 3], ..Default::default() }] }.encode_to_vec(),
    );
    assert_eq!(status(&bad, FramesLayout::Batch), "TRUNCATED");
    // Bytes after the trailers.
    let mut extra = batch_body(&frames(1));
    extra.push(0);
    assert_eq!(status(&extra, FramesLayout::Batch), "GRPC_WEB_FRAMING");
}

#[test]
fn a_long_data_frame_is_decoded_holding_one_frame_at_a_time() {
    // 300 frames (1.2 MiB) in one data frame fed in 64 KiB chunks: the decoder never holds more
    // than a chunk plus one Frame message.
    let want = frames(300);
    let body = batch_body(&want);
    let mut d = FramesDecoder::new(FramesLayout::Batch);
    let mut n = 0;
    for chunk in body.chunks(64 << 10) {
        d.feed(chunk, |_| {
            n += 1;
            Ok::<_, Error>(())
        })
        .unwrap();
        assert!(d.pending.len() <= (64 << 10) + MAX_FRAME_MESSAGE_LEN, "{}", d.pending.len());
    }
    d.finish().unwrap();
    assert_eq!(n, 301);
}

#[test]
fn the_callback_stops_the_decoder_and_it_stays_stopped() {
    let body = batch_body(&frames(3));
    let mut d = FramesDecoder::new(FramesLayout::Batch);
    let err = d.feed(&body, |_| Err(Error::InvalidField { field: "test", value: "stop".into() })).unwrap_err();
    assert_eq!(err.code(), "INVALID_FIELD");
    assert!(d.feed(&[], |_| Ok::<_, Error>(())).is_err());
    assert!(d.finish().is_err());
}
