//! The path graph: nodes with compact integer ids, edges in CSR form.
//!
//! Two builders feed the same flow logic ([`flows`]): the declared map
//! (nodes are services and load balancers, rules come from
//! [`ValidMap::derive`]) and a deployed snapshot (nodes are security groups,
//! labelled with their service when a map is given).

use std::collections::HashMap;
use std::fmt;

use ipnet::{IpNet, Ipv4Net, Ipv6Net};

use crate::derive::{Direction, Peer, Rule};
use crate::model::Service;
use crate::protocol::Traffic;
use crate::snapshot::Snapshot;
use crate::validate::ValidMap;

use super::ports::PortSet;

/// A node's index in its [`Graph`].
pub type NodeId = u32;

/// What a node stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum NodeKind {
    /// A declared service (declared graph).
    Service,
    /// A load balancer: a load balancer node of the declared graph, or a
    /// group the map binds to a load balancer.
    LoadBalancer,
    /// A deployed security group.
    Group,
    /// `0.0.0.0/0` and `::/0`.
    Internet,
    /// Any other CIDR peer.
    Cidr,
    /// A managed prefix list peer.
    PrefixList,
}

impl NodeKind {
    /// `service`, `load_balancer`, `group`, `internet`, `cidr` or `prefix_list`.
    pub const fn as_str(&self) -> &'static str {
        match self {
            NodeKind::Service => "service",
            NodeKind::LoadBalancer => "load_balancer",
            NodeKind::Group => "group",
            NodeKind::Internet => "internet",
            NodeKind::Cidr => "cidr",
            NodeKind::PrefixList => "prefix_list",
        }
    }
}

/// One node of the path graph.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    /// Its unique key: service or load balancer name, group id, `internet`,
    /// CIDR text or prefix list id.
    pub key: String,
    /// What it is.
    pub kind: NodeKind,
    /// The service or load balancer that owns it, when the map says so.
    pub owner: Option<String>,
    /// The service it is or serves (for a load balancer, the one behind it).
    pub service: Option<String>,
    /// That service's zone.
    pub zone: Option<String>,
    /// Its address space: the CIDRs of a CIDR, internet or external service node.
    pub cidrs: Vec<IpNet>,
    /// The security group ids it stands for (a declared service's bindings).
    pub groups: Vec<String>,
}

impl Node {
    fn bare(key: impl Into<String>, kind: NodeKind) -> Self {
        Node { key: key.into(), kind, owner: None, service: None, zone: None, cidrs: Vec::new(), groups: Vec::new() }
    }

    /// The key, with the owner when it differs (`sg-0a1b (storefront)`).
    pub fn label(&self) -> String {
        match &self.owner {
            Some(o) if *o != self.key => format!("{} ({o})", self.key),
            _ => self.key.clone(),
        }
    }
}

impl fmt::Display for Node {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.label())
    }
}

/// What an edge carries.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct EdgeInfo {
    /// The ports both the ingress rule on the target and (where egress is
    /// managed) the egress rule on the source admit.
    pub ports: PortSet,
    /// True when declared relations imply the whole edge.
    pub declared: bool,
    /// Those relations (`from->to:protocol`), in declaration order.
    pub relations: Vec<String>,
}

/// Which layer a graph was built from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GraphKind {
    /// From a map's derived rules; nodes are services and load balancers.
    Declared,
    /// From a snapshot's deployed rules; nodes are security groups.
    Deployed,
}

/// A directed graph of allowed flows.
///
/// # Examples
/// ```
/// use appmap::paths::Graph;
/// let map = appmap::load_str("m.yaml", r#"
/// services:
///   web: { security_group_ids: [sg-web] }
///   db:  { security_group_ids: [sg-db] }
/// relations:
///   - { from: internet, to: web, protocol: https, reason: "Shop" }
///   - { from: web, to: db, protocol: postgres, reason: "Orders" }
/// "#).unwrap();
/// let g = Graph::from_map(&map);
/// let web = g.find("web").unwrap();
/// let db = g.find("db").unwrap();
/// assert_eq!(g.edge(web, db).unwrap().ports.to_string(), "tcp:5432");
/// assert!(g.edge(db, web).is_none());
/// ```
#[derive(Debug, Clone)]
pub struct Graph {
    kind: GraphKind,
    nodes: Vec<Node>,
    index: HashMap<String, NodeId>,
    out_start: Vec<u32>,
    out_to: Vec<NodeId>,
    info: Vec<EdgeInfo>,
    in_start: Vec<u32>,
    in_from: Vec<NodeId>,
    terminal: Vec<bool>,
}

impl Graph {
    /// False for the internet, CIDR and prefix list peers and external
    /// services: a path may start or end there but never pass through, since
    /// "the internet" is everyone, not one host that relays.
    pub fn is_transit(&self, id: NodeId) -> bool {
        !self.terminal[id as usize]
    }

    /// The successors a path passing through `id` may continue to: none for
    /// a node that is not [transit](Graph::is_transit).
    pub fn transit_successors(&self, id: NodeId) -> &[NodeId] {
        if self.terminal[id as usize] { &[] } else { self.successors(id) }
    }

    /// Which layer it was built from.
    pub fn kind(&self) -> GraphKind {
        self.kind
    }

    /// Every node, indexed by [`NodeId`].
    pub fn nodes(&self) -> &[Node] {
        &self.nodes
    }

    /// One node.
    pub fn node(&self, id: NodeId) -> &Node {
        &self.nodes[id as usize]
    }

    /// The node with `key`.
    pub fn find(&self, key: &str) -> Option<NodeId> {
        self.index.get(key).copied()
    }

    /// Number of nodes.
    pub fn node_count(&self) -> usize {
        self.nodes.len()
    }

    /// Number of edges.
    pub fn edge_count(&self) -> usize {
        self.out_to.len()
    }

    /// The nodes `id` has an edge to, sorted.
    pub fn successors(&self, id: NodeId) -> &[NodeId] {
        let (a, b) = (self.out_start[id as usize] as usize, self.out_start[id as usize + 1] as usize);
        &self.out_to[a..b]
    }

    /// The nodes with an edge to `id`, sorted.
    pub fn predecessors(&self, id: NodeId) -> &[NodeId] {
        let (a, b) = (self.in_start[id as usize] as usize, self.in_start[id as usize + 1] as usize);
        &self.in_from[a..b]
    }

    /// The edges out of `id` with what they carry.
    pub fn edges_from(&self, id: NodeId) -> impl Iterator<Item = (NodeId, &EdgeInfo)> {
        let a = self.out_start[id as usize] as usize;
        self.successors(id).iter().enumerate().map(move |(i, &to)| (to, &self.info[a + i]))
    }

    /// The edge `from -> to`, if any.
    pub fn edge(&self, from: NodeId, to: NodeId) -> Option<&EdgeInfo> {
        let a = self.out_start[from as usize] as usize;
        self.successors(from).binary_search(&to).ok().map(|i| &self.info[a + i])
    }

    /// The declared graph of a map: services, load balancers, the internet and
    /// external services, joined by the rules [`ValidMap::derive`] computes.
    pub fn from_map(vm: &ValidMap) -> Graph {
        let mut b = Builder::default();
        let internet = b.node(Node {
            cidrs: vm.internet().cidrs.clone(),
            ..Node::bare(crate::model::INTERNET, NodeKind::Internet)
        });
        b.nodes[internet as usize].service = Some(crate::model::INTERNET.to_string());
        b.nodes[internet as usize].owner = Some(crate::model::INTERNET.to_string());
        let mut managed = vec![false];
        for s in vm.services() {
            let n = Node {
                owner: Some(s.name.to_string()),
                service: Some(s.name.to_string()),
                zone: s.zone.clone(),
                cidrs: if s.is_external() { s.cidrs.clone() } else { Vec::new() },
                groups: s.security_group_ids.clone(),
                ..Node::bare(s.name.as_str(), NodeKind::Service)
            };
            let id = b.node(n);
            grow(&mut managed, id);
            managed[id as usize] = !s.is_external();
        }
        for s in vm.services() {
            if let Some(lb) = s.load_balancer_name() {
                if b.index.contains_key(&lb) {
                    continue;
                }
                let id = b.node(Node {
                    owner: Some(lb.clone()),
                    service: Some(s.name.to_string()),
                    zone: s.zone.clone(),
                    groups: s.load_balancer.as_ref().map(|l| l.security_group_ids.clone()).unwrap_or_default(),
                    ..Node::bare(lb.as_str(), NodeKind::LoadBalancer)
                });
                grow(&mut managed, id);
                managed[id as usize] = true;
            }
        }
        let cidr_owner = cidr_owners(vm);
        let order: HashMap<String, usize> = vm.relations().iter().enumerate().map(|(i, r)| (r.id(), i)).rev().collect();
        let d = vm.derive();
        let resolve_peer = |b: &Builder, rule: &Rule| -> Option<NodeId> {
            match (&rule.peer_group, &rule.peer) {
                (Some(slot), _) => b.index.get(&*slot.owner).copied(),
                (None, peer) => cidr_owner.get(&peer.value()).and_then(|o| b.index.get(o).copied()),
            }
        };
        let mut fl = Vec::with_capacity(d.rules.len());
        for r in &d.rules {
            let (Some(on), Some(peer)) = (b.index.get(&*r.group.owner).copied(), resolve_peer(&b, r)) else { continue };
            fl.push(Flow {
                on,
                direction: r.direction,
                traffic: r.traffic,
                peer,
                broad: false,
                relations: &r.relations,
            });
        }
        let manage_egress = vm.defaults().manage_egress;
        let edges = flows(&fl, |n| manage_egress && managed[n as usize], |n| managed[n as usize]);
        for ((from, to), (ports, rels)) in edges {
            let mut rels: Vec<String> = rels.into_iter().map(str::to_string).collect();
            rels.sort_by_key(|r| (order.get(r).copied().unwrap_or(usize::MAX), r.clone()));
            rels.dedup();
            b.edges.insert((from, to), EdgeInfo { ports, declared: true, relations: rels });
        }
        b.finish(GraphKind::Declared)
    }

    /// The deployed graph of a snapshot: security groups, the internet and
    /// CIDR / prefix list peers, joined by the snapshot's rules. With a map,
    /// groups are labelled with the service (or load balancer) that owns them,
    /// and an edge is `declared` when the map's derived rules imply all of it.
    ///
    /// Egress in a snapshot is authoritative: a group without egress rules
    /// opens no connections, as in AWS.
    pub fn from_snapshot(snapshot: &Snapshot, map: Option<&ValidMap>) -> Graph {
        let mut b = Builder::default();
        let labels = map.map(group_labels).unwrap_or_default();
        let cidr_owner = map.map(cidr_owners).unwrap_or_default();
        let group = |b: &mut Builder, gid: &str| -> NodeId {
            if let Some(&id) = b.index.get(gid) {
                return id;
            }
            let mut n = Node::bare(gid, NodeKind::Group);
            if let Some(l) = labels.get(gid) {
                n.owner = Some(l.owner.clone());
                n.service = Some(l.service.clone());
                n.zone = l.zone.clone();
                if l.load_balancer {
                    n.kind = NodeKind::LoadBalancer;
                }
            }
            b.node(n)
        };
        for gid in snapshot.groups.keys() {
            group(&mut b, gid);
        }
        let mut fl = Vec::with_capacity(snapshot.rules.len());
        for r in &snapshot.rules {
            let on = group(&mut b, &r.security_group_id);
            let (peer, broad) = match &r.peer {
                Peer::Group(g) => (group(&mut b, g), false),
                other => {
                    let id = b.peer_node(other, map, &cidr_owner);
                    (id, r.direction == Direction::Egress && may_hold_groups(other))
                }
            };
            fl.push(Flow { on, direction: r.direction, traffic: r.traffic, peer, broad, relations: &[] });
        }
        let is_group: Vec<bool> =
            b.nodes.iter().map(|n| matches!(n.kind, NodeKind::Group | NodeKind::LoadBalancer)).collect();
        let edges = flows(&fl, |n| is_group[n as usize], |n| is_group[n as usize]);
        let declared = map.map(declared_edges).unwrap_or_default();
        for ((from, to), (ports, _)) in edges {
            let key = (b.nodes[from as usize].key.clone(), b.nodes[to as usize].key.clone());
            let (declared, relations) = match declared.get(&key) {
                Some((p, rels)) => (p.covers(&ports), rels.clone()),
                None => (false, Vec::new()),
            };
            b.edges.insert((from, to), EdgeInfo { ports, declared, relations });
        }
        b.finish(GraphKind::Deployed)
    }
}

fn grow(v: &mut Vec<bool>, id: NodeId) {
    if v.len() <= id as usize {
        v.resize(id as usize + 1, false);
    }
}

/// An egress rule towards a CIDR may cover groups, whose addresses we do not
/// know: `/0`, and anything overlapping private address space, is taken to.
fn may_hold_groups(peer: &Peer) -> bool {
    const PRIVATE4: [(u32, u8); 4] = [(0x0A00_0000, 8), (0xAC10_0000, 12), (0xC0A8_0000, 16), (0x6440_0000, 10)];
    match peer {
        Peer::Cidr4(n) => {
            n.prefix_len() == 0
                || PRIVATE4.iter().any(|&(a, l)| {
                    let p = Ipv4Net::new(a.into(), l).unwrap_or_default();
                    p.contains(n) || n.contains(&p)
                })
        }
        Peer::Cidr6(n) => {
            let ula = Ipv6Net::new(std::net::Ipv6Addr::new(0xfc00, 0, 0, 0, 0, 0, 0, 0), 7).unwrap_or_default();
            n.prefix_len() == 0 || ula.contains(n) || n.contains(&ula)
        }
        Peer::Group(_) | Peer::PrefixList(_) => false,
    }
}

/// CIDR text and prefix list ids of the map's externals and the internet, to their service.
fn cidr_owners(vm: &ValidMap) -> HashMap<String, String> {
    let mut out = HashMap::new();
    let internet = vm.internet();
    for s in std::iter::once(internet).chain(vm.services()) {
        for c in &s.cidrs {
            out.entry(Peer::from(*c).value()).or_insert_with(|| s.name.to_string());
        }
        for p in &s.prefix_list_ids {
            out.entry(p.clone()).or_insert_with(|| s.name.to_string());
        }
    }
    out
}

struct GroupLabel {
    owner: String,
    service: String,
    zone: Option<String>,
    load_balancer: bool,
}

/// Group ids to the service or load balancer the map binds them to.
fn group_labels(vm: &ValidMap) -> HashMap<String, GroupLabel> {
    let mut out = HashMap::new();
    let services: Vec<&Service> = vm.services().collect();
    for s in &services {
        for g in &s.security_group_ids {
            out.entry(g.clone()).or_insert_with(|| GroupLabel {
                owner: s.name.to_string(),
                service: s.name.to_string(),
                zone: s.zone.clone(),
                load_balancer: false,
            });
        }
    }
    for s in &services {
        if let (Some(lb), Some(name)) = (&s.load_balancer, s.load_balancer_name()) {
            for g in &lb.security_group_ids {
                out.entry(g.clone()).or_insert_with(|| GroupLabel {
                    owner: name.clone(),
                    service: s.name.to_string(),
                    zone: s.zone.clone(),
                    load_balancer: true,
                });
            }
        }
    }
    out
}

/// The map's derived flows keyed the way a snapshot graph keys its nodes
/// (group ids, CIDR text, `internet`), to mark deployed edges declared.
fn declared_edges(vm: &ValidMap) -> HashMap<(String, String), (PortSet, Vec<String>)> {
    let d = vm.derive();
    let mut b = Builder::default();
    let mut fl = Vec::with_capacity(d.rules.len());
    for r in &d.rules {
        let on = b.node(Node::bare(r.security_group_id.as_str(), NodeKind::Group));
        let peer = match &r.peer {
            Peer::Group(g) => b.node(Node::bare(g.as_str(), NodeKind::Group)),
            other => b.peer_node(other, None, &HashMap::new()),
        };
        fl.push(Flow { on, direction: r.direction, traffic: r.traffic, peer, broad: false, relations: &r.relations });
    }
    let is_group: Vec<bool> = b.nodes.iter().map(|n| n.kind == NodeKind::Group).collect();
    let manage_egress = vm.defaults().manage_egress;
    let order: HashMap<String, usize> = vm.relations().iter().enumerate().map(|(i, r)| (r.id(), i)).rev().collect();
    flows(&fl, |n| manage_egress && is_group[n as usize], |n| is_group[n as usize])
        .into_iter()
        .map(|((f, t), (ports, rels))| {
            let mut rels: Vec<String> = rels.into_iter().map(str::to_string).collect();
            rels.sort_by_key(|r| (order.get(r).copied().unwrap_or(usize::MAX), r.clone()));
            rels.dedup();
            ((b.nodes[f as usize].key.clone(), b.nodes[t as usize].key.clone()), (ports, rels))
        })
        .collect()
}

/// One rule, with its group and peer already resolved to nodes.
struct Flow<'a> {
    on: NodeId,
    direction: Direction,
    traffic: Traffic,
    peer: NodeId,
    /// An egress rule whose CIDR may cover any group.
    broad: bool,
    relations: &'a [String],
}

type FlowEdges<'a> = HashMap<(NodeId, NodeId), (PortSet, Vec<&'a str>)>;
/// Rules of one direction per (source, target) node pair, with their relations.
type RuleTable<'a> = HashMap<(NodeId, NodeId), (Vec<Traffic>, Vec<&'a str>)>;

/// The edges rules allow. `X -> Y` exists when an ingress rule on `Y` admits
/// `X` and, when `X`'s egress is enforced, an egress rule on `X` admits `Y` on
/// the same ports; towards a node without ingress control (internet, CIDR,
/// external) the egress rule alone decides.
fn flows<'a>(
    rules: &[Flow<'a>],
    enforce_egress: impl Fn(NodeId) -> bool,
    has_ingress: impl Fn(NodeId) -> bool,
) -> FlowEdges<'a> {
    let mut ingress: RuleTable<'a> = HashMap::new();
    let mut egress: RuleTable<'a> = HashMap::new();
    let mut broad: HashMap<NodeId, Vec<Traffic>> = HashMap::new();
    for f in rules {
        let (key, table) = match f.direction {
            Direction::Ingress => ((f.peer, f.on), &mut ingress),
            Direction::Egress => ((f.on, f.peer), &mut egress),
        };
        let e = table.entry(key).or_default();
        e.0.push(f.traffic);
        e.1.extend(f.relations.iter().map(String::as_str));
        if f.broad {
            broad.entry(f.on).or_default().push(f.traffic);
        }
    }
    let mut out: FlowEdges<'a> = HashMap::with_capacity(ingress.len());
    for ((from, to), (traffic, mut rels)) in ingress {
        if !has_ingress(to) {
            continue;
        }
        let mut ports = PortSet::new(traffic);
        if enforce_egress(from) {
            let mut allowed: Vec<Traffic> = broad.get(&from).cloned().unwrap_or_default();
            if let Some((t, r)) = egress.get(&(from, to)) {
                allowed.extend(t);
                rels.extend(r);
            }
            ports = ports.intersect(&PortSet::new(allowed));
        }
        if !ports.is_empty() {
            out.insert((from, to), (ports, rels));
        }
    }
    for ((from, to), (traffic, rels)) in egress {
        if !has_ingress(to) {
            let ports = PortSet::new(traffic);
            if !ports.is_empty() {
                out.insert((from, to), (ports, rels));
            }
        }
    }
    out
}

#[derive(Default)]
struct Builder {
    nodes: Vec<Node>,
    index: HashMap<String, NodeId>,
    edges: HashMap<(NodeId, NodeId), EdgeInfo>,
}

impl Builder {
    fn node(&mut self, n: Node) -> NodeId {
        if let Some(&id) = self.index.get(&n.key) {
            return id;
        }
        let id = self.nodes.len() as NodeId;
        self.index.insert(n.key.clone(), id);
        self.nodes.push(n);
        id
    }

    /// The node of a CIDR or prefix list peer: `/0` is the internet.
    fn peer_node(&mut self, peer: &Peer, map: Option<&ValidMap>, owners: &HashMap<String, String>) -> NodeId {
        let (key, kind, cidr) = match peer {
            Peer::Cidr4(n) if n.prefix_len() == 0 => (crate::model::INTERNET.to_string(), NodeKind::Internet, None),
            Peer::Cidr6(n) if n.prefix_len() == 0 => (crate::model::INTERNET.to_string(), NodeKind::Internet, None),
            Peer::Cidr4(n) => (n.to_string(), NodeKind::Cidr, Some(IpNet::V4(*n))),
            Peer::Cidr6(n) => (n.to_string(), NodeKind::Cidr, Some(IpNet::V6(*n))),
            Peer::PrefixList(p) => (p.clone(), NodeKind::PrefixList, None),
            Peer::Group(g) => (g.clone(), NodeKind::Group, None),
        };
        if let Some(&id) = self.index.get(&key) {
            return id;
        }
        let mut n = Node { cidrs: cidr.into_iter().collect(), ..Node::bare(key.as_str(), kind) };
        if kind == NodeKind::Internet {
            n.cidrs = vec![IpNet::V4(Ipv4Net::default()), IpNet::V6(Ipv6Net::default())];
            n.owner = Some(key.clone());
            n.service = Some(key.clone());
        } else if let Some(owner) = owners.get(&key) {
            n.owner = Some(owner.clone());
            n.service = Some(owner.clone());
            n.zone = map.and_then(|vm| owner.parse().ok().and_then(|o| vm.service(&o)).and_then(|s| s.zone.clone()));
        }
        self.node(n)
    }

    fn finish(self, kind: GraphKind) -> Graph {
        let n = self.nodes.len();
        let mut edges: Vec<((NodeId, NodeId), EdgeInfo)> = self.edges.into_iter().collect();
        edges.sort_unstable_by_key(|(k, _)| *k);
        let mut out_start = vec![0u32; n + 1];
        let mut in_start = vec![0u32; n + 1];
        for ((f, t), _) in &edges {
            out_start[*f as usize + 1] += 1;
            in_start[*t as usize + 1] += 1;
        }
        for i in 0..n {
            out_start[i + 1] += out_start[i];
            in_start[i + 1] += in_start[i];
        }
        let mut in_from = vec![0; edges.len()];
        let mut fill = in_start.clone();
        let mut out_to = Vec::with_capacity(edges.len());
        let mut info = Vec::with_capacity(edges.len());
        // Edges are sorted by source, so sources land in each in-list in order.
        for ((f, t), e) in edges {
            out_to.push(t);
            info.push(e);
            in_from[fill[t as usize] as usize] = f;
            fill[t as usize] += 1;
        }
        let terminal = self
            .nodes
            .iter()
            .map(|n| match n.kind {
                NodeKind::Internet | NodeKind::Cidr | NodeKind::PrefixList => true,
                NodeKind::Service => !n.cidrs.is_empty(),
                NodeKind::Group | NodeKind::LoadBalancer => false,
            })
            .collect();
        Graph { kind, nodes: self.nodes, index: self.index, out_start, out_to, info, in_start, in_from, terminal }
    }
}
