//! TEST-ONLY: traps the wasm instance on purpose, so the runtime suites can prove that a trap
//! never poisons the isolate (the shim rejects the calls in flight, re-instantiates the module and
//! rebuilds its clients). Not part of the public API; nothing in the package calls it.

use js_sys::Promise;
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::JsValue;
use wasm_bindgen_futures::{future_to_promise, JsFuture};

/// Executes `unreachable` at once (`later == false`), or after one await, inside a continuation
/// that JS runs from a promise callback (`later == true`), where no caller's `try` sees it. Before
/// trapping it leaves the local-database registry locked, as a panic in the middle of real work
/// leaves state behind: this instance cannot open a named local database again.
#[wasm_bindgen(js_name = testOnlyTrap)]
pub fn test_only_trap(later: bool) -> Promise {
    crate::local::poison_registry_for_test();
    if !later {
        core::arch::wasm32::unreachable();
    }
    future_to_promise(async {
        let _ = JsFuture::from(Promise::resolve(&JsValue::NULL)).await;
        core::arch::wasm32::unreachable()
    })
}
