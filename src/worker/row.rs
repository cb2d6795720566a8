//! Typed access to results: [`Row`] is a borrowed view of one row of a [`ResultSet`];
//! `row.get::<T>("column")` converts one value and `rs.rows_as::<T>()` deserializes every row
//! into `T` with serde (see `de` for the conversion rules). Conversion failures are
//! [`Error::Decode`] (code `ROW_DECODE`) naming the column.

use serde::Deserialize;

use super::de::{RowDeserializer, ValueDeserializer};
use crate::client::ResultSet;
use crate::error::{Error, Result};
use crate::value::Value;

/// Names a column: by name (`&str`, `String`) or by position (`usize`).
pub trait ColumnIndex: std::fmt::Display {
    /// The column's position in `columns`, if it is there.
    fn position(&self, columns: &[String]) -> Option<usize>;
}

impl ColumnIndex for usize {
    fn position(&self, columns: &[String]) -> Option<usize> {
        (*self < columns.len()).then_some(*self)
    }
}

impl ColumnIndex for &str {
    fn position(&self, columns: &[String]) -> Option<usize> {
        columns.iter().position(|c| c == self)
    }
}

impl ColumnIndex for String {
    fn position(&self, columns: &[String]) -> Option<usize> {
        self.as_str().position(columns)
    }
}

/// One row of a result set, borrowed from it.
#[derive(Debug, Clone, Copy)]
pub struct Row<'a> {
    columns: &'a [String],
    values: &'a [Value],
}

impl<'a> Row<'a> {
    /// A row of `values` under `columns`.
    pub fn new(columns: &'a [String], values: &'a [Value]) -> Row<'a> {
        Row { columns, values }
    }

    /// The value of `column` as it came from SQLite.
    pub fn value(&self, column: impl ColumnIndex) -> Result<&'a Value> {
        self.locate(&column)
    }

    fn locate(&self, column: &dyn ColumnIndex) -> Result<&'a Value> {
        column
            .position(self.columns)
            .and_then(|i| self.values.get(i))
            .ok_or_else(|| Error::Decode { column: column.to_string(), message: "no such column in the result".into() })
    }

    /// The value of `column` converted to `T`: `row.get::<i64>("id")`, `row.get::<Option<String>>(1)`.
    pub fn get<T: Deserialize<'a>>(&self, column: impl ColumnIndex) -> Result<T> {
        let value = self.locate(&column)?;
        T::deserialize(ValueDeserializer(value))
            .map_err(|e| Error::Decode { column: column.to_string(), message: e.to_string() })
    }

    /// The whole row as `T`: a struct or map (fields by column name) or a tuple (by position).
    pub fn deserialize<T: Deserialize<'a>>(&self) -> Result<T> {
        Ok(T::deserialize(RowDeserializer { columns: self.columns, values: self.values })?)
    }

    /// The column names.
    pub fn columns(&self) -> &'a [String] {
        self.columns
    }

    /// The values, one per column.
    pub fn values(&self) -> &'a [Value] {
        self.values
    }

    /// The number of columns.
    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// Whether the row has no columns.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }
}

impl ResultSet {
    /// Row `i`, if there is one.
    pub fn row(&self, i: usize) -> Option<Row<'_>> {
        self.rows.get(i).map(|values| Row::new(&self.columns, values))
    }

    /// The rows, as typed views.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = Row<'_>> + '_ {
        self.rows.iter().map(|values| Row::new(&self.columns, values))
    }

    /// Every row deserialized into `T` (a struct whose fields are named like the columns, a map,
    /// or a tuple): `let posts: Vec<Post> = rs.rows_as()?`.
    pub fn rows_as<'a, T: Deserialize<'a>>(&'a self) -> Result<Vec<T>> {
        self.iter().map(|row| row.deserialize()).collect()
    }
}
