//! Schema model: what the provider, a resource or a data source accepts.
//!
//! Converted to `tfplugin6.Schema` at the server edge. An attribute has
//! either a plain cty [`Type`] or nested attributes ([`NestedAttributes`]);
//! only one of `type` / `nested_type` is ever sent.

use std::collections::BTreeMap;

use super::types::Type;
use super::value::Value;

/// A versioned top-level schema.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Schema {
    /// Bump when the stored state shape changes; Terraform then calls
    /// `upgrade_state` with the old version.
    pub version: i64,
    pub block: Block,
}

impl Schema {
    pub fn new(block: Block) -> Self {
        Schema { version: 0, block }
    }
    pub fn with_version(mut self, v: i64) -> Self {
        self.version = v;
        self
    }
    /// The cty object type of values under this schema.
    pub fn value_type(&self) -> Type {
        self.block.value_type()
    }
}

/// A block: attributes plus nested blocks.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Block {
    pub attributes: Vec<Attribute>,
    pub blocks: Vec<NestedBlock>,
    pub description: String,
    pub deprecated: bool,
}

impl Block {
    pub fn new() -> Self {
        Block::default()
    }
    pub fn attribute(mut self, a: Attribute) -> Self {
        self.attributes.push(a);
        self
    }
    pub fn block(mut self, b: NestedBlock) -> Self {
        self.blocks.push(b);
        self
    }
    pub fn description(mut self, d: impl Into<String>) -> Self {
        self.description = d.into();
        self
    }
    pub fn value_type(&self) -> Type {
        let mut m = BTreeMap::new();
        for a in &self.attributes {
            m.insert(a.name.clone(), a.kind.value_type());
        }
        for b in &self.blocks {
            m.insert(b.type_name.clone(), b.value_type());
        }
        Type::Object(m)
    }
    pub fn find_attribute(&self, name: &str) -> Option<&Attribute> {
        self.attributes.iter().find(|a| a.name == name)
    }
}

/// How an attribute's value is shaped.
#[derive(Debug, Clone, PartialEq)]
pub enum AttributeKind {
    /// A plain cty type (`type` on the wire).
    Type(Type),
    /// Nested attributes (`nested_type` on the wire).
    Nested(NestedAttributes),
}

impl AttributeKind {
    pub fn value_type(&self) -> Type {
        match self {
            AttributeKind::Type(t) => t.clone(),
            AttributeKind::Nested(n) => n.value_type(),
        }
    }
}

impl From<Type> for AttributeKind {
    fn from(t: Type) -> Self {
        AttributeKind::Type(t)
    }
}
impl From<NestedAttributes> for AttributeKind {
    fn from(n: NestedAttributes) -> Self {
        AttributeKind::Nested(n)
    }
}

/// One attribute. Build with [`Attribute::required`], [`Attribute::optional`],
/// [`Attribute::computed`] or [`Attribute::optional_computed`].
#[derive(Debug, Clone, PartialEq)]
pub struct Attribute {
    pub name: String,
    pub kind: AttributeKind,
    pub description: String,
    pub required: bool,
    pub optional: bool,
    pub computed: bool,
    pub sensitive: bool,
    pub deprecated: bool,
}

impl Attribute {
    fn make(name: &str, kind: AttributeKind, required: bool, optional: bool, computed: bool) -> Self {
        Attribute {
            name: name.to_owned(),
            kind,
            description: String::new(),
            required,
            optional,
            computed,
            sensitive: false,
            deprecated: false,
        }
    }
    pub fn required(name: &str, kind: impl Into<AttributeKind>) -> Self {
        Self::make(name, kind.into(), true, false, false)
    }
    pub fn optional(name: &str, kind: impl Into<AttributeKind>) -> Self {
        Self::make(name, kind.into(), false, true, false)
    }
    /// Set by the provider only.
    pub fn computed(name: &str, kind: impl Into<AttributeKind>) -> Self {
        Self::make(name, kind.into(), false, false, true)
    }
    /// May be set in config; otherwise the provider fills it in.
    pub fn optional_computed(name: &str, kind: impl Into<AttributeKind>) -> Self {
        Self::make(name, kind.into(), false, true, true)
    }
    pub fn description(mut self, d: impl Into<String>) -> Self {
        self.description = d.into();
        self
    }
    pub fn sensitive(mut self) -> Self {
        self.sensitive = true;
        self
    }
    pub fn deprecated(mut self) -> Self {
        self.deprecated = true;
        self
    }
}

/// Nesting of nested attributes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ObjectNesting {
    Single,
    List,
    Set,
    Map,
}

/// Nested attributes: `attr = { a = 1 }` (single) or `attr = [{..}]` (list)…
#[derive(Debug, Clone, PartialEq)]
pub struct NestedAttributes {
    pub nesting: ObjectNesting,
    pub attributes: Vec<Attribute>,
}

impl NestedAttributes {
    pub fn single(attributes: Vec<Attribute>) -> Self {
        NestedAttributes { nesting: ObjectNesting::Single, attributes }
    }
    pub fn list(attributes: Vec<Attribute>) -> Self {
        NestedAttributes { nesting: ObjectNesting::List, attributes }
    }
    pub fn set(attributes: Vec<Attribute>) -> Self {
        NestedAttributes { nesting: ObjectNesting::Set, attributes }
    }
    pub fn map(attributes: Vec<Attribute>) -> Self {
        NestedAttributes { nesting: ObjectNesting::Map, attributes }
    }
    pub fn object_type(&self) -> Type {
        Type::Object(self.attributes.iter().map(|a| (a.name.clone(), a.kind.value_type())).collect())
    }
    pub fn value_type(&self) -> Type {
        let o = self.object_type();
        match self.nesting {
            ObjectNesting::Single => o,
            ObjectNesting::List => Type::list(o),
            ObjectNesting::Set => Type::set(o),
            ObjectNesting::Map => Type::map(o),
        }
    }
}

/// Nesting of nested blocks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlockNesting {
    Single,
    List,
    Set,
    Map,
    Group,
}

/// A nested block type, e.g. repeated `boundary { ... }` blocks.
#[derive(Debug, Clone, PartialEq)]
pub struct NestedBlock {
    pub type_name: String,
    pub block: Block,
    pub nesting: BlockNesting,
    pub min_items: i64,
    pub max_items: i64,
}

impl NestedBlock {
    pub fn new(type_name: &str, nesting: BlockNesting, block: Block) -> Self {
        NestedBlock { type_name: type_name.to_owned(), block, nesting, min_items: 0, max_items: 0 }
    }
    pub fn list(type_name: &str, block: Block) -> Self {
        Self::new(type_name, BlockNesting::List, block)
    }
    pub fn set(type_name: &str, block: Block) -> Self {
        Self::new(type_name, BlockNesting::Set, block)
    }
    pub fn single(type_name: &str, block: Block) -> Self {
        Self::new(type_name, BlockNesting::Single, block)
    }
    pub fn min_items(mut self, n: i64) -> Self {
        self.min_items = n;
        self
    }
    pub fn max_items(mut self, n: i64) -> Self {
        self.max_items = n;
        self
    }
    pub fn value_type(&self) -> Type {
        let o = self.block.value_type();
        match self.nesting {
            BlockNesting::Single | BlockNesting::Group => o,
            BlockNesting::List => Type::list(o),
            BlockNesting::Set => Type::set(o),
            BlockNesting::Map => Type::map(o),
        }
    }
}

/// Default planning helper: on create (or wherever the config leaves a
/// computed attribute null), marks computed attributes that have no value
/// yet as unknown, recursing into nested attributes and blocks.
///
/// `proposed` is Terraform's proposed new state (config merged with prior
/// state), `config` the raw configuration.
pub fn mark_computed_unknown(block: &Block, proposed: &Value, config: &Value) -> Value {
    let Value::Object(pm) = proposed else {
        return proposed.clone();
    };
    let mut out = pm.clone();
    for a in &block.attributes {
        let pv = pm.get(&a.name).unwrap_or(&Value::Null);
        let cv = config.get(&a.name).unwrap_or(&Value::Null);
        let nv = if a.computed && pv.is_null() && cv.is_null() {
            Value::Unknown
        } else if let AttributeKind::Nested(n) = &a.kind {
            let inner = Block { attributes: n.attributes.clone(), ..Block::default() };
            map_nested(pv, cv, |p, c| mark_computed_unknown(&inner, p, c))
        } else {
            pv.clone()
        };
        out.insert(a.name.clone(), nv);
    }
    for b in &block.blocks {
        let pv = pm.get(&b.type_name).unwrap_or(&Value::Null);
        let cv = config.get(&b.type_name).unwrap_or(&Value::Null);
        out.insert(b.type_name.clone(), map_nested(pv, cv, |p, c| mark_computed_unknown(&b.block, p, c)));
    }
    Value::Object(out)
}

fn map_nested(pv: &Value, cv: &Value, f: impl Fn(&Value, &Value) -> Value) -> Value {
    match pv {
        Value::Object(_) => f(pv, cv),
        Value::List(items) | Value::Tuple(items) => Value::List(
            items
                .iter()
                .enumerate()
                .map(|(i, p)| f(p, cv.as_list().and_then(|l| l.get(i)).unwrap_or(&Value::Null)))
                .collect(),
        ),
        // Set elements can't be matched to config elements by position.
        Value::Set(items) => Value::Set(items.iter().map(|p| f(p, p)).collect()),
        Value::Map(m) => Value::Map(
            m.iter()
                .map(|(k, p)| (k.clone(), f(p, cv.as_map().and_then(|cm| cm.get(k)).unwrap_or(&Value::Null))))
                .collect(),
        ),
        other => other.clone(),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn implied_types() {
        let b = Block::new()
            .attribute(Attribute::required("name", Type::String))
            .attribute(Attribute::optional(
                "rules",
                NestedAttributes::list(vec![Attribute::required("port", Type::Number)]),
            ))
            .block(NestedBlock::list("boundary", Block::new().attribute(Attribute::required("cidr", Type::String))));
        assert_eq!(
            b.value_type().to_json().to_string(),
            r#"["object",{"boundary":["list",["object",{"cidr":"string"}]],"name":"string","rules":["list",["object",{"port":"number"}]]}]"#
        );
    }

    #[test]
    fn computed_become_unknown() {
        let b = Block::new()
            .attribute(Attribute::required("name", Type::String))
            .attribute(Attribute::computed("id", Type::String))
            .attribute(Attribute::optional_computed("mode", Type::String));
        let cfg = Value::object([("name", "x".into()), ("id", Value::Null), ("mode", "fast".into())]);
        let planned = mark_computed_unknown(&b, &cfg, &cfg);
        assert_eq!(planned.get("id"), Some(&Value::Unknown));
        assert_eq!(planned.get("mode"), Some(&Value::from("fast")));
    }
}
