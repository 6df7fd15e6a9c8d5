//! The consumer: one connection, one session, one receiver link; reconnects with jittered
//! backoff and a fresh signature after any drop (docs/subscription.md, "Delivery").

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use fe2o3_amqp::connection::OpenError;
use fe2o3_amqp::link::receiver::CreditMode;
use fe2o3_amqp::link::{ErrorRecovery, MessageDecodeError, RecvError};
use fe2o3_amqp::sasl_profile::SaslProfile;
use fe2o3_amqp::types::definitions::SenderSettleMode;
use fe2o3_amqp::types::messaging::{Body, Message as AmqpMessage};
use fe2o3_amqp::types::primitives::{SimpleValue, Value};
use fe2o3_amqp::{Connection, Receiver, Session};
use tokio::net::TcpStream;
use tracing::Instrument as _;

use super::auth::{Identity, SaslPlain, SignMethod};
use super::decode::Decoder;
use super::endpoint::Endpoint;
use super::error::SubscribeError;
use super::message::{Invalid, Kind, Message, Problem, RawMessage, Received};
use crate::sign::Credentials;

/// The platform's range for `idle-time-out` on Open (docs/subscription.md).
pub const IDLE_TIMEOUT_RANGE: (Duration, Duration) =
    (Duration::from_secs(30), Duration::from_secs(300));

/// How long one connection attempt (TCP, TLS, SASL, Open, Begin, Attach) may take before it
/// counts as failed and is retried: the platform's own deadline for the link is 15 s.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(15);

/// The source address of the receiver link, as the platform's samples name it
/// (docs/subscription.md: UNVERIFIED whether the platform reads it at all).
pub const SOURCE_ADDRESS: &str = "default";

/// A subscription to a consumer group, ready to [`Subscriber::run`].
///
/// ```no_run
/// use tsl_runtime::sign::Credentials;
/// use tsl_runtime::subscribe::{Decoder, Message, Subscriber};
///
/// # async fn demo(decoder: Decoder) -> Result<(), Box<dyn std::error::Error>> {
/// let (credentials, _source) = Credentials::default_chain()?;
/// let subscriber = Subscriber::new("amqps://123.iot-amqp.cn-shanghai.aliyuncs.com", "DEFAULT_GROUP", credentials)?
///     .iot_instance_id("iot-06z00ax1o4qy")
///     .decoder(decoder);
/// subscriber
///     .run(
///         |received| async move {
///             if let Message::PropertyPost(post) = &received.message {
///                 println!("{:?}: {} properties", received.device_name, post.items.len());
///             }
///             Ok::<(), std::io::Error>(()) // accepted; an Err leaves it for redelivery
///         },
///         // Any future: Ctrl-C, a shutdown channel; here, one hour.
///         tokio::time::sleep(std::time::Duration::from_secs(3600)),
///     )
///     .await?;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct Subscriber {
    endpoint: Endpoint,
    credentials: Credentials,
    identity: Identity,
    idle_timeout: Duration,
    credit: u32,
    backoff: (Duration, Duration),
    max_attempts: Option<u32>,
    decoder: Arc<Decoder>,
    /// Certificates (DER) trusted beside the webpki roots for `amqps://`.
    tls_roots: Vec<Vec<u8>>,
}

/// What a finished [`Subscriber::run`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Summary {
    /// Messages the handler finished and the subscriber accepted.
    pub accepted: u64,
    /// Messages the handler failed and the subscriber released for redelivery.
    pub released: u64,
    /// Messages AMQP could not decode, shown to the handler as invalid and then rejected.
    pub rejected: u64,
    /// Connections made (1 without drops).
    pub connections: u32,
}

impl Subscriber {
    /// A subscriber of `consumer_group` at `endpoint` (see [`Endpoint::parse`]), signing
    /// with `credentials`. The client ID defaults to a random one; no instance ID.
    ///
    /// # Errors
    /// [`SubscribeError::Endpoint`], or [`SubscribeError::Config`] for an empty group or a
    /// group with `|` or `,` (they would break the user name).
    pub fn new(
        endpoint: &str,
        consumer_group: impl Into<String>,
        credentials: Credentials,
    ) -> Result<Subscriber, SubscribeError> {
        let endpoint = Endpoint::parse(endpoint)?;
        let consumer_group = consumer_group.into();
        check_field("consumer group", &consumer_group, false)?;
        Ok(Subscriber {
            endpoint,
            credentials,
            identity: Identity {
                client_id: format!("tsl-rs-{}", uuid::Uuid::new_v4().simple()),
                consumer_group,
                iot_instance_id: String::new(),
                sign_method: SignMethod::default(),
            },
            idle_timeout: Duration::from_secs(60),
            credit: 32,
            backoff: (Duration::from_millis(100), Duration::from_secs(30)),
            max_attempts: None,
            decoder: Arc::new(Decoder::new()),
            tls_roots: Vec::new(),
        })
    }

    /// Trusts `certificate` (DER) as a root for `amqps://`, beside the webpki roots: a
    /// private endpoint's certificate authority, or the emulator's self-signed certificate
    /// (`RunningEmulator::amqps_endpoint`). A certificate that does not parse fails the
    /// connection attempts with a TLS error.
    #[must_use]
    pub fn tls_root_certificate(mut self, certificate: impl Into<Vec<u8>>) -> Subscriber {
        self.tls_roots.push(certificate.into());
        self
    }

    /// The `clientId`: name each process of a group differently, so the console tells them
    /// apart.
    #[must_use]
    pub fn client_id(mut self, client_id: impl Into<String>) -> Subscriber {
        self.identity.client_id = client_id.into();
        self
    }

    /// The `iotInstanceId` (Enterprise Edition and new public instances).
    #[must_use]
    pub fn iot_instance_id(mut self, id: impl Into<String>) -> Subscriber {
        self.identity.iot_instance_id = id.into();
        self
    }

    /// The password's HMAC (default `hmacsha1`).
    #[must_use]
    pub fn sign_method(mut self, method: SignMethod) -> Subscriber {
        self.identity.sign_method = method;
        self
    }

    /// `idle-time-out` on Open (default 60 s; the platform takes 30 s to 300 s).
    #[must_use]
    pub fn idle_timeout(mut self, timeout: Duration) -> Subscriber {
        self.idle_timeout = timeout;
        self
    }

    /// Link credit: how many messages may be delivered and not yet settled (default 32).
    /// The handler runs one message at a time, so this bounds what waits in memory.
    #[must_use]
    pub fn credit(mut self, credit: u32) -> Subscriber {
        self.credit = credit;
        self
    }

    /// Reconnect delays: the first, and the cap it doubles up to (default 100 ms, 30 s).
    /// Each wait is drawn uniformly between half the current delay and the delay.
    #[must_use]
    pub fn backoff(mut self, first: Duration, max: Duration) -> Subscriber {
        self.backoff = (first, max.max(first));
        self
    }

    /// Gives up after this many failed connection attempts in a row (default: never).
    #[must_use]
    pub fn max_attempts(mut self, attempts: u32) -> Subscriber {
        self.max_attempts = Some(attempts.max(1));
        self
    }

    /// Decodes with these models (default: none, every message is [`super::Message::Other`]).
    #[must_use]
    pub fn decoder(mut self, decoder: Decoder) -> Subscriber {
        self.decoder = Arc::new(decoder);
        self
    }

    /// The endpoint.
    pub fn endpoint(&self) -> &Endpoint {
        &self.endpoint
    }

    /// Receives until `shutdown` completes: each message is decoded and given to `handler`;
    /// it is accepted when the handler returns `Ok`, released (left for redelivery) when it
    /// returns `Err`. A dropped connection is reopened after a jittered backoff with a fresh
    /// signature; messages not yet accepted are redelivered by the server. On shutdown the
    /// message in the handler is finished and accepted, the link, session and connection are
    /// closed, and what was delivered but not handled is left unsettled for redelivery.
    ///
    /// # Errors
    /// [`SubscribeError::Refused`] when the login is refused (not retried),
    /// [`SubscribeError::Unreachable`] after [`Subscriber::max_attempts`] failures in a row,
    /// [`SubscribeError::Config`] for an idle timeout outside the platform's range or a
    /// client ID or instance ID that would break the user name.
    pub async fn run<H, F, E>(
        self,
        mut handler: H,
        shutdown: impl Future<Output = ()>,
    ) -> Result<Summary, SubscribeError>
    where
        H: FnMut(Received) -> F,
        F: Future<Output = Result<(), E>>,
        E: std::fmt::Display,
    {
        self.check()?;
        // docs/observability.md: the span names the endpoint, group and client; the SASL
        // user name and password are never recorded.
        let span = tracing::info_span!(
            "tsl.subscribe",
            endpoint = %self.endpoint,
            consumer_group = self.identity.consumer_group.as_str(),
            client_id = self.identity.client_id.as_str(),
        );
        self.receive(&mut handler, shutdown).instrument(span).await
    }

    /// The loop of [`Subscriber::run`], inside its span.
    async fn receive<H, F, E>(
        &self,
        handler: &mut H,
        shutdown: impl Future<Output = ()>,
    ) -> Result<Summary, SubscribeError>
    where
        H: FnMut(Received) -> F,
        F: Future<Output = Result<(), E>>,
        E: std::fmt::Display,
    {
        let mut summary = Summary::default();
        let mut shutdown = std::pin::pin!(shutdown);
        let mut failures = 0u32;
        let mut delay = self.backoff.0;
        loop {
            let attempt = tokio::select! {
                biased;
                () = &mut shutdown => return Ok(summary),
                attempt = tokio::time::timeout(CONNECT_TIMEOUT, self.connect()) => match attempt {
                    Ok(attempt) => attempt,
                    Err(_) => Err(Failure::Retry(format!(
                        "no connection within {} s",
                        CONNECT_TIMEOUT.as_secs()
                    ))),
                },
            };
            let (mut connection, mut session, mut receiver) = match attempt {
                Ok(parts) => parts,
                Err(Failure::Fatal(err)) => {
                    tracing::error!(error = %err, "subscription refused");
                    return Err(err);
                }
                Err(Failure::Retry(last)) => {
                    failures += 1;
                    if self.max_attempts.is_some_and(|max| failures >= max) {
                        return Err(SubscribeError::Unreachable {
                            endpoint: self.endpoint.to_string(),
                            attempts: failures,
                            last,
                        });
                    }
                    let wait = jitter(delay);
                    delay = (delay * 2).min(self.backoff.1);
                    tracing::warn!(
                        attempt = failures,
                        error = last.as_str(),
                        retry_in_ms = wait.as_millis() as u64,
                        "cannot connect; retrying"
                    );
                    tokio::select! {
                        biased;
                        () = &mut shutdown => return Ok(summary),
                        () = tokio::time::sleep(wait) => continue,
                    }
                }
            };
            failures = 0;
            delay = self.backoff.0;
            summary.connections += 1;
            tracing::info!(connection = summary.connections, "receiver link open");
            let stopped = loop {
                let delivery = tokio::select! {
                    biased;
                    () = &mut shutdown => break true,
                    delivery = receiver.recv::<Body<Value>>() => delivery,
                };
                let delivery = match delivery {
                    Ok(delivery) => delivery,
                    // A message AMQP itself cannot decode: the handler still sees it (as
                    // invalid); once it returns Ok the message is rejected, since another
                    // delivery could not be read either and would come back forever.
                    Err(RecvError::MessageDecode(error)) => {
                        let received = undecodable(&error);
                        let settled = match handler(received).await {
                            Ok(()) => {
                                summary.rejected += 1;
                                receiver.reject(error.info, None).await
                            }
                            Err(_) => {
                                summary.released += 1;
                                receiver.release(error.info).await
                            }
                        };
                        if settled.is_err() {
                            break false;
                        }
                        continue;
                    }
                    Err(error) if error.recovery() == ErrorRecovery::UseLink => continue,
                    Err(_) => break false,
                };
                let raw = raw_message(delivery.message());
                let received = self.decoder.decode(&raw);
                tracing::debug!(
                    topic = received.topic.as_str(),
                    message_id = received.message_id.as_str(),
                    kind = received.message.kind().as_str(),
                    "message received"
                );
                // The handler finishes even if shutdown comes meanwhile: what it finished is
                // settled, so it is not handled twice.
                let settled = match handler(received).await {
                    Ok(()) => {
                        summary.accepted += 1;
                        receiver.accept(&delivery).await
                    }
                    Err(error) => {
                        tracing::info!(%error, "handler failed; message released for redelivery");
                        summary.released += 1;
                        receiver.release(&delivery).await
                    }
                };
                if settled.is_err() {
                    break false;
                }
            };
            if stopped {
                // Best effort: the server drops what we leave unsettled either way.
                let _ = receiver.close().await;
                let _ = session.end().await;
                let _ = connection.close().await;
                return Ok(summary);
            }
            tracing::warn!("connection lost; reconnecting");
            drop(receiver);
            let _ = session.end().await;
            let _ = connection.close().await;
            let wait = jitter(delay);
            delay = (delay * 2).min(self.backoff.1);
            tokio::select! {
                biased;
                () = &mut shutdown => return Ok(summary),
                () = tokio::time::sleep(wait) => {}
            }
        }
    }

    fn check(&self) -> Result<(), SubscribeError> {
        let (min, max) = IDLE_TIMEOUT_RANGE;
        if self.idle_timeout < min || self.idle_timeout > max {
            return Err(SubscribeError::Config(format!(
                "idle timeout {} ms is outside the platform's 30000..=300000 ms",
                self.idle_timeout.as_millis()
            )));
        }
        if self.credit == 0 {
            return Err(SubscribeError::Config(
                "link credit 0 would never receive a message".into(),
            ));
        }
        check_field("client ID", &self.identity.client_id, false)?;
        check_field("IoT instance ID", &self.identity.iot_instance_id, true)?;
        Ok(())
    }

    async fn connect(&self) -> Result<Parts, Failure> {
        let sasl = SaslPlain::now(&self.identity, &self.credentials);
        let username = sasl.username.clone();
        let tcp = TcpStream::connect((self.endpoint.host.as_str(), self.endpoint.port))
            .await
            .map_err(|e| Failure::Retry(format!("TCP connect: {e}")))?;
        let _ = tcp.set_nodelay(true);
        let builder = Connection::builder()
            .container_id(self.identity.client_id.clone())
            .hostname(self.endpoint.host.as_str())
            .scheme("amqp")
            .idle_time_out(self.idle_timeout.as_millis() as u32)
            .sasl_profile(SaslProfile::Plain {
                username: sasl.username,
                password: sasl.password,
            });
        let opened = if self.endpoint.tls {
            let tls = super::tls::connect(&self.endpoint.host, tcp, &self.tls_roots)
                .await
                .map_err(Failure::Retry)?;
            builder.open_with_stream(tls).await
        } else {
            builder.open_with_stream(tcp).await
        };
        let mut connection = opened.map_err(|e| open_failure(e, username))?;
        let mut session = Session::begin(&mut connection)
            .await
            .map_err(|e| Failure::Retry(format!("begin session: {e}")))?;
        let receiver = Receiver::builder()
            .name(format!("{}-receiver", self.identity.client_id))
            .source(SOURCE_ADDRESS)
            .sender_settle_mode(SenderSettleMode::Unsettled)
            .credit_mode(CreditMode::Auto(self.credit))
            .auto_accept(false)
            .attach(&mut session)
            .await
            .map_err(|e| Failure::Retry(format!("attach receiver link: {e}")))?;
        Ok((connection, session, receiver))
    }
}

type Parts = (
    fe2o3_amqp::connection::ConnectionHandle<()>,
    fe2o3_amqp::session::SessionHandle<()>,
    Receiver,
);

enum Failure {
    Fatal(SubscribeError),
    Retry(String),
}

/// A SASL refusal is final; anything else (network, server restarting) is retried. The
/// refusal's text is the server's additional data, never the password.
fn open_failure(error: OpenError, username: String) -> Failure {
    match error {
        OpenError::SaslError {
            code,
            additional_data,
        } => Failure::Fatal(SubscribeError::Refused {
            code: format!("{code:?}").to_lowercase(),
            username,
            reason: additional_data.map(|data| String::from_utf8_lossy(&data).into_owned()),
        }),
        other => Failure::Retry(format!("open: {other}")),
    }
}

fn check_field(what: &str, value: &str, may_be_empty: bool) -> Result<(), SubscribeError> {
    if value.is_empty() && !may_be_empty {
        return Err(SubscribeError::Config(format!("the {what} is empty")));
    }
    if value.contains(['|', ',', '=']) {
        return Err(SubscribeError::Config(format!(
            "the {what} `{value}` contains `|`, `,` or `=`, which would break the SASL user name"
        )));
    }
    Ok(())
}

/// A wait between `delay / 2` and `delay`, so consumers that dropped together do not
/// reconnect together.
fn jitter(delay: Duration) -> Duration {
    let random = (uuid::Uuid::new_v4().as_u128() % 1_000_000) as u64;
    let half = delay / 2;
    half + Duration::from_nanos((half.as_nanos() as u64).saturating_mul(random) / 1_000_000)
}

/// What the handler sees of a message AMQP could not decode: no topic or ID can be read.
fn undecodable(error: &MessageDecodeError) -> Received {
    Received {
        topic: String::new(),
        message_id: String::new(),
        generate_time: None,
        product_key: None,
        device_name: None,
        message: Message::Invalid(Invalid {
            expected: Kind::Other,
            problems: vec![Problem::Shape(format!(
                "the AMQP message could not be decoded: {}",
                error.source
            ))],
            raw: String::new(),
        }),
    }
}

fn simple_text(value: &SimpleValue) -> Option<String> {
    match value {
        SimpleValue::String(s) => Some(s.clone()),
        SimpleValue::Symbol(s) => Some(s.0.clone()),
        SimpleValue::Long(n) => Some(n.to_string()),
        SimpleValue::Ulong(n) => Some(n.to_string()),
        SimpleValue::Int(n) => Some(n.to_string()),
        SimpleValue::Uint(n) => Some(n.to_string()),
        SimpleValue::Binary(b) => Some(String::from_utf8_lossy(b).into_owned()),
        _ => None,
    }
}

/// The platform's properties and body bytes from an AMQP message. The body is read from
/// data sections (what the platform sends) or, leniently, from a string or binary value.
pub(crate) fn raw_message(message: &AmqpMessage<Body<Value>>) -> RawMessage {
    let property = |key: &str| {
        message
            .application_properties
            .as_ref()
            .and_then(|p| p.0.get(key))
            .and_then(simple_text)
    };
    let body = match &message.body {
        Body::Data(batch) => batch.iter().flat_map(|d| d.0.iter().copied()).collect(),
        Body::Value(value) => match &value.0 {
            Value::String(s) => s.clone().into_bytes(),
            Value::Binary(b) => b.to_vec(),
            other => format!("{other:?}").into_bytes(),
        },
        Body::Sequence(_) | Body::Empty => Vec::new(),
    };
    RawMessage {
        topic: property("topic").unwrap_or_default(),
        message_id: property("messageId").unwrap_or_default(),
        generate_time: property("generateTime").and_then(|t| t.parse().ok()),
        body,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jitter_stays_between_half_and_whole() {
        for _ in 0..200 {
            let wait = jitter(Duration::from_millis(800));
            assert!(
                wait >= Duration::from_millis(400) && wait <= Duration::from_millis(800),
                "{wait:?}"
            );
        }
    }

    #[test]
    fn settings_outside_the_platform_range_are_refused() {
        let creds = Credentials::new("id", "secret").unwrap();
        let sub = Subscriber::new("amqp://127.0.0.1:1", "g", creds.clone()).unwrap();
        let err = sub
            .clone()
            .idle_timeout(Duration::from_secs(10))
            .check()
            .unwrap_err();
        assert!(err.to_string().contains("30000..=300000"), "{err}");
        assert!(sub.clone().credit(0).check().is_err());
        assert!(sub.clone().client_id("a|b").check().is_err());
        assert!(sub.check().is_ok());
        assert!(Subscriber::new("amqp://127.0.0.1:1", "", creds.clone()).is_err());
        assert!(Subscriber::new("amqp://10.0.0.1:1", "g", creds).is_err());
    }
}
