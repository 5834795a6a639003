//! Verification at scale: a generated `aws ec2 describe-security-groups`
//! document of 2,500 groups and 50,000 rules (about 30 MB), verified against
//! the map that derives exactly those rules. Baseline in the same run: merely
//! parsing the JSON (`serde_json::from_str` into a `Value`), so the figure
//! reads as "parse + verify costs N x parsing". Target: at most 1.5x.
//!
//! Measured: parse only (Value), parse only (our typed snapshot), derive,
//! verify given the snapshot, and parse + verify end to end (derive included).
//! The data lives in memory only.

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::Criterion;

use appmap::verify::VerifyOptions;
use appmap::{parse_snapshot, verify};

#[path = "../tests/support/synthetic.rs"]
mod synthetic;

const GROUPS: usize = 2_500;
const FAN_OUT: usize = 10; // 2 rules per relation: 2,500 * 10 * 2 = 50,000 rules

fn median(mut f: impl FnMut(), runs: usize) -> Duration {
    let mut times: Vec<Duration> = (0..runs)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed()
        })
        .collect();
    times.sort();
    times[runs / 2]
}

fn main() {
    let vm = synthetic::map(GROUPS, FAN_OUT);
    let text = synthetic::describe_json(GROUPS, FAN_OUT);
    let opts = VerifyOptions::default();
    let snap = parse_snapshot("bench.json", &text).expect("parses");
    assert_eq!(snap.rules.len(), 2 * GROUPS * FAN_OUT);
    let derivation = vm.derive();
    assert!(verify(&vm, &snap, &opts).findings.is_empty(), "the synthetic estate is clean");

    let mut c = Criterion::default().sample_size(10).measurement_time(Duration::from_secs(8)).configure_from_args();
    let mut g = c.benchmark_group("verify_2500_groups_50000_rules");
    g.bench_function("parse_json_value", |b| {
        b.iter(|| black_box(serde_json::from_str::<serde_json::Value>(&text).expect("json")))
    });
    g.bench_function("parse_snapshot", |b| b.iter(|| black_box(parse_snapshot("bench.json", &text).expect("parses"))));
    g.bench_function("derive", |b| b.iter(|| black_box(vm.derive())));
    g.bench_function("verify_given_snapshot_and_rules", |b| {
        b.iter(|| black_box(appmap::verify::verify_derived(&vm, &derivation, &snap, &opts)))
    });
    g.bench_function("parse_snapshot_and_verify", |b| {
        b.iter(|| {
            let s = parse_snapshot("bench.json", &text).expect("parses");
            black_box(verify(&vm, &s, &opts))
        })
    });
    g.finish();

    // One line with the ratio the issue asks for, from medians of the same run.
    let runs = 7;
    let base = median(|| drop(black_box(serde_json::from_str::<serde_json::Value>(&text).expect("json"))), runs);
    let typed = median(|| drop(black_box(parse_snapshot("bench.json", &text).expect("parses"))), runs);
    let full = median(
        || {
            let s = parse_snapshot("bench.json", &text).expect("parses");
            drop(black_box(verify(&vm, &s, &opts)));
        },
        runs,
    );
    let compare = median(|| drop(black_box(appmap::verify::verify_derived(&vm, &derivation, &snap, &opts))), runs);
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    println!(
        "verify bench ({} MB, {} groups, {} rules): parse to Value {:.1} ms; parse_snapshot {:.1} ms; \
         compare only {:.1} ms; parse_snapshot + verify (derive included) {:.1} ms; ratio {:.2}x of parse to Value",
        text.len() / 1_000_000,
        GROUPS,
        snap.rules.len(),
        ms(base),
        ms(typed),
        ms(compare),
        ms(full),
        ms(full) / ms(base)
    );
}
