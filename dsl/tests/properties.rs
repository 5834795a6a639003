//! Properties of the loader and of derivation that must hold for any input.

use appmap::{Map, Protocol, Reason, Relation, Service, ServiceName, ValidMap};
use proptest::prelude::*;

const PROTOCOLS: &[&str] = &["https", "postgres", "dns", "tcp:8000-8010", "udp:514", "icmp:8/0", "redis"];

/// A random valid map: services with 0-2 groups (some external, some
/// unbound, some behind a load balancer) and relations between them.
fn arb_map() -> impl Strategy<Value = Map> {
    let service = (0usize..4, any::<bool>(), 0u8..3);
    (
        proptest::collection::vec(service, 1..10),
        proptest::collection::vec((0usize..12, 0usize..12, 0usize..PROTOCOLS.len()), 0..25),
        any::<bool>(),
    )
        .prop_map(|(svcs, rels, egress)| {
            let mut map = Map::default();
            map.defaults.manage_egress = egress;
            for (i, (kind, lb, groups)) in svcs.iter().enumerate() {
                let mut s = Service::new(format!("svc-{i}").parse().unwrap());
                match kind {
                    0 => {}
                    1 => {
                        s.cidrs = vec![
                            format!("10.{i}.0.0/16").parse().unwrap(),
                            format!("2001:db8:{i}::/48").parse().unwrap(),
                        ]
                    }
                    _ => s.security_group_ids = (0..=*groups).map(|g| format!("sg-{i}-{g}")).collect(),
                }
                if *lb && *kind >= 2 {
                    s.load_balancer = Some(appmap::LoadBalancer {
                        security_group_ids: vec![format!("sg-lb-{i}")],
                        listeners: [
                            (appmap::Named::Https, 443),
                            (appmap::Named::Postgres, 5432),
                            (appmap::Named::Redis, 6379),
                        ]
                        .into(),
                        target_port: Some(8080),
                        health_check_port: Some(8081),
                        ..Default::default()
                    });
                }
                map.services.push(s);
            }
            let n = svcs.len();
            for (a, b, p) in rels {
                let from: ServiceName =
                    if a >= n { ServiceName::internet() } else { format!("svc-{a}").parse().unwrap() };
                let to: ServiceName = format!("svc-{}", b % n).parse().unwrap();
                let protocol: Protocol = PROTOCOLS[p].parse().unwrap();
                let behind_lb = map.services[b % n].load_balancer.is_some();
                if behind_lb && matches!(protocol, Protocol::Icmp { .. } | Protocol::Udp(_) | Protocol::Tcp(_)) {
                    continue;
                }
                if behind_lb && protocol == Protocol::DNS {
                    continue;
                }
                map.relations.push(Relation::new(
                    from,
                    to,
                    protocol,
                    Reason::new(format!("reason {a} {b} {p}")).unwrap(),
                ));
            }
            map
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// Derivation is independent of the order services and relations are declared in.
    #[test]
    fn derivation_ignores_declaration_order(map in arb_map(), seed in any::<u64>()) {
        let first = ValidMap::new(map.clone()).expect("generated maps are valid").derive();
        let mut shuffled = map;
        let mut state = seed | 1;
        let mut next = move |n: usize| { state ^= state << 13; state ^= state >> 7; state ^= state << 17; (state % n.max(1) as u64) as usize };
        for i in (1..shuffled.services.len()).rev() { let j = next(i + 1); shuffled.services.swap(i, j); }
        for i in (1..shuffled.relations.len()).rev() { let j = next(i + 1); shuffled.relations.swap(i, j); }
        let second = ValidMap::new(shuffled).expect("still valid").derive();
        prop_assert_eq!(first.to_json(), second.to_json());
    }

    /// Keys are unique and every rule has exactly one peer and a legal description.
    #[test]
    fn rules_are_well_formed(map in arb_map()) {
        let d = ValidMap::new(map).expect("valid").derive();
        let mut keys: Vec<&str> = d.rules.iter().map(|r| r.key.as_str()).collect();
        let n = keys.len();
        keys.dedup();
        prop_assert_eq!(keys.len(), n);
        for r in &d.rules {
            prop_assert!(r.description.len() <= 255);
            const ALLOWED: &str = "._-:/()#,@[]+=&;{}!$* ";
            let legal = r.description.chars().all(|c| c.is_ascii_alphanumeric() || ALLOWED.contains(c));
            prop_assert!(legal, "illegal description {:?}", r.description);
            prop_assert!(!r.relations.is_empty());
        }
    }

    /// The full form written out loads back to an equal map.
    #[test]
    fn yaml_round_trip(map in arb_map()) {
        let vm = ValidMap::new(map).expect("valid");
        let text = vm.to_yaml();
        let again = appmap::load_str("again.yaml", &text).map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
        prop_assert_eq!(again.map().without_locations(), vm.map().without_locations());
    }

    /// Arbitrary bytes never panic the loader.
    #[test]
    fn loader_never_panics_on_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let text = String::from_utf8_lossy(&bytes);
        let _ = appmap::load_str("fuzz.yaml", &text);
    }

    /// Arbitrary YAML-shaped text (map file words, punctuation, indentation) never panics the loader.
    #[test]
    fn loader_never_panics_on_yaml_like_text(parts in proptest::collection::vec(prop::sample::select(vec![
        "services:", "relations:", "boundaries:", "defaults:", "talks_to:", "never_talks_to:", "never_reaches:",
        "- ", "  ", "\n", ": ", "{", "}", "[", "]", ",", "\"", "'", "&a ", "*a", "web", "db", "internet", "zone:pci",
        "from: ", "to: ", "service: ", "protocol: ", "reason: ", "https", "tcp:", "icmp:", "99999", "-1", "~", "null",
        "security_group_ids: ", "cidrs: ", "10.0.0.0/8", "load_balancer: ", "listeners: ", "except_through: ", "---", "#",
    ]), 0..80)) {
        let text: String = parts.concat();
        let _ = appmap::load_str("fuzz.yaml", &text);
    }
}

#[test]
fn same_map_same_bytes() {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/shop/appmap.yaml")).unwrap();
    let a = appmap::load_str("shop.yaml", &text).unwrap().derive().to_json();
    let b = appmap::load_str("shop.yaml", &text).unwrap().derive().to_json();
    assert_eq!(a, b);
}

#[test]
fn empty_reason_is_unrepresentable() {
    assert!(Reason::new("").is_err());
    assert!(Reason::new(" \t\n").is_err());
}
