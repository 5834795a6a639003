//! Derivation at scale: a generated map of 5,000 services and 20,000
//! relations (some behind load balancers, some external), derived end to end.
//! Baseline in the same run: building the `ValidMap` (validation only), so
//! the figure reads as "derivation costs N x validation".

use criterion::{Criterion, criterion_group, criterion_main};

use appmap::{Map, Protocol, Reason, Relation, Service, ValidMap};

fn generate(services: usize, relations: usize) -> Map {
    let mut map = Map::default();
    for i in 0..services {
        let mut s = Service::new(format!("svc-{i}").parse().expect("name"));
        s.zone = Some(["public", "app", "data", "pci"][i % 4].to_string());
        if i % 50 == 49 {
            s.cidrs = vec![format!("10.{}.{}.0/24", i / 256 % 256, i % 256).parse().expect("cidr")];
        } else {
            s.security_group_ids = vec![format!("sg-{i:017x}")];
        }
        if i % 10 == 0 {
            s.load_balancer = Some(appmap::LoadBalancer {
                security_group_ids: vec![format!("sg-lb{i:015x}")],
                listeners: [(appmap::Named::Https, 443)].into(),
                target_port: Some(8080),
                health_check_port: Some(8081),
                ..Default::default()
            });
        }
        map.services.push(s);
    }
    let protocols = [Protocol::HTTPS, Protocol::POSTGRES, Protocol::REDIS, Protocol::tcp(9000), Protocol::DNS];
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    for r in 0..relations {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let a = (x % services as u64) as usize;
        let b = ((x >> 20) % services as u64) as usize;
        let behind_lb = b % 10 == 0;
        let p = if behind_lb { Protocol::HTTPS } else { protocols[r % protocols.len()] };
        map.relations.push(Relation::new(
            format!("svc-{a}").parse().expect("name"),
            format!("svc-{b}").parse().expect("name"),
            p,
            Reason::new(format!("Generated relation {r} for the benchmark")).expect("reason"),
        ));
    }
    map
}

fn bench(c: &mut Criterion) {
    let map = generate(5_000, 20_000);
    let vm = ValidMap::new(map.clone()).expect("generated map is valid");
    let rules = vm.derive().rules.len();
    eprintln!("derive bench: 5000 services, 20000 relations -> {rules} rules");
    let mut g = c.benchmark_group("derive-5000x20000");
    g.sample_size(20);
    g.bench_function("validate (baseline)", |b| b.iter(|| ValidMap::new(map.clone()).expect("valid")));
    // Dropping ~50k rules is the caller's cost, not derivation's.
    g.bench_function("derive", |b| b.iter_with_large_drop(|| vm.derive()));
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
