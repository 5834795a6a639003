//! Verification (layer 3 against layer 2): the rules a map derives,
//! compared with the rules a snapshot shows, as findings.
//!
//! Architecture invariant: this module never computes rules itself; it calls
//! [`ValidMap::derive`] (or takes its [`Derivation`]) and compares. Findings
//! are data; rendering them (text, JSON, SARIF) is a pure function to a
//! `String`. "Today" is a parameter, so output depends on nothing but input.
//!
//! Judgement calls, stated once:
//! - A deployed rule is *explained* when a derived rule on the same group
//!   and direction admits at least everything it admits (equal or wider).
//!   It is *overbroad* when it is strictly wider than one or more derived
//!   rules (ports, protocol `-1`, a CIDR containing the derived CIDR, or a
//!   `/0` CIDR, which contains every group member). Otherwise it is
//!   *undeclared*.
//! - A derived rule is *missing* unless a deployed rule admits at least it.
//! - Egress: when the map manages egress (`defaults.manage_egress`, the
//!   default), egress rules are checked like ingress rules, and the
//!   allow-all egress rule AWS creates on every new group (protocol `-1` to
//!   `0.0.0.0/0`) is a finding: overbroad on a group with derived egress,
//!   undeclared (high: it opens the internet) on one without. When egress is
//!   not managed, deployed egress rules are not checked at all.
//! - "Opens the internet": a CIDR peer holding addresses outside the
//!   private and special ranges (RFC 1918, CGNAT, loopback, link-local, ULA)
//!   that no declared service owns.
//! - Boundaries: one deployed rule is one edge; an edge that joins a
//!   `never_talks_to` pair, or that goes from a `never_reaches` source
//!   straight into a protected service without passing an `except_through`
//!   service, is a `boundary` finding. Multi-hop paths are the paths
//!   engine's business.
//! - Rules of services without bindings (`service:NAME` groups) cannot be
//!   deployed; they are not `missing`, their relations are `stale`.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::fmt::Write as _;

use ipnet::IpNet;
use serde_json::{Value, json};

use crate::derive::{Derivation, Direction, Peer, Rule};
use crate::diag::Location;
use crate::model::{Boundary, BoundaryKind, Date, Relation, ServiceName};
use crate::protocol::IpProtocol;
use crate::snapshot::{DeployedRule, Snapshot, SnapshotFormat};
use crate::validate::ValidMap;

/// What a finding is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FindingKind {
    /// A deployed rule crosses a `never_*` boundary.
    Boundary,
    /// A derived rule is not deployed: the application will break.
    Missing,
    /// A deployed rule admits more than the derived rule it stands for.
    Overbroad,
    /// A deployed rule that no relation explains: a fence with no reason.
    Undeclared,
    /// A relation past its review date, or naming a retired or unbound service.
    Stale,
}

impl FindingKind {
    /// Every kind.
    pub const ALL: [FindingKind; 5] = [
        FindingKind::Missing,
        FindingKind::Undeclared,
        FindingKind::Overbroad,
        FindingKind::Boundary,
        FindingKind::Stale,
    ];

    /// `missing`, `undeclared`, ...
    pub const fn as_str(&self) -> &'static str {
        match self {
            FindingKind::Missing => "missing",
            FindingKind::Undeclared => "undeclared",
            FindingKind::Overbroad => "overbroad",
            FindingKind::Boundary => "boundary",
            FindingKind::Stale => "stale",
        }
    }

    /// The severity a finding of this kind has unless raised.
    pub const fn default_severity(&self) -> Severity {
        match self {
            FindingKind::Missing | FindingKind::Overbroad => Severity::High,
            FindingKind::Undeclared => Severity::Medium,
            FindingKind::Boundary => Severity::Critical,
            FindingKind::Stale => Severity::Low,
        }
    }

    /// One sentence on what the kind means.
    pub const fn description(&self) -> &'static str {
        match self {
            FindingKind::Missing => {
                "A rule the application map derives is not deployed: the flow it serves will break."
            }
            FindingKind::Undeclared => {
                "A deployed rule that no relation of the application map explains: a fence with no reason."
            }
            FindingKind::Overbroad => {
                "A deployed rule admits more than the derived rule it stands for (ports, protocol -1, or a wider CIDR)."
            }
            FindingKind::Boundary => {
                "A deployed rule allows a flow that a never_talks_to or never_reaches boundary forbids."
            }
            FindingKind::Stale => {
                "A relation is past its review date, or names a retired service or one with no network bindings."
            }
        }
    }
}

impl fmt::Display for FindingKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How bad a finding is. Ordered: `Low < Medium < High < Critical`.
///
/// # Examples
/// ```
/// use appmap::verify::Severity;
/// assert_eq!("high".parse::<Severity>(), Ok(Severity::High));
/// assert!(Severity::Critical > Severity::High);
/// assert!("urgent".parse::<Severity>().is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// Worth a look.
    Low,
    /// Should be fixed.
    Medium,
    /// Breaks the app or opens more than intended.
    High,
    /// Crosses a declared boundary.
    Critical,
}

impl Severity {
    /// Every severity, most severe first.
    pub const ALL: [Severity; 4] = [Severity::Critical, Severity::High, Severity::Medium, Severity::Low];

    /// `low`, `medium`, `high`, `critical`.
    pub const fn as_str(&self) -> &'static str {
        match self {
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }

    /// The SARIF `level`.
    pub const fn sarif_level(&self) -> &'static str {
        match self {
            Severity::Critical | Severity::High => "error",
            Severity::Medium => "warning",
            Severity::Low => "note",
        }
    }

    /// GitHub code scanning's `security-severity` score.
    const fn security_severity(&self) -> &'static str {
        match self {
            Severity::Critical => "9.5",
            Severity::High => "8.0",
            Severity::Medium => "5.0",
            Severity::Low => "2.0",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Severity {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        Severity::ALL
            .iter()
            .copied()
            .find(|v| v.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| format!("unknown severity `{s}`; expected low, medium, high or critical"))
    }
}

/// One deviation between the map and the deployed configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// What it is about.
    pub kind: FindingKind,
    /// How bad it is.
    pub severity: Severity,
    /// The group the rule sits on (none for `stale`).
    pub security_group_id: Option<String>,
    /// Ingress or egress.
    pub direction: Option<Direction>,
    /// `tcp`, `udp`, `icmp`, `icmpv6`, `-1`.
    pub ip_protocol: Option<IpProtocol>,
    /// First port (ICMP type), none for protocol `-1`.
    pub from_port: Option<i32>,
    /// Last port (ICMP code), none for protocol `-1`.
    pub to_port: Option<i32>,
    /// The peer: a group id, CIDR or prefix list id.
    pub peer: Option<String>,
    /// The relation(s) (`from->to:protocol`, comma-separated) or the boundary involved.
    pub relation: Option<String>,
    /// The reason text of that relation or boundary.
    pub reason: Option<String>,
    /// What is wrong, in a sentence or two.
    pub message: String,
    /// The one-line suggested fix.
    pub fix: String,
    /// Where the relation or boundary was declared (map file line and column,
    /// or a Terraform resource address), when the finding stems from one.
    pub location: Location,
    /// Where the deployed rule came from (Terraform resource address or JSON path).
    pub origin: Option<String>,
    /// The stable key of the derived rule involved, if one.
    pub rule_key: Option<String>,
}

impl Finding {
    fn sort_key(&self) -> impl Ord + '_ {
        (
            std::cmp::Reverse(self.severity),
            self.kind,
            (&self.security_group_id, self.direction, self.ip_protocol, self.from_port, self.to_port, &self.peer),
            (&self.relation, &self.message),
        )
    }

    /// `tcp 443`, `udp 53-54`, `icmp 8/0`, `all traffic`, or empty.
    pub fn traffic_text(&self) -> String {
        match (self.ip_protocol, self.from_port, self.to_port) {
            (None, ..) => String::new(),
            (Some(IpProtocol::All), ..) => "all traffic".to_string(),
            (Some(p @ (IpProtocol::Icmp | IpProtocol::Icmpv6)), Some(t), Some(c)) => {
                let n = |v: i32| if v < 0 { "all".to_string() } else { v.to_string() };
                format!("{p} type {} code {}", n(t), n(c))
            }
            (Some(p), Some(a), Some(b)) if a == b => format!("{p} {a}"),
            (Some(p), Some(a), Some(b)) => format!("{p} {a}-{b}"),
            (Some(p), ..) => p.to_string(),
        }
    }
}

/// Settings for [`verify`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VerifyOptions {
    /// The date `review_by` is compared with; `None` skips review dates.
    pub today: Option<Date>,
}

/// The outcome of a verification.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Report {
    /// Findings, most severe first, then by kind, group and rule.
    pub findings: Vec<Finding>,
    /// How many rules the map derives.
    pub derived_rules: usize,
    /// How many normalised rules the snapshot shows.
    pub deployed_rules: usize,
    /// How many groups the snapshot shows.
    pub groups: usize,
    /// The snapshot file as the caller named it.
    pub snapshot_file: String,
    /// Its format.
    pub snapshot_format: SnapshotFormat,
    /// What the snapshot could not show (copied from it).
    pub warnings: Vec<String>,
}

impl Report {
    /// The most severe finding's severity.
    pub fn max_severity(&self) -> Option<Severity> {
        self.findings.iter().map(|f| f.severity).max()
    }

    /// How many findings are at or above `level`.
    pub fn count_at_or_above(&self, level: Severity) -> usize {
        self.findings.iter().filter(|f| f.severity >= level).count()
    }
}

/// Verifies `snapshot` against the rules `vm` derives.
///
/// # Examples
/// ```
/// use appmap::snapshot::parse_snapshot;
/// use appmap::verify::{verify, FindingKind, VerifyOptions};
/// let map = appmap::load_str("m.yaml", r#"
/// services:
///   web: { security_group_ids: [sg-web] }
///   db:  { security_group_ids: [sg-db] }
/// defaults: { manage_egress: false }
/// relations:
///   - { from: web, to: db, protocol: postgres, reason: "Orders" }
/// "#).unwrap();
/// let snap = parse_snapshot("s.json", r#"{"SecurityGroups": [
///   {"GroupId": "sg-db", "IpPermissions": [
///     {"IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432, "UserIdGroupPairs": [{"GroupId": "sg-web"}]},
///     {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}]}]}"#).unwrap();
/// let report = verify(&map, &snap, &VerifyOptions::default());
/// assert_eq!(report.findings.len(), 1);
/// assert_eq!(report.findings[0].kind, FindingKind::Undeclared);
/// assert_eq!(report.findings[0].severity.as_str(), "high"); // it opens the internet
/// ```
pub fn verify(vm: &ValidMap, snapshot: &Snapshot, options: &VerifyOptions) -> Report {
    verify_derived(vm, &vm.derive(), snapshot, options)
}

/// [`verify`] with a derivation the caller already has (it must be `vm.derive()`).
pub fn verify_derived(vm: &ValidMap, derivation: &Derivation, snapshot: &Snapshot, options: &VerifyOptions) -> Report {
    let cx = Context::new(vm);
    let mut findings = Vec::new();
    let manage_egress = vm.defaults().manage_egress;

    let checkable = |r: &&Rule| {
        !r.security_group_id.starts_with("service:") && !matches!(&r.peer, Peer::Group(g) if g.starts_with("service:"))
    };
    // Both sides sorted by (group, direction) and walked together: no hashing
    // of 50,000 keys, and memory for two vectors of references only.
    let mut derived: Vec<&Rule> = derivation.rules.iter().filter(checkable).collect();
    derived.sort_by(|a, b| dkey(a).cmp(&dkey(b)));
    let mut deployed: Vec<&DeployedRule> = snapshot.rules.iter().collect();
    if !deployed.is_sorted_by(|a, b| skey(a) <= skey(b)) {
        deployed.sort_by(|a, b| skey(a).cmp(&skey(b)));
    }
    let mut dgroups = derived.chunk_by(|a, b| dkey(a) == dkey(b)).peekable();
    let mut sgroups = deployed.chunk_by(|a, b| skey(a) == skey(b)).peekable();
    loop {
        let (here_d, here_s): (&[&Rule], &[&DeployedRule]) = match (dgroups.peek(), sgroups.peek()) {
            (None, None) => break,
            (Some(d), Some(s)) => match dkey(d[0]).cmp(&skey(s[0])) {
                std::cmp::Ordering::Less => (dgroups.next().unwrap_or_default(), &[]),
                std::cmp::Ordering::Greater => (&[], sgroups.next().unwrap_or_default()),
                std::cmp::Ordering::Equal => (dgroups.next().unwrap_or_default(), sgroups.next().unwrap_or_default()),
            },
            (Some(_), None) => (dgroups.next().unwrap_or_default(), &[]),
            (None, Some(_)) => (&[], sgroups.next().unwrap_or_default()),
        };
        for d in here_d {
            if here_s.iter().any(|r| r.traffic.contains(&d.traffic) && peer_contains(&r.peer, &d.peer)) {
                continue;
            }
            findings.push(cx.missing(d, snapshot.groups.contains_key(&d.security_group_id)));
        }
        for r in here_s {
            if r.direction == Direction::Egress && !manage_egress {
                continue;
            }
            if here_d.iter().any(|d| d.traffic.contains(&r.traffic) && peer_contains(&d.peer, &r.peer)) {
                continue;
            }
            let crossings = cx.crossings(r);
            let wider: Vec<&Rule> = here_d
                .iter()
                .copied()
                .filter(|d| r.traffic.contains(&d.traffic) && peer_contains(&r.peer, &d.peer))
                .collect();
            if wider.is_empty() {
                findings.push(cx.undeclared(r, &crossings));
            } else {
                findings.push(cx.overbroad(r, &wider));
            }
            for c in crossings {
                findings.push(cx.boundary(r, &c));
            }
        }
    }

    cx.stale(options.today, &mut findings);

    findings.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    findings.dedup();
    Report {
        findings,
        derived_rules: derivation.rules.len(),
        deployed_rules: snapshot.rules.len(),
        groups: snapshot.groups.len(),
        snapshot_file: snapshot.file.clone(),
        snapshot_format: snapshot.format,
        warnings: snapshot.warnings.clone(),
    }
}

fn dkey(r: &Rule) -> (&str, Direction) {
    (r.security_group_id.as_str(), r.direction)
}

fn skey(r: &DeployedRule) -> (&str, Direction) {
    (r.security_group_id.as_str(), r.direction)
}

/// True when every address of `narrow` is in `wide`. A `/0` holds every
/// group's members; other CIDRs say nothing about groups.
fn peer_contains(wide: &Peer, narrow: &Peer) -> bool {
    match (wide, narrow) {
        (Peer::Cidr4(a), Peer::Cidr4(b)) => a.contains(b),
        (Peer::Cidr6(a), Peer::Cidr6(b)) => a.contains(b),
        (Peer::Cidr4(a), Peer::Group(_)) => a.prefix_len() == 0,
        (Peer::Cidr6(a), Peer::Group(_)) => a.prefix_len() == 0,
        (a, b) => a == b,
    }
}

fn is_everything(p: &Peer) -> bool {
    matches!(p, Peer::Cidr4(n) if n.prefix_len() == 0) || matches!(p, Peer::Cidr6(n) if n.prefix_len() == 0)
}

const PRIVATE: &[&str] = &[
    "10.0.0.0/8",
    "172.16.0.0/12",
    "192.168.0.0/16",
    "100.64.0.0/10",
    "127.0.0.0/8",
    "169.254.0.0/16",
    "fc00::/7",
    "fe80::/10",
    "::1/128",
];

/// A boundary crossed by one deployed rule, with the pair that crosses it.
struct Crossing<'a> {
    boundary: &'a Boundary,
    from: ServiceName,
    to: ServiceName,
}

struct Context<'a> {
    vm: &'a ValidMap,
    /// Group id -> the services it stands for (a load balancer's group stands for the service behind it).
    owners: HashMap<&'a str, Vec<(&'a ServiceName, bool)>>,
    relations: std::cell::OnceCell<HashMap<String, &'a Relation>>,
    private: Vec<IpNet>,
}

impl<'a> Context<'a> {
    fn new(vm: &'a ValidMap) -> Self {
        let mut owners: HashMap<&str, Vec<(&ServiceName, bool)>> = HashMap::new();
        for s in vm.services() {
            for g in &s.security_group_ids {
                owners.entry(g.as_str()).or_default().push((&s.name, false));
            }
            if let Some(lb) = &s.load_balancer {
                for g in &lb.security_group_ids {
                    owners.entry(g.as_str()).or_default().push((&s.name, true));
                }
            }
        }
        // Built on first use: a clean snapshot never needs it.
        let relations = std::cell::OnceCell::new();
        let private = PRIVATE.iter().filter_map(|p| p.parse().ok()).collect();
        Context { vm, owners, relations, private }
    }

    /// `sg-x (orders-db)`, `sg-y (shop-lb, in front of storefront)`, or the bare id.
    fn group_label(&self, id: &str) -> String {
        match self.owners.get(id) {
            Some(list) if !list.is_empty() => {
                let names: Vec<String> = list
                    .iter()
                    .map(|(n, lb)| match (lb, self.vm.service(n).and_then(|s| s.load_balancer_name())) {
                        (true, Some(lbn)) => format!("{lbn}, in front of {n}"),
                        _ => n.to_string(),
                    })
                    .collect();
                format!("{id} ({})", names.join(", "))
            }
            _ => format!("{id} (not in the map)"),
        }
    }

    fn peer_label(&self, p: &Peer) -> String {
        match p {
            Peer::Group(g) => self.group_label(g),
            other if is_everything(other) => format!("{} (anyone, the internet included)", other.value()),
            other => {
                let owners = self.peer_services(other);
                let named: Vec<&str> = owners.iter().map(ServiceName::as_str).collect();
                if named.is_empty() { other.value() } else { format!("{} ({})", other.value(), named.join(", ")) }
            }
        }
    }

    /// True when the CIDR holds public addresses that no declared service owns.
    fn opens_internet(&self, p: &Peer) -> bool {
        let net: IpNet = match p {
            Peer::Cidr4(n) => (*n).into(),
            Peer::Cidr6(n) => (*n).into(),
            _ => return false,
        };
        if net.prefix_len() == 0 {
            return true;
        }
        if self.private.iter().any(|p| p.contains(&net)) {
            return false;
        }
        !self.vm.services().any(|s| s.cidrs.iter().any(|c| c.contains(&net)))
    }

    /// The services a peer stands for (the internet included).
    fn peer_services(&self, p: &Peer) -> Vec<ServiceName> {
        let mut out: Vec<ServiceName> = Vec::new();
        match p {
            Peer::Group(g) => out.extend(self.owners.get(g.as_str()).into_iter().flatten().map(|(n, _)| (*n).clone())),
            Peer::PrefixList(pl) => {
                out.extend(self.vm.services().filter(|s| s.prefix_list_ids.contains(pl)).map(|s| s.name.clone()));
            }
            Peer::Cidr4(_) | Peer::Cidr6(_) => {
                let net: IpNet = match p {
                    Peer::Cidr4(n) => (*n).into(),
                    Peer::Cidr6(n) => (*n).into(),
                    _ => return out,
                };
                for s in self.vm.services() {
                    let overlaps = s.cidrs.iter().any(|c| c.contains(&net) || net.contains(c));
                    if overlaps || (is_everything(p) && !s.security_group_ids.is_empty()) {
                        out.push(s.name.clone());
                    }
                }
                if self.opens_internet(p) {
                    out.push(ServiceName::internet());
                }
            }
        }
        out.sort();
        out.dedup();
        out
    }

    fn crossings(&self, r: &DeployedRule) -> Vec<Crossing<'a>> {
        let on: Vec<ServiceName> =
            self.owners.get(r.security_group_id.as_str()).into_iter().flatten().map(|(n, _)| (*n).clone()).collect();
        let other = self.peer_services(&r.peer);
        let (froms, tos) = match r.direction {
            Direction::Ingress => (other, on),
            Direction::Egress => (on, other),
        };
        let mut out = Vec::new();
        for b in self.vm.boundaries() {
            let hit = froms.iter().flat_map(|f| tos.iter().map(move |t| (f, t))).find(|(f, t)| {
                f != t
                    && self.vm.selects(&b.from, f)
                    && b.to.iter().any(|sel| self.vm.selects(sel, t))
                    && match &b.kind {
                        BoundaryKind::NeverTalksTo => true,
                        BoundaryKind::NeverReaches { except_through } => {
                            !except_through.contains(f) && !except_through.contains(t)
                        }
                    }
            });
            if let Some((f, t)) = hit {
                out.push(Crossing { boundary: b, from: f.clone(), to: t.clone() });
            }
        }
        out
    }

    fn relations_of(&self, ids: &[&str]) -> (Option<String>, Option<String>, Location) {
        let mut ids: Vec<&str> = ids.to_vec();
        ids.sort_unstable();
        ids.dedup();
        let index = self.relations.get_or_init(|| self.vm.relations().iter().map(|r| (r.id(), r)).collect());
        let rels: Vec<&Relation> = ids.iter().filter_map(|id| index.get(*id).copied()).collect();
        let reasons: Vec<&str> = rels.iter().map(|r| r.reason.as_str()).collect();
        let location = rels.first().map(|r| r.location.clone()).unwrap_or_default();
        let rel = (!ids.is_empty()).then(|| ids.join(", "));
        let reason = (!reasons.is_empty()).then(|| reasons.join("; "));
        (rel, reason, location)
    }

    fn base_finding(&self, kind: FindingKind, severity: Severity, d: &DeployedRule) -> Finding {
        let (p, from, to) = d.aws_fields();
        Finding {
            kind,
            severity,
            security_group_id: Some(d.security_group_id.clone()),
            direction: Some(d.direction),
            ip_protocol: Some(p),
            from_port: from,
            to_port: to,
            peer: Some(d.peer.value()),
            relation: None,
            reason: None,
            message: String::new(),
            fix: String::new(),
            location: Location::Unknown,
            origin: Some(d.origin.clone()),
            rule_key: None,
        }
    }

    fn describe_rule(&self, f: &Finding, peer: &Peer) -> String {
        let dir = f.direction.map_or("", |d| d.as_str());
        let arrow = if f.direction == Some(Direction::Ingress) { "from" } else { "to" };
        let gid = f.security_group_id.as_deref().unwrap_or("");
        format!("{dir} {} on {} {arrow} {}", f.traffic_text(), self.group_label(gid), self.peer_label(peer))
    }

    fn missing(&self, d: &Rule, group_seen: bool) -> Finding {
        let (p, from, to) = d.aws_fields();
        let ids: Vec<&str> = d.relations.iter().map(String::as_str).collect();
        let (relation, reason, location) = self.relations_of(&ids);
        let mut f = Finding {
            kind: FindingKind::Missing,
            severity: Severity::High,
            security_group_id: Some(d.security_group_id.clone()),
            direction: Some(d.direction),
            ip_protocol: Some(p),
            from_port: from,
            to_port: to,
            peer: Some(d.peer.value()),
            relation,
            reason,
            message: String::new(),
            fix: String::new(),
            location,
            origin: None,
            rule_key: Some(d.key.clone()),
        };
        let rule = self.describe_rule(&f, &d.peer);
        f.message = if group_seen {
            format!("derived rule {rule} is not deployed; the flow it serves will fail")
        } else {
            format!(
                "derived rule {rule} is not deployed: the snapshot does not show group {} at all",
                d.security_group_id
            )
        };
        let ports = match (from, to) {
            (Some(a), Some(b)) if a == b => format!(" {a}"),
            (Some(a), Some(b)) => format!(" {a}-{b}"),
            _ => String::new(),
        };
        f.fix = format!(
            "add the {} rule on {}: {p}{ports} {} {}={} (apply the derived rules)",
            d.direction,
            d.security_group_id,
            if d.direction == Direction::Ingress { "from" } else { "to" },
            d.peer.field(),
            d.peer.value()
        );
        f
    }

    fn undeclared(&self, r: &DeployedRule, crossings: &[Crossing<'_>]) -> Finding {
        let internet = self.opens_internet(&r.peer);
        let severity = if internet || !crossings.is_empty() { Severity::High } else { Severity::Medium };
        let mut f = self.base_finding(FindingKind::Undeclared, severity, r);
        let rule = self.describe_rule(&f, &r.peer);
        let mut why = Vec::new();
        if internet {
            why.push(if r.direction == Direction::Ingress {
                "it admits the internet".to_string()
            } else {
                "it lets the group reach the internet".to_string()
            });
        }
        for c in crossings {
            why.push(format!("it crosses boundary `{}`", c.boundary.describe()));
        }
        let raised = if why.is_empty() { String::new() } else { format!(" ({})", why.join("; ")) };
        if r.is_default_egress() {
            f.message = format!(
                "deployed rule {rule} is the allow-all egress rule AWS creates on every new group; the map manages egress and no relation needs it{raised}"
            );
            f.fix = "revoke the default egress rule (Terraform's aws_security_group removes it only from groups it creates), or set defaults.manage_egress: false if egress is not managed".to_string();
        } else {
            f.message = format!("deployed rule {rule} is explained by no relation{raised}");
            f.fix = "declare the relation that needs it, with its reason, or revoke the rule".to_string();
        }
        f
    }

    fn overbroad(&self, r: &DeployedRule, wider_than: &[&Rule]) -> Finding {
        let mut f = self.base_finding(FindingKind::Overbroad, Severity::High, r);
        let ids: Vec<&str> = wider_than.iter().flat_map(|d| d.relations.iter().map(String::as_str)).collect();
        let (relation, reason, location) = self.relations_of(&ids);
        f.relation = relation;
        f.reason = reason;
        f.location = location;
        let mut keys: Vec<&str> = wider_than.iter().map(|d| d.key.as_str()).collect();
        keys.sort_unstable();
        f.rule_key = Some(keys.join(", "));
        let derived: Vec<String> = wider_than
            .iter()
            .map(|d| {
                let (p, a, b) = d.aws_fields();
                let ports = match (a, b) {
                    (Some(a), Some(b)) if a == b => format!(" {a}"),
                    (Some(a), Some(b)) => format!(" {a}-{b}"),
                    _ => String::new(),
                };
                format!(
                    "{p}{ports} {} {}",
                    if d.direction == Direction::Ingress { "from" } else { "to" },
                    d.peer.value()
                )
            })
            .collect();
        let rule = self.describe_rule(&f, &r.peer);
        let what =
            if r.is_default_egress() { " (the allow-all egress rule AWS creates on every new group)" } else { "" };
        f.message = format!("deployed rule {rule}{what} admits more than the derived {}", derived.join(", "));
        f.fix = if r.is_default_egress() {
            format!("revoke the default egress rule and keep only the derived {}", derived.join(", "))
        } else {
            format!("narrow it to {}", derived.join(", "))
        };
        f
    }

    fn boundary(&self, r: &DeployedRule, c: &Crossing<'_>) -> Finding {
        let mut f = self.base_finding(FindingKind::Boundary, Severity::Critical, r);
        f.relation = Some(c.boundary.describe());
        f.reason = Some(c.boundary.reason.to_string());
        f.location = c.boundary.location.clone();
        let rule = self.describe_rule(&f, &r.peer);
        f.message = format!(
            "deployed rule {rule} lets {} reach {}, which boundary `{}` forbids",
            c.from,
            c.to,
            c.boundary.describe()
        );
        f.fix = "revoke the rule; if the flow is really needed, change the boundary first, with a reason".to_string();
        f
    }

    fn stale(&self, today: Option<Date>, out: &mut Vec<Finding>) {
        let suspect: std::collections::HashSet<&ServiceName> =
            self.vm.services().filter(|s| s.retired || s.is_unbound()).map(|s| &s.name).collect();
        for r in self.vm.relations() {
            if suspect.is_empty() && (today.is_none() || r.review_by.is_none()) {
                continue;
            }
            let mk = |message: String, fix: String, location: Location| Finding {
                kind: FindingKind::Stale,
                severity: Severity::Low,
                security_group_id: None,
                direction: None,
                ip_protocol: None,
                from_port: None,
                to_port: None,
                peer: None,
                relation: Some(r.id()),
                reason: Some(r.reason.to_string()),
                message,
                fix,
                location,
                origin: None,
                rule_key: None,
            };
            if let (Some(today), Some(due)) = (today, r.review_by) {
                if due < today {
                    out.push(mk(
                        format!("relation {} was due for review on {due} (today is {today})", r.id()),
                        "confirm the reason still holds and move review_by forward, or remove the relation".to_string(),
                        r.loc("review_by"),
                    ));
                }
            }
            for (field, name) in [("from", &r.from), ("to", &r.to)] {
                if !suspect.contains(name) {
                    continue;
                }
                let Some(s) = self.vm.service(name) else { continue };
                if s.retired {
                    out.push(mk(
                        format!("relation {} names retired service `{name}`", r.id()),
                        "remove the relation, and the rules it derives".to_string(),
                        r.loc(field),
                    ));
                } else if s.is_unbound() && !name.is_internet() {
                    out.push(mk(
                        format!(
                            "relation {} names `{name}`, which has no network bindings; its rules cannot be deployed or checked",
                            r.id()
                        ),
                        format!("add security_group_ids (or cidrs / prefix_list_ids) to `{name}`, or retire it"),
                        r.loc(field),
                    ));
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------
// Rendering.

fn opt<T: serde::Serialize>(v: &Option<T>) -> Value {
    v.as_ref().map_or(Value::Null, |x| json!(x))
}

impl Finding {
    /// The finding as a JSON object (the fields of SPEC.md, plus `fix`,
    /// `location`, `origin` and `rule_key`).
    pub fn to_json(&self) -> Value {
        json!({
            "kind": self.kind.as_str(),
            "severity": self.severity.as_str(),
            "security_group_id": opt(&self.security_group_id),
            "direction": opt(&self.direction.map(|d| d.as_str())),
            "ip_protocol": opt(&self.ip_protocol.map(|p| p.as_str())),
            "from_port": opt(&self.from_port),
            "to_port": opt(&self.to_port),
            "peer": opt(&self.peer),
            "relation": opt(&self.relation),
            "reason": opt(&self.reason),
            "message": self.message,
            "fix": self.fix,
            "location": if self.location.is_unknown() { Value::Null } else { json!(self.location.to_string()) },
            "origin": opt(&self.origin),
            "rule_key": opt(&self.rule_key),
        })
    }

    fn fingerprint(&self) -> String {
        // FNV-1a over the identifying fields: stable across runs and versions.
        let text = format!(
            "{}|{:?}|{:?}|{:?}|{:?}|{:?}|{:?}|{:?}",
            self.kind,
            self.security_group_id,
            self.direction,
            self.ip_protocol,
            self.from_port,
            self.to_port,
            self.peer,
            self.relation
        );
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for b in text.bytes() {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        format!("{h:016x}")
    }
}

impl Report {
    fn summary(&self) -> Value {
        let by_severity: serde_json::Map<String, Value> = Severity::ALL
            .iter()
            .map(|s| (s.as_str().to_string(), json!(self.findings.iter().filter(|f| f.severity == *s).count())))
            .collect();
        let by_kind: serde_json::Map<String, Value> = FindingKind::ALL
            .iter()
            .map(|k| (k.as_str().to_string(), json!(self.findings.iter().filter(|f| f.kind == *k).count())))
            .collect();
        json!({
            "total": self.findings.len(),
            "by_severity": by_severity,
            "by_kind": by_kind,
            "derived_rules": self.derived_rules,
            "deployed_rules": self.deployed_rules,
            "groups": self.groups,
            "snapshot": {"file": self.snapshot_file, "format": self.snapshot_format.as_str()},
            "warnings": self.warnings,
        })
    }

    /// `{"findings": [...], "summary": {...}}`, pretty-printed, newline-terminated.
    pub fn to_json(&self) -> String {
        crate::render::pretty_json(&JsonReport(self), self.findings.len() * 640 + 512)
    }

    /// Findings for people, most severe first, with a summary line.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        for f in &self.findings {
            let _ = writeln!(out, "{:<8} {:<10} {}", f.severity.as_str().to_uppercase(), f.kind.as_str(), f.message);
            if let Some(rel) = &f.relation {
                let what = if f.kind == FindingKind::Boundary { "boundary" } else { "relation" };
                match &f.reason {
                    Some(reason) => {
                        let _ = writeln!(out, "         {what}: {rel} — {reason}");
                    }
                    None => {
                        let _ = writeln!(out, "         {what}: {rel}");
                    }
                }
            }
            if !f.location.is_unknown() {
                let _ = writeln!(out, "         declared at: {}", f.location);
            }
            if let Some(o) = &f.origin {
                let _ = writeln!(out, "         deployed at: {o}");
            }
            let _ = writeln!(out, "         fix: {}", f.fix);
            out.push('\n');
        }
        for w in &self.warnings {
            let _ = writeln!(out, "warning: {w}");
        }
        if !self.warnings.is_empty() {
            out.push('\n');
        }
        let counts: Vec<String> = Severity::ALL
            .iter()
            .map(|s| (s, self.findings.iter().filter(|f| f.severity == *s).count()))
            .filter(|(_, n)| *n > 0)
            .map(|(s, n)| format!("{n} {s}"))
            .collect();
        let _ = writeln!(
            out,
            "{} finding{}{} ({} derived rules, {} deployed rules in {} groups, {} {})",
            self.findings.len(),
            if self.findings.len() == 1 { "" } else { "s" },
            if counts.is_empty() { String::new() } else { format!(": {}", counts.join(", ")) },
            self.derived_rules,
            self.deployed_rules,
            self.groups,
            self.snapshot_format,
            self.snapshot_file,
        );
        out
    }

    /// A SARIF 2.1.0 log: one rule per finding kind, one result per finding,
    /// located at the map file line when the finding stems from a declared
    /// relation or boundary, else at the snapshot with the Terraform resource
    /// address or JSON path as a logical location.
    pub fn to_sarif(&self) -> String {
        let rules: Vec<Value> = FindingKind::ALL
            .iter()
            .map(|k| {
                json!({
                    "id": k.as_str(),
                    "name": format!("appmap/{}", k.as_str()),
                    "shortDescription": {"text": format!("{} security group rule finding", k.as_str())},
                    "fullDescription": {"text": k.description()},
                    "defaultConfiguration": {"level": k.default_severity().sarif_level()},
                    "help": {"text": k.description()},
                    "properties": {
                        "tags": ["security", "network", "appmap"],
                        "security-severity": k.default_severity().security_severity(),
                    },
                })
            })
            .collect();
        let driver = json!({"name": "appmap", "informationUri": "https://github.com/appmap/appmap", "rules": rules});
        crate::render::pretty_json(&SarifLog(SarifRun { report: self, driver }), self.findings.len() * 1500 + 4096)
    }

    /// One finding as a SARIF result.
    fn sarif_result(&self, f: &Finding) -> Value {
        let index = |k: FindingKind| FindingKind::ALL.iter().position(|x| *x == k).unwrap_or(0);
        let mut loc = serde_json::Map::new();
        match &f.location {
            Location::File { file, line, column } => {
                loc.insert(
                    "physicalLocation".into(),
                    json!({"artifactLocation": {"uri": uri(file)}, "region": {"startLine": line, "startColumn": column}}),
                );
            }
            _ => {
                loc.insert("physicalLocation".into(), json!({"artifactLocation": {"uri": uri(&self.snapshot_file)}}));
            }
        }
        let mut logical = Vec::new();
        if let Location::Attribute(_) = &f.location {
            logical.push(json!({"fullyQualifiedName": f.location.to_string(), "kind": "resource"}));
        }
        if let Some(o) = &f.origin {
            logical.push(json!({"fullyQualifiedName": o, "kind": "resource"}));
        }
        if !logical.is_empty() {
            loc.insert("logicalLocations".into(), Value::Array(logical));
        }
        let mut text = f.message.clone();
        if let Some(r) = &f.reason {
            text.push_str(&format!(". Reason: {r}"));
        }
        text.push_str(&format!(". Fix: {}", f.fix));
        json!({
            "ruleId": f.kind.as_str(),
            "ruleIndex": index(f.kind),
            "level": f.severity.sarif_level(),
            "message": {"text": text},
            "locations": [Value::Object(loc)],
            "partialFingerprints": {"appmapFinding/v1": f.fingerprint()},
            "properties": f.to_json(),
        })
    }
}

/// A sequence whose elements become JSON values only while they are written,
/// so a report with a million findings never becomes one giant tree.
struct LazySeq<'a, T, F>(&'a [T], F);

impl<T, F: Fn(&T) -> Value> serde::Serialize for LazySeq<'_, T, F> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeSeq;
        let mut seq = s.serialize_seq(Some(self.0.len()))?;
        for item in self.0 {
            seq.serialize_element(&(self.1)(item))?;
        }
        seq.end()
    }
}

/// The one run of a SARIF log, its results written lazily.
struct SarifRun<'a> {
    report: &'a Report,
    driver: Value,
}

impl serde::Serialize for SarifRun<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = s.serialize_map(Some(3))?;
        map.serialize_entry("tool", &json!({"driver": self.driver}))?;
        map.serialize_entry("results", &LazySeq(&self.report.findings, |f: &Finding| self.report.sarif_result(f)))?;
        map.serialize_entry("properties", &json!({"summary": self.report.summary()}))?;
        map.end()
    }
}

/// A SARIF 2.1.0 log with one run.
struct SarifLog<'a>(SarifRun<'a>);

impl serde::Serialize for SarifLog<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = s.serialize_map(Some(3))?;
        map.serialize_entry("$schema", "https://json.schemastore.org/sarif-2.1.0.json")?;
        map.serialize_entry("version", "2.1.0")?;
        map.serialize_entry("runs", &[&self.0])?;
        map.end()
    }
}

/// Findings and summary, the findings written lazily.
struct JsonReport<'a>(&'a Report);

impl serde::Serialize for JsonReport<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = s.serialize_map(Some(2))?;
        map.serialize_entry("findings", &LazySeq(&self.0.findings, Finding::to_json))?;
        map.serialize_entry("summary", &self.0.summary())?;
        map.end()
    }
}

/// A relative or absolute file name as a URI reference.
fn uri(file: &str) -> String {
    let mut out = String::with_capacity(file.len() + 8);
    if file.starts_with('/') {
        out.push_str("file://");
    }
    for c in file.chars() {
        match c {
            ' ' => out.push_str("%20"),
            '#' => out.push_str("%23"),
            '%' => out.push_str("%25"),
            '?' => out.push_str("%3F"),
            '\\' => out.push('/'),
            c => out.push(c),
        }
    }
    out
}

/// Per-kind counts, for callers that print their own summary.
pub fn counts(findings: &[Finding]) -> BTreeMap<FindingKind, usize> {
    let mut m = BTreeMap::new();
    for f in findings {
        *m.entry(f.kind).or_insert(0) += 1;
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::{PortRange, Traffic};
    use crate::snapshot::parse_snapshot;

    const MAP: &str = r#"
services:
  web: { zone: public, security_group_ids: [sg-web] }
  db:  { zone: data, security_group_ids: [sg-db] }
  old: { retired: true, security_group_ids: [sg-old] }
  ghost: {}
relations:
  - { from: web, to: db, protocol: postgres, reason: "Orders", review_by: 2026-01-01 }
  - { from: web, to: old, protocol: https, reason: "Legacy" }
  - { from: ghost, to: db, protocol: postgres, reason: "Unbound" }
boundaries:
  - { from: internet, never_reaches: [zone:data], reason: "Data stays inside" }
"#;

    fn check(snapshot: &str, today: Option<&str>) -> Vec<(FindingKind, Severity, String)> {
        let vm = crate::load_str("m.yaml", MAP).unwrap();
        let snap = parse_snapshot("s.json", snapshot).unwrap();
        let opts = VerifyOptions { today: today.map(|t| t.parse().unwrap()) };
        verify(&vm, &snap, &opts).findings.into_iter().map(|f| (f.kind, f.severity, f.message)).collect()
    }

    fn groups(ingress_db: &str, egress_web: &str) -> String {
        format!(
            r#"{{"SecurityGroups": [
            {{"GroupId": "sg-db", "IpPermissions": [{ingress_db}], "IpPermissionsEgress": []}},
            {{"GroupId": "sg-old", "IpPermissions": [{{"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "UserIdGroupPairs": [{{"GroupId": "sg-web"}}]}}], "IpPermissionsEgress": []}},
            {{"GroupId": "sg-web", "IpPermissions": [], "IpPermissionsEgress": [{egress_web}]}}]}}"#
        )
    }

    const PG_FROM_WEB: &str =
        r#"{"IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432, "UserIdGroupPairs": [{"GroupId": "sg-web"}]}"#;
    const WEB_OUT: &str = r#"{"IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432, "UserIdGroupPairs": [{"GroupId": "sg-db"}]},
        {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "UserIdGroupPairs": [{"GroupId": "sg-old"}]}"#;

    #[test]
    fn clean_snapshot_has_only_stale_findings() {
        let f = check(&groups(PG_FROM_WEB, WEB_OUT), None);
        let kinds: Vec<_> = f.iter().map(|x| x.0).collect();
        assert_eq!(kinds, [FindingKind::Stale, FindingKind::Stale], "{f:#?}");
    }

    #[test]
    fn review_date_uses_the_given_today() {
        assert_eq!(check(&groups(PG_FROM_WEB, WEB_OUT), Some("2025-12-31")).len(), 2);
        let f = check(&groups(PG_FROM_WEB, WEB_OUT), Some("2026-01-02"));
        assert!(f.iter().any(|x| x.2.contains("due for review on 2026-01-01")), "{f:#?}");
    }

    #[test]
    fn missing_overbroad_undeclared_boundary() {
        let wide = r#"{"IpProtocol": "tcp", "FromPort": 5000, "ToPort": 6000, "UserIdGroupPairs": [{"GroupId": "sg-web"}]},
            {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "10.1.0.0/16"}]},
            {"IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}"#;
        let f = check(&groups(wide, r#"{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}"#), None);
        let got: Vec<(FindingKind, Severity)> = f.iter().map(|x| (x.0, x.1)).collect();
        use FindingKind::*;
        use Severity::*;
        assert_eq!(
            got,
            [
                (Boundary, Critical),
                (Overbroad, High), // 5000-6000 from sg-web on sg-db
                (Overbroad, High), // 0.0.0.0/0 on sg-db covers sg-web
                (Overbroad, High), // default egress on sg-web
                (Undeclared, Medium),
                (Stale, Low),
                (Stale, Low),
            ],
            "{f:#?}"
        );
    }

    #[test]
    fn unmanaged_egress_is_not_checked() {
        let vm = crate::load_str(
            "m.yaml",
            "defaults: { manage_egress: false }\nservices:\n  a: { security_group_ids: [sg-a] }\n",
        )
        .unwrap();
        let snap = parse_snapshot("s.json", r#"{"SecurityGroups": [{"GroupId": "sg-a", "IpPermissionsEgress": [{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}]}]}"#).unwrap();
        assert!(verify(&vm, &snap, &VerifyOptions::default()).findings.is_empty());
    }

    #[test]
    fn containment_of_peers() {
        let all4 = Peer::Cidr4("0.0.0.0/0".parse().unwrap());
        assert!(peer_contains(&all4, &Peer::Group("sg-1".into())));
        assert!(peer_contains(
            &Peer::Cidr4("10.0.0.0/8".parse().unwrap()),
            &Peer::Cidr4("10.1.0.0/16".parse().unwrap())
        ));
        assert!(!peer_contains(&Peer::Cidr4("10.0.0.0/8".parse().unwrap()), &Peer::Group("sg-1".into())));
        assert!(Traffic::All.contains(&Traffic::Tcp(PortRange::single(1))));
    }

    #[test]
    fn uri_escapes() {
        assert_eq!(uri("a b/c#.yaml"), "a%20b/c%23.yaml");
        assert_eq!(uri("/x/y.yaml"), "file:///x/y.yaml");
    }
}
