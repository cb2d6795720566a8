//! The `/pull-updates` response framing: a sequence of messages, each prefixed by its length as a
//! protobuf varint (1 to 10 bytes, little-endian groups of 7 bits, high bit = more). The first
//! message is the header, every later one a `PageData`. `ResponseDecoder` accepts the body in
//! chunks of any size; lengths are checked before any slicing, so no input can panic or overflow.

use prost::Message;

use super::{PageData, PullUpdatesRespProtoBody};
use crate::chunks::Pending;
use crate::error::{Error, Result};
use crate::varint::{read_varint, Varint, MAX_VARINT_LEN};

/// The longest message the decoder accepts (16 MiB). A `PageData` is about 4 KiB; a header with
/// MVCC metadata or a zstd dictionary list is still far below this. A larger length is garbage.
pub const MAX_MESSAGE_LEN: usize = 16 << 20;

/// One decoded message of a response body.
#[derive(Debug, Clone, PartialEq)]
pub enum ResponseItem {
    /// The first message.
    Header(PullUpdatesRespProtoBody),
    /// Any later message.
    Page(PageData),
}

/// Decodes a response body fed in chunks. Items are handed out as soon as they are complete;
/// call [`ResponseDecoder::finish`] at the end of the body to reject a truncated one. After an
/// error the decoder refuses further input.
#[derive(Debug, Default)]
pub struct ResponseDecoder {
    /// Bytes of an incomplete message carried over from earlier chunks.
    pending: Pending,
    /// The header has been decoded.
    seen_header: bool,
    /// An earlier call failed.
    failed: bool,
}

impl ResponseDecoder {
    /// Decodes every complete message in `pending ‖ chunk`, calling `on_item` for each, and keeps
    /// the incomplete rest for the next call. The callback may stop the decoder with an error of
    /// its own type, which `feed` returns.
    pub fn feed<E: From<Error>>(
        &mut self,
        chunk: &[u8],
        mut on_item: impl FnMut(ResponseItem) -> std::result::Result<(), E>,
    ) -> std::result::Result<(), E> {
        if self.failed {
            return Err(
                Error::InvalidField { field: "pull-updates body", value: "input after a decode error".into() }.into()
            );
        }
        self.pending.push(chunk);
        let result = self.decode_pending(&mut on_item);
        self.failed = result.is_err();
        result
    }

    /// Checks that the body ended between messages and held a header.
    pub fn finish(&self) -> Result<()> {
        if !self.pending.is_empty() {
            let needed = match read_varint(self.pending.bytes()) {
                Varint::Value(len, n) => usize::try_from(len).ok().and_then(|len| len.checked_add(n)),
                _ => self.pending.len().checked_add(1),
            };
            return Err(Error::Truncated {
                what: "pull-updates message",
                needed: needed.unwrap_or(usize::MAX),
                got: self.pending.len(),
            });
        }
        if !self.seen_header {
            return Err(Error::Truncated { what: "pull-updates response header", needed: 1, got: 0 });
        }
        Ok(())
    }

    /// Bytes held back waiting for the rest of a message.
    pub fn buffered(&self) -> usize {
        self.pending.len()
    }

    /// Decodes the complete messages held.
    fn decode_pending<E: From<Error>>(
        &mut self,
        on_item: &mut impl FnMut(ResponseItem) -> std::result::Result<(), E>,
    ) -> std::result::Result<(), E> {
        loop {
            let rest = self.pending.bytes();
            let (len, prefix) = match read_varint(rest) {
                Varint::Incomplete => return Ok(()),
                Varint::Invalid => return Err(invalid_len("a varint longer than 64 bits").into()),
                Varint::Value(len, prefix) => (len, prefix),
            };
            let len = match usize::try_from(len) {
                Ok(len) if len <= MAX_MESSAGE_LEN => len,
                _ => return Err(invalid_len(&format!("{len} bytes is over the {MAX_MESSAGE_LEN}-byte limit")).into()),
            };
            // `prefix <= 10` and `len <= MAX_MESSAGE_LEN`: cannot overflow, checked anyway.
            let Some(end) = prefix.checked_add(len).filter(|&end| end <= rest.len()) else {
                return Ok(());
            };
            let message = &rest[prefix..end];
            let item = if self.seen_header {
                ResponseItem::Page(decode("PageData", message)?)
            } else {
                ResponseItem::Header(decode("PullUpdatesRespProtoBody", message)?)
            };
            self.seen_header = true;
            self.pending.consume(end);
            on_item(item)?;
        }
    }
}

/// The byte ranges of the messages of a whole body (each after its varint length). A body that
/// ends inside a length or a message is an error.
pub fn message_spans(body: &[u8]) -> Result<Vec<std::ops::Range<usize>>> {
    let mut spans = Vec::new();
    let mut at = 0;
    while at < body.len() {
        let (len, prefix) = match read_varint(&body[at..]) {
            Varint::Value(len, prefix) => (len, prefix),
            Varint::Incomplete => {
                return Err(Error::Truncated { what: "pull-updates message length", needed: at + 1, got: body.len() })
            }
            Varint::Invalid => return Err(invalid_len("a varint longer than 64 bits")),
        };
        let len = match usize::try_from(len) {
            Ok(len) if len <= MAX_MESSAGE_LEN => len,
            _ => return Err(invalid_len(&format!("{len} bytes is over the {MAX_MESSAGE_LEN}-byte limit"))),
        };
        let start = at + prefix;
        let end = start.checked_add(len).filter(|&end| end <= body.len()).ok_or(Error::Truncated {
            what: "pull-updates message",
            needed: start.saturating_add(len),
            got: body.len(),
        })?;
        spans.push(start..end);
        at = end;
    }
    Ok(spans)
}

/// Appends `message` prefixed by its varint length.
pub fn encode_delimited(message: &impl Message, out: &mut Vec<u8>) {
    let len = message.encoded_len();
    out.reserve(len + MAX_VARINT_LEN);
    prost::encoding::encode_varint(len as u64, out);
    message.encode_raw(out);
}

fn decode<M: Message + Default>(message: &'static str, bytes: &[u8]) -> Result<M> {
    M::decode(bytes).map_err(|e| Error::Protobuf { message, reason: e.to_string() })
}

fn invalid_len(value: &str) -> Error {
    Error::InvalidField { field: "pull-updates message length", value: value.to_string() }
}

#[cfg(test)]
mod tests {
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use super::*;

    #[test]
    fn decoder_huge_length_is_an_error_not_a_wait() {
        // 2^35: larger than a 32-bit usize and than the limit.
        let mut d = ResponseDecoder::default();
        let err = d.feed(&[0x80, 0x80, 0x80, 0x80, 0x80, 0x01], |_| Ok::<_, Error>(())).unwrap_err();
        assert_eq!(err.code(), "INVALID_FIELD");
        // Poisoned afterwards.
        assert!(d.feed(&[0x00], |_| Ok::<_, Error>(())).is_err());
    }
}
