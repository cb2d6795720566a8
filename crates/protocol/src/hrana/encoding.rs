//! Serde encodings of Hrana's JSON values as sqld writes them: integers as decimal strings (a JSON
//! number is refused), floats as numbers (`null` for non-finite values, read as NaN), blobs as base64
//! (unpadded on output, padding optional on input), optional integers as strings.

use serde::{Deserialize, Deserializer, Serializer};

struct I64TextVisitor;

impl<'de> serde::de::Visitor<'de> for I64TextVisitor {
    type Value = i64;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a borrowed string")
    }
    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<i64, E> {
        v.parse().map_err(|_| E::invalid_value(serde::de::Unexpected::Str(v), &"a decimal 64-bit integer"))
    }
}

pub(super) mod i64_text {
    use super::*;
    pub fn serialize<S: Serializer>(v: &i64, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(v)
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
        d.deserialize_str(I64TextVisitor)
    }
}

pub(super) mod f64_or_null {
    use super::*;
    pub fn serialize<S: Serializer>(v: &f64, s: S) -> Result<S::Ok, S::Error> {
        if v.is_finite() {
            s.serialize_f64(*v)
        } else {
            s.serialize_none()
        }
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
        Ok(Option::<f64>::deserialize(d)?.unwrap_or(f64::NAN))
    }
}

pub(super) mod blob_base64 {
    use super::*;
    pub fn serialize<S: Serializer>(v: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&crate::base64::encode_unpadded(v))
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let text = String::deserialize(d)?;
        crate::base64::decode(&text).map_err(serde::de::Error::custom)
    }
}

/// A number given as a decimal string or a JSON number.
#[derive(Deserialize)]
#[serde(untagged)]
enum TextOrNumber {
    Text(String),
    U(u64),
    I(i64),
}

pub(super) mod opt_u64_text {
    use super::*;
    pub fn serialize<S: Serializer>(v: &Option<u64>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(v) => s.collect_str(v),
            None => s.serialize_none(),
        }
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
        match Option::<TextOrNumber>::deserialize(d)? {
            None => Ok(None),
            Some(TextOrNumber::U(n)) => Ok(Some(n)),
            Some(TextOrNumber::I(n)) => u64::try_from(n).map(Some).map_err(serde::de::Error::custom),
            Some(TextOrNumber::Text(t)) => t.parse().map(Some).map_err(serde::de::Error::custom),
        }
    }
}

pub(super) mod opt_i64_text {
    use super::*;
    pub fn serialize<S: Serializer>(v: &Option<i64>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(v) => s.collect_str(v),
            None => s.serialize_none(),
        }
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
        match Option::<TextOrNumber>::deserialize(d)? {
            None => Ok(None),
            Some(TextOrNumber::U(n)) => i64::try_from(n).map(Some).map_err(serde::de::Error::custom),
            Some(TextOrNumber::I(n)) => Ok(Some(n)),
            Some(TextOrNumber::Text(t)) => t.parse().map(Some).map_err(serde::de::Error::custom),
        }
    }
}
