//! A small gRPC client for tests and benchmarks: connects to a running
//! provider the way Terraform does (optionally with mTLS) and exposes a few
//! calls in framework terms, so generated protobuf types stay private.

use std::net::SocketAddr;
use std::sync::Arc;

use hyper_util::rt::TokioIo;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};
use tonic::transport::{Channel, Endpoint, Uri};

use super::proto::plugin as pp;
use super::proto::tfplugin6 as pb;

/// Errors of the probe client.
#[derive(Debug, thiserror::Error)]
pub enum ProbeError {
    #[error("connect: {0}")]
    Connect(#[from] tonic::transport::Error),
    #[error("rpc: {0}")]
    Rpc(#[from] tonic::Status),
    #[error("tls: {0}")]
    Tls(#[from] rustls::Error),
    #[error("certificate generation: {0}")]
    CertGen(#[from] rcgen::Error),
}

/// A client certificate + key (what Terraform passes via PLUGIN_CLIENT_CERT).
#[derive(Debug, Clone)]
pub struct ClientIdentity {
    /// PEM, suitable for `PLUGIN_CLIENT_CERT`.
    pub cert_pem: String,
    cert_der: Vec<u8>,
    key_der: Vec<u8>,
}

impl ClientIdentity {
    /// A fresh self-signed ECDSA P-256 client certificate.
    pub fn generate() -> Result<Self, ProbeError> {
        let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256)?;
        let mut params = rcgen::CertificateParams::new(vec!["localhost".to_owned()])?;
        params.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ClientAuth];
        let cert = params.self_signed(&key)?;
        let der = cert.der().to_vec();
        let cert_pem = format!(
            "-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n",
            base64::Engine::encode(&base64::engine::general_purpose::STANDARD, &der)
                .as_bytes()
                .chunks(64)
                .map(|c| String::from_utf8_lossy(c).into_owned())
                .collect::<Vec<_>>()
                .join("\n")
        );
        Ok(ClientIdentity { cert_pem, cert_der: der, key_der: key.serialize_der() })
    }
}

/// Handshake line fields: `CORE|APP|NETWORK|ADDR|PROTOCOL|CERT`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Handshake {
    pub core_version: u32,
    pub app_version: u32,
    pub network: String,
    pub addr: SocketAddr,
    pub protocol: String,
    /// Server certificate DER (decoded from base64), empty without mTLS.
    pub server_cert_der: Vec<u8>,
}

impl Handshake {
    /// Parses a go-plugin handshake line (the cert is standard base64
    /// without padding, as go-plugin's `RawStdEncoding`).
    pub fn parse(line: &str) -> Result<Self, String> {
        let parts: Vec<&str> = line.trim_end().split('|').collect();
        if parts.len() != 6 {
            return Err(format!("expected 6 fields, got {}: {line:?}", parts.len()));
        }
        let cert = if parts[5].is_empty() {
            Vec::new()
        } else {
            base64::Engine::decode(&base64::engine::general_purpose::STANDARD_NO_PAD, parts[5])
                .map_err(|e| format!("certificate is not unpadded standard base64: {e}"))?
        };
        Ok(Handshake {
            core_version: parts[0].parse().map_err(|e| format!("core version: {e}"))?,
            app_version: parts[1].parse().map_err(|e| format!("app version: {e}"))?,
            network: parts[2].to_owned(),
            addr: parts[3].parse().map_err(|e| format!("address: {e}"))?,
            protocol: parts[4].to_owned(),
            server_cert_der: cert,
        })
    }
}

/// Connected client.
#[derive(Debug, Clone)]
pub struct Probe {
    channel: Channel,
}

impl Probe {
    /// Connects over plaintext (`client` = None) or mTLS pinned to the
    /// server certificate from the handshake.
    pub async fn connect(hs: &Handshake, client: Option<&ClientIdentity>) -> Result<Probe, ProbeError> {
        let addr = hs.addr;
        let endpoint = Endpoint::from_static("http://127.0.0.1");
        let channel = match client {
            None => {
                endpoint
                    .connect_with_connector(tower::service_fn(move |_: Uri| async move {
                        let tcp = tokio::net::TcpStream::connect(addr).await?;
                        tcp.set_nodelay(true)?;
                        Ok::<_, std::io::Error>(TokioIo::new(tcp))
                    }))
                    .await?
            }
            Some(id) => {
                let provider = Arc::new(rustls::crypto::ring::default_provider());
                let mut cfg = rustls::ClientConfig::builder_with_provider(provider)
                    .with_protocol_versions(&[&rustls::version::TLS13])?
                    .dangerous()
                    .with_custom_certificate_verifier(Arc::new(PinnedServerCert(hs.server_cert_der.clone())))
                    .with_client_auth_cert(
                        vec![CertificateDer::from(id.cert_der.clone())],
                        PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(id.key_der.clone())),
                    )?;
                cfg.alpn_protocols = vec![b"h2".to_vec()];
                let connector = tokio_rustls::TlsConnector::from(Arc::new(cfg));
                endpoint
                    .connect_with_connector(tower::service_fn(move |_: Uri| {
                        let connector = connector.clone();
                        async move {
                            let tcp = tokio::net::TcpStream::connect(addr).await?;
                            tcp.set_nodelay(true)?;
                            let name = ServerName::try_from("localhost").map_err(std::io::Error::other)?;
                            let tls = connector.connect(name, tcp).await?;
                            Ok::<_, std::io::Error>(TokioIo::new(tls))
                        }
                    }))
                    .await?
            }
        };
        Ok(Probe { channel })
    }

    /// GetProviderSchema: names of the resource types and data sources.
    pub async fn schema_type_names(&self) -> Result<(Vec<String>, Vec<String>), ProbeError> {
        let mut c = pb::provider_client::ProviderClient::new(self.channel.clone());
        let r = c.get_provider_schema(pb::get_provider_schema::Request {}).await?.into_inner();
        let mut rs: Vec<String> = r.resource_schemas.into_keys().collect();
        let mut ds: Vec<String> = r.data_source_schemas.into_keys().collect();
        rs.sort();
        ds.sort();
        Ok((rs, ds))
    }

    /// StopProvider; returns its error text (empty on success).
    pub async fn stop_provider(&self) -> Result<String, ProbeError> {
        let mut c = pb::provider_client::ProviderClient::new(self.channel.clone());
        Ok(c.stop_provider(pb::stop_provider::Request {}).await?.into_inner().error)
    }

    /// plugin.GRPCController/Shutdown.
    pub async fn controller_shutdown(&self) -> Result<(), ProbeError> {
        let mut c = pp::grpc_controller_client::GrpcControllerClient::new(self.channel.clone());
        c.shutdown(pp::Empty {}).await?;
        Ok(())
    }

    /// Calls an RPC we leave unimplemented (MoveResourceState) and returns
    /// the gRPC status code name.
    pub async fn unimplemented_rpc_code(&self) -> String {
        let mut c = pb::provider_client::ProviderClient::new(self.channel.clone());
        match c.move_resource_state(pb::move_resource_state::Request::default()).await {
            Ok(_) => "OK".to_owned(),
            Err(s) => format!("{:?}", s.code()),
        }
    }
}

/// Accepts exactly the server certificate announced in the handshake.
#[derive(Debug)]
struct PinnedServerCert(Vec<u8>);

impl ServerCertVerifier for PinnedServerCert {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        if end_entity.as_ref() == self.0.as_slice() {
            Ok(ServerCertVerified::assertion())
        } else {
            Err(rustls::Error::InvalidCertificate(rustls::CertificateError::ApplicationVerificationFailure))
        }
    }
    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &super::tls::supported_algorithms())
    }
    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &super::tls::supported_algorithms())
    }
    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        super::tls::supported_algorithms().supported_schemes()
    }
}
