//! The questions the path graph answers: reachable pairs with witnesses,
//! choke points, `never_reaches` violations, and what a change opens or closes.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::str::FromStr;

use ipnet::IpNet;

use crate::diag::{Location, did_you_mean};
use crate::model::{BoundaryKind, Selector, ServiceName};
use crate::validate::ValidMap;

use super::algo::{Bfs, Dominators, Reachability};
use super::graph::{Graph, Node, NodeId, NodeKind};
use super::ports::PortSet;
use super::{Error, Result};

/// What `--from` and `--to` name: a service (or load balancer), `zone:NAME`,
/// a group id, `internet`, or a CIDR.
///
/// A CIDR selects every CIDR node that overlaps it, the internet included:
/// some address in it is admitted by a rule from that node.
///
/// # Examples
/// ```
/// use appmap::paths::NodeSelector;
/// assert_eq!("zone:pci".parse::<NodeSelector>().unwrap(), NodeSelector::Zone("pci".into()));
/// assert_eq!("sg-0a1b".parse::<NodeSelector>().unwrap(), NodeSelector::Group("sg-0a1b".into()));
/// assert_eq!("10.0.0.0/8".parse::<NodeSelector>().unwrap().to_string(), "10.0.0.0/8");
/// assert_eq!("192.0.2.7".parse::<NodeSelector>().unwrap().to_string(), "192.0.2.7/32");
/// assert!("10.0.0.0/33".parse::<NodeSelector>().is_err());
/// assert!("Card_Vault".parse::<NodeSelector>().unwrap_err().to_string().contains("card-vault"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum NodeSelector {
    /// `internet`.
    Internet,
    /// `zone:NAME`.
    Zone(String),
    /// `sg-...`.
    Group(String),
    /// A CIDR or a single address.
    Cidr(IpNet),
    /// A service or load balancer name.
    Name(String),
}

impl FromStr for NodeSelector {
    type Err = Error;

    fn from_str(text: &str) -> Result<Self> {
        let s = text.trim();
        let bad = |reason: String| Error::BadSelector { text: text.to_string(), reason };
        if s == crate::model::INTERNET {
            return Ok(NodeSelector::Internet);
        }
        if let Some(z) = s.strip_prefix("zone:") {
            return match z.trim() {
                "" => Err(bad("`zone:` needs a zone name, e.g. `zone:pci`".into())),
                z => Ok(NodeSelector::Zone(z.to_string())),
            };
        }
        if s.starts_with("sg-") {
            return Ok(NodeSelector::Group(s.to_string()));
        }
        if s.contains('/') {
            return s
                .parse::<IpNet>()
                .map(|n| NodeSelector::Cidr(n.trunc()))
                .map_err(|e| bad(format!("not a CIDR: {e}")));
        }
        if let Ok(addr) = s.parse::<std::net::IpAddr>() {
            return Ok(NodeSelector::Cidr(IpNet::from(addr)));
        }
        s.parse::<ServiceName>().map(|n| NodeSelector::Name(n.to_string())).map_err(bad)
    }
}

impl fmt::Display for NodeSelector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NodeSelector::Internet => f.write_str(crate::model::INTERNET),
            NodeSelector::Zone(z) => write!(f, "zone:{z}"),
            NodeSelector::Group(g) | NodeSelector::Name(g) => f.write_str(g),
            NodeSelector::Cidr(n) => n.fmt(f),
        }
    }
}

fn overlaps(a: &IpNet, b: &IpNet) -> bool {
    a.contains(b) || b.contains(a)
}

impl Graph {
    /// The nodes `sel` names, or an error saying why none match.
    ///
    /// Load balancers are selected by their own name or group only: a zone or
    /// service selects the services, and every path into a load balancer
    /// goes on to its service anyway.
    pub fn select(&self, sel: &NodeSelector) -> Result<Vec<NodeId>> {
        let pick = |f: &dyn Fn(&Node) -> bool| -> Vec<NodeId> {
            self.nodes().iter().enumerate().filter(|(_, n)| f(n)).map(|(i, _)| i as NodeId).collect()
        };
        let found = match sel {
            NodeSelector::Internet => pick(&|n| n.kind == NodeKind::Internet),
            NodeSelector::Zone(z) => pick(&|n| n.kind != NodeKind::LoadBalancer && n.zone.as_deref() == Some(z)),
            NodeSelector::Group(g) => pick(&|n| n.key == *g || n.groups.contains(g)),
            NodeSelector::Cidr(net) => pick(&|n| n.cidrs.iter().any(|c| overlaps(c, net))),
            NodeSelector::Name(name) => pick(&|n| {
                n.owner.as_deref() == Some(name)
                    || (n.kind != NodeKind::LoadBalancer && n.service.as_deref() == Some(name))
            }),
        };
        if !found.is_empty() {
            return Ok(found);
        }
        let help = match sel {
            NodeSelector::Zone(z) => {
                let zones: BTreeSet<&str> = self.nodes().iter().filter_map(|n| n.zone.as_deref()).collect();
                did_you_mean(z, zones.iter().copied()).map(|m| format!("did you mean `zone:{m}`?")).or_else(|| {
                    Some(if zones.is_empty() {
                        "zones come from the map; pass --map".to_string()
                    } else {
                        format!("zones: {}", zones.into_iter().collect::<Vec<_>>().join(", "))
                    })
                })
            }
            NodeSelector::Name(name) => {
                let names: BTreeSet<&str> = self.nodes().iter().filter_map(|n| n.owner.as_deref()).collect();
                did_you_mean(name, names.iter().copied())
                    .map(|m| format!("did you mean `{m}`?"))
                    .or_else(|| names.is_empty().then(|| "service names come from the map; pass --map".to_string()))
            }
            NodeSelector::Internet => Some("no rule admits 0.0.0.0/0 or ::/0".to_string()),
            NodeSelector::Group(_) | NodeSelector::Cidr(_) => None,
        };
        Err(Error::NoMatch { selector: sel.to_string(), help })
    }

    /// Every node any of `sels` names, sorted and without repeats.
    pub fn select_all(&self, sels: &[NodeSelector]) -> Result<Vec<NodeId>> {
        let mut out = Vec::new();
        for s in sels {
            out.extend(self.select(s)?);
        }
        out.sort_unstable();
        out.dedup();
        Ok(out)
    }

    /// The nodes a boundary selector names (services by name, zones, `internet`).
    fn select_boundary(&self, sel: &Selector) -> Vec<NodeId> {
        let ns = match sel {
            Selector::Service(n) if n.is_internet() => NodeSelector::Internet,
            Selector::Service(n) => NodeSelector::Name(n.to_string()),
            Selector::Zone(z) => NodeSelector::Zone(z.clone()),
        };
        self.select(&ns).unwrap_or_default()
    }

    /// The path through `nodes`, each hop with its own ports.
    pub fn path(&self, nodes: &[NodeId]) -> Path {
        let hops = nodes
            .windows(2)
            .map(|w| {
                let info = self.edge(w[0], w[1]).cloned().unwrap_or_default();
                Hop {
                    from: self.node(w[0]).key.clone(),
                    to: self.node(w[1]).key.clone(),
                    ports: info.ports,
                    declared: info.declared,
                    relations: info.relations,
                    forwarded: self.node(w[0]).kind == NodeKind::LoadBalancer,
                }
            })
            .collect();
        let key = |i: usize| nodes.get(i).map(|&n| self.node(n).key.clone()).unwrap_or_default();
        Path { from: key(0), to: key(nodes.len().saturating_sub(1)), hops }
    }
}

/// One hop of a path: a connection (or, out of a load balancer, the
/// forwarded half of one) with the ports it may use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hop {
    /// The node that connects (its key).
    pub from: String,
    /// The node it connects to.
    pub to: String,
    /// The ports the hop may use.
    pub ports: PortSet,
    /// True when declared relations imply the hop.
    pub declared: bool,
    /// Those relations.
    pub relations: Vec<String>,
    /// True when `from` is a load balancer: the hop continues the flow that
    /// entered it on the listener port, rather than opening a new one.
    pub forwarded: bool,
}

/// A witness path from one node to another; never every path, only a shortest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Path {
    /// The first node.
    pub from: String,
    /// The last node.
    pub to: String,
    /// The hops in order.
    pub hops: Vec<Hop>,
}

impl Path {
    /// The number of hops (edges).
    pub fn hop_count(&self) -> usize {
        self.hops.len()
    }

    /// The number of connections: hops, counting a load balancer's listener
    /// and target hops as one flow.
    pub fn connections(&self) -> usize {
        self.hops.iter().filter(|h| !h.forwarded).count()
    }

    /// True when declared relations back every hop.
    pub fn declared(&self) -> bool {
        self.hops.iter().all(|h| h.declared)
    }

    /// The node keys from first to last.
    pub fn nodes(&self) -> Vec<&str> {
        std::iter::once(self.from.as_str()).chain(self.hops.iter().map(|h| h.to.as_str())).collect()
    }

    /// One relation per connection, for messages: `a->b:https then b->c:https`.
    /// A load balancer's two hops share their relation.
    pub fn relation_chain(&self) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        for h in &self.hops {
            let prev = out.last().copied();
            match h.relations.iter().find(|r| Some(r.as_str()) == prev) {
                Some(_) => {}
                None => out.extend(h.relations.first().map(String::as_str)),
            }
        }
        out
    }
}

impl fmt::Display for Path {
    /// `internet -[tcp:443]-> shop-lb =[tcp:8080]=> storefront`; `=[..]=>`
    /// marks the forwarded half of a load balancer flow.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.from)?;
        for h in &self.hops {
            if h.forwarded {
                write!(f, " =[{}]=> {}", h.ports, h.to)?;
            } else {
                write!(f, " -[{}]-> {}", h.ports, h.to)?;
            }
        }
        Ok(())
    }
}

/// A path that crosses a `never_reaches` boundary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// The boundary's position among the map's boundaries.
    pub boundary: usize,
    /// `internet never_reaches zone:pci except through payments`.
    pub description: String,
    /// Why the boundary exists.
    pub reason: String,
    /// Where the boundary's `to` was declared.
    pub location: Location,
    /// A shortest path that avoids every permitted choke point.
    pub path: Path,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} -> {} crosses boundary `{}`: {}; path: {}",
            self.path.from, self.path.to, self.description, self.reason, self.path
        )
    }
}

/// Every reachable `(source, target)` pair of distinct nodes within
/// `max_hops`, each with a shortest witness path; sorted by source, then target.
pub fn reachable_pairs(graph: &Graph, sources: &[NodeId], targets: &[NodeId], max_hops: Option<u32>) -> Vec<Path> {
    let mut out = Vec::new();
    for &s in sources {
        let bfs = Bfs::run(graph, s, max_hops, None);
        for &t in targets {
            if t == s {
                continue;
            }
            if let Some(nodes) = bfs.path(t) {
                out.push(graph.path(&nodes));
            }
        }
    }
    out.sort_by(|a, b| (&a.from, &a.to).cmp(&(&b.from, &b.to)));
    out
}

/// For each target reachable from `sources`, the nodes every path from the
/// sources to it passes through (dominators from a virtual root joined to
/// every source), nearest the sources first. Paths of any length count; the
/// sources themselves are not listed.
pub fn choke_points(graph: &Graph, sources: &[NodeId], targets: &[NodeId]) -> BTreeMap<String, Vec<String>> {
    let dom = Dominators::new(graph, sources);
    targets
        .iter()
        .filter(|&&t| dom.is_reachable(t) && !sources.contains(&t))
        .map(|&t| {
            let cps = dom
                .choke_points(t)
                .into_iter()
                .filter(|n| !sources.contains(n))
                .map(|n| graph.node(n).key.clone())
                .collect();
            (graph.node(t).key.clone(), cps)
        })
        .collect()
}

/// Every pair that crosses one of the map's `never_reaches` boundaries in
/// `graph`, with a shortest witness path avoiding the boundary's permitted
/// choke points; sorted by boundary, hop count, source and target.
pub fn never_reaches(graph: &Graph, vm: &ValidMap) -> Vec<Violation> {
    let mut out = Vec::new();
    for (i, b) in vm.boundaries().iter().enumerate() {
        let BoundaryKind::NeverReaches { except_through } = &b.kind else { continue };
        let sources = graph.select_boundary(&b.from);
        let mut targets: Vec<NodeId> = b.to.iter().flat_map(|t| graph.select_boundary(t)).collect();
        targets.sort_unstable();
        targets.dedup();
        targets.retain(|t| !sources.contains(t));
        if sources.is_empty() || targets.is_empty() {
            continue;
        }
        let mut blocked = vec![false; graph.node_count()];
        for e in except_through {
            for n in graph.select_boundary(&Selector::Service(e.clone())) {
                blocked[n as usize] = true;
            }
        }
        let mut found = Vec::new();
        for &s in &sources {
            let bfs = Bfs::run(graph, s, None, Some(&blocked));
            for &t in &targets {
                if let Some(nodes) = bfs.path(t) {
                    found.push(Violation {
                        boundary: i,
                        description: b.describe(),
                        reason: b.reason.to_string(),
                        location: b.loc("to"),
                        path: graph.path(&nodes),
                    });
                }
            }
        }
        found.sort_by(|a, b| {
            (a.path.hop_count(), &a.path.from, &a.path.to).cmp(&(b.path.hop_count(), &b.path.from, &b.path.to))
        });
        out.extend(found);
    }
    out
}

/// The `never_reaches` violations among a map's declared relations, hop by
/// hop: the check a plan-time caller (the provider) runs on the services,
/// relations and boundaries a configuration declares.
///
/// [`ValidMap::new`] rejects a map whose declared relations cross a
/// boundary, so this checks everything else first and returns those
/// problems as `Err`; violations come back as data.
///
/// # Examples
/// ```
/// let (map, _) = appmap::parse_str("m.yaml", r#"
/// services:
///   web:   { security_group_ids: [sg-web] }
///   pay:   { security_group_ids: [sg-pay] }
///   vault: { security_group_ids: [sg-vault], zone: pci }
/// relations:
///   - { from: internet, to: web, protocol: https, reason: "Shop" }
///   - { from: web, to: pay, protocol: https, reason: "Charge" }
///   - { from: pay, to: vault, protocol: postgres, reason: "Tokens" }
///   - { from: web, to: vault, protocol: postgres, reason: "Shortcut" }
/// boundaries:
///   - { from: internet, never_reaches: [zone:pci], except_through: [pay], reason: "PCI DSS" }
/// "#);
/// let v = appmap::paths::check_map(map).unwrap();
/// assert_eq!(v.len(), 1);
/// assert_eq!(v[0].reason, "PCI DSS");
/// assert_eq!(v[0].path.to_string(), "internet -[tcp:443]-> web -[tcp:5432]-> vault");
/// assert_eq!(v[0].path.relation_chain(), ["internet->web:https", "web->vault:postgres"]);
/// ```
pub fn check_map(map: crate::model::Map) -> std::result::Result<Vec<Violation>, crate::diag::Diagnostics> {
    let vm = ValidMap::new_without_paths(map)?;
    Ok(never_reaches(&Graph::from_map(&vm), &vm))
}

/// What `appmap paths` asks.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Query {
    /// Sources; none means no pairs are computed (boundaries only).
    pub from: Vec<NodeSelector>,
    /// Targets.
    pub to: Vec<NodeSelector>,
    /// The longest path to report, in hops.
    pub max_hops: Option<u32>,
}

/// The answer to a [`Query`].
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Report {
    /// Reachable pairs with shortest witness paths.
    pub pairs: Vec<Path>,
    /// Per reached target, the nodes every path from the sources passes through.
    pub choke_points: BTreeMap<String, Vec<String>>,
    /// `never_reaches` violations (when a map is given).
    pub violations: Vec<Violation>,
    /// Every node the report mentions, by key.
    pub nodes: BTreeMap<String, Node>,
}

/// Answers `query` over `graph`, checking `map`'s `never_reaches` boundaries too.
pub fn report(graph: &Graph, query: &Query, map: Option<&ValidMap>) -> Result<Report> {
    let mut r = Report::default();
    if !query.from.is_empty() || !query.to.is_empty() {
        let sources = graph.select_all(&query.from)?;
        let targets = graph.select_all(&query.to)?;
        r.pairs = reachable_pairs(graph, &sources, &targets, query.max_hops);
        let reached_keys: BTreeSet<&str> = r.pairs.iter().map(|p| p.to.as_str()).collect();
        let reached: Vec<NodeId> =
            targets.iter().copied().filter(|&t| reached_keys.contains(graph.node(t).key.as_str())).collect();
        r.choke_points = choke_points(graph, &sources, &reached);
    }
    if let Some(vm) = map {
        r.violations = never_reaches(graph, vm);
    }
    let mut keys: BTreeSet<&str> = BTreeSet::new();
    for p in r.pairs.iter().chain(r.violations.iter().map(|v| &v.path)) {
        keys.extend(p.nodes());
    }
    keys.extend(r.choke_points.values().flatten().map(String::as_str));
    r.nodes =
        keys.into_iter().filter_map(|k| graph.find(k).map(|id| (k.to_string(), graph.node(id).clone()))).collect();
    Ok(r)
}

/// The pairs a change opens and closes.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PathDiff {
    /// Reachable after, not before; witnessed in the after graph.
    pub opened: Vec<Path>,
    /// Reachable before, not after; witnessed in the before graph.
    pub closed: Vec<Path>,
}

/// Which `(source, target)` pairs (by node key) became reachable or
/// unreachable between `before` and `after`. Empty selectors mean every node.
pub fn diff(before: &Graph, after: &Graph, from: &[NodeSelector], to: &[NodeSelector]) -> Result<PathDiff> {
    let keys_in = |sels: &[NodeSelector]| -> Result<Option<BTreeSet<String>>> {
        if sels.is_empty() {
            return Ok(None);
        }
        let mut out = BTreeSet::new();
        for s in sels {
            match (before.select(s), after.select(s)) {
                (Err(e), Err(_)) => return Err(e),
                (a, b) => {
                    for (g, ids) in [(before, a), (after, b)] {
                        out.extend(ids.unwrap_or_default().into_iter().map(|i| g.node(i).key.clone()));
                    }
                }
            }
        }
        Ok(Some(out))
    };
    let sources = keys_in(from)?;
    let targets = keys_in(to)?;
    let (rb, ra) = (Reachability::new(before), Reachability::new(after));
    let opened = one_way(after, &ra, before, &rb, sources.as_ref(), targets.as_ref());
    let closed = one_way(before, &rb, after, &ra, sources.as_ref(), targets.as_ref());
    Ok(PathDiff { opened, closed })
}

/// Pairs reachable in `g` and not in `other`, with witnesses in `g`.
fn one_way(
    g: &Graph,
    rg: &Reachability,
    other: &Graph,
    ro: &Reachability,
    sources: Option<&BTreeSet<String>>,
    targets: Option<&BTreeSet<String>>,
) -> Vec<Path> {
    let in_other: Vec<Option<NodeId>> = g.nodes().iter().map(|n| other.find(&n.key)).collect();
    let is_target: Vec<bool> = g.nodes().iter().map(|n| targets.is_none_or(|t| t.contains(&n.key))).collect();
    let mut out = Vec::new();
    for s in 0..g.node_count() as NodeId {
        if sources.is_some_and(|set| !set.contains(&g.node(s).key)) {
            continue;
        }
        let mut bfs: Option<Bfs> = None;
        for t in rg.reachable_from(s) {
            if !is_target[t as usize] {
                continue;
            }
            let before = match (in_other[s as usize], in_other[t as usize]) {
                (Some(os), Some(ot)) => ro.reaches(os, ot),
                _ => false,
            };
            if !before {
                let b = bfs.get_or_insert_with(|| Bfs::run(g, s, None, None));
                if let Some(nodes) = b.path(t) {
                    out.push(g.path(&nodes));
                }
            }
        }
    }
    out.sort_by(|a, b| (&a.from, &a.to).cmp(&(&b.from, &b.to)));
    out
}
