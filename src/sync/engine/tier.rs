//! The engine's snapshot tier: a cold replica first tries the newest snapshot of its database in
//! the store (then pulls only the tail from the primary), and a replica that bootstrapped from the
//! primary, or whose newest known snapshot is older than `snapshotMaxAgeMs`, publishes one in the
//! background (one publish at a time, under its own lease). Any failure of the snapshot path costs
//! time, never correctness: the replica is emptied and bootstraps from the primary as without it.

use std::cell::RefCell;
use std::rc::Rc;

use super::flight::Flights;
use super::{Engine, Task, LEASE_MARGIN_MS};
use crate::protocol::snapshot::{Manifest, SnapshotProtocol};
use crate::sync::snapshot::{self, SnapshotStore};
use crate::sync::ProtocolKind;

/// Chunks fetched at once (Workers allow 6 connections per invocation).
const PARALLEL_CHUNKS: usize = 6;

/// A snapshot store and what the engine knows of it.
pub(super) struct Tier {
    store: Rc<dyn SnapshotStore>,
    database: u64,
    max_age_ms: f64,
    /// The newest manifest this replica loaded or published.
    manifest: RefCell<Option<Manifest>>,
    publishing: RefCell<Flights>,
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

    /// Installs the newest usable snapshot into an empty replica; returns whether it did.
    pub(super) async fn load_snapshot(&self, now: f64) -> bool {
        let Some(tier) = self.tier() else { return false };
        let limit = {
            let r = self.replica.borrow();
            r.memory_budget().saturating_sub(r.memory_bytes())
        };
        let loaded =
            match snapshot::load(tier.store.as_ref(), tier.database, self.kind.get(), limit, PARALLEL_CHUNKS).await {
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
        if self.kind.get().is_none() {
            self.kind.set(Some(kind_of(&manifest)));
        }
        let mut stats = self.stats.borrow_mut();
        stats.bootstrap_source = Some("snapshot");
        stats.snapshot_age_ms = Some((now - manifest.created_at_ms as f64).max(0.0));
        stats.bytes_from_snapshot += loaded.bytes;
        stats.last_snapshot_miss = None;
        *tier.manifest.borrow_mut() = Some(manifest);
        true
    }

    /// After a successful sync: publishes a snapshot in the background when the store has none
    /// this replica knows of, or only an old one.
    pub(super) fn maybe_publish(&self, now: f64) {
        let Some(tier) = self.tier() else { return };
        let due = tier.manifest.borrow().as_ref().is_none_or(|m| now - m.created_at_ms as f64 > tier.max_age_ms);
        if !due || self.kind.get().is_none() {
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
