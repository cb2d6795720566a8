//! A result set as one compact buffer in wasm memory, which the shim decodes in one pass
//! (js/packed.ts) instead of one boundary crossing per value. Every number is little-endian;
//! offsets are from the start of the buffer:
//!
//! | offset | width | field |
//! |---|---|---|
//! | 0 | 4 | u32: total length of the buffer in bytes |
//! | 4 | 4 | u32: column count `C` |
//! | 8 | 4 | u32: row count `R` |
//! | 12 | 8 | f64: rows affected |
//! | 20 | 1 | u8: 1 if a last insert rowid follows, else 0 |
//! | 21 | 8 | i64: last insert rowid (0 when absent) |
//! | 29 | 4 | u32: bookmark length in bytes, `0xFFFF_FFFF` for none; the UTF-8 bytes follow |
//!
//! then `C` column names and `C` declared types, each a u32 byte length and UTF-8 bytes; then the
//! `R × C` values row by row, each a u8 tag and its payload: 0 NULL (none), 1 INTEGER (i64),
//! 2 REAL (f64), 3 TEXT (u32 length, UTF-8 bytes), 4 BLOB (u32 length, bytes).

use crate::client::ResultSet;
use crate::value::Value;

/// Value tags.
const NULL: u8 = 0;
const INTEGER: u8 = 1;
const REAL: u8 = 2;
const TEXT: u8 = 3;
const BLOB: u8 = 4;

fn put_u32(out: &mut Vec<u8>, n: usize) {
    // Lengths inside wasm memory (4 GiB at most) fit a u32.
    out.extend_from_slice(&(n as u32).to_le_bytes());
}

fn put_bytes(out: &mut Vec<u8>, bytes: &[u8]) {
    put_u32(out, bytes.len());
    out.extend_from_slice(bytes);
}

/// Packs `rs` into `out` (cleared first).
pub fn pack(rs: &ResultSet, out: &mut Vec<u8>) {
    out.clear();
    put_u32(out, 0);
    put_u32(out, rs.columns.len());
    put_u32(out, rs.rows.len());
    out.extend_from_slice(&(rs.rows_affected as f64).to_le_bytes());
    out.push(u8::from(rs.last_insert_rowid.is_some()));
    out.extend_from_slice(&rs.last_insert_rowid.unwrap_or(0).to_le_bytes());
    match &rs.bookmark {
        Some(b) => put_bytes(out, b.as_bytes()),
        None => out.extend_from_slice(&u32::MAX.to_le_bytes()),
    }
    for name in &rs.columns {
        put_bytes(out, name.as_bytes());
    }
    for decltype in &rs.column_types {
        put_bytes(out, decltype.as_bytes());
    }
    for row in &rs.rows {
        for value in row {
            match value {
                Value::Null => out.push(NULL),
                Value::Integer(i) => {
                    out.push(INTEGER);
                    out.extend_from_slice(&i.to_le_bytes());
                }
                Value::Real(f) => {
                    out.push(REAL);
                    out.extend_from_slice(&f.to_le_bytes());
                }
                Value::Text(s) => {
                    out.push(TEXT);
                    put_bytes(out, s.as_bytes());
                }
                Value::Blob(b) => {
                    out.push(BLOB);
                    put_bytes(out, b);
                }
            }
        }
    }
    let len = (out.len() as u32).to_le_bytes();
    out[..4].copy_from_slice(&len);
}
