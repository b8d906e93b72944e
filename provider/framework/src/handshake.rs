//! The go-plugin contract: magic cookie, protocol negotiation, a loopback listener in the
//! host's port range, AutoMTLS, the stdout handshake line, and graceful shutdown through
//! `GRPCController.Shutdown`.

use crate::proto::plugin as gp;
use crate::proto::tfplugin6::provider_server::ProviderServer;
use crate::provider::Provider;
use crate::service::Service;
use crate::tls::{auto_mtls, TlsError};
use base64::Engine;
use std::io::Write;
use std::net::{Ipv4Addr, SocketAddr};
use std::pin::Pin;
use std::sync::Arc;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, watch};
use tokio_stream::wrappers::{ReceiverStream, TcpListenerStream};
use tokio_stream::StreamExt;
use tonic::{Request, Response, Status};

const MAGIC_COOKIE_KEY: &str = "TF_PLUGIN_MAGIC_COOKIE";
const MAGIC_COOKIE_VALUE: &str = "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2";
const CORE_PROTOCOL_VERSION: u32 = 1;
const APP_PROTOCOL_VERSION: u32 = 6;

/// Why the plugin could not start serving.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// Started by hand rather than by Terraform.
    #[error(
        "This binary is a Terraform plugin. It is not meant to be run directly: Terraform starts \
         it when a configuration uses the provider. Point Terraform at it with a dev_overrides or \
         filesystem-mirror entry in the CLI configuration (see the README)."
    )]
    NotAPlugin,
    /// The host speaks no protocol version this plugin serves.
    #[error("Terraform offered plugin protocol versions {0:?}; this provider speaks only version 6 (Terraform 1.0 or later)")]
    Protocol(String),
    /// No port of the host's range could be bound on 127.0.0.1.
    #[error("cannot listen on 127.0.0.1 in ports {0}: {1}")]
    Listen(String, std::io::Error),
    /// AutoMTLS could not be set up.
    #[error(transparent)]
    Tls(#[from] TlsError),
    /// Writing the handshake line or serving failed.
    #[error("serving failed: {0}")]
    Io(#[from] std::io::Error),
    /// The gRPC server failed.
    #[error("gRPC server: {0}")]
    Transport(#[from] tonic::transport::Error),
}

/// Runs `provider` as a Terraform plugin until Terraform shuts it down.
pub async fn serve(provider: impl Provider) -> Result<(), ServeError> {
    init_logging();
    if std::env::var(MAGIC_COOKIE_KEY).as_deref() != Ok(MAGIC_COOKIE_VALUE) {
        return Err(ServeError::NotAPlugin);
    }
    let offered = std::env::var("PLUGIN_PROTOCOL_VERSIONS").unwrap_or_default();
    if !offered.is_empty() && !offered.split(',').any(|v| v.trim() == "6") {
        return Err(ServeError::Protocol(offered));
    }
    let listener = listen().await?;
    let addr = listener.local_addr()?;
    let tls = match std::env::var("PLUGIN_CLIENT_CERT") {
        Ok(pem) if !pem.is_empty() => Some(auto_mtls(&pem)?),
        _ => None,
    };
    let cert = tls.as_ref().map_or(String::new(), |t| {
        base64::engine::general_purpose::STANDARD_NO_PAD.encode(&t.cert_der)
    });

    let (stop_tx, mut stop_rx) = watch::channel(false);
    let service = Service::new(Arc::new(provider), stop_tx.clone());
    let (health, health_svc) = tonic_health::server::health_reporter();
    health
        .set_service_status("plugin", tonic_health::ServingStatus::Serving)
        .await;
    let (shutdown_tx, mut shutdown_rx) = watch::channel(false);
    let router = tonic::transport::Server::builder()
        .add_service(health_svc)
        .add_service(gp::grpc_controller_server::GrpcControllerServer::new(
            Controller(shutdown_tx),
        ))
        .add_service(gp::grpc_stdio_server::GrpcStdioServer::new(Stdio))
        .add_service(ProviderServer::new(service).max_decoding_message_size(256 << 20));

    {
        let mut out = std::io::stdout().lock();
        writeln!(
            out,
            "{CORE_PROTOCOL_VERSION}|{APP_PROTOCOL_VERSION}|tcp|{addr}|grpc|{cert}"
        )?;
        out.flush()?;
    }
    tracing::info!(%addr, mtls = tls.is_some(), "plugin serving");
    tokio::spawn(async move {
        // StopProvider cancels work in flight; requests here are short, so it is only logged.
        while stop_rx.changed().await.is_ok() {
            tracing::info!("Terraform asked the provider to stop");
        }
    });
    ignore_interrupts();
    let shutdown = async move {
        let _ = shutdown_rx.wait_for(|s| *s).await;
        tracing::info!("shutdown requested by Terraform");
    };
    match tls {
        Some(tls) => {
            let incoming = tls_incoming(listener, tokio_rustls::TlsAcceptor::from(tls.config));
            router
                .serve_with_incoming_shutdown(incoming, shutdown)
                .await?
        }
        None => {
            let incoming = TcpListenerStream::new(listener).map(|conn| conn.inspect(nodelay));
            router
                .serve_with_incoming_shutdown(incoming, shutdown)
                .await?
        }
    }
    Ok(())
}

/// Binds 127.0.0.1 in `PLUGIN_MIN_PORT..=PLUGIN_MAX_PORT` (any port when unset).
async fn listen() -> Result<TcpListener, ServeError> {
    let port = |k: &str| std::env::var(k).ok().and_then(|v| v.parse::<u16>().ok());
    let (min, max) = match (port("PLUGIN_MIN_PORT"), port("PLUGIN_MAX_PORT")) {
        (Some(a), Some(b)) if a <= b => (a, b),
        _ => (0, 0),
    };
    let mut last = std::io::Error::other("empty port range");
    for p in min..=max {
        match TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, p))).await {
            Ok(l) => return Ok(l),
            Err(e) => last = e,
        }
    }
    Err(ServeError::Listen(format!("{min}-{max}"), last))
}

type TlsConn = tokio_rustls::server::TlsStream<TcpStream>;

/// Small gRPC frames must not wait for Nagle's algorithm: with the host's delayed ACKs every
/// reply would otherwise stall ~40 ms.
fn nodelay(tcp: &TcpStream) {
    if let Err(e) = tcp.set_nodelay(true) {
        tracing::debug!(error = %e, "cannot set TCP_NODELAY");
    }
}

/// Accepts TCP connections and completes TLS handshakes off the accept loop; failed handshakes
/// (a wrong client certificate) are logged and dropped.
fn tls_incoming(
    listener: TcpListener,
    acceptor: tokio_rustls::TlsAcceptor,
) -> ReceiverStream<Result<TlsConn, std::io::Error>> {
    let (tx, rx) = mpsc::channel(16);
    tokio::spawn(async move {
        loop {
            let (tcp, peer) = match listener.accept().await {
                Ok(c) => c,
                Err(e) => {
                    tracing::warn!(error = %e, "accept failed");
                    continue;
                }
            };
            nodelay(&tcp);
            let acceptor = acceptor.clone();
            let tx = tx.clone();
            tokio::spawn(async move {
                match acceptor.accept(tcp).await {
                    Ok(conn) => {
                        let _ = tx.send(Ok(conn)).await;
                    }
                    Err(e) => tracing::warn!(%peer, error = %e, "TLS handshake refused"),
                }
            });
        }
    });
    ReceiverStream::new(rx)
}

/// Terraform and the plugin share a process group, so Ctrl-C reaches both; Terraform decides
/// how to stop (StopProvider, then Shutdown), as go-plugin servers do.
fn ignore_interrupts() {
    tokio::spawn(async {
        while tokio::signal::ctrl_c().await.is_ok() {
            tracing::debug!("interrupt ignored; Terraform controls shutdown");
        }
    });
}

/// Log level from `TF_LOG_PROVIDER` or `TF_LOG` (`TRACE`, `DEBUG`, `INFO`, `WARN`, `ERROR`,
/// `JSON`); logs go to stderr, which go-plugin forwards into Terraform's log.
fn init_logging() {
    let level = std::env::var("TF_LOG_PROVIDER")
        .or_else(|_| std::env::var("TF_LOG"))
        .unwrap_or_default()
        .to_ascii_lowercase();
    let filter = match level.as_str() {
        "trace" | "json" | "1" => "trace",
        "debug" => "debug",
        "info" => "info",
        "warn" => "warn",
        "error" => "error",
        _ => "off",
    };
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(format!(
            "{filter},h2=warn,hyper=warn,tower=warn,rustls=warn"
        )))
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .try_init();
}

struct Controller(watch::Sender<bool>);

#[tonic::async_trait]
impl gp::grpc_controller_server::GrpcController for Controller {
    async fn shutdown(&self, _: Request<gp::Empty>) -> Result<Response<gp::Empty>, Status> {
        let _ = self.0.send(true);
        Ok(Response::new(gp::Empty {}))
    }
}

/// The provider writes nothing to stdout after the handshake, so the stream ends at once.
struct Stdio;

#[tonic::async_trait]
impl gp::grpc_stdio_server::GrpcStdio for Stdio {
    type StreamStdioStream =
        Pin<Box<dyn tokio_stream::Stream<Item = Result<gp::StdioData, Status>> + Send>>;

    async fn stream_stdio(
        &self,
        _: Request<gp::Empty>,
    ) -> Result<Response<Self::StreamStdioStream>, Status> {
        Ok(Response::new(Box::pin(tokio_stream::empty())))
    }
}
