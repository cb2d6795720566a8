//! `Replica::apply` / `Replica::bootstrap` (`src/replica.rs`) with arbitrary page sets. A plan of
//! operations, built with `arbitrary`, mixes real transactions (the pages that take one state of
//! a source database to another, `sources.rs`), damaged ones (pages dropped, bytes changed, sizes
//! wrong, pages from another state or history) and raw pages, plus read transactions that make
//! applies queue. After every operation:
//! - a refused install left the replica exactly as it was (export bytes, position, shape, memory);
//! - an accepted one holds exactly the pages it was given (a model of the file, header bytes the
//!   replica rewrites masked) at the position it was given;
//! - readers never crash: `integrity_check`, the schema and every table are read;
//! - when the installed file is one of the source states, `integrity_check` is `ok` and the
//!   source's check query gives the same answer.
//!
//! The replica trusts page contents (they come checksummed from the primary): a damaged page
//! set may install a database that fails `integrity_check`; that must surface as a report or an
//! error to readers, never as a crash.
#![no_main]
use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use libsql_edge::protocol::{Position, Revision};
use libsql_edge::{ApplyOutcome, CommittedPages, Page, Replica, ReplicaConfig};
use libsql_edge_fuzz::replica_check::{assert_unchanged, exercise, expected_after, masked, Snapshot};
use libsql_edge_fuzz::sources::{histories, History, CHECK_QUERY};

#[derive(Arbitrary, Debug)]
struct Plan {
    budget_kib: Option<u16>,
    ops: Vec<Op>,
}

#[derive(Arbitrary, Debug)]
enum Op {
    /// Bootstrap from a state's image, maybe damaged or cut.
    Bootstrap { history: u8, state: u8, owned: bool, edits: Vec<Edit>, cut: Option<u16> },
    /// The pages that take state `from` (`None`: empty) to state `to`: a real transaction when the
    /// replica is at `from`. Optionally one page is left out, bytes changed, the size changed.
    Diff { history: u8, from: Option<u8>, to: u8, replace: bool, skip: Option<u8>, size_delta: i8, edits: Vec<Edit> },
    /// Any pages.
    Pages { replace: bool, db_size_pages: u16, pages: Vec<PageSpec> },
    /// A read on the replica's connection.
    Read(ReadOp),
}

#[derive(Arbitrary, Debug)]
struct Edit {
    page: u8,
    offset: u16,
    value: u8,
}

#[derive(Arbitrary, Debug)]
enum PageSpec {
    /// Page `pgno` of a state, installed as page `as_pgno`.
    FromState { history: u8, state: u8, pgno: u16, as_pgno: u16 },
    /// A page of one byte value; `len: None` is the replica's page size.
    Fill { pgno: u16, byte: u8, len: Option<u16> },
    /// Raw bytes.
    Raw { pgno: u32, data: Vec<u8> },
}

#[derive(Arbitrary, Debug)]
enum ReadOp {
    Begin,
    Commit,
    Rollback,
    Check,
}

fn history(h: u8) -> &'static History {
    let all = histories();
    &all[usize::from(h) % all.len()]
}

fn state_image(h: &History, s: u8) -> &[u8] {
    &h.states[usize::from(s) % h.states.len()].image
}

fn edit(pages: &mut [Page], edits: &[Edit]) {
    for e in edits.iter().take(8) {
        if pages.is_empty() {
            return;
        }
        let n = pages.len();
        let page = &mut pages[usize::from(e.page) % n].data;
        if !page.is_empty() {
            let at = usize::from(e.offset) % page.len();
            page[at] = e.value;
        }
    }
}

/// The model: what the replica's file must be, installed and once queued applies land.
struct Model {
    installed: Vec<u8>,
    page_size: usize,
    queued: Vec<(Vec<u8>, usize)>,
}

impl Model {
    fn newest(&self) -> (&[u8], usize) {
        self.queued.last().map_or((&self.installed, self.page_size), |(f, p)| (f, *p))
    }
}

fn check_readers(replica: &mut Replica, model: &Model) {
    let result = exercise(replica, CHECK_QUERY);
    if !model.queued.is_empty() || replica.in_read_transaction() {
        return; // Mid-transaction the reader sees an older snapshot; skip the state match.
    }
    let file = masked(&model.installed);
    for h in histories() {
        if let Some(state) = h.states.iter().find(|s| masked(&s.image) == file) {
            assert!(result.integrity_ok, "a source state installed but integrity_check fails");
            assert_eq!(result.check.as_ref(), Some(&state.check), "a source state answers differently");
            return;
        }
    }
}

fuzz_target!(|plan: Plan| {
    let config = ReplicaConfig {
        memory_budget_bytes: plan
            .budget_kib
            .map_or(ReplicaConfig::default().memory_budget_bytes, |k| u64::from(k) << 10),
        ..Default::default()
    };
    let mut replica = Replica::open(config).unwrap_or_else(|e| panic!("open: {e}"));
    let mut model = Model { installed: Vec::new(), page_size: 0, queued: Vec::new() };
    for (n, op) in plan.ops.into_iter().take(16).enumerate() {
        let position = Position::Revision(Revision(n.to_string()));
        let before = Snapshot::of(&replica);
        let (newest, newest_page_size) = model.newest();
        // What is installed (`result`) and the file it must give (`expected`, with its page size).
        let (result, expected, what) = match op {
            Op::Read(read) => {
                let sql = match read {
                    ReadOp::Begin => "BEGIN",
                    ReadOp::Commit => "COMMIT",
                    ReadOp::Rollback => "ROLLBACK",
                    ReadOp::Check => CHECK_QUERY,
                };
                let _ = replica.query(sql, &[]);
                if !replica.in_read_transaction() {
                    if let Some((file, page_size)) = model.queued.pop() {
                        model.installed = file;
                        model.page_size = page_size;
                        model.queued.clear();
                    }
                }
                assert!(masked(&replica.export()) == masked(&model.installed), "after {sql}: not the model");
                check_readers(&mut replica, &model);
                continue;
            }
            Op::Bootstrap { history: h, state, owned, edits, cut } => {
                let h = history(h);
                let mut image = state_image(h, state).to_vec();
                let mut pages: Vec<Page> =
                    image.chunks(h.page_size).map(|c| Page { pgno: 0, data: c.to_vec() }).collect();
                edit(&mut pages, &edits);
                image = pages.into_iter().flat_map(|p| p.data).collect();
                if let Some(cut) = cut {
                    image.truncate(usize::from(cut) * 64);
                }
                let page_size = if image.len() >= 18 {
                    match u16::from_be_bytes([image[16], image[17]]) {
                        1 => 65536,
                        s => usize::from(s),
                    }
                } else {
                    0
                };
                let result = if owned {
                    replica.bootstrap_owned(image.clone(), position.clone())
                } else {
                    replica.bootstrap(&image, position.clone())
                };
                (result, Some((image, page_size)), "bootstrap")
            }
            Op::Diff { history: h, from, to, replace, skip, size_delta, edits } => {
                let h = history(h);
                let (diff, size) =
                    h.diff(from.map(|f| usize::from(f) % h.states.len()), usize::from(to) % h.states.len());
                let mut pages: Vec<Page> = diff.into_iter().map(|(pgno, data)| Page { pgno, data }).collect();
                if let Some(skip) = skip {
                    if !pages.is_empty() {
                        let n = pages.len();
                        pages.remove(usize::from(skip) % n);
                    }
                }
                edit(&mut pages, &edits);
                let db_size_pages = size.saturating_add_signed(i32::from(size_delta % 4));
                let committed =
                    CommittedPages { replace, position: position.clone(), db_size_pages, pages, dropped: Vec::new() };
                let expected = expected_after(newest, newest_page_size, &committed).map(|f| (f, h.page_size));
                (replica.apply(committed), expected, "diff")
            }
            Op::Pages { replace, db_size_pages, pages } => {
                let default_size = if newest_page_size == 0 { 4096 } else { newest_page_size };
                let pages: Vec<Page> = pages
                    .into_iter()
                    .take(64)
                    .map(|spec| match spec {
                        PageSpec::FromState { history: h, state, pgno, as_pgno } => {
                            let h = history(h);
                            let image = state_image(h, state);
                            let count = image.len() / h.page_size;
                            let at = usize::from(pgno) % count.max(1) * h.page_size;
                            Page { pgno: u32::from(as_pgno), data: image[at..at + h.page_size].to_vec() }
                        }
                        PageSpec::Fill { pgno, byte, len } => {
                            Page { pgno: u32::from(pgno), data: vec![byte; len.map_or(default_size, usize::from)] }
                        }
                        PageSpec::Raw { pgno, mut data } => {
                            data.truncate(65536);
                            Page { pgno, data }
                        }
                    })
                    .collect();
                let page_size = pages.iter().find(|p| p.pgno == 1).map_or(newest_page_size, |p| p.data.len());
                let committed = CommittedPages {
                    replace,
                    position: position.clone(),
                    db_size_pages: u32::from(db_size_pages),
                    pages,
                    dropped: Vec::new(),
                };
                let base = if replace { (&[][..], page_size) } else { (newest, newest_page_size) };
                let expected = expected_after(base.0, base.1.max(1), &committed).map(|f| (f, page_size));
                (replica.apply(committed), expected, "pages")
            }
        };
        match result {
            Err(e) => assert_unchanged(&before, &replica, &format!("{what} ({e})")),
            Ok(outcome) => {
                let (file, page_size) =
                    expected.unwrap_or_else(|| panic!("{what} installed although a page is missing"));
                match outcome {
                    ApplyOutcome::Applied => {
                        assert_eq!(replica.position(), Some(position), "{what}: position");
                        assert!(masked(&replica.export()) == masked(&file), "{what}: not the pages given");
                        model.installed = file;
                        model.page_size = page_size;
                    }
                    ApplyOutcome::Queued => {
                        assert_eq!(replica.export(), before.export, "{what}: queued but already visible");
                        assert_eq!(replica.newest_position(), Some(position), "{what}: queued position");
                        model.queued.push((file, page_size));
                    }
                }
            }
        }
        check_readers(&mut replica, &model);
    }
});
