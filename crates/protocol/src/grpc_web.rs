//! gRPC-Web framing over HTTP/1.1 (`application/grpc-web+proto`), as sqld serves its gRPC services.
//!
//! A body is a sequence of frames: 1 byte flags (`0x00` data, `0x80` trailers), a u32be length,
//! then the payload. A request body is exactly one data frame. A successful response is zero or
//! more data frames then one trailer frame whose payload is HTTP/1 header text
//! (`grpc-status:0\r\n`, optionally `grpc-message:<percent-encoded>\r\n`).
//!
//! QUIRK: errors are *trailers-only*: HTTP 200, an empty body, and `grpc-status` / `grpc-message`
//! sent as HTTP response headers (observed on sqld 0.24.33, fixtures `grpc/batch-no-session-token.*`).
//! [`GrpcStatus`] is the one value both sides use; clients check the headers first, then the
//! trailer frame.

use crate::error::{Error, Result};

/// Flags byte of a data frame.
pub const FLAG_DATA: u8 = 0x00;
/// Flags byte of a trailer frame.
pub const FLAG_TRAILERS: u8 = 0x80;
/// Size of a frame prefix (flags + length).
pub const FRAME_PREFIX_LEN: usize = 5;
/// The content type sqld answers with.
pub const CONTENT_TYPE: &str = "application/grpc-web+proto";

/// gRPC status codes used by sqld.
pub mod code {
    /// Success.
    pub const OK: u32 = 0;
    /// Bad request argument.
    pub const INVALID_ARGUMENT: u32 = 3;
    /// NO_HELLO, NEED_SNAPSHOT and friends.
    pub const FAILED_PRECONDITION: u32 = 9;
    /// Method not implemented.
    pub const UNIMPLEMENTED: u32 = 12;
    /// Internal error (also: auth header missing on sqld).
    pub const INTERNAL: u32 = 13;
    /// Transient: retry later.
    pub const UNAVAILABLE: u32 = 14;
    /// Bad or expired token.
    pub const UNAUTHENTICATED: u32 = 16;
    /// Refused by policy (proxy execution errors on sqld).
    pub const PERMISSION_DENIED: u32 = 7;
}

/// One decoded gRPC-Web frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GrpcWebFrame {
    /// A message frame (protobuf payload).
    Data(Vec<u8>),
    /// The trailer frame (status).
    Trailers(GrpcStatus),
}

/// A gRPC status: code and message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GrpcStatus {
    /// `grpc-status`.
    pub code: u32,
    /// `grpc-message`, decoded (not percent-encoded).
    pub message: String,
}

impl GrpcStatus {
    /// The OK status.
    pub fn ok() -> Self {
        Self { code: code::OK, message: String::new() }
    }

    /// A status with a code and message.
    pub fn new(code: u32, message: impl Into<String>) -> Self {
        Self { code, message: message.into() }
    }

    /// The trailer-frame payload: `grpc-status:N\r\n` plus `grpc-message:…\r\n` when non-empty.
    pub fn trailer_text(&self) -> String {
        let mut s = format!("grpc-status:{}\r\n", self.code);
        if !self.message.is_empty() {
            s.push_str(&format!("grpc-message:{}\r\n", percent_encode(&self.message)));
        }
        s
    }

    /// Parses a trailer payload (`name:value\r\n` lines, names case-insensitive).
    pub fn parse_trailer_text(bytes: &[u8]) -> Result<Self> {
        let text = std::str::from_utf8(bytes).map_err(|_| Error::GrpcWebFraming("trailers are not UTF-8"))?;
        let mut code = None;
        let mut message = String::new();
        for line in text.split("\r\n").filter(|l| !l.is_empty()) {
            let (name, value) = line.split_once(':').ok_or(Error::GrpcWebFraming("trailer line without ':'"))?;
            match name.trim().to_ascii_lowercase().as_str() {
                "grpc-status" => {
                    code = Some(value.trim().parse().map_err(|_| Error::GrpcWebFraming("grpc-status is not a number"))?)
                }
                "grpc-message" => message = percent_decode(value.trim()),
                _ => {}
            }
        }
        Ok(Self { code: code.ok_or(Error::GrpcWebFraming("trailers without grpc-status"))?, message })
    }

    /// Reads a trailers-only status from response header values (`grpc-status`, `grpc-message`).
    pub fn from_headers(status: Option<&str>, message: Option<&str>) -> Option<Result<Self>> {
        let status = status?;
        Some(
            status
                .trim()
                .parse()
                .map(|code| Self { code, message: message.map(percent_decode).unwrap_or_default() })
                .map_err(|_| Error::GrpcWebFraming("grpc-status header is not a number")),
        )
    }

    /// The `grpc-message` header value (percent-encoded), for trailers-only responses.
    pub fn message_header(&self) -> String {
        percent_encode(&self.message)
    }
}

/// Encodes one data frame around `message`.
pub fn encode_data_frame(message: &[u8]) -> Vec<u8> {
    encode_frame(FLAG_DATA, message)
}

/// Encodes the trailer frame for `status`.
pub fn encode_trailer_frame(status: &GrpcStatus) -> Vec<u8> {
    encode_frame(FLAG_TRAILERS, status.trailer_text().as_bytes())
}

fn encode_frame(flags: u8, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(FRAME_PREFIX_LEN + payload.len());
    out.push(flags);
    out.extend_from_slice(&(payload.len() as u32).to_be_bytes());
    out.extend_from_slice(payload);
    out
}

/// Encodes a whole unary success body: one data frame and the OK trailer.
pub fn encode_unary_body(message: &[u8]) -> Vec<u8> {
    let mut out = encode_data_frame(message);
    out.extend_from_slice(&encode_trailer_frame(&GrpcStatus::ok()));
    out
}

/// Decodes one frame at the start of `bytes`; returns it and the bytes consumed, or `None` when
/// `bytes` holds only part of a frame (a streaming reader waits for more).
pub fn decode_frame(bytes: &[u8]) -> Result<Option<(GrpcWebFrame, usize)>> {
    if bytes.len() < FRAME_PREFIX_LEN {
        return Ok(None);
    }
    let flags = bytes[0];
    let len = u32::from_be_bytes([bytes[1], bytes[2], bytes[3], bytes[4]]);
    // The frame end is computed in u64: `5 + u32::MAX` overflows a 32-bit usize (wasm32). A frame
    // longer than the buffer is incomplete on every target; once the buffer holds it, its end fits
    // in usize because it is at most `bytes.len()`.
    let end =
        (FRAME_PREFIX_LEN as u64).checked_add(u64::from(len)).ok_or(Error::GrpcWebFraming("frame length overflows"))?;
    if (bytes.len() as u64) < end {
        return Ok(None);
    }
    let end = usize::try_from(end).map_err(|_| Error::GrpcWebFraming("frame length overflows"))?;
    let payload = &bytes[FRAME_PREFIX_LEN..end];
    let frame = match flags {
        FLAG_DATA => GrpcWebFrame::Data(payload.to_vec()),
        FLAG_TRAILERS => GrpcWebFrame::Trailers(GrpcStatus::parse_trailer_text(payload)?),
        0x01 | 0x81 => return Err(Error::GrpcWebFraming("compressed frames are not supported")),
        _ => return Err(Error::GrpcWebFraming("unknown frame flags")),
    };
    Ok(Some((frame, end)))
}

/// Decodes a whole buffered body into its frames. Fails on a partial trailing frame.
pub fn decode_body(mut bytes: &[u8]) -> Result<Vec<GrpcWebFrame>> {
    let mut out = Vec::new();
    while !bytes.is_empty() {
        match decode_frame(bytes)? {
            Some((frame, used)) => {
                out.push(frame);
                bytes = &bytes[used..];
            }
            None => {
                return Err(Error::Truncated { what: "grpc-web frame", needed: FRAME_PREFIX_LEN, got: bytes.len() })
            }
        }
    }
    Ok(out)
}

/// Decodes a request body: exactly one data frame (an empty body is an empty message).
pub fn decode_request_body(bytes: &[u8]) -> Result<Vec<u8>> {
    if bytes.is_empty() {
        return Ok(Vec::new());
    }
    match decode_frame(bytes)? {
        Some((GrpcWebFrame::Data(msg), used)) if used == bytes.len() => Ok(msg),
        Some((GrpcWebFrame::Data(_), _)) => Err(Error::GrpcWebFraming("trailing bytes after the request message")),
        Some((GrpcWebFrame::Trailers(_), _)) => Err(Error::GrpcWebFraming("request holds a trailer frame")),
        None => Err(Error::Truncated { what: "grpc-web request", needed: FRAME_PREFIX_LEN, got: bytes.len() }),
    }
}

/// Splits a buffered response body into its messages and final status.
pub fn decode_response_body(bytes: &[u8]) -> Result<(Vec<Vec<u8>>, GrpcStatus)> {
    let mut messages = Vec::new();
    let mut status = None;
    for frame in decode_body(bytes)? {
        match frame {
            GrpcWebFrame::Data(m) if status.is_none() => messages.push(m),
            GrpcWebFrame::Data(_) => return Err(Error::GrpcWebFraming("data frame after trailers")),
            GrpcWebFrame::Trailers(s) => status = Some(s),
        }
    }
    Ok((messages, status.ok_or(Error::GrpcWebFraming("response without trailers"))?))
}

/// Percent-encodes a `grpc-message` (gRPC spec: every byte outside 0x20..=0x7E and `%` itself).
pub fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for &b in s.as_bytes() {
        if (0x20..=0x7e).contains(&b) && b != b'%' && b != b' ' {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Decodes `%XX` sequences; malformed sequences are kept as they are.
pub fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() && s.is_char_boundary(i + 3) {
            if let Ok(v) = u8::from_str_radix(&s[i + 1..i + 3], 16) {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use super::*;

    #[test]
    fn unary_body_round_trips_and_ends_with_sqld_trailer() {
        let body = encode_unary_body(&[8, 1]);
        assert_eq!(&body[..7], &[0, 0, 0, 0, 2, 8, 1]);
        assert_eq!(&body[7..12], &[0x80, 0, 0, 0, 15]);
        assert_eq!(&body[12..], b"grpc-status:0\r\n");
        let (msgs, status) = decode_response_body(&body).unwrap();
        assert_eq!(msgs, vec![vec![8, 1]]);
        assert_eq!(status, GrpcStatus::ok());
    }

    #[test]
    fn empty_message_body_is_25_bytes_like_sqld() {
        assert_eq!(encode_unary_body(&[]).len(), 25);
    }

    #[test]
    fn status_message_is_percent_encoded_both_ways() {
        let s = GrpcStatus::new(code::FAILED_PRECONDITION, "NEED_SNAPSHOT");
        assert_eq!(s.message_header(), "NEED_SNAPSHOT");
        let s = GrpcStatus::new(14, "snapshot not found");
        assert_eq!(s.message_header(), "snapshot%20not%20found");
        let back = GrpcStatus::parse_trailer_text(s.trailer_text().as_bytes()).unwrap();
        assert_eq!(back, s);
        let h = GrpcStatus::from_headers(Some("14"), Some("snapshot%20not%20found")).unwrap().unwrap();
        assert_eq!(h, s);
        assert!(GrpcStatus::from_headers(None, None).is_none());
        assert_eq!(percent_decode("100%"), "100%");
        assert_eq!(percent_decode("%e2%98%83"), "☃");
    }

    #[test]
    fn request_body_is_one_data_frame() {
        assert_eq!(decode_request_body(&[0, 0, 0, 0, 2, 8, 0x23]).unwrap(), vec![8, 0x23]);
        assert_eq!(decode_request_body(&[]).unwrap(), Vec::<u8>::new());
        assert!(decode_request_body(&[0, 0, 0, 0, 5, 1]).is_err());
        assert!(decode_request_body(&[0, 0, 0, 0, 1, 1, 2]).is_err());
        assert!(decode_request_body(&[0x42, 0, 0, 0, 0]).is_err());
        assert!(decode_request_body(&[0, 0]).is_err());
    }

    #[test]
    fn garbage_and_truncated_bodies_are_errors() {
        assert!(decode_response_body(&[0, 0, 0, 0, 1, 9]).is_err()); // no trailers
        assert!(decode_response_body(&[0x80, 0, 0, 0, 3, b'a', b'b', b'c']).is_err());
        assert!(decode_response_body(&[0xff, 0xff, 0xff, 0xff, 0xff]).is_err());
        assert!(matches!(decode_frame(&[0, 0xff, 0xff, 0xff, 0xff, 0]), Ok(None)));
    }

    #[test]
    fn max_length_prefix_is_incomplete_on_every_target() {
        // u32::MAX and lengths near it: 5 + len overflows a 32-bit usize (wasm32).
        for len in [u32::MAX, u32::MAX - 4, u32::MAX - 5, 1 << 31] {
            let mut b = vec![FLAG_DATA];
            b.extend_from_slice(&len.to_be_bytes());
            b.extend_from_slice(&[1, 2, 3]);
            assert!(matches!(decode_frame(&b), Ok(None)), "len {len}");
            assert!(matches!(decode_body(&b), Err(Error::Truncated { .. })), "len {len}");
            assert!(decode_request_body(&b).is_err(), "len {len}");
            assert!(decode_response_body(&b).is_err(), "len {len}");
            b[0] = FLAG_TRAILERS;
            assert!(matches!(decode_frame(&b), Ok(None)), "len {len}");
        }
    }
}
