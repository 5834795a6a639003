//! Scale benchmark for compound paths: generated AWS accounts of 2,500
//! groups / 37,500 rules and 10,000 groups / 100,000 rules, in one run.
//! For each: graph build, all-pairs reachability (SCC condensation + bitsets)
//! and the internet-to-zone report (witnesses + dominator choke points),
//! against a BFS-from-every-node baseline; peak memory from VmHWM.
//!
//! Run: `cargo bench -p appmap --bench paths`

use std::hint::black_box;
use std::time::{Duration, Instant};

use appmap::paths::{self, Graph, Query};
use appmap::snapshot::{DeployedRule, Group, Snapshot};
use appmap::{Direction, Map, PortRange, RulePeer, Service, Traffic, ValidMap};

/// splitmix64: deterministic, dependency-free.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

/// Zones in tier order, with the share of groups in each.
const ZONES: [(&str, usize); 6] = [("public", 5), ("web", 15), ("app", 40), ("data", 20), ("pci", 5), ("mgmt", 15)];
const PORTS: [u16; 8] = [443, 8080, 8443, 5432, 3306, 6379, 9200, 22];

fn tcp(p: u16) -> Traffic {
    Traffic::Tcp(PortRange::single(p))
}

/// An account: a layered estate (public -> web -> app -> data -> pci) with
/// management groups reaching into every tier, a few back edges making
/// cycles, self-references, and one `all` egress rule per group.
fn account(groups: usize, rules: usize, seed: u64, back_edges: bool) -> (Snapshot, ValidMap) {
    let mut rng = Rng(seed);
    let mut zone_of = Vec::with_capacity(groups);
    for (z, (_, share)) in ZONES.iter().enumerate() {
        let n = groups * share / 100;
        zone_of.extend(std::iter::repeat_n(z, n));
    }
    zone_of.resize(groups, 2);
    let mut by_zone: Vec<Vec<usize>> = vec![Vec::new(); ZONES.len()];
    for (g, &z) in zone_of.iter().enumerate() {
        by_zone[z].push(g);
    }
    let gid = |g: usize| format!("sg-{g:08x}");
    let mut snap = Snapshot::default();
    let mut map = Map::default();
    for g in 0..groups {
        snap.groups.insert(gid(g), Group { id: gid(g), ..Group::default() });
        let mut s = Service::new(format!("svc-{g}").parse().expect("name"));
        s.zone = Some(ZONES[zone_of[g]].0.to_string());
        s.security_group_ids = vec![gid(g)];
        map.services.push(s);
    }
    let rule = |on: usize, direction, traffic, peer| DeployedRule {
        security_group_id: gid(on),
        direction,
        traffic,
        peer,
        description: None,
        origin: String::new(),
    };
    for g in 0..groups {
        snap.rules.push(rule(g, Direction::Egress, Traffic::All, RulePeer::Cidr4("0.0.0.0/0".parse().expect("cidr"))));
    }
    let mut g = 0;
    while snap.rules.len() < rules {
        let z = zone_of[g];
        let traffic = tcp(PORTS[rng.below(PORTS.len())]);
        let peer = if z == 0 && rng.chance(30) {
            RulePeer::Cidr4("0.0.0.0/0".parse().expect("cidr"))
        } else if rng.chance(2) {
            RulePeer::Cidr4(format!("10.{}.0.0/16", rng.below(256)).parse().expect("cidr"))
        } else if rng.chance(3) {
            RulePeer::Group(gid(g)) // self-reference
        } else {
            // Mostly from the tier before, sometimes the same tier or management,
            // rarely a back edge from a later tier (making cycles). Management
            // is only reached from itself (and the VPN CIDRs above).
            let from_zone = match (z, rng.below(1000)) {
                (5, _) | (0, _) => z,
                (_, 0..=869) => z - 1,
                (_, 870..=899) => z,
                (_, 900..=997) => 5,
                (_, _) if z < 4 && back_edges => z + 1 + rng.below(4 - z),
                _ => z - 1,
            };
            let pool = &by_zone[from_zone];
            RulePeer::Group(gid(pool[rng.below(pool.len())]))
        };
        snap.rules.push(rule(g, Direction::Ingress, traffic, peer));
        g = (g + 1) % groups;
    }
    snap.rules.sort();
    snap.rules.dedup();
    (snap, ValidMap::new(map).expect("generated map is valid"))
}

fn peak_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("VmHWM:")).map(str::to_string))
        .and_then(|l| l.split_whitespace().nth(1).and_then(|k| k.parse::<f64>().ok()))
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

/// The fastest of `runs` timings of `f`.
fn best<T>(runs: usize, mut f: impl FnMut() -> T) -> (Duration, T) {
    let mut out = None;
    let mut min = Duration::MAX;
    for _ in 0..runs {
        let t = Instant::now();
        let v = black_box(f());
        min = min.min(t.elapsed());
        out = Some(v);
    }
    (min, out.expect("at least one run"))
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` runs this quickly with smaller sizes.
    let quick = std::env::args().any(|a| a == "--test") || std::env::var_os("PATHS_BENCH_QUICK").is_some();
    // (groups, rules, back edges, target ms, target MB). Without back edges the
    // tiers stay a DAG of many small components: the most bitset rows.
    let sizes: &[(usize, usize, bool, f64, f64)] = if quick {
        &[(250, 3_750, true, f64::INFINITY, f64::INFINITY)]
    } else {
        &[
            (2_500, 37_500, true, 100.0, f64::INFINITY),
            (10_000, 100_000, true, 1_500.0, 300.0),
            (10_000, 100_000, false, 1_500.0, 300.0),
        ]
    };
    println!("paths benchmark (best of runs; peak = process VmHWM so far)");
    for &(groups, rules, back, target_ms, target_mb) in sizes {
        let (snap, vm) = account(groups, rules, 0x00A9_9A9A ^ groups as u64, back);
        let (t_build, g) = best(3, || Graph::from_snapshot(&snap, Some(&vm)));
        let q = Query {
            from: vec!["internet".parse().expect("sel")],
            to: vec!["zone:pci".parse().expect("sel"), "zone:data".parse().expect("sel")],
            max_hops: None,
        };
        let (t_reach, reach) = best(5, || paths::Reachability::new(&g));
        let (t_count, pairs) = best(5, || reach.pair_count());
        let (t_report, report) = best(5, || paths::report(&g, &q, None).expect("report"));
        let engine = t_reach + t_count + t_report;
        let (t_base, base_pairs) = best(if quick { 1 } else { 2 }, || paths::baseline_pair_count(&g));
        let (t_base_report, _) = best(3, || {
            // The straightforward report: BFS from the source, no dominators.
            let src = g.select(&q.from[0]).expect("internet");
            paths::reachable_pairs(&g, &src, &g.select_all(&q.to).expect("zones"), None)
        });
        assert_eq!(pairs, base_pairs, "engine and baseline disagree");
        let peak = peak_mb();
        println!(
            "\n{groups} groups / {} rules{} -> {} nodes, {} edges, {} SCCs",
            snap.rules.len(),
            if back { "" } else { " (no back edges)" },
            g.node_count(),
            g.edge_count(),
            reach.component_count()
        );
        println!("  graph build                      {:>9.2} ms", ms(t_build));
        println!(
            "  all-pairs reachability (SCC+bits) {:>9.2} ms  ({} reachable pairs, counted in {:.2} ms)",
            ms(t_reach),
            pairs,
            ms(t_count)
        );
        println!(
            "  internet -> zone:pci,data report  {:>9.2} ms  ({} pairs, {} targets with choke points; plain BFS witnesses {:.2} ms)",
            ms(t_report),
            report.pairs.len(),
            report.choke_points.values().filter(|c| !c.is_empty()).count(),
            ms(t_base_report)
        );
        println!(
            "  engine total (reach + report)     {:>9.2} ms  target < {target_ms} ms (with graph build {:.2} ms)",
            ms(engine),
            ms(engine + t_build)
        );
        println!(
            "  baseline BFS from every node      {:>9.2} ms  -> engine is {:.1}x faster",
            ms(t_base),
            ms(t_base) / ms(t_reach + t_count)
        );
        println!("  peak memory                       {peak:>9.1} MB  target < {target_mb} MB");
    }
}
