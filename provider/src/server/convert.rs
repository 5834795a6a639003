//! Conversion between framework types and generated protobuf types.

use super::proto::tfplugin6 as pb;
use crate::framework::value;
use crate::framework::{
    AttrPath, Attribute, AttributeKind, Block, BlockNesting, Diagnostic, Diagnostics, NestedBlock, ObjectNesting,
    Schema, Severity, Step, Type, Value,
};

pub(crate) fn schema(s: &Schema) -> pb::Schema {
    pb::Schema { version: s.version, block: Some(block(&s.block, s.version)) }
}

fn block(b: &Block, version: i64) -> pb::schema::Block {
    pb::schema::Block {
        version,
        attributes: b.attributes.iter().map(attribute).collect(),
        block_types: b.blocks.iter().map(nested_block).collect(),
        description: b.description.clone(),
        description_kind: pb::StringKind::Plain as i32,
        deprecated: b.deprecated,
    }
}

fn attribute(a: &Attribute) -> pb::schema::Attribute {
    // Exactly one of `type` / `nested_type` is set: Terraform rejects both.
    let (ty, nested) = match &a.kind {
        AttributeKind::Type(t) => (t.to_json_bytes(), None),
        AttributeKind::Nested(n) => (
            Vec::new(),
            Some(pb::schema::Object {
                attributes: n.attributes.iter().map(attribute).collect(),
                nesting: match n.nesting {
                    ObjectNesting::Single => pb::schema::object::NestingMode::Single,
                    ObjectNesting::List => pb::schema::object::NestingMode::List,
                    ObjectNesting::Set => pb::schema::object::NestingMode::Set,
                    ObjectNesting::Map => pb::schema::object::NestingMode::Map,
                } as i32,
                ..Default::default()
            }),
        ),
    };
    pb::schema::Attribute {
        name: a.name.clone(),
        r#type: ty,
        nested_type: nested,
        description: a.description.clone(),
        required: a.required,
        optional: a.optional,
        computed: a.computed,
        sensitive: a.sensitive,
        description_kind: pb::StringKind::Plain as i32,
        deprecated: a.deprecated,
        write_only: false,
    }
}

fn nested_block(nb: &NestedBlock) -> pb::schema::NestedBlock {
    use pb::schema::nested_block::NestingMode as M;
    pb::schema::NestedBlock {
        type_name: nb.type_name.clone(),
        block: Some(block(&nb.block, 0)),
        nesting: match nb.nesting {
            BlockNesting::Single => M::Single,
            BlockNesting::List => M::List,
            BlockNesting::Set => M::Set,
            BlockNesting::Map => M::Map,
            BlockNesting::Group => M::Group,
        } as i32,
        min_items: nb.min_items,
        max_items: nb.max_items,
    }
}

pub(crate) fn path_to_pb(p: &AttrPath) -> pb::AttributePath {
    use pb::attribute_path::step::Selector;
    pb::AttributePath {
        steps: p
            .steps()
            .iter()
            .map(|s| pb::attribute_path::Step {
                selector: Some(match s {
                    Step::Attr(n) => Selector::AttributeName(n.clone()),
                    Step::Key(k) => Selector::ElementKeyString(k.clone()),
                    Step::Index(i) => Selector::ElementKeyInt(*i),
                }),
            })
            .collect(),
    }
}

#[allow(dead_code)]
pub(crate) fn path_from_pb(p: &pb::AttributePath) -> AttrPath {
    use pb::attribute_path::step::Selector;
    AttrPath::from_steps(
        p.steps
            .iter()
            .filter_map(|s| {
                s.selector.as_ref().map(|sel| match sel {
                    Selector::AttributeName(n) => Step::Attr(n.clone()),
                    Selector::ElementKeyString(k) => Step::Key(k.clone()),
                    Selector::ElementKeyInt(i) => Step::Index(*i),
                })
            })
            .collect(),
    )
}

pub(crate) fn diagnostic(d: &Diagnostic) -> pb::Diagnostic {
    pb::Diagnostic {
        severity: match d.severity {
            Severity::Error => pb::diagnostic::Severity::Error,
            Severity::Warning => pb::diagnostic::Severity::Warning,
        } as i32,
        summary: d.summary.clone(),
        detail: d.detail.clone(),
        attribute: d.path.as_ref().filter(|p| !p.is_empty()).map(path_to_pb),
    }
}

pub(crate) fn diagnostics(ds: &Diagnostics) -> Vec<pb::Diagnostic> {
    ds.iter().map(diagnostic).collect()
}

/// Decodes a DynamicValue (msgpack preferred, JSON accepted); absent = null.
pub(crate) fn decode(dv: Option<&pb::DynamicValue>, ty: &Type, what: &str) -> Result<Value, Diagnostic> {
    let Some(dv) = dv else { return Ok(Value::Null) };
    let res = if !dv.msgpack.is_empty() {
        value::from_msgpack(&dv.msgpack, ty)
    } else if !dv.json.is_empty() {
        value::from_json_bytes(&dv.json, ty)
    } else {
        Ok(Value::Null)
    };
    res.map_err(|e| Diagnostic::error(format!("Invalid {what} received from Terraform"), e.to_string()))
}

/// Encodes a value as msgpack DynamicValue.
pub(crate) fn encode(v: &Value, ty: &Type, what: &str) -> Result<pb::DynamicValue, Diagnostic> {
    value::to_msgpack(v, ty).map(|msgpack| pb::DynamicValue { msgpack, json: Vec::new() }).map_err(|e| {
        Diagnostic::error(
            format!("Provider produced an invalid {what}"),
            format!("{e}. This is a bug in the provider; please report it."),
        )
    })
}
