//! Publishing a snapshot of the replica: its pages at its current position, cut into chunks of a
//! fixed number of pages, each uploaded under its SHA-256 (unless the previous manifest already
//! names the same chunk), then the manifest. If the replica moves while the chunks are read (an
//! apply between two uploads), the publish stops before the manifest: chunks are content-addressed,
//! so the ones uploaded do no harm.

use std::cell::RefCell;

use sha2::{Digest, Sha256};

use super::{SnapshotStore, StoreError};
use crate::protocol::snapshot::{chunk_count, chunk_key, manifest_key, Manifest, SnapshotProtocol, DIGEST_LEN};
use crate::replica::Replica;
use crate::sync::ProtocolKind;

/// The fewest and most pages per chunk (256 KiB and 4 MiB of 4 KiB pages).
const MIN_CHUNK_PAGES: u32 = 64;
const MAX_CHUNK_PAGES: u32 = 1024;
/// About this many chunks per image: few enough requests for the Workers Free plan (50
/// subrequests per request), small enough chunks to serve a partial replica's page fetches.
const TARGET_CHUNKS: u32 = 32;

/// What a publish did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Published {
    /// The manifest written.
    pub manifest: Manifest,
    /// Chunks uploaded (the others were already in the store).
    pub chunks_uploaded: u32,
    /// Bytes uploaded.
    pub bytes_uploaded: u64,
}

/// Pages per chunk for a database of `pages`: the previous manifest's when it still gives a
/// reasonable number of chunks (so unchanged chunks keep their keys), else about
/// `TARGET_CHUNKS` chunks, a power of two between the limits.
pub fn chunk_pages_for(pages: u32, previous: Option<&Manifest>) -> u32 {
    if let Some(p) = previous.map(|m| m.chunk_pages) {
        let chunks = chunk_count(pages, p);
        if (MIN_CHUNK_PAGES..=MAX_CHUNK_PAGES).contains(&p) && (TARGET_CHUNKS / 4..=TARGET_CHUNKS * 2).contains(&chunks)
        {
            return p;
        }
    }
    pages.div_ceil(TARGET_CHUNKS).next_power_of_two().clamp(MIN_CHUNK_PAGES, MAX_CHUNK_PAGES)
}

fn protocol_of(kind: ProtocolKind) -> SnapshotProtocol {
    match kind {
        ProtocolKind::Sqld => SnapshotProtocol::Sqld,
        ProtocolKind::HttpSync => SnapshotProtocol::HttpSync,
        ProtocolKind::PullUpdates => SnapshotProtocol::PullUpdates,
    }
}

/// Publishes the replica as it stands. `Ok(None)`: nothing to publish (an empty replica) or the
/// replica moved meanwhile (publish again later).
pub async fn publish(
    store: &dyn SnapshotStore,
    replica: &RefCell<Replica>,
    database: u64,
    kind: ProtocolKind,
    previous: Option<&Manifest>,
    now_ms: f64,
) -> Result<Option<Published>, StoreError> {
    let (position, shape) = {
        let r = replica.borrow();
        (r.position(), r.shape())
    };
    let (Some(position), Some(page_size)) = (position, shape.page_size) else { return Ok(None) };
    let page_count = shape.db_size_pages;
    let chunk_pages = chunk_pages_for(page_count, previous);
    let reusable = previous.filter(|m| m.chunk_pages == chunk_pages && m.page_size == page_size);
    let mut chunks = Vec::with_capacity(chunk_count(page_count, chunk_pages) as usize);
    let (mut uploaded, mut bytes_uploaded) = (0, 0u64);
    for index in 0..chunk_count(page_count, chunk_pages) {
        let first = index * chunk_pages + 1;
        let count = chunk_pages.min(page_count - (first - 1));
        let bytes = replica.borrow().read_pages(first, count);
        let digest: [u8; DIGEST_LEN] = match store.sha256(&bytes).await {
            Some(d) => d,
            None => Sha256::digest(&bytes).into(),
        };
        if reusable.and_then(|m| m.chunks.get(index as usize)) != Some(&digest) {
            bytes_uploaded += bytes.len() as u64;
            store.put(&chunk_key(database, &digest), bytes).await?;
            uploaded += 1;
            if replica.borrow().position().as_ref() != Some(&position) {
                return Ok(None);
            }
        }
        chunks.push(digest);
    }
    if replica.borrow().position().as_ref() != Some(&position) {
        return Ok(None);
    }
    let manifest = Manifest {
        protocol: protocol_of(kind),
        database,
        created_at_ms: now_ms.max(0.0) as u64,
        page_size,
        page_count,
        chunk_pages,
        position,
        chunks,
    };
    store.put(&manifest_key(database), manifest.encode()).await?;
    Ok(Some(Published { manifest, chunks_uploaded: uploaded, bytes_uploaded }))
}

#[cfg(test)]
mod tests {
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use super::*;

    #[test]
    fn chunk_sizes_aim_at_32_chunks_and_stay_stable() {
        assert_eq!(chunk_pages_for(100, None), 64);
        assert_eq!(chunk_pages_for(6_104, None), 256, "25 MB of 4 KiB pages");
        assert_eq!(chunk_pages_for(1 << 20, None), 1024);
        let previous = Manifest {
            protocol: SnapshotProtocol::Sqld,
            database: 1,
            created_at_ms: 0,
            page_size: 4096,
            page_count: 6_104,
            chunk_pages: 256,
            position: "rev:1".parse().unwrap(),
            chunks: vec![[0; 32]; 24],
        };
        assert_eq!(chunk_pages_for(9_000, Some(&previous)), 256, "kept while the chunk count is reasonable");
        assert_eq!(chunk_pages_for(100_000, Some(&previous)), 1024);
    }
}
