//! The plugin server: go-plugin handshake, optional automatic mTLS, and the
//! gRPC services Terraform talks to (tfplugin6.Provider, plugin.GRPCController,
//! plugin.GRPCStdio, grpc.health.v1 "plugin").
//!
//! Generated protobuf types live in [`proto`] and never leave this module.

mod convert;
#[doc(hidden)]
pub mod probe;
mod proto;
mod provider;
pub(crate) mod tls;

use std::io::Write;
use std::pin::Pin;
use std::process::ExitCode;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use base64::Engine as _;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, watch};
use tokio_stream::wrappers::ReceiverStream;
use tonic::{Request, Response, Status};

use crate::framework::Registry;
use crate::{log_debug, log_error, log_info, log_warn};
use proto::plugin as pp;
use proto::tfplugin6 as pb;

/// Environment variable and value of the go-plugin handshake for Terraform.
pub const MAGIC_COOKIE_KEY: &str = "TF_PLUGIN_MAGIC_COOKIE";
pub const MAGIC_COOKIE_VALUE: &str = "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2";
/// go-plugin core protocol version and the app (tfplugin) protocol version.
pub const CORE_PROTOCOL_VERSION: u32 = 1;
pub const APP_PROTOCOL_VERSION: u32 = 6;

/// Largest message accepted or sent (Terraform's client allows 256 MiB).
const MAX_MESSAGE: usize = 256 << 20;
/// How long in-flight calls get after Shutdown/StopProvider.
const GRACEFUL_TIMEOUT: Duration = Duration::from_secs(5);

/// Errors that prevent the server from starting.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("listening on 127.0.0.1 failed: {0}")]
    Listen(std::io::Error),
    #[error("automatic mTLS setup failed: {0}")]
    Tls(#[from] tls::TlsSetupError),
    #[error("writing the handshake line failed: {0}")]
    Handshake(std::io::Error),
    #[error("gRPC server failed: {0}")]
    Grpc(#[from] tonic::transport::Error),
}

/// Shared stop signal (StopProvider, GRPCController.Shutdown).
#[derive(Clone, Debug)]
pub(crate) struct Shutdown(Arc<watch::Sender<bool>>);

impl Shutdown {
    fn new() -> Self {
        Shutdown(Arc::new(watch::channel(false).0))
    }
    pub(crate) fn trigger(&self) {
        self.0.send_replace(true);
    }
    async fn wait(&self) {
        let mut rx = self.0.subscribe();
        let _ = rx.wait_for(|stopped| *stopped).await;
    }
}

/// Entry point of the provider binary: checks the magic cookie, serves until
/// Terraform shuts us down, returns the process exit code.
pub fn run_main(registry: Registry) -> ExitCode {
    crate::log::install_panic_hook();
    if std::env::var(MAGIC_COOKIE_KEY).ok().as_deref() != Some(MAGIC_COOKIE_VALUE) {
        eprintln!(
            "This binary is a plugin (terraform-provider-appmap). It is not meant to be executed directly.\n\
             Terraform starts it automatically; to use it, configure `appmap/appmap` in your Terraform\n\
             configuration (for local builds: a dev_overrides entry in the CLI configuration)."
        );
        return ExitCode::from(1);
    }
    let rt = match tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("terraform-provider-appmap: cannot start async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    let client_cert = std::env::var("PLUGIN_CLIENT_CERT").ok().filter(|s| !s.trim().is_empty());
    let res = rt.block_on(serve(registry, client_cert, &mut std::io::stdout()));
    rt.shutdown_timeout(Duration::from_millis(500));
    match res {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            log_error!("{e}");
            eprintln!("terraform-provider-appmap: {e}");
            ExitCode::from(1)
        }
    }
}

/// Binds 127.0.0.1:0, writes the go-plugin handshake line to `out`, and
/// serves until shutdown. With `client_cert_pem` (from `PLUGIN_CLIENT_CERT`)
/// connections must present exactly that certificate over TLS 1.3.
pub async fn serve(registry: Registry, client_cert_pem: Option<String>, out: &mut dyn Write) -> Result<(), ServeError> {
    let listener = TcpListener::bind(("127.0.0.1", 0)).await.map_err(ServeError::Listen)?;
    let addr = listener.local_addr().map_err(ServeError::Listen)?;

    let mtls = client_cert_pem.as_deref().map(tls::setup).transpose()?;
    let cert_field = mtls
        .as_ref()
        .map(|m| base64::engine::general_purpose::STANDARD_NO_PAD.encode(&m.server_cert_der))
        .unwrap_or_default();

    let shutdown = Shutdown::new();
    let registry = Arc::new(registry);
    let (health_reporter, health_service) = tonic_health::server::health_reporter();
    health_reporter.set_service_status("plugin", tonic_health::ServingStatus::Serving).await;

    let provider =
        pb::provider_server::ProviderServer::new(provider::ProviderService::new(registry.clone(), shutdown.clone()))
            .max_decoding_message_size(MAX_MESSAGE)
            .max_encoding_message_size(MAX_MESSAGE);
    let controller = pp::grpc_controller_server::GrpcControllerServer::new(Controller { shutdown: shutdown.clone() });
    let stdio = pp::grpc_stdio_server::GrpcStdioServer::new(Stdio { shutdown: shutdown.clone() });

    // Connections arrive through a channel so TLS handshakes never block
    // the accept loop.
    let (conn_tx, conn_rx) = mpsc::channel::<std::io::Result<Conn>>(16);
    tokio::spawn(accept_loop(
        listener,
        mtls.map(|m| tokio_rustls::TlsAcceptor::from(m.config)),
        conn_tx,
        shutdown.clone(),
    ));
    tokio::spawn(ignore_interrupts());

    writeln!(out, "{CORE_PROTOCOL_VERSION}|{APP_PROTOCOL_VERSION}|tcp|{addr}|grpc|{cert_field}")
        .and_then(|()| out.flush())
        .map_err(ServeError::Handshake)?;
    log_info!("serving on {addr} ({})", if cert_field.is_empty() { "plaintext" } else { "mTLS" });

    let stop = shutdown.clone();
    let server = tonic::transport::Server::builder()
        .add_service(provider)
        .add_service(controller)
        .add_service(stdio)
        .add_service(health_service)
        .serve_with_incoming_shutdown(ReceiverStream::new(conn_rx), async move { stop.wait().await });

    let stop = shutdown.clone();
    tokio::select! {
        r = server => r?,
        () = async move { stop.wait().await; tokio::time::sleep(GRACEFUL_TIMEOUT).await } => {
            log_warn!("graceful stop timed out; exiting");
        }
    }
    log_debug!("server stopped");
    Ok(())
}

async fn accept_loop(
    listener: TcpListener,
    tls: Option<tokio_rustls::TlsAcceptor>,
    tx: mpsc::Sender<std::io::Result<Conn>>,
    shutdown: Shutdown,
) {
    loop {
        let accepted = tokio::select! {
            a = listener.accept() => a,
            () = shutdown.wait() => return,
        };
        let (tcp, peer) = match accepted {
            Ok(x) => x,
            Err(e) => {
                log_warn!("accept failed: {e}");
                tokio::time::sleep(Duration::from_millis(10)).await;
                continue;
            }
        };
        // Without this, small gRPC frames can sit in Nagle's buffer for
        // 40+ ms waiting for delayed ACKs.
        if let Err(e) = tcp.set_nodelay(true) {
            log_warn!("TCP_NODELAY failed: {e}");
        }
        match &tls {
            None => {
                if tx.send(Ok(Conn::Plain(tcp))).await.is_err() {
                    return;
                }
            }
            Some(acceptor) => {
                let acceptor = acceptor.clone();
                let tx = tx.clone();
                tokio::spawn(async move {
                    match tokio::time::timeout(Duration::from_secs(10), acceptor.accept(tcp)).await {
                        Ok(Ok(s)) => {
                            let _ = tx.send(Ok(Conn::Tls(Box::new(s)))).await;
                        }
                        Ok(Err(e)) => log_warn!("rejected TLS connection from {peer}: {e}"),
                        Err(_) => log_warn!("TLS handshake from {peer} timed out"),
                    }
                });
            }
        }
    }
}

/// go-plugin hosts forward Ctrl-C to the whole process group; the host
/// decides when we stop, so interrupts are ignored.
async fn ignore_interrupts() {
    loop {
        if tokio::signal::ctrl_c().await.is_err() {
            return;
        }
        log_debug!("ignoring interrupt signal");
    }
}

/// An accepted connection, plain or TLS.
enum Conn {
    Plain(TcpStream),
    Tls(Box<tokio_rustls::server::TlsStream<TcpStream>>),
}

impl tonic::transport::server::Connected for Conn {
    type ConnectInfo = ();
    fn connect_info(&self) -> Self::ConnectInfo {}
}

impl AsyncRead for Conn {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Conn::Plain(s) => Pin::new(s).poll_read(cx, buf),
            Conn::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Conn {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<std::io::Result<usize>> {
        match self.get_mut() {
            Conn::Plain(s) => Pin::new(s).poll_write(cx, buf),
            Conn::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
        }
    }
    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        match self.get_mut() {
            Conn::Plain(s) => Pin::new(s).poll_write_vectored(cx, bufs),
            Conn::Tls(s) => Pin::new(s.as_mut()).poll_write_vectored(cx, bufs),
        }
    }
    fn is_write_vectored(&self) -> bool {
        match self {
            Conn::Plain(s) => s.is_write_vectored(),
            Conn::Tls(s) => s.is_write_vectored(),
        }
    }
    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Conn::Plain(s) => Pin::new(s).poll_flush(cx),
            Conn::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
        }
    }
    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Conn::Plain(s) => Pin::new(s).poll_shutdown(cx),
            Conn::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
        }
    }
}

/// plugin.GRPCController: Shutdown stops the server gracefully.
struct Controller {
    shutdown: Shutdown,
}

#[tonic::async_trait]
impl pp::grpc_controller_server::GrpcController for Controller {
    async fn shutdown(&self, _req: Request<pp::Empty>) -> Result<Response<pp::Empty>, Status> {
        log_debug!("GRPCController.Shutdown received");
        self.shutdown.trigger();
        Ok(Response::new(pp::Empty {}))
    }
}

/// plugin.GRPCStdio: we log straight to stderr, so the stream carries no
/// data; it stays open until shutdown so the host doesn't see an error.
struct Stdio {
    shutdown: Shutdown,
}

#[tonic::async_trait]
impl pp::grpc_stdio_server::GrpcStdio for Stdio {
    async fn stream_stdio(
        &self,
        _req: Request<()>,
    ) -> Result<Response<tonic::codegen::BoxStream<pp::StdioData>>, Status> {
        let (tx, rx) = mpsc::channel(1);
        let shutdown = self.shutdown.clone();
        tokio::spawn(async move {
            shutdown.wait().await;
            drop(tx);
        });
        Ok(Response::new(Box::pin(ReceiverStream::new(rx))))
    }
}
