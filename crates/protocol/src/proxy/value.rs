//! The bincode 1.x encoding of proxy `Value.data` (fixed-width integers, little-endian), as sqld
//! serialises its `Value` enum `Null | Integer(i64) | Real(f64) | Text(String) | Blob(Vec<u8>)`:
//!
//! | offset | width | field                                                                |
//! |--------|-------|----------------------------------------------------------------------|
//! | 0      | 4     | variant index, u32le: 0 Null, 1 Integer, 2 Real, 3 Text, 4 Blob      |
//! | 4      | 8     | Integer: i64le; Real: f64 bits, u64le; Text/Blob: byte length, u64le |
//! | 12     | n     | Text: UTF-8 bytes; Blob: raw bytes                                   |
//!
//! Decoding is strict: unknown variants, short buffers, invalid UTF-8 and trailing bytes are errors
//! (sqld's bincode would accept trailing bytes; no client sends them). Lengths are checked in u64
//! before any usize arithmetic, so a huge length cannot overflow on wasm32.

use crate::error::{Error, Result};
use crate::hrana::Value;

const VARIANT_NULL: u32 = 0;
const VARIANT_INTEGER: u32 = 1;
const VARIANT_REAL: u32 = 2;
const VARIANT_TEXT: u32 = 3;
const VARIANT_BLOB: u32 = 4;

/// Encodes a value as bincode 1.x (see the module table).
pub fn encode_value(value: &Value) -> Vec<u8> {
    let bytes_variant = |variant: u32, bytes: &[u8]| {
        let mut out = Vec::with_capacity(12 + bytes.len());
        out.extend_from_slice(&variant.to_le_bytes());
        out.extend_from_slice(&(bytes.len() as u64).to_le_bytes());
        out.extend_from_slice(bytes);
        out
    };
    match value {
        Value::Null => VARIANT_NULL.to_le_bytes().to_vec(),
        Value::Integer { value } => [&VARIANT_INTEGER.to_le_bytes()[..], &value.to_le_bytes()].concat(),
        Value::Float { value } => [&VARIANT_REAL.to_le_bytes()[..], &value.to_bits().to_le_bytes()].concat(),
        Value::Text { value } => bytes_variant(VARIANT_TEXT, value.as_bytes()),
        Value::Blob { value } => bytes_variant(VARIANT_BLOB, value),
    }
}

/// Decodes a bincode 1.x value; the buffer must hold exactly one value.
pub fn decode_value(bytes: &[u8]) -> Result<Value> {
    let truncated = |needed: usize| Error::Truncated { what: "bincode value", needed, got: bytes.len() };
    let variant = u32::from_le_bytes(take::<4>(bytes, 0).ok_or_else(|| truncated(4))?);
    let word = || take::<8>(bytes, 4).ok_or_else(|| truncated(12));
    let (value, end) = match variant {
        VARIANT_NULL => (Value::Null, 4),
        VARIANT_INTEGER => (Value::Integer { value: i64::from_le_bytes(word()?) }, 12),
        VARIANT_REAL => (Value::Float { value: f64::from_bits(u64::from_le_bytes(word()?)) }, 12),
        VARIANT_TEXT | VARIANT_BLOB => {
            let len = u64::from_le_bytes(word()?);
            // Compare in u64 first: the length may not fit in a 32-bit usize (wasm32).
            let available = bytes.len().saturating_sub(12) as u64;
            if len > available {
                return Err(truncated(usize::try_from(len).unwrap_or(usize::MAX).saturating_add(12)));
            }
            let end = 12 + len as usize;
            let data = &bytes[12..end];
            let value = if variant == VARIANT_TEXT {
                let text = std::str::from_utf8(data).map_err(|_| Error::InvalidBincode("text is not UTF-8"))?;
                Value::Text { value: text.to_owned() }
            } else {
                Value::Blob { value: data.to_vec() }
            };
            (value, end)
        }
        _ => return Err(Error::InvalidBincode("unknown value variant")),
    };
    if end != bytes.len() {
        return Err(Error::InvalidBincode("trailing bytes after the value"));
    }
    Ok(value)
}

fn take<const N: usize>(bytes: &[u8], at: usize) -> Option<[u8; N]> {
    bytes.get(at..at.checked_add(N)?)?.try_into().ok()
}
