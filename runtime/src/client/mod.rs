//! The IoT Platform RPC API over HTTP: signed, paced to each action's QPS, retried only where
//! that cannot act twice (feature `client`, on by default).
//!
//! - [`ClientBuilder`] → [`Client`]: credentials (explicit, else the environment, else the
//!   aliyun CLI's profile file), region (`https://iot.{region}.aliyuncs.com/`) or a custom
//!   endpoint, `IotInstanceId`, STS token, [`SignatureVersion`] V1 (default) or ACS3,
//!   per-action QPS, timeouts, [`RetryPolicy`]. A `Client` is cheap to clone; clones share
//!   the connection pool and the rate windows.
//! - One call: [`Client::invoke_thing_service`] ([`InvokeThingService`] → `Invoked`),
//!   [`Client::set_device_property`] ([`SetDeviceProperty`] → `Accepted`),
//!   [`Client::query_thing_model`] ([`QueryThingModel`] → [`ThingModelJson`]),
//!   [`Client::get_thing_model_tsl`] ([`GetThingModelTsl`] → [`ThingModelTsl`]), and
//!   [`Client::call`] for any action.
//! - Many devices: [`Client::invoke_things_service`] ([`InvokeThingsService`]),
//!   [`Client::set_devices_property`] ([`SetDevicesProperty`]), [`Client::batch_pub`]
//!   ([`BatchPub`]). Names are split into calls of at most 100 unique names, run side by side
//!   at the action's QPS, and the [`BatchReport`](crate::cloud::BatchReport) accounts for
//!   every device given: accepted (with the call's `RequestId`), refused (code and message),
//!   or not attempted (a duplicate, an empty name, or a batch stopped by an error that every
//!   call would get, such as `SignatureDoesNotMatch`).
//! - A device's state (`docs/state.md`): [`Client::query_device_property_status`], the
//!   desired side with versions ([`Client::set_device_desired_property`],
//!   [`Client::query_device_desired_property`], [`Client::clear_device_desired_property`];
//!   a stale version is [`is_version_conflict`]), and history as a paging stream
//!   ([`Client::history`]); [`StateDecoder`] reads the values (sent as text) against the model.
//! - [`Client`] implements [`Cloud`](crate::cloud::Cloud) and
//!   [`DeviceState`](crate::device_state::DeviceState), which generated code calls.
//!
//! Every attempt is signed when it is sent, with a fresh `SignatureNonce` and `Timestamp`.
//! Limits are checked before anything is sent ([`Error::Refused`]): a `BatchPub` message
//! over 256 KB, an empty topic, `Args`/`Items` that are not a JSON object. Platform errors,
//! gateway (HTTP 4xx, `Code`/`Message`) and business (`Success: false`,
//! `Code`/`ErrorMessage`) alike, are [`Error::Platform`] with the code, message,
//! `RequestId` and HTTP status.
//!
//! ```no_run
//! use tsl_runtime::client::{Client, InvokeThingService, InvokeThingsService, Qos};
//! use tsl_runtime::cloud::Device;
//!
//! # async fn run() -> Result<(), tsl_runtime::Error> {
//! let client = Client::builder()
//!     .region("cn-shanghai")
//!     .iot_instance_id("iot-06z00ax1o")
//!     .build()?; // credentials: ALIBABA_CLOUD_ACCESS_KEY_ID/_SECRET, or ~/.aliyun/config.json
//!
//! // One device, a sync service: the device's Alink reply comes back in `result`.
//! let invoked = client
//!     .invoke_thing_service(
//!         &InvokeThingService::new(
//!             Device::named("a1StreetLmp", "lamp-0042"),
//!             "Blink",
//!             r#"{"Times":3,"Interval":1.0}"#,
//!         )
//!         .qos(Qos::AtLeastOnce),
//!     )
//!     .await?;
//! println!("{} {:?}", invoked.request_id, invoked.alink_reply()?.data);
//!
//! // A fleet: 100 names a call, at most 10 calls in any second.
//! let lamps: Vec<String> = (0..1050).map(|n| format!("lamp-{n:04}")).collect();
//! let report = client
//!     .invoke_things_service(&InvokeThingsService::new("a1StreetLmp", lamps, "Blink", "{}"))
//!     .await?;
//! if let Err(e) = report.write_json_lines(std::io::stdout().lock()) {
//!     eprintln!("cannot print the report: {e}");
//! }
//! # Ok(())
//! # }
//! ```

mod answer;
mod batch;
mod builder;
mod control;
mod history;
mod http1;
mod limiter;
mod name_set;
mod ops;
mod original_status;
mod plain;
mod properties_history;
mod retry;
mod state;
mod state_decode;
mod typed_history;

use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tracing::Instrument as _;

pub use answer::Answer;
pub use batch::{BatchCall, BatchSink, BatchTally, Plan, Planned, MAX_NAMES};
pub use builder::{
    redact_userinfo, ClientBuilder, SignatureVersion, DEFAULT_MAX_QUERY, PLATFORM_SYNC_WAIT,
};
pub use control::BatchControl;
pub use history::{HistoryQuery, HistoryRecord, HistorySource};
pub use limiter::DEFAULT_QPS;
pub use name_set::NameSet;
pub use ops::{
    BatchPub, GetThingModelTsl, InvokeThingService, InvokeThingsService, Qos, QueryThingModel,
    SetDeviceProperty, SetDevicesProperty, ThingModelJson, ThingModelTsl, MAX_MESSAGE_BYTES,
};
pub use original_status::ORIGINAL_STATUS_ACTION;
pub use properties_history::{PropertiesQuery, PROPERTIES_DATA_ACTION};
pub use retry::RetryPolicy;
pub use state::{
    is_version_conflict, DesiredList, DesiredProperty, DesiredVersions, PropertyStatus,
    PropertyStatusList, SetDeviceDesiredProperty, DESIRED_VERSION_CONFLICT,
};
pub use state_decode::{
    record_json, value_json, DecodedRecord, DecodedValue, StateDecoder, StateProblem,
};
pub use typed_history::{ServiceCall, Typed, TypedHistory};

use crate::error::Error;
use crate::sign::{
    acs3_headers, canonical_query, percent_encode, sign_acs3, sign_rpc_v1_pairs, timestamp_now,
    CommonParams, CredentialSource, Credentials, NonceSequence, DEFAULT_API_VERSION,
};
use limiter::Limiter;

/// A client of the IoT Platform RPC API. Cheap to clone: clones share the connection pool
/// and the rate windows, so every call through any of them counts against one limit.
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    http: reqwest::Client,
    /// The transport of an `http://` endpoint (reqwest carries `https://` ones).
    plain: Option<plain::Plain>,
    credentials: Credentials,
    source: CredentialSource,
    endpoint: String,
    /// The endpoint parsed once: each call sets only its query on a copy, rather than
    /// parsing the whole URL again (issue 17).
    endpoint_url: reqwest::Url,
    /// `host[:port]` of the endpoint, as the `Host` header carries it (ACS3 signs it).
    host: String,
    region: Option<String>,
    iot_instance_id: Option<String>,
    signature: SignatureVersion,
    limiter: Limiter,
    timeout: Duration,
    invoke_timeout: Duration,
    retry: RetryPolicy,
    max_in_flight: usize,
    batch_size: usize,
    /// The longest query sent in the URL; longer ones go in a form body.
    max_query: usize,
    nonces: NonceSequence,
}

impl fmt::Debug for Client {
    /// The endpoint, the AccessKey ID and where it came from; never the secret or a token.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = &self.inner;
        f.debug_struct("Client")
            .field("endpoint", &inner.endpoint)
            .field("access_key_id", &inner.credentials.access_key_id())
            .field("sts", &inner.credentials.security_token().is_some())
            .field("credentials_from", &inner.source.to_string())
            .field("iot_instance_id", &inner.iot_instance_id)
            .field("signature", &inner.signature)
            .finish_non_exhaustive()
    }
}

/// A request ready to send: what `--dry-run` prints. `Debug` hides an STS token.
#[derive(Clone, PartialEq, Eq)]
pub struct SignedCall {
    /// `POST`.
    pub method: &'static str,
    /// The whole URL, signed query included.
    pub url: String,
    /// Headers to send: the ACS3 signature's, and the form type when the parameters travel
    /// in the body.
    pub headers: Vec<(String, String)>,
    /// The form body: the parameters of a request too long for a URL; empty otherwise.
    pub body: String,
}

/// The form body's type.
const FORM: (&str, &str) = ("content-type", "application/x-www-form-urlencoded");

impl SignedCall {
    /// The URL with an STS `SecurityToken`'s value shown as `***`: what to print.
    pub fn redacted_url(&self) -> String {
        redact_token(&self.url)
    }

    /// The form body with an STS `SecurityToken`'s value shown as `***`.
    pub fn redacted_body(&self) -> String {
        let redacted = redact_token(&format!("?{}", self.body));
        redacted.strip_prefix('?').unwrap_or(&redacted).to_string()
    }

    /// The headers, with an STS token's value shown as `***`.
    pub fn redacted_headers(&self) -> Vec<(&str, &str)> {
        self.headers
            .iter()
            .map(|(name, value)| {
                let shown = if name.eq_ignore_ascii_case("x-acs-security-token") {
                    "***"
                } else {
                    value.as_str()
                };
                (name.as_str(), shown)
            })
            .collect()
    }
}

impl fmt::Debug for SignedCall {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SignedCall")
            .field("method", &self.method)
            .field("url", &self.redacted_url())
            .field("headers", &self.redacted_headers())
            .field("body", &self.redacted_body())
            .finish()
    }
}

fn redact_token(url: &str) -> String {
    let Some((base, query)) = url.split_once('?') else {
        return url.to_string();
    };
    let query: Vec<&str> = query
        .split('&')
        .map(|pair| {
            if pair.starts_with("SecurityToken=") {
                "SecurityToken=***"
            } else {
                pair
            }
        })
        .collect();
    format!("{base}?{}", query.join("&"))
}

/// Why a call of a batch was not made.
pub(crate) enum Sent {
    /// It was made (perhaps several times); how it ended.
    Done(Result<Answer, Error>),
    /// The batch was stopped before it went out.
    Stopped(String),
}

impl Client {
    /// A builder with every default.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::new()
    }

    /// The endpoint requests go to.
    pub fn endpoint(&self) -> &str {
        &self.inner.endpoint
    }

    /// Where the credentials came from.
    pub fn credential_source(&self) -> &CredentialSource {
        &self.inner.source
    }

    /// Devices per call of a batch.
    pub fn batch_size(&self) -> usize {
        self.inner.batch_size
    }

    /// The limit of `action` per rate window, if it has one.
    pub fn qps(&self, action: &str) -> Option<usize> {
        self.inner.limiter.limit(action)
    }

    /// Calls `action` with `params` (the action's own; the common ones, `Action` and
    /// `IotInstanceId` are added): within the action's QPS, signed afresh for each attempt,
    /// retried as the [`RetryPolicy`] allows.
    ///
    /// # Errors
    /// [`Error::Platform`] with the platform's code, message and `RequestId`;
    /// [`Error::Timeout`], [`Error::Transport`], [`Error::BadAnswer`].
    pub async fn call(&self, action: &str, params: &[(&str, &str)]) -> Result<Answer, Error> {
        match self.call_unless(action, params, None).await {
            Sent::Done(result) => result,
            Sent::Stopped(reason) => Err(Error::Refused(reason)),
        }
    }

    /// Signs `action` with `params` as [`Client::call`] would send it, without sending: the
    /// first thing to look at when a signature is refused.
    ///
    /// # Errors
    /// [`Error::Credentials`] if ACS3 refuses a header.
    pub fn sign(&self, action: &str, params: &[(&str, &str)]) -> Result<SignedCall, Error> {
        let inner = &self.inner;
        let nonce = inner.nonces.next_nonce();
        let timestamp = timestamp_now();
        let mut pairs: Vec<(&str, &str)> = Vec::with_capacity(params.len() + 11);
        pairs.push(("Action", action));
        pairs.extend_from_slice(params);
        if let Some(id) = &inner.iot_instance_id {
            pairs.push(("IotInstanceId", id));
        }
        match inner.signature {
            SignatureVersion::V1 => {
                let mut common = CommonParams::new(&inner.credentials, nonce, timestamp);
                if let Some(region) = &inner.region {
                    common = common.region_id(region.clone());
                }
                pairs.extend(common.pairs());
                // V1 signs the parameters wherever they travel (the gateway merges query and
                // form body), so a long request moves them all into the body.
                let signed = sign_rpc_v1_pairs("POST", &pairs, &inner.credentials);
                Ok(if signed.query.len() <= inner.max_query {
                    SignedCall {
                        method: "POST",
                        url: format!("{}?{}", inner.endpoint, signed.query),
                        headers: Vec::new(),
                        body: String::new(),
                    }
                } else {
                    SignedCall {
                        method: "POST",
                        url: inner.endpoint.clone(),
                        headers: vec![(FORM.0.to_string(), FORM.1.to_string())],
                        body: signed.query,
                    }
                })
            }
            SignatureVersion::Acs3 => {
                // ACS3 carries the action, version, time and nonce in headers.
                let params: Vec<(String, String)> = pairs[1..]
                    .iter()
                    .chain(inner.region.as_deref().map(|r| ("RegionId", r)).iter())
                    .map(|&(name, value)| (name.to_string(), value.to_string()))
                    .collect();
                let mut headers =
                    acs3_headers(&inner.host, action, DEFAULT_API_VERSION, &timestamp, &nonce);
                let in_query = canonical_query(&params);
                let (query, body) = if in_query.len() <= inner.max_query {
                    (params, String::new())
                } else {
                    // The body is hashed into the signature; its type is a signed header.
                    headers.push((FORM.0.to_string(), FORM.1.to_string()));
                    (Vec::new(), in_query)
                };
                let signed = sign_acs3(
                    "POST",
                    &query,
                    &headers,
                    body.as_bytes(),
                    &inner.credentials,
                )?;
                let url = if signed.query.is_empty() {
                    inner.endpoint.clone()
                } else {
                    format!("{}?{}", inner.endpoint, signed.query)
                };
                Ok(SignedCall {
                    method: "POST",
                    url,
                    headers: signed.headers,
                    body,
                })
            }
        }
    }

    /// [`Client::call`], unless the batch's controls (the caller's, the batch's own) are
    /// stopped when an attempt is about to go out. `sent` is set while an attempt may have
    /// reached the platform, and cleared when a failure shows it did not.
    ///
    /// Runs in a `tsl.call` span (docs/observability.md): the action, the attempts, the time
    /// spent waiting for a QPS slot, the answer's `RequestId` and the outcome.
    pub(crate) async fn call_unless(
        &self,
        action: &str,
        params: &[(&str, &str)],
        batch: Option<(&BatchControl, &BatchControl, &AtomicBool)>,
    ) -> Sent {
        let span = tracing::debug_span!(
            "tsl.call",
            action,
            attempts = tracing::field::Empty,
            qps_wait_ms = tracing::field::Empty,
            request_id = tracing::field::Empty,
            outcome = tracing::field::Empty,
        );
        let started = Instant::now();
        let mut waited = Duration::ZERO;
        let mut attempts = 0;
        let sent = self
            .call_attempts(action, params, batch, &mut waited, &mut attempts)
            .instrument(span.clone())
            .await;
        span.record("attempts", attempts);
        span.record("qps_wait_ms", waited.as_millis() as u64);
        let elapsed_ms = started.elapsed().as_millis() as u64;
        let _entered = span.enter();
        match &sent {
            Sent::Done(Ok(answer)) => {
                span.record("request_id", answer.request_id.as_str());
                span.record("outcome", "ok");
                tracing::debug!(elapsed_ms, "answered");
            }
            Sent::Done(Err(error)) => {
                if let Some(id) = error.request_id() {
                    span.record("request_id", id);
                }
                span.record("outcome", error.label());
                // The error's text: platform messages are scrubbed of any STS token
                // (`Client::scrub`), and transport errors carry no URL.
                tracing::debug!(elapsed_ms, %error, "failed");
            }
            Sent::Stopped(reason) => {
                span.record("outcome", "stopped");
                tracing::debug!(
                    elapsed_ms,
                    reason = reason.as_str(),
                    "not sent: batch stopped"
                );
            }
        }
        sent
    }

    /// The attempts of [`Client::call_unless`], counting them and the QPS wait.
    async fn call_attempts(
        &self,
        action: &str,
        params: &[(&str, &str)],
        batch: Option<(&BatchControl, &BatchControl, &AtomicBool)>,
        waited: &mut Duration,
        attempts: &mut u32,
    ) -> Sent {
        let inner = &self.inner;
        let stopped =
            || batch.and_then(|(caller, own, _)| caller.stopped().or_else(|| own.stopped()));
        let mut attempt = 1;
        loop {
            *attempts = attempt;
            if let Some(reason) = stopped() {
                return Sent::Stopped(reason);
            }
            let queued = Instant::now();
            let permit = match batch {
                // A stop ends the wait for a slot: nothing has gone out.
                Some((caller, own, _)) => tokio::select! {
                    permit = inner.limiter.acquire(action) => permit,
                    reason = caller.wait_stopped() => return Sent::Stopped(reason),
                    reason = own.wait_stopped() => return Sent::Stopped(reason),
                },
                None => inner.limiter.acquire(action).await,
            };
            let queue_time = queued.elapsed();
            *waited += queue_time;
            if queue_time >= Duration::from_millis(1) {
                tracing::trace!(
                    waited_ms = queue_time.as_millis() as u64,
                    "waited for a QPS slot"
                );
            }
            if let Some(reason) = stopped() {
                return Sent::Stopped(reason);
            }
            if let Some((_, _, sent)) = batch {
                sent.store(true, Ordering::SeqCst);
            }
            let result = self.attempt(action, params).await;
            drop(permit);
            match result {
                Err(error)
                    if attempt < inner.retry.max_attempts
                        && retry::should_retry(action, &error) =>
                {
                    // Retried only when the failure shows nothing was run (throttling, no
                    // connection), so the request has not reached the platform after all.
                    if let Some((_, _, sent)) = batch {
                        if !retry::is_read_only(action) {
                            sent.store(false, Ordering::SeqCst);
                        }
                    }
                    let delay = inner.retry.delay(attempt);
                    tracing::info!(
                        attempt,
                        error = error.label(),
                        request_id = error.request_id().unwrap_or(""),
                        delay_ms = delay.as_millis() as u64,
                        "retrying"
                    );
                    tokio::time::sleep(delay).await;
                    attempt += 1;
                }
                result => return Sent::Done(result),
            }
        }
    }

    /// One attempt: sign now, send, read the answer.
    async fn attempt(&self, action: &str, params: &[(&str, &str)]) -> Result<Answer, Error> {
        let inner = &self.inner;
        let timeout = if action == "InvokeThingService" {
            inner.invoke_timeout
        } else {
            inner.timeout
        };
        let signed = self.sign(action, params)?;
        let query = signed.url.split_once('?').map(|(_, query)| query);
        let (status, body) = match &inner.plain {
            Some(plain) => {
                plain
                    .post(query, &signed.headers, signed.body, timeout)
                    .await?
            }
            None => {
                let mut url = inner.endpoint_url.clone();
                url.set_query(query);
                let mut request = inner
                    .http
                    .post(url)
                    .timeout(timeout)
                    .header(reqwest::header::ACCEPT, "application/json")
                    .body(signed.body);
                for (name, value) in &signed.headers {
                    request = request.header(name.as_str(), value.as_str());
                }
                let response = request
                    .send()
                    .await
                    .map_err(|e| transport_error(e, timeout))?;
                let status = response.status().as_u16();
                let body = response
                    .bytes()
                    .await
                    .map_err(|e| transport_error(e, timeout))?;
                (status, Vec::from(body))
            }
        };
        let text = String::from_utf8(body)
            .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned());
        answer::read(status, text).map_err(|e| self.scrub(e))
    }

    /// Replaces the STS token in an error by `***`: a gateway's `SignatureDoesNotMatch`
    /// quotes its string to sign, which holds the token (encoded twice).
    fn scrub(&self, error: Error) -> Error {
        let Some(token) = self.inner.credentials.security_token() else {
            return error;
        };
        let once = percent_encode(token.expose());
        let forms = [token.expose().to_string(), percent_encode(&once), once];
        let clean = |text: String| {
            forms
                .iter()
                .filter(|form| !form.is_empty())
                .fold(text, |text, form| text.replace(form.as_str(), "***"))
        };
        match error {
            Error::Platform(mut e) => {
                e.message = clean(e.message);
                Error::Platform(e)
            }
            Error::BadAnswer { problem, raw } => Error::BadAnswer {
                problem: clean(problem),
                raw: clean(raw),
            },
            other => other,
        }
    }
}

/// A reqwest error as ours, without the URL (it holds the signature and any STS token).
fn transport_error(error: reqwest::Error, timeout: Duration) -> Error {
    let error = error.without_url();
    if error.is_builder() {
        return Error::Refused(format!("the request cannot be made: {}", describe(&error)));
    }
    if error.is_connect() {
        return Error::Transport {
            message: describe(&error),
            may_have_been_sent: false,
        };
    }
    if error.is_timeout() {
        return Error::Timeout(timeout);
    }
    Error::Transport {
        message: describe(&error),
        may_have_been_sent: true,
    }
}

/// The error and its causes, `: `-joined (reqwest's and hyper's own messages alone say only
/// "error sending request" or "connection error").
pub(crate) fn describe(error: &dyn std::error::Error) -> String {
    let mut message = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if !message.contains(&text) {
            message.push_str(": ");
            message.push_str(&text);
        }
        source = cause.source();
    }
    message
}

#[cfg(test)]
mod redaction_tests {
    use super::*;

    #[test]
    fn tokens_are_redacted() {
        let call = SignedCall {
            method: "POST",
            url: "http://h/?A=1&SecurityToken=CAIS%2Fx&B=2".into(),
            headers: Vec::new(),
            body: String::new(),
        };
        assert_eq!(call.redacted_url(), "http://h/?A=1&SecurityToken=***&B=2");
        assert_eq!(redact_token("http://h/"), "http://h/");
        let form = SignedCall {
            method: "POST",
            url: "http://h/".into(),
            headers: vec![("x-acs-security-token".into(), "CAIS".into())],
            body: "SecurityToken=CAIS&A=1".into(),
        };
        assert_eq!(form.redacted_body(), "SecurityToken=***&A=1");
        assert_eq!(form.redacted_headers(), [("x-acs-security-token", "***")]);
        assert!(!format!("{form:?}").contains("CAIS"));
    }
}
