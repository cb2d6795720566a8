//! Statement parameters from Rust values: positional from tuples, arrays, slices and vectors of
//! anything that converts into a [`Value`]; named from maps and the [`named_params!`] macro.
//! Names may carry their prefix (`:id`, `@id`, `$id`) or not (`id`), as `@libsql/client` takes
//! them.
//!
//! [`Value`] converts from the signed integers and `u8`/`u16`/`u32` (INTEGER), `f32`/`f64` and
//! (REAL), `bool` (INTEGER 0/1), strings (TEXT), byte vectors and slices (BLOB), and `Option` of
//! any of them (`None` is NULL). `u64` and `usize` do not: they may not fit SQLite's INTEGER.
//!
//! [`named_params!`]: crate::named_params

use std::collections::{BTreeMap, HashMap};

use crate::client::Statement;
use crate::value::Value;

/// A statement's arguments.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Params {
    /// No arguments.
    #[default]
    None,
    /// `?`, `?NNN` arguments, in order.
    Positional(Vec<Value>),
    /// `:name`, `@name`, `$name` arguments.
    Named(Vec<(String, Value)>),
}

impl Params {
    /// Named arguments from `(name, value)` pairs.
    pub fn named<K: Into<String>, V: Into<Value>>(pairs: impl IntoIterator<Item = (K, V)>) -> Params {
        Params::Named(pairs.into_iter().map(|(k, v)| (k.into(), v.into())).collect())
    }
}

/// Converts into a statement's arguments.
pub trait IntoParams {
    /// The arguments.
    fn into_params(self) -> Params;
}

impl IntoParams for Params {
    fn into_params(self) -> Params {
        self
    }
}

impl IntoParams for () {
    fn into_params(self) -> Params {
        Params::None
    }
}

impl<T: Into<Value>> IntoParams for Vec<T> {
    fn into_params(self) -> Params {
        Params::Positional(self.into_iter().map(Into::into).collect())
    }
}

impl<T: Into<Value>, const N: usize> IntoParams for [T; N] {
    fn into_params(self) -> Params {
        Params::Positional(self.into_iter().map(Into::into).collect())
    }
}

impl<T: Into<Value> + Clone> IntoParams for &[T] {
    fn into_params(self) -> Params {
        Params::Positional(self.iter().cloned().map(Into::into).collect())
    }
}

impl<K: Into<String>, V: Into<Value>, S> IntoParams for HashMap<K, V, S> {
    fn into_params(self) -> Params {
        Params::named(self)
    }
}

impl<K: Into<String>, V: Into<Value>> IntoParams for BTreeMap<K, V> {
    fn into_params(self) -> Params {
        Params::named(self)
    }
}

macro_rules! tuple_params {
    ($($name:ident)+) => {
        impl<$($name: Into<Value>),+> IntoParams for ($($name,)+) {
            #[allow(non_snake_case)]
            fn into_params(self) -> Params {
                let ($($name,)+) = self;
                Params::Positional(vec![$($name.into()),+])
            }
        }
    };
}

tuple_params!(A);
tuple_params!(A B);
tuple_params!(A B C);
tuple_params!(A B C D);
tuple_params!(A B C D E);
tuple_params!(A B C D E F);
tuple_params!(A B C D E F G);
tuple_params!(A B C D E F G H);
tuple_params!(A B C D E F G H I);
tuple_params!(A B C D E F G H I J);
tuple_params!(A B C D E F G H I J K);
tuple_params!(A B C D E F G H I J K L);

/// Named arguments of mixed types: `named_params! { ":id": 7, ":body": "hi" }`.
#[macro_export]
macro_rules! named_params {
    () => { $crate::worker::Params::Named(::std::vec::Vec::new()) };
    ($($name:literal : $value:expr),+ $(,)?) => {
        $crate::worker::Params::Named(::std::vec![$((::std::string::String::from($name), $crate::Value::from($value))),+])
    };
}

/// A statement with its arguments (for `batch` and `migrate`): `statement("... ?", (1,))`.
pub fn statement(sql: impl Into<String>, params: impl IntoParams) -> Statement {
    let mut stmt = Statement::new(sql);
    match params.into_params() {
        Params::None => {}
        Params::Positional(args) => stmt.args = args,
        Params::Named(named) => stmt.named_args = named,
    }
    stmt
}

macro_rules! integer_values {
    ($($t:ty)+) => {
        $(impl From<$t> for Value {
            fn from(v: $t) -> Value {
                Value::Integer(i64::from(v))
            }
        })+
    };
}

integer_values!(i8 i16 i32 i64 u8 u16 u32 bool);

impl From<f64> for Value {
    fn from(v: f64) -> Value {
        Value::Real(v)
    }
}

impl From<f32> for Value {
    fn from(v: f32) -> Value {
        Value::Real(f64::from(v))
    }
}

impl From<String> for Value {
    fn from(v: String) -> Value {
        Value::Text(v)
    }
}

impl From<&str> for Value {
    fn from(v: &str) -> Value {
        Value::Text(v.to_string())
    }
}

impl From<&String> for Value {
    fn from(v: &String) -> Value {
        Value::Text(v.clone())
    }
}

impl From<Vec<u8>> for Value {
    fn from(v: Vec<u8>) -> Value {
        Value::Blob(v)
    }
}

impl From<&[u8]> for Value {
    fn from(v: &[u8]) -> Value {
        Value::Blob(v.to_vec())
    }
}

impl From<&Value> for Value {
    fn from(v: &Value) -> Value {
        v.clone()
    }
}

impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Value {
        v.map_or(Value::Null, Into::into)
    }
}
