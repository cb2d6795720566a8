//! Turso Sync `POST /pull-updates` messages (proto3), hand-written prost structs (no protoc), and
//! the response body framing. Field numbers follow tursodatabase/turso
//! `sync/engine/src/server_proto.rs`; behaviour observed on tursodb 0.7.0 is in
//! `shared/reference/protocols.md` section 8.
//!
//! Request: the body is one [`PullUpdatesReqProtoBody`], not length-prefixed (an empty body is a
//! valid request: raw pages, from scratch, at the latest revision).
//!
//! Response: the body is a sequence of messages, each prefixed by its length as a protobuf varint:
//! first one [`PullUpdatesRespProtoBody`] (the header), then zero or more [`PageData`]. Decode it
//! whole with [`decode_response`] or piece by piece with [`ResponseDecoder`]; encode it with
//! [`encode_response`] (or [`encode_delimited`] per message, for a server that streams).
//!
//! Invariants: decoding never panics and never trusts a length (checked arithmetic, so a 64-bit
//! varint cannot overflow a 32-bit `usize`); proto3 zero values are absent on the wire and decode
//! as 0 (page 0's `PageData` has no field 1 at all).

mod selector;
mod stream;

#[cfg(test)]
mod tests;

use prost::Message;

use crate::error::{Error, Result};

pub use selector::pages_selector;
pub use stream::{encode_delimited, ResponseDecoder, ResponseItem, MAX_MESSAGE_LEN};

/// The endpoint, appended to the server's base URL.
pub const PATH: &str = "/pull-updates";
/// `content-type` of requests and responses (the turso client also sends it as `accept-encoding`).
pub const CONTENT_TYPE: &str = "application/protobuf";
/// The only page size this protocol carries (the reference server refuses any other).
pub const PAGE_SIZE: usize = 4096;

/// `PageUpdatesEncodingReq`: the page encoding a request asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, prost::Enumeration)]
#[repr(i32)]
pub enum PageUpdatesEncodingReq {
    /// 0: raw page images (the only encoding tursodb 0.7.0 supports).
    Raw = 0,
    /// 1: zstd-compressed pages (tursodb 0.7.0 answers 500 "Zstd encoding is not supported").
    Zstd = 1,
}

/// `PullUpdatesStreamKind`: what follows the response header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, prost::Enumeration)]
#[repr(i32)]
pub enum PullUpdatesStreamKind {
    /// 0: `PageData` messages.
    Pages = 0,
    /// 1: raw MVCC logical-log bytes (described by `mvcc_log`).
    MvccLogicalLog = 1,
}

/// `PullUpdatesApplyMode`: how the client applies the pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, prost::Enumeration)]
#[repr(i32)]
pub enum PullUpdatesApplyMode {
    /// 0: patch the pages onto the client's current image.
    Incremental = 0,
    /// 1: the pages form a new base image; drop the current one first.
    ReplaceBase = 1,
}

/// `PullUpdatesProtocol`: what the server speaks for incremental pulls.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, prost::Enumeration)]
#[repr(i32)]
pub enum PullUpdatesProtocol {
    /// 0: the server predates the field (tursodb 0.7.0); means pages.
    Unspecified = 0,
    /// 1: pages.
    Pages = 1,
    /// 2: MVCC logical log.
    MvccLogical = 2,
}

/// `PullUpdatesReqProtoBody`: the whole request body.
#[derive(Clone, PartialEq, Message)]
pub struct PullUpdatesReqProtoBody {
    /// 1, enum [`PageUpdatesEncodingReq`] (varint): the page encoding wanted.
    #[prost(enumeration = "PageUpdatesEncodingReq", tag = "1")]
    pub encoding: i32,
    /// 2, string: the revision to read up to; `""` = the latest. tursodb 0.7.0 then still reports
    /// the latest `db_size`, so never combine an explicit revision with `db_size`.
    #[prost(string, tag = "2")]
    pub server_revision: String,
    /// 3, string: the revision the client already has; `""` = nothing (a bootstrap).
    #[prost(string, tag = "3")]
    pub client_revision: String,
    /// 4, uint32: wait up to this long for changes when `client_revision` is set (ignored by
    /// tursodb 0.7.0).
    #[prost(uint32, tag = "4")]
    pub long_poll_timeout_ms: u32,
    /// 5, bytes: a serialized RoaringBitmap of zero-based page ids to return; empty = all pages.
    #[prost(bytes = "vec", tag = "5")]
    pub server_pages_selector: Vec<u8>,
    /// 6, bytes: the client's pages (ignored by the reference server).
    #[prost(bytes = "vec", tag = "6")]
    pub client_pages: Vec<u8>,
    /// 7, string: SQL whose touched pages are wanted (ignored by the reference server).
    #[prost(string, tag = "7")]
    pub server_query_selector: String,
    /// 8, enum [`PullUpdatesStreamKind`] (varint): the kind of update stream wanted. Older turso
    /// sources call it `bool logical_updates`; both encode `1` the same way.
    #[prost(enumeration = "PullUpdatesStreamKind", tag = "8")]
    pub stream_kind: i32,
}

/// `PageSetRawEncodingProto`: an empty marker, present in the header when pages are raw.
#[derive(Clone, PartialEq, Eq, Message)]
pub struct PageSetRawEncodingProto {}

/// `PageSetZstdEncodingProto`: present in the header when pages are zstd-compressed.
#[derive(Clone, PartialEq, Eq, Message)]
pub struct PageSetZstdEncodingProto {
    /// 1, int32: the compression level.
    #[prost(int32, tag = "1")]
    pub level: i32,
    /// 2, repeated uint32 (packed): pages used as the compression dictionary.
    #[prost(uint32, repeated, tag = "2")]
    pub pages_dict: Vec<u32>,
}

/// `MvccLogicalLogRangeProto`: one byte range of the server's MVCC logical log.
#[derive(Clone, PartialEq, Eq, Message)]
pub struct MvccLogicalLogRangeProto {
    /// 1, uint64: the logical-log generation of the range.
    #[prost(uint64, tag = "1")]
    pub generation: u64,
    /// 2, uint64: inclusive start offset in the log.
    #[prost(uint64, tag = "2")]
    pub start_offset: u64,
    /// 3, uint64: exclusive end offset in the log.
    #[prost(uint64, tag = "3")]
    pub end_offset: u64,
    /// 4, bool: the range starts with a logical-log file header.
    #[prost(bool, tag = "4")]
    pub starts_with_header: bool,
    /// 5, optional bytes: the chained-CRC seed that validates the range.
    #[prost(bytes = "vec", optional, tag = "5")]
    pub crc_seed: Option<Vec<u8>>,
}

/// `MvccLogicalLogMetadataProto`: describes a logical-log response body.
#[derive(Clone, PartialEq, Eq, Message)]
pub struct MvccLogicalLogMetadataProto {
    /// 1, string: the logical-log format (for example `lml3`).
    #[prost(string, tag = "1")]
    pub format: String,
    /// 2, bool: the ranges cross a checkpoint.
    #[prost(bool, tag = "2")]
    pub checkpoint_transition: bool,
    /// 3, repeated message: the ranges, in body order.
    #[prost(message, repeated, tag = "3")]
    pub ranges: Vec<MvccLogicalLogRangeProto>,
}

/// `PullUpdatesRespProtoBody`: the response header, the first message of the body.
#[derive(Clone, PartialEq, Message)]
pub struct PullUpdatesRespProtoBody {
    /// 1, string: the revision this response brings the client to (tursodb: the decimal WAL frame
    /// index of the last commit; opaque to clients).
    #[prost(string, tag = "1")]
    pub server_revision: String,
    /// 2, uint64: database size in pages (a 4 KiB file has `db_size = 1`); tursodb reports the
    /// size at its latest commit.
    #[prost(uint64, tag = "2")]
    pub db_size: u64,
    /// 3, optional message: present when the pages are raw.
    #[prost(message, optional, tag = "3")]
    pub raw_encoding: Option<PageSetRawEncodingProto>,
    /// 4, optional message: present when the pages are zstd-compressed.
    #[prost(message, optional, tag = "4")]
    pub zstd_encoding: Option<PageSetZstdEncodingProto>,
    /// 5, enum [`PullUpdatesStreamKind`] (varint): what follows this header.
    #[prost(enumeration = "PullUpdatesStreamKind", tag = "5")]
    pub stream_kind: i32,
    /// 6, enum [`PullUpdatesApplyMode`] (varint): patch or replace the client's image.
    #[prost(enumeration = "PullUpdatesApplyMode", tag = "6")]
    pub apply_mode: i32,
    /// 7, optional message: logical-log streams only.
    #[prost(message, optional, tag = "7")]
    pub mvcc_log: Option<MvccLogicalLogMetadataProto>,
    /// 8, enum [`PullUpdatesProtocol`] (varint): what the server speaks for incremental pulls;
    /// absent (UNSPECIFIED) on tursodb 0.7.0.
    #[prost(enumeration = "PullUpdatesProtocol", tag = "8")]
    pub protocol: i32,
}

/// `PageData`: one page of a page stream.
#[derive(Clone, PartialEq, Eq, Message)]
pub struct PageData {
    /// 1, uint64: the **zero-based** page index (SQLite page number − 1); absent for page 0.
    #[prost(uint64, tag = "1")]
    pub page_id: u64,
    /// 2, bytes: the page; exactly [`PAGE_SIZE`] raw bytes with raw encoding.
    #[prost(bytes = "vec", tag = "2")]
    pub encoded_page: Vec<u8>,
}

/// A whole decoded response body.
#[derive(Debug, Clone, PartialEq)]
pub struct PullUpdatesResponse {
    /// The header.
    pub header: PullUpdatesRespProtoBody,
    /// The pages, in body order (tursodb: newest WAL frame first, not sorted by page id).
    pub pages: Vec<PageData>,
}

impl PullUpdatesReqProtoBody {
    /// A raw-pages request from `client_revision` (`""` = bootstrap) to the latest revision.
    pub fn raw_from(client_revision: &str) -> Self {
        PullUpdatesReqProtoBody { client_revision: client_revision.to_string(), ..Default::default() }
    }
}

/// Encodes a request body (no length prefix).
pub fn encode_request(request: &PullUpdatesReqProtoBody) -> Vec<u8> {
    request.encode_to_vec()
}

/// Decodes a request body (no length prefix; empty is a valid, all-default request).
pub fn decode_request(body: &[u8]) -> Result<PullUpdatesReqProtoBody> {
    decode_message("PullUpdatesReqProtoBody", body)
}

/// Decodes a whole response body: the header, then every page. A body that ends inside a message,
/// or holds no header, is an error.
pub fn decode_response(body: &[u8]) -> Result<PullUpdatesResponse> {
    let mut decoder = ResponseDecoder::default();
    let mut header = None;
    let mut pages = Vec::new();
    decoder.feed(body, |item| {
        match item {
            ResponseItem::Header(h) => header = Some(h),
            ResponseItem::Page(p) => pages.push(p),
        }
        Ok::<_, Error>(())
    })?;
    decoder.finish()?;
    let header = header.ok_or(Error::Truncated { what: "pull-updates response header", needed: 1, got: 0 })?;
    Ok(PullUpdatesResponse { header, pages })
}

/// `decode_response` for an owned body that it gives back while decoding: the pages are decoded
/// from the last one to the first and the body is cut behind them (memory returned in steps of
/// about 1 MiB), so a large response and its decoded pages are never both held in full.
pub fn decode_response_owned(mut body: Vec<u8>) -> Result<PullUpdatesResponse> {
    const RELEASE_STEP: usize = 1 << 20;
    let spans = stream::message_spans(&body)?;
    let (first, rest) =
        spans.split_first().ok_or(Error::Truncated { what: "pull-updates response header", needed: 1, got: 0 })?;
    let header = decode_message("PullUpdatesRespProtoBody", &body[first.clone()])?;
    let mut pages = Vec::with_capacity(rest.len());
    for span in rest.iter().rev() {
        pages.push(decode_message::<PageData>("PageData", &body[span.clone()])?);
        body.truncate(span.start);
        if body.capacity() - body.len() >= RELEASE_STEP {
            body.shrink_to_fit();
        }
    }
    pages.reverse();
    Ok(PullUpdatesResponse { header, pages })
}

/// Encodes a whole response body: the header, then each page, each prefixed by its varint length.
pub fn encode_response(header: &PullUpdatesRespProtoBody, pages: &[PageData]) -> Vec<u8> {
    let mut out = Vec::new();
    encode_delimited(header, &mut out);
    for page in pages {
        encode_delimited(page, &mut out);
    }
    out
}

/// Decodes one protobuf message, mapping prost's error to [`Error::Protobuf`].
fn decode_message<M: Message + Default>(message: &'static str, bytes: &[u8]) -> Result<M> {
    M::decode(bytes).map_err(|e| Error::Protobuf { message, reason: e.to_string() })
}
