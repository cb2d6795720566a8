//! `MemoryPool`: the memory budget the replicas of one isolate share. Every page a store holds
//! counts against it; when a store needs room, the least recently used pages that may go (pages of
//! partial stores, not pinned; b-tree leaves before interior pages) are evicted from any member,
//! the store asking included. Evicted page buffers are kept (up to `SPARE_BYTES`) and handed to the
//! next fill, because wasm memory never shrinks: reusing them keeps the high-water mark flat.
//!
//! Lock order: a store's lock, then the pool's locks; the pool never blocks on a store's lock
//! (other members are only `try_lock`ed), so two stores making room at once cannot deadlock.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, Weak};

use super::page_store::PageStore;
use super::vfs::lock;

/// Buffers kept for reuse, at most this many bytes.
const SPARE_BYTES: usize = 1 << 20;

/// The pool's clock: a counter, advanced by every page use.
static CLOCK: AtomicU64 = AtomicU64::new(1);

/// The next tick of the pool's clock.
pub fn tick() -> u64 {
    CLOCK.fetch_add(1, Ordering::Relaxed)
}

/// Extra bytes an eviction frees beyond what was asked, so evictions come in batches: 1/32 of
/// the budget, at least 64 KiB.
pub fn slack(budget: u64) -> u64 {
    (budget / 32).max(64 << 10)
}

/// Whether a page is a b-tree interior page (type byte 0x02 or 0x05: offset 0, or 100 on page 1;
/// an overflow page may match by chance, which only makes it stay longer).
pub fn is_interior(page: &[u8]) -> bool {
    matches!(page.first(), Some(0x02 | 0x05))
}

/// A page that may be evicted.
#[derive(Debug, Clone, Copy)]
pub struct Candidate {
    /// Interior pages go last.
    pub interior: bool,
    /// Last use on the pool's clock.
    pub used: u64,
    /// Which store (an index the caller chose).
    pub member: usize,
    /// The page.
    pub pgno: u32,
}

/// The candidates to evict to free `want` bytes of `page_size`-byte pages: leaves first, least
/// recently used first.
pub fn oldest_first(mut candidates: Vec<Candidate>, want: u64, page_size: u64) -> Vec<Candidate> {
    let count = want.div_ceil(page_size.max(1)) as usize;
    if count < candidates.len() {
        candidates.select_nth_unstable_by_key(count, |c| (c.interior, c.used));
        candidates.truncate(count);
    }
    candidates
}

/// The shared budget.
#[derive(Debug)]
pub struct MemoryPool {
    /// Bytes allowed; `u64::MAX` for no limit.
    limit: AtomicU64,
    /// Bytes held by members.
    used: AtomicU64,
    members: Mutex<Vec<Weak<Mutex<PageStore>>>>,
    spare: Mutex<Vec<Box<[u8]>>>,
}

impl MemoryPool {
    /// A pool of `limit` bytes (`None`: unlimited).
    pub fn new(limit: Option<u64>) -> Arc<MemoryPool> {
        Arc::new(MemoryPool {
            limit: AtomicU64::new(limit.unwrap_or(u64::MAX)),
            used: AtomicU64::new(0),
            members: Mutex::new(Vec::new()),
            spare: Mutex::new(Vec::new()),
        })
    }

    /// The isolate's pool, which replicas use unless given another. Its default limit is
    /// `DEFAULT_MEMORY_BUDGET` in wasm (half of a Worker isolate) and none natively.
    pub fn isolate() -> Arc<MemoryPool> {
        static ISOLATE: OnceLock<Arc<MemoryPool>> = OnceLock::new();
        ISOLATE
            .get_or_init(|| {
                let limit = cfg!(target_arch = "wasm32").then_some(super::DEFAULT_MEMORY_BUDGET);
                MemoryPool::new(limit)
            })
            .clone()
    }

    /// Sets the limit (`None`: unlimited). Pages over a lowered limit are evicted as room is
    /// next needed.
    pub fn set_limit(&self, limit: Option<u64>) {
        self.limit.store(limit.unwrap_or(u64::MAX), Ordering::Relaxed);
    }

    /// The limit, if any.
    pub fn limit(&self) -> Option<u64> {
        Some(self.limit.load(Ordering::Relaxed)).filter(|&l| l != u64::MAX)
    }

    /// Bytes held by all members.
    pub fn used(&self) -> u64 {
        self.used.load(Ordering::Relaxed)
    }

    /// Makes `store` a member.
    pub fn join(&self, store: &Arc<Mutex<PageStore>>) {
        let mut members = lock(&self.members);
        members.retain(|m| m.strong_count() > 0);
        members.push(Arc::downgrade(store));
    }

    /// Records that a member holds `delta` more (or fewer) bytes.
    pub fn adjust(&self, delta: i64) {
        if delta >= 0 {
            self.used.fetch_add(delta as u64, Ordering::Relaxed);
        } else {
            self.used.fetch_sub(delta.unsigned_abs(), Ordering::Relaxed);
        }
    }

    /// Makes room for `bytes` more in the pool, evicting the least recently used evictable pages of
    /// any member. `me` is the member asking (its lock is held by the caller, so it is passed in).
    /// Returns whether the bytes fit.
    pub fn make_room(&self, me: &mut PageStore, bytes: u64) -> bool {
        let limit = self.limit.load(Ordering::Relaxed);
        let used = self.used();
        if used.saturating_add(bytes) <= limit {
            return true;
        }
        let want = (used + bytes - limit).saturating_add(slack(limit));
        let others: Vec<Arc<Mutex<PageStore>>> = lock(&self.members).iter().filter_map(Weak::upgrade).collect();
        let mut candidates = Vec::new();
        const ME: usize = usize::MAX;
        me.candidates(ME, &mut candidates);
        let mut page_size = me.shape().page_size.unwrap_or(0) as u64;
        for (i, other) in others.iter().enumerate() {
            // `me` is locked by the caller: try_lock fails for it, as for any store in use.
            if let Ok(store) = other.try_lock() {
                store.candidates(i, &mut candidates);
                page_size = page_size.max(store.shape().page_size.unwrap_or(0) as u64);
            }
        }
        let mut chosen = oldest_first(candidates, want, page_size);
        chosen.sort_unstable_by_key(|c| c.member);
        for group in chosen.chunk_by(|a, b| a.member == b.member) {
            let pages = group.iter().map(|c| c.pgno);
            if group[0].member == ME {
                me.evict(pages);
            } else if let Ok(mut store) = others[group[0].member].try_lock() {
                store.evict(pages);
            }
        }
        self.used().saturating_add(bytes) <= limit
    }

    /// A page buffer of `len` bytes: a spare one when there is one.
    pub fn buffer(&self, len: usize) -> Box<[u8]> {
        let mut spare = lock(&self.spare);
        match spare.iter().position(|b| b.len() == len) {
            Some(i) => spare.swap_remove(i),
            None => vec![0u8; len].into_boxed_slice(),
        }
    }

    /// Keeps a buffer that is no longer used for the next `buffer` call, up to `SPARE_BYTES`.
    pub fn recycle(&self, buffer: Box<[u8]>) {
        let mut spare = lock(&self.spare);
        let held: usize = spare.iter().map(|b| b.len()).sum();
        if held + buffer.len() <= SPARE_BYTES {
            spare.push(buffer);
        }
    }
}
