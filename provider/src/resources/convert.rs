//! Terraform values to and from the `appmap` model.
//!
//! The provider never decides anything about rules: it turns configuration
//! into an `appmap::Map`, lets the library validate and derive, and turns the
//! result back into values. Group ids unknown at plan time travel through
//! derivation as placeholders and come back out as unknown values, so rule
//! keys (made of names and positions only) stay known.

use std::collections::BTreeMap;

use appmap::{
    Boundary, BoundaryKind, Defaults, Direction, LoadBalancer, Location, Map, Named, PathStep, PortRange, Reason, Rule,
    Selector, Service, ServiceName,
};

use crate::framework::{AttrPath, Attribute, Diagnostic, Diagnostics, NestedAttributes, Step, Type, Value};

/// Marks a group id that Terraform does not know yet.
const UNKNOWN_PREFIX: &str = "\u{1}unknown:";

/// The attributes a service reference carries (`appmap_service.x.ref`,
/// `data.appmap_internet.x.ref`, or a literal object in `from` / `to`).
pub fn ref_attributes() -> Vec<Attribute> {
    vec![
        Attribute::required("name", Type::String)
            .description("Service name (lowercase letters, digits, `-`), or `internet`."),
        Attribute::optional("zone", Type::String).description("Zone, e.g. `public`, `app`, `data`, `pci`."),
        Attribute::optional("owner", Type::String).description("Owning team."),
        Attribute::optional("security_group_ids", Type::list(Type::String))
            .description("Security groups of the service."),
        Attribute::optional("cidrs", Type::list(Type::String)).description("CIDRs, for services outside our control."),
        Attribute::optional("prefix_list_ids", Type::list(Type::String))
            .description("Managed prefix lists, for services outside our control."),
        Attribute::optional("listens", Type::map(Type::Number))
            .description("Port overrides per named protocol, e.g. `{ https = 8443 }`."),
        Attribute::optional("load_balancer", NestedAttributes::single(lb_attributes()))
            .description("The load balancer in front of the service."),
        Attribute::optional("retired", Type::Bool)
            .description("The service is retired; relations naming it are stale."),
    ]
}

/// The attributes of a load balancer.
pub fn lb_attributes() -> Vec<Attribute> {
    vec![
        Attribute::optional("name", Type::String).description("Name used in rule keys; defaults to `<service>-lb`."),
        Attribute::required("security_group_ids", Type::list(Type::String))
            .description("Security groups of the load balancer."),
        Attribute::required("listeners", Type::map(Type::Number))
            .description("Listener port per named protocol, e.g. `{ https = 443 }`."),
        Attribute::optional("target_port", Type::Number)
            .description("Port the load balancer forwards to; defaults to the service's port."),
        Attribute::optional("health_check_port", Type::Number)
            .description("Health-check port, when it differs from the target port."),
    ]
}

/// The object type of a service reference.
pub fn ref_type() -> Type {
    NestedAttributes::single(ref_attributes()).object_type()
}

/// The object type of one derived rule.
pub fn rule_type() -> Type {
    Type::object([
        ("direction", Type::String),
        ("security_group_id", Type::String),
        ("ip_protocol", Type::String),
        ("from_port", Type::Number),
        ("to_port", Type::Number),
        ("referenced_security_group_id", Type::String),
        ("cidr_ipv4", Type::String),
        ("cidr_ipv6", Type::String),
        ("prefix_list_id", Type::String),
        ("description", Type::String),
    ])
}

/// A string attribute, `None` when null; `Err(())` when unknown.
fn opt_str(v: Option<&Value>) -> Result<Option<String>, ()> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Unknown) => Err(()),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Ok(None),
    }
}

/// Strings of a list attribute; unknown elements become placeholders
/// named after `slot`. `Err(())` when the list itself is unknown.
fn strings(v: Option<&Value>, slot: &str) -> Result<Vec<String>, ()> {
    match v {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Unknown) => Err(()),
        Some(v) => Ok(v
            .as_list()
            .unwrap_or_default()
            .iter()
            .enumerate()
            .filter(|(_, e)| !e.is_null())
            .map(|(i, e)| match e {
                Value::String(s) => s.clone(),
                _ => format!("{UNKNOWN_PREFIX}{slot}:{i}"),
            })
            .collect()),
    }
}

fn port(v: &Value) -> Option<u16> {
    v.as_i64().and_then(|n| u16::try_from(n).ok()).filter(|p| *p > 0)
}

/// Why a value could not be turned into the model.
#[derive(Debug)]
pub enum Unusable {
    /// Something needed is unknown until apply.
    Unknown,
    /// Something is invalid; the diagnostics say what and where.
    Invalid(Diagnostics),
}

/// Converts a service reference object at `path` into a model service.
/// `None` for the built-in internet.
pub fn service_from_ref(v: &Value, path: &AttrPath) -> Result<Option<Service>, Unusable> {
    let mut diags = Diagnostics::new();
    let name = match v.get("name") {
        Some(Value::Unknown) | None if v.is_unknown() => return Err(Unusable::Unknown),
        Some(Value::Unknown) => return Err(Unusable::Unknown),
        Some(Value::String(s)) => s.clone(),
        _ => {
            diags.error_at(path.attr("name"), "Missing service name", "A service reference needs a `name`.");
            return Err(Unusable::Invalid(diags));
        }
    };
    let name: ServiceName = match name.parse() {
        Ok(n) => n,
        Err(e) => {
            diags.error_at(path.attr("name"), "Invalid service name", e);
            return Err(Unusable::Invalid(diags));
        }
    };
    if name.is_internet() {
        return Ok(None);
    }
    let unknown = |_| Unusable::Unknown;
    let mut s = Service::new(name.clone());
    s.zone = opt_str(v.get("zone")).map_err(unknown)?;
    s.owner = opt_str(v.get("owner")).map_err(unknown)?;
    s.retired = v.get("retired").and_then(Value::as_bool).unwrap_or(false);
    s.security_group_ids = strings(v.get("security_group_ids"), &format!("{name}:sg")).map_err(unknown)?;
    for (i, c) in strings(v.get("cidrs"), "cidr").map_err(unknown)?.into_iter().enumerate() {
        match appmap::model::parse_cidr(&c) {
            Ok(net) => s.cidrs.push(net),
            Err(e) => diags.error_at(path.attr("cidrs").index(i as i64), "Invalid CIDR", e),
        }
    }
    s.prefix_list_ids = strings(v.get("prefix_list_ids"), &format!("{name}:pl")).map_err(unknown)?;
    s.listens = named_ports(v.get("listens"), &path.attr("listens"), &mut diags)?
        .into_iter()
        .map(|(n, p)| (n, PortRange::single(p)))
        .collect();
    match v.get("load_balancer") {
        Some(Value::Unknown) => return Err(Unusable::Unknown),
        Some(lb @ Value::Object(_)) => {
            let at = path.attr("load_balancer");
            let mut out = LoadBalancer {
                name: opt_str(lb.get("name")).map_err(unknown)?,
                security_group_ids: strings(lb.get("security_group_ids"), &format!("{name}:lb")).map_err(unknown)?,
                ..LoadBalancer::default()
            };
            out.listeners = named_ports(lb.get("listeners"), &at.attr("listeners"), &mut diags)?;
            for (field, slot) in
                [("target_port", &mut out.target_port), ("health_check_port", &mut out.health_check_port)]
            {
                match lb.get(field) {
                    Some(Value::Unknown) => return Err(Unusable::Unknown),
                    Some(Value::Null) | None => {}
                    Some(p) => match port(p) {
                        Some(p) => *slot = Some(p),
                        None => diags.error_at(at.attr(field), "Invalid port", "Ports are 1-65535."),
                    },
                }
            }
            out.location = to_location(&at);
            s.load_balancer = Some(out);
        }
        _ => {}
    }
    s.location = to_location(path);
    if diags.has_errors() { Err(Unusable::Invalid(diags)) } else { Ok(Some(s)) }
}

/// A `{ protocol = port }` map (`listens`, `listeners`) at `at`: unknown
/// names and bad ports are diagnostics; any unknown value makes it unusable.
fn named_ports(v: Option<&Value>, at: &AttrPath, diags: &mut Diagnostics) -> Result<BTreeMap<Named, u16>, Unusable> {
    let mut out = BTreeMap::new();
    let m = match v {
        Some(Value::Unknown) => return Err(Unusable::Unknown),
        Some(Value::Map(m) | Value::Object(m)) => m,
        _ => return Ok(out),
    };
    for (k, p) in m {
        match (Named::lookup(k), p) {
            (_, Value::Unknown) => return Err(Unusable::Unknown),
            (None, _) => diags.error_at(at.key(k), "Unknown protocol name", unknown_named(k)),
            (Some(n), p) => match port(p) {
                Some(p) => {
                    out.insert(n, p);
                }
                None => diags.error_at(at.key(k), "Invalid port", "Ports are 1-65535."),
            },
        }
    }
    Ok(out)
}

fn unknown_named(k: &str) -> String {
    let names: Vec<&str> = Named::ALL.iter().map(Named::name).collect();
    match appmap::diag::did_you_mean(k, names.iter().copied()) {
        Some(m) => format!("`{k}` is not a named protocol; did you mean `{m}`?"),
        None => format!("`{k}` is not a named protocol; use one of {}.", names.join(", ")),
    }
}

/// A framework attribute path as a model location.
pub fn to_location(path: &AttrPath) -> Location {
    Location::Attribute(
        path.steps()
            .iter()
            .map(|s| match s {
                Step::Attr(a) => PathStep::Attr(a.clone()),
                Step::Key(k) => PathStep::Key(k.clone()),
                Step::Index(i) => PathStep::Index(*i),
            })
            .collect(),
    )
}

/// A model location as a framework attribute path (none for file locations).
pub fn to_path(loc: &Location) -> Option<AttrPath> {
    match loc {
        Location::Attribute(steps) => Some(AttrPath::from_steps(
            steps
                .iter()
                .map(|s| match s {
                    PathStep::Attr(a) => Step::Attr(a.clone()),
                    PathStep::Key(k) => Step::Key(k.clone()),
                    PathStep::Index(i) => Step::Index(*i),
                })
                .collect(),
        )),
        _ => None,
    }
}

/// A library diagnostic as a Terraform diagnostic, at its attribute path.
/// `remap` may move the path (e.g. provider-block boundaries are reported on
/// the resource that crosses them).
pub fn to_diagnostic(d: &appmap::Diagnostic) -> Diagnostic {
    let detail = d.help.clone().unwrap_or_default();
    let (summary, detail) = match d.message.split_once(": ") {
        Some((head, rest)) if head.len() < 120 => {
            (head.to_string(), if detail.is_empty() { rest.to_string() } else { format!("{rest}\n\n{detail}") })
        }
        _ => (d.message.clone(), detail),
    };
    let base = if d.is_error() { Diagnostic::error(summary, detail) } else { Diagnostic::warning(summary, detail) };
    match to_path(&d.location) {
        Some(p) if !p.is_empty() => base.at(p),
        _ => base,
    }
}

/// [`to_diagnostic`] for a resource that reports what provider-block
/// boundaries forbid: a diagnostic located in the provider block is moved to
/// `here`, the resource attribute that crosses it.
pub fn to_resource_diagnostic(d: &appmap::Diagnostic, here: &str) -> Diagnostic {
    let mut out = to_diagnostic(d);
    let in_provider_block =
        out.path.as_ref().is_some_and(|p| matches!(p.steps().first(), Some(Step::Attr(a)) if a == "boundary"));
    if in_provider_block {
        out.path = Some(AttrPath::new(here));
    }
    out
}

/// The provider block's settings, shared with every resource.
#[derive(Debug, Clone, Default)]
pub struct ProviderSettings {
    /// Map-wide defaults (`manage_egress`, `internet_ipv6`).
    pub defaults: Defaults,
    /// Declared boundaries, each located at its `boundary` block.
    pub boundaries: Vec<Boundary>,
}

/// Reads the provider block. Unknown boundaries are skipped (they are checked
/// once known); invalid ones are errors at their attribute.
pub fn provider_settings(config: &Value) -> (ProviderSettings, Diagnostics) {
    let mut diags = Diagnostics::new();
    let mut s = ProviderSettings::default();
    if let Some(b) = config.get("manage_egress").and_then(Value::as_bool) {
        s.defaults.manage_egress = b;
    }
    if let Some(b) = config.get("internet_ipv6").and_then(Value::as_bool) {
        s.defaults.internet_ipv6 = b;
    }
    let blocks = config.get("boundary").and_then(Value::as_list).unwrap_or_default();
    for (i, b) in blocks.iter().enumerate() {
        let at = AttrPath::new("boundary").index(i as i64);
        if !b.is_wholly_known() {
            continue;
        }
        let sel = |v: &Value, p: AttrPath, diags: &mut Diagnostics| -> Option<Selector> {
            let text = v.as_str()?;
            match text.parse::<Selector>() {
                Ok(s) => Some(s),
                Err(e) => {
                    diags.error_at(p, "Invalid boundary selector", e);
                    None
                }
            }
        };
        let from = b.get("from").and_then(|v| sel(v, at.attr("from"), &mut diags));
        let reason = match b.get("reason").and_then(Value::as_str).map(Reason::new) {
            Some(Ok(r)) => Some(r),
            Some(Err(e)) => {
                diags.error_at(at.attr("reason"), "Empty boundary reason", e);
                None
            }
            None => None,
        };
        let list = |name: &str, diags: &mut Diagnostics| -> Vec<Selector> {
            b.get(name)
                .and_then(Value::as_list)
                .unwrap_or_default()
                .iter()
                .enumerate()
                .filter_map(|(j, v)| sel(v, at.attr(name).index(j as i64), diags))
                .collect()
        };
        let talks = list("never_talks_to", &mut diags);
        let reaches = list("never_reaches", &mut diags);
        let except: Vec<ServiceName> = list("except_through", &mut diags)
            .into_iter()
            .filter_map(|s| match s {
                Selector::Service(n) => Some(n),
                Selector::Zone(_) => None,
            })
            .collect();
        if talks.is_empty() && reaches.is_empty() {
            diags.error_at(at.clone(), "Boundary names nothing", "Set `never_talks_to` or `never_reaches` (or both).");
        }
        if !except.is_empty() && reaches.is_empty() {
            diags.error_at(
                at.attr("except_through"),
                "`except_through` needs `never_reaches`",
                "It names the choke points a `never_reaches` path may pass through.",
            );
        }
        let (Some(from), Some(reason)) = (from, reason) else { continue };
        let mut fields = BTreeMap::new();
        fields.insert("to", to_location(&at));
        for (kind, to) in [
            (BoundaryKind::NeverTalksTo, talks),
            (BoundaryKind::NeverReaches { except_through: except.clone() }, reaches),
        ] {
            if to.is_empty() {
                continue;
            }
            s.boundaries.push(Boundary {
                from: from.clone(),
                to,
                kind,
                reason: reason.clone(),
                location: to_location(&at),
                fields: fields.clone(),
            });
        }
    }
    (s, diags)
}

/// Keeps the parts of `boundaries` that speak about `services` only, so a
/// map holding just those services validates: selectors naming other
/// services are dropped, and so are boundaries left with nothing to say.
pub fn boundaries_for(boundaries: &[Boundary], services: &Map) -> Vec<Boundary> {
    let known = |sel: &Selector| match sel {
        Selector::Service(n) => n.is_internet() || services.services.iter().any(|s| &s.name == n),
        Selector::Zone(z) => services.services.iter().any(|s| s.zone.as_deref() == Some(z.as_str())),
    };
    boundaries
        .iter()
        .filter(|b| known(&b.from))
        .filter_map(|b| {
            let mut b = b.clone();
            b.to.retain(known);
            if let BoundaryKind::NeverReaches { except_through } = &mut b.kind {
                except_through.retain(|n| known(&Selector::Service(n.clone())));
            }
            (!b.to.is_empty()).then_some(b)
        })
        .collect()
}

/// A derived rule as a Terraform object; placeholder ids become unknown.
pub fn rule_value(rule: &Rule) -> Value {
    let id = |s: &str| if s.starts_with(UNKNOWN_PREFIX) { Value::Unknown } else { Value::String(s.to_string()) };
    let (proto, from, to) = rule.aws_fields();
    let mut o = BTreeMap::new();
    o.insert("direction".to_string(), Value::String(rule.direction.as_str().to_string()));
    o.insert("security_group_id".to_string(), id(&rule.security_group_id));
    o.insert("ip_protocol".to_string(), Value::String(proto.as_str().to_string()));
    o.insert("from_port".to_string(), from.map_or(Value::Null, |p| Value::from(i64::from(p))));
    o.insert("to_port".to_string(), to.map_or(Value::Null, |p| Value::from(i64::from(p))));
    for field in ["referenced_security_group_id", "cidr_ipv4", "cidr_ipv6", "prefix_list_id"] {
        o.insert(field.to_string(), if rule.peer.field() == field { id(&rule.peer.value()) } else { Value::Null });
    }
    o.insert("description".to_string(), Value::String(rule.description.clone()));
    Value::Object(o)
}

/// The `rules`, `ingress_rules` and `egress_rules` maps of a set of rules.
pub fn rule_maps(rules: &[Rule]) -> (Value, Value, Value) {
    let mut all = BTreeMap::new();
    let mut ingress = BTreeMap::new();
    let mut egress = BTreeMap::new();
    for r in rules {
        let v = rule_value(r);
        match r.direction {
            Direction::Ingress => ingress.insert(r.key.clone(), v.clone()),
            Direction::Egress => egress.insert(r.key.clone(), v.clone()),
        };
        all.insert(r.key.clone(), v);
    }
    (Value::Map(all), Value::Map(ingress), Value::Map(egress))
}

/// The reference object of a service as configured (unknowns kept as they are).
pub fn ref_value(config: &Value) -> Value {
    let mut o = BTreeMap::new();
    for a in ref_attributes() {
        o.insert(a.name.clone(), config.get(&a.name).cloned().unwrap_or(Value::Null));
    }
    Value::Object(o)
}

/// The built-in internet as a reference object.
pub fn internet_ref(ipv6: bool) -> Value {
    let mut cidrs = vec![Value::from("0.0.0.0/0")];
    if ipv6 {
        cidrs.push(Value::from("::/0"));
    }
    let mut o = BTreeMap::new();
    for a in ref_attributes() {
        o.insert(a.name.clone(), Value::Null);
    }
    o.insert("name".into(), Value::from(appmap::INTERNET));
    o.insert("zone".into(), Value::from(appmap::INTERNET));
    o.insert("cidrs".into(), Value::List(cidrs));
    Value::Object(o)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn unknown_group_ids_stay_unknown_through_derivation() {
        let mut from = ref_value(&Value::object([
            ("name", Value::from("web")),
            ("security_group_ids", Value::List(vec![Value::Unknown])),
        ]));
        from.set_attr("zone", Value::Null);
        let to = ref_value(&Value::object([
            ("name", Value::from("db")),
            ("security_group_ids", Value::List(vec![Value::from("sg-db")])),
        ]));
        let a = service_from_ref(&from, &AttrPath::new("from")).unwrap().unwrap();
        let b = service_from_ref(&to, &AttrPath::new("to")).unwrap().unwrap();
        let mut map = Map { services: vec![a, b], ..Map::default() };
        map.relations.push(appmap::Relation::new(
            "web".parse().unwrap(),
            "db".parse().unwrap(),
            appmap::Protocol::POSTGRES,
            Reason::new("Orders").unwrap(),
        ));
        let rules = appmap::ValidMap::new(map).unwrap().derive().rules;
        let (_, ingress, egress) = rule_maps(&rules);
        let i = &ingress.as_map().unwrap()["ingress/db.sg0/tcp/5432/web.sg0"];
        assert_eq!(i.get("security_group_id"), Some(&Value::from("sg-db")));
        assert_eq!(i.get("referenced_security_group_id"), Some(&Value::Unknown));
        let e = &egress.as_map().unwrap()["egress/web.sg0/tcp/5432/db.sg0"];
        assert_eq!(e.get("security_group_id"), Some(&Value::Unknown));
    }
}
