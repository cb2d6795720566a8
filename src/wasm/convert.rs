//! Conversions between Rust and JS values: `crate::Error` → a plain JS error object (the ONLY place
//! errors cross into JS; `js/errors.ts` wraps the object in `LibsqlError`), `Value` ↔ JS, options
//! read from plain objects. Bad JS arguments become `TypeError` / `RangeError`, as `@libsql/client`
//! throws them.

use js_sys::{Array, ArrayBuffer, BigInt, Object, Reflect, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};

use crate::error::Error;
use crate::value::Value;

/// `crate::Error` as `{code, message, extendedCode, rawCode}` (the last two `undefined` unless
/// SQLite raised the error), plus `statementIndex` for a failed batch. The one function through which core errors reach JS.
pub fn error_to_js(error: &Error) -> JsValue {
    let object = Object::new();
    set(&object, "code", &error.code().into());
    set(&object, "message", &error.to_string().into());
    set(&object, "extendedCode", &error.extended_code().map(JsValue::from).unwrap_or(JsValue::UNDEFINED));
    set(&object, "rawCode", &error.raw_code().map(JsValue::from).unwrap_or(JsValue::UNDEFINED));
    if let Error::Batch { statement_index, .. } = error {
        set(&object, "statementIndex", &(*statement_index as f64).into());
    }
    object.into()
}

/// A `TypeError` for an argument JS passed wrongly.
pub fn type_error(message: &str) -> JsValue {
    js_sys::TypeError::new(message).into()
}

/// Positional arguments: `undefined`/`null` (none) or an array of values.
pub fn args_from_js(args: &JsValue) -> Result<Vec<Value>, JsValue> {
    if args.is_undefined() || args.is_null() {
        return Ok(Vec::new());
    }
    if !Array::is_array(args) {
        return Err(type_error("named arguments are not supported yet: pass an array"));
    }
    Array::from(args).iter().map(|v| value_from_js(&v)).collect()
}

/// One argument: `null`/`undefined` → NULL; number → REAL (as Hrana sends it); bigint → INTEGER;
/// boolean → 0/1; string → TEXT; `ArrayBuffer` / typed array → BLOB; `Date` → epoch ms (REAL).
pub fn value_from_js(v: &JsValue) -> Result<Value, JsValue> {
    if v.is_null() || v.is_undefined() {
        return Ok(Value::Null);
    }
    if let Some(n) = v.as_f64() {
        if !n.is_finite() {
            return Err(js_sys::RangeError::new("only finite numbers can be passed to SQLite").into());
        }
        return Ok(Value::Real(n));
    }
    if v.is_bigint() {
        return i64::try_from(BigInt::unchecked_from_js_ref(v).clone())
            .map(Value::Integer)
            .map_err(|_| js_sys::RangeError::new("bigint is too large to be represented as a 64-bit integer").into());
    }
    if let Some(b) = v.as_bool() {
        return Ok(Value::Integer(b as i64));
    }
    if let Some(s) = v.as_string() {
        return Ok(Value::Text(s));
    }
    if let Some(buffer) = v.dyn_ref::<ArrayBuffer>() {
        return Ok(Value::Blob(Uint8Array::new(buffer).to_vec()));
    }
    if ArrayBuffer::is_view(v) {
        let view: &js_sys::Object = v.unchecked_ref();
        let buffer = Reflect::get(view, &"buffer".into())?;
        let offset = Reflect::get(view, &"byteOffset".into())?.as_f64().unwrap_or(0.0) as u32;
        let length = Reflect::get(view, &"byteLength".into())?.as_f64().unwrap_or(0.0) as u32;
        return Ok(Value::Blob(Uint8Array::new_with_byte_offset_and_length(&buffer, offset, length).to_vec()));
    }
    if let Some(date) = v.dyn_ref::<js_sys::Date>() {
        return Ok(Value::Real(date.get_time()));
    }
    Err(type_error(
        "unsupported type of value: expected null, number, bigint, boolean, string, ArrayBuffer, typed array or Date",
    ))
}

/// One result value for the JS shim: integers always as `bigint` (the shim applies `intMode`, as
/// `@libsql/client` does), blobs as `ArrayBuffer`.
pub fn value_to_js(v: &Value) -> JsValue {
    match v {
        Value::Null => JsValue::NULL,
        Value::Integer(i) => BigInt::from(*i).into(),
        Value::Real(f) => JsValue::from(*f),
        Value::Text(s) => JsValue::from_str(s),
        Value::Blob(b) => Uint8Array::from(b.as_slice()).buffer().into(),
    }
}

/// Reads an optional numeric option from a plain object.
pub fn get_number(object: &JsValue, key: &str) -> Result<Option<f64>, JsValue> {
    if object.is_undefined() || object.is_null() {
        return Ok(None);
    }
    let v = Reflect::get(object, &key.into())?;
    if v.is_undefined() || v.is_null() {
        return Ok(None);
    }
    v.as_f64()
        .filter(|n| n.is_finite() && *n >= 0.0)
        .map(Some)
        .ok_or_else(|| type_error(&format!("{key} must be a non-negative number")))
}

/// Reads an optional string option from a plain object.
pub fn get_string(object: &JsValue, key: &str) -> Result<Option<String>, JsValue> {
    if object.is_undefined() || object.is_null() {
        return Ok(None);
    }
    let v = Reflect::get(object, &key.into())?;
    if v.is_undefined() || v.is_null() {
        return Ok(None);
    }
    v.as_string().map(Some).ok_or_else(|| type_error(&format!("{key} must be a string")))
}

/// Sets `key` on a fresh plain object.
pub fn set(object: &Object, key: &str, value: &JsValue) {
    // Defining a property on a fresh plain object cannot fail.
    let _ = Reflect::set(object, &key.into(), value);
}
