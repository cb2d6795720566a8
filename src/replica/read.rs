//! Reads on a `Replica`: statements and scripts on its one connection, rows collected or streamed
//! into a `RowSink`, pages a partial replica lacks reported as `PagesMissing`, and applies held back
//! by a read transaction installed once it ends.

use super::rows::{self, Params, RowSink, Rows};
use super::vfs::lock;
use super::Replica;
use crate::error::{Error, Result};
use crate::value::Value;

impl Replica {
    /// Runs one read-only statement with positional parameters and returns all its rows. A
    /// statement that is not read-only is refused with `REPLICA_WRITE_REFUSED`. `BEGIN` opens a read
    /// transaction on a stable snapshot; `COMMIT` / `ROLLBACK` end it and install queued applies.
    pub fn query(&mut self, sql: &str, params: &[Value]) -> Result<Rows> {
        self.query_with(sql, Params { positional: params, named: &[] })
    }

    /// `query` with positional or named parameters.
    pub fn query_with(&mut self, sql: &str, params: Params<'_>) -> Result<Rows> {
        let result = self.run(sql, params);
        self.install_queued()?;
        result
    }

    /// `query_with` into `sink` with one statement lookup: `None` when `sql` is not a read the
    /// replica can run (SQLite cannot prepare it here, or does not call it read-only; see
    /// `is_local_read`), else the outcome of running it. A partial replica that lacks a page the
    /// statement needs (schema pages included) gives `PagesMissing`; what reached `sink` before is
    /// then to be thrown away.
    pub fn read_into(&mut self, sql: &str, params: Params<'_>, sink: &mut dyn RowSink) -> Option<Result<()>> {
        lock(&self.store).take_misses();
        let result = match self.conn().is_ok().then(|| self.check_schema()) {
            None => None,
            Some(Err(e)) => Some(Err(e)),
            Some(Ok(())) => (|| {
                let mut stmt = self.conn().ok()?.prepare_cached(sql).ok().filter(|s| s.readonly())?;
                Some(rows::stream(&mut stmt, params, sink).map_err(Error::from))
            })(),
        };
        let result = match result {
            Some(result) => Some(self.missing_or(result)),
            None => match self.take_misses() {
                pages if !pages.is_empty() => Some(Err(Error::PagesMissing { pages })),
                _ => None,
            },
        };
        if let Err(e) = self.install_queued() {
            return Some(Err(e));
        }
        result
    }

    /// Runs a script of read-only statements (no results), refusing it before it runs if any
    /// statement is not read-only.
    pub fn query_script(&mut self, sql: &str) -> Result<()> {
        use rusqlite::fallible_iterator::FallibleIterator as _;
        lock(&self.store).take_misses();
        let result = (|| {
            let mut batch = rusqlite::Batch::new(self.conn()?, sql);
            let mut statements = Vec::new();
            while let Some(stmt) = batch.next()? {
                if !stmt.readonly() {
                    return Err(Error::WriteRefused);
                }
                statements.push(stmt);
            }
            for mut stmt in statements {
                let mut rows = stmt.raw_query();
                while rows.next()?.is_some() {}
            }
            Ok(())
        })();
        self.missing_or(result)
    }

    /// Whether `sql` is one statement that SQLite can prepare on the replica and calls read-only.
    /// Anything else (a write, or SQL the replica cannot prepare, e.g. for a table it does not have
    /// yet) is for the primary to run or to refuse.
    pub fn is_local_read(&self, sql: &str) -> bool {
        self.prepared_readonly(sql).unwrap_or(false)
    }

    /// Whether SQLite calls `sql` read-only, if the replica can prepare it (one statement). A
    /// partial replica that lacks schema pages cannot: `take_misses` then names them.
    pub fn prepared_readonly(&self, sql: &str) -> Option<bool> {
        lock(&self.store).take_misses();
        self.conn().ok()?.prepare_cached(sql).ok().map(|s| s.readonly())
    }

    /// The pages reads found missing since the last statement began (partial replicas).
    pub fn take_misses(&self) -> Vec<u32> {
        lock(&self.store).take_misses()
    }

    fn run(&mut self, sql: &str, params: Params<'_>) -> Result<Rows> {
        lock(&self.store).take_misses();
        let result = self.check_schema().and_then(|()| {
            let mut stmt = self.conn()?.prepare_cached(sql)?;
            if !stmt.readonly() {
                return Err(Error::WriteRefused);
            }
            Ok(Rows::collect(&mut stmt, params)?)
        });
        self.missing_or(result)
    }

    /// Checks the schema's text once per install: SQL that is not UTF-8 is an error, not a panic.
    /// SQLite parsed that schema while preparing the check, and keeps it while the schema cookie
    /// stays the same, even over pages whose text is fine again: a failed check closes the
    /// connection, so the next read parses the schema afresh.
    fn check_schema(&mut self) -> Result<()> {
        if self.schema_checked.get() {
            return Ok(());
        }
        match rows::schema_text_is_utf8(self.conn()?)? {
            true => {
                self.schema_checked.set(true);
                Ok(())
            }
            false => {
                self.conn = std::cell::OnceCell::new();
                Err(rows::schema_not_utf8())
            }
        }
    }

    /// Installs the applies a read transaction held back, once it has ended.
    fn install_queued(&mut self) -> Result<()> {
        if self.queued.is_empty() || self.in_read_transaction() {
            return Ok(());
        }
        let queued = std::mem::take(&mut self.queued);
        self.install(queued)
    }

    /// A failed statement of a partial replica that read a page it lacks is `PagesMissing`.
    fn missing_or<T>(&self, result: Result<T>) -> Result<T> {
        match result {
            Err(e) => match self.take_misses() {
                pages if !pages.is_empty() => Err(Error::PagesMissing { pages }),
                _ => Err(e),
            },
            ok => ok,
        }
    }

    /// True while a transaction is open on the replica's connection.
    pub fn in_read_transaction(&self) -> bool {
        self.conn.get().is_some_and(|c| !c.is_autocommit())
    }

    /// Number of applies waiting for the open read transaction to end.
    pub fn queued_applies(&self) -> usize {
        self.queued.len()
    }
}
