//! Protobuf varints (1 to 10 bytes, little-endian groups of 7 bits, high bit = more), read from
//! the start of a buffer that may hold only part of one. Shared by the incremental decoders.

/// A varint needs at most 10 bytes for 64 bits.
pub const MAX_VARINT_LEN: usize = 10;

/// The outcome of reading a varint at the start of a buffer.
#[derive(Debug, PartialEq, Eq)]
pub enum Varint {
    /// The value and the bytes it took.
    Value(u64, usize),
    /// The buffer ends inside the varint.
    Incomplete,
    /// More than 64 bits.
    Invalid,
}

/// Reads the varint at the start of `buf`.
pub fn read_varint(buf: &[u8]) -> Varint {
    let mut value = 0u64;
    for (i, &b) in buf.iter().take(MAX_VARINT_LEN).enumerate() {
        // The 10th byte holds bit 63 only; anything more (or a continuation) overflows.
        if i == MAX_VARINT_LEN - 1 && b > 1 {
            return Varint::Invalid;
        }
        value |= u64::from(b & 0x7f) << (7 * i);
        if b & 0x80 == 0 {
            return Varint::Value(value, i + 1);
        }
    }
    if buf.len() >= MAX_VARINT_LEN {
        Varint::Invalid
    } else {
        Varint::Incomplete
    }
}

#[cfg(test)]
mod tests {
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use super::*;

    #[test]
    fn varint_reads_edges_and_rejects_overflow() {
        assert_eq!(read_varint(&[]), Varint::Incomplete);
        assert_eq!(read_varint(&[0]), Varint::Value(0, 1));
        assert_eq!(read_varint(&[0x83, 0x20]), Varint::Value(4099, 2));
        assert_eq!(read_varint(&[0x83]), Varint::Incomplete);
        let max = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01];
        assert_eq!(read_varint(&max), Varint::Value(u64::MAX, 10));
        let over = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02];
        assert_eq!(read_varint(&over), Varint::Invalid);
        assert_eq!(read_varint(&[0xff; 11]), Varint::Invalid);
        assert_eq!(read_varint(&[0xff; 9]), Varint::Incomplete);
    }
}
