//! Body pumping: a task moves a body's frames into a channel the other side reads from, pacing
//! them through the [`Link`], counting bytes, and ending the body the way a fault wants (cleanly,
//! with an error that makes hyper drop the connection, a stall, or an endless tail of zeros).

use std::pin::Pin;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http_body::{Body as HttpBody, Frame};
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full};
use tokio::sync::mpsc;
use tokio::time::{sleep, sleep_until, Instant};

use crate::conn::Fate;
use crate::shape::{Direction, Link, PACE_SLICE};
use crate::stats::Stats;

/// Errors a body can end with.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;
/// Every body the proxy sends or forwards.
pub type Body = BoxBody<Bytes, BoxError>;

/// How a pumped body ends.
#[derive(Debug, Clone)]
pub enum Ending {
    /// Forward everything, trailers included, and end normally.
    Finish,
    /// Forward at most `after` bytes, then close the connection (FIN), or reset it (RST).
    Abort {
        /// Body bytes forwarded first.
        after: u64,
        /// Reset instead of close.
        reset: bool,
    },
    /// Forward at most `after` bytes, then send nothing until the client leaves or `max` passes
    /// (then close the connection).
    Stall {
        /// Body bytes forwarded first.
        after: u64,
        /// Longest stall; then the connection is dropped.
        max: Duration,
    },
    /// Forward the body, then zeros until `limit` bytes in all, then close the connection.
    Endless {
        /// Total body bytes sent before giving up.
        limit: u64,
    },
}

impl Ending {
    fn cut(&self) -> Option<u64> {
        match self {
            Ending::Abort { after, .. } | Ending::Stall { after, .. } => Some(*after),
            Ending::Finish | Ending::Endless { .. } => None,
        }
    }
}

/// A body whose frames arrive through a channel.
struct ChannelBody(mpsc::Receiver<Result<Frame<Bytes>, BoxError>>);

impl HttpBody for ChannelBody {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        self.0.poll_recv(cx)
    }
}

/// A complete body of these bytes.
pub fn full(bytes: impl Into<Bytes>) -> Body {
    Full::new(bytes.into()).map_err(|never| match never {}).boxed()
}

/// Where a pump sends and what it accounts.
#[derive(Clone)]
pub struct Pump {
    /// The shaping link.
    pub link: Arc<Link>,
    /// The counters.
    pub stats: Arc<Stats>,
    /// Which way the bytes go.
    pub dir: Direction,
    /// The client connection (response bodies), for faults that close or reset it.
    pub fate: Option<Arc<Fate>>,
}

type Tx = mpsc::Sender<Result<Frame<Bytes>, BoxError>>;

impl Pump {
    /// Starts moving `source` into the returned body: after `pre_delay`, paced, ended as `ending`.
    pub fn spawn<B>(&self, source: B, pre_delay: Option<Duration>, ending: Ending) -> Body
    where
        B: HttpBody<Data = Bytes> + Send + Unpin + 'static,
        B::Error: Into<BoxError> + Send,
    {
        // Capacity 1: `reserve` then tells when the reader has taken the last frame.
        let (tx, rx) = mpsc::channel(1);
        tokio::spawn(self.clone().run(source, tx, pre_delay, ending));
        BoxBody::new(ChannelBody(rx))
    }

    async fn run<B>(self, mut source: B, tx: Tx, pre_delay: Option<Duration>, ending: Ending)
    where
        B: HttpBody<Data = Bytes> + Send + Unpin + 'static,
        B::Error: Into<BoxError> + Send,
    {
        if let Some(d) = pre_delay {
            sleep(d).await;
        }
        let cut = ending.cut();
        let mut sent = 0u64;
        // When the first paced slice's turn on the link began.
        let mut first = None;
        while cut.is_none_or(|c| sent < c) {
            let frame = match source.frame().await {
                None => break,
                Some(Err(e)) => {
                    let _ = tx.send(Err(e.into())).await;
                    return;
                }
                Some(Ok(frame)) => frame,
            };
            match frame.into_data() {
                Ok(mut data) => {
                    if let Some(c) = cut {
                        data.truncate(usize::try_from(c - sent).unwrap_or(usize::MAX));
                    }
                    if !self.send_paced(&tx, data, &mut sent, &mut first).await {
                        return;
                    }
                }
                Err(other) => {
                    if matches!(ending, Ending::Finish) && tx.send(Ok(other)).await.is_err() {
                        return;
                    }
                }
            }
        }
        drop(source);
        if let Some(first) = first {
            self.stats.paced(first.elapsed());
        }
        match ending {
            Ending::Finish => {}
            Ending::Abort { reset, .. } => self.end_connection(&tx, reset).await,
            Ending::Stall { max, .. } => {
                tokio::select! {
                    _ = tx.closed() => {}
                    _ = sleep(max) => self.end_connection(&tx, false).await,
                }
            }
            Ending::Endless { limit } => {
                let zeros = Bytes::from(vec![0u8; PACE_SLICE]);
                while sent < limit {
                    let n = usize::try_from(limit - sent).unwrap_or(usize::MAX).min(PACE_SLICE);
                    if !self.send_paced(&tx, zeros.slice(..n), &mut sent, &mut None).await {
                        return;
                    }
                }
                self.end_connection(&tx, false).await;
            }
        }
    }

    /// Closes (or resets) the client connection right after the bytes sent so far: waits until
    /// hyper has taken the last frame, decides the connection's fate, and wakes hyper with an
    /// empty frame so that it flushes (the socket then carries the fate out). The body never
    /// ends; the task waits until hyper drops it.
    async fn end_connection(&self, tx: &Tx, reset: bool) {
        let Ok(permit) = tx.reserve().await else { return };
        match &self.fate {
            Some(fate) if reset => fate.reset_after_flush(),
            Some(fate) => fate.close_after_flush(),
            None => {
                permit.send(Err("netem: body aborted".into()));
                return;
            }
        }
        permit.send(Ok(Frame::data(Bytes::new())));
        tx.closed().await;
    }

    /// Sends `data` in paced slices; false when the reader is gone.
    async fn send_paced(&self, tx: &Tx, data: Bytes, sent: &mut u64, first: &mut Option<Instant>) -> bool {
        let mut rest = data;
        while !rest.is_empty() {
            let slice = rest.split_to(rest.len().min(PACE_SLICE));
            if let Some((start, done)) = self.link.reserve(self.dir, slice.len()) {
                first.get_or_insert(start);
                let now = Instant::now();
                if done > now {
                    sleep_until(done).await;
                    self.stats.throttle(now.elapsed());
                }
            }
            let n = slice.len() as u64;
            if tx.send(Ok(Frame::data(slice))).await.is_err() {
                return false;
            }
            *sent += n;
            match self.dir {
                Direction::Up => self.stats.bytes_up.fetch_add(n, Relaxed),
                Direction::Down => self.stats.bytes_down.fetch_add(n, Relaxed),
            };
        }
        true
    }
}
