//! The 100-byte SQLite database header at the start of page 1: the fields a replica and an image
//! decoder read. All multi-byte fields are big-endian.
//!
//! | offset | width | field                                                   |
//! |-------:|------:|---------------------------------------------------------|
//! | 0      | 16    | magic "SQLite format 3\0"                               |
//! | 16     | 2     | page size, u16 BE (1 = 65536)                           |
//! | 18     | 1     | file format write version (1 rollback, 2 WAL)           |
//! | 19     | 1     | file format read version                                |
//! | 24     | 4     | file change counter, u32 BE                             |
//! | 28     | 4     | database size in pages, u32 BE ("in-header size")       |
//! | 92     | 4     | version-valid-for, u32 BE: offset 28 is valid when it equals offset 24 |

/// Length of the header.
pub const HEADER_LEN: usize = 100;
/// The magic string every SQLite database starts with.
pub const MAGIC: &[u8; 16] = b"SQLite format 3\0";
/// Offset of the page size field.
pub const PAGE_SIZE_OFFSET: usize = 16;
/// Offset of the file change counter.
pub const CHANGE_COUNTER_OFFSET: usize = 24;
/// Offset of the in-header database size.
pub const DB_SIZE_OFFSET: usize = 28;
/// Offset of version-valid-for.
pub const VERSION_VALID_FOR_OFFSET: usize = 92;

/// The u32be at `at` (callers check `bytes.len() >= at + 4`).
fn u32_at(bytes: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(bytes.get(at..at + 4)?.try_into().ok()?))
}

/// The page size recorded in a header, if it is one SQLite allows.
pub fn page_size(page1: &[u8]) -> Option<u32> {
    if page1.len() < HEADER_LEN {
        return None;
    }
    let raw = u16::from_be_bytes([page1[PAGE_SIZE_OFFSET], page1[PAGE_SIZE_OFFSET + 1]]) as u32;
    let size = if raw == 1 { 65536 } else { raw };
    crate::frame::is_valid_page_size(size as usize).then_some(size)
}

/// Whether `bytes` starts with the SQLite magic.
pub fn has_magic(bytes: &[u8]) -> bool {
    bytes.get(..MAGIC.len()) == Some(&MAGIC[..])
}

/// The in-header database size in pages, when SQLite would trust it (offset 92 equals offset 24
/// and the size is non-zero).
pub fn trusted_db_size(page1: &[u8]) -> Option<u32> {
    let size = u32_at(page1, DB_SIZE_OFFSET)?;
    (size > 0 && u32_at(page1, VERSION_VALID_FOR_OFFSET)? == u32_at(page1, CHANGE_COUNTER_OFFSET)?).then_some(size)
}

#[cfg(test)]
mod tests {
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use super::*;

    fn header(page_size_field: u16) -> Vec<u8> {
        let mut p = vec![0u8; 512];
        p[..16].copy_from_slice(MAGIC);
        p[16..18].copy_from_slice(&page_size_field.to_be_bytes());
        p
    }

    #[test]
    fn page_size_reads_field_and_special_value_one() {
        assert_eq!(page_size(&header(4096)), Some(4096));
        assert_eq!(page_size(&header(8192)), Some(8192));
        assert_eq!(page_size(&header(1)), Some(65536));
        assert_eq!(page_size(&header(1000)), None);
        assert_eq!(page_size(&header(256)), None);
        assert_eq!(page_size(&[0u8; 50]), None);
        assert!(has_magic(&header(4096)));
        assert!(!has_magic(b"SQLite"));
    }

    #[test]
    fn in_header_size_is_trusted_only_when_valid_for_matches() {
        let mut p = header(4096);
        p[28..32].copy_from_slice(&7u32.to_be_bytes());
        assert_eq!(trusted_db_size(&p), Some(7), "0 == 0");
        p[24..28].copy_from_slice(&3u32.to_be_bytes());
        assert_eq!(trusted_db_size(&p), None);
        p[92..96].copy_from_slice(&3u32.to_be_bytes());
        assert_eq!(trusted_db_size(&p), Some(7));
        assert_eq!(trusted_db_size(&p[..50]), None);
    }
}
