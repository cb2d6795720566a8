//! `server_pages_selector` (request field 5): a RoaringBitmap of zero-based page ids in the portable
//! serialization without run containers (the form the reference server parses). Layout, all
//! little-endian: cookie u32 = 12346; container count u32; per container `key u16` (the ids' high 16
//! bits) and `cardinality − 1 u16`; per container `offset u32` from the start of the bitmap; then the
//! containers: an array container (≤ 4096 ids) holds its low 16 bits as sorted u16s, a bitmap
//! container (more ids) holds 1024 u64 words, bit `n` set for low bits `n`.

/// Cookie of the portable format without run containers.
const SERIAL_COOKIE_NO_RUNCONTAINER: u32 = 12346;
/// The most ids an array container holds.
const ARRAY_MAX: usize = 4096;

/// Serializes the set of `page_ids` (any order, duplicates ignored). An empty set serializes to
/// the empty byte string, which the protocol reads as "all pages".
pub fn pages_selector(page_ids: &[u32]) -> Vec<u8> {
    let mut ids = page_ids.to_vec();
    ids.sort_unstable();
    ids.dedup();
    if ids.is_empty() {
        return Vec::new();
    }
    let containers: Vec<(u16, Vec<u16>)> = ids
        .chunk_by(|a, b| a >> 16 == b >> 16)
        .map(|group| ((group[0] >> 16) as u16, group.iter().map(|id| *id as u16).collect()))
        .collect();
    let mut out = Vec::new();
    out.extend_from_slice(&SERIAL_COOKIE_NO_RUNCONTAINER.to_le_bytes());
    out.extend_from_slice(&(containers.len() as u32).to_le_bytes());
    for (key, lows) in &containers {
        out.extend_from_slice(&key.to_le_bytes());
        out.extend_from_slice(&((lows.len() - 1) as u16).to_le_bytes());
    }
    let mut offset = out.len() + 4 * containers.len();
    for (_, lows) in &containers {
        out.extend_from_slice(&(offset as u32).to_le_bytes());
        offset += if lows.len() <= ARRAY_MAX { 2 * lows.len() } else { 8192 };
    }
    for (_, lows) in &containers {
        if lows.len() <= ARRAY_MAX {
            lows.iter().for_each(|low| out.extend_from_slice(&low.to_le_bytes()));
        } else {
            let mut words = [0u64; 1024];
            lows.iter().for_each(|&low| words[usize::from(low) / 64] |= 1 << (low % 64));
            words.iter().for_each(|w| out.extend_from_slice(&w.to_le_bytes()));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use super::*;

    #[test]
    fn selector_single_page_matches_observed_bytes() {
        // {1} as sent to tursodb 0.7.0 (shared/reference/protocols.md 8.5), which answered page_id 1 only.
        let one = [0x3a, 0x30, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0x10, 0, 0, 0, 1, 0];
        assert_eq!(pages_selector(&[1]), one);
        assert_eq!(pages_selector(&[0])[16..], [0, 0]);
        assert!(pages_selector(&[]).is_empty());
    }

    #[test]
    fn selector_containers_array_and_bitmap() {
        let ids: Vec<u32> = (0..5000).chain([70_000, 70_000, 65_536]).collect();
        let b = pages_selector(&ids);
        assert_eq!(u32::from_le_bytes(b[4..8].try_into().unwrap()), 2, "two containers");
        // Container 0: key 0, 5000 ids (bitmap); container 1: key 1, ids {0, 4464} (array).
        assert_eq!(b[8..16], [0, 0, 0x87, 0x13, 1, 0, 1, 0]);
        let (o0, o1) =
            (u32::from_le_bytes(b[16..20].try_into().unwrap()), u32::from_le_bytes(b[20..24].try_into().unwrap()));
        assert_eq!((o0, o1), (24, 24 + 8192));
        assert_eq!(b.len(), 24 + 8192 + 4);
        assert_eq!(b[24], 0xff, "ids 0..8 set");
        assert_eq!(b[24 + 8192..], [0, 0, 0x70, 0x11]);
    }
}
