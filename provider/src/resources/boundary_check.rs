//! `appmap_boundary_check`: enforces `never_reaches` boundaries (and
//! `never_talks_to`) over a set of relations during `terraform plan`.
//!
//! A single relation cannot see a multi-hop path; this resource takes the
//! relations of a configuration and fails the plan with the offending path,
//! hop by hop, and the boundary's reason. The path search is the library's.

use appmap::{Map, Protocol, Reason, Relation};

use crate::framework::{
    ApplyRequest, AttrPath, Attribute, Block, Diagnostics, NestedBlock, Outcome, Plan, PlanRequest, ProviderCtx,
    Resource, Schema, Type, Value,
};

use super::convert::{
    Unusable, boundaries_for, provider_settings, ref_type, service_from_ref, to_location, to_resource_diagnostic,
};
use super::provider_config::settings;

/// `appmap_boundary_check`.
#[derive(Debug, Clone, Copy, Default)]
pub struct AppmapBoundaryCheck;

fn check(ctx: &ProviderCtx, config: &Value) -> Diagnostics {
    let mut diags = Diagnostics::new();
    let settings = settings(ctx);
    let mut map = Map { defaults: settings.defaults.clone(), ..Map::default() };
    let relations = config.get("relations").and_then(Value::as_list).unwrap_or_default();
    for (i, r) in relations.iter().enumerate() {
        let at = AttrPath::new("relations").index(i as i64);
        let mut ends = Vec::new();
        for side in ["from", "to"] {
            match service_from_ref(r.get(side).unwrap_or(&Value::Null), &at.attr(side)) {
                Ok(s) => ends.push(s),
                Err(Unusable::Unknown) => return diags,
                Err(Unusable::Invalid(d)) => {
                    diags.extend(d);
                    ends.push(None);
                }
            }
        }
        let protocol = match r.get("protocol") {
            Some(Value::String(p)) => match p.parse::<Protocol>() {
                Ok(p) => p,
                Err(e) => {
                    diags.error_at(at.attr("protocol"), "Invalid protocol", e);
                    continue;
                }
            },
            Some(Value::Unknown) => return diags,
            _ => continue,
        };
        let reason = r
            .get("reason")
            .and_then(Value::as_str)
            .and_then(|s| Reason::new(s).ok())
            .unwrap_or_else(|| Reason::new("(no reason)").unwrap_or_else(|_| unreachable!()));
        let name =
            |s: &Option<appmap::Service>| s.as_ref().map_or_else(appmap::ServiceName::internet, |s| s.name.clone());
        let mut rel = Relation::new(name(&ends[0]), name(&ends[1]), protocol, reason);
        rel.acknowledge_all_traffic = true; // judged by the relation itself, not here
        rel.location = to_location(&at);
        for f in ["from", "to", "protocol"] {
            rel.fields.insert(f, to_location(&at.attr(f)));
        }
        for s in ends.into_iter().flatten() {
            if !map.services.iter().any(|m| m.name == s.name) {
                map.services.push(s);
            }
        }
        map.relations.push(rel);
    }
    if diags.has_errors() {
        return diags;
    }
    // This resource's own never_reaches blocks, read like provider boundaries.
    let own = Value::object([("boundary", config.get("never_reaches").cloned().unwrap_or(Value::Null))]);
    let (local, local_diags) = provider_settings(&own);
    diags.extend(local_diags);
    let mut boundaries = settings.boundaries.clone();
    boundaries.extend(local.boundaries);
    map.boundaries = boundaries_for(&boundaries, &map);
    // Relations each went through their own plan; only the cross-relation
    // errors (boundaries) are this resource's to report.
    match appmap::paths::check_map(map) {
        Err(errors) => {
            for d in errors.0.iter().filter(|d| d.is_error() && d.message.contains("boundary")) {
                let mut out = to_resource_diagnostic(d, "relations");
                out.path = out.path.or_else(|| Some(AttrPath::new("relations")));
                diags.push(out);
            }
        }
        Ok(violations) => {
            for v in violations {
                let mut detail = format!("Reason: {}\n\nPath, hop by hop:\n", v.reason);
                for (n, h) in v.path.hops.iter().enumerate() {
                    let via = if h.relations.is_empty() {
                        "no declared relation".to_string()
                    } else {
                        h.relations.join(", ")
                    };
                    detail.push_str(&format!("  {}. {} -> {} on {} ({via})\n", n + 1, h.from, h.to, h.ports));
                }
                detail.push_str("\nRemove a relation on the path, route it through a permitted choke point, or change the boundary with a reason.");
                diags.error_at(
                    AttrPath::new("relations"),
                    format!("{} reaches {} across boundary `{}`", v.path.from, v.path.to, v.description),
                    detail,
                );
            }
        }
    }
    diags
}

impl Resource for AppmapBoundaryCheck {
    fn type_name(&self) -> &'static str {
        "appmap_boundary_check"
    }

    fn schema(&self) -> Schema {
        let relation = Type::object([
            ("from", ref_type()),
            ("to", ref_type()),
            ("protocol", Type::String),
            ("reason", Type::String),
        ]);
        let never_reaches = Block::new()
            .attribute(Attribute::required("from", Type::String).description("Service, `zone:NAME` or `internet`."))
            .attribute(
                Attribute::optional("never_talks_to", Type::list(Type::String))
                    .description("No direct relation may exist."),
            )
            .attribute(
                Attribute::optional("never_reaches", Type::list(Type::String))
                    .description("No path of any length may exist."),
            )
            .attribute(
                Attribute::optional("except_through", Type::list(Type::String))
                    .description("Choke points a path may pass through."),
            )
            .attribute(Attribute::required("reason", Type::String).description("Why."));
        Schema::new(
            Block::new()
                .description("Fails the plan when the given relations connect what a boundary (of the provider block, or of this resource) keeps apart, showing the path hop by hop.")
                .attribute(Attribute::required("relations", Type::list(relation)).description("The relations to check, e.g. `[appmap_relation.a, appmap_relation.b]`."))
                .attribute(Attribute::computed("id", Type::String).description("Always `boundary-check`."))
                .block(NestedBlock::list("never_reaches", never_reaches)),
        )
    }

    fn plan(&self, req: &PlanRequest<'_>) -> Plan {
        let mut planned = req.proposed_new_state.clone();
        planned.set_attr("id", Value::from("boundary-check"));
        Plan { planned_state: planned, requires_replace: Vec::new(), diagnostics: check(req.ctx, req.config) }
    }

    fn apply(&self, req: &ApplyRequest<'_>) -> Outcome {
        if req.is_delete() {
            return Outcome::ok(Value::Null);
        }
        let diags = check(req.ctx, req.config);
        if diags.has_errors() {
            return Outcome::err(diags);
        }
        let mut state = req.planned_state.clone();
        state.set_attr("id", Value::from("boundary-check"));
        Outcome::ok(state)
    }
}
