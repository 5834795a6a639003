//! Graph algorithms over a [`Graph`]: bounded BFS with blocked nodes, SCC
//! condensation with bitset reachability, and dominators. Linear or
//! near-linear each; nothing here enumerates paths.

use super::graph::{Graph, NodeId};

const UNSEEN: u32 = u32::MAX;

/// Shortest paths from one source: BFS distances and parents.
#[derive(Debug, Clone)]
pub struct Bfs {
    source: NodeId,
    dist: Vec<u32>,
    parent: Vec<NodeId>,
}

impl Bfs {
    /// BFS from `source` over at most `max_hops` edges. Nodes in `blocked`
    /// are reached but not passed through (the source too, when blocked);
    /// nor are nodes that are not [transit](Graph::is_transit), except the source.
    pub fn run(graph: &Graph, source: NodeId, max_hops: Option<u32>, blocked: Option<&[bool]>) -> Bfs {
        let n = graph.node_count();
        let mut dist = vec![UNSEEN; n];
        let mut parent = vec![UNSEEN; n];
        let mut queue = Vec::with_capacity(64);
        dist[source as usize] = 0;
        queue.push(source);
        let mut head = 0;
        let limit = max_hops.unwrap_or(u32::MAX);
        while head < queue.len() {
            let u = queue[head];
            head += 1;
            let d = dist[u as usize];
            if d >= limit || blocked.is_some_and(|b| b[u as usize]) || (u != source && !graph.is_transit(u)) {
                continue;
            }
            for &v in graph.successors(u) {
                if dist[v as usize] == UNSEEN {
                    dist[v as usize] = d + 1;
                    parent[v as usize] = u;
                    queue.push(v);
                }
            }
        }
        Bfs { source, dist, parent }
    }

    /// Hops from the source to `target`, if reached (0 for the source itself).
    pub fn hops(&self, target: NodeId) -> Option<u32> {
        let d = self.dist[target as usize];
        (d != UNSEEN).then_some(d)
    }

    /// A shortest path from the source to `target`, both included.
    pub fn path(&self, target: NodeId) -> Option<Vec<NodeId>> {
        self.hops(target)?;
        let mut out = vec![target];
        let mut cur = target;
        while cur != self.source {
            cur = self.parent[cur as usize];
            out.push(cur);
        }
        out.reverse();
        Some(out)
    }
}

/// Strongly connected components over transit edges (none leave a node that
/// is not [transit](Graph::is_transit)), numbered so that every edge between
/// two components goes from a higher number to a lower one (Tarjan's order:
/// sinks first). Iterative, so deep graphs do not overflow the stack.
pub fn strongly_connected(graph: &Graph) -> (Vec<u32>, u32) {
    let n = graph.node_count();
    let mut index = vec![UNSEEN; n];
    let mut low = vec![0u32; n];
    let mut comp = vec![UNSEEN; n];
    let mut on_stack = vec![false; n];
    let mut stack: Vec<NodeId> = Vec::new();
    let mut call: Vec<(NodeId, usize)> = Vec::new();
    let (mut next, mut count) = (0u32, 0u32);
    for root in 0..n as NodeId {
        if index[root as usize] != UNSEEN {
            continue;
        }
        call.push((root, 0));
        index[root as usize] = next;
        low[root as usize] = next;
        next += 1;
        stack.push(root);
        on_stack[root as usize] = true;
        while let Some(&mut (u, ref mut i)) = call.last_mut() {
            let succ = graph.transit_successors(u);
            if *i < succ.len() {
                let v = succ[*i];
                *i += 1;
                if index[v as usize] == UNSEEN {
                    index[v as usize] = next;
                    low[v as usize] = next;
                    next += 1;
                    stack.push(v);
                    on_stack[v as usize] = true;
                    call.push((v, 0));
                } else if on_stack[v as usize] {
                    low[u as usize] = low[u as usize].min(index[v as usize]);
                }
                continue;
            }
            call.pop();
            if let Some(&(p, _)) = call.last() {
                low[p as usize] = low[p as usize].min(low[u as usize]);
            }
            if low[u as usize] == index[u as usize] {
                while let Some(w) = stack.pop() {
                    on_stack[w as usize] = false;
                    comp[w as usize] = count;
                    if w == u {
                        break;
                    }
                }
                count += 1;
            }
        }
    }
    (comp, count)
}

/// Which nodes reach which: one bitset row per strongly connected component,
/// filled in reverse topological order by OR-ing successor rows.
///
/// # Examples
/// ```
/// use appmap::paths::{Graph, Reachability};
/// let map = appmap::load_str("m.yaml", r#"
/// services:
///   a: { security_group_ids: [sg-a] }
///   b: { security_group_ids: [sg-b] }
///   c: { security_group_ids: [sg-c] }
/// relations:
///   - { from: a, to: b, protocol: https, reason: "x" }
///   - { from: b, to: a, protocol: https, reason: "x" }
///   - { from: b, to: c, protocol: https, reason: "x" }
/// "#).unwrap();
/// let g = Graph::from_map(&map);
/// let r = Reachability::new(&g);
/// let [a, b, c] = ["a", "b", "c"].map(|k| g.find(k).unwrap());
/// assert!(r.reaches(a, c) && r.reaches(b, a) && !r.reaches(c, a));
/// assert_eq!(r.pair_count(), 4); // a->b, a->c, b->a, b->c
/// ```
#[derive(Debug, Clone)]
pub struct Reachability {
    comp: Vec<u32>,
    members_start: Vec<u32>,
    members: Vec<NodeId>,
    words: usize,
    rows: Vec<u64>,
    /// Rows of the non-transit nodes with out-edges, as path sources.
    source_rows: std::collections::HashMap<NodeId, Vec<u64>>,
}

impl Reachability {
    /// Computes reachability for every node of `graph`.
    pub fn new(graph: &Graph) -> Reachability {
        let (comp, count) = strongly_connected(graph);
        let c = count as usize;
        let mut members_start = vec![0u32; c + 1];
        for &k in &comp {
            members_start[k as usize + 1] += 1;
        }
        for i in 0..c {
            members_start[i + 1] += members_start[i];
        }
        let mut fill = members_start.clone();
        let mut members = vec![0; comp.len()];
        for (v, &k) in comp.iter().enumerate() {
            members[fill[k as usize] as usize] = v as NodeId;
            fill[k as usize] += 1;
        }
        let words = c.div_ceil(64).max(1);
        let mut rows = vec![0u64; c * words];
        let mut last_merged = vec![UNSEEN; c];
        for k in 0..c {
            let (done, rest) = rows.split_at_mut(k * words);
            let row = &mut rest[..words];
            row[k / 64] |= 1 << (k % 64);
            for &v in &members[members_start[k] as usize..members_start[k + 1] as usize] {
                for &w in graph.transit_successors(v) {
                    let j = comp[w as usize] as usize;
                    if j == k || last_merged[j] == k as u32 {
                        continue;
                    }
                    last_merged[j] = k as u32;
                    for (a, b) in row.iter_mut().zip(&done[j * words..(j + 1) * words]) {
                        *a |= *b;
                    }
                }
            }
        }
        // A node paths may not pass through still starts paths: its own row.
        let mut source_rows = std::collections::HashMap::new();
        for v in 0..graph.node_count() as NodeId {
            if graph.is_transit(v) || graph.successors(v).is_empty() {
                continue;
            }
            let k = comp[v as usize] as usize;
            let mut row = vec![0u64; words];
            row[k / 64] |= 1 << (k % 64);
            for &w in graph.successors(v) {
                let j = comp[w as usize] as usize;
                for (a, b) in row.iter_mut().zip(&rows[j * words..(j + 1) * words]) {
                    *a |= *b;
                }
            }
            source_rows.insert(v, row);
        }
        Reachability { comp, members_start, members, words, rows, source_rows }
    }

    fn row(&self, k: u32) -> &[u64] {
        &self.rows[k as usize * self.words..(k as usize + 1) * self.words]
    }

    fn row_of(&self, node: NodeId) -> &[u64] {
        match self.source_rows.get(&node) {
            Some(r) => r,
            None => self.row(self.comp[node as usize]),
        }
    }

    /// True when some path of one or more hops leads from `from` to a
    /// different node `to`.
    pub fn reaches(&self, from: NodeId, to: NodeId) -> bool {
        if from == to {
            return false;
        }
        let k = self.comp[to as usize] as usize;
        self.row_of(from)[k / 64] & (1 << (k % 64)) != 0
    }

    /// Every node other than `from` that `from` reaches, by component.
    pub fn reachable_from(&self, from: NodeId) -> impl Iterator<Item = NodeId> + '_ {
        self.row_of(from)
            .iter()
            .enumerate()
            .flat_map(|(w, &bits)| BitIter(bits).map(move |b| w * 64 + b))
            .flat_map(move |k| {
                self.members[self.members_start[k] as usize..self.members_start[k + 1] as usize].iter().copied()
            })
            .filter(move |&v| v != from)
    }

    /// How many ordered pairs of distinct nodes are connected by a path.
    pub fn pair_count(&self) -> u64 {
        let size = |k: usize| u64::from(self.members_start[k + 1] - self.members_start[k]);
        let count = |row: &[u64]| -> u64 {
            row.iter().enumerate().flat_map(|(w, &bits)| BitIter(bits).map(move |b| w * 64 + b)).map(size).sum()
        };
        let c = self.members_start.len() - 1;
        // Non-transit nodes are singleton components; those with a source row count by it.
        let own: u64 = (0..c)
            .filter(|&k| {
                !(size(k) == 1 && self.source_rows.contains_key(&self.members[self.members_start[k] as usize]))
            })
            .map(|k| size(k) * (count(self.row(k as u32)) - 1))
            .sum();
        own + self.source_rows.values().map(|r| count(r) - 1).sum::<u64>()
    }

    /// The number of strongly connected components.
    pub fn component_count(&self) -> usize {
        self.members_start.len() - 1
    }
}

struct BitIter(u64);

impl Iterator for BitIter {
    type Item = usize;
    fn next(&mut self) -> Option<usize> {
        if self.0 == 0 {
            return None;
        }
        let b = self.0.trailing_zeros() as usize;
        self.0 &= self.0 - 1;
        Some(b)
    }
}

/// The reference the engine is measured against: a BFS from every node,
/// counting ordered pairs of distinct connected nodes. Quadratic; for
/// benchmarks and tests.
pub fn baseline_pair_count(graph: &Graph) -> u64 {
    let n = graph.node_count();
    let mut seen = vec![UNSEEN; n];
    let mut queue = Vec::with_capacity(n);
    let mut total = 0u64;
    for s in 0..n as NodeId {
        queue.clear();
        queue.push(s);
        let mut head = 0;
        seen[s as usize] = s;
        while head < queue.len() {
            let u = queue[head];
            head += 1;
            if u != s && !graph.is_transit(u) {
                continue;
            }
            for &v in graph.successors(u) {
                if seen[v as usize] != s {
                    seen[v as usize] = s;
                    queue.push(v);
                }
            }
        }
        total += queue.len() as u64 - 1;
    }
    total
}

/// Immediate dominators from a set of sources (a virtual super-source joined
/// to each), by Cooper, Harvey and Kennedy's iterative algorithm over the
/// reachable subgraph in reverse postorder.
#[derive(Debug, Clone)]
pub struct Dominators {
    root: u32,
    idom: Vec<u32>,
}

impl Dominators {
    /// Dominators of every node reachable from `sources`.
    pub fn new(graph: &Graph, sources: &[NodeId]) -> Dominators {
        let n = graph.node_count();
        let root = n as u32;
        let mut is_source = vec![false; n];
        for &s in sources {
            is_source[s as usize] = true;
        }
        // Iterative DFS for postorder numbers.
        let mut po = vec![UNSEEN; n + 1];
        let mut visited = vec![false; n + 1];
        let mut order: Vec<u32> = Vec::new();
        let mut call: Vec<(u32, usize)> = vec![(root, 0)];
        visited[root as usize] = true;
        let children = |u: u32| -> &[NodeId] {
            if u == root {
                sources
            } else if is_source[u as usize] {
                graph.successors(u)
            } else {
                graph.transit_successors(u)
            }
        };
        while let Some(&mut (u, ref mut i)) = call.last_mut() {
            let succ = children(u);
            if *i < succ.len() {
                let v = succ[*i];
                *i += 1;
                if !visited[v as usize] {
                    visited[v as usize] = true;
                    call.push((v, 0));
                }
                continue;
            }
            call.pop();
            po[u as usize] = order.len() as u32;
            order.push(u);
        }
        let mut idom = vec![UNSEEN; n + 1];
        idom[root as usize] = root;
        let intersect = |idom: &[u32], mut a: u32, mut b: u32| -> u32 {
            while a != b {
                while po[a as usize] < po[b as usize] {
                    a = idom[a as usize];
                }
                while po[b as usize] < po[a as usize] {
                    b = idom[b as usize];
                }
            }
            a
        };
        let mut changed = true;
        while changed {
            changed = false;
            for &v in order.iter().rev() {
                if v == root {
                    continue;
                }
                let root_pred = is_source[v as usize].then_some(root);
                let mut new = UNSEEN;
                for p in root_pred.into_iter().chain(graph.predecessors(v).iter().copied()) {
                    // An edge out of a node paths cannot pass through is no path.
                    if idom[p as usize] == UNSEEN || (p != root && !is_source[p as usize] && !graph.is_transit(p)) {
                        continue;
                    }
                    new = if new == UNSEEN { p } else { intersect(&idom, p, new) };
                }
                if new != UNSEEN && idom[v as usize] != new {
                    idom[v as usize] = new;
                    changed = true;
                }
            }
        }
        Dominators { root, idom }
    }

    /// True when `node` is reachable from the sources.
    pub fn is_reachable(&self, node: NodeId) -> bool {
        self.idom[node as usize] != UNSEEN
    }

    /// The nodes every path from the sources to `target` passes through,
    /// nearest the sources first; neither the virtual root nor `target` itself.
    pub fn choke_points(&self, target: NodeId) -> Vec<NodeId> {
        if !self.is_reachable(target) {
            return Vec::new();
        }
        let mut out = Vec::new();
        let mut cur = self.idom[target as usize];
        while cur != self.root {
            out.push(cur);
            cur = self.idom[cur as usize];
        }
        out.reverse();
        out
    }
}
