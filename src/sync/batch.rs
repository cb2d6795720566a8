//! `PageBatch`: the pages of one pull while its body arrives, under a byte limit (what the memory
//! budget leaves). Pages are grouped into whole transactions: `commit` seals what came since the
//! last commit. A page number seen again replaces its earlier version, so a catch-up that rewrites
//! a page many times holds it once. When the limit would be passed the pull stops: what is sealed
//! can still be installed (the replica stops at its last whole transaction within budget), the
//! open transaction is dropped. A batch for a partial replica (`dropping`) never stops: a page it
//! is told not to keep, or that would pass the limit, is only listed as dropped.

use std::collections::{BTreeMap, BTreeSet};

use crate::protocol::Position;
use crate::replica::{CommittedPages, Page};

/// The limit would be passed: at least `needed` bytes would be held by this pull.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OverLimit {
    /// Bytes the pull would hold with the page that did not fit.
    pub needed: u64,
}

/// Pages of one pull, sealed per transaction.
#[derive(Debug)]
pub struct PageBatch {
    limit: u64,
    sealed: BTreeMap<u32, Vec<u8>>,
    sealed_bytes: u64,
    open: BTreeMap<u32, Vec<u8>>,
    open_bytes: u64,
    /// Size after the last sealed commit, and how many frames (or pages) it took up to there.
    commit: Option<(u32, u64)>,
    /// Drop pages over the limit instead of stopping.
    dropping: bool,
    /// Pages changed but not held.
    dropped: BTreeSet<u32>,
}

impl PageBatch {
    /// A batch that may hold at most `limit` page bytes.
    pub fn new(limit: u64) -> PageBatch {
        PageBatch {
            limit,
            sealed: BTreeMap::new(),
            sealed_bytes: 0,
            open: BTreeMap::new(),
            open_bytes: 0,
            commit: None,
            dropping: false,
            dropped: BTreeSet::new(),
        }
    }

    /// A batch for a partial replica: over the limit, pages are dropped instead of stopping.
    pub fn dropping(limit: u64) -> PageBatch {
        PageBatch { dropping: true, ..PageBatch::new(limit) }
    }

    /// Records that page `pgno` changed without holding it (any version held so far goes).
    pub fn drop_page(&mut self, pgno: u32) {
        if let Some(old) = self.open.remove(&pgno) {
            self.open_bytes -= old.len() as u64;
        }
        if let Some(old) = self.sealed.remove(&pgno) {
            self.sealed_bytes -= old.len() as u64;
        }
        self.dropped.insert(pgno);
    }

    /// Page bytes held (sealed and open).
    pub fn bytes(&self) -> u64 {
        self.sealed_bytes + self.open_bytes
    }

    /// The limit.
    pub fn limit(&self) -> u64 {
        self.limit
    }

    /// Checks, before anything arrives, that a pull known to bring `bytes` fits.
    pub fn check_announced(&self, bytes: u64) -> Result<(), OverLimit> {
        if bytes > self.limit {
            return Err(OverLimit { needed: bytes });
        }
        Ok(())
    }

    /// Prepares the allocator for `bytes` of pages about to arrive (a download whose size is
    /// announced, within the limit): one block that size is allocated and freed at once, so the
    /// wasm memory grows in one step instead of once per few chunks, and the pages are then carved
    /// from that free block. Does nothing for an announcement over the limit.
    pub fn reserve(&self, bytes: u64) {
        if bytes <= self.limit.saturating_sub(self.bytes()) {
            if let Ok(bytes) = usize::try_from(bytes) {
                drop(Vec::<u8>::with_capacity(bytes));
            }
        }
    }

    /// Adds a page of the open transaction (a newer version of a page replaces the older one).
    pub fn add(&mut self, pgno: u32, data: Vec<u8>) -> Result<(), OverLimit> {
        let replaced = self.open.get(&pgno).map_or(0, |d| d.len() as u64);
        let needed = self.bytes() - replaced + data.len() as u64;
        if needed > self.limit {
            if self.dropping {
                self.drop_page(pgno);
                return Ok(());
            }
            return Err(OverLimit { needed });
        }
        self.open_bytes = self.open_bytes - replaced + data.len() as u64;
        self.open.insert(pgno, data);
        self.dropped.remove(&pgno);
        Ok(())
    }

    /// Adds a page unless the open transaction already has one with that number (streams that send
    /// the newest version first, like sqld's `Snapshot`).
    pub fn add_if_absent(&mut self, pgno: u32, data: Vec<u8>) -> Result<(), OverLimit> {
        if self.open.contains_key(&pgno) {
            return Ok(());
        }
        self.add(pgno, data)
    }

    /// Seals the open transaction: it committed with the database `db_size_pages` long, and `frames`
    /// frames (or pages) of the body carried everything sealed so far. Pages past the end go.
    pub fn commit(&mut self, db_size_pages: u32, frames: u64) {
        for (pgno, data) in std::mem::take(&mut self.open) {
            let len = data.len() as u64;
            if let Some(old) = self.sealed.insert(pgno, data) {
                self.sealed_bytes -= old.len() as u64;
            }
            self.sealed_bytes += len;
        }
        self.open_bytes = 0;
        for (_, data) in self.sealed.split_off(&db_size_pages.saturating_add(1)) {
            self.sealed_bytes -= data.len() as u64;
        }
        self.commit = Some((db_size_pages, frames));
    }

    /// Whether a transaction has been sealed.
    pub fn has_commit(&self) -> bool {
        self.commit.is_some()
    }

    /// The sealed transactions as one install at `position` (`replace`: they are a whole new
    /// database), and the frames that carried them; `None` if nothing was sealed.
    pub fn into_committed(self, replace: bool, position: Position) -> Option<(CommittedPages, u64)> {
        let (db_size_pages, frames) = self.commit?;
        let pages = self.sealed.into_iter().map(|(pgno, data)| Page { pgno, data }).collect();
        let dropped = self.dropped.into_iter().filter(|&p| p <= db_size_pages).collect();
        Some((CommittedPages { replace, position, db_size_pages, pages, dropped }, frames))
    }
}

#[cfg(test)]
mod tests {
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use super::*;
    use crate::protocol::Revision;

    fn at() -> Position {
        Position::Revision(Revision("1".into()))
    }

    #[test]
    fn later_versions_replace_earlier_ones_and_commit_truncates() {
        let mut b = PageBatch::new(100);
        b.add(1, vec![1; 10]).unwrap();
        b.add(2, vec![2; 10]).unwrap();
        b.add(1, vec![3; 10]).unwrap();
        assert_eq!(b.bytes(), 20);
        b.commit(2, 3);
        b.add(3, vec![4; 10]).unwrap();
        b.commit(1, 4);
        assert_eq!(b.bytes(), 10, "pages past the new end are dropped");
        let (c, frames) = b.into_committed(false, at()).unwrap();
        assert_eq!((c.db_size_pages, frames), (1, 4));
        assert_eq!(c.pages, vec![Page { pgno: 1, data: vec![3; 10] }]);
    }

    #[test]
    fn the_limit_stops_a_pull_and_keeps_what_was_sealed() {
        let mut b = PageBatch::new(25);
        b.add(1, vec![1; 10]).unwrap();
        b.commit(1, 1);
        b.add(2, vec![2; 10]).unwrap();
        assert_eq!(b.add(3, vec![3; 10]), Err(OverLimit { needed: 30 }));
        // Replacing a page of the open transaction counts once.
        b.add(2, vec![5; 10]).unwrap();
        let (c, frames) = b.into_committed(false, at()).unwrap();
        assert_eq!((c.pages.len(), frames), (1, 1), "the open transaction is dropped");
        assert_eq!(PageBatch::new(5).check_announced(6), Err(OverLimit { needed: 6 }));
        assert!(PageBatch::new(5).into_committed(true, at()).is_none());
    }

    #[test]
    fn a_dropping_batch_lists_what_it_does_not_hold() {
        let mut b = PageBatch::dropping(20);
        b.add(1, vec![1; 10]).unwrap();
        b.add(2, vec![2; 10]).unwrap();
        b.add(3, vec![3; 10]).unwrap();
        b.drop_page(2);
        b.add(4, vec![4; 10]).unwrap();
        b.commit(4, 4);
        let (c, _) = b.into_committed(false, at()).unwrap();
        assert_eq!(c.pages.iter().map(|p| p.pgno).collect::<Vec<_>>(), vec![1, 4]);
        assert_eq!(c.dropped, vec![2, 3]);
    }

    #[test]
    fn add_if_absent_keeps_the_first_version() {
        let mut b = PageBatch::new(100);
        b.add_if_absent(4, vec![1; 4]).unwrap();
        b.add_if_absent(4, vec![2; 4]).unwrap();
        b.commit(4, 2);
        let (c, _) = b.into_committed(true, at()).unwrap();
        assert_eq!(c.pages, vec![Page { pgno: 4, data: vec![1; 4] }]);
    }
}
