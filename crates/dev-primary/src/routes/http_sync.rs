//! Turso Cloud HTTP sync: `GET /info`, `GET /export/{generation}`, `GET /sync/{generation}/{start}/{end}`.
//!
//! Generations come from [`crate::generations`]; frame `i` (1-based) of generation `g` is log frame
//! `start_frame_no(g) + i - 1`, served as SQLite WAL frames (big-endian headers; salts are the
//! generation and the log id's low bits; checksums chain from the start of each reply). A reply is
//! extended to the next commit, like `BatchLogEntries`. Past a generation's end, and for a
//! generation whose frames compaction dropped, the reply is 400 `{"generation": current}`, which
//! the official client reads as "no more frames here" (and then bootstraps the current one).

use axum::extract::{Path, State};
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use libsql_edge_protocol::frame::Frame;
use libsql_edge_protocol::wal_frame::{WalFrameEncoder, WalHeader};

use crate::routes::http_access;
use crate::{AppError, AppState};

fn guard(state: &AppState, headers: &HeaderMap) -> Result<(), AppError> {
    if !state.http_sync {
        return Err(AppError::NotFound);
    }
    http_access(state, headers).map(|_| ())
}

fn current(state: &AppState) -> Result<crate::generations::GenerationEntry, AppError> {
    state
        .primary
        .generations
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .current()
        .ok_or_else(|| AppError::Internal("no generation".into()))
}

/// `GET /info`.
pub async fn handle_get_info(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let run = || -> Result<Response, AppError> {
        guard(&state, &headers)?;
        let g = current(&state)?;
        Ok(axum::Json(serde_json::json!({"current_generation": g.generation})).into_response())
    };
    run().unwrap_or_else(IntoResponse::into_response)
}

/// `GET /export/{generation}`: the database file as of the generation's start.
pub async fn handle_get_export(State(state): State<AppState>, Path(g): Path<String>, headers: HeaderMap) -> Response {
    let run = || async {
        guard(&state, &headers)?;
        let g: u32 = g.parse().map_err(|_| AppError::BadRequest("invalid generation".into()))?;
        let cur = current(&state)?;
        if g != cur.generation || cur.log_id != state.primary.log.log_id() {
            return Err(AppError::BadRequest(format!(
                "generation {g} cannot be exported; current is {}",
                cur.generation
            )));
        }
        let st = state.clone();
        let (pages, size) =
            tokio::task::spawn_blocking(move || st.primary.log.pages_at(cur.start_frame_no.checked_sub(1)))
                .await
                .map_err(|e| AppError::Internal(e.to_string()))?
                .map_err(|e| AppError::Internal(e.to_string()))?;
        let mut body = Vec::with_capacity(size as usize * 4096);
        for pgno in 1..=size {
            match pages.get(&pgno) {
                Some(p) => body.extend_from_slice(p),
                None => body.extend_from_slice(&[0u8; 4096]),
            }
        }
        Ok(([(header::CONTENT_TYPE, "application/octet-stream")], body).into_response())
    };
    run().await.unwrap_or_else(IntoResponse::into_response)
}

/// `GET /sync/{generation}/{start}/{end}`.
pub async fn handle_get_sync(
    State(state): State<AppState>,
    Path((g, start, end)): Path<(String, String, String)>,
    headers: HeaderMap,
) -> Response {
    let run = || async {
        guard(&state, &headers)?;
        let bad = || AppError::BadRequest("invalid path parameters".into());
        let g: u32 = g.parse().map_err(|_| bad())?;
        let start: u64 = start.parse().map_err(|_| bad())?;
        let end: u64 = end.parse().map_err(|_| bad())?;
        if start == 0 || end <= start {
            return Err(bad());
        }
        let cur = current(&state)?;
        let range = state
            .primary
            .generations
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(g)
            .ok_or(AppError::GenerationEnd(cur.generation))?;
        let log = &state.primary.log;
        if range.entry.log_id != log.log_id() {
            return Err(AppError::GenerationEnd(cur.generation));
        }
        let gen_end = range.end_frame_no.unwrap_or_else(|| log.next_frame_no());
        let first = range.entry.start_frame_no + start - 1;
        if first >= gen_end {
            return Err(AppError::GenerationEnd(cur.generation));
        }
        let limit = (range.entry.start_frame_no + end - 1).min(gen_end) - first;
        let st = state.clone();
        let frames = tokio::task::spawn_blocking(move || st.primary.log.frames_from(first, limit))
            .await
            .map_err(|e| AppError::Internal(e.to_string()))?
            // Compaction ended the generation (it starts a new one under the generations lock)
            // and dropped its frames: the replica must bootstrap from the current generation, so
            // say where it ends. Never "generation g ends here" while g is still current.
            .map_err(|e| match current(&state) {
                Ok(c) if c.generation != g => AppError::GenerationEnd(c.generation),
                _ => AppError::Internal(format!("frames of generation {g}: {e:?}")),
            })?;
        let header = WalHeader::new(4096, 0, g, log.log_id() as u32);
        let mut enc = WalFrameEncoder::new(&header);
        let mut body = Vec::with_capacity(frames.len() * 4120);
        for (raw, _) in frames {
            let f = Frame::decode(&raw).map_err(|e| AppError::Internal(e.to_string()))?;
            body.extend_from_slice(&enc.next_frame(f.header.page_no, f.header.size_after, f.page).encode());
        }
        Ok(([(header::CONTENT_TYPE, "application/octet-stream")], body).into_response())
    };
    run().await.unwrap_or_else(IntoResponse::into_response)
}
