//! Turso-HTTP-sync generations: a generation is a range of the replication log that starts at a
//! checkpoint (or compaction, or a new log) and ends at the next one. Generation numbers start at 1
//! and only grow, even across log resets, so a client never sees an old number reused.
//! Persisted as `generations.json` next to the log.

use std::io;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// One generation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct GenerationEntry {
    /// Its number (1-based).
    pub generation: u32,
    /// The log it belongs to.
    pub log_id: u128,
    /// Its first frame_no in that log.
    pub start_frame_no: u64,
}

/// The list of generations.
#[derive(Debug, Clone)]
pub struct Generations {
    path: PathBuf,
    entries: Vec<GenerationEntry>,
}

/// Where a generation's frames lie.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GenerationRange {
    /// The entry.
    pub entry: GenerationEntry,
    /// First frame_no of the next generation of the same log, if any.
    pub end_frame_no: Option<u64>,
    /// Whether it is the current generation.
    pub is_current: bool,
}

impl Generations {
    /// Loads the list (or starts empty).
    pub fn load(dir: &Path) -> Self {
        let path = dir.join("generations.json");
        let entries = std::fs::read(&path).ok().and_then(|b| serde_json::from_slice(&b).ok()).unwrap_or_default();
        Self { path, entries }
    }

    /// Starts a new generation at `start_frame_no` of `log_id` unless the current one already
    /// starts there.
    pub fn advance(&mut self, log_id: u128, start_frame_no: u64) -> io::Result<()> {
        if let Some(last) = self.entries.last() {
            if last.log_id == log_id && last.start_frame_no >= start_frame_no {
                return Ok(());
            }
        }
        let generation = self.entries.last().map_or(1, |e| e.generation + 1);
        self.entries.push(GenerationEntry { generation, log_id, start_frame_no });
        if self.entries.len() > 10_000 {
            self.entries.remove(0);
        }
        let tmp = self.path.with_extension("tmp");
        std::fs::write(&tmp, serde_json::to_vec(&self.entries).map_err(io::Error::other)?)?;
        std::fs::rename(&tmp, &self.path)
    }

    /// The current generation.
    pub fn current(&self) -> Option<GenerationEntry> {
        self.entries.last().copied()
    }

    /// Looks up generation `g`.
    pub fn get(&self, g: u32) -> Option<GenerationRange> {
        let i = self.entries.iter().position(|e| e.generation == g)?;
        let entry = self.entries[i];
        let next = self.entries.get(i + 1);
        Some(GenerationRange {
            entry,
            end_frame_no: next.filter(|n| n.log_id == entry.log_id).map(|n| n.start_frame_no),
            is_current: next.is_none(),
        })
    }
}
