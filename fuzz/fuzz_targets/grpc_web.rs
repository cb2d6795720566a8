//! gRPC-Web framing and trailers (`grpc_web.rs`): every decoder on any bytes, and the properties
//! a client relies on: a decoded body re-encodes to one that decodes the same, a frame never
//! claims more bytes than it was given, trailer text and percent-encoding round-trip, and the
//! trailers-only status headers (`GrpcStatus::from_headers`) parse or fail cleanly.
//!
//! Input: a response body. The same bytes, split at the first `\n`, are also read as the
//! `grpc-status` and `grpc-message` header values, and as trailer text.
#![no_main]
use libfuzzer_sys::fuzz_target;
use libsql_edge_fuzz::input::Input;
use libsql_edge_protocol::grpc_web::{
    decode_body, decode_frame, decode_request_body, decode_response_body, encode_data_frame, encode_trailer_frame,
    percent_decode, percent_encode, GrpcStatus, GrpcWebFrame, FRAME_PREFIX_LEN,
};

fuzz_target!(|data: &[u8]| {
    if let Ok(Some((frame, used))) = decode_frame(data) {
        assert!(used >= FRAME_PREFIX_LEN && used <= data.len());
        if let GrpcWebFrame::Data(payload) = &frame {
            assert_eq!(payload.len(), used - FRAME_PREFIX_LEN);
        }
    }
    let _ = decode_body(data);
    if let Ok(message) = decode_request_body(data) {
        assert!(data.is_empty() || message.len() + FRAME_PREFIX_LEN == data.len());
    }
    if let Ok((messages, status)) = decode_response_body(data) {
        let mut body: Vec<u8> = messages.iter().flat_map(|m| encode_data_frame(m)).collect();
        body.extend(encode_trailer_frame(&status));
        let again = decode_response_body(&body).unwrap_or_else(|e| panic!("re-encoded body refused: {e}"));
        assert_eq!(again, (messages, status));
    }

    // Trailer text: what parses re-serializes to text that parses the same.
    if let Ok(status) = GrpcStatus::parse_trailer_text(data) {
        let again = GrpcStatus::parse_trailer_text(status.trailer_text().as_bytes());
        assert_eq!(again, Ok(status));
    }

    // Trailers-only headers, as `sync/grpc.rs` reads them.
    let text = String::from_utf8_lossy(data);
    let (status, message) = Input(text.as_bytes()).split(b'\n');
    let status = std::str::from_utf8(status).ok();
    let message = message.and_then(|m| std::str::from_utf8(m).ok());
    match GrpcStatus::from_headers(status, message) {
        None => assert!(status.is_none()),
        Some(Ok(s)) => {
            assert_eq!(GrpcStatus::from_headers(Some(&s.code.to_string()), Some(&s.message_header())), Some(Ok(s)));
        }
        Some(Err(e)) => assert!(!e.to_string().is_empty()),
    }

    // Percent-encoding: decode(encode(s)) == s for any text; decode never panics.
    assert_eq!(percent_decode(&percent_encode(&text)), text);
    let _ = percent_decode(&text);
});
