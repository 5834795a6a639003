//! Derivation: the security group rules a [`ValidMap`] implies.
//!
//! This is the one place rules are computed. It is a pure function of the
//! map: no IO, independent of declaration order, byte-identical for the same
//! map. Everything else (provider, DSL, verify, paths) calls it.

use std::collections::{BTreeSet, HashMap};
use std::fmt;
use std::sync::Arc;

use ipnet::{IpNet, Ipv4Net, Ipv6Net};

use crate::diag::Diagnostic;
use crate::model::{LoadBalancer, Relation, Service, ServiceName};
use crate::protocol::{IpProtocol, PortRange, Protocol, Traffic};
use crate::validate::ValidMap;

/// AWS's default quota of rules per security group and direction.
pub const RULES_PER_GROUP_QUOTA: usize = 60;
/// AWS's default quota of security groups per network interface.
pub const GROUPS_PER_INTERFACE_QUOTA: usize = 5;
/// The longest description AWS accepts on a rule.
pub const DESCRIPTION_MAX: usize = 255;

/// Which way a rule faces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Direction {
    /// Inbound to the group.
    Ingress,
    /// Outbound from the group.
    Egress,
}

impl Direction {
    /// `ingress` or `egress`.
    pub const fn as_str(&self) -> &'static str {
        match self {
            Direction::Ingress => "ingress",
            Direction::Egress => "egress",
        }
    }
}

impl fmt::Display for Direction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A security group by position, known when the map is written even when its
/// id is not: the `index`-th group of a service or load balancer, or the
/// symbolic stand-in of a service without bindings (`index` `None`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct GroupSlot {
    /// The service or load balancer that owns the group (shared, not copied, by its rules).
    pub owner: Arc<str>,
    /// Position in its `security_group_ids`; `None` for a symbolic group.
    pub index: Option<usize>,
}

impl fmt::Display for GroupSlot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.index {
            Some(i) => write!(f, "{}.sg{i}", self.owner),
            None => write!(f, "{}.unbound", self.owner),
        }
    }
}

/// The id a symbolic group carries: the service name instead of a group id.
pub fn symbolic_group_id(service: &str) -> String {
    format!("service:{service}")
}

/// The other side of a rule.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Peer {
    /// A security group reference (`referenced_security_group_id`).
    Group(String),
    /// `cidr_ipv4`.
    Cidr4(Ipv4Net),
    /// `cidr_ipv6`.
    Cidr6(Ipv6Net),
    /// `prefix_list_id`.
    PrefixList(String),
}

impl Peer {
    /// The Terraform field this peer goes in.
    pub const fn field(&self) -> &'static str {
        match self {
            Peer::Group(_) => "referenced_security_group_id",
            Peer::Cidr4(_) => "cidr_ipv4",
            Peer::Cidr6(_) => "cidr_ipv6",
            Peer::PrefixList(_) => "prefix_list_id",
        }
    }

    /// The value of that field.
    pub fn value(&self) -> String {
        match self {
            Peer::Group(g) | Peer::PrefixList(g) => g.clone(),
            Peer::Cidr4(c) => c.to_string(),
            Peer::Cidr6(c) => c.to_string(),
        }
    }
}

impl fmt::Display for Peer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.value())
    }
}

impl From<IpNet> for Peer {
    fn from(net: IpNet) -> Self {
        match net {
            IpNet::V4(n) => Peer::Cidr4(n.trunc()),
            IpNet::V6(n) => Peer::Cidr6(n.trunc()),
        }
    }
}

/// One derived security group rule: one group, one direction, one protocol
/// and port range, one peer — the granularity of
/// `aws_vpc_security_group_ingress_rule` / `_egress_rule`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    /// Stable key, made only of names, positions, protocols and ports.
    pub key: String,
    /// Ingress or egress.
    pub direction: Direction,
    /// The group the rule sits on (or `service:NAME` for a symbolic group).
    pub security_group_id: String,
    /// Which group that is, by position.
    pub group: GroupSlot,
    /// What it admits.
    pub traffic: Traffic,
    /// From (ingress) or to (egress) whom.
    pub peer: Peer,
    /// The peer group by position, when the peer is a group.
    pub peer_group: Option<GroupSlot>,
    /// AWS-safe description naming the relations and their reasons.
    pub description: String,
    /// The relations that imply this rule (`from->to:protocol`), sorted.
    pub relations: Vec<String>,
}

impl Rule {
    /// AWS's `(ip_protocol, from_port, to_port)` for this rule.
    pub fn aws_fields(&self) -> (IpProtocol, Option<i32>, Option<i32>) {
        self.traffic.aws_fields(matches!(self.peer, Peer::Cidr6(_)))
    }
}

/// The rules a map implies, with what the caller should know about them.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Derivation {
    /// The rules, sorted by key.
    pub rules: Vec<Rule>,
    /// Quota and binding warnings.
    pub warnings: Vec<Diagnostic>,
}

/// One node of a hop: a service or the load balancer in front of one.
#[derive(Debug, Clone, Copy)]
pub enum HopEnd<'a> {
    /// A service (or `internet`).
    Service(&'a Service),
    /// The load balancer in front of a service.
    LoadBalancer(&'a Service, &'a LoadBalancer),
}

impl HopEnd<'_> {
    /// The service or load balancer name.
    pub fn name(&self) -> String {
        match self {
            HopEnd::Service(s) => s.name.to_string(),
            HopEnd::LoadBalancer(s, _) => s.load_balancer_name().unwrap_or_default(),
        }
    }
}

/// One network connection a relation needs: `from` opens to `to` with `traffic`.
#[derive(Debug, Clone)]
pub struct Hop<'a> {
    /// Who connects.
    pub from: HopEnd<'a>,
    /// To whom.
    pub to: HopEnd<'a>,
    /// What.
    pub traffic: Vec<Traffic>,
}

fn with_port(t: Traffic, port: u16) -> Traffic {
    match t {
        Traffic::Tcp(_) => Traffic::Tcp(PortRange::single(port)),
        Traffic::Udp(_) => Traffic::Udp(PortRange::single(port)),
        other => other,
    }
}

/// The hops a relation becomes: one, or two through a load balancer
/// (listener port in, target port and health-check port out).
pub fn plan_hops<'a>(vm: &'a ValidMap, rel: &Relation) -> Result<Vec<Hop<'a>>, String> {
    let (Some(from), Some(to)) = (vm.service(&rel.from), vm.service(&rel.to)) else {
        return Err(format!("relation {} names an unknown service", rel.id()));
    };
    hops_between(from, to, rel)
}

/// [`plan_hops`] with both ends already looked up.
fn hops_between<'a>(from: &'a Service, to: &'a Service, rel: &Relation) -> Result<Vec<Hop<'a>>, String> {
    let listens = rel.protocol.named().and_then(|n| to.listens.get(&n).copied());
    let base = rel.protocol.traffic(listens);
    let Some(lb) = &to.load_balancer else {
        return Ok(vec![Hop { from: HopEnd::Service(from), to: HopEnd::Service(to), traffic: base }]);
    };
    if matches!(rel.protocol, Protocol::Icmp { .. } | Protocol::All) {
        return Err(format!(
            "relation {} sends {} to `{}`, which sits behind a load balancer; load balancers forward TCP/UDP listeners only",
            rel.id(),
            rel.protocol,
            to.name
        ));
    }
    let listener = rel.protocol.named().and_then(|n| lb.listeners.get(&n).copied()).or_else(|| {
        lb.listeners.values().copied().find(|p| {
            base.iter().any(|t| matches!(t, Traffic::Tcp(r) | Traffic::Udp(r) if r.from() == *p && r.to() == *p))
        })
    });
    let Some(listener) = listener else {
        let have: Vec<String> = lb.listeners.iter().map(|(n, p)| format!("{}: {p}", n.name())).collect();
        return Err(format!(
            "relation {} uses {}, but the load balancer in front of `{}` has no listener for it (listeners: {})",
            rel.id(),
            rel.protocol,
            to.name,
            if have.is_empty() { "none".to_string() } else { have.join(", ") }
        ));
    };
    let front: Vec<Traffic> = base.iter().map(|t| with_port(*t, listener)).collect();
    let mut back: Vec<Traffic> = match lb.target_port {
        Some(p) => base.iter().map(|t| with_port(*t, p)).collect(),
        None => base.clone(),
    };
    if lb.security_group_ids.is_empty() {
        // A load balancer without groups (an NLB) is transparent: the client reaches the targets.
        return Ok(vec![Hop { from: HopEnd::Service(from), to: HopEnd::Service(to), traffic: back }]);
    }
    if let Some(hc) = lb.health_check_port {
        let hc_traffic = Traffic::Tcp(PortRange::single(hc));
        if !back.iter().any(|t| t.contains(&hc_traffic)) {
            back.push(hc_traffic);
        }
    }
    Ok(vec![
        Hop { from: HopEnd::Service(from), to: HopEnd::LoadBalancer(to, lb), traffic: front },
        Hop { from: HopEnd::LoadBalancer(to, lb), to: HopEnd::Service(to), traffic: back },
    ])
}

/// The network identity of a hop end, as ids into [`Tables`].
struct Identity {
    /// Groups we manage (real or symbolic): slot ids.
    groups: Vec<u32>,
    /// Everything it presents as a peer to the other side: peer ids.
    peers: Vec<u32>,
    /// True when we write rules on its groups.
    managed: bool,
}

/// A multiply-rotate hasher for the small integer keys of the hot loop;
/// SipHash's DoS resistance buys nothing for keys we made ourselves.
#[derive(Default, Clone, Copy)]
struct FxHasher(u64);

impl std::hash::Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.write_u64(u64::from_le_bytes(word));
        }
    }
    fn write_u8(&mut self, n: u8) {
        self.write_u64(u64::from(n));
    }
    fn write_u16(&mut self, n: u16) {
        self.write_u64(u64::from(n));
    }
    fn write_u32(&mut self, n: u32) {
        self.write_u64(u64::from(n));
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0.rotate_left(5) ^ n).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
    fn write_usize(&mut self, n: usize) {
        self.write_u64(n as u64);
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

type BuildFxHasher = std::hash::BuildHasherDefault<FxHasher>;

/// Interned slots and peers, so the hot loop hashes integers, not strings.
#[derive(Default)]
struct Tables {
    /// Group slot and group id, by slot id.
    slots: Vec<(GroupSlot, String)>,
    slot_ids: HashMap<GroupSlot, u32>,
    /// Peer, its slot when it is a group, and its key token, by peer id.
    peers: Vec<(Peer, Option<GroupSlot>, String)>,
    peer_ids: HashMap<String, u32>,
    /// Identities by (address of the service, is-load-balancer).
    identities: HashMap<(usize, bool), Identity>,
}

impl Tables {
    fn peer(&mut self, peer: Peer, slot: Option<GroupSlot>) -> u32 {
        let token = match &slot {
            Some(s) => s.to_string(),
            None => peer.value(),
        };
        if let Some(&id) = self.peer_ids.get(&token) {
            return id;
        }
        let id = self.peers.len() as u32;
        self.peers.push((peer, slot, token.clone()));
        self.peer_ids.insert(token, id);
        id
    }

    /// A slot shared by every service that names it (a load balancer in front of several).
    fn slot(&mut self, slot: GroupSlot, gid: &str) -> u32 {
        if let Some(&id) = self.slot_ids.get(&slot) {
            return id;
        }
        let id = self.slots.len() as u32;
        self.slots.push((slot.clone(), gid.to_string()));
        self.slot_ids.insert(slot, id);
        id
    }

    fn groups(&mut self, owner: &str, ids: &[String]) -> Identity {
        let mut id = Identity { groups: Vec::new(), peers: Vec::new(), managed: true };
        let owner: Arc<str> = Arc::from(owner);
        for (i, gid) in ids.iter().enumerate() {
            let slot = GroupSlot { owner: owner.clone(), index: Some(i) };
            id.groups.push(self.slot(slot.clone(), gid));
            id.peers.push(self.peer(Peer::Group(gid.clone()), Some(slot)));
        }
        id
    }

    /// Computes the identity of a hop end once per service or load balancer;
    /// returns its key in `identities`.
    fn identity(&mut self, end: &HopEnd<'_>) -> (usize, bool) {
        let key = match end {
            HopEnd::Service(s) => (std::ptr::from_ref::<Service>(s) as usize, false),
            HopEnd::LoadBalancer(s, _) => (std::ptr::from_ref::<Service>(s) as usize, true),
        };
        if !self.identities.contains_key(&key) {
            let id = match end {
                HopEnd::LoadBalancer(s, lb) => {
                    self.groups(&s.load_balancer_name().unwrap_or_default(), &lb.security_group_ids)
                }
                HopEnd::Service(s) if !s.security_group_ids.is_empty() => {
                    self.groups(s.name.as_str(), &s.security_group_ids)
                }
                HopEnd::Service(s) if s.is_unbound() && !s.name.is_internet() => {
                    let slot = GroupSlot { owner: Arc::from(s.name.as_str()), index: None };
                    let gid = symbolic_group_id(s.name.as_str());
                    let slot_id = self.slot(slot.clone(), &gid);
                    let peer = self.peer(Peer::Group(gid), Some(slot));
                    Identity { groups: vec![slot_id], peers: vec![peer], managed: true }
                }
                HopEnd::Service(s) => {
                    let mut cidrs: Vec<IpNet> = s.cidrs.iter().map(IpNet::trunc).collect();
                    cidrs.sort();
                    cidrs.dedup();
                    let mut pls = s.prefix_list_ids.clone();
                    pls.sort();
                    pls.dedup();
                    let peers = cidrs
                        .into_iter()
                        .map(Peer::from)
                        .chain(pls.into_iter().map(Peer::PrefixList))
                        .map(|p| self.peer(p, None))
                        .collect();
                    Identity { groups: Vec::new(), peers, managed: false }
                }
            };
            self.identities.insert(key, id);
        }
        key
    }
}

/// Keeps only the characters AWS accepts in a rule description
/// (`a-zA-Z0-9. _-:/()#,@[]+=&;{}!$*`), and cuts to 255.
///
/// # Examples
/// ```
/// use appmap::derive::sanitize_description;
/// assert_eq!(sanitize_description("web -> db: \"orders\" <fast>"), "web - db: orders fast");
/// assert_eq!(sanitize_description(&"x".repeat(300)).len(), 255);
/// ```
pub fn sanitize_description(text: &str) -> String {
    const EXTRA: &str = "._-:/()#,@[]+=&;{}!$* ";
    let mut out = String::with_capacity(text.len().min(DESCRIPTION_MAX));
    for c in text.chars() {
        if matches!(c, '\'' | '"' | '`') {
            continue;
        }
        let c = if c.is_ascii_alphanumeric() || EXTRA.contains(c) { c } else { ' ' };
        if c == ' ' && (out.is_empty() || out.ends_with(' ')) {
            continue;
        }
        out.push(c);
    }
    let mut out = out.trim_end().to_string();
    if out.len() > DESCRIPTION_MAX {
        out.truncate(DESCRIPTION_MAX - 3);
        out = out.trim_end().to_string();
        out.push_str("...");
    }
    out
}

impl ValidMap {
    /// Derives every rule the map implies.
    ///
    /// # Examples
    /// ```
    /// let map = appmap::load_str("m.yaml", r#"
    /// services:
    ///   web: { security_group_ids: [sg-web] }
    ///   db:  { security_group_ids: [sg-db] }
    /// relations:
    ///   - { from: web, to: db, protocol: postgres, reason: "Orders" }
    /// "#).unwrap();
    /// let d = map.derive();
    /// let keys: Vec<&str> = d.rules.iter().map(|r| r.key.as_str()).collect();
    /// assert_eq!(keys, ["egress/web.sg0/tcp/5432/db.sg0", "ingress/db.sg0/tcp/5432/web.sg0"]);
    /// ```
    pub fn derive(&self) -> Derivation {
        type RuleId = (Direction, u32, Traffic, u32);
        let mut tables = Tables::default();
        // Each distinct rule once, with the relations that imply it.
        let mut index: HashMap<RuleId, usize, BuildFxHasher> = HashMap::default();
        // Each relation looks up two services: hash once, not a tree walk of string compares.
        let mut lookup: HashMap<&str, &Service> = self.services().map(|s| (s.name.as_str(), s)).collect();
        lookup.insert(crate::model::INTERNET, self.internet());
        let mut found: Vec<(RuleId, Vec<usize>)> = Vec::new();
        let mut unbound: BTreeSet<&ServiceName> = BTreeSet::new();
        let manage_egress = self.defaults().manage_egress;
        for (rel_index, rel) in self.relations().iter().enumerate() {
            let ends = (lookup.get(rel.from.as_str()), lookup.get(rel.to.as_str()));
            let (Some(from), Some(to)) = ends else { continue };
            let Ok(hops) = hops_between(from, to, rel) else { continue };
            for hop in &hops {
                for end in [&hop.from, &hop.to] {
                    if let HopEnd::Service(s) = end {
                        if s.is_unbound() && !s.name.is_internet() {
                            unbound.insert(&s.name);
                        }
                    }
                }
                let (src_key, dst_key) = (tables.identity(&hop.from), tables.identity(&hop.to));
                let (src, dst) = (&tables.identities[&src_key], &tables.identities[&dst_key]);
                let mut emit = |direction: Direction, groups: &[u32], peers: &[u32]| {
                    for &g in groups {
                        for &p in peers {
                            for t in &hop.traffic {
                                let id = (direction, g, *t, p);
                                let i = *index.entry(id).or_insert_with(|| {
                                    found.push((id, Vec::new()));
                                    found.len() - 1
                                });
                                found[i].1.push(rel_index);
                            }
                        }
                    }
                };
                if dst.managed {
                    emit(Direction::Ingress, &dst.groups, &src.peers);
                }
                if manage_egress && src.managed {
                    emit(Direction::Egress, &src.groups, &dst.peers);
                }
            }
        }
        // Key pieces are rendered once per slot and per kind of traffic, not once per rule.
        let slot_keys: Vec<String> = tables.slots.iter().map(|(slot, _)| slot.to_string()).collect();
        let mut traffic_keys: HashMap<Traffic, String> = HashMap::new();
        let mut per_group: HashMap<(u32, Direction), usize> = HashMap::new();
        let mut keys: Vec<String> = found
            .iter()
            .map(|&((direction, g, traffic, p), _)| {
                let token = &tables.peers[p as usize].2;
                let traffic_key = traffic_keys.entry(traffic).or_insert_with(|| traffic.key_token());
                let slot_key = &slot_keys[g as usize];
                let mut key = String::with_capacity(
                    direction.as_str().len() + slot_key.len() + traffic_key.len() + token.len() + 3,
                );
                for (i, piece) in [direction.as_str(), slot_key, traffic_key, token].into_iter().enumerate() {
                    if i > 0 {
                        key.push('/');
                    }
                    key.push_str(piece);
                }
                *per_group.entry((g, direction)).or_insert(0) += 1;
                key
            })
            .collect();

        let mut warnings = Vec::new();
        for name in unbound {
            if let Some(s) = self.service(name) {
                warnings.push(
                    Diagnostic::warning(
                        s.location.clone(),
                        format!(
                            "service `{name}` has no network bindings; its rules name `{}` instead of a security group id",
                            symbolic_group_id(name.as_str())
                        ),
                    )
                    .with_help("add `security_group_ids` (or `cidrs` / `prefix_list_ids` for an external service)"),
                );
            }
        }
        for s in self.services() {
            let lb_groups = s.load_balancer.as_ref().map_or(0, |lb| lb.security_group_ids.len());
            for (what, n) in [("service", s.security_group_ids.len()), ("load balancer of", lb_groups)] {
                if n > GROUPS_PER_INTERFACE_QUOTA {
                    warnings.push(Diagnostic::warning(
                        s.loc("security_group_ids"),
                        format!(
                            "{what} `{}` has {n} security groups; AWS allows {GROUPS_PER_INTERFACE_QUOTA} per network interface by default",
                            s.name
                        ),
                    ));
                }
            }
        }

        let mut rules: Vec<Rule> = Vec::with_capacity(found.len());
        for (&(g, dir), &n) in &per_group {
            if n > RULES_PER_GROUP_QUOTA {
                let (slot, gid) = &tables.slots[g as usize];
                let owner = slot.owner.parse::<ServiceName>().ok().and_then(|o| self.service(&o).cloned());
                warnings.push(
                    Diagnostic::warning(
                        owner.map(|s| s.loc("security_group_ids")).unwrap_or_default(),
                        format!(
                            "security group {gid} ({}) would carry {n} {dir} rules; AWS allows {RULES_PER_GROUP_QUOTA} per group and direction by default",
                            slot.owner
                        ),
                    )
                    .with_help("split the service across more groups, use prefix lists, or raise the quota"),
                );
            }
        }
        let relations = self.relations();
        let ids: Vec<String> = relations.iter().map(Relation::id).collect();
        let part = |r: &Relation| format!("{} to {} {}: {}", r.from, r.to, r.protocol, r.reason);
        // Most rules come from one relation: describe each relation once.
        let mut single: Vec<Option<String>> = vec![None; relations.len()];
        // Sort a permutation, then build each rule once, in its final place.
        let mut order: Vec<u32> = (0..found.len() as u32).collect();
        order.sort_unstable_by(|&a, &b| keys[a as usize].cmp(&keys[b as usize]));
        for i in order {
            let ((direction, g, traffic, p), implied_by) = &mut found[i as usize];
            let (slot, gid) = &tables.slots[*g as usize];
            let (peer, peer_slot, _) = &tables.peers[*p as usize];
            // Order and merge the implying relations by id (then reason), independent of declaration order.
            implied_by.sort_unstable_by(|&a, &b| (&ids[a], &relations[a].reason).cmp(&(&ids[b], &relations[b].reason)));
            implied_by.dedup();
            let description = match implied_by.as_slice() {
                [r] => single[*r].get_or_insert_with(|| sanitize_description(&part(&relations[*r]))).clone(),
                many => {
                    let mut description = String::new();
                    for (n, &r) in many.iter().enumerate() {
                        if n > 0 {
                            description.push_str("; ");
                        }
                        description.push_str(&part(&relations[r]));
                        if description.len() > 2 * DESCRIPTION_MAX {
                            break;
                        }
                    }
                    sanitize_description(&description)
                }
            };
            let mut rule = Rule {
                key: std::mem::take(&mut keys[i as usize]),
                direction: *direction,
                security_group_id: gid.clone(),
                group: slot.clone(),
                traffic: *traffic,
                peer: peer.clone(),
                peer_group: peer_slot.clone(),
                description,
                relations: Vec::new(),
            };
            rule.relations = implied_by.iter().map(|&r| ids[r].clone()).collect();
            rule.relations.dedup();
            rules.push(rule);
        }
        warnings.sort_by(|a, b| (&a.location, &a.message).cmp(&(&b.location, &b.message)));
        Derivation { rules, warnings }
    }
}
