//! The checks every target that installs pages makes on a `Replica`:
//! - a refused install leaves it exactly as it was ([`Snapshot`]: `export()` bytes, position,
//!   shape, memory);
//! - an accepted one holds exactly the pages it was given ([`masked`] hides the header bytes the
//!   replica rewrites on page 1);
//! - whatever it holds, readers can run `integrity_check`, read the schema and every table without
//!   a crash ([`exercise`]); corruption must come back as an error or a report, never a panic.

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;

use libsql_edge::protocol::Position;
use libsql_edge::replica::{Shape, PATCHED_RANGES};
use libsql_edge::sync::Sink;
use libsql_edge::{ApplyOutcome, CommittedPages, Replica, ReplicaConfig, Value};

/// The observable state of a replica.
#[derive(Debug, Clone, PartialEq)]
pub struct Snapshot {
    /// `export()`: the whole database file.
    pub export: Vec<u8>,
    /// The installed position.
    pub position: Option<Position>,
    /// Page size and page count.
    pub shape: Shape,
    /// Page bytes held, queued applies included.
    pub memory: u64,
    /// The position pulls continue from.
    pub newest: Option<Position>,
}

impl Snapshot {
    /// Reads the state of `replica`.
    pub fn of(replica: &Replica) -> Snapshot {
        Snapshot {
            export: replica.export(),
            position: replica.position(),
            shape: replica.shape(),
            memory: replica.memory_bytes(),
            newest: replica.newest_position(),
        }
    }
}

/// Panics unless `replica` is exactly as `before` (after a refused install).
pub fn assert_unchanged(before: &Snapshot, replica: &Replica, what: &dyn std::fmt::Display) {
    let after = Snapshot::of(replica);
    if after != *before {
        panic!(
            "{what} was refused but changed the replica: position {:?} -> {:?}, shape {:?} -> {:?}, \
             {} -> {} bytes, export equal: {}",
            before.position,
            after.position,
            before.shape,
            after.shape,
            before.memory,
            after.memory,
            before.export == after.export
        );
    }
}

/// A database image with the bytes the replica rewrites on page 1 zeroed (`PATCHED_RANGES`, and
/// the in-header page count at 28..32, which it corrects when stale).
pub fn masked(image: &[u8]) -> Vec<u8> {
    let mut image = image.to_vec();
    for r in PATCHED_RANGES.iter().cloned().chain([28..32]) {
        if image.len() >= r.end {
            image[r].fill(0);
        }
    }
    image
}

/// What a reader saw.
#[derive(Debug, Default)]
pub struct Exercise {
    /// `PRAGMA integrity_check` answered exactly `ok`.
    pub integrity_ok: bool,
    /// `sources::CHECK_QUERY`'s row, if it ran.
    pub check: Option<Vec<Value>>,
}

/// Runs what a reader would on `replica`: `integrity_check`, the schema, a bounded read of every
/// table, and `check_query`. Any error is fine (a corrupt database must fail cleanly); a panic or a
/// sanitizer report is the finding.
pub fn exercise(replica: &mut Replica, check_query: &str) -> Exercise {
    let integrity_ok = matches!(
        replica.query("PRAGMA integrity_check", &[]),
        Ok(rows) if rows.rows == vec![vec![Value::Text("ok".into())]]
    );
    let _ = replica.query("PRAGMA quick_check", &[]);
    if let Ok(schema) = replica.query("SELECT type, name, tbl_name, sql FROM sqlite_schema", &[]) {
        for row in schema.rows.iter().take(16) {
            if let (Some(Value::Text(kind)), Some(Value::Text(name))) = (row.first(), row.get(1)) {
                if kind == "table" {
                    let quoted = name.replace('"', "\"\"");
                    let _ = replica.query(&format!("SELECT * FROM \"{quoted}\" LIMIT 64"), &[]);
                    let _ = replica.query(&format!("SELECT count(*) FROM \"{quoted}\""), &[]);
                }
            }
        }
    }
    let check = replica.query(check_query, &[]).ok().and_then(|r| r.rows.into_iter().next());
    Exercise { integrity_ok, check }
}

/// The file a replica holding `before` (pages of `page_size` bytes) must hold after installing
/// `committed`: its pages written over (or, with `replace`, instead of) the old ones, last one
/// wins, cut or extended to `db_size_pages`. `None` when a page the result needs is absent (the
/// install must then have been refused).
pub fn expected_after(before: &[u8], page_size: usize, committed: &CommittedPages) -> Option<Vec<u8>> {
    let old: Vec<&[u8]> =
        if committed.replace || page_size == 0 { Vec::new() } else { before.chunks(page_size).collect() };
    let mut pages: BTreeMap<u32, &[u8]> = old.iter().zip(1u32..).map(|(p, n)| (n, *p)).collect();
    for p in &committed.pages {
        if p.pgno <= committed.db_size_pages {
            pages.insert(p.pgno, &p.data);
        }
    }
    let mut image = Vec::new();
    for pgno in 1..=committed.db_size_pages {
        image.extend_from_slice(pages.get(&pgno)?);
    }
    Some(image)
}

/// A `Sink` (what a sync installs into) that checks every install: a refused one must leave the
/// replica exactly as it was, an accepted one must leave exactly the pages it carried.
pub struct CheckedSink {
    /// The replica synced into.
    pub replica: RefCell<Replica>,
    /// Installs accepted so far.
    pub installs: Cell<u32>,
}

impl CheckedSink {
    /// A sink around a new empty replica.
    pub fn new(config: ReplicaConfig) -> CheckedSink {
        let replica = Replica::open(config).unwrap_or_else(|e| panic!("harness: open replica: {e}"));
        CheckedSink { replica: RefCell::new(replica), installs: Cell::new(0) }
    }
}

impl Sink for CheckedSink {
    fn newest_position(&self) -> Option<Position> {
        self.replica.borrow().newest_position()
    }

    fn held_bytes(&self) -> u64 {
        self.replica.borrow().memory_bytes()
    }

    fn budget(&self) -> u64 {
        self.replica.borrow().memory_budget()
    }

    fn install(&self, committed: CommittedPages) -> libsql_edge::Result<ApplyOutcome> {
        let before = Snapshot::of(&self.replica.borrow());
        let page_size = committed
            .pages
            .iter()
            .find(|p| p.pgno == 1)
            .map(|p| p.data.len())
            .or(before.shape.page_size.map(|s| s as usize))
            .unwrap_or(0);
        let base = if before.shape.db_size_pages == 0 || committed.replace { &[][..] } else { &before.export[..] };
        let expected = expected_after(base, page_size, &committed);
        let position = Some(committed.position.clone());
        let what = format!("apply of {} pages", committed.pages.len());
        let result = self.replica.borrow_mut().apply(committed);
        let replica = self.replica.borrow();
        match &result {
            Err(e) => assert_unchanged(&before, &replica, &format!("{what} ({e})")),
            Ok(ApplyOutcome::Applied) => {
                self.installs.set(self.installs.get() + 1);
                assert_eq!(replica.position(), position, "{what}: position");
                let export = replica.export();
                assert_eq!(export.len() as u64, replica.shape().bytes(), "{what}: file size");
                let expected = expected.unwrap_or_else(|| panic!("{what} was installed although a page is missing"));
                assert!(masked(&export) == masked(&expected), "{what}: the replica does not hold the pages given");
            }
            Ok(ApplyOutcome::Queued) => assert_eq!(replica.export(), before.export, "{what}: queued but visible"),
        }
        result
    }
}
