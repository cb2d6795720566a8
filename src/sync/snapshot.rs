//! The snapshot tier: replica images that isolates of one colo share through a store (the Workers
//! Cache API, an R2 bucket, any get/put object), so a cold replica starts from what a neighbour
//! already fetched and pulls only the tail from the primary. The format (manifest and chunks,
//! content-addressed by SHA-256) is `crate::protocol::snapshot`.
//!
//! Invariants: a snapshot is only installed after every chunk it names arrived and verified
//! (`load`); a publish writes chunks first and the manifest last, and writes no manifest if the
//! replica moved while its chunks were read, so a manifest never mixes positions (`publish`); a bad
//! or missing snapshot costs time, never correctness (the caller bootstraps from the primary).

mod load;
mod publish;

use std::cell::RefCell;
use std::collections::BTreeMap;

pub use load::{chunk, load, load_image, manifest, Loaded, Miss};
pub use publish::{chunk_pages_for, publish, Published};

use crate::transport::{Body, BoxFuture};

/// How a store call failed (the message never holds a secret).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreError(pub String);

/// An object read from a store.
pub struct Object {
    /// Its bytes, read in chunks, so a large object is never copied whole.
    pub body: Body,
    /// Its SHA-256, when the store's runtime computed it natively (WebCrypto); the loader then
    /// checks this instead of hashing the bytes in wasm.
    pub sha256: Option<[u8; 32]>,
}

/// Where snapshots live. Keys are `crate::protocol::snapshot`'s (`<database>/manifest`,
/// `<database>/chunk/<sha256>`). Implementations map them onto their store.
pub trait SnapshotStore {
    /// The object at `key`, or `None` when there is none or it is longer than `max_len` (the reader
    /// then does without it).
    fn get(&self, key: &str, max_len: u64) -> BoxFuture<'_, Result<Option<Object>, StoreError>>;
    /// Stores `bytes` at `key` (overwriting).
    fn put(&self, key: &str, bytes: Vec<u8>) -> BoxFuture<'_, Result<(), StoreError>>;
    /// The SHA-256 of `bytes` computed natively by the runtime, if it can (`None`: hash in wasm).
    fn sha256(&self, _bytes: &[u8]) -> BoxFuture<'_, Option<[u8; 32]>> {
        Box::pin(std::future::ready(None))
    }
}

/// A store in memory (native embedding and tests; the JS package passes the runtime's stores).
#[derive(Debug, Default)]
pub struct MemoryStore {
    objects: RefCell<BTreeMap<String, Vec<u8>>>,
}

impl MemoryStore {
    /// The object at `key`, for tests.
    pub fn object(&self, key: &str) -> Option<Vec<u8>> {
        self.objects.borrow().get(key).cloned()
    }

    /// Replaces or removes an object directly (tests that damage a snapshot).
    pub fn set(&self, key: &str, bytes: Option<Vec<u8>>) {
        match bytes {
            Some(b) => self.objects.borrow_mut().insert(key.to_string(), b),
            None => self.objects.borrow_mut().remove(key),
        };
    }

    /// Every key, for tests.
    pub fn keys(&self) -> Vec<String> {
        self.objects.borrow().keys().cloned().collect()
    }
}

impl SnapshotStore for MemoryStore {
    fn get(&self, key: &str, max_len: u64) -> BoxFuture<'_, Result<Option<Object>, StoreError>> {
        let object = self.objects.borrow().get(key).filter(|b| b.len() as u64 <= max_len).cloned();
        Box::pin(std::future::ready(Ok(object.map(|b| Object { body: Body::from_bytes(b), sha256: None }))))
    }

    fn put(&self, key: &str, bytes: Vec<u8>) -> BoxFuture<'_, Result<(), StoreError>> {
        self.objects.borrow_mut().insert(key.to_string(), bytes);
        Box::pin(std::future::ready(Ok(())))
    }
}
