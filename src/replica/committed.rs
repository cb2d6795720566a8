//! `CommittedPages`: one or more whole committed transactions as the sync protocols deliver them,
//! the only unit the replica ever installs.

use crate::protocol::Position;

/// One page image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page {
    /// 1-based SQLite page number.
    pub pgno: u32,
    /// The whole page, exactly `page_size` bytes.
    pub data: Vec<u8>,
}

/// Whole committed transactions: after installing `pages`, the database is `db_size_pages` long and
/// the replica stands at `position`. A page may appear several times; the last one wins. Pages
/// beyond `db_size_pages` are discarded (a transaction that shrank the file). With `replace`, the
/// pages are a whole new database (a history that starts over): the current content is dropped
/// first, so every page up to `db_size_pages` must be present.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommittedPages {
    /// The pages form a new database instead of patching the current one.
    pub replace: bool,
    /// Where the replica stands once these pages are installed.
    pub position: Position,
    /// Database size in pages after the commit (`size_after` / `db_size`).
    pub db_size_pages: u32,
    /// The changed pages.
    pub pages: Vec<Page>,
    /// Pages the transactions changed whose new content was not kept (a partial replica that does
    /// not hold them, or has no room): a store that holds an older version evicts it.
    pub dropped: Vec<u32>,
}

impl CommittedPages {
    /// Bytes of page data held by this value.
    pub fn page_bytes(&self) -> u64 {
        self.pages.iter().map(|p| p.data.len() as u64).sum()
    }
}
