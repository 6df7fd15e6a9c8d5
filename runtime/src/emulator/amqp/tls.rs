//! `amqps://` on 127.0.0.1: a second listener on the same broker, TLS with a self-signed
//! certificate generated at start (rcgen, for `127.0.0.1` and `localhost`), so a consumer's
//! TLS path runs end to end without a certificate authority: the test trusts the returned
//! certificate (`Subscriber::tls_root_certificate`). The platform serves only TLS
//! (docs/subscription.md, "Connecting").

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::oneshot;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio_rustls::rustls::ServerConfig;
use tokio_rustls::TlsAcceptor;

use super::broker::Broker;
use super::server;

/// The running TLS listener.
pub(crate) struct TlsListener {
    pub addr: std::net::SocketAddr,
    /// The self-signed certificate, DER.
    pub certificate: Vec<u8>,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl TlsListener {
    /// Generates the certificate, binds 127.0.0.1 on a free port and serves `broker`.
    pub(crate) fn spawn(broker: Arc<Broker>) -> Result<TlsListener, String> {
        let generated = rcgen::generate_simple_self_signed(vec![
            "127.0.0.1".to_string(),
            "localhost".to_string(),
        ])
        .map_err(|e| format!("generating the certificate: {e}"))?;
        let certificate = generated.cert.der().to_vec();
        let key =
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(generated.key_pair.serialize_der()));
        let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
        let config = ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| format!("TLS setup: {e}"))?
            .with_no_client_auth()
            .with_single_cert(vec![CertificateDer::from(certificate.clone())], key)
            .map_err(|e| format!("TLS certificate: {e}"))?;
        let acceptor = TlsAcceptor::from(Arc::new(config));
        let listener = std::net::TcpListener::bind(("127.0.0.1", 0)).map_err(|e| e.to_string())?;
        listener.set_nonblocking(true).map_err(|e| e.to_string())?;
        let addr = listener.local_addr().map_err(|e| e.to_string())?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("tsl-emulator-amqps")
            .enable_all()
            .build()
            .map_err(|e| e.to_string())?;
        let (stop, stopped) = oneshot::channel();
        let thread = std::thread::Builder::new()
            .name("tsl-emulator-amqps".to_string())
            .spawn(move || {
                runtime.block_on(async move {
                    if let Ok(listener) = tokio::net::TcpListener::from_std(listener) {
                        server::serve_tls(listener, broker, acceptor, stopped).await;
                    }
                });
                runtime.shutdown_timeout(Duration::from_secs(1));
            })
            .map_err(|e| e.to_string())?;
        Ok(TlsListener {
            addr,
            certificate,
            stop: Some(stop),
            thread: Some(thread),
        })
    }

    pub(crate) fn stop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for TlsListener {
    fn drop(&mut self) {
        self.stop();
    }
}
