//! The map file: YAML in the flat form (top-level keys are services with
//! `talks_to` / `never_talks_to`) or the full form (`services`, `relations`,
//! `boundaries`, `defaults`), read into a [`Map`] with every field's position,
//! and written back out in the full form.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::Arc;

use ipnet::IpNet;

use crate::diag::{Diagnostic, Diagnostics, Location, did_you_mean};
use crate::model::{
    Boundary, BoundaryKind, Cadence, Date, FieldLocations, LoadBalancer, Map, Reason, Relation, Selector, Service,
    ServiceName,
};
use crate::protocol::{Named, PortRange, Protocol};
use crate::validate::ValidMap;
use crate::yaml::{self, Kind, Node};

const TOP_LEVEL: &[&str] = &["version", "defaults", "services", "relations", "boundaries"];
const DEFAULTS_FIELDS: &[&str] = &["manage_egress", "internet_ipv6"];
const SERVICE_FIELDS: &[&str] = &[
    "owner",
    "zone",
    "description",
    "security_group_ids",
    "security_groups",
    "cidrs",
    "prefix_list_ids",
    "prefix_lists",
    "listens",
    "load_balancer",
    "retired",
    "talks_to",
    "never_talks_to",
    "never_reaches",
];
const LB_FIELDS: &[&str] =
    &["name", "security_group_ids", "security_groups", "listeners", "target_port", "health_check_port"];
const RELATION_FIELDS: &[&str] =
    &["from", "to", "protocol", "reason", "review_by", "cadence", "owner", "ticket", "acknowledge_all_traffic"];
const TALKS_TO_FIELDS: &[&str] =
    &["service", "protocol", "reason", "review_by", "cadence", "owner", "ticket", "acknowledge_all_traffic"];
const NEVER_FIELDS: &[&str] = &["service", "zone", "reason", "except_through"];
const BOUNDARY_FIELDS: &[&str] = &["from", "never_talks_to", "never_reaches", "except_through", "reason"];

/// Reads and validates a map file.
pub fn load_file(path: impl AsRef<Path>) -> Result<ValidMap, Diagnostics> {
    let path = path.as_ref();
    let name = path.display().to_string();
    match std::fs::read_to_string(path) {
        Ok(text) => load_str(&name, &text),
        Err(e) => Err(Diagnostics(vec![Diagnostic::error(
            Location::file(name.as_str(), 1, 1),
            format!("cannot read map file: {e}"),
        )])),
    }
}

/// Reads and validates a map from text; `file` names it in diagnostics.
///
/// # Examples
/// ```
/// let err = appmap::load_str("m.yaml", "checkout:\n  talks_to:\n    - service: cart-api\n      protocol: htps\n      reason: Basket\n").unwrap_err();
/// assert!(err.to_string().contains("m.yaml:4:17: error: unknown protocol `htps`; did you mean `https`?"), "{err}");
/// ```
pub fn load_str(file: &str, text: &str) -> Result<ValidMap, Diagnostics> {
    let (map, mut diags) = parse_str(file, text);
    match ValidMap::new(map) {
        Ok(vm) if diags.is_empty() => Ok(vm),
        Ok(vm) => {
            // Parse errors, plus whatever validation could still see.
            diags.extend(vm.warnings().iter().cloned());
            diags.sort();
            Err(Diagnostics(diags))
        }
        Err(Diagnostics(more)) => {
            diags.extend(more);
            diags.sort_by(|a, b| (&a.location, &a.message).cmp(&(&b.location, &b.message)));
            diags.dedup();
            Err(Diagnostics(diags))
        }
    }
}

/// Parses a map file into a [`Map`] without checking how its parts fit
/// together. Returns the map (with whatever could be read) and the errors.
pub fn parse_str(file: &str, text: &str) -> (Map, Vec<Diagnostic>) {
    let mut r = Reader { file: Arc::from(file), diags: Vec::new() };
    let mut map = Map::default();
    match yaml::parse(text) {
        Err(e) => {
            r.diags.push(
                Diagnostic::error(
                    Location::file(file, e.pos.line, e.pos.column),
                    format!("invalid YAML: {}", e.message),
                )
                .with_help("check indentation and quoting around this point"),
            );
        }
        Ok(None) => r
            .diags
            .push(Diagnostic::error(Location::file(file, 1, 1), "the map file is empty").with_help(
                "declare services with `talks_to:` (flat form) or `services:` and `relations:` (full form)",
            )),
        Ok(Some(root)) => r.read_root(&root, &mut map),
    }
    (map, r.diags)
}

struct Reader {
    file: Arc<str>,
    diags: Vec<Diagnostic>,
}

impl Reader {
    fn loc(&self, n: &Node) -> Location {
        Location::File { file: self.file.clone(), line: n.pos.line, column: n.pos.column }
    }

    fn error(&mut self, n: &Node, msg: impl Into<String>) {
        let d = Diagnostic::error(self.loc(n), msg);
        self.diags.push(d);
    }

    fn error_help(&mut self, n: &Node, msg: impl Into<String>, help: impl Into<String>) {
        let d = Diagnostic::error(self.loc(n), msg).with_help(help);
        self.diags.push(d);
    }

    /// The fields of a mapping, checking for unknown and repeated keys.
    fn fields<'n>(
        &mut self,
        n: &'n Node,
        allowed: &[&str],
        what: &str,
    ) -> Option<BTreeMap<&'n str, (&'n Node, &'n Node)>> {
        let Kind::Map(items) = &n.kind else {
            if !n.is_null() {
                self.error(n, format!("expected a mapping for {what}, found {}", n.kind_name()));
            }
            return None;
        };
        let mut out = BTreeMap::new();
        for (k, v) in items {
            let Some(key) = k.as_scalar() else {
                self.error(k, format!("expected a field name in {what}, found {}", k.kind_name()));
                continue;
            };
            if !allowed.contains(&key) {
                let msg = format!("unknown field `{key}` in {what}");
                match did_you_mean(key, allowed.iter().copied()) {
                    Some(m) => self.error(k, format!("{msg}; did you mean `{m}`?")),
                    None => self.error_help(k, msg, format!("expected one of: {}", allowed.join(", "))),
                }
                continue;
            }
            if out.insert(key, (k, v)).is_some() {
                self.error(k, format!("field `{key}` appears twice in {what}"));
            }
        }
        Some(out)
    }

    fn string(&mut self, n: &Node, what: &str) -> Option<String> {
        match n.as_scalar() {
            Some(_) if n.is_null() => {
                self.error(n, format!("{what} is empty"));
                None
            }
            Some(s) => Some(s.to_string()),
            None => {
                self.error(n, format!("expected text for {what}, found {}", n.kind_name()));
                None
            }
        }
    }

    fn opt_string(&mut self, n: Option<&Node>, what: &str) -> Option<String> {
        n.filter(|n| !n.is_null()).and_then(|n| self.string(n, what))
    }

    fn bool(&mut self, n: &Node, what: &str) -> Option<bool> {
        match (n.as_scalar(), &n.kind) {
            (Some("true" | "True" | "TRUE"), Kind::Scalar { plain: true, .. }) => Some(true),
            (Some("false" | "False" | "FALSE"), Kind::Scalar { plain: true, .. }) => Some(false),
            _ => {
                self.error_help(
                    n,
                    format!("expected true or false for {what}"),
                    "write `true` or `false` without quotes",
                );
                None
            }
        }
    }

    fn port(&mut self, n: &Node, what: &str) -> Option<u16> {
        let s = self.string(n, what)?;
        match s.trim().parse::<u32>() {
            Ok(p) if (1..=65535).contains(&p) => Some(p as u16),
            _ => {
                self.error(n, format!("expected a port number 1-65535 for {what}, found `{s}`"));
                None
            }
        }
    }

    fn list<'n>(&mut self, n: &'n Node, what: &str) -> Vec<&'n Node> {
        match &n.kind {
            Kind::Seq(items) => items.iter().collect(),
            _ if n.is_null() => Vec::new(),
            Kind::Scalar { .. } => vec![n],
            Kind::Map(_) => {
                self.error(n, format!("expected a list for {what}, found a mapping"));
                Vec::new()
            }
        }
    }

    fn strings(&mut self, n: &Node, what: &str) -> Vec<(String, Location)> {
        let items = self.list(n, what);
        items.into_iter().filter_map(|i| self.string(i, what).map(|s| (s, self.loc(i)))).collect()
    }

    fn parsed<T>(&mut self, n: &Node, what: &str, parse: impl FnOnce(&str) -> Result<T, String>) -> Option<T> {
        let s = self.string(n, what)?;
        match parse(&s) {
            Ok(v) => Some(v),
            Err(e) => {
                self.error(n, e);
                None
            }
        }
    }

    fn name(&mut self, n: &Node) -> Option<ServiceName> {
        self.parsed(n, "a service name", |s| s.parse::<ServiceName>())
    }

    fn cidr(&mut self, n: &Node) -> Option<IpNet> {
        self.parsed(n, "a CIDR", crate::model::parse_cidr)
    }

    fn read_root(&mut self, root: &Node, map: &mut Map) {
        let Kind::Map(items) = &root.kind else {
            self.error(root, format!("expected a mapping at the top of the map file, found {}", root.kind_name()));
            return;
        };
        let keys: Vec<&str> = items.iter().filter_map(|(k, _)| k.as_scalar()).collect();
        let full = keys.iter().any(|k| TOP_LEVEL.contains(k));
        if full {
            self.read_full(root, map);
        } else {
            self.read_flat(items, map);
        }
    }

    fn read_flat(&mut self, items: &[(Node, Node)], map: &mut Map) {
        let mut declared = BTreeSet::new();
        let mut pending = Vec::new();
        for (k, v) in items {
            let Some(name) = self.name(k) else { continue };
            if !declared.insert(name.clone()) {
                self.error(k, format!("service `{name}` is declared twice"));
                continue;
            }
            let mut svc = Service::new(name);
            svc.location = self.loc(k);
            svc.fields.insert("name", self.loc(k));
            self.read_service_fields(v, &mut svc, map, &mut pending);
            map.services.push(svc);
        }
        // A service that appears only as a target is implied.
        for (name, loc) in pending {
            if !declared.contains(&name) && !name.is_internet() {
                declared.insert(name.clone());
                let mut svc = Service::new(name);
                svc.implied = true;
                svc.location = loc;
                map.services.push(svc);
            }
        }
    }

    fn read_full(&mut self, root: &Node, map: &mut Map) {
        let Some(f) = self.fields(root, TOP_LEVEL, "the map file") else { return };
        if let Some((_, v)) = f.get("version") {
            if v.as_scalar() != Some("1") {
                self.error_help(v, "unsupported map file version", "this appmap reads `version: 1`");
            }
        }
        if let Some((_, d)) = f.get("defaults") {
            if let Some(df) = self.fields(d, DEFAULTS_FIELDS, "defaults") {
                if let Some((_, v)) = df.get("manage_egress") {
                    if let Some(b) = self.bool(v, "manage_egress") {
                        map.defaults.manage_egress = b;
                    }
                }
                if let Some((_, v)) = df.get("internet_ipv6") {
                    if let Some(b) = self.bool(v, "internet_ipv6") {
                        map.defaults.internet_ipv6 = b;
                    }
                }
            }
        }
        let mut targets = Vec::new();
        if let Some((_, s)) = f.get("services") {
            match &s.kind {
                Kind::Map(items) => {
                    for (k, v) in items {
                        let Some(name) = self.name(k) else { continue };
                        let mut svc = Service::new(name);
                        svc.location = self.loc(k);
                        svc.fields.insert("name", self.loc(k));
                        self.read_service_fields(v, &mut svc, map, &mut targets);
                        map.services.push(svc);
                    }
                }
                _ if s.is_null() => {}
                _ => self.error_help(
                    s,
                    format!("expected a mapping of service names for `services`, found {}", s.kind_name()),
                    "write `services:` then one `name:` entry per service",
                ),
            }
        }
        if let Some((_, rels)) = f.get("relations") {
            for item in self.list(rels, "relations") {
                if let Some(rel) = self.read_relation(item, None) {
                    map.relations.push(rel);
                }
            }
        }
        if let Some((_, bs)) = f.get("boundaries") {
            for item in self.list(bs, "boundaries") {
                self.read_boundary(item, map);
            }
        }
    }

    fn read_service_fields(
        &mut self,
        n: &Node,
        svc: &mut Service,
        map: &mut Map,
        targets: &mut Vec<(ServiceName, Location)>,
    ) {
        let what = format!("service `{}`", svc.name);
        let Some(f) = self.fields(n, SERVICE_FIELDS, &what) else { return };
        for (key, (_, v)) in &f {
            let field: &'static str = SERVICE_FIELDS.iter().copied().find(|x| x == key).unwrap_or("service");
            svc.fields.insert(field, self.loc(v));
            match *key {
                "owner" => svc.owner = self.opt_string(Some(v), "owner"),
                "zone" => svc.zone = self.opt_string(Some(v), "zone"),
                "description" => {}
                "security_group_ids" | "security_groups" => {
                    svc.fields.insert("security_group_ids", self.loc(v));
                    svc.security_group_ids =
                        self.strings(v, "security_group_ids").into_iter().map(|(s, _)| s).collect();
                }
                "cidrs" => {
                    for item in self.list(v, "cidrs") {
                        if let Some(c) = self.cidr(item) {
                            svc.cidrs.push(c);
                        }
                    }
                }
                "prefix_list_ids" | "prefix_lists" => {
                    svc.fields.insert("prefix_list_ids", self.loc(v));
                    svc.prefix_list_ids = self.strings(v, "prefix_list_ids").into_iter().map(|(s, _)| s).collect();
                }
                "listens" => svc.listens = self.read_listens(v, "listens"),
                "load_balancer" => svc.load_balancer = self.read_lb(v, &svc.name),
                "retired" => svc.retired = self.bool(v, "retired").unwrap_or(false),
                "talks_to" => {
                    for item in self.list(v, "talks_to") {
                        if let Some(rel) = self.read_relation(item, Some(&svc.name)) {
                            targets.push((rel.to.clone(), rel.loc("to")));
                            map.relations.push(rel);
                        }
                    }
                }
                "never_talks_to" | "never_reaches" => {
                    for item in self.list(v, key) {
                        if let Some(b) = self.read_never(item, &svc.name, key) {
                            for t in &b.to {
                                if let Selector::Service(n) = t {
                                    targets.push((n.clone(), b.loc("to")));
                                }
                            }
                            map.boundaries.push(b);
                        }
                    }
                }
                _ => {}
            }
        }
    }

    fn read_listens(&mut self, n: &Node, what: &str) -> BTreeMap<Named, PortRange> {
        let mut out = BTreeMap::new();
        let Kind::Map(items) = &n.kind else {
            if !n.is_null() {
                self.error_help(
                    n,
                    format!("expected a mapping of protocol to port for `{what}`"),
                    "write e.g. `listens: { https: 8443 }`",
                );
            }
            return out;
        };
        for (k, v) in items {
            let Some(proto) = self.named(k) else { continue };
            if let Some(ports) = self.parsed(v, "a port", |s| s.parse::<PortRange>()) {
                out.insert(proto, ports);
            }
        }
        out
    }

    fn named(&mut self, k: &Node) -> Option<Named> {
        let s = self.string(k, "a protocol name")?;
        match Named::lookup(&s) {
            Some(n) => Some(n),
            None => {
                let names = Named::ALL.iter().map(Named::name);
                match did_you_mean(&s, names) {
                    Some(m) => self.error(k, format!("unknown protocol name `{s}`; did you mean `{m}`?")),
                    None => self.error_help(
                        k,
                        format!("unknown protocol name `{s}`"),
                        "port overrides and listeners are keyed by a named protocol such as `https` or `postgres`",
                    ),
                }
                None
            }
        }
    }

    fn read_lb(&mut self, n: &Node, svc: &ServiceName) -> Option<LoadBalancer> {
        let f = self.fields(n, LB_FIELDS, &format!("the load balancer of `{svc}`"))?;
        let mut lb = LoadBalancer { location: self.loc(n), ..LoadBalancer::default() };
        for (key, (_, v)) in &f {
            let field: &'static str = LB_FIELDS.iter().copied().find(|x| x == key).unwrap_or("load_balancer");
            lb.fields.insert(field, self.loc(v));
            match *key {
                "name" => lb.name = self.opt_string(Some(v), "name"),
                "security_group_ids" | "security_groups" => {
                    lb.security_group_ids = self.strings(v, "security_group_ids").into_iter().map(|(s, _)| s).collect();
                }
                "listeners" => {
                    if let Kind::Map(items) = &v.kind {
                        for (pk, pv) in items {
                            if let (Some(p), Some(port)) = (self.named(pk), self.port(pv, "a listener port")) {
                                lb.listeners.insert(p, port);
                            }
                        }
                    } else {
                        self.error_help(
                            v,
                            "expected a mapping of protocol to port for `listeners`",
                            "write e.g. `listeners: { https: 443 }`",
                        );
                    }
                }
                "target_port" => lb.target_port = self.port(v, "target_port"),
                "health_check_port" => lb.health_check_port = self.port(v, "health_check_port"),
                _ => {}
            }
        }
        Some(lb)
    }

    /// A relation from the full form's `relations:` list, or a flat-form
    /// `talks_to` entry when `from` is given.
    fn read_relation(&mut self, n: &Node, from: Option<&ServiceName>) -> Option<Relation> {
        let (allowed, what) = match from {
            Some(s) => (TALKS_TO_FIELDS, format!("a `talks_to` entry of `{s}`")),
            None => (RELATION_FIELDS, "a relation".to_string()),
        };
        let f = self.fields(n, allowed, &what)?;
        let mut fields = FieldLocations::new();
        for (key, (_, v)) in &f {
            let field: &'static str = allowed.iter().copied().find(|x| x == key).unwrap_or("relation");
            fields.insert(if field == "service" { "to" } else { field }, self.loc(v));
        }
        let required = |r: &mut Reader, key: &str| -> Option<&Node> {
            match f.get(key) {
                Some((_, v)) => Some(*v),
                None => {
                    let hint = match key {
                        "reason" => "every relation says why it exists: add `reason: \"...\"`".to_string(),
                        "protocol" => "add e.g. `protocol: https` or `protocol: tcp:8080`".to_string(),
                        _ => format!("add `{key}:`"),
                    };
                    r.error_help(n, format!("{what} has no `{key}`"), hint);
                    None
                }
            }
        };
        let from = match from {
            Some(s) => Some(s.clone()),
            None => required(self, "from").and_then(|v| self.name(v)),
        };
        let to = required(self, if allowed == TALKS_TO_FIELDS { "service" } else { "to" }).and_then(|v| self.name(v));
        let protocol = required(self, "protocol").and_then(|v| self.parsed(v, "protocol", |s| s.parse::<Protocol>()));
        let reason = required(self, "reason").and_then(|v| {
            if v.is_null() {
                self.error_help(v, "a reason is required and cannot be empty", "say why this flow exists");
                None
            } else {
                self.parsed(v, "reason", |s| Reason::new(s))
            }
        });
        let review_by = f.get("review_by").and_then(|(_, v)| self.parsed(v, "review_by", |s| s.parse::<Date>()));
        let cadence = f.get("cadence").and_then(|(_, v)| self.parsed(v, "cadence", |s| s.parse::<Cadence>()));
        let owner = self.opt_string(f.get("owner").map(|(_, v)| *v), "owner");
        let ticket = self.opt_string(f.get("ticket").map(|(_, v)| *v), "ticket");
        let ack = f
            .get("acknowledge_all_traffic")
            .and_then(|(_, v)| self.bool(v, "acknowledge_all_traffic"))
            .unwrap_or(false);
        let mut rel = Relation::new(from?, to?, protocol?, reason?);
        rel.review_by = review_by;
        rel.cadence = cadence;
        rel.owner = owner;
        rel.ticket = ticket;
        rel.acknowledge_all_traffic = ack;
        rel.location = self.loc(n);
        rel.fields = fields;
        Some(rel)
    }

    /// A flat-form `never_talks_to` / `never_reaches` entry of `from`.
    fn read_never(&mut self, n: &Node, from: &ServiceName, kind: &str) -> Option<Boundary> {
        let what = format!("a `{kind}` entry of `{from}`");
        let f = self.fields(n, NEVER_FIELDS, &what)?;
        let mut fields = FieldLocations::new();
        fields.insert("from", self.loc(n));
        let target = match (f.get("service"), f.get("zone")) {
            (Some((_, v)), None) => {
                fields.insert("to", self.loc(v));
                self.parsed(v, "service", |s| s.parse::<Selector>())
            }
            (None, Some((_, v))) => {
                fields.insert("to", self.loc(v));
                self.string(v, "zone").map(Selector::Zone)
            }
            _ => {
                self.error_help(
                    n,
                    format!("{what} needs exactly one of `service` or `zone`"),
                    "write `service: NAME` or `zone: NAME`",
                );
                None
            }
        };
        let reason = match f.get("reason") {
            Some((_, v)) => {
                fields.insert("reason", self.loc(v));
                self.parsed(v, "reason", |s| Reason::new(s))
            }
            None => {
                self.error_help(
                    n,
                    format!("{what} has no `reason`"),
                    "every boundary says why it exists: add `reason: \"...\"`",
                );
                None
            }
        };
        let except = self.except_through(&f, kind, &mut fields);
        let kind = if kind == "never_reaches" {
            BoundaryKind::NeverReaches { except_through: except }
        } else {
            BoundaryKind::NeverTalksTo
        };
        Some(Boundary {
            from: Selector::Service(from.clone()),
            to: vec![target?],
            kind,
            reason: reason?,
            location: self.loc(n),
            fields,
        })
    }

    fn except_through(
        &mut self,
        f: &BTreeMap<&str, (&Node, &Node)>,
        kind: &str,
        fields: &mut FieldLocations,
    ) -> Vec<ServiceName> {
        let Some((k, v)) = f.get("except_through") else { return Vec::new() };
        fields.insert("except_through", self.loc(v));
        if kind != "never_reaches" {
            self.error_help(
                k,
                "`except_through` only applies to `never_reaches`",
                "remove it, or make the boundary `never_reaches`",
            );
            return Vec::new();
        }
        let items = self.list(v, "except_through");
        items.into_iter().filter_map(|i| self.name(i)).collect()
    }

    fn read_boundary(&mut self, n: &Node, map: &mut Map) {
        let Some(f) = self.fields(n, BOUNDARY_FIELDS, "a boundary") else { return };
        let mut fields = FieldLocations::new();
        for (key, (_, v)) in &f {
            let field: &'static str = BOUNDARY_FIELDS.iter().copied().find(|x| x == key).unwrap_or("boundary");
            fields.insert(field, self.loc(v));
        }
        let from = match f.get("from") {
            Some((_, v)) => self.parsed(v, "from", |s| s.parse::<Selector>()),
            None => {
                self.error_help(n, "a boundary has no `from`", "add `from: SERVICE` (or `zone:NAME`, or `internet`)");
                None
            }
        };
        let (kind, targets) = match (f.get("never_talks_to"), f.get("never_reaches")) {
            (Some((_, v)), None) => {
                fields.insert("to", self.loc(v));
                ("never_talks_to", *v)
            }
            (None, Some((_, v))) => {
                fields.insert("to", self.loc(v));
                ("never_reaches", *v)
            }
            _ => {
                self.error_help(
                    n,
                    "a boundary needs exactly one of `never_talks_to` or `never_reaches`",
                    "write `never_talks_to: [SERVICE, ...]` or `never_reaches: [...]`",
                );
                return;
            }
        };
        let items = self.list(targets, kind);
        let to: Vec<Selector> =
            items.into_iter().filter_map(|i| self.parsed(i, kind, |s| s.parse::<Selector>())).collect();
        if to.is_empty() {
            self.error(targets, format!("`{kind}` names nothing"));
        }
        let reason = match f.get("reason") {
            Some((_, v)) => self.parsed(v, "reason", |s| Reason::new(s)),
            None => {
                self.error_help(
                    n,
                    "a boundary has no `reason`",
                    "every boundary says why it exists: add `reason: \"...\"`",
                );
                None
            }
        };
        let except = self.except_through(&f, kind, &mut fields);
        let kind = if kind == "never_reaches" {
            BoundaryKind::NeverReaches { except_through: except }
        } else {
            BoundaryKind::NeverTalksTo
        };
        if let (Some(from), Some(reason), false) = (from, reason, to.is_empty()) {
            map.boundaries.push(Boundary { from, to, kind, reason, location: self.loc(n), fields });
        }
    }
}

/// Quotes text as a YAML double-quoted scalar (JSON string syntax is valid YAML).
fn q(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| format!("\"{}\"", s.escape_default()))
}

fn list(items: impl IntoIterator<Item = String>) -> String {
    let v: Vec<String> = items.into_iter().collect();
    format!("[{}]", v.join(", "))
}

/// A total order on relations, so output never depends on declaration order.
#[allow(clippy::type_complexity)]
fn relation_order(
    r: &Relation,
) -> (String, Reason, Option<Date>, Option<Cadence>, Option<String>, Option<String>, bool) {
    (r.id(), r.reason.clone(), r.review_by, r.cadence, r.owner.clone(), r.ticket.clone(), r.acknowledge_all_traffic)
}

/// Writes a map in the full form. Loading the output gives back an equal map
/// (up to locations), and the same map always gives the same bytes.
pub fn to_yaml(map: &Map) -> String {
    let mut out = String::from("version: 1\ndefaults:\n");
    out.push_str(&format!("  manage_egress: {}\n", map.defaults.manage_egress));
    out.push_str(&format!("  internet_ipv6: {}\n", map.defaults.internet_ipv6));
    let mut services: Vec<&Service> = map.services.iter().collect();
    services.sort_by(|a, b| a.name.cmp(&b.name));
    out.push_str(if services.is_empty() { "services: {}\n" } else { "services:\n" });
    for s in services {
        out.push_str(&format!("  {}:", s.name));
        let mut body = String::new();
        if let Some(o) = &s.owner {
            body.push_str(&format!("    owner: {}\n", q(o)));
        }
        if let Some(z) = &s.zone {
            body.push_str(&format!("    zone: {}\n", q(z)));
        }
        if !s.security_group_ids.is_empty() {
            body.push_str(&format!("    security_group_ids: {}\n", list(s.security_group_ids.iter().map(|g| q(g)))));
        }
        if !s.cidrs.is_empty() {
            body.push_str(&format!("    cidrs: {}\n", list(s.cidrs.iter().map(|c| q(&c.to_string())))));
        }
        if !s.prefix_list_ids.is_empty() {
            body.push_str(&format!("    prefix_list_ids: {}\n", list(s.prefix_list_ids.iter().map(|g| q(g)))));
        }
        if !s.listens.is_empty() {
            let items = s.listens.iter().map(|(n, p)| {
                let port = if p.from() == p.to() { p.to_string() } else { q(&p.to_string()) };
                format!("{}: {port}", n.name())
            });
            body.push_str(&format!("    listens: {{{}}}\n", items.collect::<Vec<_>>().join(", ")));
        }
        if let Some(lb) = &s.load_balancer {
            body.push_str("    load_balancer:\n");
            if let Some(n) = &lb.name {
                body.push_str(&format!("      name: {}\n", q(n)));
            }
            body.push_str(&format!("      security_group_ids: {}\n", list(lb.security_group_ids.iter().map(|g| q(g)))));
            let items = lb.listeners.iter().map(|(n, p)| format!("{}: {p}", n.name()));
            body.push_str(&format!("      listeners: {{{}}}\n", items.collect::<Vec<_>>().join(", ")));
            if let Some(p) = lb.target_port {
                body.push_str(&format!("      target_port: {p}\n"));
            }
            if let Some(p) = lb.health_check_port {
                body.push_str(&format!("      health_check_port: {p}\n"));
            }
        }
        if s.retired {
            body.push_str("    retired: true\n");
        }
        if body.is_empty() {
            out.push_str(" {}\n");
        } else {
            out.push('\n');
            out.push_str(&body);
        }
    }
    let mut relations: Vec<&Relation> = map.relations.iter().collect();
    relations.sort_by_cached_key(|r| relation_order(r));
    out.push_str(if relations.is_empty() { "relations: []\n" } else { "relations:\n" });
    for r in relations {
        out.push_str(&format!(
            "  - from: {}\n    to: {}\n    protocol: {}\n    reason: {}\n",
            r.from,
            r.to,
            q(&r.protocol.to_string()),
            q(r.reason.as_str())
        ));
        if let Some(d) = r.review_by {
            out.push_str(&format!("    review_by: {d}\n"));
        }
        if let Some(c) = r.cadence {
            out.push_str(&format!("    cadence: {c}\n"));
        }
        if let Some(o) = &r.owner {
            out.push_str(&format!("    owner: {}\n", q(o)));
        }
        if let Some(t) = &r.ticket {
            out.push_str(&format!("    ticket: {}\n", q(t)));
        }
        if r.acknowledge_all_traffic {
            out.push_str("    acknowledge_all_traffic: true\n");
        }
    }
    let mut boundaries: Vec<&Boundary> = map.boundaries.iter().collect();
    boundaries.sort_by_key(|b| (b.describe(), b.reason.clone()));
    out.push_str(if boundaries.is_empty() { "boundaries: []\n" } else { "boundaries:\n" });
    for b in boundaries {
        let to = list(b.to.iter().map(|t| q(&t.to_string())));
        out.push_str(&format!("  - from: {}\n", q(&b.from.to_string())));
        match &b.kind {
            BoundaryKind::NeverTalksTo => out.push_str(&format!("    never_talks_to: {to}\n")),
            BoundaryKind::NeverReaches { except_through } => {
                out.push_str(&format!("    never_reaches: {to}\n"));
                if !except_through.is_empty() {
                    out.push_str(&format!(
                        "    except_through: {}\n",
                        list(except_through.iter().map(|e| e.to_string()))
                    ));
                }
            }
        }
        out.push_str(&format!("    reason: {}\n", q(b.reason.as_str())));
    }
    out
}

impl Map {
    /// The same map with every location forgotten, for comparing maps that
    /// were declared in different places (a file and the builder, say).
    #[must_use]
    pub fn without_locations(&self) -> Map {
        let mut m = self.clone();
        for s in &mut m.services {
            s.location = Location::Unknown;
            s.fields.clear();
            s.implied = false;
            if let Some(lb) = &mut s.load_balancer {
                lb.location = Location::Unknown;
                lb.fields.clear();
            }
        }
        for r in &mut m.relations {
            r.location = Location::Unknown;
            r.fields.clear();
        }
        for b in &mut m.boundaries {
            b.location = Location::Unknown;
            b.fields.clear();
        }
        m.services.sort_by(|a, b| a.name.cmp(&b.name));
        m.relations.sort_by_cached_key(relation_order);
        m.boundaries.sort_by_key(|b| (b.describe(), b.reason.clone()));
        m
    }
}

impl ValidMap {
    /// The map in the full YAML form.
    pub fn to_yaml(&self) -> String {
        to_yaml(self.map())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FLAT: &str = r#"checkout:
  talks_to:
    - service: cart-api
      protocol: https
      reason: "Read the basket at checkout"
    - service: ledger-db
      protocol: tcp:5432
      reason: "Record the order"
  never_talks_to:
    - service: marketing-db
      reason: "No business reason; keeps customer PII out of checkout"
"#;

    #[test]
    fn flat_form_parses_with_implied_services() {
        let vm = load_str("flat.yaml", FLAT).unwrap();
        let names: Vec<&str> = vm.services().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["cart-api", "checkout", "ledger-db", "marketing-db"]);
        assert_eq!(vm.relations().len(), 2);
        assert_eq!(vm.boundaries().len(), 1);
    }

    #[test]
    fn round_trip_is_equal() {
        let vm = load_str("flat.yaml", FLAT).unwrap();
        let text = vm.to_yaml();
        let again = load_str("again.yaml", &text).unwrap();
        assert_eq!(again.map().without_locations(), vm.map().without_locations());
        assert_eq!(again.to_yaml(), text);
    }

    #[test]
    fn all_errors_are_reported_with_positions() {
        let text = "services:\n  web: { security_group_ids: [sg-1], zonee: app }\nrelations:\n  - { from: web, to: wbe, protocol: https, reason: x }\n  - { from: web, to: web, protocol: htps, reason: '' }\n";
        let err = load_str("m.yaml", text).unwrap_err().to_string();
        assert!(err.contains("m.yaml:2:38: error: unknown field `zonee`"), "{err}");
        assert!(err.contains("m.yaml:4:22: error: unknown service `wbe`"), "{err}");
        assert!(err.contains("m.yaml:5:37: error: unknown protocol `htps`"), "{err}");
        assert!(err.contains("m.yaml:5:51: error: a reason is required"), "{err}");
    }
}
