//! Shared pieces of the fuzz targets in `fuzz_targets/`: an executor and a scripted transport to
//! drive the sync protocols without a network, source databases whose pages are known to be
//! consistent, and the checks every replica target makes (no change on refusal, pages as
//! installed, queries that never crash). Each target file is one harness; this crate holds only
//! what several of them need.

pub mod exec;
pub mod input;
pub mod replica_check;
pub mod scripted;
pub mod sources;
pub mod sqld;
