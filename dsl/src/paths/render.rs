//! Renders path answers for machines (JSON), people (text) and Graphviz (DOT).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use serde_json::{Value, json};

use super::graph::{Node, NodeKind};
use super::query::{Path, PathDiff, Report, Violation};

fn pretty(v: &Value) -> String {
    crate::render::pretty_json(v, 4096)
}

impl Path {
    /// `{"from", "to", "hops", "connections", "path", "ports", "declared", "steps"}`.
    pub fn to_json(&self) -> Value {
        let steps: Vec<Value> = self
            .hops
            .iter()
            .map(|h| {
                json!({
                    "from": h.from,
                    "to": h.to,
                    "ports": h.ports.to_strings(),
                    "declared": h.declared,
                    "relations": h.relations,
                    "forwarded": h.forwarded,
                })
            })
            .collect();
        let ports: Vec<Vec<String>> = self.hops.iter().map(|h| h.ports.to_strings()).collect();
        json!({
            "from": self.from,
            "to": self.to,
            "hops": self.hop_count(),
            "connections": self.connections(),
            "path": self.nodes(),
            "ports": ports,
            "declared": self.declared(),
            "steps": steps,
        })
    }
}

impl Violation {
    /// The path's JSON with the boundary, its reason and where it was declared.
    pub fn to_json(&self) -> Value {
        let mut v = self.path.to_json();
        v["boundary"] = json!(self.description);
        v["reason"] = json!(self.reason);
        v["location"] = json!(self.location.to_string());
        v
    }
}

fn node_json(n: &Node) -> Value {
    json!({"kind": n.kind.as_str(), "owner": n.owner, "service": n.service, "zone": n.zone})
}

impl Report {
    /// `{"pairs": [...], "violations": [...], "choke_points": {...}, "nodes": {...}}`,
    /// pretty-printed and newline-terminated.
    pub fn to_json(&self) -> String {
        let nodes: serde_json::Map<String, Value> = self.nodes.iter().map(|(k, n)| (k.clone(), node_json(n))).collect();
        pretty(&json!({
            "pairs": self.pairs.iter().map(Path::to_json).collect::<Vec<_>>(),
            "violations": self.violations.iter().map(Violation::to_json).collect::<Vec<_>>(),
            "choke_points": self.choke_points,
            "nodes": nodes,
        }))
    }

    /// One block per pair with its witness path, then choke points and violations.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        let label = |k: &str| self.nodes.get(k).map_or_else(|| k.to_string(), Node::label);
        for p in &self.pairs {
            let _ = writeln!(
                out,
                "{} -> {}: {} hop{}, {} connection{}, {}",
                label(&p.from),
                label(&p.to),
                p.hop_count(),
                if p.hop_count() == 1 { "" } else { "s" },
                p.connections(),
                if p.connections() == 1 { "" } else { "s" },
                if p.declared() { "declared" } else { "NOT declared" }
            );
            let _ = writeln!(out, "  {p}");
        }
        if !self.choke_points.is_empty() {
            let _ = writeln!(out, "\nchoke points (every path from the sources passes through):");
            for (t, cps) in &self.choke_points {
                let cps: Vec<String> = cps.iter().map(|c| label(c)).collect();
                let _ = writeln!(
                    out,
                    "  {}: {}",
                    label(t),
                    if cps.is_empty() { "none".to_string() } else { cps.join(", ") }
                );
            }
        }
        if !self.violations.is_empty() {
            let _ = writeln!(out, "\nboundary violations:");
            for v in &self.violations {
                let _ = writeln!(
                    out,
                    "  {} -> {} crosses `{}`: {}",
                    label(&v.path.from),
                    label(&v.path.to),
                    v.description,
                    v.reason
                );
                let _ = writeln!(out, "    {}", v.path);
            }
        }
        if self.pairs.iter().chain(self.violations.iter().map(|v| &v.path)).any(|p| p.hops.iter().any(|h| h.forwarded))
        {
            let _ = writeln!(
                out,
                "\n=[..]=> is the target side of a load balancer: the same flow as the listener hop before it"
            );
        }
        let _ = writeln!(out, "{} pairs, {} violations", self.pairs.len(), self.violations.len());
        out
    }

    /// A Graphviz digraph of the witness paths: zones as clusters, load
    /// balancer hops dashed, boundary violations in red.
    pub fn to_dot(&self) -> String {
        let mut edges: BTreeMap<(&str, &str), (String, bool, bool)> = BTreeMap::new();
        let mut red_nodes: BTreeSet<&str> = BTreeSet::new();
        for (p, violation) in
            self.pairs.iter().map(|p| (p, false)).chain(self.violations.iter().map(|v| (&v.path, true)))
        {
            for h in &p.hops {
                let e = edges.entry((&h.from, &h.to)).or_insert_with(|| (h.ports.to_string(), false, h.forwarded));
                e.1 |= violation;
            }
            if violation {
                red_nodes.insert(&p.to);
            }
        }
        let mut zones: BTreeMap<Option<&str>, Vec<&Node>> = BTreeMap::new();
        for n in self.nodes.values() {
            zones.entry(n.zone.as_deref()).or_default().push(n);
        }
        let mut out = String::from(
            "digraph paths {\n  rankdir=LR;\n  node [shape=box, style=rounded, fontname=\"Helvetica\"];\n  edge [fontname=\"Helvetica\", fontsize=10];\n",
        );
        let node_line = |n: &Node| {
            let shape = match n.kind {
                NodeKind::Internet | NodeKind::Cidr | NodeKind::PrefixList => ", shape=ellipse",
                NodeKind::LoadBalancer => ", shape=box3d",
                _ => "",
            };
            let red = if red_nodes.contains(n.key.as_str()) { ", color=red, fontcolor=red, penwidth=2" } else { "" };
            format!("{} [label={}{shape}{red}];", quote(&n.key), quote(&n.label()))
        };
        for (zone, nodes) in &zones {
            match zone {
                Some(z) => {
                    let _ = writeln!(
                        out,
                        "  subgraph {} {{\n    label={};\n    style=dashed;",
                        quote(&format!("cluster_{z}")),
                        quote(&format!("zone: {z}"))
                    );
                    for n in nodes {
                        let _ = writeln!(out, "    {}", node_line(n));
                    }
                    out.push_str("  }\n");
                }
                None => {
                    for n in nodes {
                        let _ = writeln!(out, "  {}", node_line(n));
                    }
                }
            }
        }
        for ((from, to), (ports, red, forwarded)) in &edges {
            let mut attrs = format!("label={}", quote(ports));
            if *forwarded {
                attrs.push_str(", style=dashed");
            }
            if *red {
                attrs.push_str(", color=red, fontcolor=red, penwidth=2");
            }
            let _ = writeln!(out, "  {} -> {} [{attrs}];", quote(from), quote(to));
        }
        out.push_str("}\n");
        out
    }
}

fn quote(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

impl PathDiff {
    /// `{"opened": [...], "closed": [...]}`, pretty-printed and newline-terminated.
    pub fn to_json(&self) -> String {
        pretty(&json!({
            "opened": self.opened.iter().map(Path::to_json).collect::<Vec<_>>(),
            "closed": self.closed.iter().map(Path::to_json).collect::<Vec<_>>(),
        }))
    }

    /// `+ from -> to` for opened pairs and `- from -> to` for closed ones, with witnesses.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        for (sign, paths) in [("+", &self.opened), ("-", &self.closed)] {
            for p in paths {
                let n = p.hop_count();
                let _ =
                    writeln!(out, "{sign} {} -> {} ({n} hop{})\n    {p}", p.from, p.to, if n == 1 { "" } else { "s" });
            }
        }
        let _ = writeln!(out, "{} opened, {} closed", self.opened.len(), self.closed.len());
        out
    }
}

impl super::graph::Graph {
    /// Every edge as `(from node, to node, edge)`, in node order.
    fn all_edges(&self) -> Vec<(&Node, &Node, &super::graph::EdgeInfo)> {
        let mut out = Vec::with_capacity(self.edge_count());
        for (i, from) in self.nodes().iter().enumerate() {
            for (to, info) in self.edges_from(i as super::NodeId) {
                out.push((from, self.node(to), info));
            }
        }
        out.sort_by(|a, b| (&a.0.key, &a.1.key).cmp(&(&b.0.key, &b.1.key)));
        out
    }

    /// The whole graph: `{"nodes": {key: {...}}, "edges": [{"from", "to", "ports", "declared", "relations"}]}`.
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
    /// let json = appmap::paths::Graph::from_map(&map).to_json();
    /// assert!(json.contains(r#""from": "web""#) && json.contains(r#""tcp:5432""#), "{json}");
    /// ```
    pub fn to_json(&self) -> String {
        let nodes: serde_json::Map<String, Value> = {
            let mut v: Vec<&Node> = self.nodes().iter().collect();
            v.sort_by(|a, b| a.key.cmp(&b.key));
            v.into_iter().map(|n| (n.key.clone(), node_json(n))).collect()
        };
        let edges: Vec<Value> = self
            .all_edges()
            .into_iter()
            .map(|(f, t, e)| {
                json!({"from": f.key, "to": t.key, "ports": e.ports.to_strings(), "declared": e.declared, "relations": e.relations})
            })
            .collect();
        pretty(&json!({"nodes": nodes, "edges": edges}))
    }

    /// One line per edge, for people.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        let edges = self.all_edges();
        for (f, t, e) in &edges {
            let mark = if e.declared { "" } else { "  (undeclared)" };
            let _ = writeln!(out, "{} -[{}]-> {}{mark}", f.label(), e.ports, t.label());
        }
        let _ = writeln!(out, "{} nodes, {} edges", self.node_count(), edges.len());
        out
    }

    /// A Graphviz digraph of every allowed flow: zones as clusters, undeclared
    /// edges (deployed but explained by no relation) in red.
    pub fn to_dot(&self) -> String {
        let mut zones: BTreeMap<Option<&str>, Vec<&Node>> = BTreeMap::new();
        for n in self.nodes() {
            zones.entry(n.zone.as_deref()).or_default().push(n);
        }
        let mut out = String::from(
            "digraph appmap {\n  rankdir=LR;\n  node [shape=box, style=rounded, fontname=\"Helvetica\"];\n  edge [fontname=\"Helvetica\", fontsize=10];\n",
        );
        let node_line = |n: &Node| {
            let shape = match n.kind {
                NodeKind::Internet | NodeKind::Cidr | NodeKind::PrefixList => ", shape=ellipse",
                NodeKind::LoadBalancer => ", shape=box3d",
                _ => "",
            };
            format!("{} [label={}{shape}];", quote(&n.key), quote(&n.label()))
        };
        for (zone, mut nodes) in zones {
            nodes.sort_by(|a, b| a.key.cmp(&b.key));
            if let Some(z) = zone {
                let _ = writeln!(
                    out,
                    "  subgraph {} {{\n    label={};\n    style=dashed;",
                    quote(&format!("cluster_{z}")),
                    quote(&format!("zone: {z}"))
                );
                for n in nodes {
                    let _ = writeln!(out, "    {}", node_line(n));
                }
                out.push_str("  }\n");
            } else {
                for n in nodes {
                    let _ = writeln!(out, "  {}", node_line(n));
                }
            }
        }
        for (f, t, e) in self.all_edges() {
            let red = if e.declared { "" } else { ", color=red, fontcolor=red" };
            let _ =
                writeln!(out, "  {} -> {} [label={}{red}];", quote(&f.key), quote(&t.key), quote(&e.ports.to_string()));
        }
        out.push_str("}\n");
        out
    }
}
