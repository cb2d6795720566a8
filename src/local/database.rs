//! Which local database a URL names, and how its connections open. Everything lives in the
//! isolate's memory; nothing touches a file system.
//!
//! - `:memory:` (also `file::memory:`): private to the client that opened it, gone when it closes
//!   or reconnects, exactly like an in-memory database of `@libsql/client`.
//! - `:memory:?cache=shared`: one in-memory database shared by the clients of the isolate that
//!   name it, gone when the last of them closes.
//! - `file:NAME`: a named database (SQLite's memdb VFS, file `/libsql-edge/NAME`) shared by every
//!   client of the isolate that names the same path, kept until the isolate ends by a keeper
//!   connection in a process-wide registry (so a client closed and created again finds its data).

use std::collections::BTreeMap;
use std::sync::Mutex;

use rusqlite::{Connection, OpenFlags};

use super::exec::sqlite_error;
use crate::error::Result;

/// The named databases kept for the isolate's lifetime: memdb name → keeper connection.
static KEEPERS: Mutex<BTreeMap<String, Connection>> = Mutex::new(BTreeMap::new());

/// TEST ONLY (the wasm trap hook): leaves the registry locked, as a panic inside it would, so every
/// later open of a named database on this instance fails. Only a new instance recovers.
pub fn poison_registry_for_test() {
    std::mem::forget(KEEPERS.lock());
}

/// A local database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Database {
    /// A private in-memory database: one connection, gone with it.
    Private,
    /// A memdb database shared by name; `keep` holds it for the isolate's lifetime.
    Shared {
        /// The memdb file name (starts with `/`, which makes memdb share it).
        name: String,
        /// Keep it after its last client closes.
        keep: bool,
    },
}

/// Percent-encodes what a SQLite URI path cannot hold literally.
fn uri_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/:".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

impl Database {
    /// The database a local URL names: `:memory:`, `file::memory:[?cache=shared|private]` or
    /// `file:PATH`. `None` for anything else.
    pub fn from_url(url: &str) -> Option<Database> {
        let path = if url == ":memory:" { url } else { url.strip_prefix("file:")? };
        if let Some(query) = path.strip_prefix(":memory:") {
            let shared = query.strip_prefix('?').is_some_and(|q| q.split('&').any(|p| p == "cache=shared"));
            return Some(if shared {
                Database::Shared { name: "/libsql-edge/:memory:?cache=shared".into(), keep: false }
            } else {
                Database::Private
            });
        }
        Some(Database::Shared { name: format!("/libsql-edge/{}", path.trim_start_matches('/')), keep: true })
    }

    /// Whether a second connection reaches the same database (a private one cannot have two).
    pub fn shareable(&self) -> bool {
        matches!(self, Database::Shared { .. })
    }

    /// Opens a read-write connection; the first one of a kept database also registers its keeper.
    pub fn connect(&self) -> Result<Connection> {
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = match self {
            Database::Private => Connection::open_in_memory_with_flags(flags).map_err(sqlite_error)?,
            Database::Shared { name, keep } => {
                let uri = format!("file:{}?vfs=memdb", uri_path(name));
                let open = || Connection::open_with_flags(&uri, flags | OpenFlags::SQLITE_OPEN_URI);
                if *keep {
                    let mut keepers = KEEPERS.lock().unwrap_or_else(|e| e.into_inner());
                    if !keepers.contains_key(name) {
                        keepers.insert(name.clone(), open().map_err(sqlite_error)?);
                    }
                }
                open().map_err(sqlite_error)?
            }
        };
        // No busy waiting: in a single-threaded isolate the lock holder cannot progress while this
        // connection waits, so a lock held elsewhere is SQLITE_BUSY at once.
        conn.busy_timeout(std::time::Duration::ZERO).map_err(sqlite_error)?;
        // Journals and temporary tables stay in memory: memdb hands every file but the main one
        // to the default VFS, which natively is the file system.
        conn.execute_batch("PRAGMA journal_mode = MEMORY; PRAGMA temp_store = MEMORY;").map_err(sqlite_error)?;
        Ok(conn)
    }
}

#[cfg(test)]
mod tests {
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use super::*;

    #[test]
    fn urls_name_private_shared_and_kept_databases() {
        assert_eq!(Database::from_url(":memory:"), Some(Database::Private));
        assert_eq!(Database::from_url("file::memory:"), Some(Database::Private));
        assert_eq!(Database::from_url("file::memory:?cache=private"), Some(Database::Private));
        assert!(matches!(Database::from_url("file::memory:?cache=shared"), Some(Database::Shared { keep: false, .. })));
        assert_eq!(
            Database::from_url("file:app.db"),
            Some(Database::Shared { name: "/libsql-edge/app.db".into(), keep: true })
        );
        assert_eq!(Database::from_url("http://x"), None);
        assert_eq!(uri_path("/a b?#%.db"), "/a%20b%3F%23%25.db");
    }

    #[test]
    fn a_kept_database_outlives_its_connections() {
        let db = Database::from_url("file:database-rs-kept.db").unwrap();
        let conn = db.connect().unwrap();
        conn.execute_batch("CREATE TABLE t (x); INSERT INTO t VALUES (1)").unwrap();
        drop(conn);
        let again = db.connect().unwrap();
        let n: i64 = again.query_row("SELECT count(*) FROM t", [], |r| r.get(0)).unwrap();
        assert_eq!(n, 1);
        let private = Database::Private.connect().unwrap();
        assert!(private.execute_batch("SELECT * FROM t").is_err(), "a private database is empty");
    }
}
