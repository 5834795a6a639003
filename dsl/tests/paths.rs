//! Compound paths: hand-built graphs with known answers, golden outputs for
//! the shop example, a Graphviz rendering check, and a property test against
//! a brute-force reference.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use appmap::paths::{self, Graph, NodeSelector, Query};
use appmap::snapshot::{DeployedRule, Snapshot};
use appmap::{Direction, PortRange, RulePeer, Traffic, ValidMap};

// ---------- building snapshots by hand ----------

fn peer(p: &str) -> RulePeer {
    if p.starts_with("sg-") {
        RulePeer::Group(p.to_string())
    } else if p.contains(':') {
        RulePeer::Cidr6(p.parse().expect("cidr6"))
    } else {
        RulePeer::Cidr4(p.parse().expect("cidr4"))
    }
}

fn traffic(t: &str) -> Traffic {
    match t {
        "all" => Traffic::All,
        "icmp" => Traffic::Icmp { ty: None, code: None },
        t => {
            let (proto, ports) = t.split_once(':').expect("proto:ports");
            let r: PortRange = ports.parse().expect("ports");
            if proto == "udp" { Traffic::Udp(r) } else { Traffic::Tcp(r) }
        }
    }
}

/// Rules written `sg-b <- sg-a tcp:443` (ingress on sg-b from sg-a) or
/// `sg-a -> 0.0.0.0/0 all` (egress on sg-a).
fn snapshot(rules: &[&str]) -> Snapshot {
    let mut s = Snapshot::default();
    for line in rules {
        let parts: Vec<&str> = line.split_whitespace().collect();
        let [on, arrow, other, t] = parts[..] else { panic!("bad rule {line}") };
        let direction = if arrow == "<-" { Direction::Ingress } else { Direction::Egress };
        s.groups
            .entry(on.to_string())
            .or_insert_with(|| appmap::snapshot::Group { id: on.to_string(), ..Default::default() });
        s.rules.push(DeployedRule {
            security_group_id: on.to_string(),
            direction,
            traffic: traffic(t),
            peer: peer(other),
            description: None,
            origin: line.to_string(),
        });
    }
    s.rules.sort();
    s
}

/// Every group may send anything anywhere, as AWS's default egress rule says.
fn open_egress(groups: &[&str]) -> Vec<String> {
    groups.iter().map(|g| format!("{g} -> 0.0.0.0/0 all")).collect()
}

fn sels(s: &str) -> Vec<NodeSelector> {
    s.split(',').map(|x| x.parse().expect("selector")).collect()
}

/// The pairs and choke points of a query, one line each.
fn answer(g: &Graph, from: &str, to: &str, max_hops: Option<u32>) -> String {
    let q = Query { from: sels(from), to: sels(to), max_hops };
    let r = paths::report(g, &q, None).expect("query");
    let mut out: Vec<String> = r.pairs.iter().map(|p| format!("{} ({})", p, p.hop_count())).collect();
    for (t, cps) in &r.choke_points {
        out.push(format!("choke {t}: {}", if cps.is_empty() { "-".to_string() } else { cps.join(",") }));
    }
    out.join("\n")
}

fn check(rules: &[&str], from: &str, to: &str, expect: &str) {
    let g = Graph::from_snapshot(&snapshot(rules), None);
    let got = answer(&g, from, to, None);
    assert_eq!(got, expect.trim(), "\nrules: {rules:#?}");
}

fn with_open_egress<'a>(rules: &[&'a str], groups: &[&str], buf: &'a mut Vec<String>) -> Vec<&'a str> {
    *buf = open_egress(groups);
    rules.iter().copied().chain(buf.iter().map(String::as_str)).collect()
}

// ---------- hand-built graphs ----------

#[test]
fn cycle_reaches_both_ways_and_beyond() {
    let mut buf = Vec::new();
    let rules = with_open_egress(
        &["sg-b <- sg-a tcp:443", "sg-a <- sg-b tcp:443", "sg-c <- sg-b tcp:5432"],
        &["sg-a", "sg-b"],
        &mut buf,
    );
    check(
        &rules,
        "sg-a",
        "sg-b,sg-c",
        "sg-a -[tcp:443]-> sg-b (1)\nsg-a -[tcp:443]-> sg-b -[tcp:5432]-> sg-c (2)\nchoke sg-b: -\nchoke sg-c: sg-b",
    );
    let g = Graph::from_snapshot(&snapshot(&rules), None);
    let r = paths::Reachability::new(&g);
    let [a, b, c] = ["sg-a", "sg-b", "sg-c"].map(|k| g.find(k).expect("node"));
    assert!(r.reaches(a, b) && r.reaches(b, a) && r.reaches(a, c) && !r.reaches(c, a));
    assert_eq!(r.pair_count(), paths::baseline_pair_count(&g));
}

#[test]
fn diamond_has_no_choke_point_until_it_narrows() {
    let mut buf = Vec::new();
    let groups = ["sg-s", "sg-a", "sg-b", "sg-m"];
    let rules = with_open_egress(
        &[
            "sg-a <- sg-s tcp:443",
            "sg-b <- sg-s tcp:443",
            "sg-m <- sg-a tcp:443",
            "sg-m <- sg-b tcp:443",
            "sg-t <- sg-m tcp:443",
        ],
        &groups,
        &mut buf,
    );
    check(
        &rules,
        "sg-s",
        "sg-m,sg-t",
        "sg-s -[tcp:443]-> sg-a -[tcp:443]-> sg-m (2)\nsg-s -[tcp:443]-> sg-a -[tcp:443]-> sg-m -[tcp:443]-> sg-t (3)\nchoke sg-m: -\nchoke sg-t: sg-m",
    );
}

#[test]
fn self_referencing_group_is_an_edge_but_not_a_pair() {
    let mut buf = Vec::new();
    let rules = with_open_egress(&["sg-a <- sg-a all", "sg-b <- sg-a tcp:22"], &["sg-a"], &mut buf);
    let g = Graph::from_snapshot(&snapshot(&rules), None);
    let a = g.find("sg-a").expect("a");
    assert_eq!(g.edge(a, a).expect("self edge").ports.to_string(), "all");
    assert_eq!(answer(&g, "sg-a", "sg-a,sg-b", None), "sg-a -[tcp:22]-> sg-b (1)\nchoke sg-b: -");
}

#[test]
fn icmp_only_rule_is_an_icmp_edge_and_needs_matching_egress() {
    check(&["sg-b <- sg-a icmp", "sg-a -> sg-b all"], "sg-a", "sg-b", "sg-a -[icmp]-> sg-b (1)\nchoke sg-b: -");
    // Egress admits only TCP: the ICMP ingress rule opens nothing.
    let g = Graph::from_snapshot(&snapshot(&["sg-b <- sg-a icmp", "sg-a -> sg-b tcp:443"]), None);
    assert_eq!(g.edge_count(), 0);
}

#[test]
fn one_port_rule_keeps_only_the_common_port() {
    check(
        &["sg-b <- sg-a tcp:443", "sg-a -> sg-b tcp:1-1024"],
        "sg-a",
        "sg-b",
        "sg-a -[tcp:443]-> sg-b (1)\nchoke sg-b: -",
    );
    let g = Graph::from_snapshot(&snapshot(&["sg-b <- sg-a tcp:443", "sg-a -> sg-b tcp:80"]), None);
    assert_eq!(g.edge_count(), 0, "egress on 80 and ingress on 443 share no port");
}

#[test]
fn hops_keep_their_own_ports() {
    let mut buf = Vec::new();
    let rules = with_open_egress(&["sg-b <- sg-a tcp:443", "sg-c <- sg-b tcp:5432"], &["sg-a", "sg-b"], &mut buf);
    check(&rules, "sg-a", "sg-c", "sg-a -[tcp:443]-> sg-b -[tcp:5432]-> sg-c (2)\nchoke sg-c: sg-b");
}

#[test]
fn a_group_without_egress_rules_opens_nothing() {
    check(&["sg-b <- sg-a tcp:443"], "sg-b", "sg-b", "");
    let g = Graph::from_snapshot(&snapshot(&["sg-b <- sg-a tcp:443"]), None);
    assert_eq!(g.edge_count(), 0);
}

#[test]
fn internet_and_cidr_peers() {
    let mut buf = Vec::new();
    let rules = with_open_egress(
        &[
            "sg-web <- 0.0.0.0/0 tcp:443",
            "sg-web <- ::/0 tcp:443",
            "sg-admin <- 10.0.0.0/8 tcp:22",
            "sg-db <- sg-web tcp:5432",
            "sg-db <- sg-admin tcp:5432",
        ],
        &["sg-web", "sg-admin"],
        &mut buf,
    );
    let g = Graph::from_snapshot(&snapshot(&rules), None);
    assert_eq!(
        answer(&g, "internet", "sg-db", None),
        "internet -[tcp:443]-> sg-web -[tcp:5432]-> sg-db (2)\nchoke sg-db: sg-web"
    );
    // An address inside 10.0.0.0/8 is admitted by the CIDR rule and by the internet rule.
    assert_eq!(
        answer(&g, "10.1.2.3", "sg-db", None),
        "10.0.0.0/8 -[tcp:22]-> sg-admin -[tcp:5432]-> sg-db (2)\ninternet -[tcp:443]-> sg-web -[tcp:5432]-> sg-db (2)\nchoke sg-db: -"
    );
    // Egress to the internet is an edge towards it.
    assert!(answer(&g, "sg-web", "internet", None).starts_with("sg-web -[all]-> internet (1)"));
    let err = g.select(&"zone:pci".parse().expect("sel")).unwrap_err().to_string();
    assert!(err.contains("pass --map"), "{err}");
}

#[test]
fn the_internet_is_an_endpoint_never_a_relay() {
    // sg-a may send anything to the internet and the internet may reach sg-b,
    // but "the internet" is everyone, not a host that relays sg-a's traffic.
    let rules = [
        "sg-a -> 0.0.0.0/0 all",
        "sg-b <- 0.0.0.0/0 tcp:443",
        "sg-c <- 10.0.0.0/8 tcp:22",
        "sg-a -> 10.0.0.0/8 tcp:22",
    ];
    let g = Graph::from_snapshot(&snapshot(&rules), None);
    assert_eq!(answer(&g, "sg-a", "sg-b,sg-c", None), "");
    assert_eq!(answer(&g, "internet", "sg-b", None), "internet -[tcp:443]-> sg-b (1)\nchoke sg-b: -");
    let r = paths::Reachability::new(&g);
    let [a, b, i] = ["sg-a", "sg-b", "internet"].map(|k| g.find(k).expect("node"));
    assert!(r.reaches(a, i) && r.reaches(i, b) && !r.reaches(a, b));
    assert_eq!(r.pair_count(), paths::baseline_pair_count(&g));
    assert_eq!(r.pair_count(), 4, "a->internet, a->10/8, internet->b, 10/8->c");
}

#[test]
fn max_hops_cuts_long_paths() {
    let mut buf = Vec::new();
    let rules = with_open_egress(
        &["sg-b <- sg-a all", "sg-c <- sg-b all", "sg-d <- sg-c all"],
        &["sg-a", "sg-b", "sg-c"],
        &mut buf,
    );
    let g = Graph::from_snapshot(&snapshot(&rules), None);
    assert_eq!(answer(&g, "sg-a", "sg-b,sg-c,sg-d", Some(2)).lines().filter(|l| !l.starts_with("choke")).count(), 2);
}

const PCI_MAP: &str = r#"
services:
  web:   { security_group_ids: [sg-web], zone: public }
  pay:   { security_group_ids: [sg-pay], zone: payments }
  vault: { security_group_ids: [sg-vault], zone: pci }
relations:
  - { from: internet, to: web, protocol: https, reason: "Shop" }
  - { from: web, to: pay, protocol: https, reason: "Charge" }
  - { from: pay, to: vault, protocol: postgres, reason: "Tokens" }
boundaries:
  - { from: internet, never_reaches: [zone:pci], except_through: [pay], reason: "PCI DSS: card data only through payments" }
"#;

fn pci_map() -> ValidMap {
    appmap::load_str("pci.yaml", PCI_MAP).expect("valid map")
}

#[test]
fn internet_to_pci_through_the_allowed_choke_point_is_fine() {
    let vm = pci_map();
    let deployed = snapshot(&[
        "sg-web <- 0.0.0.0/0 tcp:443",
        "sg-web -> sg-pay tcp:443",
        "sg-pay <- sg-web tcp:443",
        "sg-pay -> sg-vault tcp:5432",
        "sg-vault <- sg-pay tcp:5432",
    ]);
    let g = Graph::from_snapshot(&deployed, Some(&vm));
    let q = Query { from: sels("internet"), to: sels("zone:pci"), max_hops: None };
    let r = paths::report(&g, &q, Some(&vm)).expect("report");
    assert!(r.violations.is_empty(), "{:?}", r.violations);
    assert_eq!(r.pairs.len(), 1);
    assert!(r.pairs[0].declared(), "every hop is implied by a relation");
    assert_eq!(r.choke_points["sg-vault"], ["sg-web", "sg-pay"]);
    assert_eq!(r.nodes["sg-pay"].service.as_deref(), Some("pay"));
}

#[test]
fn internet_to_pci_around_the_choke_point_is_a_violation() {
    let vm = pci_map();
    let deployed = snapshot(&[
        "sg-web <- 0.0.0.0/0 tcp:443",
        "sg-web -> 0.0.0.0/0 all",
        "sg-pay <- sg-web tcp:443",
        "sg-pay -> sg-vault tcp:5432",
        "sg-vault <- sg-pay tcp:5432",
        "sg-vault <- sg-web tcp:5432",
    ]);
    let g = Graph::from_snapshot(&deployed, Some(&vm));
    let r = paths::report(&g, &Query::default(), Some(&vm)).expect("report");
    assert_eq!(r.violations.len(), 1, "{:?}", r.violations);
    let v = &r.violations[0];
    assert_eq!(v.path.to_string(), "internet -[tcp:443]-> sg-web -[tcp:5432]-> sg-vault");
    assert_eq!(v.reason, "PCI DSS: card data only through payments");
    assert!(v.description.contains("except through pay"));
    assert!(v.path.hops[0].declared && !v.path.hops[1].declared, "the shortcut is not declared");
    // No single choke point any more: web -> vault bypasses pay.
    let q = Query { from: sels("internet"), to: sels("zone:pci"), max_hops: None };
    let r = paths::report(&g, &q, Some(&vm)).expect("report");
    assert_eq!(r.choke_points["sg-vault"], ["sg-web"]);
}

#[test]
fn declared_map_crossing_a_boundary_is_refused_by_validate_and_reported_by_check_map() {
    let text = format!("{PCI_MAP}\n");
    let text = text.replace(
        "  - { from: pay, to: vault, protocol: postgres, reason: \"Tokens\" }",
        "  - { from: pay, to: vault, protocol: postgres, reason: \"Tokens\" }\n  - { from: web, to: vault, protocol: postgres, reason: \"Reports\" }",
    );
    let err = appmap::load_str("pci.yaml", &text).unwrap_err().to_string();
    assert!(
        err.contains("declared relations cross boundary `internet never_reaches zone:pci except through pay`: PCI DSS: card data only through payments; path: internet->web:https then web->vault:postgres"),
        "{err}"
    );
    let (map, _) = appmap::parse_str("pci.yaml", &text);
    let v = paths::check_map(map).expect("otherwise valid");
    assert_eq!(v.len(), 1);
    assert_eq!(v[0].path.nodes(), ["internet", "web", "vault"]);
    assert_eq!(v[0].path.hops[1].relations, ["web->vault:postgres"]);
}

#[test]
fn load_balancer_hops_are_one_flow() {
    let vm = shop();
    let g = Graph::from_map(&vm);
    let q = Query { from: sels("internet"), to: sels("storefront"), max_hops: None };
    let r = paths::report(&g, &q, Some(&vm)).expect("report");
    let p = &r.pairs[0];
    assert_eq!(p.to_string(), "internet -[tcp:80, tcp:443]-> shop-lb =[tcp:8080-8081]=> storefront");
    assert_eq!((p.hop_count(), p.connections()), (2, 1));
    assert!(!p.hops[0].forwarded && p.hops[1].forwarded);
    assert_eq!(r.nodes["shop-lb"].kind, paths::NodeKind::LoadBalancer);
}

#[test]
fn diff_reports_opened_and_closed_pairs() {
    let before =
        snapshot(&["sg-a -> 0.0.0.0/0 all", "sg-b -> 0.0.0.0/0 all", "sg-b <- sg-a tcp:443", "sg-c <- sg-b tcp:5432"]);
    let after =
        snapshot(&["sg-a -> 0.0.0.0/0 all", "sg-b -> 0.0.0.0/0 all", "sg-b <- sg-a tcp:443", "sg-d <- sg-b tcp:5432"]);
    let (gb, ga) = (Graph::from_snapshot(&before, None), Graph::from_snapshot(&after, None));
    let d = paths::diff(&gb, &ga, &[], &[]).expect("diff");
    let opened: Vec<String> = d.opened.iter().map(ToString::to_string).collect();
    let closed: Vec<String> = d.closed.iter().map(ToString::to_string).collect();
    assert_eq!(opened, ["sg-a -[tcp:443]-> sg-b -[tcp:5432]-> sg-d", "sg-b -[tcp:5432]-> sg-d"]);
    assert_eq!(closed, ["sg-a -[tcp:443]-> sg-b -[tcp:5432]-> sg-c", "sg-b -[tcp:5432]-> sg-c"]);
    let only_a = paths::diff(&gb, &ga, &sels("sg-a"), &sels("sg-d")).expect("diff");
    assert_eq!((only_a.opened.len(), only_a.closed.len()), (1, 0));
}

#[test]
fn bad_selectors_say_what_to_write() {
    let g = Graph::from_map(&shop());
    let e = g.select(&"zone:pcx".parse().expect("sel")).unwrap_err().to_string();
    assert!(e.contains("did you mean `zone:pci`"), "{e}");
    let e = g.select(&"card-vault-bd".parse().expect("sel")).unwrap_err().to_string();
    assert!(e.contains("did you mean `card-vault-db`"), "{e}");
    assert!("zone:".parse::<NodeSelector>().is_err());
    assert_eq!(
        g.select(&"sg-0a10000000000e002".parse().expect("sel")).expect("group"),
        vec![g.find("card-vault-db").expect("n")]
    );
}

// ---------- golden outputs for the shop example ----------

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn shop() -> ValidMap {
    appmap::load_file(repo().join("examples/shop/appmap.yaml")).expect("shop map is valid")
}

/// Compares `actual` with the file at `expected`, writing it when missing
/// (or when `UPDATE_GOLDEN` is set).
fn golden(expected: &Path, actual: &str) {
    let update = std::env::var_os("UPDATE_GOLDEN").is_some();
    match std::fs::read_to_string(expected) {
        Ok(want) if !update => {
            assert!(
                want == actual,
                "{} differs from the output:\n--- expected\n{want}\n--- actual\n{actual}",
                expected.display()
            )
        }
        _ => std::fs::write(expected, actual).expect("write golden file"),
    }
}

#[test]
fn golden_shop_paths() {
    let vm = shop();
    let g = Graph::from_map(&vm);
    let dir = repo().join("tests/fixtures/paths");
    for (name, from, to) in [
        ("shop-internet-to-pci", "internet", "zone:pci"),
        ("shop-internet-to-data", "internet", "zone:data"),
        ("shop-public-to-external", "zone:public", "payment-provider"),
    ] {
        let q = Query { from: sels(from), to: sels(to), max_hops: None };
        let r = paths::report(&g, &q, Some(&vm)).expect("report");
        golden(&dir.join(format!("{name}.json")), &r.to_json());
        golden(&dir.join(format!("{name}.txt")), &r.to_text());
    }
}

// ---------- Graphviz ----------

#[test]
fn dot_output_renders_with_graphviz() {
    let vm = pci_map();
    let deployed = snapshot(&[
        "sg-web <- 0.0.0.0/0 tcp:443",
        "sg-web -> 0.0.0.0/0 all",
        "sg-pay <- sg-web tcp:443",
        "sg-pay -> sg-vault tcp:5432",
        "sg-vault <- sg-pay tcp:5432",
        "sg-vault <- sg-web tcp:5432",
    ]);
    let g = Graph::from_snapshot(&deployed, Some(&vm));
    let q = Query { from: sels("internet"), to: sels("zone:pci,zone:payments"), max_hops: None };
    let dot = paths::report(&g, &q, Some(&vm)).expect("report").to_dot();
    assert!(dot.contains("subgraph \"cluster_pci\""), "{dot}");
    assert!(dot.contains("\"sg-web\" -> \"sg-vault\" [label=\"tcp:5432\", color=red"), "{dot}");
    let shop_dot = {
        let vm = shop();
        let q = Query { from: sels("internet"), to: sels("zone:pci,zone:data"), max_hops: None };
        paths::report(&Graph::from_map(&vm), &q, Some(&vm)).expect("report").to_dot()
    };
    for (name, text) in [("pci", dot), ("shop", shop_dot)] {
        let svg = render_dot(&text);
        assert!(svg.contains("<svg"), "{name}: dot did not produce SVG");
    }
}

fn render_dot(text: &str) -> String {
    use std::io::Write as _;
    let child = std::process::Command::new("dot")
        .arg("-Tsvg")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn();
    let mut child = match child {
        Ok(c) => c,
        Err(e) => panic!(
            "Graphviz `dot` is required for this test and could not be run ({e}).\n\
             Install it with: scripts/setup-graphviz.sh\n\
             (command -v dot || (apt-get update && apt-get install -y graphviz))"
        ),
    };
    child.stdin.take().expect("stdin").write_all(text.as_bytes()).expect("write dot");
    let out = child.wait_with_output().expect("dot output");
    assert!(out.status.success(), "dot rejected the graph:\n{}\n{text}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).expect("utf-8 svg")
}

// ---------- property test against brute force ----------

mod brute {
    use super::*;
    use proptest::prelude::*;

    /// Shortest distances by BFS over an adjacency matrix, skipping `removed`.
    fn dist(adj: &[Vec<bool>], from: usize, removed: Option<usize>) -> Vec<Option<usize>> {
        let n = adj.len();
        let mut d = vec![None; n];
        if Some(from) == removed {
            return d;
        }
        d[from] = Some(0);
        let mut q = std::collections::VecDeque::from([from]);
        while let Some(u) = q.pop_front() {
            for v in 0..n {
                if adj[u][v] && d[v].is_none() && Some(v) != removed {
                    d[v] = Some(d[u].unwrap_or(0) + 1);
                    q.push_back(v);
                }
            }
        }
        d
    }

    fn graph_of(n: usize, edges: &[(usize, usize)]) -> (Graph, Vec<Vec<bool>>) {
        let mut adj = vec![vec![false; n]; n];
        // Groups by reference only, so no internet or CIDR node joins the graph.
        let mut rules: Vec<String> = (0..n).map(|i| format!("sg-{i} <- sg-{i} udp:53")).collect();
        for &(a, b) in edges {
            adj[a][b] = true;
            rules.push(format!("sg-{b} <- sg-{a} tcp:443"));
            rules.push(format!("sg-{a} -> sg-{b} tcp:1-1024"));
        }
        let refs: Vec<&str> = rules.iter().map(String::as_str).collect();
        (Graph::from_snapshot(&snapshot(&refs), None), adj)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]
        #[test]
        fn engine_matches_brute_force(
            n in 2usize..9,
            raw in proptest::collection::vec((0usize..9, 0usize..9), 0..24),
            src_mask in 1u32..512,
        ) {
            let edges: Vec<(usize, usize)> = raw.into_iter().map(|(a, b)| (a % n, b % n)).collect();
            let (g, adj) = graph_of(n, &edges);
            let id = |i: usize| g.find(&format!("sg-{i}")).expect("node");
            let sources: Vec<usize> = (0..n).filter(|i| src_mask & (1 << i) != 0).collect();
            prop_assume!(!sources.is_empty());

            // Reachability and pair counts.
            let reach = paths::Reachability::new(&g);
            let mut pairs = 0u64;
            for s in 0..n {
                let d = dist(&adj, s, None);
                for t in 0..n {
                    let want = s != t && d[t].is_some();
                    prop_assert_eq!(reach.reaches(id(s), id(t)), want, "reach {} -> {}", s, t);
                    pairs += u64::from(want);
                }
            }
            prop_assert_eq!(reach.pair_count(), pairs);
            prop_assert_eq!(paths::baseline_pair_count(&g), pairs);

            // Shortest hops, and witnesses made of real edges.
            let src_ids: Vec<u32> = sources.iter().map(|&s| id(s)).collect();
            let all: Vec<u32> = (0..n).map(id).collect();
            let found = paths::reachable_pairs(&g, &src_ids, &all, None);
            let mut expected = 0;
            for &s in &sources {
                let d = dist(&adj, s, None);
                for t in 0..n {
                    if s == t { continue; }
                    let p = found.iter().find(|p| p.from == format!("sg-{s}") && p.to == format!("sg-{t}"));
                    match d[t] {
                        Some(h) => {
                            expected += 1;
                            let p = p.expect("pair found");
                            prop_assert_eq!(p.hop_count(), h);
                            let nodes = p.nodes();
                            for w in nodes.windows(2) {
                                let (a, b) = (g.find(w[0]).expect("a"), g.find(w[1]).expect("b"));
                                prop_assert!(g.edge(a, b).is_some());
                            }
                        }
                        None => prop_assert!(p.is_none()),
                    }
                }
            }
            prop_assert_eq!(found.len(), expected);

            // Choke points: nodes (not sources, not the target) whose removal
            // disconnects every source from the target.
            let cps = paths::choke_points(&g, &src_ids, &all);
            for t in 0..n {
                if sources.contains(&t) { continue; }
                let reached = sources.iter().any(|&s| dist(&adj, s, None)[t].is_some());
                let key = format!("sg-{t}");
                if !reached {
                    prop_assert!(!cps.contains_key(&key));
                    continue;
                }
                let mut want: Vec<String> = (0..n)
                    .filter(|&v| v != t && !sources.contains(&v))
                    .filter(|&v| sources.iter().all(|&s| dist(&adj, s, Some(v))[t].is_none()))
                    .map(|v| format!("sg-{v}"))
                    .collect();
                let mut got = cps.get(&key).cloned().unwrap_or_default();
                want.sort();
                got.sort();
                prop_assert_eq!(got, want, "choke points of {}", t);
            }
        }
    }
}

#[test]
fn report_nodes_cover_every_path() {
    let vm = shop();
    let g = Graph::from_map(&vm);
    let q = Query { from: sels("internet"), to: sels("zone:data"), max_hops: None };
    let r = paths::report(&g, &q, Some(&vm)).expect("report");
    let mentioned: BTreeMap<&str, ()> = r.pairs.iter().flat_map(|p| p.nodes()).map(|k| (k, ())).collect();
    for k in mentioned.keys() {
        assert!(r.nodes.contains_key(*k), "{k} missing from nodes");
    }
}
