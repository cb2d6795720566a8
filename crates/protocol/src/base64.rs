//! Base64 without a dependency: the standard alphabet as Hrana uses it for blobs (encode without
//! padding, as sqld emits; decode with or without padding), and the URL-safe alphabet (`-`, `_`,
//! no padding) for tokens that travel in URLs and cookies (bookmarks).

use crate::error::{Error, Result};

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const URL_ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// Encodes without `=` padding.
pub fn encode_unpadded(data: &[u8]) -> String {
    encode_with(data, ALPHABET)
}

/// Encodes with the URL-safe alphabet, without padding.
pub fn encode_url(data: &[u8]) -> String {
    encode_with(data, URL_ALPHABET)
}

/// Decodes, accepting missing or present padding.
pub fn decode(text: &str) -> Result<Vec<u8>> {
    decode_with(text, [b'+', b'/'])
}

/// Decodes the URL-safe alphabet (padding accepted).
pub fn decode_url(text: &str) -> Result<Vec<u8>> {
    decode_with(text, [b'-', b'_'])
}

fn encode_with(data: &[u8], alphabet: &[u8; 64]) -> String {
    // Capacity is a hint: saturate rather than overflow a 32-bit usize on huge inputs.
    let mut out = String::with_capacity(data.len().div_ceil(3).saturating_mul(4));
    for chunk in data.chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        let chars = chunk.len() + 1;
        for i in 0..chars {
            out.push(alphabet[((n >> (18 - 6 * i)) & 63) as usize] as char);
        }
    }
    out
}

/// Decodes with `last_two` as the characters for 62 and 63.
fn decode_with(text: &str, last_two: [u8; 2]) -> Result<Vec<u8>> {
    let bad = || Error::InvalidField { field: "base64", value: text.chars().take(16).collect() };
    let t = text.trim_end_matches('=');
    if text.len() - t.len() > 2 || t.len() % 4 == 1 {
        return Err(bad());
    }
    // `t.len() * 3` could overflow a 32-bit usize; divide first (every 4 chars give at most 3 bytes).
    let mut out = Vec::with_capacity(t.len() / 4 * 3 + 2);
    let mut acc = 0u32;
    let mut bits = 0;
    for c in t.bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            c if c == last_two[0] => 62,
            c if c == last_two[1] => 63,
            _ => return Err(bad()),
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use super::*;

    #[test]
    fn base64_matches_sqld_examples() {
        assert_eq!(encode_unpadded(&[0, 1, 2, 0xff, 0xfe]), "AAEC//4");
        assert_eq!(decode("AAEC//4=").unwrap(), vec![0, 1, 2, 0xff, 0xfe]);
        assert_eq!(decode("AAEC//4").unwrap(), vec![0, 1, 2, 0xff, 0xfe]);
        assert_eq!(encode_unpadded(b""), "");
        for n in 0..20u8 {
            let d: Vec<u8> = (0..n).map(|i| i.wrapping_mul(37)).collect();
            assert_eq!(decode(&encode_unpadded(&d)).unwrap(), d);
        }
        assert!(decode("A").is_err());
        assert!(decode("AA*A").is_err());
    }

    #[test]
    fn url_safe_alphabet_round_trips_and_is_not_mixed_up() {
        assert_eq!(encode_url(&[0, 1, 2, 0xff, 0xfe]), "AAEC__4");
        assert_eq!(decode_url("AAEC__4").unwrap(), vec![0, 1, 2, 0xff, 0xfe]);
        assert!(decode_url("AAEC//4").is_err());
        assert!(decode("AAEC__4").is_err());
    }
}
