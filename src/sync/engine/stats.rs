//! What the engine counts for `client.stats()`: syncs started, joined and taken over, failures and
//! the last error's code, bytes and round trips pulled, and where reads were served and why.

use super::policy::Reason;

/// Counters of one replica, since the client was created.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Counters {
    /// Syncs this replica ran (inline or in the background), takeovers included.
    pub syncs_started: u64,
    /// Background syncs a call wanted but found in flight, so it did not start another.
    pub syncs_joined: u64,
    /// Background syncs started because the one in flight had outlived its lease.
    pub syncs_taken_over: u64,
    /// Syncs that ended in an error.
    pub syncs_failed: u64,
    /// The code of the last sync error (`None` after a success).
    pub last_error: Option<String>,
    /// Response bytes pulled from the primary by syncs.
    pub bytes_pulled: u64,
    /// Requests syncs made, retries included.
    pub round_trips: u64,
    /// Reads served by the replica.
    pub reads_local: u64,
    /// Reads served by the primary, per reason (indexed like [`Reason::ALL`]).
    pub reads_remote: [u64; Reason::ALL.len()],
    /// Where the replica's current image came from: `"snapshot"` or `"primary"`.
    pub bootstrap_source: Option<&'static str>,
    /// The age of the snapshot it was loaded from, when it was loaded, in ms.
    pub snapshot_age_ms: Option<f64>,
    /// Bytes read from the snapshot store.
    pub bytes_from_snapshot: u64,
    /// Why the last snapshot was not used (no manifest, foreign, damaged chunk, ...).
    pub last_snapshot_miss: Option<String>,
    /// Snapshots published, and chunks uploaded for them.
    pub snapshots_published: u64,
    /// Chunks uploaded by publishes (the others were already in the store).
    pub chunks_uploaded: u64,
    /// Requests a partial replica made to its page source for pages reads missed.
    pub page_fetches: u64,
    /// Of those, the ones that failed (the read then went to the primary).
    pub page_fetch_failures: u64,
    /// Pages those requests added to the replica.
    pub pages_fetched: u64,
}

impl Counters {
    /// Counts a read served by the primary.
    pub fn remote_read(&mut self, reason: Reason) {
        if let Some(i) = Reason::ALL.iter().position(|r| *r == reason) {
            self.reads_remote[i] += 1;
        }
    }

    /// Reads served by the primary, in total.
    pub fn reads_remote_total(&self) -> u64 {
        self.reads_remote.iter().sum()
    }

    /// `(reason, count)` for every reason.
    pub fn remote_by_reason(&self) -> impl Iterator<Item = (Reason, u64)> + '_ {
        Reason::ALL.iter().copied().zip(self.reads_remote.iter().copied())
    }
}
