//! `block_on` for futures that never wait: the scripted transport answers at once and the
//! tokio mutexes the dev primary uses are uncontended, so every future here is ready on its
//! first polls. A future that stays pending is a harness bug and panics.

use std::future::Future;
use std::task::{Context, Poll, Waker};

/// Polls `future` to completion with a no-op waker.
pub fn block_on<F: Future>(future: F) -> F::Output {
    let mut future = std::pin::pin!(future);
    let mut cx = Context::from_waker(Waker::noop());
    for _ in 0..1000 {
        if let Poll::Ready(v) = future.as_mut().poll(&mut cx) {
            return v;
        }
    }
    panic!("harness: a future that was expected to be ready stayed pending");
}
