//! The platform's AMQP 1.0 server-side subscription, served on 127.0.0.1 (fe2o3-amqp's
//! acceptor) next to the RPC API: enable it with [`Emulator::consumer_group`].
//!
//! - **Login**: SASL PLAIN with the `aksign` user name and HMAC password, checked exactly
//!   (docs/subscription.md): a wrong signature, a timestamp off by more than the emulator's
//!   timestamp skew, an unknown AccessKey ID, instance or consumer group is refused with SASL
//!   outcome `auth` and the reason as additional data (never the secret).
//! - **Delivery**: each consumer group has one queue; its connected clients (up to 64) take
//!   turns on it, each limited by its link credit. A message is done when the client accepts
//!   it; released, or unsettled when its connection drops, it goes back to the front of the
//!   queue and is delivered again (at-least-once). A client that does not open its receiver
//!   link within 15 s is disconnected.
//! - **Devices**: [`RunningEmulator::post_properties`], [`RunningEmulator::post_event`],
//!   [`RunningEmulator::post_status`] and the reply helpers publish what a device would send,
//!   in the platform's forwarded shapes; [`RunningEmulator::publish`] sends any topic and
//!   body (a malformed body, a lifecycle message).
//! - **Faults**: [`RunningEmulator::drop_amqp_after`] drops a connection mid-stream;
//!   [`RunningEmulator::drop_amqp_connections`] drops every open one now.
//!
//! [`Emulator::consumer_group`]: crate::emulator::Emulator::consumer_group

mod broker;
mod posts;
mod sasl;
mod server;
mod tls;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::oneshot;

use super::{EmulatorError, RunningEmulator};
use broker::Broker;
use posts::reply_message;
pub(crate) use sasl::Login;

/// A message as the platform publishes it to a consumer group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UplinkMessage {
    /// The `topic` application property.
    pub topic: String,
    /// The `messageId` application property.
    pub message_id: String,
    /// The `generateTime` application property (epoch ms).
    pub generate_time: i64,
    /// The body (a data section), normally JSON.
    pub body: Vec<u8>,
}

/// What the subscription endpoint has done so far.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AmqpStats {
    /// Messages published (each goes to every group).
    pub published: u64,
    /// Transfers made, redeliveries included.
    pub deliveries: u64,
    /// Deliveries the clients accepted.
    pub accepted: u64,
    /// Messages put back for redelivery (released, or unsettled when a connection dropped).
    pub redelivered: u64,
    /// Deliveries the clients released.
    pub released: u64,
    /// Deliveries the clients rejected (not redelivered).
    pub rejected: u64,
    /// Clients that logged in and opened their link.
    pub connections: u64,
    /// Logins refused.
    pub refused: u64,
    /// Messages waiting in the groups' queues.
    pub queued: u64,
    /// Messages delivered and not yet settled.
    pub in_flight: u64,
    /// Messages dropped, oldest first, from a group that held its backlog
    /// ([`Emulator::subscription_backlog`](crate::emulator::Emulator::subscription_backlog))
    /// without a client taking them.
    pub dropped: u64,
    /// Connected clients per consumer group.
    pub clients: HashMap<String, usize>,
}

/// The running AMQP listener.
pub(crate) struct AmqpServer {
    pub addr: SocketAddr,
    pub broker: Arc<Broker>,
    /// Cleared on stop: ends the periodic reporter ([`RunningEmulator::report_every`]).
    reporting: Arc<std::sync::atomic::AtomicBool>,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
    /// `amqps://`, started on demand ([`RunningEmulator::amqps_endpoint`]).
    tls: std::sync::Mutex<Option<tls::TlsListener>>,
}

impl AmqpServer {
    /// Binds 127.0.0.1 on a free port and serves on a thread of its own.
    pub(crate) fn spawn(login: Login, backlog: usize) -> std::io::Result<AmqpServer> {
        let listener = std::net::TcpListener::bind(("127.0.0.1", 0))?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let broker = Arc::new(Broker::new(login, backlog));
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("tsl-emulator-amqp")
            .enable_all()
            .build()?;
        let (stop, stopped) = oneshot::channel();
        let served = broker.clone();
        let thread = std::thread::Builder::new()
            .name("tsl-emulator-amqp".to_string())
            .spawn(move || {
                runtime.block_on(async move {
                    match tokio::net::TcpListener::from_std(listener) {
                        Ok(listener) => server::serve(listener, served.clone(), stopped).await,
                        Err(_) => return,
                    }
                    // Open connections end with the runtime below; drop them first so
                    // clients see the connection go rather than hang.
                    served.drop_all();
                });
                runtime.shutdown_timeout(Duration::from_secs(1));
            })?;
        Ok(AmqpServer {
            addr,
            broker,
            reporting: Arc::new(std::sync::atomic::AtomicBool::new(true)),
            stop: Some(stop),
            thread: Some(thread),
            tls: std::sync::Mutex::new(None),
        })
    }

    /// The handle the RPC side publishes device replies with.
    pub(crate) fn uplink(&self) -> Uplink {
        Uplink {
            broker: self.broker.clone(),
        }
    }

    pub(crate) fn stop(&mut self) {
        self.reporting.store(false, Ordering::Release);
        let tls = match self.tls.get_mut() {
            Ok(tls) => tls.take(),
            Err(poisoned) => poisoned.into_inner().take(),
        };
        drop(tls);
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for AmqpServer {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Publishes what simulated devices answer to async calls (services and property sets made
/// through the RPC API), as the platform forwards it: a `thing/downlink/reply/message` whose
/// `requestId` is the call's `MessageId`.
pub(crate) struct Uplink {
    broker: Arc<Broker>,
}

impl crate::emulator::state::ReplySink for Uplink {
    fn publish_reply(
        &self,
        product_key: &str,
        device_name: &str,
        request: &crate::alink::Request,
        reply: &crate::alink::Reply,
    ) {
        let service = request
            .method
            .strip_prefix("thing.service.")
            .unwrap_or(&request.method);
        let suffix = if service == "property.set" {
            "property/set_reply".to_string()
        } else {
            format!("{service}_reply")
        };
        self.broker.publish(reply_message(
            product_key,
            device_name,
            &request.id,
            &suffix,
            reply.code,
            reply.message.as_deref(),
            &reply.data,
        ));
    }
}

impl RunningEmulator {
    fn amqp_server(&self) -> Result<&AmqpServer, EmulatorError> {
        self.amqp.as_ref().ok_or(EmulatorError::NoSubscription)
    }

    /// The subscription over TLS, `amqps://127.0.0.1:PORT`, with the self-signed
    /// certificate (DER) a client must trust to connect: a second listener on the same
    /// consumer groups, started on the first call (later calls return the same).
    ///
    /// # Errors
    /// [`EmulatorError::NoSubscription`] without a consumer group; [`EmulatorError::Io`]
    /// when the certificate or the listener cannot be made.
    pub fn amqps_endpoint(&self) -> Result<(String, Vec<u8>), EmulatorError> {
        let server = self.amqp_server()?;
        let mut tls = server
            .tls
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if tls.is_none() {
            let listener = tls::TlsListener::spawn(server.broker.clone())
                .map_err(|e| EmulatorError::Io(std::io::Error::other(e)))?;
            *tls = Some(listener);
        }
        let listener = tls.as_ref().ok_or(EmulatorError::NoSubscription)?;
        Ok((
            format!("amqps://{}", listener.addr),
            listener.certificate.clone(),
        ))
    }

    /// The subscription endpoint, `amqp://127.0.0.1:PORT`, when a consumer group was
    /// configured (see also [`RunningEmulator::amqps_endpoint`]).
    pub fn amqp_endpoint(&self) -> Option<String> {
        self.amqp.as_ref().map(|s| format!("amqp://{}", s.addr))
    }

    /// What the subscription endpoint has done so far.
    ///
    /// # Errors
    /// [`EmulatorError::NoSubscription`] without a consumer group.
    pub fn amqp_stats(&self) -> Result<AmqpStats, EmulatorError> {
        Ok(self.amqp_server()?.broker.stats())
    }

    /// Publishes a message to every consumer group, as is: any topic, any body.
    ///
    /// # Errors
    /// [`EmulatorError::NoSubscription`] without a consumer group.
    pub fn publish(&self, message: UplinkMessage) -> Result<(), EmulatorError> {
        self.amqp_server()?.broker.publish(message);
        Ok(())
    }

    /// Drops the connection that makes the `n`-th delivery from now (`n >= 1`), right after
    /// sending it: what that client had not accepted is delivered again.
    ///
    /// # Errors
    /// [`EmulatorError::NoSubscription`] without a consumer group.
    pub fn drop_amqp_after(&self, n: u32) -> Result<(), EmulatorError> {
        let broker = &self.amqp_server()?.broker;
        broker.drop_after.store(n.max(1), Ordering::Release);
        broker.drop_armed.store(true, Ordering::Release);
        Ok(())
    }

    /// Drops every open subscription connection now; returns how many.
    ///
    /// # Errors
    /// [`EmulatorError::NoSubscription`] without a consumer group.
    pub fn drop_amqp_connections(&self) -> Result<usize, EmulatorError> {
        Ok(self.amqp_server()?.broker.drop_all())
    }
}
