//! Measures provider start-up: process spawn -> go-plugin handshake line
//! (with automatic mTLS: PLUGIN_CLIENT_CERT set, so the server generates its
//! certificate first), and spawn -> first GetProviderSchema answer over mTLS.
//!
//! `scripts/bench-handshake.sh` builds the release binary and runs this.
//! Usage: bench_handshake [PROVIDER_BINARY] [ITERATIONS]

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use terraform_provider_appmap::server::probe::{ClientIdentity, Handshake, Probe};
use terraform_provider_appmap::server::{MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE};

fn pct(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let bin = args.next().unwrap_or_else(|| "target/release/terraform-provider-appmap".into());
    let n: usize = args.next().map(|s| s.parse()).transpose()?.unwrap_or(50);
    let id = ClientIdentity::generate()?;
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;

    let mut to_line = Vec::with_capacity(n);
    let mut to_schema = Vec::with_capacity(n);
    for _ in 0..n {
        let t0 = Instant::now();
        let mut child = Command::new(&bin)
            .env(MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE)
            .env("PLUGIN_CLIENT_CERT", &id.cert_pem)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()?;
        let mut line = String::new();
        BufReader::new(child.stdout.take().ok_or("no stdout")?).read_line(&mut line)?;
        to_line.push(t0.elapsed());
        let hs = Handshake::parse(&line)?;
        rt.block_on(async {
            let probe = Probe::connect(&hs, Some(&id)).await?;
            probe.schema_type_names().await?;
            to_schema.push(t0.elapsed());
            probe.controller_shutdown().await
        })?;
        child.wait()?;
    }
    to_line.sort();
    to_schema.sort();
    println!("provider: {bin}  iterations: {n}");
    for (name, v) in
        [("spawn -> handshake line (mTLS)", &to_line), ("spawn -> GetProviderSchema over mTLS", &to_schema)]
    {
        println!(
            "{name:40} min {:>7.2?}  median {:>7.2?}  p90 {:>7.2?}  max {:>7.2?}",
            v[0],
            pct(v, 0.5),
            pct(v, 0.9),
            v[v.len() - 1]
        );
    }
    Ok(())
}
