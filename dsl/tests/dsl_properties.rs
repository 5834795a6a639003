//! Property tests of the builder: any map declared in Rust survives the map
//! file (to_yaml, load, equal map, equal rules), and what it synthesises does
//! not depend on the order of declaration.

use appmap::builder::ServiceHandle;
use appmap::{AppMap, Cadence, Peer, Port, ValidMap};
use proptest::prelude::*;

const ZONES: &[&str] = &["public", "app", "data", "pci"];
const REASONS: &[&str] =
    &["User search queries", "Record orders", "Quarterly \"settlement\" report", "Cache: sessions & baskets"];

#[derive(Debug, Clone)]
struct SvcSpec {
    zone: Option<usize>,
    owner: Option<usize>,
    groups: usize,
    external: bool,
    https_on: Option<u16>,
    behind_lb: bool,
}

#[derive(Debug, Clone)]
struct RelSpec {
    /// 0 is the internet; i > 0 is service i - 1.
    from: usize,
    to: usize,
    port: usize,
    n: u16,
    reason: usize,
    cadence: Option<usize>,
    review: Option<(u16, u8, u8)>,
    ticket: bool,
}

#[derive(Debug, Clone)]
struct Spec {
    ipv6: bool,
    egress: bool,
    services: Vec<SvcSpec>,
    relations: Vec<RelSpec>,
    talks_boundary: Option<(usize, usize)>,
}

fn svc_spec() -> impl Strategy<Value = SvcSpec> {
    (
        proptest::option::of(0..ZONES.len()),
        proptest::option::of(0..3usize),
        0..3usize,
        any::<bool>(),
        proptest::option::of(1024..9000u16),
        proptest::bool::weighted(0.2),
    )
        .prop_map(|(zone, owner, groups, external, https_on, behind_lb)| SvcSpec {
            zone,
            owner,
            groups,
            external: external && groups == 0,
            https_on,
            behind_lb,
        })
}

fn rel_spec(n: usize) -> impl Strategy<Value = RelSpec> {
    (
        0..=n,
        0..n,
        0..9usize,
        1..60000u16,
        0..REASONS.len(),
        proptest::option::of(0..Cadence::ALL.len()),
        proptest::option::of((2026..2030u16, 1..=12u8, 1..=28u8)),
        any::<bool>(),
    )
        .prop_map(|(from, to, port, n, reason, cadence, review, ticket)| RelSpec {
            from,
            to: to + 1,
            port,
            n,
            reason,
            cadence,
            review,
            ticket,
        })
}

fn spec() -> impl Strategy<Value = Spec> {
    (1..7usize).prop_flat_map(|n| {
        (
            any::<bool>(),
            any::<bool>(),
            proptest::collection::vec(svc_spec(), n),
            proptest::collection::vec(rel_spec(n), 0..12),
            proptest::option::of((0..n, 0..n)),
        )
            .prop_map(|(ipv6, egress, services, relations, talks_boundary)| Spec {
                ipv6,
                egress,
                services,
                relations,
                talks_boundary,
            })
    })
}

fn port(spec: &RelSpec, behind_lb: bool) -> Port {
    if behind_lb {
        return if spec.port % 2 == 0 { Port::HTTPS } else { Port::HTTP };
    }
    let n = spec.n;
    match spec.port {
        0 => Port::HTTPS,
        1 => Port::POSTGRES,
        2 => Port::DNS,
        3 => Port::tcp(n),
        4 => Port::tcp_range(n, n.saturating_add(10)),
        5 => Port::udp(n),
        6 => Port::icmp_ping(),
        7 => Port::all_icmp(),
        _ => Port::all_traffic(),
    }
}

/// Declares `spec` into a fresh map, relations in `order`.
fn declare(spec: &Spec, order: &[usize]) -> AppMap {
    let map = AppMap::new().internet_ipv6(spec.ipv6).manage_egress(spec.egress);
    let lb = map.load_balancer("front-lb").security_group("sg-lb").listener(Port::HTTPS).listener(Port::HTTP);
    let handles: Vec<ServiceHandle<'_>> = spec
        .services
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let mut h = map.service(&format!("svc-{i}"));
            if let Some(z) = s.zone {
                h = h.zone(ZONES[z]);
            }
            if let Some(o) = s.owner {
                h = h.owner(&format!("team-{o}"));
            }
            for g in 0..s.groups {
                h = h.security_group(&format!("sg-{i}-{g}"));
            }
            if s.external {
                h = h.cidr(&format!("198.51.{i}.0/24")).cidr(&format!("2001:db8:{i}::/48"));
            }
            if let Some(p) = s.https_on {
                h = h.listens_on(Port::HTTPS, p);
            }
            if s.behind_lb {
                h = h.behind(&lb, Port::tcp(8080));
            }
            h
        })
        .collect();
    let peer = |i: usize| if i == 0 { Peer::internet() } else { Peer::from(&handles[i - 1]) };
    for &k in order {
        let r = &spec.relations[k];
        let to = &handles[r.to - 1];
        let p = port(r, spec.services[r.to - 1].behind_lb);
        let mut rel = to.connections().allow_from(peer(r.from), p, REASONS[r.reason]);
        if p == Port::all_traffic() {
            rel = rel.acknowledge_all_traffic();
        }
        if let Some(c) = r.cadence {
            rel = rel.cadence(Cadence::ALL[c]);
        }
        if let Some((y, m, d)) = r.review {
            rel = rel.review_by(&format!("{y:04}-{m:02}-{d:02}"));
        }
        if r.ticket {
            rel.ticket("SEC-1");
        }
    }
    if let Some((a, b)) = spec.talks_boundary {
        let related = spec.relations.iter().any(|r| r.from == a + 1 && r.to == b + 1);
        if !related {
            map.never_talks_to(&handles[a], &handles[b], "Kept apart on purpose");
        }
    }
    map
}

fn build(map: &AppMap) -> ValidMap {
    map.build().unwrap_or_else(|e| panic!("generated map does not build:\n{}", e.render(None)))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn dsl_maps_survive_the_map_file(spec in spec()) {
        let order: Vec<usize> = (0..spec.relations.len()).collect();
        let vm = build(&declare(&spec, &order));
        let text = vm.to_yaml();
        let again = appmap::load_str("generated.yaml", &text).unwrap_or_else(|e| panic!("{}\n{text}", e.render(Some(&text))));
        prop_assert_eq!(again.map().without_locations(), vm.map().without_locations());
        // Rules are byte-identical; warnings differ only in where they point.
        let (d1, d2) = (again.derive(), vm.derive());
        prop_assert_eq!(&d1.rules, &d2.rules);
        let messages = |d: &appmap::Derivation| d.warnings.iter().map(|w| w.message.clone()).collect::<Vec<_>>();
        prop_assert_eq!(messages(&d1), messages(&d2));
        prop_assert_eq!(again.to_hcl(), vm.to_hcl());
    }

    #[test]
    fn dsl_output_is_independent_of_declaration_order(spec in spec(), seed in any::<u64>()) {
        // A relation declared twice (a warning) keeps the order of its
        // copies in the map file; only distinct relations are shuffled.
        let mut seen = std::collections::BTreeSet::new();
        let order: Vec<usize> = (0..spec.relations.len())
            .filter(|&k| {
                let r = &spec.relations[k];
                let p = port(r, spec.services[r.to - 1].behind_lb);
                seen.insert((r.from, r.to, p.to_string(), r.reason))
            })
            .collect();
        let mut shuffled = order.clone();
        // A cheap deterministic shuffle from the seed.
        let mut s = seed | 1;
        for i in (1..shuffled.len()).rev() {
            s ^= s << 13; s ^= s >> 7; s ^= s << 17;
            shuffled.swap(i, (s % (i as u64 + 1)) as usize);
        }
        let a = build(&declare(&spec, &order));
        let b = build(&declare(&spec, &shuffled));
        prop_assert_eq!(a.to_yaml(), b.to_yaml());
        prop_assert_eq!(a.derive().to_json(), b.derive().to_json());
        prop_assert_eq!(a.to_hcl(), b.to_hcl());
    }
}
