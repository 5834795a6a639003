//! `appmap_relation`: the unit of intent — `from` talks to `to` over
//! `protocol`, because `reason`. Its plan carries the derived security group
//! rules as computed attributes, keyed by stable rule keys that are known at
//! plan time even when group ids are not.

use std::collections::BTreeMap;

use appmap::{Cadence, Date, Map, Protocol, Reason, Relation, ValidMap};

use crate::framework::{
    ApplyRequest, AttrPath, Attribute, Block, Diagnostic, Diagnostics, NestedAttributes, Outcome, Plan, PlanRequest,
    ProviderCtx, Resource, Schema, Type, Value,
};

use super::convert::{
    Unusable, boundaries_for, ref_attributes, rule_maps, rule_type, service_from_ref, to_location,
    to_resource_diagnostic,
};
use super::provider_config::settings;

/// `appmap_relation`.
#[derive(Debug, Clone, Copy, Default)]
pub struct AppmapRelation;

/// What a relation's configuration yields.
struct Derived {
    id: String,
    rules: Vec<appmap::Rule>,
    warnings: Diagnostics,
}

/// Reads a string attribute: `Ok(None)` when null, `Err` when unknown.
fn text<'a>(config: &'a Value, name: &str) -> Result<Option<&'a str>, Unusable> {
    match config.get(name) {
        Some(Value::Unknown) => Err(Unusable::Unknown),
        Some(Value::String(s)) => Ok(Some(s)),
        _ => Ok(None),
    }
}

/// Checks the fields a relation has on its own (no provider settings needed).
fn relation_fields(config: &Value) -> Result<(Protocol, Reason, Option<Date>, Option<Cadence>), Unusable> {
    let mut diags = Diagnostics::new();
    let mut unknown = false;
    let mut field = |name: &str| match text(config, name) {
        Ok(v) => v,
        Err(_) => {
            unknown = true;
            None
        }
    };
    let (p, r, d, c) = (field("protocol"), field("reason"), field("review_by"), field("cadence"));
    let protocol = p.and_then(|p| {
        p.parse::<Protocol>().map_err(|e| diags.error_at(AttrPath::new("protocol"), "Invalid protocol", e)).ok()
    });
    let reason =
        r.and_then(|r| Reason::new(r).map_err(|e| diags.error_at(AttrPath::new("reason"), "Missing reason", e)).ok());
    let review_by = d.and_then(|d| {
        d.parse::<Date>().map_err(|e| diags.error_at(AttrPath::new("review_by"), "Invalid date", e)).ok()
    });
    let cadence = c.and_then(|c| {
        c.parse::<Cadence>().map_err(|e| diags.error_at(AttrPath::new("cadence"), "Invalid cadence", e)).ok()
    });
    if diags.has_errors() {
        return Err(Unusable::Invalid(diags));
    }
    if unknown {
        return Err(Unusable::Unknown);
    }
    match (protocol, reason) {
        (Some(p), Some(r)) => Ok((p, r, review_by, cadence)),
        _ => Err(Unusable::Unknown),
    }
}

fn derive(ctx: &ProviderCtx, config: &Value) -> Result<Derived, Unusable> {
    let (protocol, reason, review_by, cadence) = relation_fields(config)?;
    let null = Value::Null;
    let from = service_from_ref(config.get("from").unwrap_or(&null), &AttrPath::new("from"));
    let to = service_from_ref(config.get("to").unwrap_or(&null), &AttrPath::new("to"));
    let (from, to) = match (from, to) {
        (Err(Unusable::Invalid(mut a)), Err(Unusable::Invalid(b))) => {
            a.extend(b);
            return Err(Unusable::Invalid(a));
        }
        (Err(e), _) | (_, Err(e)) => return Err(e),
        (Ok(a), Ok(b)) => (a, b),
    };
    let name = |s: &Option<appmap::Service>| s.as_ref().map_or_else(appmap::ServiceName::internet, |s| s.name.clone());
    let settings = settings(ctx);
    let mut map = Map { defaults: settings.defaults.clone(), ..Map::default() };
    let mut rel = Relation::new(name(&from), name(&to), protocol, reason);
    rel.review_by = review_by;
    rel.cadence = cadence;
    rel.owner = config.get("owner").and_then(Value::as_str).map(str::to_string);
    rel.ticket = config.get("ticket").and_then(Value::as_str).map(str::to_string);
    rel.acknowledge_all_traffic = config.get("acknowledge_all_traffic").and_then(Value::as_bool).unwrap_or(false);
    rel.location = to_location(&AttrPath::root());
    for f in ["from", "to", "protocol", "reason"] {
        rel.fields.insert(f, to_location(&AttrPath::new(f)));
    }
    let id = rel.id();
    for s in [from, to].into_iter().flatten() {
        if !map.services.iter().any(|m| m.name == s.name) {
            map.services.push(s);
        }
    }
    map.relations.push(rel);
    map.boundaries = boundaries_for(&settings.boundaries, &map);
    // Boundary diagnostics are located at the provider block; on this
    // resource they belong on the relation's `to`.
    let relocate = |d: &appmap::Diagnostic| {
        let mut out = to_resource_diagnostic(d, "to");
        // The library's hints are written for map files; speak HCL here.
        out.detail = out.detail.replace("`acknowledge_all_traffic: true`", "`acknowledge_all_traffic = true`");
        out
    };
    match ValidMap::new(map) {
        Err(diags) => Err(Unusable::Invalid(Diagnostics(diags.0.iter().map(relocate).collect()))),
        Ok(vm) => {
            let d = vm.derive();
            let warnings = Diagnostics(vm.warnings().iter().chain(&d.warnings).map(relocate).collect());
            Ok(Derived { id, rules: d.rules, warnings })
        }
    }
}

fn with_rules(mut state: Value, derived: Result<Derived, Unusable>) -> (Value, Diagnostics) {
    match derived {
        Ok(d) => {
            let (all, ingress, egress) = rule_maps(&d.rules);
            state.set_attr("id", Value::String(d.id));
            state.set_attr("rules", all);
            state.set_attr("ingress_rules", ingress);
            state.set_attr("egress_rules", egress);
            (state, d.warnings)
        }
        Err(Unusable::Unknown) => {
            for a in ["id", "rules", "ingress_rules", "egress_rules"] {
                state.set_attr(a, Value::Unknown);
            }
            (state, Diagnostics::new())
        }
        Err(Unusable::Invalid(d)) => (state, d),
    }
}

impl Resource for AppmapRelation {
    fn type_name(&self) -> &'static str {
        "appmap_relation"
    }

    fn schema(&self) -> Schema {
        let rules = || Type::map(rule_type());
        Schema::new(
            Block::new()
                .description("A declared flow: `from` talks to `to` over `protocol`, because `reason`. Its plan carries the derived security group rules, keyed by stable rule keys.")
                .attribute(Attribute::required("from", NestedAttributes::single(ref_attributes())).description("The client: `appmap_service.<name>.ref` or `data.appmap_internet.<name>.ref`."))
                .attribute(Attribute::required("to", NestedAttributes::single(ref_attributes())).description("The server: `appmap_service.<name>.ref`."))
                .attribute(Attribute::required("protocol", Type::String).description("`https`, `postgres`, ... (named; follows the server's `listens`), `tcp:PORT`, `tcp:LO-HI`, `udp:PORT`, `icmp`, `icmp:TYPE/CODE`, or `all` with `acknowledge_all_traffic`."))
                .attribute(Attribute::required("reason", Type::String).description("Why the flow exists. Required and non-empty; a ticket number or `TODO` alone is a warning."))
                .attribute(Attribute::optional("review_by", Type::String).description("Date (YYYY-MM-DD) by which the relation must be reviewed."))
                .attribute(Attribute::optional("cadence", Type::String).description("continuous, daily, weekly, monthly, quarterly, yearly, failover or dr."))
                .attribute(Attribute::optional("owner", Type::String).description("Who answers for the relation."))
                .attribute(Attribute::optional("ticket", Type::String).description("The ticket that approved it."))
                .attribute(Attribute::optional("acknowledge_all_traffic", Type::Bool).description("Required to use protocol `all`."))
                .attribute(Attribute::computed("id", Type::String).description("`from->to:protocol`."))
                .attribute(Attribute::computed("rules", rules()).description("Every derived rule by stable key."))
                .attribute(Attribute::computed("ingress_rules", rules()).description("Derived ingress rules by stable key: feed to `aws_vpc_security_group_ingress_rule` with `for_each`."))
                .attribute(Attribute::computed("egress_rules", rules()).description("Derived egress rules by stable key: feed to `aws_vpc_security_group_egress_rule` with `for_each`.")),
        )
    }

    fn validate(&self, _ctx: &ProviderCtx, config: &Value) -> Diagnostics {
        match relation_fields(config) {
            Err(Unusable::Invalid(d)) => d,
            _ => Diagnostics::new(),
        }
    }

    fn plan(&self, req: &PlanRequest<'_>) -> Plan {
        let (planned, diagnostics) = with_rules(req.proposed_new_state.clone(), derive(req.ctx, req.config));
        Plan { planned_state: planned, requires_replace: Vec::new(), diagnostics }
    }

    fn apply(&self, req: &ApplyRequest<'_>) -> Outcome {
        if req.is_delete() {
            return Outcome::ok(Value::Null);
        }
        let (state, diags) = with_rules(req.planned_state.clone(), derive(req.ctx, req.config));
        if diags.has_errors() {
            return Outcome::err(diags);
        }
        Outcome::ok(state)
    }

    fn import(&self, _ctx: &ProviderCtx, id: &str) -> Outcome {
        let parsed = id.split_once("->").and_then(|(from, rest)| rest.split_once(':').map(|(to, p)| (from, to, p)));
        let Some((from, to, protocol)) = parsed else {
            return Outcome::err(Diagnostic::error(
                "Invalid import id",
                format!(
                    "Import an appmap_relation by its id `FROM->TO:PROTOCOL`, e.g. `frontend->search-api:https`; got `{id}`."
                ),
            ));
        };
        // Refuse what could never match a configuration, saying which part is wrong.
        let mut bad = Vec::new();
        for (what, name) in [("FROM", from), ("TO", to)] {
            if let Err(e) = name.parse::<appmap::ServiceName>() {
                bad.push(format!("{what} `{name}`: {e}"));
            }
        }
        if let Err(e) = protocol.parse::<Protocol>() {
            bad.push(format!("PROTOCOL `{protocol}`: {e}"));
        }
        if !bad.is_empty() {
            return Outcome::err(Diagnostic::error(
                "Invalid import id",
                format!(
                    "Import an appmap_relation by its id `FROM->TO:PROTOCOL`, e.g. `frontend->search-api:https`; in `{id}`, {}.",
                    bad.join("; ")
                ),
            ));
        }
        let end = |name: &str| {
            let mut o = BTreeMap::new();
            for a in ref_attributes() {
                o.insert(a.name.clone(), Value::Null);
            }
            o.insert("name".to_string(), Value::from(name));
            Value::Object(o)
        };
        let mut state = Value::Null;
        for (k, v) in [
            ("from", end(from)),
            ("to", end(to)),
            ("protocol", Value::from(protocol)),
            ("id", Value::from(id)),
            ("rules", Value::Map(BTreeMap::new())),
            ("ingress_rules", Value::Map(BTreeMap::new())),
            ("egress_rules", Value::Map(BTreeMap::new())),
        ] {
            state.set_attr(k, v);
        }
        for k in ["reason", "review_by", "cadence", "owner", "ticket", "acknowledge_all_traffic"] {
            state.set_attr(k, Value::Null);
        }
        Outcome::ok(state)
    }
}
