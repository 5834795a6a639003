//! Terraform values (`cty` values) and their wire encodings.
//!
//! [`Value`] is untyped in memory; the schema's [`Type`] drives encoding and
//! decoding. Unknown values (known only after apply) are [`Value::Unknown`];
//! null is [`Value::Null`].
//!
//! Wire formats:
//! * msgpack (`DynamicValue.msgpack`): objects are maps with every attribute
//!   present, sets/lists/tuples are arrays, numbers are ints, floats or (for
//!   numbers neither fits exactly) decimal strings, unknown is msgpack
//!   extension type 0 (refined unknowns, ext type 12, are accepted and their
//!   refinements dropped), `dynamic` values are `[type-json, value]` pairs.
//! * JSON (`RawState.json`, stored state): plain JSON shaped by the type;
//!   `dynamic` values are `{"value": .., "type": ..}`.

use std::collections::BTreeMap;
use std::fmt;

use rmpv::Value as Mp;
use serde_json::Value as Json;

use super::path::AttrPath;
use super::types::Type;

/// A Terraform number. Integers that fit `i64` are `Int`, other finite
/// binary floats `Float`, anything else (huge or very precise decimals)
/// stays as its decimal string in `Big`.
#[derive(Debug, Clone, PartialEq)]
pub enum Number {
    Int(i64),
    Float(f64),
    Big(String),
}

impl Number {
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Number::Int(i) => Some(*i),
            Number::Float(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => Some(*f as i64),
            Number::Float(_) => None,
            Number::Big(s) => s.parse().ok(),
        }
    }
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Number::Int(i) => Some(*i as f64),
            Number::Float(f) => Some(*f),
            Number::Big(s) => s.parse().ok(),
        }
    }
}

impl fmt::Display for Number {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Number::Int(i) => write!(f, "{i}"),
            Number::Float(x) => write!(f, "{x}"),
            Number::Big(s) => f.write_str(s),
        }
    }
}

/// A Terraform value.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Value {
    #[default]
    Null,
    /// Not known until apply.
    Unknown,
    Bool(bool),
    Number(Number),
    String(String),
    List(Vec<Value>),
    Set(Vec<Value>),
    Tuple(Vec<Value>),
    Map(BTreeMap<String, Value>),
    Object(BTreeMap<String, Value>),
}

impl From<bool> for Value {
    fn from(b: bool) -> Self {
        Value::Bool(b)
    }
}
impl From<i64> for Value {
    fn from(i: i64) -> Self {
        Value::Number(Number::Int(i))
    }
}
impl From<f64> for Value {
    fn from(x: f64) -> Self {
        Value::Number(Number::Float(x))
    }
}
impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Value::String(s.to_owned())
    }
}
impl From<String> for Value {
    fn from(s: String) -> Self {
        Value::String(s)
    }
}
impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(o: Option<T>) -> Self {
        o.map_or(Value::Null, Into::into)
    }
}

impl Value {
    /// Object value from `(name, value)` pairs.
    pub fn object<K: Into<String>>(attrs: impl IntoIterator<Item = (K, Value)>) -> Value {
        Value::Object(attrs.into_iter().map(|(k, v)| (k.into(), v)).collect())
    }
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }
    pub fn is_unknown(&self) -> bool {
        matches!(self, Value::Unknown)
    }
    /// True if neither this value nor anything inside it is unknown.
    pub fn is_wholly_known(&self) -> bool {
        match self {
            Value::Unknown => false,
            Value::List(v) | Value::Set(v) | Value::Tuple(v) => v.iter().all(Value::is_wholly_known),
            Value::Map(m) | Value::Object(m) => m.values().all(Value::is_wholly_known),
            _ => true,
        }
    }
    /// Attribute of an object (`None` if not an object or no such attribute).
    pub fn get(&self, name: &str) -> Option<&Value> {
        match self {
            Value::Object(m) => m.get(name),
            _ => None,
        }
    }
    /// Mutable attribute of an object.
    pub fn get_mut(&mut self, name: &str) -> Option<&mut Value> {
        match self {
            Value::Object(m) => m.get_mut(name),
            _ => None,
        }
    }
    /// Sets an attribute; turns a null value into an object first.
    pub fn set_attr(&mut self, name: impl Into<String>, v: Value) {
        if !matches!(self, Value::Object(_)) {
            *self = Value::Object(BTreeMap::new());
        }
        if let Value::Object(m) = self {
            m.insert(name.into(), v);
        }
    }
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }
    pub fn as_number(&self) -> Option<&Number> {
        match self {
            Value::Number(n) => Some(n),
            _ => None,
        }
    }
    pub fn as_i64(&self) -> Option<i64> {
        self.as_number().and_then(Number::as_i64)
    }
    pub fn as_f64(&self) -> Option<f64> {
        self.as_number().and_then(Number::as_f64)
    }
    /// Elements of a list, set or tuple.
    pub fn as_list(&self) -> Option<&[Value]> {
        match self {
            Value::List(v) | Value::Set(v) | Value::Tuple(v) => Some(v),
            _ => None,
        }
    }
    /// Entries of a map or object.
    pub fn as_map(&self) -> Option<&BTreeMap<String, Value>> {
        match self {
            Value::Map(m) | Value::Object(m) => Some(m),
            _ => None,
        }
    }

    /// Follows `path` into this value.
    pub fn at(&self, path: &AttrPath) -> Option<&Value> {
        use super::path::Step;
        let mut cur = self;
        for step in path.steps() {
            cur = match (step, cur) {
                (Step::Attr(n), Value::Object(m)) => m.get(n)?,
                (Step::Key(k), Value::Map(m)) => m.get(k)?,
                (Step::Index(i), Value::List(v) | Value::Tuple(v) | Value::Set(v)) => {
                    v.get(usize::try_from(*i).ok()?)?
                }
                _ => return None,
            };
        }
        Some(cur)
    }

    /// A best-effort type for a value whose type isn't given by a schema
    /// (used when encoding into a `dynamic` slot).
    pub fn implied_type(&self) -> Type {
        match self {
            Value::Null | Value::Unknown => Type::Dynamic,
            Value::Bool(_) => Type::Bool,
            Value::Number(_) => Type::Number,
            Value::String(_) => Type::String,
            Value::List(v) => Type::list(v.first().map_or(Type::Dynamic, Value::implied_type)),
            Value::Set(v) => Type::set(v.first().map_or(Type::Dynamic, Value::implied_type)),
            Value::Tuple(v) => Type::Tuple(v.iter().map(Value::implied_type).collect()),
            Value::Map(m) => Type::map(m.values().next().map_or(Type::Dynamic, Value::implied_type)),
            Value::Object(m) => Type::Object(m.iter().map(|(k, v)| (k.clone(), v.implied_type())).collect()),
        }
    }
}

/// Error while converting a value to or from a wire encoding.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{}: {message}", if path.is_empty() { "value".to_string() } else { path.to_string() })]
pub struct ValueError {
    pub path: AttrPath,
    pub message: String,
}

fn err<T>(path: &AttrPath, message: impl Into<String>) -> Result<T, ValueError> {
    Err(ValueError { path: path.clone(), message: message.into() })
}

// ---------------------------------------------------------------------------
// msgpack
// ---------------------------------------------------------------------------

/// cty's extension type code for a plain unknown value.
const EXT_UNKNOWN: i8 = 0;
/// cty's extension type code for an unknown value with refinements.
const EXT_UNKNOWN_REFINED: i8 = 0x0c;

/// Decodes msgpack bytes as a value of type `ty`.
pub fn from_msgpack(bytes: &[u8], ty: &Type) -> Result<Value, ValueError> {
    if bytes.is_empty() {
        return Ok(Value::Null);
    }
    let mut rd = bytes;
    let mp = rmpv::decode::read_value(&mut rd)
        .map_err(|e| ValueError { path: AttrPath::root(), message: format!("invalid msgpack: {e}") })?;
    mp_to_value(&mp, ty, &AttrPath::root())
}

/// Encodes a value of type `ty` as msgpack.
pub fn to_msgpack(v: &Value, ty: &Type) -> Result<Vec<u8>, ValueError> {
    let mp = value_to_mp(v, ty, &AttrPath::root())?;
    let mut buf = Vec::with_capacity(64);
    rmpv::encode::write_value(&mut buf, &mp)
        .map_err(|e| ValueError { path: AttrPath::root(), message: format!("msgpack encode: {e}") })?;
    Ok(buf)
}

fn mp_str(v: &Mp) -> Option<&str> {
    match v {
        Mp::String(s) => s.as_str(),
        Mp::Binary(b) => std::str::from_utf8(b).ok(),
        _ => None,
    }
}

fn mp_number(mp: &Mp, path: &AttrPath) -> Result<Number, ValueError> {
    match mp {
        Mp::Integer(i) => {
            if let Some(v) = i.as_i64() {
                Ok(Number::Int(v))
            } else if let Some(u) = i.as_u64() {
                Ok(Number::Big(u.to_string()))
            } else {
                err(path, "integer out of range")
            }
        }
        Mp::F32(f) => Ok(Number::Float(f64::from(*f))),
        Mp::F64(f) => Ok(Number::Float(*f)),
        Mp::String(_) | Mp::Binary(_) => {
            let s =
                mp_str(mp).ok_or_else(|| ValueError { path: path.clone(), message: "invalid number string".into() })?;
            parse_number_str(s)
                .ok_or_else(|| ValueError { path: path.clone(), message: format!("invalid number {s:?}") })
        }
        other => err(path, format!("expected number, got {}", mp_kind(other))),
    }
}

fn parse_number_str(s: &str) -> Option<Number> {
    if let Ok(i) = s.parse::<i64>() {
        return Some(Number::Int(i));
    }
    // Validate it's a decimal number; keep the exact text.
    let f: f64 = s.parse().ok()?;
    if !f.is_finite() {
        return None;
    }
    Some(Number::Big(s.to_owned()))
}

fn mp_kind(v: &Mp) -> &'static str {
    match v {
        Mp::Nil => "null",
        Mp::Boolean(_) => "bool",
        Mp::Integer(_) | Mp::F32(_) | Mp::F64(_) => "number",
        Mp::String(_) => "string",
        Mp::Binary(_) => "binary",
        Mp::Array(_) => "array",
        Mp::Map(_) => "map",
        Mp::Ext(..) => "extension",
    }
}

fn mp_to_value(mp: &Mp, ty: &Type, path: &AttrPath) -> Result<Value, ValueError> {
    match mp {
        Mp::Nil => return Ok(Value::Null),
        Mp::Ext(code, _) if *code == EXT_UNKNOWN || *code == EXT_UNKNOWN_REFINED => return Ok(Value::Unknown),
        Mp::Ext(code, _) => return err(path, format!("unsupported msgpack extension type {code}")),
        _ => {}
    }
    match ty {
        Type::Bool => match mp {
            Mp::Boolean(b) => Ok(Value::Bool(*b)),
            other => err(path, format!("expected bool, got {}", mp_kind(other))),
        },
        Type::Number => Ok(Value::Number(mp_number(mp, path)?)),
        Type::String => match mp_str(mp) {
            Some(s) => Ok(Value::String(s.to_owned())),
            None => err(path, format!("expected string, got {}", mp_kind(mp))),
        },
        Type::List(et) | Type::Set(et) => {
            let Mp::Array(items) = mp else {
                return err(path, format!("expected array, got {}", mp_kind(mp)));
            };
            let vals = items
                .iter()
                .enumerate()
                .map(|(i, it)| mp_to_value(it, et, &path.index(i as i64)))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(if matches!(ty, Type::Set(_)) { Value::Set(vals) } else { Value::List(vals) })
        }
        Type::Tuple(ets) => {
            let Mp::Array(items) = mp else {
                return err(path, format!("expected array, got {}", mp_kind(mp)));
            };
            if items.len() != ets.len() {
                return err(path, format!("expected tuple of {} elements, got {}", ets.len(), items.len()));
            }
            let vals = items
                .iter()
                .zip(ets)
                .enumerate()
                .map(|(i, (it, et))| mp_to_value(it, et, &path.index(i as i64)))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(Value::Tuple(vals))
        }
        Type::Map(et) => {
            let Mp::Map(entries) = mp else {
                return err(path, format!("expected map, got {}", mp_kind(mp)));
            };
            let mut out = BTreeMap::new();
            for (k, v) in entries {
                let key = mp_str(k)
                    .ok_or_else(|| ValueError { path: path.clone(), message: "map key is not a string".into() })?;
                out.insert(key.to_owned(), mp_to_value(v, et, &path.key(key))?);
            }
            Ok(Value::Map(out))
        }
        Type::Object(attrs) => {
            let Mp::Map(entries) = mp else {
                return err(path, format!("expected object, got {}", mp_kind(mp)));
            };
            let mut out = BTreeMap::new();
            for (k, v) in entries {
                let key = mp_str(k).ok_or_else(|| ValueError {
                    path: path.clone(),
                    message: "attribute name is not a string".into(),
                })?;
                let Some(at) = attrs.get(key) else {
                    return err(path, format!("unsupported attribute {key:?}"));
                };
                out.insert(key.to_owned(), mp_to_value(v, at, &path.attr(key))?);
            }
            for name in attrs.keys() {
                out.entry(name.clone()).or_insert(Value::Null);
            }
            Ok(Value::Object(out))
        }
        Type::Dynamic => {
            // [type as JSON bytes, value]
            let Mp::Array(pair) = mp else {
                return err(path, format!("expected dynamic [type, value] pair, got {}", mp_kind(mp)));
            };
            if pair.len() != 2 {
                return err(path, "dynamic value must be a [type, value] pair");
            }
            let tj = mp_str(&pair[0])
                .ok_or_else(|| ValueError { path: path.clone(), message: "dynamic type is not a string".into() })?;
            let json: Json = serde_json::from_str(tj)
                .map_err(|e| ValueError { path: path.clone(), message: format!("dynamic type: {e}") })?;
            let inner = Type::from_json(&json).map_err(|m| ValueError { path: path.clone(), message: m })?;
            mp_to_value(&pair[1], &inner, path)
        }
    }
}

fn value_to_mp(v: &Value, ty: &Type, path: &AttrPath) -> Result<Mp, ValueError> {
    match v {
        Value::Null => return Ok(Mp::Nil),
        Value::Unknown => return Ok(Mp::Ext(EXT_UNKNOWN, vec![0])),
        _ => {}
    }
    match (ty, v) {
        (Type::Dynamic, v) => {
            let inner = v.implied_type();
            let tj = inner.to_json().to_string();
            Ok(Mp::Array(vec![Mp::from(tj), value_to_mp(v, &inner, path)?]))
        }
        (Type::Bool, Value::Bool(b)) => Ok(Mp::Boolean(*b)),
        (Type::Number, Value::Number(n)) => Ok(match n {
            Number::Int(i) => Mp::from(*i),
            Number::Float(f) => Mp::F64(*f),
            Number::Big(s) => match parse_number_str(s) {
                Some(Number::Int(i)) => Mp::from(i),
                Some(_) => Mp::from(s.as_str()),
                None => return err(path, format!("invalid number {s:?}")),
            },
        }),
        (Type::String, Value::String(s)) => Ok(Mp::from(s.as_str())),
        (Type::List(et), Value::List(items) | Value::Set(items) | Value::Tuple(items))
        | (Type::Set(et), Value::List(items) | Value::Set(items) | Value::Tuple(items)) => Ok(Mp::Array(
            items
                .iter()
                .enumerate()
                .map(|(i, it)| value_to_mp(it, et, &path.index(i as i64)))
                .collect::<Result<_, _>>()?,
        )),
        (Type::Tuple(ets), Value::List(items) | Value::Tuple(items)) => {
            if items.len() != ets.len() {
                return err(path, format!("expected tuple of {} elements, got {}", ets.len(), items.len()));
            }
            Ok(Mp::Array(
                items
                    .iter()
                    .zip(ets)
                    .enumerate()
                    .map(|(i, (it, et))| value_to_mp(it, et, &path.index(i as i64)))
                    .collect::<Result<_, _>>()?,
            ))
        }
        (Type::Map(et), Value::Map(m) | Value::Object(m)) => Ok(Mp::Map(
            m.iter()
                .map(|(k, v)| Ok((Mp::from(k.as_str()), value_to_mp(v, et, &path.key(k))?)))
                .collect::<Result<_, ValueError>>()?,
        )),
        (Type::Object(attrs), Value::Object(m)) => {
            if let Some(extra) = m.keys().find(|k| !attrs.contains_key(*k)) {
                return err(path, format!("attribute {extra:?} is not in the schema"));
            }
            let mut entries = Vec::with_capacity(attrs.len());
            for (name, at) in attrs {
                let av = m.get(name).unwrap_or(&Value::Null);
                entries.push((Mp::from(name.as_str()), value_to_mp(av, at, &path.attr(name))?));
            }
            Ok(Mp::Map(entries))
        }
        (ty, v) => err(path, format!("value {} does not fit type {}", kind(v), ty.to_json())),
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Unknown => "unknown",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::List(_) => "list",
        Value::Set(_) => "set",
        Value::Tuple(_) => "tuple",
        Value::Map(_) => "map",
        Value::Object(_) => "object",
    }
}

// ---------------------------------------------------------------------------
// JSON (stored state)
// ---------------------------------------------------------------------------

/// Decodes the JSON state encoding as a value of type `ty`.
pub fn from_json_bytes(bytes: &[u8], ty: &Type) -> Result<Value, ValueError> {
    if bytes.is_empty() {
        return Ok(Value::Null);
    }
    let j: Json = serde_json::from_slice(bytes)
        .map_err(|e| ValueError { path: AttrPath::root(), message: format!("invalid JSON: {e}") })?;
    from_json(&j, ty)
}

/// Converts an already-parsed JSON value of type `ty`.
pub fn from_json(j: &Json, ty: &Type) -> Result<Value, ValueError> {
    json_to_value(j, ty, &AttrPath::root())
}

fn json_to_value(j: &Json, ty: &Type, path: &AttrPath) -> Result<Value, ValueError> {
    if j.is_null() {
        return Ok(Value::Null);
    }
    match ty {
        Type::Bool => match j {
            Json::Bool(b) => Ok(Value::Bool(*b)),
            Json::String(s) if s == "true" || s == "false" => Ok(Value::Bool(s == "true")),
            _ => err(path, "expected bool"),
        },
        Type::Number => match j {
            Json::Number(n) => Ok(Value::Number(if let Some(i) = n.as_i64() {
                Number::Int(i)
            } else if let Some(u) = n.as_u64() {
                Number::Big(u.to_string())
            } else {
                Number::Float(n.as_f64().unwrap_or(f64::NAN))
            })),
            Json::String(s) => parse_number_str(s)
                .map(Value::Number)
                .ok_or_else(|| ValueError { path: path.clone(), message: format!("invalid number {s:?}") }),
            _ => err(path, "expected number"),
        },
        Type::String => match j {
            Json::String(s) => Ok(Value::String(s.clone())),
            Json::Number(n) => Ok(Value::String(n.to_string())),
            Json::Bool(b) => Ok(Value::String(b.to_string())),
            _ => err(path, "expected string"),
        },
        Type::List(et) | Type::Set(et) => {
            let Json::Array(items) = j else { return err(path, "expected array") };
            let vals = items
                .iter()
                .enumerate()
                .map(|(i, it)| json_to_value(it, et, &path.index(i as i64)))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(if matches!(ty, Type::Set(_)) { Value::Set(vals) } else { Value::List(vals) })
        }
        Type::Tuple(ets) => {
            let Json::Array(items) = j else { return err(path, "expected array") };
            if items.len() != ets.len() {
                return err(path, "tuple length mismatch");
            }
            Ok(Value::Tuple(
                items
                    .iter()
                    .zip(ets)
                    .enumerate()
                    .map(|(i, (it, et))| json_to_value(it, et, &path.index(i as i64)))
                    .collect::<Result<_, _>>()?,
            ))
        }
        Type::Map(et) => {
            let Json::Object(m) = j else { return err(path, "expected object") };
            Ok(Value::Map(
                m.iter()
                    .map(|(k, v)| Ok((k.clone(), json_to_value(v, et, &path.key(k))?)))
                    .collect::<Result<_, ValueError>>()?,
            ))
        }
        Type::Object(attrs) => {
            let Json::Object(m) = j else { return err(path, "expected object") };
            let mut out = BTreeMap::new();
            for (k, v) in m {
                // Stored state may hold attributes a newer schema removed;
                // those are dropped (UpgradeResourceState semantics).
                if let Some(at) = attrs.get(k) {
                    out.insert(k.clone(), json_to_value(v, at, &path.attr(k))?);
                }
            }
            for name in attrs.keys() {
                out.entry(name.clone()).or_insert(Value::Null);
            }
            Ok(Value::Object(out))
        }
        Type::Dynamic => {
            let (Some(tj), Some(vj)) = (j.get("type"), j.get("value")) else {
                return err(path, "dynamic value must be {\"type\":..,\"value\":..}");
            };
            let inner = Type::from_json(tj).map_err(|m| ValueError { path: path.clone(), message: m })?;
            json_to_value(vj, &inner, path)
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn ty() -> Type {
        Type::object([
            ("id", Type::String),
            ("n", Type::Number),
            ("flag", Type::Bool),
            ("tags", Type::map(Type::String)),
            ("ports", Type::set(Type::Number)),
            ("items", Type::list(Type::object([("name", Type::String)]))),
            ("any", Type::Dynamic),
        ])
    }

    #[test]
    fn msgpack_roundtrip_with_unknown_and_null() {
        let v = Value::object([
            ("id", Value::Unknown),
            ("n", Value::from(-42)),
            ("flag", Value::Null),
            ("tags", Value::Map([("a".to_string(), Value::from("b"))].into())),
            ("ports", Value::Set(vec![Value::from(443), Value::from(1.5)])),
            ("items", Value::List(vec![Value::object([("name", Value::from("x"))])])),
            ("any", Value::from("dyn")),
        ]);
        let bytes = to_msgpack(&v, &ty()).unwrap();
        let back = from_msgpack(&bytes, &ty()).unwrap();
        assert_eq!(back, v);
    }

    #[test]
    fn unknown_is_fixext1_type0() {
        let bytes = to_msgpack(&Value::Unknown, &Type::String).unwrap();
        assert_eq!(bytes, vec![0xd4, 0, 0]);
        // refined unknown: ext8, type 12, payload {1: false} ("not null")
        let ext8 = [0xc7, 0x03, 0x0c, 0x81, 0x01, 0xc2];
        assert_eq!(from_msgpack(&ext8, &Type::String).unwrap(), Value::Unknown);
    }

    #[test]
    fn missing_object_attrs_decode_as_null_and_encode_as_nil() {
        let t = Type::object([("a", Type::String), ("b", Type::String)]);
        let v = Value::object([("a", Value::from("x"))]);
        let bytes = to_msgpack(&v, &t).unwrap();
        let back = from_msgpack(&bytes, &t).unwrap();
        assert_eq!(back.get("b"), Some(&Value::Null));
    }

    #[test]
    fn type_mismatch_reports_path() {
        let t = Type::object([("items", Type::list(Type::object([("name", Type::String)])))]);
        let v = Value::object([("items", Value::List(vec![Value::object([("name", Value::from(true))])]))]);
        let e = to_msgpack(&v, &t).unwrap_err();
        assert_eq!(e.path.to_string(), "items[0].name");
    }

    #[test]
    fn big_numbers_survive() {
        let v = Value::Number(Number::Big("123456789012345678901234567890".into()));
        let bytes = to_msgpack(&v, &Type::Number).unwrap();
        assert_eq!(from_msgpack(&bytes, &Type::Number).unwrap(), v);
    }

    #[test]
    fn json_state_decode() {
        let j = br#"{"id":"abc","n":3,"flag":true,"tags":{"k":"v"},"ports":[80],"items":[{"name":"a"}],
                    "any":{"type":"string","value":"s"},"removed_attr":1}"#;
        let v = from_json_bytes(j, &ty()).unwrap();
        assert_eq!(v.get("id").and_then(Value::as_str), Some("abc"));
        assert_eq!(v.get("n").and_then(Value::as_i64), Some(3));
        assert_eq!(v.get("any").and_then(Value::as_str), Some("s"));
        assert!(v.get("removed_attr").is_none());
    }
}
