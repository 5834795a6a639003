//! go-plugin handshake and automatic mTLS, checked against the real binary.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use terraform_provider_appmap::server::probe::{ClientIdentity, Handshake, Probe};
use terraform_provider_appmap::server::{MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE};

const PROVIDER: &str = env!("CARGO_BIN_EXE_terraform-provider-appmap");

struct Plugin {
    child: Child,
    line: String,
}

impl Drop for Plugin {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(client_cert_pem: Option<&str>) -> Plugin {
    let mut cmd = Command::new(PROVIDER);
    cmd.env(MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE)
        .env("APPMAP_PROVIDER_TEST_RESOURCES", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    match client_cert_pem {
        Some(p) => cmd.env("PLUGIN_CLIENT_CERT", p),
        None => cmd.env_remove("PLUGIN_CLIENT_CERT"),
    };
    let mut child = cmd.spawn().expect("spawn provider");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout")).read_line(&mut line).expect("handshake line");
    Plugin { child, line }
}

fn wait_exit(p: &mut Plugin, timeout: Duration) -> Option<std::process::ExitStatus> {
    let t0 = Instant::now();
    while t0.elapsed() < timeout {
        if let Ok(Some(st)) = p.child.try_wait() {
            return Some(st);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    None
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime")
}

#[test]
fn refuses_to_run_without_magic_cookie() {
    let out = Command::new(PROVIDER).env_remove(MAGIC_COOKIE_KEY).output().expect("run");
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty(), "nothing on stdout");
    assert!(String::from_utf8_lossy(&out.stderr).contains("This binary is a plugin"));
}

#[test]
fn mtls_handshake_line_and_pinned_client_cert() {
    let good = ClientIdentity::generate().expect("client cert");
    let mut p = start(Some(&good.cert_pem));

    // 1|6|tcp|127.0.0.1:PORT|grpc|CERT (CERT: unpadded standard base64 DER)
    assert!(p.line.ends_with('\n'));
    let fields: Vec<&str> = p.line.trim_end().split('|').collect();
    assert_eq!(&fields[..3], &["1", "6", "tcp"], "{}", p.line);
    assert!(fields[3].starts_with("127.0.0.1:"), "{}", p.line);
    assert_eq!(fields[4], "grpc");
    assert!(!fields[5].contains('='), "no base64 padding: {}", p.line);
    assert!(!fields[5].contains('-') && !fields[5].contains('_'), "standard alphabet: {}", p.line);
    let hs = Handshake::parse(&p.line).expect("parse handshake");
    assert_eq!(hs.server_cert_der.first(), Some(&0x30), "DER certificate");

    rt().block_on(async {
        // Right certificate: full gRPC call works.
        let probe = Probe::connect(&hs, Some(&good)).await.expect("connect with right cert");
        let (rs, ds) = probe.schema_type_names().await.expect("GetProviderSchema with right cert");
        // The real types plus the hidden test ones (enabled for this run).
        for t in ["appmap_service", "appmap_relation", "appmap_boundary_check", "appmap_test_example"] {
            assert!(rs.iter().any(|r| r == t), "{t} not in {rs:?}");
        }
        for t in ["appmap_internet", "appmap_test_echo"] {
            assert!(ds.iter().any(|d| d == t), "{t} not in {ds:?}");
        }
        assert_eq!(probe.unimplemented_rpc_code().await, "Unimplemented");

        // Wrong certificate: refused.
        let bad = ClientIdentity::generate().expect("other cert");
        let res = match Probe::connect(&hs, Some(&bad)).await {
            Ok(pr) => pr.schema_type_names().await.map(|_| ()),
            Err(e) => Err(e),
        };
        assert!(res.is_err(), "wrong client cert must be refused");

        // Plaintext: refused as well.
        let res = match Probe::connect(&hs, None).await {
            Ok(pr) => pr.schema_type_names().await.map(|_| ()),
            Err(e) => Err(e),
        };
        assert!(res.is_err(), "plaintext must be refused under mTLS");

        // Controller Shutdown stops the process gracefully.
        probe.controller_shutdown().await.expect("Shutdown");
    });
    let st = wait_exit(&mut p, Duration::from_secs(5)).expect("plugin exits after Shutdown");
    assert!(st.success(), "exit status {st:?}");
}

#[test]
fn plaintext_without_client_cert_and_stop_provider() {
    let mut p = start(None);
    let hs = Handshake::parse(&p.line).expect("parse");
    assert!(hs.server_cert_der.is_empty());
    assert!(p.line.trim_end().ends_with("|grpc|"), "{}", p.line);
    rt().block_on(async {
        let probe = Probe::connect(&hs, None).await.expect("connect");
        probe.schema_type_names().await.expect("schema");
        assert_eq!(probe.stop_provider().await.expect("StopProvider"), "");
    });
    let st = wait_exit(&mut p, Duration::from_secs(5)).expect("plugin exits after StopProvider");
    assert!(st.success(), "exit status {st:?}");
}
