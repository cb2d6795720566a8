//! `Engine`: the one owner of sync policy for a replica. It holds the replica, its protocol
//! (detected once), its clocks (last attempt, last confirmed up to date), the reason reads go to
//! the primary, the single-flight lease of background work and the statistics; it decides where
//! each read is served (`policy`) and runs the pulls that decision needs. `Client` only routes
//! statements: it asks the engine where a read goes and tells it about writes.
//!
//! Invariants:
//! - no `RefCell` borrow is held across an `.await`: overlapping calls (requests of one isolate)
//!   interleave; a pull is installed only if the replica still stands where it started;
//! - at most one background sync per replica (a lease that expires at the sync's deadline), and
//!   never a second bootstrap while one is in flight: a call that needs the first bootstrap waits on
//!   its own timer, watching the replica, and takes over when the lease expires;
//! - a call never awaits another call's I/O (workerd ties I/O to the request that made it).

mod flight;
mod partial;
mod policy;
mod read;
mod stats;
mod tier;

use std::cell::{Cell, RefCell};
use std::rc::Rc;

pub use flight::FlightState;
pub use partial::PartialMode;
pub use policy::{ColdStart, Consistency, OnStale, Reason, Task};
pub use read::{LocalRead, Served};
pub use stats::Counters;

use self::flight::{Acquired, Flights};
use super::detect::{detect, unconfirmed_error};
use super::http_sync::HttpSync;
use super::pull_updates::PullUpdates;
use super::sqld::Sqld;
use super::{sync_into, Io, Protocol, ProtocolKind, StopWhen, SyncStats, SyncTarget};
use crate::error::{Error, Result};
use crate::protocol::Position;
use crate::replica::{Replica, ReplicaConfig};
use crate::transport::{Transport, WithDeadline};

/// How often a call waiting for another call's bootstrap looks at the replica again.
const WAIT_POLL_MS: u32 = 10;
/// A lease outlives its sync's deadline by this much, so a sync still inside its deadline is never
/// taken over.
const LEASE_MARGIN_MS: f64 = 1_000.0;

/// Starts a background task: the wasm layer runs it through the caller's `waitUntil`.
pub type Spawner = Box<dyn Fn(Task, u64)>;

/// How the engine is set up.
#[derive(Debug, Clone)]
pub struct EngineSettings {
    /// Where to sync from.
    pub target: SyncTarget,
    /// The protocol, when the user set one.
    pub protocol: Option<ProtocolKind>,
    /// `syncInterval` in ms.
    pub interval_ms: Option<f64>,
    /// How a cold replica serves reads.
    pub cold_start: ColdStart,
    /// Sync after a write until it is visible locally.
    pub read_your_writes: bool,
    /// The replica's setup (memory budget).
    pub replica: ReplicaConfig,
    /// The deadline of one call (and of a background sync), in ms.
    pub timeout_ms: u32,
    /// Whether the replica holds only the pages it uses.
    pub partial: PartialMode,
}

#[derive(Debug, Default, Clone, Copy)]
struct Clocks {
    /// When a sync was last attempted (its end).
    last_attempt: Option<f64>,
    /// When a sync last reached the primary's head (the primary's answer).
    confirmed_at: Option<f64>,
}

/// The sync-policy owner of one replica.
pub struct Engine {
    settings: EngineSettings,
    replica: RefCell<Replica>,
    kind: Cell<Option<ProtocolKind>>,
    /// The protocol object between syncs (`None` while a sync has it out).
    protocol: RefCell<Option<Box<dyn Protocol>>>,
    clocks: Cell<Clocks>,
    /// Reads go to the primary for this reason until a sync succeeds.
    remote_reads: Cell<Option<Reason>>,
    flights: RefCell<Flights>,
    stats: RefCell<Counters>,
    spawner: RefCell<Option<Spawner>>,
    /// Background tasks started while no spawner is set (native embedding, tests): run them with
    /// [`Engine::run_queued`].
    queued: RefCell<Vec<(Task, u64)>>,
    /// Leased tasks held back until the call that started them has its remote answer (a cold
    /// read's bootstrap): see [`Engine::hand_over_deferred`].
    deferred: RefCell<Vec<(Task, u64)>>,
    /// The snapshot tier, when a store was given.
    tier: RefCell<Option<Rc<tier::Tier>>>,
    /// Where a partial replica's missing pages come from (`None`: the replica is full).
    partial: RefCell<Option<partial::PageSource>>,
    /// Why `partial` was asked for but the replica is full.
    partial_note: Cell<Option<&'static str>>,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine").field("settings", &self.settings).finish_non_exhaustive()
    }
}

fn new_protocol(kind: ProtocolKind) -> Box<dyn Protocol> {
    match kind {
        ProtocolKind::Sqld => Box::new(Sqld::new()),
        ProtocolKind::HttpSync => Box::new(HttpSync::new()),
        ProtocolKind::PullUpdates => Box::new(PullUpdates::new()),
    }
}

impl Engine {
    /// An engine over an empty replica. Does no I/O.
    pub fn new(settings: EngineSettings) -> Result<Engine> {
        Ok(Engine {
            replica: RefCell::new(Replica::open(settings.replica.clone())?),
            kind: Cell::new(settings.protocol),
            settings,
            protocol: RefCell::new(None),
            clocks: Cell::new(Clocks::default()),
            remote_reads: Cell::new(None),
            flights: RefCell::new(Flights::default()),
            stats: RefCell::new(Counters::default()),
            spawner: RefCell::new(None),
            queued: RefCell::new(Vec::new()),
            deferred: RefCell::new(Vec::new()),
            tier: RefCell::new(None),
            partial: RefCell::new(None),
            partial_note: Cell::new(None),
        })
    }

    /// The replica (for local reads; never borrowed across an `.await`).
    pub fn replica(&self) -> &RefCell<Replica> {
        &self.replica
    }

    /// The settings.
    pub fn settings(&self) -> &EngineSettings {
        &self.settings
    }

    /// Gives the replica's pages back (a closed client): the replica is replaced by an empty one,
    /// so the memory can serve other clients of the isolate.
    pub fn release(&self) -> Result<()> {
        *self.replica.borrow_mut() = Replica::open(self.settings.replica.clone())?;
        *self.partial.borrow_mut() = None;
        Ok(())
    }

    /// Where background tasks go from now on.
    pub fn set_spawner(&self, spawner: Spawner) {
        *self.spawner.borrow_mut() = Some(spawner);
    }

    /// The protocol in use, once known.
    pub fn protocol(&self) -> Option<ProtocolKind> {
        self.kind.get()
    }

    /// The replica's installed position.
    pub fn position(&self) -> Option<Position> {
        self.replica.borrow().position()
    }

    /// When a sync last reached the primary's head.
    pub fn confirmed_at(&self) -> Option<f64> {
        self.clocks.get().confirmed_at
    }

    /// Why reads go to the primary now, if they do.
    pub fn remote_reads(&self) -> Option<Reason> {
        self.remote_reads.get()
    }

    /// A copy of the counters.
    pub fn counters(&self) -> Counters {
        self.stats.borrow().clone()
    }

    /// Counts where a read was served.
    pub fn note_read(&self, served: Served) {
        match served {
            Served::Local => self.stats.borrow_mut().reads_local += 1,
            Served::Remote(reason) => self.stats.borrow_mut().remote_read(reason),
        }
    }

    /// What is in flight at `now`.
    pub fn flight(&self, now: f64) -> FlightState {
        self.flights.borrow().state(now)
    }

    /// Takes the lease for `task` and hands the task to the spawner (or queues it; with `defer`,
    /// holds it until [`Engine::hand_over_deferred`]). Counts a joined sync when another one is in
    /// flight.
    fn start(&self, task: Task, now: f64, defer: bool) {
        let expires_at = now + f64::from(self.settings.timeout_ms) + LEASE_MARGIN_MS;
        let acquired = self.flights.borrow_mut().acquire(task, now, expires_at);
        let Some(token) = acquired.token() else {
            self.stats.borrow_mut().syncs_joined += 1;
            return;
        };
        if matches!(acquired, Acquired::TakenOver(_)) {
            self.stats.borrow_mut().syncs_taken_over += 1;
        }
        if defer {
            self.deferred.borrow_mut().push((task, token));
        } else {
            self.hand_over(task, token);
        }
    }

    /// Hands the deferred tasks to the spawner. A cold read answered by the primary defers the
    /// bootstrap it starts until its own remote statement has returned, so the bootstrap's
    /// responses (decoding and installing the image) do not share the isolate's thread with the
    /// first answer. The caller calls this once it has that answer (or an error); the next read
    /// calls it too, so a call that was dropped meanwhile delays the bootstrap at most until then
    /// (its lease, taken at once, keeps a second one from starting).
    pub fn hand_over_deferred(&self) {
        let deferred = std::mem::take(&mut *self.deferred.borrow_mut());
        for (task, token) in deferred {
            self.hand_over(task, token);
        }
    }

    /// Gives a leased task to the spawner (or the queue).
    fn hand_over(&self, task: Task, token: u64) {
        match &*self.spawner.borrow() {
            Some(spawn) => spawn(task, token),
            None => self.queued.borrow_mut().push((task, token)),
        }
    }

    /// Runs one background task under its lease (what the spawner's future does).
    pub async fn run_task(&self, transport: &dyn Transport, task: Task, token: u64) {
        let transport = &WithDeadline::new(transport, self.settings.timeout_ms);
        if task == Task::Publish {
            self.run_publish(transport.now_ms(), token).await;
            return;
        }
        let _ = self.pull(transport, None).await;
        self.flights.borrow_mut().release(token);
    }

    /// Runs the background tasks queued while no spawner was set; returns how many ran.
    pub async fn run_queued(&self, transport: &dyn Transport) -> usize {
        let tasks = std::mem::take(&mut *self.queued.borrow_mut());
        for (task, token) in &tasks {
            self.run_task(transport, *task, *token).await;
        }
        tasks.len()
    }

    /// Pulls until the primary has nothing newer, or until `stop_when` is satisfied. Detects the
    /// protocol on first use, counts what it did, moves the clocks, and sets or clears the reason
    /// reads go to the primary.
    pub async fn pull(&self, transport: &dyn Transport, stop_when: Option<StopWhen<'_>>) -> Result<SyncStats> {
        self.stats.borrow_mut().syncs_started += 1;
        let io = Io::new(transport, &self.settings.target);
        let cold = self.replica.borrow().newest_position().is_none();
        let result = if cold && !crate::replica::warmed() {
            // A bootstrap ends by opening the new database, the first SQLite open of this instance:
            // warm SQLite up while the first request is on the network (`join` polls the pull up to
            // that request, then the warm-up), not after the last byte arrived. It waits for a timer
            // first, so whatever the event loop has queued (a cold read's answer from the primary,
            // handed to its request before this background bootstrap) goes before. If the warm-up
            // fails, the real open pays for it.
            let warm_up = async {
                transport.sleep(0).await;
                let _ = crate::replica::warm_up();
            };
            futures_util::future::join(self.pull_with(&io, stop_when, cold), warm_up).await.0
        } else {
            self.pull_with(&io, stop_when, cold).await
        };
        let counters = io.counters();
        let now = io.now_ms();
        let mut stats = self.stats.borrow_mut();
        stats.bytes_pulled += counters.bytes_received;
        stats.round_trips += u64::from(counters.round_trips);
        let mut clocks = self.clocks.get();
        // Failed attempts count too, so a primary that cannot be synced is retried at the
        // interval, not on every call.
        clocks.last_attempt = Some(now);
        match &result {
            Ok(s) => {
                if let Some(at) = s.confirmed_at_ms {
                    clocks.confirmed_at = Some(clocks.confirmed_at.map_or(at, |c| c.max(at)));
                }
                stats.last_error = None;
                self.remote_reads.set(None);
            }
            Err(e) => {
                stats.syncs_failed += 1;
                stats.last_error = Some(e.code().to_string());
                if matches!(e, Error::MemoryBudget { .. }) {
                    self.remote_reads.set(Some(Reason::OverBudget));
                }
            }
        }
        self.clocks.set(clocks);
        drop(stats);
        if result.is_ok() {
            self.maybe_publish(now);
        }
        result
    }

    /// `cold`: the replica holds nothing yet (no position).
    async fn pull_with(&self, io: &Io<'_>, stop_when: Option<StopWhen<'_>>, cold: bool) -> Result<SyncStats> {
        let from_snapshot = cold && self.load_snapshot(io.now_ms()).await;
        let (kind, unconfirmed, primed) = match self.kind.get() {
            Some(k) => (k, None, None),
            None => {
                let detected = detect(io).await?;
                self.kind.set(Some(detected.kind));
                (detected.kind, detected.unconfirmed, detected.primed)
            }
        };
        if cold && !from_snapshot {
            self.partial_from_primary(kind, false);
        }
        // Another call may hold the protocol object (its sync is in flight): use a fresh one, so
        // this call never awaits I/O that belongs to another request.
        let taken = self.protocol.borrow_mut().take();
        let mut protocol = taken.or(primed).unwrap_or_else(|| new_protocol(kind));
        let mut result = sync_into(&self.replica, protocol.as_mut(), io, stop_when).await;
        if let Some(unconfirmed) = &unconfirmed {
            result = result.map_err(|e| unconfirmed_error(io, unconfirmed, e));
            if matches!(result, Err(Error::NotAPrimary { .. })) {
                self.kind.set(None);
                return result;
            }
        }
        if from_snapshot && result.is_err() {
            // The primary could not continue from the snapshot (another history, a position it no
            // longer serves, no room for a fresh bootstrap next to it): bootstrap as without it.
            self.release()?;
            {
                let mut stats = self.stats.borrow_mut();
                stats.last_snapshot_miss = Some("the primary could not continue from it".into());
                stats.bootstrap_source = None;
            }
            self.partial_from_primary(kind, false);
            protocol = new_protocol(kind);
            result = sync_into(&self.replica, protocol.as_mut(), io, stop_when).await;
        }
        if matches!(result, Err(Error::MemoryBudget { .. })) && self.partial_from_primary(kind, true) {
            // `partial: "auto"`: the database outgrew the budget; hold only the pages reads use.
            protocol = new_protocol(kind);
            result = sync_into(&self.replica, protocol.as_mut(), io, stop_when).await;
        }
        if cold && result.is_ok() && self.stats.borrow().bootstrap_source.is_none() {
            self.stats.borrow_mut().bootstrap_source = Some("primary");
        }
        let mut slot = self.protocol.borrow_mut();
        if slot.is_none() {
            *slot = Some(protocol);
        }
        result
    }

    /// An explicit `sync()`: up to the primary's head. The first bootstrap is never started twice:
    /// while another call's bootstrap is in flight, this one waits for it and then catches up. A
    /// bootstrap this call ran itself already pulled to the head (its last answer, after the call
    /// began, said so): no second round trip to be told the same.
    pub async fn sync(&self, transport: &dyn Transport) -> Result<SyncStats> {
        if self.position().is_none() {
            if let Some(stats) = self.bootstrap_or_wait(transport).await? {
                return Ok(stats);
            }
        }
        self.pull(transport, None).await
    }

    /// After a write that the primary reports at `replication_index` (sqld), syncs until the
    /// replica covers it; with protocols whose positions cannot be compared with the index, until
    /// it is up to date. The write committed, so a failed catch-up is not the caller's error: reads
    /// go to the primary until a later sync succeeds, which keeps the write visible. Returns whether
    /// the replica now has the write.
    pub async fn after_write(&self, transport: &dyn Transport, replication_index: Option<u64>) -> bool {
        if !self.settings.read_your_writes || self.remote_reads.get().is_some() {
            return false;
        }
        let synced = match (self.kind.get(), replication_index) {
            (Some(ProtocolKind::Sqld), Some(index)) => {
                let covered = |p: &Position| matches!(p, Position::Sqld { frame_no, .. } if frame_no.0 >= index);
                if self.replica.borrow().newest_position().is_some_and(|p| covered(&p)) {
                    return true;
                }
                self.pull(transport, Some(&covered)).await
            }
            _ => self.pull(transport, None).await,
        };
        if synced.is_err() {
            self.remote_reads.set(Some(Reason::Fallback));
        }
        synced.is_ok()
    }

    /// Brings an empty replica to its first install: runs the bootstrap under the lease, or waits
    /// (on this call's own timer) for the bootstrap another call has in flight, taking over if its
    /// lease expires. Returns at the call's deadline at the latest, with the bootstrap's stats when
    /// this call ran it (it pulled to the head), `None` when another call's installed first.
    async fn bootstrap_or_wait(&self, transport: &dyn Transport) -> Result<Option<SyncStats>> {
        let started = transport.now_ms();
        let give_up = started + f64::from(self.settings.timeout_ms);
        loop {
            if self.position().is_some() {
                return Ok(None);
            }
            let now = transport.now_ms();
            let expires_at = now + f64::from(self.settings.timeout_ms) + LEASE_MARGIN_MS;
            let acquired = self.flights.borrow_mut().acquire(Task::Bootstrap, now, expires_at);
            if let Some(token) = acquired.token() {
                if matches!(acquired, Acquired::TakenOver(_)) {
                    self.stats.borrow_mut().syncs_taken_over += 1;
                }
                let result = self.pull(transport, None).await;
                self.flights.borrow_mut().release(token);
                return result.map(Some);
            }
            if now >= give_up {
                return Err(Error::Network {
                    context: "waiting for the bootstrap in flight".into(),
                    source: crate::transport::TransportError::Timeout(self.settings.timeout_ms),
                });
            }
            transport.sleep(WAIT_POLL_MS).await;
        }
    }
}
