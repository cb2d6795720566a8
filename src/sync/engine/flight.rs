//! Single flight: at most one background sync (bootstrap or refresh) per replica, held as a lease
//! that expires at the sync's deadline. A request that finds a valid lease does not start another
//! sync (it joins: reads the replica as it is, or waits on its own timer). A lease whose owner
//! never finished (in workerd, the request that started it ended and its I/O was dropped) expires,
//! and the next request takes over. Nothing here waits or does I/O.

use super::policy::Task;

/// A held lease.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Lease {
    token: u64,
    task: Task,
    expires_at: f64,
}

/// What is in flight at some moment, as the policy sees it (expired leases are not in flight).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FlightState {
    /// The task of a valid lease.
    pub task: Option<Task>,
}

impl FlightState {
    /// Whether background work is in flight.
    pub fn busy(&self) -> bool {
        self.task.is_some()
    }

    /// Whether a bootstrap is in flight.
    pub fn bootstrapping(&self) -> bool {
        self.task == Some(Task::Bootstrap)
    }
}

/// How an attempt to take the lease went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Acquired {
    /// The lease was free: this caller owns it under `token`.
    Started(u64),
    /// The lease had expired: this caller took it over under `token`.
    TakenOver(u64),
    /// Another caller holds a valid lease.
    Busy,
}

impl Acquired {
    /// The token, if the lease is now this caller's.
    pub fn token(self) -> Option<u64> {
        match self {
            Acquired::Started(t) | Acquired::TakenOver(t) => Some(t),
            Acquired::Busy => None,
        }
    }
}

/// The lease of one replica.
#[derive(Debug, Default)]
pub struct Flights {
    lease: Option<Lease>,
    next_token: u64,
}

impl Flights {
    /// What is in flight at `now`.
    pub fn state(&self, now: f64) -> FlightState {
        FlightState { task: self.lease.filter(|l| l.expires_at > now).map(|l| l.task) }
    }

    /// Takes the lease for `task` until `expires_at`, unless a valid one is held.
    pub fn acquire(&mut self, task: Task, now: f64, expires_at: f64) -> Acquired {
        let expired = match self.lease {
            Some(l) if l.expires_at > now => return Acquired::Busy,
            Some(_) => true,
            None => false,
        };
        self.next_token += 1;
        let token = self.next_token;
        self.lease = Some(Lease { token, task, expires_at });
        if expired {
            Acquired::TakenOver(token)
        } else {
            Acquired::Started(token)
        }
    }

    /// Gives the lease back, if `token` still holds it (a taken-over owner that finishes late
    /// releases nothing).
    pub fn release(&mut self, token: u64) {
        if self.lease.is_some_and(|l| l.token == token) {
            self.lease = None;
        }
    }
}

#[cfg(test)]
mod tests {
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use super::*;

    #[test]
    fn one_lease_at_a_time_and_expired_ones_are_taken_over() {
        let mut f = Flights::default();
        let a = f.acquire(Task::Bootstrap, 0.0, 100.0);
        assert!(matches!(a, Acquired::Started(_)));
        assert_eq!(f.acquire(Task::Refresh, 50.0, 150.0), Acquired::Busy);
        assert!(f.state(99.0).bootstrapping());
        assert!(!f.state(100.0).busy(), "expired at its deadline");
        let b = f.acquire(Task::Bootstrap, 100.0, 200.0);
        assert!(matches!(b, Acquired::TakenOver(_)));
        // The first owner finishing late does not release the new owner's lease.
        f.release(a.token().unwrap());
        assert!(f.state(150.0).busy());
        f.release(b.token().unwrap());
        assert!(!f.state(150.0).busy());
        assert!(matches!(f.acquire(Task::Refresh, 150.0, 250.0), Acquired::Started(_)));
    }
}
