//! The AMQP listener: SASL login, one session, one receiver link (a sender on this side),
//! and the delivery loop of one client.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use fe2o3_amqp::acceptor::{ConnectionAcceptor, LinkAcceptor, LinkEndpoint, SessionAcceptor};
use fe2o3_amqp::link::Sender;
use fe2o3_amqp::types::messaging::{ApplicationProperties, Message as AmqpMessage, Outcome};
use fe2o3_amqp::types::primitives::{Binary, SimpleValue};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;

use super::broker::{Broker, Group, Pending};
use super::sasl::Verifier;
use crate::emulator::state::lock;

/// How long a client has to open its receiver link after connecting (the platform: 15 s).
pub(crate) const LINK_DEADLINE: Duration = Duration::from_secs(15);

/// How many clients one consumer group serves at once (the platform: 64).
pub(crate) const MAX_CLIENTS_PER_GROUP: usize = 64;

static CONNECTION_NUMBER: AtomicU64 = AtomicU64::new(1);

pub(crate) async fn serve(
    listener: TcpListener,
    broker: Arc<Broker>,
    mut stop: oneshot::Receiver<()>,
) {
    loop {
        tokio::select! {
            _ = &mut stop => return,
            accepted = listener.accept() => {
                if let Ok((tcp, _)) = accepted {
                    tokio::spawn(connection(tcp, broker.clone()));
                }
            }
        }
    }
}

/// [`serve`] over TLS: each connection's handshake first (a failed one just ends it).
pub(crate) async fn serve_tls(
    listener: TcpListener,
    broker: Arc<Broker>,
    acceptor: tokio_rustls::TlsAcceptor,
    mut stop: oneshot::Receiver<()>,
) {
    loop {
        tokio::select! {
            _ = &mut stop => {
                broker.drop_all();
                return;
            }
            accepted = listener.accept() => {
                if let Ok((tcp, _)) = accepted {
                    tokio::spawn(connection_tls(tcp, broker.clone(), acceptor.clone()));
                }
            }
        }
    }
}

async fn connection_tls(tcp: TcpStream, broker: Arc<Broker>, acceptor: tokio_rustls::TlsAcceptor) {
    let _ = tcp.set_nodelay(true);
    let Ok(std_stream) = tcp.into_std() else {
        return;
    };
    let Ok(kill) = std_stream.try_clone() else {
        return;
    };
    let Ok(tcp) = TcpStream::from_std(std_stream) else {
        return;
    };
    let Ok(tls) = acceptor.accept(tcp).await else {
        return;
    };
    let number = CONNECTION_NUMBER.fetch_add(1, Ordering::Relaxed);
    lock(&broker.connections).insert(number, kill);
    serve_client(tls, &broker, number).await;
    if let Some(socket) = lock(&broker.connections).remove(&number) {
        let _ = socket.shutdown(std::net::Shutdown::Both);
    }
}

async fn connection(tcp: TcpStream, broker: Arc<Broker>) {
    let _ = tcp.set_nodelay(true);
    // A second handle on the socket, to drop the connection on purpose (faults, shutdown).
    let Ok(std_stream) = tcp.into_std() else {
        return;
    };
    let Ok(kill) = std_stream.try_clone() else {
        return;
    };
    let Ok(tcp) = TcpStream::from_std(std_stream) else {
        return;
    };
    let number = CONNECTION_NUMBER.fetch_add(1, Ordering::Relaxed);
    lock(&broker.connections).insert(number, kill);
    serve_client(tcp, &broker, number).await;
    if let Some(socket) = lock(&broker.connections).remove(&number) {
        let _ = socket.shutdown(std::net::Shutdown::Both);
    }
}

async fn serve_client<Io>(tcp: Io, broker: &Arc<Broker>, number: u64)
where
    Io: tokio::io::AsyncRead + tokio::io::AsyncWrite + std::fmt::Debug + Send + Unpin + 'static,
{
    let verifier = Verifier::new(broker.login.clone(), broker.counters.refused.clone());
    let acceptor = ConnectionAcceptor::builder()
        .container_id("tsl-emulator")
        .sasl_acceptor(verifier.clone())
        .build();
    // A refused login was counted by the verifier; other failures (no SASL, bad frames) are
    // not logins.
    let Ok(mut connection) = acceptor.accept(tcp).await else {
        return;
    };
    let client = lock(&verifier.result).clone();
    let Some(Ok(client)) = client else {
        let _ = connection.close().await;
        return;
    };
    let Some(group) = broker.groups.get(&client.group).cloned() else {
        let _ = connection.close().await;
        return;
    };
    let attached = tokio::time::timeout(LINK_DEADLINE, async {
        let mut session = SessionAcceptor::new().accept(&mut connection).await.ok()?;
        match LinkAcceptor::new().accept(&mut session).await.ok()? {
            LinkEndpoint::Sender(sender) => Some((session, sender)),
            // Sender links from the client are not allowed.
            LinkEndpoint::Receiver(_) => None,
        }
    })
    .await;
    let Ok(Some((mut session, sender))) = attached else {
        let _ = connection.close().await;
        return;
    };
    if group.clients.fetch_add(1, Ordering::AcqRel) >= MAX_CLIENTS_PER_GROUP {
        group.clients.fetch_sub(1, Ordering::AcqRel);
        let _ = connection.close().await;
        return;
    }
    broker.counters.connections.fetch_add(1, Ordering::Relaxed);
    deliver(sender, &group, broker, number).await;
    group.clients.fetch_sub(1, Ordering::AcqRel);
    let _ = session.end().await;
    let _ = connection.close().await;
}

/// Sends the group's messages until the link or connection ends; then everything this
/// client had not accepted goes back to the group.
async fn deliver(mut sender: Sender, group: &Arc<Group>, broker: &Arc<Broker>, number: u64) {
    let in_flight: Arc<Mutex<HashMap<u64, Pending>>> = Arc::default();
    let mut waiters: Vec<tokio::task::JoinHandle<()>> = Vec::new();
    // Whether the client closed its link itself (its outcomes then all arrived first).
    let mut clean = false;
    loop {
        waiters.retain(|w| !w.is_finished());
        let pending = tokio::select! {
            pending = group.next() => pending,
            detached = sender.on_detach() => {
                // `DetachedByRemote` is deprecated but still what `on_detach` returns for a
                // detach without close (fe2o3-amqp 0.18).
                #[allow(deprecated)]
                let by_client = matches!(
                    detached,
                    fe2o3_amqp::link::DetachError::ClosedByRemote
                        | fe2o3_amqp::link::DetachError::DetachedByRemote
                );
                clean = by_client;
                break;
            }
        };
        let message = amqp_message(&pending);
        lock(&in_flight).insert(pending.seq, pending.clone());
        broker.counters.in_flight.fetch_add(1, Ordering::Relaxed);
        let seq = pending.seq;
        match sender.send_batchable(message).await {
            Ok(outcome) => {
                broker.counters.deliveries.fetch_add(1, Ordering::Relaxed);
                let (group, broker, in_flight) = (group.clone(), broker.clone(), in_flight.clone());
                waiters.push(tokio::spawn(async move {
                    let outcome = outcome.await;
                    let entry = lock(&in_flight).remove(&seq);
                    if entry.is_some() {
                        broker.counters.in_flight.fetch_sub(1, Ordering::Relaxed);
                    }
                    match outcome {
                        Ok(Outcome::Accepted(_)) => {
                            broker.counters.accepted.fetch_add(1, Ordering::Relaxed);
                        }
                        // Rejected: the client says the message can never be processed.
                        Ok(Outcome::Rejected(_)) => {
                            broker.counters.rejected.fetch_add(1, Ordering::Relaxed);
                        }
                        Ok(_) => {
                            if let Some(pending) = entry {
                                broker.counters.released.fetch_add(1, Ordering::Relaxed);
                                broker.counters.redelivered.fetch_add(1, Ordering::Relaxed);
                                group.requeue(pending);
                            }
                        }
                        Err(_) => {
                            if let Some(pending) = entry {
                                broker.counters.redelivered.fetch_add(1, Ordering::Relaxed);
                                group.requeue(pending);
                            }
                        }
                    }
                }));
            }
            Err(_) => break,
        }
        if broker.should_drop_now() {
            if let Some(socket) = lock(&broker.connections).get(&number) {
                let _ = socket.shutdown(std::net::Shutdown::Both);
            }
            break;
        }
    }
    // After a clean close the outcomes that arrived before the detach are counted as such
    // (accepted, not redelivered); after a drop, whatever was unsettled goes back now.
    if clean {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(2);
        for waiter in waiters {
            let _ = tokio::time::timeout_at(deadline, waiter).await;
        }
    }
    let left: Vec<Pending> = lock(&in_flight).drain().map(|(_, p)| p).collect();
    for pending in left {
        broker.counters.in_flight.fetch_sub(1, Ordering::Relaxed);
        broker.counters.redelivered.fetch_add(1, Ordering::Relaxed);
        group.requeue(pending);
    }
}

fn amqp_message(pending: &Pending) -> AmqpMessage<fe2o3_amqp::types::messaging::Data> {
    let message = &pending.message;
    let properties = ApplicationProperties::builder()
        .insert("topic", SimpleValue::String(message.topic.clone()))
        .insert("messageId", SimpleValue::String(message.message_id.clone()))
        .insert("generateTime", SimpleValue::Long(message.generate_time))
        .build();
    AmqpMessage::builder()
        .application_properties(properties)
        .data(Binary::from(message.body.clone()))
        .build()
}
