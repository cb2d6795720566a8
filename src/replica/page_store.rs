//! `PageStore`: the replica's database file as Rust-owned pages, plus the position those pages
//! describe. A full store holds every page; a partial store holds the pages it has used, up to its
//! budget, and a read of a page it lacks is a miss (recorded, never zeros) that the client fetches
//! at the store's position and retries. Installing a `PreparedApply` is infallible, so pages and
//! position always change together and a reader never meets half a transaction. Page 1's header
//! is patched on every install (see `header`); a fill (pages fetched at the current position)
//! changes no content, so it does not count as a change.

use std::sync::Arc;

use rustc_hash::FxHashMap;

use super::header;
use super::pool::{self, Candidate, MemoryPool};
use super::prepare::{PreparedApply, Shape};
use crate::protocol::Position;

/// Which pages a store keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Residency {
    /// Every page, always (the default).
    Full,
    /// The pages used lately, up to the budget; page 1 is always kept. With `pin_applied`, pages
    /// installed by applies are kept too (their source cannot serve them again at a later
    /// position: a snapshot's tail pulled from a primary that only sends changes).
    Partial {
        /// Keep pages that applies install.
        pin_applied: bool,
    },
}

/// Counts of a store's page traffic.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PageCounters {
    /// Page reads SQLite made (its own cache answers the rest).
    pub reads: u64,
    /// Reads of a page the store did not hold.
    pub misses: u64,
    /// Pages fetched into the store at its position.
    pub filled: u64,
    /// Pages given up to make room.
    pub evicted: u64,
}

/// What a read found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadOutcome {
    /// Every byte.
    Whole,
    /// The read ran past the end of the file (the rest is zeros).
    Short,
    /// A page within the file is not held (partial store): the read must fail.
    Missing,
}

#[derive(Debug)]
struct Slot {
    data: Box<[u8]>,
    /// Last use, on the pool's clock.
    used: u64,
    pinned: bool,
}

/// The replica's pages, in memory.
#[derive(Debug)]
pub struct PageStore {
    page_size: Option<u32>,
    db_size: u32,
    pages: FxHashMap<u32, Slot>,
    position: Option<Position>,
    /// The replica's own file change counter: strictly increasing over the store's life, never 0
    /// after the first install, so every install changes header offset 24.
    change_counter: u32,
    residency: Residency,
    resident_bytes: u64,
    pinned_bytes: u64,
    /// Pages found missing since the last `take_misses`, in the order read.
    misses: Vec<u32>,
    counters: PageCounters,
    pool: Arc<MemoryPool>,
}

impl PageStore {
    /// An empty store whose pages count against `pool`.
    pub fn new(pool: Arc<MemoryPool>) -> PageStore {
        PageStore {
            page_size: None,
            db_size: 0,
            pages: FxHashMap::default(),
            position: None,
            change_counter: 0,
            residency: Residency::Full,
            resident_bytes: 0,
            pinned_bytes: 0,
            misses: Vec::new(),
            counters: PageCounters::default(),
            pool,
        }
    }

    /// The current shape.
    pub fn shape(&self) -> Shape {
        Shape { page_size: self.page_size, db_size_pages: self.db_size }
    }

    /// Where the stored pages stand; `None` before the first install.
    pub fn position(&self) -> Option<&Position> {
        self.position.as_ref()
    }

    /// File size in bytes.
    pub fn file_size(&self) -> u64 {
        self.shape().bytes()
    }

    /// Which pages this store keeps.
    pub fn residency(&self) -> Residency {
        self.residency
    }

    /// Makes the store keep pages as `residency` says from now on (set before a bootstrap).
    pub fn set_residency(&mut self, residency: Residency) {
        self.residency = residency;
    }

    /// Page bytes held.
    pub fn resident_bytes(&self) -> u64 {
        self.resident_bytes
    }

    /// Page bytes held that cannot be evicted.
    pub fn pinned_bytes(&self) -> u64 {
        self.pinned_bytes
    }

    /// Pages held.
    pub fn resident_pages(&self) -> usize {
        self.pages.len()
    }

    /// Whether page `pgno` is held.
    pub fn holds(&self, pgno: u32) -> bool {
        self.pages.contains_key(&pgno)
    }

    /// The traffic counters.
    pub fn counters(&self) -> PageCounters {
        self.counters
    }

    /// The pool these pages count against.
    pub fn pool(&self) -> &Arc<MemoryPool> {
        &self.pool
    }

    /// The pages reads found missing since the last call.
    pub fn take_misses(&mut self) -> Vec<u32> {
        std::mem::take(&mut self.misses)
    }

    /// Reads `buf.len()` bytes at `offset` as a file read would.
    pub fn read_at(&mut self, buf: &mut [u8], offset: u64) -> ReadOutcome {
        let Some(page_size) = self.page_size.map(u64::from) else {
            buf.fill(0);
            return if buf.is_empty() { ReadOutcome::Whole } else { ReadOutcome::Short };
        };
        let now = pool::tick();
        let mut done = 0usize;
        while done < buf.len() {
            let at = offset + done as u64;
            let (index, within) = (at / page_size, (at % page_size) as usize);
            let Some(pgno) = u32::try_from(index + 1).ok().filter(|&p| p <= self.db_size) else {
                buf[done..].fill(0);
                return ReadOutcome::Short;
            };
            if within == 0 {
                self.counters.reads += 1;
            }
            let Some(slot) = self.pages.get_mut(&pgno) else {
                self.counters.misses += 1;
                if !self.misses.contains(&pgno) {
                    self.misses.push(pgno);
                }
                buf[done..].fill(0);
                return ReadOutcome::Missing;
            };
            slot.used = now;
            let n = (slot.data.len() - within).min(buf.len() - done);
            buf[done..done + n].copy_from_slice(&slot.data[within..within + n]);
            done += n;
        }
        ReadOutcome::Whole
    }

    /// The whole database file (missing pages of a partial store read as zeros).
    pub fn export(&self) -> Vec<u8> {
        let size = self.page_size.unwrap_or(0) as usize;
        let mut out = vec![0u8; size * self.db_size as usize];
        for (pgno, slot) in &self.pages {
            let at = (*pgno as usize - 1) * size;
            out[at..at + size].copy_from_slice(&slot.data);
        }
        out
    }

    fn put(&mut self, pgno: u32, data: Box<[u8]>, pinned: bool) {
        let len = data.len() as u64;
        let slot = Slot { data, used: pool::tick(), pinned };
        if let Some(old) = self.pages.insert(pgno, slot) {
            self.forget(&old);
        }
        self.resident_bytes += len;
        self.pinned_bytes += if pinned { len } else { 0 };
        self.pool.adjust(len as i64);
    }

    /// Accounts for a slot leaving the store; returns its bytes.
    fn forget(&mut self, old: &Slot) -> u64 {
        let len = old.data.len() as u64;
        self.resident_bytes -= len;
        self.pinned_bytes -= if old.pinned { len } else { 0 };
        self.pool.adjust(-(len as i64));
        len
    }

    fn recycle_page(&mut self, pgno: u32) -> u64 {
        match self.pages.remove(&pgno) {
            Some(old) => {
                let len = self.forget(&old);
                self.pool.recycle(old.data);
                len
            }
            None => 0,
        }
    }

    fn pins(&self, pgno: u32) -> bool {
        match self.residency {
            Residency::Full => true,
            Residency::Partial { pin_applied } => pin_applied || pgno == 1,
        }
    }

    /// Installs prepared pages: replaces, truncates or extends, evicts pages the commit changed
    /// but did not keep, patches page 1 and records the position. Cannot fail; `prepared` must have
    /// been prepared against the current shape. A whole-database replacement gives back what it
    /// replaced, so that the caller can `restore` it if the new database cannot be opened.
    pub fn install(&mut self, prepared: PreparedApply) -> Option<Replaced> {
        let PreparedApply { position, reset, shape, pages, absent } = prepared;
        let replaced = reset.then(|| {
            self.pool.adjust(-(self.resident_bytes as i64));
            Replaced {
                page_size: self.page_size.take(),
                db_size: std::mem::take(&mut self.db_size),
                pages: std::mem::take(&mut self.pages),
                position: self.position.clone(),
                resident_bytes: std::mem::take(&mut self.resident_bytes),
                pinned_bytes: std::mem::take(&mut self.pinned_bytes),
            }
        });
        self.page_size = shape.page_size.or(self.page_size);
        if shape.db_size_pages < self.db_size {
            let gone: Vec<u32> = self.pages.keys().copied().filter(|&p| p > shape.db_size_pages).collect();
            for pgno in gone {
                self.recycle_page(pgno);
            }
        }
        for (pgno, data) in pages {
            let pinned = self.pins(pgno);
            self.put(pgno, data, pinned);
        }
        for pgno in absent {
            self.recycle_page(pgno);
        }
        self.db_size = shape.db_size_pages;
        self.change_counter = match self.change_counter.wrapping_add(1) {
            0 => 1,
            n => n,
        };
        let counter = self.change_counter;
        if let Some(page1) = self.pages.get_mut(&1) {
            header::patch(&mut page1.data, counter, shape.db_size_pages);
        }
        self.position = Some(position);
        replaced
    }

    /// Puts back the content a replacement took out (its pages still carry the header they had).
    pub fn restore(&mut self, replaced: Replaced) {
        let all: Vec<u32> = self.pages.keys().copied().collect();
        for pgno in all {
            self.recycle_page(pgno);
        }
        let Replaced { page_size, db_size, pages, position, resident_bytes, pinned_bytes } = replaced;
        self.pool.adjust(resident_bytes as i64);
        (self.page_size, self.db_size, self.pages, self.position) = (page_size, db_size, pages, position);
        (self.resident_bytes, self.pinned_bytes) = (resident_bytes, pinned_bytes);
    }

    /// Adds pages fetched at `at`, if the store still stands there; pages it holds, pages past the
    /// end and pages of the wrong size are skipped. Returns how many were added. The content at
    /// this position does not change, so neither does the change counter. Pages not in `demanded`
    /// (prefetched) count as never used until a read uses them: they are evicted first, so a
    /// prefetch never pushes out what the statement being retried needs.
    pub fn fill(&mut self, at: &Position, pages: Vec<(u32, Vec<u8>)>, demanded: &[u32]) -> usize {
        if self.position.as_ref() != Some(at) {
            return 0;
        }
        let size = self.page_size.unwrap_or(0) as usize;
        let mut added = 0;
        for (pgno, data) in pages {
            if pgno <= 1 || pgno > self.db_size || data.len() != size || self.holds(pgno) {
                continue;
            }
            let mut buffer = self.pool.buffer(size);
            buffer.copy_from_slice(&data);
            self.put(pgno, buffer, false);
            if !demanded.contains(&pgno) {
                if let Some(slot) = self.pages.get_mut(&pgno) {
                    slot.used = 0;
                }
            }
            added += 1;
        }
        self.counters.filled += added as u64;
        added
    }

    /// Eviction candidates: every page that may go.
    pub(super) fn candidates(&self, member: usize, out: &mut Vec<Candidate>) {
        if self.residency == Residency::Full {
            return;
        }
        out.extend(self.pages.iter().filter(|(_, s)| !s.pinned).map(|(pgno, s)| Candidate {
            interior: pool::is_interior(&s.data),
            used: s.used,
            member,
            pgno: *pgno,
        }));
    }

    /// Evicts `pgnos` (unpinned pages only); returns the bytes freed.
    pub(super) fn evict(&mut self, pgnos: impl IntoIterator<Item = u32>) -> u64 {
        let mut freed = 0;
        for pgno in pgnos {
            if self.pages.get(&pgno).is_some_and(|s| !s.pinned) {
                freed += self.recycle_page(pgno);
                self.counters.evicted += 1;
            }
        }
        freed
    }

    /// Evicts this store's least recently used pages until `bytes` more fit within `budget`;
    /// returns whether they do.
    pub fn make_room(&mut self, bytes: u64, budget: u64) -> bool {
        if self.resident_bytes + bytes <= budget {
            return true;
        }
        let mut candidates = Vec::new();
        self.candidates(0, &mut candidates);
        let want = (self.resident_bytes + bytes - budget).saturating_add(pool::slack(budget));
        let chosen = pool::oldest_first(candidates, want, self.page_size.unwrap_or(0) as u64);
        self.evict(chosen.into_iter().map(|c| c.pgno));
        self.resident_bytes + bytes <= budget
    }

    /// Drops every page (a closed client) and gives their memory back to the pool.
    pub fn clear(&mut self) {
        let all: Vec<u32> = self.pages.keys().copied().collect();
        for pgno in all {
            self.recycle_page(pgno);
        }
        self.db_size = 0;
        self.position = None;
    }
}

/// The content a whole-database replacement took out of the store.
#[derive(Debug)]
pub struct Replaced {
    page_size: Option<u32>,
    db_size: u32,
    pages: FxHashMap<u32, Slot>,
    position: Option<Position>,
    resident_bytes: u64,
    pinned_bytes: u64,
}

impl Drop for PageStore {
    fn drop(&mut self) {
        self.pool.adjust(-(self.resident_bytes as i64));
    }
}
