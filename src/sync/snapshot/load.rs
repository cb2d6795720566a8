//! Loading a snapshot: the newest manifest of the database, then every chunk it names, a few at a
//! time, each verified against its SHA-256 as its bytes arrive and cut into pages. Nothing is
//! installed here: the caller installs the result as one whole-database replacement, or falls back
//! to the primary when the snapshot is missing, foreign, too large or damaged.

use futures_util::stream::{self, StreamExt};
use sha2::{Digest, Sha256};

use super::{SnapshotStore, StoreError};
use crate::protocol::chunks::Pending;
use crate::protocol::snapshot::{chunk_key, manifest_key, Manifest, DIGEST_LEN};
use crate::replica::{CommittedPages, Page};
use crate::sync::ProtocolKind;
use crate::transport::Body;

/// The largest manifest read (a manifest lists 32 bytes per chunk).
const MAX_MANIFEST_LEN: u64 = 4 << 20;

/// A verified snapshot, ready to install.
#[derive(Debug)]
pub struct Loaded {
    /// Every page, as one whole-database replacement at the manifest's position.
    pub committed: CommittedPages,
    /// The manifest it came from.
    pub manifest: Manifest,
    /// Bytes read from the store.
    pub bytes: u64,
}

/// Why a snapshot was not used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Miss {
    /// The store has no manifest for the database.
    NoManifest,
    /// The manifest cannot be decoded, or belongs to another database or protocol.
    Unusable(String),
    /// The image is larger than the memory the replica may use.
    OverBudget,
    /// A chunk is missing (evicted) or does not match its checksum.
    BadChunk(String),
    /// The store failed.
    Store(StoreError),
}

fn protocol_matches(manifest: &Manifest, kind: ProtocolKind) -> bool {
    use crate::protocol::snapshot::SnapshotProtocol as P;
    matches!(
        (manifest.protocol, kind),
        (P::Sqld, ProtocolKind::Sqld)
            | (P::HttpSync, ProtocolKind::HttpSync)
            | (P::PullUpdates, ProtocolKind::PullUpdates)
    )
}

/// Reads a body whole (a manifest).
async fn read_all(mut body: Body) -> Result<Vec<u8>, Miss> {
    let mut out = Vec::new();
    while let Some(chunk) = body.next_chunk().await.map_err(|e| Miss::Store(StoreError(e.to_string())))? {
        out.extend_from_slice(&chunk);
    }
    Ok(out)
}

/// The newest manifest of `database`, if the store has a usable one for `kind` (any protocol when
/// the replica's protocol is not known yet).
pub async fn manifest(store: &dyn SnapshotStore, database: u64, kind: Option<ProtocolKind>) -> Result<Manifest, Miss> {
    let object = store.get(&manifest_key(database), MAX_MANIFEST_LEN).await.map_err(Miss::Store)?;
    let bytes = read_all(object.ok_or(Miss::NoManifest)?.body).await?;
    let manifest = Manifest::decode(&bytes).map_err(|e| Miss::Unusable(e.to_string()))?;
    if manifest.database != database {
        return Err(Miss::Unusable("the manifest belongs to another database".into()));
    }
    if kind.is_some_and(|k| !protocol_matches(&manifest, k)) {
        return Err(Miss::Unusable("the manifest belongs to another protocol".into()));
    }
    Ok(manifest)
}

/// The pages of chunk `index` of `manifest`, verified against its checksum.
pub async fn chunk(
    store: &dyn SnapshotStore,
    database: u64,
    manifest: &Manifest,
    index: u32,
) -> Result<Vec<Page>, Miss> {
    let digest: &[u8; DIGEST_LEN] =
        manifest.chunks.get(index as usize).ok_or_else(|| Miss::BadChunk(format!("no chunk {index}")))?;
    let (first, count) = manifest.chunk_range(index);
    let page_size = manifest.page_size as usize;
    let expected = count as u64 * page_size as u64;
    let object = store
        .get(&chunk_key(database, digest), expected)
        .await
        .map_err(Miss::Store)?
        .ok_or_else(|| Miss::BadChunk(format!("chunk {index} is missing")))?;
    let (mut body, native) = (object.body, object.sha256);
    let mut hasher = native.is_none().then(Sha256::new);
    let mut pending = Pending::default();
    let mut pages = Vec::with_capacity(count as usize);
    let mut received = 0u64;
    while let Some(bytes) = body.next_chunk().await.map_err(|e| Miss::Store(StoreError(e.to_string())))? {
        received += bytes.len() as u64;
        if received > expected {
            return Err(Miss::BadChunk(format!("chunk {index} is longer than its {count} pages")));
        }
        if let Some(h) = &mut hasher {
            h.update(&bytes);
        }
        pending.push(&bytes);
        while let Some(data) = pending.take(page_size) {
            pages.push(Page { pgno: first + pages.len() as u32, data });
        }
    }
    let actual: Option<[u8; DIGEST_LEN]> = match hasher {
        Some(h) => Some(h.finalize().into()),
        None => native,
    };
    if received != expected || actual.as_ref() != Some(digest) {
        return Err(Miss::BadChunk(format!("chunk {index} does not match its checksum")));
    }
    Ok(pages)
}

/// Loads the newest snapshot of `database` if its image fits in `limit` bytes: fetches its chunks
/// `parallel` at a time and verifies each.
pub async fn load(
    store: &dyn SnapshotStore,
    database: u64,
    kind: Option<ProtocolKind>,
    limit: u64,
    parallel: usize,
) -> Result<Loaded, Miss> {
    let manifest = manifest(store, database, kind).await?;
    if manifest.image_bytes() > limit {
        return Err(Miss::OverBudget);
    }
    load_image(store, database, manifest, parallel).await
}

/// Every chunk of `manifest`, fetched `parallel` at a time and verified, as one install.
pub async fn load_image(
    store: &dyn SnapshotStore,
    database: u64,
    manifest: Manifest,
    parallel: usize,
) -> Result<Loaded, Miss> {
    let count = manifest.chunks.len() as u32;
    let mut fetched =
        stream::iter(0..count).map(|i| chunk(store, database, &manifest, i)).buffer_unordered(parallel.max(1));
    let mut pages = Vec::with_capacity(manifest.page_count as usize);
    while let Some(result) = fetched.next().await {
        pages.extend(result?);
    }
    drop(fetched);
    let committed = CommittedPages {
        replace: true,
        position: manifest.position.clone(),
        db_size_pages: manifest.page_count,
        pages,
        dropped: Vec::new(),
    };
    let bytes = manifest.image_bytes();
    Ok(Loaded { committed, manifest, bytes })
}
