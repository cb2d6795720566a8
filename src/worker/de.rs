//! serde `Deserializer`s over result values: [`ValueDeserializer`] reads one [`Value`] (what
//! `row.get::<T>()` uses) and [`RowDeserializer`] reads a whole row as a map of column name to
//! value (structs, maps) or as a sequence (tuples, arrays). They borrow from the result set, so
//! `&str` and `&[u8]` fields need no copy.
//!
//! Conversions follow SQLite's storage classes: INTEGER to any Rust integer that holds it (serde
//! checks the range), and to `f64`; REAL to `f64` / `f32`; TEXT to `String` / `&str` / unit enum
//! variants; BLOB to `Vec<u8>` / `&[u8]` / `serde_bytes` (and to a sequence of numbers for
//! self-describing targets such as `serde_json::Value`); NULL to `None` / `()`. `bool` reads
//! INTEGER 0 as `false` and any other integer as `true` (SQLite has no boolean type).

use serde::de::{self, DeserializeSeed, IntoDeserializer, MapAccess, SeqAccess, Visitor};
use serde::forward_to_deserialize_any;

use crate::error::Error;
use crate::value::Value;

/// A conversion failure, with the column it happened in once known.
#[derive(Debug)]
pub struct DeError {
    column: Option<String>,
    message: String,
}

impl DeError {
    fn in_column(mut self, column: &str) -> DeError {
        self.column.get_or_insert_with(|| column.to_string());
        self
    }
}

impl std::fmt::Display for DeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for DeError {}

impl de::Error for DeError {
    fn custom<T: std::fmt::Display>(msg: T) -> Self {
        DeError { column: None, message: msg.to_string() }
    }

    fn missing_field(field: &'static str) -> Self {
        DeError { column: Some(field.to_string()), message: "no such column in the result".into() }
    }
}

impl From<DeError> for Error {
    fn from(e: DeError) -> Error {
        Error::Decode { column: e.column.unwrap_or_default(), message: e.message }
    }
}

/// Reads one value.
#[derive(Debug, Clone, Copy)]
pub struct ValueDeserializer<'a>(pub &'a Value);

impl<'de> IntoDeserializer<'de, DeError> for ValueDeserializer<'de> {
    type Deserializer = Self;

    fn into_deserializer(self) -> Self {
        self
    }
}

impl<'de> de::Deserializer<'de> for ValueDeserializer<'de> {
    type Error = DeError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.0 {
            Value::Null => visitor.visit_unit(),
            Value::Integer(i) => visitor.visit_i64(*i),
            Value::Real(f) => visitor.visit_f64(*f),
            Value::Text(s) => visitor.visit_borrowed_str(s),
            // As a sequence, so self-describing targets (`serde_json::Value`) take it too.
            Value::Blob(b) => visitor.visit_seq(de::value::SeqDeserializer::new(b.iter().copied())),
        }
    }

    fn deserialize_bytes<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.0 {
            Value::Blob(b) => visitor.visit_borrowed_bytes(b),
            _ => self.deserialize_any(visitor),
        }
    }

    fn deserialize_byte_buf<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_bytes(visitor)
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.0 {
            Value::Integer(i) => visitor.visit_bool(*i != 0),
            _ => self.deserialize_any(visitor),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.0 {
            Value::Null => visitor.visit_none(),
            _ => visitor.visit_some(self),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(self, _name: &'static str, visitor: V) -> Result<V::Value, DeError> {
        visitor.visit_newtype_struct(self)
    }

    /// A TEXT value names a unit variant.
    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        match self.0 {
            Value::Text(s) => visitor.visit_enum(s.as_str().into_deserializer()),
            _ => self.deserialize_any(visitor),
        }
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        visitor.visit_unit()
    }

    forward_to_deserialize_any! {
        i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        seq unit unit_struct tuple tuple_struct map struct identifier
    }
}

/// Reads a row: a map of column name to value, or a sequence of values.
#[derive(Debug, Clone, Copy)]
pub struct RowDeserializer<'a> {
    /// Column names, in order.
    pub columns: &'a [String],
    /// The row's values, one per column.
    pub values: &'a [Value],
}

struct Columns<'a> {
    columns: &'a [String],
    values: &'a [Value],
    at: usize,
}

impl<'de> MapAccess<'de> for Columns<'de> {
    type Error = DeError;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>, DeError> {
        match self.columns.get(self.at) {
            Some(name) => seed.deserialize(name.as_str().into_deserializer()).map(Some),
            None => Ok(None),
        }
    }

    fn next_value_seed<S: DeserializeSeed<'de>>(&mut self, seed: S) -> Result<S::Value, DeError> {
        let column = self.columns.get(self.at).map_or("", String::as_str);
        let value = self.values.get(self.at).unwrap_or(&Value::Null);
        self.at += 1;
        seed.deserialize(ValueDeserializer(value)).map_err(|e| e.in_column(column))
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.columns.len() - self.at)
    }
}

impl<'de> SeqAccess<'de> for Columns<'de> {
    type Error = DeError;

    fn next_element_seed<S: DeserializeSeed<'de>>(&mut self, seed: S) -> Result<Option<S::Value>, DeError> {
        let Some(value) = self.values.get(self.at) else { return Ok(None) };
        let column = self.columns.get(self.at).map_or("", String::as_str);
        self.at += 1;
        seed.deserialize(ValueDeserializer(value)).map(Some).map_err(|e| e.in_column(column))
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.values.len() - self.at)
    }
}

impl<'de> RowDeserializer<'de> {
    fn columns(self) -> Columns<'de> {
        Columns { columns: self.columns, values: self.values, at: 0 }
    }
}

impl<'de> de::Deserializer<'de> for RowDeserializer<'de> {
    type Error = DeError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        visitor.visit_map(self.columns())
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        visitor.visit_seq(self.columns())
    }

    fn deserialize_tuple<V: Visitor<'de>>(self, _len: usize, visitor: V) -> Result<V::Value, DeError> {
        visitor.visit_seq(self.columns())
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        visitor.visit_seq(self.columns())
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(self, _name: &'static str, visitor: V) -> Result<V::Value, DeError> {
        visitor.visit_newtype_struct(self)
    }

    forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf option unit unit_struct map struct enum identifier ignored_any
    }
}
