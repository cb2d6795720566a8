//! Which request a call runs for, so that background work it starts is kept alive by that
//! request's `waitUntil`.
//!
//! The sync engine starts background tasks synchronously, from inside a call (a due interval sync,
//! a cold-start bootstrap, a refresh after a stale read), through the client's one spawner. Every
//! call of a [`Session`](super::Session) is polled inside [`InRequest`], which names the
//! session's request as the current one for the duration of each poll; the spawner hands the task
//! to that request's `ctx.wait_until`, and the task itself runs inside `InRequest` too, so work it
//! starts in turn goes to the same request. Outside any request (a session made without a
//! context) the task is only spawned: workerd may drop it when the request that made it ends.

use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context as TaskContext, Poll};

use js_sys::Promise;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::future_to_promise;

/// A request's `waitUntil`.
#[derive(Clone)]
pub(crate) struct WaitUntil(Rc<::worker::worker_sys::Context>);

impl WaitUntil {
    /// The `waitUntil` of `ctx` (a handle to the same JS object).
    pub(crate) fn of(ctx: &::worker::Context) -> WaitUntil {
        let js: &JsValue = AsRef::<::worker::worker_sys::Context>::as_ref(ctx).as_ref();
        WaitUntil(Rc::new(js.clone().unchecked_into()))
    }

    fn keep_alive(&self, promise: &Promise) {
        // `worker::Context::wait_until` unwraps this result; a request that has ended refuses new
        // work, and then the task simply runs as far as the runtime lets it.
        let _ = self.0.wait_until(promise);
    }
}

thread_local! {
    static CURRENT: RefCell<Option<WaitUntil>> = const { RefCell::new(None) };
}

/// `future`, polled with `wait_until`'s request as the current one.
pub(crate) struct InRequest<'a, T> {
    wait_until: Option<WaitUntil>,
    future: Pin<Box<dyn Future<Output = T> + 'a>>,
}

impl<'a, T> InRequest<'a, T> {
    pub(crate) fn new(wait_until: Option<WaitUntil>, future: impl Future<Output = T> + 'a) -> InRequest<'a, T> {
        InRequest { wait_until, future: Box::pin(future) }
    }
}

impl<T> Future for InRequest<'_, T> {
    type Output = T;

    fn poll(mut self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<T> {
        let previous = CURRENT.with(|c| c.replace(self.wait_until.clone()));
        let out = self.future.as_mut().poll(cx);
        CURRENT.with(|c| *c.borrow_mut() = previous);
        out
    }
}

/// Runs `task` in the background of the current request (see the module docs).
pub(crate) fn spawn(task: impl Future<Output = ()> + 'static) {
    spawn_in(CURRENT.with(|c| c.borrow().clone()), task);
}

/// Runs `task` in the background of `wait_until`'s request (none: only spawned).
pub(crate) fn spawn_in(wait_until: Option<WaitUntil>, task: impl Future<Output = ()> + 'static) {
    let task = InRequest::new(wait_until.clone(), task);
    let promise = future_to_promise(async move {
        task.await;
        Ok(JsValue::UNDEFINED)
    });
    if let Some(wait_until) = wait_until {
        wait_until.keep_alive(&promise);
    }
}
