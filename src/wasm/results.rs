//! Results into plain JS objects: result sets (`@libsql/client`'s raw shape plus `bookmark`), the
//! `Replicated` answer of `sync()`, and `client.stats()`.

use js_sys::{Array, BigInt, Object};
use wasm_bindgen::JsValue;

use super::convert::{set, value_to_js};
use crate::client::{ClientStats, ResultSet};
use crate::protocol::Position;
use crate::sync::SyncStats;

fn opt_f64(v: Option<f64>) -> JsValue {
    v.map(JsValue::from).unwrap_or(JsValue::NULL)
}

fn opt_str(v: Option<&str>) -> JsValue {
    v.map(JsValue::from_str).unwrap_or(JsValue::NULL)
}

/// `{columns, columnTypes, rows, rowsAffected, lastInsertRowid, bookmark}`.
pub fn result_to_js(rs: &ResultSet) -> JsValue {
    let object = Object::new();
    let columns: Array = rs.columns.iter().map(|c| JsValue::from_str(c)).collect();
    let types: Array = rs.column_types.iter().map(|t| JsValue::from_str(t)).collect();
    let rows: Array = rs.rows.iter().map(|row| row.iter().map(value_to_js).collect::<Array>()).collect();
    let rowid = rs.last_insert_rowid.map(|r| JsValue::from(BigInt::from(r))).unwrap_or(JsValue::UNDEFINED);
    set(&object, "columns", &columns);
    set(&object, "columnTypes", &types);
    set(&object, "rows", &rows);
    set(&object, "rowsAffected", &JsValue::from(rs.rows_affected as f64));
    set(&object, "lastInsertRowid", &rowid);
    set(&object, "bookmark", &opt_str(rs.bookmark.as_deref()));
    object.into()
}

/// An array of result sets.
pub fn results_to_js(results: &[ResultSet]) -> JsValue {
    results.iter().map(result_to_js).collect::<Array>().into()
}

/// `{protocol, position, framesSynced, pagesApplied, bytesReceived, roundTrips, durationMs}`;
/// `position` in its text form (`sqld:<log_id>/<frame_no>`) or `null`.
fn sync_stats_to_js(stats: &SyncStats) -> JsValue {
    let object = Object::new();
    set(&object, "protocol", &stats.protocol.as_str().into());
    set(&object, "position", &opt_str(stats.position.as_ref().map(|p| p.to_string()).as_deref()));
    set(&object, "framesSynced", &(stats.frames_synced as f64).into());
    set(&object, "pagesApplied", &(stats.pages_applied as f64).into());
    set(&object, "bytesReceived", &(stats.bytes_received as f64).into());
    set(&object, "roundTrips", &stats.round_trips.into());
    set(&object, "durationMs", &stats.duration_ms.into());
    object.into()
}

/// `@libsql/client`'s `Replicated`: `{frame_no, frames_synced}`, plus our `stats`.
pub fn replicated_to_js(stats: &SyncStats) -> JsValue {
    let frame_no = match &stats.position {
        Some(Position::Sqld { frame_no, .. }) | Some(Position::Http { frame_no, .. }) => frame_no.0 as f64,
        Some(Position::Revision(r)) => r.0.parse::<f64>().unwrap_or(0.0),
        None => 0.0,
    };
    let object = Object::new();
    set(&object, "frame_no", &frame_no.into());
    set(&object, "frames_synced", &(stats.frames_synced as f64).into());
    set(&object, "stats", &sync_stats_to_js(stats));
    object.into()
}

/// `client.stats()` (every field is documented in the README).
pub fn client_stats_to_js(stats: &ClientStats, wasm_memory_bytes: f64) -> JsValue {
    let c = &stats.counters;
    let syncs = Object::new();
    set(&syncs, "started", &(c.syncs_started as f64).into());
    set(&syncs, "joined", &(c.syncs_joined as f64).into());
    set(&syncs, "takenOver", &(c.syncs_taken_over as f64).into());
    set(&syncs, "failed", &(c.syncs_failed as f64).into());
    set(&syncs, "lastError", &opt_str(c.last_error.as_deref()));
    let pulled = Object::new();
    set(&pulled, "bytes", &(c.bytes_pulled as f64).into());
    set(&pulled, "roundTrips", &(c.round_trips as f64).into());
    let by = Object::new();
    for (reason, n) in c.remote_by_reason() {
        set(&by, reason.as_str(), &(n as f64).into());
    }
    let reads = Object::new();
    set(&reads, "local", &(c.reads_local as f64).into());
    set(&reads, "remote", &(c.reads_remote_total() as f64).into());
    set(&reads, "remoteBy", &by);
    let bootstrap = Object::new();
    set(&bootstrap, "source", &opt_str(c.bootstrap_source));
    set(&bootstrap, "snapshotAgeMs", &opt_f64(c.snapshot_age_ms));
    set(&bootstrap, "bytesFromSnapshot", &(c.bytes_from_snapshot as f64).into());
    let snapshots = Object::new();
    set(&snapshots, "published", &(c.snapshots_published as f64).into());
    set(&snapshots, "chunksUploaded", &(c.chunks_uploaded as f64).into());
    set(&snapshots, "lastMiss", &opt_str(c.last_snapshot_miss.as_deref()));
    let p = &stats.partial;
    let partial = Object::new();
    set(&partial, "mode", &p.mode.into());
    set(&partial, "note", &opt_str(p.note));
    set(&partial, "residentPages", &(p.resident_pages as f64).into());
    set(&partial, "pinnedBytes", &(p.pinned_bytes as f64).into());
    set(&partial, "pageReads", &(p.page_reads as f64).into());
    set(&partial, "misses", &(p.misses as f64).into());
    set(&partial, "hitRate", &p.hit_rate().into());
    set(&partial, "fetches", &(p.fetches as f64).into());
    set(&partial, "fetchFailures", &(p.fetch_failures as f64).into());
    set(&partial, "pagesFetched", &(p.pages_fetched as f64).into());
    set(&partial, "evictions", &(p.evictions as f64).into());
    let object = Object::new();
    set(&object, "protocol", &opt_str(stats.protocol));
    set(&object, "position", &opt_str(stats.position.as_deref()));
    set(&object, "confirmedAt", &opt_f64(stats.confirmed_at));
    set(&object, "lagMs", &opt_f64(stats.lag_ms));
    set(&object, "remoteReads", &opt_str(stats.remote_reads.map(|r| r.as_str())));
    set(&object, "syncs", &syncs);
    set(&object, "pulled", &pulled);
    set(&object, "reads", &reads);
    set(&object, "bootstrap", &bootstrap);
    set(&object, "snapshots", &snapshots);
    set(&object, "memoryBytes", &(stats.memory_bytes as f64).into());
    set(&object, "memoryBudgetBytes", &(stats.memory_budget_bytes as f64).into());
    set(&object, "isolateMemoryBytes", &(stats.isolate_memory_bytes as f64).into());
    set(&object, "isolateBudgetBytes", &opt_f64(stats.isolate_budget_bytes.map(|b| b as f64)));
    set(&object, "partial", &partial);
    set(&object, "wasmMemoryBytes", &wasm_memory_bytes.into());
    object.into()
}
