//! The policy's rules, on an injected clock.

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use super::*;
use crate::sync::bookmark::Target;

fn view(consistency: &Consistency) -> View<'_> {
    View {
        bootstrapped: true,
        confirmed_at: Some(1_000.0),
        last_attempt: Some(1_000.0),
        remote_reads: None,
        flight: FlightState::default(),
        interval_ms: None,
        cold_start: ColdStart::Wait,
        consistency,
    }
}

const BUSY: FlightState = FlightState { task: Some(Task::Refresh) };
const BOOTSTRAPPING: FlightState = FlightState { task: Some(Task::Bootstrap) };

#[test]
fn cold_reads_wait_or_go_remote_and_never_start_a_second_bootstrap() {
    let c = Consistency::default();
    let cold = View { bootstrapped: false, last_attempt: None, confirmed_at: None, ..view(&c) };
    assert_eq!(cold.decide(0.0), decision(Route::Bootstrap, None));
    let waiting = View { flight: BOOTSTRAPPING, ..cold.clone() };
    assert_eq!(waiting.decide(0.0), decision(Route::WaitForBootstrap, None));
    let remote = View { cold_start: ColdStart::Remote, ..cold.clone() };
    assert_eq!(remote.decide(0.0), decision(Route::Remote(Reason::Cold), Some(Task::Bootstrap)));
    // The engine joins the bootstrap in flight instead of starting it again (see `flight`).
    let joined = View { flight: BOOTSTRAPPING, ..remote };
    assert_eq!(joined.decide(0.0), decision(Route::Remote(Reason::Cold), Some(Task::Bootstrap)));
}

#[test]
fn an_interval_due_read_is_local_and_starts_one_refresh() {
    let c = Consistency::default();
    let v = View { interval_ms: Some(500.0), ..view(&c) };
    assert_eq!(v.decide(1_400.0), decision(Route::Local, None));
    assert_eq!(v.decide(1_500.0), decision(Route::Local, Some(Task::Refresh)));
    let busy = View { flight: BUSY, ..v };
    assert_eq!(busy.decide(1_500.0), decision(Route::Local, Some(Task::Refresh)), "the engine joins it");
}

#[test]
fn max_lag_with_each_on_stale_policy() {
    let mut c = Consistency { max_lag_ms: Some(200.0), ..Default::default() };
    assert_eq!(view(&c).decide(1_200.0), decision(Route::Local, None), "confirmed 200 ms ago");
    assert_eq!(view(&c).decide(1_201.0), decision(Route::PullFirst(Until::Head, Reason::Stale), None));
    c.on_stale = OnStale::Primary;
    assert_eq!(view(&c).decide(1_201.0), decision(Route::Remote(Reason::Stale), Some(Task::Refresh)));
    c.on_stale = OnStale::Serve;
    assert_eq!(view(&c).decide(1_201.0), decision(Route::Local, Some(Task::Refresh)));
    let never_confirmed = View { confirmed_at: None, ..view(&c) };
    assert_eq!(never_confirmed.decide(0.0), decision(Route::Local, Some(Task::Refresh)));
}

#[test]
fn bookmarks_pull_first_and_remote_reads_stay_remote_until_a_sync_succeeds() {
    let bookmark = Bookmark { database: 1, target: Target::Head };
    let c = Consistency { bookmark: Some(bookmark.clone()), ..Default::default() };
    assert_eq!(view(&c).decide(0.0), decision(Route::PullFirst(Until::Bookmark(bookmark), Reason::Bookmark), None));
    let plain = Consistency::default();
    let over = View { remote_reads: Some(Reason::OverBudget), interval_ms: Some(100.0), ..view(&plain) };
    assert_eq!(over.decide(1_050.0), decision(Route::Remote(Reason::OverBudget), None));
    assert_eq!(over.decide(1_100.0), decision(Route::Remote(Reason::OverBudget), Some(Task::Refresh)));
    let never = View { interval_ms: None, ..over };
    assert_eq!(never.decide(9_999.0), decision(Route::Remote(Reason::OverBudget), None));
}
