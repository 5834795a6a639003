//! HCL for `terraform-provider-appmap`: the map as `appmap_service` and
//! `appmap_relation` resources plus the provider's `boundary` blocks.
//!
//! Architecture invariant: this module writes syntax only. It knows the
//! provider's attribute names and nothing of derivation; the provider
//! derives the rules from these resources with the same code as
//! [`ValidMap::derive`].

use std::collections::BTreeSet;

use hcl::expr::{Expression, Object, ObjectKey, Traversal, Variable};
use hcl::format::Format;
use hcl::{Block, Body, Identifier};

use crate::model::{Boundary, BoundaryKind, Relation, Service, ServiceName};
use crate::protocol::PortRange;
use crate::validate::ValidMap;

/// The data source that stands for the internet as a relation end.
const INTERNET_DATA: (&str, &str) = ("appmap_internet", "this");

/// A Terraform resource name for a service: `search-api` -> `search_api`.
fn resource_name(name: &ServiceName) -> String {
    name.as_str().replace('-', "_")
}

/// `tcp:8000-8010` -> `tcp_8000_8010`, `icmp:3/4` -> `icmp_3_4`.
fn protocol_token(protocol: &str) -> String {
    protocol.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '_' }).collect()
}

fn ref_to(name: &ServiceName) -> Expression {
    let t = if name.is_internet() {
        Traversal::builder(Variable::unchecked("data")).attr(INTERNET_DATA.0).attr(INTERNET_DATA.1).attr("ref").build()
    } else {
        Traversal::builder(Variable::unchecked("appmap_service")).attr(resource_name(name)).attr("ref").build()
    };
    Expression::from(t)
}

fn key(name: &str) -> ObjectKey {
    let plain = name.starts_with(|c: char| c.is_ascii_lowercase())
        && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if plain { ObjectKey::Identifier(Identifier::unchecked(name)) } else { ObjectKey::Expression(name.into()) }
}

fn strings<S: AsRef<str>>(items: &[S]) -> Expression {
    Expression::Array(items.iter().map(|s| Expression::from(s.as_ref())).collect())
}

fn port_range(r: &PortRange) -> Expression {
    if r.from() == r.to() { Expression::from(u64::from(r.from())) } else { Expression::from(r.to_string()) }
}

fn service_block(s: &Service) -> Block {
    let mut b = Block::builder("resource")
        .add_label("appmap_service")
        .add_label(resource_name(&s.name))
        .add_attribute(("name", s.name.as_str()));
    if let Some(z) = &s.zone {
        b = b.add_attribute(("zone", z.as_str()));
    }
    if let Some(o) = &s.owner {
        b = b.add_attribute(("owner", o.as_str()));
    }
    if !s.security_group_ids.is_empty() {
        b = b.add_attribute(("security_group_ids", strings(&s.security_group_ids)));
    }
    if !s.cidrs.is_empty() {
        let cidrs: Vec<String> = s.cidrs.iter().map(ToString::to_string).collect();
        b = b.add_attribute(("cidrs", strings(&cidrs)));
    }
    if !s.prefix_list_ids.is_empty() {
        b = b.add_attribute(("prefix_list_ids", strings(&s.prefix_list_ids)));
    }
    if !s.listens.is_empty() {
        let o: Object<ObjectKey, Expression> = s.listens.iter().map(|(n, r)| (key(n.name()), port_range(r))).collect();
        b = b.add_attribute(("listens", Expression::Object(o)));
    }
    if let Some(lb) = &s.load_balancer {
        let mut o: Object<ObjectKey, Expression> = Object::new();
        if let Some(n) = &lb.name {
            o.insert(key("name"), n.as_str().into());
        }
        o.insert(key("security_group_ids"), strings(&lb.security_group_ids));
        let listeners: Object<ObjectKey, Expression> =
            lb.listeners.iter().map(|(n, p)| (key(n.name()), Expression::from(u64::from(*p)))).collect();
        o.insert(key("listeners"), Expression::Object(listeners));
        if let Some(p) = lb.target_port {
            o.insert(key("target_port"), u64::from(p).into());
        }
        if let Some(p) = lb.health_check_port {
            o.insert(key("health_check_port"), u64::from(p).into());
        }
        b = b.add_attribute(("load_balancer", Expression::Object(o)));
    }
    if s.retired {
        b = b.add_attribute(("retired", true));
    }
    b.build()
}

fn relation_block(r: &Relation, name: String) -> Block {
    let mut b = Block::builder("resource")
        .add_label("appmap_relation")
        .add_label(name)
        .add_attribute(("from", ref_to(&r.from)))
        .add_attribute(("to", ref_to(&r.to)))
        .add_attribute(("protocol", r.protocol.to_string()))
        .add_attribute(("reason", r.reason.as_str()));
    if let Some(d) = r.review_by {
        b = b.add_attribute(("review_by", d.to_string()));
    }
    if let Some(c) = r.cadence {
        b = b.add_attribute(("cadence", c.as_str()));
    }
    if let Some(o) = &r.owner {
        b = b.add_attribute(("owner", o.as_str()));
    }
    if let Some(t) = &r.ticket {
        b = b.add_attribute(("ticket", t.as_str()));
    }
    if r.acknowledge_all_traffic {
        b = b.add_attribute(("acknowledge_all_traffic", true));
    }
    b.build()
}

fn boundary_block(bd: &Boundary) -> Block {
    let to: Vec<String> = bd.to.iter().map(ToString::to_string).collect();
    let mut b = Block::builder("boundary").add_attribute(("from", bd.from.to_string()));
    match &bd.kind {
        BoundaryKind::NeverTalksTo => b = b.add_attribute(("never_talks_to", strings(&to))),
        BoundaryKind::NeverReaches { except_through } => {
            b = b.add_attribute(("never_reaches", strings(&to)));
            if !except_through.is_empty() {
                b = b.add_attribute(("except_through", strings(except_through)));
            }
        }
    }
    b.add_attribute(("reason", bd.reason.as_str())).build()
}

/// Resource names for relations, in `(id, reason)` order:
/// `<from>_to_<to>_<protocol>`, with `_2`, `_3`, ... when two would clash.
fn relation_names(relations: &[&Relation]) -> Vec<String> {
    let mut used = BTreeSet::new();
    relations
        .iter()
        .map(|r| {
            let base = format!(
                "{}_to_{}_{}",
                resource_name(&r.from),
                resource_name(&r.to),
                protocol_token(&r.protocol.to_string())
            );
            let mut name = base.clone();
            let mut n = 1;
            while !used.insert(name.clone()) {
                n += 1;
                name = format!("{base}_{n}");
            }
            name
        })
        .collect()
}

impl ValidMap {
    /// The map as Terraform configuration for `terraform-provider-appmap`:
    /// a `provider "appmap"` block with the map's settings and boundaries,
    /// one `appmap_service` per service and one `appmap_relation` per
    /// relation. The internet is `data.appmap_internet.this.ref`.
    ///
    /// The same map always gives the same bytes, already `terraform fmt`-clean.
    ///
    /// Attributes beyond the provider issue's minimum, written only when set:
    /// provider `internet_ipv6` (when false); boundary `never_reaches` and
    /// `except_through` (the provider-level form of a `never_reaches`
    /// boundary); service `prefix_list_ids`, `retired`, and in
    /// `load_balancer` the `name` (rule keys use it) and `target_port`;
    /// relation `owner`, `ticket`, `acknowledge_all_traffic`. A `listens`
    /// port range is a string (`"8000-8010"`), a single port a number.
    ///
    /// # Examples
    /// ```
    /// use appmap::{AppMap, Peer, Port};
    /// let map = AppMap::new();
    /// let web = map.service("web-app").security_group("sg-web");
    /// web.connections().allow_from(Peer::internet(), Port::HTTPS, "Public \"site\"");
    /// let hcl = map.build().unwrap().to_hcl();
    /// assert!(hcl.contains(r#"resource "appmap_relation" "internet_to_web_app_https" {"#), "{hcl}");
    /// assert!(hcl.contains("  from     = data.appmap_internet.this.ref\n"), "{hcl}");
    /// assert!(hcl.contains(r#"  reason   = "Public \"site\"""#), "{hcl}");
    /// ```
    pub fn to_hcl(&self) -> String {
        let mut body = Body::builder();
        let mut provider = Block::builder("provider").add_label("appmap");
        provider = provider.add_attribute(("manage_egress", self.defaults().manage_egress));
        if !self.defaults().internet_ipv6 {
            provider = provider.add_attribute(("internet_ipv6", false));
        }
        let mut boundaries: Vec<&Boundary> = self.boundaries().iter().collect();
        boundaries.sort_by_key(|b| (b.describe(), b.reason.clone()));
        for b in boundaries {
            provider = provider.add_block(boundary_block(b));
        }
        body = body.add_block(provider.build());

        let mut relations: Vec<&Relation> = self.relations().iter().collect();
        // Every field in the key, so that even a relation declared twice
        // (a warning) cannot make the output depend on declaration order.
        relations.sort_by_cached_key(|r| {
            (
                r.id(),
                r.reason.clone(),
                r.review_by,
                r.cadence,
                r.owner.clone(),
                r.ticket.clone(),
                r.acknowledge_all_traffic,
            )
        });
        if relations.iter().any(|r| r.from.is_internet() || r.to.is_internet()) {
            body = body.add_block(Block::builder("data").add_label(INTERNET_DATA.0).add_label(INTERNET_DATA.1).build());
        }
        for s in self.services() {
            body = body.add_block(service_block(s));
        }
        for (r, name) in relations.iter().zip(relation_names(&relations)) {
            body = body.add_block(relation_block(r, name));
        }
        let mut formatter = hcl::format::Formatter::builder().compact_arrays(true).build_vec();
        let text = body.build().format_string(&mut formatter).unwrap_or_else(|e| format!("# cannot format HCL: {e}\n"));
        // The provider's source address; without it Terraform looks for hashicorp/appmap.
        const TERRAFORM_BLOCK: &str =
            "terraform {\n  required_providers {\n    appmap = {\n      source = \"appmap/appmap\"\n    }\n  }\n}\n\n";
        format!("{TERRAFORM_BLOCK}{}", terraform_fmt(&text))
    }
}

/// Applies the layout `terraform fmt` adds on top of hcl-rs's output:
/// `=` aligned across consecutive one-line attributes, and a blank line
/// between top-level blocks.
///
/// Alignment follows hclwrite: a run of lines of the form `key = value`,
/// where the value opens no bracket it does not close, shares one column
/// for `=`; any other line ends the run.
fn terraform_fmt(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let mut out: Vec<String> = Vec::with_capacity(lines.len());
    let mut run: Vec<(usize, usize)> = Vec::new(); // (line index in `out`, key width incl. indent)
    let flush = |out: &mut Vec<String>, run: &mut Vec<(usize, usize)>| {
        let width = run.iter().map(|(_, w)| *w).max().unwrap_or(0);
        for (i, w) in run.drain(..) {
            let line = &out[i];
            let (lead, rest) = line.split_at(w);
            let rest = rest.trim_start();
            out[i] = format!("{lead}{} {rest}", " ".repeat(width - w));
        }
    };
    for line in lines {
        if !line.starts_with(' ') && !line.is_empty() && !out.is_empty() && out.last().is_some_and(|l| l == "}") {
            flush(&mut out, &mut run);
            out.push(String::new());
        }
        match assignment_key_width(line) {
            Some(w) => {
                out.push(line.to_string());
                run.push((out.len() - 1, w));
            }
            None => {
                flush(&mut out, &mut run);
                out.push(line.to_string());
            }
        }
    }
    flush(&mut out, &mut run);
    let mut s = out.join("\n");
    s.push('\n');
    s
}

/// For `  key = value` whose value is complete on the line, the width of
/// `  key` (indent and key, without the spaces before `=`).
fn assignment_key_width(line: &str) -> Option<usize> {
    let indent = line.len() - line.trim_start().len();
    let rest = &line[indent..];
    let key_len = if let Some(quoted) = rest.strip_prefix('"') {
        quoted.find('"')? + 2
    } else {
        rest.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-'))?
    };
    if key_len == 0 || !rest[key_len..].trim_start().starts_with('=') {
        return None;
    }
    let value = rest[key_len..].trim_start()[1..].trim_start();
    let mut depth = 0i32;
    let mut in_str = false;
    let mut escaped = false;
    for c in value.chars() {
        if in_str {
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => in_str = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => in_str = true,
            '{' | '[' | '(' => depth += 1,
            '}' | ']' | ')' => depth -= 1,
            _ => {}
        }
    }
    (depth == 0).then_some(indent + key_len)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn alignment_follows_runs() {
        let text = "resource \"a\" \"b\" {\n  name = \"x\"\n  security_group_ids = [\"sg\"]\n  load_balancer = {\n    name = \"lb\"\n    listeners = {\n      https = 443\n    }\n  }\n}\nresource \"a\" \"c\" {\n  n = 1\n}\n";
        let want = "resource \"a\" \"b\" {\n  name               = \"x\"\n  security_group_ids = [\"sg\"]\n  load_balancer = {\n    name = \"lb\"\n    listeners = {\n      https = 443\n    }\n  }\n}\n\nresource \"a\" \"c\" {\n  n = 1\n}\n";
        assert_eq!(terraform_fmt(text), want);
    }

    #[test]
    fn template_sequences_in_reasons_stay_literal() {
        let map = crate::AppMap::new();
        let a = map.service("a");
        a.connections().allow_internally(crate::Port::HTTPS, "Costs ${var.x} and %{if y} \"quoted\"\nnext");
        let hcl = map.build().unwrap().to_hcl();
        assert!(hcl.contains(r#"reason   = "Costs $${var.x} and %%{if y} \"quoted\"\nnext""#), "{hcl}");
    }

    #[test]
    fn relation_names_are_unique() {
        let r = |a: &str, b: &str| {
            Relation::new(
                a.parse().unwrap(),
                b.parse().unwrap(),
                "tcp:8000-8010".parse().unwrap(),
                crate::model::Reason::new("x").unwrap(),
            )
        };
        let (x, y) = (r("a", "b-to-c"), r("a-to-b", "c"));
        assert_eq!(relation_names(&[&x, &y]), ["a_to_b_to_c_tcp_8000_8010", "a_to_b_to_c_tcp_8000_8010_2"]);
    }
}
