//! Network shaping: a one-way delay of half the round trip on each request and each response
//! head, and a bandwidth limit on bodies, per direction.
//!
//! The bandwidth model is a token bucket per direction, shared by every connection: each body byte
//! occupies the direction's link for 8 / bandwidth seconds, queued behind the bytes before it. The
//! bucket holds [`BURST`] worth of bytes, which only absorbs the timer's millisecond granularity
//! (a sleep that wakes late does not lose link time). It is deterministic; jitter exists only when
//! asked for, drawn from a seeded generator.

use std::sync::Mutex;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::time::Instant;

/// Largest slice of a body paced at once, so concurrent transfers interleave smoothly.
pub const PACE_SLICE: usize = 16 * 1024;
/// Depth of the token bucket, as link time: an idle link lends at most this much.
pub const BURST: Duration = Duration::from_millis(2);

/// What the link looks like.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, Default)]
pub struct Shape {
    /// Round trip added to each request/response exchange (half each way), in milliseconds.
    #[serde(default)]
    pub rtt_ms: f64,
    /// Body bandwidth per direction in Mbit/s (10^6 bits); 0 = unlimited.
    #[serde(default)]
    pub bandwidth_mbit: f64,
    /// Up to this many milliseconds added at random to each one-way delay; 0 = none.
    #[serde(default)]
    pub jitter_ms: f64,
    /// Seed of the jitter generator.
    #[serde(default)]
    pub seed: u64,
}

impl Shape {
    /// Whether the values are usable (finite, not negative).
    pub fn validate(&self) -> Result<(), String> {
        for (name, v) in
            [("rtt_ms", self.rtt_ms), ("bandwidth_mbit", self.bandwidth_mbit), ("jitter_ms", self.jitter_ms)]
        {
            if !v.is_finite() || v < 0.0 {
                return Err(format!("{name} must be a finite number >= 0, got {v}"));
            }
        }
        Ok(())
    }
}

/// Which way bytes go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Client to upstream (request bodies).
    Up,
    /// Upstream to client (response bodies).
    Down,
}

/// The shaping state shared by every connection.
#[derive(Debug)]
pub struct Link {
    shape: Mutex<Shape>,
    jitter: Mutex<fastrand::Rng>,
    /// The instant each direction's link is next free (up, down).
    free_at: Mutex<(Instant, Instant)>,
}

impl Link {
    /// A link with this shape.
    pub fn new(shape: Shape) -> Link {
        let now = Instant::now();
        Link {
            jitter: Mutex::new(fastrand::Rng::with_seed(shape.seed)),
            shape: Mutex::new(shape),
            free_at: Mutex::new((now, now)),
        }
    }

    /// The shape in force.
    pub fn shape(&self) -> Shape {
        *self.shape.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Replaces the shape (the jitter generator restarts from the new seed).
    pub fn set_shape(&self, shape: Shape) {
        *self.jitter.lock().unwrap_or_else(|p| p.into_inner()) = fastrand::Rng::with_seed(shape.seed);
        *self.shape.lock().unwrap_or_else(|p| p.into_inner()) = shape;
    }

    /// The one-way delay to add now: half the round trip plus jitter.
    pub fn one_way_delay(&self) -> Duration {
        let shape = self.shape();
        let mut ms = shape.rtt_ms / 2.0;
        if shape.jitter_ms > 0.0 {
            ms += self.jitter.lock().unwrap_or_else(|p| p.into_inner()).f64() * shape.jitter_ms;
        }
        Duration::from_secs_f64(ms / 1e3)
    }

    /// Reserves the link for `bytes` in `dir` and returns `(start, done)`: when their turn on the
    /// link began and when the last of them has passed; None when the bandwidth is unlimited.
    pub fn reserve(&self, dir: Direction, bytes: usize) -> Option<(Instant, Instant)> {
        let now = Instant::now();
        let mbit = self.shape().bandwidth_mbit;
        if mbit <= 0.0 {
            return None;
        }
        let occupy = Duration::from_secs_f64(bytes as f64 * 8.0 / (mbit * 1e6));
        let mut free = self.free_at.lock().unwrap_or_else(|p| p.into_inner());
        let slot = match dir {
            Direction::Up => &mut free.0,
            Direction::Down => &mut free.1,
        };
        let start = (*slot).max(now.checked_sub(BURST).unwrap_or(now));
        let done = start + occupy;
        *slot = done;
        Some((start, done))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn link_reserve_queues_bytes_behind_each_other_per_direction() {
        let link = Link::new(Shape { bandwidth_mbit: 8.0, ..Default::default() }); // 1 byte per µs
        let t0 = Instant::now();
        let a = link.reserve(Direction::Down, 10_000).unwrap().1;
        let b = link.reserve(Direction::Down, 10_000).unwrap().1;
        let up = link.reserve(Direction::Up, 10_000).unwrap().1;
        assert!(a + BURST >= t0 + Duration::from_micros(10_000), "at most the burst is lent");
        assert!(b >= a + Duration::from_micros(10_000), "the second slice waits for the first");
        assert!(up < a + Duration::from_micros(5_000), "the other direction has its own link");
        link.set_shape(Shape::default());
        assert_eq!(link.reserve(Direction::Down, 10_000), None, "unlimited");
    }

    #[test]
    fn link_one_way_delay_is_half_the_rtt_without_jitter() {
        let link = Link::new(Shape { rtt_ms: 40.0, ..Default::default() });
        assert_eq!(link.one_way_delay(), Duration::from_millis(20));
        link.set_shape(Shape { rtt_ms: 10.0, jitter_ms: 4.0, seed: 1, ..Default::default() });
        let d = link.one_way_delay();
        assert!(d >= Duration::from_millis(5) && d <= Duration::from_millis(9), "{d:?}");
        assert!(Shape { rtt_ms: -1.0, ..Default::default() }.validate().is_err());
    }
}
