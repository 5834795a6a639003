//! Renders derived rules for machines (JSON) and people (text).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde_json::{Value, json};

use crate::derive::{Derivation, Rule};

/// Pretty-prints `value` as JSON with a trailing newline: every JSON output
/// of the crate goes through here, so they all look alike.
pub(crate) fn pretty_json(value: &impl serde::Serialize, size_hint: usize) -> String {
    let mut out = Vec::with_capacity(size_hint);
    match serde_json::to_writer_pretty(&mut out, value) {
        Ok(()) => {
            let mut s = String::from_utf8(out).unwrap_or_default();
            s.push('\n');
            s
        }
        Err(e) => format!("{{\"error\": \"{e}\"}}\n"),
    }
}

impl Rule {
    /// The rule as a JSON object with the fields of
    /// `aws_vpc_security_group_ingress_rule` / `_egress_rule`, plus its key,
    /// direction and relations.
    pub fn to_json(&self) -> Value {
        let (proto, from, to) = self.aws_fields();
        let mut o = serde_json::Map::new();
        o.insert("key".into(), json!(self.key));
        o.insert("direction".into(), json!(self.direction.as_str()));
        o.insert("security_group_id".into(), json!(self.security_group_id));
        o.insert("ip_protocol".into(), json!(proto.as_str()));
        o.insert("from_port".into(), json!(from));
        o.insert("to_port".into(), json!(to));
        o.insert(self.peer.field().into(), json!(self.peer.value()));
        o.insert("description".into(), json!(self.description));
        o.insert("relations".into(), json!(self.relations));
        Value::Object(o)
    }
}

impl Derivation {
    /// `{"rules": [...], "warnings": [{"message", "location"}]}`, pretty-printed, newline-terminated.
    pub fn to_json(&self) -> String {
        let rules: Vec<Value> = self.rules.iter().map(Rule::to_json).collect();
        let warnings: Vec<Value> = self
            .warnings
            .iter()
            .map(|w| {
                let mut o = json!({"message": w.message, "location": w.location.to_string()});
                if let Some(h) = &w.help {
                    o["help"] = json!(h);
                }
                o
            })
            .collect();
        pretty_json(&json!({"rules": rules, "warnings": warnings}), self.rules.len() * 400 + 256)
    }

    /// Rules grouped by security group, one line each, with the reason visible.
    pub fn to_text(&self) -> String {
        let mut groups: BTreeMap<(&str, String), Vec<&Rule>> = BTreeMap::new();
        for r in &self.rules {
            groups.entry((r.security_group_id.as_str(), r.group.owner.to_string())).or_default().push(r);
        }
        let mut out = String::new();
        for ((gid, owner), rules) in groups {
            let _ = writeln!(out, "{gid} ({owner})");
            for r in rules {
                let (proto, from, to) = r.aws_fields();
                let ports = match (from, to) {
                    (Some(a), Some(b)) if a == b => format!("{a}"),
                    (Some(a), Some(b)) => format!("{a}-{b}"),
                    _ => "all".to_string(),
                };
                let arrow = match r.direction {
                    crate::derive::Direction::Ingress => "from",
                    crate::derive::Direction::Egress => "to  ",
                };
                let _ = writeln!(
                    out,
                    "  {:<7} {:<6} {:<11} {arrow} {:<24} # {}",
                    r.direction.as_str(),
                    proto.as_str(),
                    ports,
                    r.peer.value(),
                    r.description
                );
            }
        }
        if !self.warnings.is_empty() {
            out.push('\n');
            for w in &self.warnings {
                let _ = writeln!(out, "{w}");
            }
        }
        let _ = writeln!(out, "{} rules, {} warnings", self.rules.len(), self.warnings.len());
        out
    }
}
