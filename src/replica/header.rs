//! How the replica patches the 100-byte SQLite header at the start of page 1 (the fields are read by
//! `crates/protocol/src/db_header.rs`). All multi-byte fields are big-endian.
//!
//! | offset | width | field                         | replica rule                                     |
//! |-------:|------:|-------------------------------|--------------------------------------------------|
//! | 0      | 16    | magic "SQLite format 3\0"     | checked on bootstrap                             |
//! | 16     | 2     | page size, u16 BE (1 = 65536) | read, never assumed                              |
//! | 18     | 1     | file format write version     | set to 1 (rollback journal): no WAL shm here     |
//! | 19     | 1     | file format read version      | set to 1                                         |
//! | 24     | 4     | file change counter, u32 BE   | replaced by the replica's own counter per apply  |
//! | 28     | 4     | database size in pages, u32 BE| must equal the commit's `db_size_pages`          |
//! | 92     | 4     | version-valid-for, u32 BE     | set equal to offset 24 so the size is trusted    |

pub use crate::protocol::db_header::{page_size, HEADER_LEN, MAGIC};
use crate::protocol::db_header::{
    CHANGE_COUNTER_OFFSET as CHANGE_COUNTER, DB_SIZE_OFFSET as DB_SIZE, VERSION_VALID_FOR_OFFSET as VERSION_VALID_FOR,
};

const WRITE_VERSION: usize = 18;
const READ_VERSION: usize = 19;

/// The byte ranges of page 1 that the replica rewrites and that therefore differ from the
/// primary's page: 18–19, 24–27, 92–95 (and 28–31 only if the primary's value was stale).
pub const PATCHED_RANGES: [std::ops::Range<usize>; 3] = [18..20, 24..28, 92..96];

fn u32_at(page: &[u8], at: usize) -> u32 {
    u32::from_be_bytes([page[at], page[at + 1], page[at + 2], page[at + 3]])
}

/// Makes page 1 describe a rollback-journal database of `db_size_pages` pages whose content
/// changed (counter `counter`), so that SQLite drops its page cache at the next read transaction
/// and trusts the in-header size. `page1` must be at least `HEADER_LEN` bytes (checked by callers).
pub fn patch(page1: &mut [u8], counter: u32, db_size_pages: u32) {
    page1[WRITE_VERSION] = 1;
    page1[READ_VERSION] = 1;
    page1[CHANGE_COUNTER..CHANGE_COUNTER + 4].copy_from_slice(&counter.to_be_bytes());
    page1[VERSION_VALID_FOR..VERSION_VALID_FOR + 4].copy_from_slice(&counter.to_be_bytes());
    // Primaries keep offset 28 current (SQLite writes it whenever the file size changes). Guard
    // anyway: with 24 == 92 SQLite trusts this value, and a stale one would read as corruption.
    if u32_at(page1, DB_SIZE) != db_size_pages {
        page1[DB_SIZE..DB_SIZE + 4].copy_from_slice(&db_size_pages.to_be_bytes());
    }
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
    fn patch_sets_journal_mode_counter_and_size() {
        let mut p = header(4096);
        p[18] = 2;
        p[19] = 2;
        p[28..32].copy_from_slice(&7u32.to_be_bytes());
        patch(&mut p, 42, 7);
        assert_eq!((p[18], p[19]), (1, 1));
        assert_eq!(u32_at(&p, CHANGE_COUNTER), 42);
        assert_eq!(u32_at(&p, VERSION_VALID_FOR), 42);
        assert_eq!(u32_at(&p, DB_SIZE), 7);
        patch(&mut p, 43, 9);
        assert_eq!(u32_at(&p, DB_SIZE), 9);
    }
}
