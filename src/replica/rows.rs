//! `Rows`: the result of a local query (column names, declared types, typed values).

use crate::value::Value;

/// Checks that the schema's SQL text is UTF-8. rusqlite `expect`s column names and declared types
/// to be UTF-8 (a panic natively, an abort in wasm); both are cut from that text at ASCII token
/// boundaries, so valid text gives valid names. Damaged or hostile pages can make it invalid: that
/// is reported as corruption before any statement reads a name.
pub(crate) fn check_schema_text(conn: &rusqlite::Connection) -> rusqlite::Result<()> {
    let mut stmt = conn.prepare_cached("SELECT sql FROM sqlite_schema WHERE sql IS NOT NULL")?;
    let mut rows = stmt.raw_query();
    while let Some(row) = rows.next()? {
        if let rusqlite::types::ValueRef::Text(text) = row.get_ref(0)? {
            if std::str::from_utf8(text).is_err() {
                return Err(rusqlite::Error::SqliteFailure(
                    rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_CORRUPT),
                    Some("malformed database schema: its SQL text is not UTF-8".into()),
                ));
            }
        }
    }
    Ok(())
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

impl Rows {
    /// Collects every row of `stmt` run with `params`. Column names and types are read after
    /// stepping: a step may re-prepare the statement against a newer schema (`SELECT *` after
    /// `ALTER TABLE ... ADD COLUMN`), and only then is its metadata current.
    pub(crate) fn collect(stmt: &mut rusqlite::Statement<'_>, params: Params<'_>) -> rusqlite::Result<Rows> {
        params.bind(stmt)?;
        let mut rows = Vec::new();
        let mut cursor = stmt.raw_query();
        while let Some(row) = cursor.next()? {
            let width = row.as_ref().column_count();
            let mut values = Vec::with_capacity(width);
            for i in 0..width {
                values.push(Value::from(row.get_ref(i)?));
            }
            rows.push(values);
        }
        drop(cursor);
        let columns = stmt.column_names().map(str::to_string).collect();
        let decltypes = stmt.columns().map(|c| c.decl_type().map(str::to_string)).collect();
        Ok(Rows { columns, decltypes, rows })
    }
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
