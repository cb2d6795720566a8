//! `Rows`: the result of a local query (column names, declared types, typed values).

use crate::value::Value;

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
    pub(crate) fn collect(stmt: &mut rusqlite::Statement<'_>, params: &[Value]) -> rusqlite::Result<Rows> {
        let mut rows = Vec::new();
        let mut cursor = stmt.query(rusqlite::params_from_iter(params))?;
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
