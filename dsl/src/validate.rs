//! Checks how the parts of a [`Map`] fit together and produces a [`ValidMap`],
//! the only thing derivation, verification and paths accept.

use std::collections::{BTreeMap, BTreeSet};

use ipnet::IpNet;

use crate::derive::plan_hops;
use crate::diag::{Diagnostic, Diagnostics, Location, did_you_mean};
use crate::model::{Boundary, BoundaryKind, Defaults, Map, Relation, Selector, Service, ServiceName};
use crate::protocol::Protocol;

/// A map whose services, relations and boundaries are known to fit together.
///
/// # Examples
/// ```
/// use appmap::{Map, Protocol, Reason, Relation, Service, ValidMap};
/// let mut map = Map::default();
/// map.services.push(Service::new("web".parse().unwrap()));
/// map.relations.push(Relation::new(
///     "web".parse().unwrap(), "db".parse().unwrap(), Protocol::POSTGRES, Reason::new("Orders").unwrap()));
/// let err = ValidMap::new(map).unwrap_err();
/// assert!(err.to_string().contains("unknown service `db`"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidMap {
    map: Map,
    index: BTreeMap<ServiceName, usize>,
    internet: Service,
    warnings: Vec<Diagnostic>,
}

impl ValidMap {
    /// Checks `map`; returns every error (and warning) at once when it has errors.
    pub fn new(map: Map) -> Result<ValidMap, Diagnostics> {
        Self::checked(map, true)
    }

    /// Checks everything but the `never_reaches` paths, which
    /// [`crate::paths::check_map`] returns as data.
    /// Everything else still fails as in [`ValidMap::new`]; `appmap paths`
    /// uses it so that a map crossing a boundary is reported, not refused.
    pub fn new_without_paths(map: Map) -> Result<ValidMap, Diagnostics> {
        Self::checked(map, false)
    }

    fn checked(map: Map, check_paths: bool) -> Result<ValidMap, Diagnostics> {
        let mut internet = Service::new(ServiceName::internet());
        internet.cidrs.push(IpNet::V4(ipnet::Ipv4Net::default()));
        if map.defaults.internet_ipv6 {
            internet.cidrs.push(IpNet::V6(ipnet::Ipv6Net::default()));
        }
        internet.zone = Some(crate::model::INTERNET.to_string());
        let mut diags = Vec::new();
        let mut index = BTreeMap::new();
        for (i, s) in map.services.iter().enumerate() {
            if s.name.is_internet() {
                diags.push(
                    Diagnostic::error(s.loc("name"), "`internet` is built in and cannot be declared")
                        .with_help("name the service something else, or use `internet` directly in relations"),
                );
                continue;
            }
            if let Some(&prev) = index.get(&s.name) {
                let prev: &Service = &map.services[prev];
                diags.push(
                    Diagnostic::error(s.loc("name"), format!("service `{}` is declared twice", s.name))
                        .with_help(format!("the first declaration is at {}", prev.location)),
                );
                continue;
            }
            index.insert(s.name.clone(), i);
        }
        let mut vm = ValidMap { map, index, internet, warnings: Vec::new() };
        vm.check_services(&mut diags);
        vm.check_relations(&mut diags);
        vm.check_boundaries(&mut diags);
        if check_paths {
            vm.check_paths(&mut diags);
        }
        diags.sort_by(|a, b| (&a.location, &a.message).cmp(&(&b.location, &b.message)));
        diags.dedup();
        if diags.iter().any(Diagnostic::is_error) {
            return Err(Diagnostics(diags));
        }
        vm.warnings = diags;
        Ok(vm)
    }

    /// The map as declared.
    pub fn map(&self) -> &Map {
        &self.map
    }

    /// Gives the declared map back.
    pub fn into_map(self) -> Map {
        self.map
    }

    /// Map-wide settings.
    pub fn defaults(&self) -> &Defaults {
        &self.map.defaults
    }

    /// Warnings found while validating.
    pub fn warnings(&self) -> &[Diagnostic] {
        &self.warnings
    }

    /// A service by name, including the built-in `internet`.
    pub fn service(&self, name: &ServiceName) -> Option<&Service> {
        if name.is_internet() {
            return Some(&self.internet);
        }
        self.index.get(name).map(|&i| &self.map.services[i])
    }

    /// Declared services in name order (not including `internet`).
    pub fn services(&self) -> impl Iterator<Item = &Service> {
        self.index.values().map(|&i| &self.map.services[i])
    }

    /// The built-in internet pseudo-service.
    pub fn internet(&self) -> &Service {
        &self.internet
    }

    /// Declared relations in declaration order.
    pub fn relations(&self) -> &[Relation] {
        &self.map.relations
    }

    /// Declared boundaries in declaration order.
    pub fn boundaries(&self) -> &[Boundary] {
        &self.map.boundaries
    }

    /// True when `selector` names `service` (directly, or through its zone).
    pub fn selects(&self, selector: &Selector, service: &ServiceName) -> bool {
        match selector {
            Selector::Service(n) => n == service,
            Selector::Zone(z) => self.service(service).and_then(|s| s.zone.as_deref()) == Some(z.as_str()),
        }
    }

    fn suggest_service(&self, name: &str) -> Option<String> {
        let names = self.index.keys().map(ServiceName::as_str).chain([crate::model::INTERNET]);
        did_you_mean(name, names).map(|m| format!("did you mean `{m}`?"))
    }

    fn check_services(&self, diags: &mut Vec<Diagnostic>) {
        let mut lbs: BTreeMap<String, &Service> = BTreeMap::new();
        for s in self.services() {
            if let Some(lb) = &s.load_balancer {
                let name = s.load_balancer_name().unwrap_or_default();
                if let Ok(n) = name.parse::<ServiceName>() {
                    if self.index.contains_key(&n) {
                        diags.push(
                            Diagnostic::error(
                                lb.location.clone(),
                                format!("load balancer `{name}` has the name of a service"),
                            )
                            .with_help("give the load balancer a `name` of its own"),
                        );
                    }
                }
                if let Some(other) = lbs.get(&name) {
                    let theirs = other.load_balancer.as_ref().map(|l| &l.security_group_ids);
                    if theirs != Some(&lb.security_group_ids) {
                        diags.push(Diagnostic::error(
                            lb.location.clone(),
                            format!(
                                "load balancer `{name}` is shared with `{}` but lists different security groups",
                                other.name
                            ),
                        ));
                    }
                } else {
                    lbs.insert(name, s);
                }
                if lb.listeners.is_empty() {
                    diags.push(
                        Diagnostic::error(
                            lb.location.clone(),
                            format!("the load balancer in front of `{}` has no listeners", s.name),
                        )
                        .with_help("add `listeners: { https: 443 }` (protocol: port)"),
                    );
                }
            }
            let has_cidrs = !(s.cidrs.is_empty() && s.prefix_list_ids.is_empty());
            if !s.security_group_ids.is_empty() && has_cidrs {
                diags.push(Diagnostic::warning(
                    s.loc("cidrs"),
                    format!(
                        "service `{}` has security groups and CIDRs/prefix lists; the security groups are its identity and the CIDRs are ignored",
                        s.name
                    ),
                ));
            }
        }
    }

    fn check_relations(&self, diags: &mut Vec<Diagnostic>) {
        let mut seen: BTreeMap<String, &Relation> = BTreeMap::new();
        for r in &self.map.relations {
            let mut ends_ok = true;
            for (field, name) in [("from", &r.from), ("to", &r.to)] {
                match self.service(name) {
                    None => {
                        ends_ok = false;
                        let d = match self.suggest_service(name.as_str()) {
                            Some(h) => Diagnostic::error(r.loc(field), format!("unknown service `{name}`; {h}")),
                            None => Diagnostic::error(r.loc(field), format!("unknown service `{name}`"))
                                .with_help(format!("declare `{name}` under `services:`")),
                        };
                        diags.push(d);
                    }
                    Some(s) if s.retired => diags.push(Diagnostic::warning(
                        r.loc(field),
                        format!("relation {} names retired service `{name}`", r.id()),
                    )),
                    Some(_) => {}
                }
            }
            if r.from.is_internet() && r.to.is_internet() {
                diags
                    .push(Diagnostic::error(r.loc("to"), "a relation from the internet to the internet means nothing"));
                ends_ok = false;
            }
            if r.protocol == Protocol::All && !r.acknowledge_all_traffic {
                diags.push(
                    Diagnostic::error(r.loc("protocol"), format!("relation {} allows all traffic without acknowledgement", r.id()))
                        .with_help("name the protocol (e.g. `https`, `tcp:8080`) or add `acknowledge_all_traffic: true` with a reason that says why"),
                );
            }
            if r.reason.is_placeholder() {
                diags.push(
                    Diagnostic::warning(
                        r.loc("reason"),
                        format!("relation {} has a placeholder reason `{}`", r.id(), r.reason),
                    )
                    .with_help("say why the flow exists; a ticket number alone is not a reason"),
                );
            }
            if let Some(prev) = seen.insert(r.id(), r) {
                diags.push(
                    Diagnostic::warning(r.location.clone(), format!("relation {} is declared twice", r.id()))
                        .with_help(format!("the first declaration is at {}", prev.location)),
                );
            }
            if ends_ok {
                if let Err(msg) = plan_hops(self, r) {
                    diags.push(Diagnostic::error(r.loc("protocol"), msg));
                }
                let (from, to) = (self.service(&r.from), self.service(&r.to));
                if let (Some(f), Some(t)) = (from, to) {
                    if (f.is_external() || f.name.is_internet()) && (t.is_external() || t.name.is_internet()) {
                        diags.push(Diagnostic::warning(
                            r.location.clone(),
                            format!(
                                "relation {} joins two services outside our control; no rule can be derived",
                                r.id()
                            ),
                        ));
                    }
                }
            }
        }
    }

    fn check_selector(&self, sel: &Selector, loc: Location, diags: &mut Vec<Diagnostic>) {
        match sel {
            Selector::Service(n) if self.service(n).is_none() => {
                let msg = match self.suggest_service(n.as_str()) {
                    Some(h) => format!("unknown service `{n}` in boundary; {h}"),
                    None => format!("unknown service `{n}` in boundary"),
                };
                diags.push(Diagnostic::error(loc, msg));
            }
            Selector::Zone(z) => {
                let zones: BTreeSet<&str> = self.services().filter_map(|s| s.zone.as_deref()).collect();
                if !zones.contains(z.as_str()) {
                    let mut d = Diagnostic::warning(loc, format!("no service is in zone `{z}`"));
                    if let Some(m) = did_you_mean(z, zones.iter().copied()) {
                        d = d.with_help(format!("did you mean `zone:{m}`?"));
                    }
                    diags.push(d);
                }
            }
            Selector::Service(_) => {}
        }
    }

    /// Every declared service (and `internet`) that `sel` names.
    pub fn expand(&self, sel: &Selector) -> Vec<ServiceName> {
        match sel {
            Selector::Service(n) => vec![n.clone()],
            Selector::Zone(_) => {
                self.services().filter(|s| self.selects(sel, &s.name)).map(|s| s.name.clone()).collect()
            }
        }
    }

    fn check_boundaries(&self, diags: &mut Vec<Diagnostic>) {
        for b in &self.map.boundaries {
            self.check_selector(&b.from, b.loc("from"), diags);
            for t in &b.to {
                self.check_selector(t, b.loc("to"), diags);
            }
            if let BoundaryKind::NeverReaches { except_through } = &b.kind {
                for e in except_through {
                    self.check_selector(&Selector::Service(e.clone()), b.loc("except_through"), diags);
                }
            }
            match &b.kind {
                BoundaryKind::NeverTalksTo => {
                    for r in &self.map.relations {
                        if self.selects(&b.from, &r.from) && b.to.iter().any(|t| self.selects(t, &r.to)) {
                            diags.push(
                                Diagnostic::error(
                                    r.loc("to"),
                                    format!(
                                        "relation {} crosses boundary `{}`: {}",
                                        r.id(),
                                        b.describe(),
                                        b.reason
                                    ),
                                )
                                .with_help(format!("the boundary is declared at {}; remove the relation or change the boundary with a reason", b.location)),
                            );
                        }
                    }
                }
                BoundaryKind::NeverReaches { .. } => {}
            }
        }
    }

    /// `never_reaches` boundaries that declared relations cross: the first
    /// (shortest) violating path of each, from the paths engine.
    fn check_paths(&self, diags: &mut Vec<Diagnostic>) {
        // Building the graph derives every rule: only worth it when there is something to check.
        if !self.map.boundaries.iter().any(|b| matches!(b.kind, BoundaryKind::NeverReaches { .. })) {
            return;
        }
        let violations = crate::paths::never_reaches(&crate::paths::Graph::from_map(self), self);
        let mut seen = BTreeSet::new();
        for v in violations {
            if !seen.insert(v.boundary) {
                continue;
            }
            let chain = v.path.relation_chain();
            let start = chain
                .first()
                .and_then(|id| self.map.relations.iter().find(|r| r.id() == *id))
                .map(|r| r.location.clone())
                .unwrap_or_default();
            diags.push(
                Diagnostic::error(
                    v.location.clone(),
                    format!(
                        "declared relations cross boundary `{}`: {}; path: {}",
                        v.description,
                        v.reason,
                        chain.join(" then ")
                    ),
                )
                .with_help(format!("the path starts at {start}")),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Reason;

    fn svc(name: &str, zone: Option<&str>) -> Service {
        let mut s = Service::new(name.parse().unwrap());
        s.zone = zone.map(str::to_string);
        s.security_group_ids = vec![format!("sg-{name}")];
        s
    }

    fn rel(a: &str, b: &str) -> Relation {
        Relation::new(a.parse().unwrap(), b.parse().unwrap(), Protocol::HTTPS, Reason::new("because").unwrap())
    }

    #[test]
    fn never_reaches_respects_except_through() {
        let mut m = Map::default();
        m.services = vec![svc("web", None), svc("pay", None), svc("db", Some("pci"))];
        m.relations = vec![rel("internet", "web"), rel("web", "pay"), rel("pay", "db")];
        m.boundaries.push(Boundary {
            from: "internet".parse().unwrap(),
            to: vec!["zone:pci".parse().unwrap()],
            kind: BoundaryKind::NeverReaches { except_through: vec!["pay".parse().unwrap()] },
            reason: Reason::new("PCI").unwrap(),
            location: Location::Unknown,
            fields: Default::default(),
        });
        assert!(ValidMap::new(m.clone()).is_ok());
        m.relations.push(rel("web", "db"));
        let err = ValidMap::new(m).unwrap_err().to_string();
        assert!(err.contains("internet->web:https then web->db:https"), "{err}");
    }

    #[test]
    fn all_traffic_needs_acknowledgement() {
        let mut m = Map::default();
        m.services = vec![svc("a", None), svc("b", None)];
        let mut r = rel("a", "b");
        r.protocol = Protocol::All;
        m.relations.push(r.clone());
        assert!(ValidMap::new(m.clone()).is_err());
        m.relations[0].acknowledge_all_traffic = true;
        assert!(ValidMap::new(m).is_ok());
    }
}
