//! The engine's snapshot tier: a cold replica first tries the newest snapshot of its database in
//! the store (then pulls only the tail from the primary), and a replica that bootstrapped from the
//! primary, or whose newest known snapshot is older than `snapshotMaxAgeMs`, publishes one in the
//! background (one publish at a time, under its own lease). Any failure of the snapshot path costs
//! time, never correctness: the replica is emptied and bootstraps from the primary as without it.

use std::cell::RefCell;
use std::rc::Rc;

use super::flight::Flights;
use super::partial::{PageSource, PartialMode};
use super::{Engine, Task, LEASE_MARGIN_MS};
use crate::protocol::snapshot::{Manifest, SnapshotProtocol};
use crate::replica::{CommittedPages, Page};
use crate::sync::snapshot::{self, Miss, SnapshotStore};
use crate::sync::ProtocolKind;

/// Chunks fetched at once (Workers allow 6 connections per invocation).
pub(super) const PARALLEL_CHUNKS: usize = 6;

/// A snapshot store and what the engine knows of it.
pub(super) struct Tier {
    store: Rc<dyn SnapshotStore>,
    database: u64,
    max_age_ms: f64,
    /// The newest manifest this replica loaded or published.
    manifest: RefCell<Option<Manifest>>,
    publishing: RefCell<Flights>,
}

impl Tier {
    /// The store.
    pub(super) fn store(&self) -> &dyn SnapshotStore {
        self.store.as_ref()
    }

    /// The database's id in the store.
    pub(super) fn database(&self) -> u64 {
        self.database
    }
}

fn kind_of(manifest: &Manifest) -> ProtocolKind {
    match manifest.protocol {
        SnapshotProtocol::Sqld => ProtocolKind::Sqld,
        SnapshotProtocol::HttpSync => ProtocolKind::HttpSync,
        SnapshotProtocol::PullUpdates => ProtocolKind::PullUpdates,
    }
}

impl Engine {
    /// Uses `store` for snapshots of the database `database` (a hash of the sync URL or of
    /// `snapshotKey`); a snapshot older than `max_age_ms` is published again.
    pub fn set_snapshot_store(&self, store: Rc<dyn SnapshotStore>, database: u64, max_age_ms: f64) {
        *self.tier.borrow_mut() = Some(Rc::new(Tier {
            store,
            database,
            max_age_ms,
            manifest: RefCell::new(None),
            publishing: RefCell::new(Flights::default()),
        }));
    }

    fn tier(&self) -> Option<Rc<Tier>> {
        self.tier.borrow().clone()
    }

    /// Installs the newest usable snapshot into an empty replica; returns whether it did. A
    /// partial replica (`partial: true`, or `"auto"` with a snapshot larger than the budget) takes
    /// its first chunk only and fetches the others' pages as reads need them.
    pub(super) async fn load_snapshot(&self, now: f64) -> bool {
        let Some(tier) = self.tier() else { return false };
        let limit = {
            let r = self.replica.borrow();
            r.memory_budget().saturating_sub(r.memory_bytes())
        };
        let store = tier.store.as_ref();
        let loaded = match snapshot::manifest(store, tier.database, self.kind.get()).await {
            Ok(manifest) => {
                let partial = match self.settings.partial {
                    PartialMode::Off => false,
                    PartialMode::On => true,
                    PartialMode::Auto => manifest.image_bytes() > limit,
                };
                match (partial, manifest.image_bytes() > limit) {
                    (true, _) => return self.load_partial(&tier, manifest, now).await,
                    (false, true) => Err(Miss::OverBudget),
                    (false, false) => snapshot::load_image(store, tier.database, manifest, PARALLEL_CHUNKS).await,
                }
            }
            Err(miss) => Err(miss),
        };
        let loaded = match loaded {
            Ok(loaded) => loaded,
            Err(miss) => {
                self.stats.borrow_mut().last_snapshot_miss = Some(format!("{miss:?}"));
                return false;
            }
        };
        // Another call installed something meanwhile: this image is not needed.
        if self.replica.borrow().newest_position().is_some() {
            return false;
        }
        let manifest = loaded.manifest;
        if let Err(e) = self.replica.borrow_mut().apply(loaded.committed) {
            self.stats.borrow_mut().last_snapshot_miss = Some(format!("install: {}", e.code()));
            return false;
        }
        self.loaded(&tier, manifest, loaded.bytes, now);
        true
    }

    /// Starts a partial replica from `manifest`: page 1 installed, the rest of the first chunk
    /// filled; later misses come from the chunks (or from `/pull-updates` when that is the
    /// protocol, which serves any page at any revision).
    async fn load_partial(&self, tier: &Rc<Tier>, manifest: Manifest, now: f64) -> bool {
        let first = match snapshot::chunk(tier.store.as_ref(), tier.database, &manifest, 0).await {
            Ok(pages) => pages,
            Err(miss) => {
                self.stats.borrow_mut().last_snapshot_miss = Some(format!("{miss:?}"));
                return false;
            }
        };
        let source = match kind_of(&manifest) {
            ProtocolKind::PullUpdates => PageSource::PullUpdates,
            _ => PageSource::Snapshot { tier: tier.clone(), manifest: manifest.clone() },
        };
        if self.replica.borrow().newest_position().is_some() || !self.go_partial(source) {
            return false;
        }
        let bytes = first.iter().map(|p| p.data.len() as u64).sum();
        let mut rest: Vec<(u32, Vec<u8>)> = first.into_iter().map(|p| (p.pgno, p.data)).collect();
        let page1 = rest.iter().position(|(p, _)| *p == 1).map(|i| rest.swap_remove(i));
        let installed = page1.is_some_and(|(pgno, data)| {
            let committed = CommittedPages {
                replace: true,
                position: manifest.position.clone(),
                db_size_pages: manifest.page_count,
                pages: vec![Page { pgno, data }],
                dropped: Vec::new(),
            };
            let mut replica = self.replica.borrow_mut();
            replica.apply(committed).is_ok() && replica.fill(&manifest.position, rest, &[]).is_ok()
        });
        if !installed {
            let _ = self.release();
            self.stats.borrow_mut().last_snapshot_miss =
                Some("install: the first chunk does not start a database".into());
            return false;
        }
        self.loaded(tier, manifest, bytes, now);
        true
    }

    /// Records a snapshot load.
    fn loaded(&self, tier: &Tier, manifest: Manifest, bytes: u64, now: f64) {
        if self.kind.get().is_none() {
            self.kind.set(Some(kind_of(&manifest)));
        }
        let mut stats = self.stats.borrow_mut();
        stats.bootstrap_source = Some("snapshot");
        stats.snapshot_age_ms = Some((now - manifest.created_at_ms as f64).max(0.0));
        stats.bytes_from_snapshot += bytes;
        stats.last_snapshot_miss = None;
        *tier.manifest.borrow_mut() = Some(manifest);
    }

    /// After a successful sync: publishes a snapshot in the background when the store has none
    /// this replica knows of, or only an old one.
    pub(super) fn maybe_publish(&self, now: f64) {
        let Some(tier) = self.tier() else { return };
        let due = tier.manifest.borrow().as_ref().is_none_or(|m| now - m.created_at_ms as f64 > tier.max_age_ms);
        // A partial replica lacks pages: only full replicas publish.
        if !due || self.kind.get().is_none() || self.partial.borrow().is_some() {
            return;
        }
        let expires_at = now + f64::from(self.settings.timeout_ms) + LEASE_MARGIN_MS;
        let token = tier.publishing.borrow_mut().acquire(Task::Publish, now, expires_at).token();
        if let Some(token) = token {
            self.hand_over(Task::Publish, token);
        }
    }

    /// Runs a publish under its lease.
    pub(super) async fn run_publish(&self, now: f64, token: u64) {
        let Some(tier) = self.tier() else { return };
        let Some(kind) = self.kind.get() else { return };
        let previous = tier.manifest.borrow().clone();
        let published =
            snapshot::publish(tier.store.as_ref(), &self.replica, tier.database, kind, previous.as_ref(), now).await;
        if let Ok(Some(p)) = published {
            let mut stats = self.stats.borrow_mut();
            stats.snapshots_published += 1;
            stats.chunks_uploaded += u64::from(p.chunks_uploaded);
            *tier.manifest.borrow_mut() = Some(p.manifest);
        }
        tier.publishing.borrow_mut().release(token);
    }
}
