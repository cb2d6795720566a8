//! The engine's partial replicas: whether a replica holds only the pages it uses (`partial`), the
//! source its missing pages come from, how a cold partial replica starts, and fetching what a read
//! missed, with prefetch, at the replica's position.
//!
//! Sources: Turso Sync `/pull-updates` (any page at any revision the server has: pages a pull
//! changes are kept only if held, the rest are evicted and fetched again when read), and the
//! snapshot the replica was loaded from (its chunks, verified by SHA-256; every page the tail from
//! the primary changes stays pinned, because sqld and HTTP sync only send changes). With neither,
//! a database over the budget keeps going to the primary (`stats().partial.mode` says why).

use std::rc::Rc;

use futures_util::stream::{self, StreamExt};

use super::tier::{Tier, PARALLEL_CHUNKS};
use super::Engine;
use crate::error::{Error, Result};
use crate::protocol::snapshot::Manifest;
use crate::protocol::Position;
use crate::replica::Residency;
use crate::sync::io::Io;
use crate::sync::pull_updates;
use crate::sync::snapshot::chunk;
use crate::sync::ProtocolKind;
use crate::transport::Transport;

/// Pages fetched around a miss in the first round: 128 KiB of 4 KiB pages, as Turso's partial
/// sync segments.
pub const SEGMENT_PAGES: u32 = 32;
/// The segment doubles each round of one statement (a scan finds its pages in few rounds), up
/// to this many pages.
pub const MAX_SEGMENT_PAGES: u32 = 1024;

/// When a replica holds only the pages it uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PartialMode {
    /// Never: a database over the budget is read from the primary.
    #[default]
    Off,
    /// Always, when a page source exists.
    On,
    /// When the database is larger than the budget and a page source exists.
    Auto,
}

impl PartialMode {
    /// Parses the `partial` option: `true`, `false` or `"auto"`.
    pub fn parse(text: &str) -> Option<PartialMode> {
        match text {
            "true" => Some(PartialMode::On),
            "false" => Some(PartialMode::Off),
            "auto" => Some(PartialMode::Auto),
            _ => None,
        }
    }
}

/// Where a partial replica's missing pages come from.
#[derive(Clone)]
pub(super) enum PageSource {
    /// `/pull-updates` at the replica's revision.
    PullUpdates,
    /// The chunks of the snapshot the replica was loaded from.
    Snapshot {
        /// The store.
        tier: Rc<Tier>,
        /// The loaded snapshot.
        manifest: Manifest,
    },
}

impl PageSource {
    fn name(&self) -> &'static str {
        match self {
            PageSource::PullUpdates => "pull-updates",
            PageSource::Snapshot { .. } => "snapshot",
        }
    }
}

/// The pages to fetch for `missing`: each one's aligned segment (`SEGMENT_PAGES` doubled per
/// earlier round, at most `max_pages`), within the database, that the replica lacks; the missing
/// pages first.
pub fn plan(missing: &[u32], db_size: u32, round: u32, max_pages: u32, holds: impl Fn(u32) -> bool) -> Vec<u32> {
    let segment = (SEGMENT_PAGES << round.min(16)).min(MAX_SEGMENT_PAGES).min(max_pages.max(1));
    let mut out: Vec<u32> = missing.iter().copied().filter(|&p| p >= 1 && p <= db_size).collect();
    let mut rest = Vec::new();
    for &pgno in &out {
        let start = (pgno - 1) / segment * segment + 1;
        let end = start.saturating_add(segment - 1).min(db_size);
        rest.extend((start..=end).filter(|p| !holds(*p)));
    }
    rest.sort_unstable();
    rest.dedup();
    rest.retain(|p| !out.contains(p));
    out.extend(rest);
    out.truncate(max_pages.max(missing.len() as u32) as usize);
    out
}

impl Engine {
    /// The page source's name while the replica is partial.
    pub fn partial_source(&self) -> Option<&'static str> {
        self.partial.borrow().as_ref().map(PageSource::name)
    }

    /// Why a replica that was asked to be partial is not (no page source for its protocol).
    pub fn partial_unavailable(&self) -> Option<&'static str> {
        self.partial_note.get()
    }

    /// Makes the (empty) replica partial, fed by `source`. Pages that applies install are pinned
    /// unless the source can serve them again at a later position.
    pub(super) fn go_partial(&self, source: PageSource) -> bool {
        let pin_applied = !matches!(source, PageSource::PullUpdates);
        if !self.replica.borrow_mut().set_residency(Residency::Partial { pin_applied }) {
            return false;
        }
        *self.partial.borrow_mut() = Some(source);
        self.partial_note.set(None);
        true
    }

    /// Before a bootstrap from the primary (or, with `over_budget`, after a full replica was
    /// refused for its size): makes the replica partial if the settings ask for it and the
    /// protocol can serve pages at a position, or notes why it cannot. With `over_budget`, an
    /// existing full replica is emptied first (unless a read transaction holds it). Returns whether
    /// the replica became partial.
    pub(super) fn partial_from_primary(&self, kind: ProtocolKind, over_budget: bool) -> bool {
        let wanted = match self.settings.partial {
            PartialMode::Off => false,
            PartialMode::On => !over_budget,
            PartialMode::Auto => over_budget,
        };
        if !wanted || self.partial.borrow().is_some() {
            return false;
        }
        if kind != ProtocolKind::PullUpdates {
            self.partial_note.set(Some("no page source: sqld and HTTP sync serve pages only with a snapshot store"));
            return false;
        }
        if over_budget && (self.replica.borrow().in_read_transaction() || self.release().is_err()) {
            return false;
        }
        self.go_partial(PageSource::PullUpdates)
    }

    /// Fetches the pages a read found `missing` (round `round` of one statement, counted from 0)
    /// and adds them to the replica at its installed position. A source that fails, answers for
    /// another position, or lacks a missing page is `REPLICA_PAGE_SOURCE`.
    pub async fn fetch_pages(&self, transport: &dyn Transport, missing: &[u32], round: u32) -> Result<usize> {
        let Some(source) = self.partial.borrow().clone() else {
            return Err(Error::PageSource { message: "the replica is not partial".into() });
        };
        let (at, wanted) = {
            let r = self.replica.borrow();
            let at = r.position().ok_or_else(|| Error::PageSource { message: "the replica has no position".into() })?;
            let page_size = u64::from(r.shape().page_size.unwrap_or(4096)).max(1);
            let max_pages = (r.memory_budget() / 16 / page_size).clamp(1, u64::from(u32::MAX)) as u32;
            (at, plan(missing, r.shape().db_size_pages, round, max_pages, |p| r.holds(p)))
        };
        let io = Io::new(transport, &self.settings.target);
        let fetched = match &source {
            PageSource::PullUpdates => {
                let Position::Revision(revision) = &at else {
                    return Err(Error::PageSource { message: "the replica's position is not a revision".into() });
                };
                pull_updates::fetch_pages(&io, revision, &wanted).await
            }
            // A chunk brings all its pages; only the planned ones are kept, so a fetch does not
            // push out more of what the replica holds than a segment would.
            PageSource::Snapshot { tier, manifest } => from_chunks(tier, manifest, &wanted)
                .await
                .map(|pages| pages.into_iter().filter(|(p, _)| wanted.contains(p)).collect()),
        };
        let counters = io.counters();
        {
            let mut stats = self.stats.borrow_mut();
            stats.page_fetches += 1;
            stats.bytes_pulled += counters.bytes_received;
            stats.round_trips += u64::from(counters.round_trips);
            if fetched.is_err() {
                stats.page_fetch_failures += 1;
            }
        }
        let mut pages = fetched.map_err(|e| match e {
            e @ Error::PageSource { .. } => e,
            e => Error::PageSource { message: e.to_string() },
        })?;
        if let Some(lost) = missing.iter().find(|m| !pages.iter().any(|(p, _)| p == *m)) {
            self.stats.borrow_mut().page_fetch_failures += 1;
            return Err(Error::PageSource {
                message: format!("the {} source did not send page {lost}", source.name()),
            });
        }
        pages.sort_by_key(|(p, _)| (!missing.contains(p), *p));
        let added = self.replica.borrow_mut().fill(&at, pages, missing)?;
        self.stats.borrow_mut().pages_fetched += added as u64;
        Ok(added)
    }
}

/// The pages `wanted` from the chunks of `manifest` that hold them (every page of those chunks).
async fn from_chunks(tier: &Tier, manifest: &Manifest, wanted: &[u32]) -> Result<Vec<(u32, Vec<u8>)>> {
    let per = manifest.chunk_pages.max(1);
    let mut indexes: Vec<u32> = wanted.iter().filter(|&&p| p >= 1).map(|p| (p - 1) / per).collect();
    indexes.sort_unstable();
    indexes.dedup();
    let store = tier.store();
    let database = tier.database();
    let mut fetched =
        stream::iter(indexes).map(|i| chunk(store, database, manifest, i)).buffer_unordered(PARALLEL_CHUNKS);
    let mut pages = Vec::new();
    while let Some(result) = fetched.next().await {
        let chunk = result.map_err(|miss| Error::PageSource { message: format!("snapshot chunk: {miss:?}") })?;
        pages.extend(chunk.into_iter().map(|p| (p.pgno, p.data)));
    }
    Ok(pages)
}

#[cfg(test)]
mod tests {
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use super::*;

    #[test]
    fn a_plan_fetches_missing_pages_first_then_their_segments() {
        let plan = plan(&[40, 3], 100, 0, 1000, |p| p == 5);
        assert_eq!(&plan[..2], &[40, 3]);
        assert!(plan.contains(&33) && plan.contains(&64) && !plan.contains(&65));
        assert!(plan.contains(&1) && plan.contains(&32) && !plan.contains(&5), "held pages are not fetched");
        assert_eq!(plan.len(), 64 - 1);
    }

    #[test]
    fn segments_grow_per_round_within_the_database_and_the_cap() {
        assert_eq!(plan(&[1], 1000, 1, 1000, |_| false).len(), 64);
        assert_eq!(plan(&[1], 1000, 3, 1000, |_| false).len(), 256);
        assert_eq!(plan(&[1], 1000, 9, 100, |_| false).len(), 100);
        assert_eq!(plan(&[990], 1000, 2, 1000, |_| false).len(), 1000 - 897 + 1);
        assert!(plan(&[0, 2000], 1000, 0, 1000, |_| false).is_empty(), "pages outside the database are not asked for");
    }
}
