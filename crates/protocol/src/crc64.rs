//! The rolling checksum of libsql replication frames: CRC-64/GO-ISO (reflected, polynomial
//! 0x1B, reflected table constant 0xD800000000000000, final XOR all ones), with the register
//! initialised from the previous frame's checksum, so checksums chain from frame to frame.
//!
//! `checksum(frame n) = crc64_go_iso(seed = checksum(frame n-1), page)`; the seed of a log's first
//! frame is its `start_checksum` (0 for a fresh log, and 0 again after compaction, as observed on
//! sqld 0.24.33): the `crc` crate's `digest_with_initial(prev)`.

use crc::{Crc, Table, CRC_64_GO_ISO};

/// CRC-64/GO-ISO, slicing by 16 (16 tables of 256 entries, built at compile time: 32 KiB of
/// constants, about 8x faster than the byte-wise table on the 4 KiB pages a bootstrap checks).
const CRC: Crc<u64, Table<16>> = Crc::<u64, Table<16>>::new(&CRC_64_GO_ISO);

/// CRC-64/GO-ISO of `data` with the register seeded from `prev` (the previous checksum in the chain).
///
/// With `prev = 0` this is the plain CRC-64/GO-ISO (check value of `"123456789"` is
/// `0xB90956C775A41001`).
pub fn crc64_chain(prev: u64, data: &[u8]) -> u64 {
    let mut digest = CRC.digest_with_initial(prev);
    digest.update(data);
    digest.finalize()
}

#[cfg(test)]
mod tests {
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use super::*;

    #[test]
    fn crc64_chain_zero_seed_matches_reference_check_value() {
        // The catalogue check value of CRC-64/GO-ISO is over "123456789" with init all ones.
        assert_eq!(crc64_chain(u64::MAX, b"123456789"), 0xB909_56C7_75A4_1001);
    }

    #[test]
    fn crc64_chain_matches_the_bytewise_definition() {
        // The reflected byte-wise algorithm with the register holding the bit-reversed seed.
        fn bytewise(prev: u64, data: &[u8]) -> u64 {
            let mut crc = prev.reverse_bits();
            for &b in data {
                crc ^= u64::from(b);
                for _ in 0..8 {
                    crc = if crc & 1 == 1 { (crc >> 1) ^ 0xD800_0000_0000_0000 } else { crc >> 1 };
                }
            }
            crc ^ u64::MAX
        }
        let data: Vec<u8> = (0..4133u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect();
        for (prev, len) in [(0, 4096), (u64::MAX, 4133), (0x0123_4567_89AB_CDEF, 17), (42, 0), (7, 1)] {
            assert_eq!(crc64_chain(prev, &data[..len]), bytewise(prev, &data[..len]), "prev {prev:#x}, {len} bytes");
        }
    }

    #[test]
    fn crc64_chain_empty_input_is_seed_inverted() {
        assert_eq!(crc64_chain(0, b""), u64::MAX);
    }
}
