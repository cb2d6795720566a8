//! A result set as one compact buffer in wasm memory, which the shim decodes in one pass
//! (js/packed.ts) instead of one boundary crossing per value. A local read's rows are packed
//! straight from SQLite (`Packer` is a `RowSink`). Every number is little-endian; offsets are from
//! the start of the buffer:
//!
//! | offset | width | field |
//! |---|---|---|
//! | 0 | 4 | u32: total length of the buffer in bytes |
//! | 4 | 4 | u32: column count `C` |
//! | 8 | 4 | u32: row count `R` |
//! | 12 | 8 | f64: rows affected |
//! | 20 | 1 | u8: 1 if a last insert rowid follows, else 0 |
//! | 21 | 8 | i64: last insert rowid (0 when absent) |
//! | 29 | 4 | u32: offset of the column section |
//! | 33 | | the `R × C` values, row by row |
//!
//! Each value is a u8 tag and its payload: 0 NULL (none), 1 INTEGER (i64), 2 REAL (f64), 3 TEXT
//! (u32 byte length, UTF-8), 4 BLOB (u32 byte length, bytes). The column section holds the `C`
//! columns in order, each its name and its declared type (`""` for none), both a u32 byte length
//! and UTF-8; then the bookmark: a u32 byte length (`0xFFFF_FFFF` for none) and UTF-8.

use rusqlite::types::ValueRef;

use crate::client::ResultSet;
use crate::replica::RowSink;
use crate::value::Value;

/// Value tags.
const NULL: u8 = 0;
const INTEGER: u8 = 1;
const REAL: u8 = 2;
const TEXT: u8 = 3;
const BLOB: u8 = 4;

/// Where the values start.
const HEADER: usize = 33;

fn put_u32(out: &mut Vec<u8>, n: usize) {
    // Lengths inside wasm memory (4 GiB at most) fit a u32.
    out.extend_from_slice(&(n as u32).to_le_bytes());
}

fn put_bytes(out: &mut Vec<u8>, bytes: &[u8]) {
    put_u32(out, bytes.len());
    out.extend_from_slice(bytes);
}

fn patch_u32(out: &mut [u8], at: usize, n: usize) {
    out[at..at + 4].copy_from_slice(&(n as u32).to_le_bytes());
}

/// Packs a result into a buffer it owns (cleared first): rows as a `RowSink`, then `finish`.
pub struct Packer<'a> {
    out: &'a mut Vec<u8>,
    rows: usize,
    columns: usize,
    /// Where the column section starts, once the first column came.
    column_section: Option<usize>,
}

impl<'a> Packer<'a> {
    /// Starts a result in `out`.
    pub fn new(out: &'a mut Vec<u8>) -> Packer<'a> {
        out.clear();
        out.resize(HEADER, 0);
        Packer { out, rows: 0, columns: 0, column_section: None }
    }

    /// Ends the result (after its columns) with `rows_affected`, the insert rowid and the bookmark.
    pub fn finish(self, rows_affected: u64, last_insert_rowid: Option<i64>, bookmark: Option<&str>) {
        let section = self.column_section.unwrap_or(self.out.len());
        match bookmark {
            Some(b) => put_bytes(self.out, b.as_bytes()),
            None => self.out.extend_from_slice(&u32::MAX.to_le_bytes()),
        }
        let len = self.out.len();
        let out = &mut self.out[..];
        patch_u32(out, 0, len);
        patch_u32(out, 4, self.columns);
        patch_u32(out, 8, self.rows);
        out[12..20].copy_from_slice(&(rows_affected as f64).to_le_bytes());
        out[20] = u8::from(last_insert_rowid.is_some());
        out[21..29].copy_from_slice(&last_insert_rowid.unwrap_or(0).to_le_bytes());
        patch_u32(out, 29, section);
    }
}

impl RowSink for Packer<'_> {
    fn row(&mut self, _width: usize) {
        self.rows += 1;
    }

    fn value(&mut self, value: ValueRef<'_>) {
        let out = &mut *self.out;
        match value {
            ValueRef::Null => out.push(NULL),
            ValueRef::Integer(i) => {
                out.push(INTEGER);
                out.extend_from_slice(&i.to_le_bytes());
            }
            ValueRef::Real(f) => {
                out.push(REAL);
                out.extend_from_slice(&f.to_le_bytes());
            }
            ValueRef::Text(t) => {
                out.push(TEXT);
                // As `Value::from`: invalid UTF-8 (a blob cast to text) stays visible, replaced.
                put_bytes(out, String::from_utf8_lossy(t).as_bytes());
            }
            ValueRef::Blob(b) => {
                out.push(BLOB);
                put_bytes(out, b);
            }
        }
    }

    fn column(&mut self, name: &str, decltype: Option<&str>) {
        if self.column_section.is_none() {
            self.column_section = Some(self.out.len());
        }
        self.columns += 1;
        put_bytes(self.out, name.as_bytes());
        put_bytes(self.out, decltype.unwrap_or("").as_bytes());
    }
}

/// Packs a whole `ResultSet` into `out` (the local database's path).
pub fn pack(rs: &ResultSet, out: &mut Vec<u8>) {
    let mut packer = Packer::new(out);
    for row in &rs.rows {
        packer.row(row.len());
        for value in row {
            packer.value(match value {
                Value::Null => ValueRef::Null,
                Value::Integer(i) => ValueRef::Integer(*i),
                Value::Real(f) => ValueRef::Real(*f),
                Value::Text(s) => ValueRef::Text(s.as_bytes()),
                Value::Blob(b) => ValueRef::Blob(b),
            });
        }
    }
    for (name, decltype) in rs.columns.iter().zip(&rs.column_types) {
        packer.column(name, Some(decltype));
    }
    packer.finish(rs.rows_affected, rs.last_insert_rowid, rs.bookmark.as_deref());
}
