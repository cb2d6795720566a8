//! `FramesDecoder`: a gRPC-Web body of replication frames (sqld `BatchLogEntries`, `Snapshot`)
//! decoded as it arrives. A `BatchLogEntries` reply is one data frame holding one `Frames` message
//! whose repeated field 1 holds `Frame` messages; a `Snapshot` reply is one data frame per `Frame`.
//! Either way the decoder walks the protobuf fields itself, so it holds at most one `Frame` message
//! (about 4 KiB) plus the chunk being read, however large the data frame is.
//!
//! Wire layout walked here (see `grpc_web` for the 5-byte frame prefix):
//! - gRPC-Web frame: flags u8 (`0x00` data, `0x80` trailers), length u32be, payload;
//! - `Frames` payload: protobuf fields; field 1, wire type 2 (length-delimited) = one `Frame`;
//!   other fields are skipped by wire type (0 varint, 1 fixed64, 2 length-delimited, 5 fixed32);
//! - `Frame` message: field 1 bytes = the replication frame ([`crate::frame`]), field 2 timestamp.

use prost::Message;

use super::Frame as FrameMessage;
use crate::chunks::Pending;
use crate::error::{Error, Result};
use crate::frame::Frame;
use crate::grpc_web::{GrpcStatus, FLAG_DATA, FLAG_TRAILERS, FRAME_PREFIX_LEN};
use crate::varint::{read_varint, Varint};

/// The largest `Frame` message accepted: a 64 KiB page, its 24-byte header and the other fields.
pub const MAX_FRAME_MESSAGE_LEN: usize = (64 << 10) + 1024;
/// The largest trailer frame accepted.
pub const MAX_TRAILERS_LEN: usize = 16 << 10;

/// How the frames are packed into gRPC-Web data frames.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FramesLayout {
    /// Each data frame is a `Frames` message (`BatchLogEntries`).
    Batch,
    /// Each data frame is one `Frame` message (`Snapshot`, `LogEntries`).
    PerMessage,
}

/// What the decoder hands out, in body order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FramesItem {
    /// One replication frame.
    Frame(Frame),
    /// The trailer frame: the call's status. Nothing may follow it.
    Status(GrpcStatus),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Expecting a gRPC-Web frame prefix.
    Prefix,
    /// Inside a data frame with `left` payload bytes to go.
    Data { left: u64 },
    /// Inside a data frame, skipping `skip` bytes of an unknown field (`left` counts them too).
    Skip { left: u64, skip: u64 },
    /// Expecting the trailer payload of `len` bytes.
    Trailers { len: usize },
    /// The trailers were read.
    Done,
    /// An error was returned; no more input is accepted.
    Failed,
}

/// Decodes a replication-frames body fed in chunks.
#[derive(Debug)]
pub struct FramesDecoder {
    layout: FramesLayout,
    pending: Pending,
    state: State,
}

fn framing(what: &'static str) -> Error {
    Error::GrpcWebFraming(what)
}

impl FramesDecoder {
    /// A decoder for `layout`.
    pub fn new(layout: FramesLayout) -> Self {
        Self { layout, pending: Pending::default(), state: State::Prefix }
    }

    /// Feeds the next bytes; calls `on_item` for every frame and for the final status. The callback
    /// may stop the decoder with an error of its own type, which `feed` returns; the decoder then
    /// refuses further input.
    pub fn feed<E: From<Error>>(
        &mut self,
        chunk: &[u8],
        mut on_item: impl FnMut(FramesItem) -> std::result::Result<(), E>,
    ) -> std::result::Result<(), E> {
        if self.state == State::Failed {
            return Err(framing("input after a decode error").into());
        }
        self.pending.push(chunk);
        let result = self.decode(&mut on_item);
        if result.is_err() {
            self.state = State::Failed;
        }
        result
    }

    /// Checks that the body ended after its trailer frame.
    pub fn finish(&self) -> Result<()> {
        match self.state {
            State::Done => Ok(()),
            State::Failed => Err(framing("input after a decode error")),
            _ => Err(Error::Truncated { what: "grpc-web body (no trailers)", needed: FRAME_PREFIX_LEN, got: 0 }),
        }
    }

    fn decode<E: From<Error>>(
        &mut self,
        on_item: &mut impl FnMut(FramesItem) -> std::result::Result<(), E>,
    ) -> std::result::Result<(), E> {
        loop {
            match self.state {
                State::Prefix => {
                    let Some(prefix) = self.pending.take(FRAME_PREFIX_LEN) else { return Ok(()) };
                    let len = u32::from_be_bytes([prefix[1], prefix[2], prefix[3], prefix[4]]);
                    self.state = match prefix[0] {
                        FLAG_DATA => State::Data { left: u64::from(len) },
                        FLAG_TRAILERS if (len as usize) <= MAX_TRAILERS_LEN => State::Trailers { len: len as usize },
                        FLAG_TRAILERS => return Err(framing("trailer frame too long").into()),
                        0x01 | 0x81 => return Err(framing("compressed frames are not supported").into()),
                        _ => return Err(framing("unknown frame flags").into()),
                    };
                }
                State::Trailers { len } => {
                    let Some(text) = self.pending.take(len) else { return Ok(()) };
                    let status = GrpcStatus::parse_trailer_text(&text)?;
                    self.state = State::Done;
                    on_item(FramesItem::Status(status))?;
                }
                State::Done => {
                    if !self.pending.is_empty() {
                        return Err(framing("bytes after the trailer frame").into());
                    }
                    return Ok(());
                }
                State::Data { left: 0 } => self.state = State::Prefix,
                State::Data { left } => match self.layout {
                    FramesLayout::PerMessage => {
                        let len = usize::try_from(left).ok().filter(|&l| l <= MAX_FRAME_MESSAGE_LEN);
                        let len = len.ok_or(framing("Frame message too long"))?;
                        let Some(message) = self.pending.take(len) else { return Ok(()) };
                        self.state = State::Prefix;
                        on_item(FramesItem::Frame(frame_from_message(&message)?))?;
                    }
                    FramesLayout::Batch => {
                        if !self.batch_field(left, on_item)? {
                            return Ok(());
                        }
                    }
                },
                State::Skip { left, skip } => {
                    let n = (self.pending.len() as u64).min(skip);
                    self.pending.consume(n as usize);
                    if n < skip {
                        self.state = State::Skip { left: left - n, skip: skip - n };
                        return Ok(());
                    }
                    self.state = State::Data { left: left - n };
                }
                State::Failed => return Err(framing("input after a decode error").into()),
            }
        }
    }

    /// Reads one field of a `Frames` message with `left` bytes to go. Returns false when more input
    /// is needed (nothing consumed).
    fn batch_field<E: From<Error>>(
        &mut self,
        left: u64,
        on_item: &mut impl FnMut(FramesItem) -> std::result::Result<(), E>,
    ) -> std::result::Result<bool, E> {
        let bytes = self.pending.bytes();
        let window = &bytes[..bytes.len().min(usize::try_from(left).unwrap_or(usize::MAX))];
        let whole = (window.len() as u64) == left;
        let incomplete = |what| if whole { Err(E::from(framing(what))) } else { Ok(false) };
        let (key, key_len) = match read_varint(window) {
            Varint::Value(v, n) => (v, n),
            Varint::Incomplete => return incomplete("field key crosses the message end"),
            Varint::Invalid => return Err(framing("field key longer than 64 bits").into()),
        };
        let rest = &window[key_len..];
        let (field, wire_type) = (key >> 3, key & 7);
        let fixed = |n: usize| -> std::result::Result<Option<usize>, E> {
            match rest.len() >= n {
                true => Ok(Some(key_len + n)),
                false if whole => Err(framing("fixed-width field crosses the message end").into()),
                false => Ok(None),
            }
        };
        let used = match wire_type {
            0 => match read_varint(rest) {
                Varint::Value(_, n) => Some(key_len + n),
                Varint::Incomplete => return incomplete("varint field crosses the message end"),
                Varint::Invalid => return Err(framing("varint field longer than 64 bits").into()),
            },
            1 => fixed(8)?,
            5 => fixed(4)?,
            2 => {
                let (len, len_len) = match read_varint(rest) {
                    Varint::Value(v, n) => (v, n),
                    Varint::Incomplete => return incomplete("field length crosses the message end"),
                    Varint::Invalid => return Err(framing("field length longer than 64 bits").into()),
                };
                let header = (key_len + len_len) as u64;
                if header.checked_add(len).is_none_or(|end| end > left) {
                    return Err(framing("field longer than its message").into());
                }
                if field != 1 {
                    self.pending.consume(key_len + len_len);
                    self.state = State::Skip { left: left - header, skip: len };
                    return Ok(true);
                }
                let len = usize::try_from(len).ok().filter(|&l| l <= MAX_FRAME_MESSAGE_LEN);
                let len = len.ok_or(framing("Frame message too long"))?;
                if rest.len() - len_len < len {
                    return Ok(false);
                }
                let frame = frame_from_message(&rest[len_len..len_len + len])?;
                let used = key_len + len_len + len;
                self.pending.consume(used);
                self.state = State::Data { left: left - used as u64 };
                on_item(FramesItem::Frame(frame))?;
                return Ok(true);
            }
            _ => return Err(framing("unknown protobuf wire type").into()),
        };
        let Some(used) = used else { return Ok(false) };
        self.pending.consume(used);
        self.state = State::Data { left: left - used as u64 };
        Ok(true)
    }
}

fn frame_from_message(bytes: &[u8]) -> Result<Frame> {
    let message =
        FrameMessage::decode(bytes).map_err(|e| Error::Protobuf { message: "Frame", reason: e.to_string() })?;
    Frame::decode(&message.data)
}

#[cfg(test)]
mod tests;
