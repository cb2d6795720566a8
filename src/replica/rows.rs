//! `Rows`: the result of a local query (column names, declared types, typed values).

use crate::value::Value;

/// Whether the schema's SQL text is UTF-8. rusqlite `expect`s column names and declared types
/// to be UTF-8 (a panic natively, an abort in wasm); both are cut from that text at ASCII token
/// boundaries, so valid text gives valid names. Damaged or hostile pages can make it invalid: that
/// is reported as corruption (`Replica::check_schema`) before any statement reads a name.
pub(crate) fn schema_text_is_utf8(conn: &rusqlite::Connection) -> rusqlite::Result<bool> {
    let mut stmt = conn.prepare_cached("SELECT sql FROM sqlite_schema WHERE sql IS NOT NULL")?;
    let mut rows = stmt.raw_query();
    while let Some(row) = rows.next()? {
        if let rusqlite::types::ValueRef::Text(text) = row.get_ref(0)? {
            if std::str::from_utf8(text).is_err() {
                return Ok(false);
            }
        }
    }
    Ok(true)
}

/// The error for a schema whose SQL text is not UTF-8.
pub(crate) fn schema_not_utf8() -> crate::error::Error {
    crate::error::Error::Sqlite(rusqlite::Error::SqliteFailure(
        rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_CORRUPT),
        Some("malformed database schema: its SQL text is not UTF-8".into()),
    ))
}

/// The result of a read-only statement run on the replica.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Rows {
    /// Column names, in order.
    pub columns: Vec<String>,
    /// Declared column types (`None` for expressions), as `@libsql/client`'s `columnTypes` wants.
    pub decltypes: Vec<Option<String>>,
    /// The rows; each has one value per column.
    pub rows: Vec<Vec<Value>>,
}

/// Where the rows of a read go, value by value, without building them (`Rows` collects them; the
/// wasm layer packs them straight into one buffer for JS).
pub trait RowSink {
    /// A row of `width` values starts; its values follow.
    fn row(&mut self, width: usize);
    /// The next value of the current row.
    fn value(&mut self, value: rusqlite::types::ValueRef<'_>);
    /// After the last row: one call per column, in order.
    fn column(&mut self, name: &str, decltype: Option<&str>);
}

impl RowSink for Rows {
    fn row(&mut self, width: usize) {
        self.rows.push(Vec::with_capacity(width));
    }

    fn value(&mut self, value: rusqlite::types::ValueRef<'_>) {
        if let Some(row) = self.rows.last_mut() {
            row.push(Value::from(value));
        }
    }

    fn column(&mut self, name: &str, decltype: Option<&str>) {
        self.columns.push(name.to_string());
        self.decltypes.push(decltype.map(str::to_string));
    }
}

impl Rows {
    /// Collects every row of `stmt` run with `params`.
    pub(crate) fn collect(stmt: &mut rusqlite::Statement<'_>, params: Params<'_>) -> rusqlite::Result<Rows> {
        let mut rows = Rows::default();
        stream(stmt, params, &mut rows)?;
        Ok(rows)
    }
}

/// Runs `stmt` with `params` into `sink`. Column names and types are read after stepping: a step
/// may re-prepare the statement against a newer schema (`SELECT *` after `ALTER TABLE ... ADD
/// COLUMN`), and only then is its metadata current.
pub(crate) fn stream(
    stmt: &mut rusqlite::Statement<'_>,
    params: Params<'_>,
    sink: &mut dyn RowSink,
) -> rusqlite::Result<()> {
    params.bind(stmt)?;
    let mut cursor = stmt.raw_query();
    while let Some(row) = cursor.next()? {
        let width = row.as_ref().column_count();
        sink.row(width);
        for i in 0..width {
            sink.value(row.get_ref(i)?);
        }
    }
    drop(cursor);
    for column in stmt.columns() {
        sink.column(column.name(), column.decl_type());
    }
    Ok(())
}

/// Statement parameters: positional values, or named ones (`:x`, `@x`, `$x`; a name given without
/// its prefix matches any of them, as on sqld).
#[derive(Debug, Clone, Copy, Default)]
pub struct Params<'a> {
    /// Values for `?`, `?NNN` in order.
    pub positional: &'a [Value],
    /// Values by name.
    pub named: &'a [(String, Value)],
}

impl Params<'_> {
    /// Binds every value; a count or name the statement does not have is `SQLITE_RANGE`.
    fn bind(&self, stmt: &mut rusqlite::Statement<'_>) -> rusqlite::Result<()> {
        let expected = stmt.parameter_count();
        if self.named.is_empty() {
            if self.positional.len() != expected {
                return Err(rusqlite::Error::InvalidParameterCount(self.positional.len(), expected));
            }
            for (i, v) in self.positional.iter().enumerate() {
                stmt.raw_bind_parameter(i + 1, v)?;
            }
            return Ok(());
        }
        if !self.positional.is_empty() || self.named.len() != expected {
            return Err(rusqlite::Error::InvalidParameterCount(self.positional.len() + self.named.len(), expected));
        }
        for (name, v) in self.named {
            let index = if name.starts_with([':', '@', '$']) {
                stmt.parameter_index(name)?
            } else {
                [":", "@", "$"].iter().find_map(|p| stmt.parameter_index(&format!("{p}{name}")).ok().flatten())
            };
            let index = index.ok_or_else(|| rusqlite::Error::InvalidParameterName(name.clone()))?;
            stmt.raw_bind_parameter(index, v)?;
        }
        Ok(())
    }
}
