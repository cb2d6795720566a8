//! Runs SQLite's open path once per instance on a throwaway database, so that a cold start's first
//! open of its replica does not pay for it. In wasm, V8 compiles each function on its first call:
//! the parser, the schema loader, the VDBE and the B-tree code cost about 25 ms (Node 22, workerd)
//! the first time a connection opens, and almost nothing after. A bootstrap runs this while its
//! first request is on the network (`Engine::pull`), where the isolate would otherwise sit idle.

use std::sync::atomic::{AtomicBool, Ordering};

use rusqlite::{Connection, OpenFlags};

use super::rows;

static WARMED: AtomicBool = AtomicBool::new(false);

/// The memdb file of the throwaway database (local databases live under `/libsql-edge/`).
const URI: &str = "file:/libsql-edge-warm-up?vfs=memdb";

/// Whether `warm_up` has run in this instance.
pub fn warmed() -> bool {
    WARMED.load(Ordering::Relaxed)
}

/// Opens a throwaway database the way a replica's connection opens (the pragmas, the schema parsed
/// by a second connection, the schema check, a point select), once per instance. A failure only
/// means the first real open pays for what this would have done.
pub fn warm_up() -> rusqlite::Result<()> {
    if WARMED.swap(true, Ordering::Relaxed) {
        return Ok(());
    }
    open_like_a_replica()
}

fn open_like_a_replica() -> rusqlite::Result<()> {
    let flags = OpenFlags::SQLITE_OPEN_URI | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    // The writer keeps the memdb file alive until the reader is done; both drop at the end.
    let writer =
        Connection::open_with_flags(URI, flags | OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE)?;
    writer.execute_batch(
        "CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, v TEXT); CREATE INDEX IF NOT EXISTS t_v ON t(v);",
    )?;
    let reader = Connection::open_with_flags(URI, flags | OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    reader.execute_batch("PRAGMA cache_size = -2000; PRAGMA temp_store = MEMORY;")?;
    rows::schema_text_is_utf8(&reader)?;
    reader.prepare("SELECT id, v FROM t WHERE id = ?1")?.query([1])?.next()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn warms_up_once_and_the_open_succeeds_each_time() {
        // Whichever test ran first may have warmed up already; the open itself is checked here.
        super::warm_up().unwrap();
        assert!(super::warmed());
        super::open_like_a_replica().unwrap();
        super::open_like_a_replica().unwrap();
    }
}
