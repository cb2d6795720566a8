//! The rolling checksum of libsql replication frames: CRC-64/GO-ISO (reflected, polynomial
//! 0x1B, reflected table constant 0xD800000000000000, final XOR all ones), with the register
//! initialised from the previous frame's checksum, so checksums chain from frame to frame.
//!
//! `checksum(frame n) = crc64_go_iso(seed = checksum(frame n-1), page)`; the seed of a log's first
//! frame is its `start_checksum` (0 for a fresh log, and 0 again after compaction, as observed on
//! sqld 0.24.33). This equals the `crc` crate's `Crc::<u64>::new(&CRC_64_GO_ISO).digest_with_initial(prev)`.

/// Reflected polynomial of CRC-64/GO-ISO.
const POLY_REFLECTED: u64 = 0xD800_0000_0000_0000;

/// The byte-wise lookup table, built at compile time. A `static`, not a `const`: unoptimised
/// builds copy a `const` array (2 KB) onto the stack at every indexing, i.e. for every byte hashed,
/// which made this function most of the dev primary's CPU time in debug builds.
static TABLE: [u64; 256] = build_table();

const fn build_table() -> [u64; 256] {
    let mut table = [0u64; 256];
    let mut i = 0;
    while i < 256 {
        let mut c = i as u64;
        let mut k = 0;
        while k < 8 {
            c = if c & 1 == 1 { (c >> 1) ^ POLY_REFLECTED } else { c >> 1 };
            k += 1;
        }
        table[i] = c;
        i += 1;
    }
    table
}

/// CRC-64/GO-ISO of `data` with the register seeded from `prev` (the previous checksum in the chain).
///
/// With `prev = 0` this is the plain CRC-64/GO-ISO (check value of `"123456789"` is
/// `0xB90956C775A41001`).
pub fn crc64_chain(prev: u64, data: &[u8]) -> u64 {
    // Reflected algorithm: the register holds the bit-reversed seed (as `crc` does).
    let mut crc = prev.reverse_bits();
    for &b in data {
        crc = TABLE[((crc ^ u64::from(b)) & 0xFF) as usize] ^ (crc >> 8);
    }
    crc ^ u64::MAX
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
    fn crc64_chain_empty_input_is_seed_inverted() {
        assert_eq!(crc64_chain(0, b""), u64::MAX);
    }
}
