//! [`ClientBuilder`]: credentials, where to send, how to sign, limits, timeouts, retries.

use std::sync::Arc;
use std::time::Duration;

use super::limiter::{Limiter, DEFAULT_QPS};
use super::plain::Plain;
use super::retry::RetryPolicy;
use super::{Client, Inner};
use crate::error::Error;
use crate::sign::{CredentialSource, Credentials, NonceSequence};

/// How long the platform waits for a device to answer a sync service:
/// [`crate::limits::SYNC_WAIT`].
pub const PLATFORM_SYNC_WAIT: Duration = crate::limits::SYNC_WAIT;

/// [`ClientBuilder::max_query_len`]'s default.
pub const DEFAULT_MAX_QUERY: usize = 16 * 1024;

/// What fits in a URL here (the `http` crate's limit is 64 KiB, the endpoint included).
const MAX_URI_QUERY: usize = 60 * 1024;

/// Which signature requests carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum SignatureVersion {
    /// RPC signature V1, `HMAC-SHA1`, every parameter in the query (the default).
    #[default]
    V1,
    /// `ACS3-HMAC-SHA256` in an `Authorization` header, what the newer official SDKs send.
    Acs3,
}

/// Builds a [`Client`]. Every setting has a default but the place to send to: a
/// [`region`](ClientBuilder::region) or an [`endpoint`](ClientBuilder::endpoint).
#[derive(Debug, Clone)]
#[must_use]
pub struct ClientBuilder {
    credentials: Option<Credentials>,
    security_token: Option<String>,
    region: Option<String>,
    endpoint: Option<String>,
    allow_http: bool,
    iot_instance_id: Option<String>,
    signature: SignatureVersion,
    qps: Vec<(String, u32)>,
    rate_window: Duration,
    timeout: Duration,
    invoke_timeout: Duration,
    connect_timeout: Duration,
    retry: RetryPolicy,
    max_in_flight: usize,
    batch_size: usize,
    max_query: usize,
}

impl Default for ClientBuilder {
    fn default() -> ClientBuilder {
        ClientBuilder::new()
    }
}

impl ClientBuilder {
    /// The defaults: credentials from the default chain, signature V1, the documented QPS
    /// of each action in a one-second window, 10 s per call (12 s for `InvokeThingService`:
    /// the platform's 8 s for a sync service plus a margin), 5 s to connect,
    /// [`RetryPolicy::default`], 16 calls of a batch in flight, 100 devices a call.
    pub fn new() -> ClientBuilder {
        ClientBuilder {
            credentials: None,
            security_token: None,
            region: None,
            endpoint: None,
            allow_http: false,
            iot_instance_id: None,
            signature: SignatureVersion::V1,
            qps: Vec::new(),
            rate_window: crate::limits::QPS_WINDOW,
            timeout: Duration::from_secs(10),
            invoke_timeout: PLATFORM_SYNC_WAIT + Duration::from_secs(4),
            connect_timeout: Duration::from_secs(5),
            retry: RetryPolicy::default(),
            max_in_flight: 16,
            batch_size: super::batch::MAX_NAMES,
            max_query: DEFAULT_MAX_QUERY,
        }
    }

    /// Signs with these credentials. Without, [`Credentials::default_chain`] is read when
    /// the client is built: the environment, then the aliyun CLI's profile file.
    pub fn credentials(mut self, credentials: Credentials) -> ClientBuilder {
        self.credentials = Some(credentials);
        self
    }

    /// Sends this STS token as `SecurityToken` (V1) or `x-acs-security-token` (ACS3),
    /// whatever the credentials' own.
    pub fn security_token(mut self, token: impl Into<String>) -> ClientBuilder {
        self.security_token = Some(token.into());
        self
    }

    /// The region: requests go to `https://iot.{region}.aliyuncs.com/` (unless an endpoint
    /// is set) and carry `RegionId`.
    pub fn region(mut self, region: impl Into<String>) -> ClientBuilder {
        self.region = Some(region.into());
        self
    }

    /// Another endpoint: a compatible platform, a private deployment, a test server. Plain
    /// `http` is refused except on a loopback address (see
    /// [`allow_http`](ClientBuilder::allow_http)).
    pub fn endpoint(mut self, endpoint: impl Into<String>) -> ClientBuilder {
        self.endpoint = Some(endpoint.into());
        self
    }

    /// Allows a plain `http` endpoint on any host. The signature and an STS token then
    /// cross the network in clear text.
    pub fn allow_http(mut self, allow: bool) -> ClientBuilder {
        self.allow_http = allow;
        self
    }

    /// Sends `IotInstanceId` with every call: required for instances that have an ID
    /// ("Otherwise, the call fails"), wrong for those that do not.
    pub fn iot_instance_id(mut self, id: impl Into<String>) -> ClientBuilder {
        self.iot_instance_id = Some(id.into());
        self
    }

    /// Which signature to send (V1 by default).
    pub fn signature(mut self, version: SignatureVersion) -> ClientBuilder {
        self.signature = version;
        self
    }

    /// At most `calls` calls of `action` per window, instead of its documented QPS (for an
    /// action without one: a limit where there was none). Quotas are per account, so two
    /// programs sharing an account should split them.
    pub fn qps(mut self, action: impl Into<String>, calls: u32) -> ClientBuilder {
        self.qps.push((action.into(), calls));
        self
    }

    /// The width of the rate window (1 s).
    pub fn rate_window(mut self, window: Duration) -> ClientBuilder {
        self.rate_window = window;
        self
    }

    /// How long a call may take, answer included (10 s).
    pub fn timeout(mut self, timeout: Duration) -> ClientBuilder {
        self.timeout = timeout;
        self
    }

    /// How long `InvokeThingService` may take (12 s: the platform waits 8 s for a sync
    /// service's device).
    pub fn invoke_timeout(mut self, timeout: Duration) -> ClientBuilder {
        self.invoke_timeout = timeout;
        self
    }

    /// How long connecting may take (5 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> ClientBuilder {
        self.connect_timeout = timeout;
        self
    }

    /// When failed calls are tried again.
    pub fn retry(mut self, policy: RetryPolicy) -> ClientBuilder {
        self.retry = policy;
        self
    }

    /// How many calls of one batch may be in flight at once (16); the QPS limiter paces
    /// them in any case.
    pub fn max_in_flight(mut self, calls: usize) -> ClientBuilder {
        self.max_in_flight = calls;
        self
    }

    /// Devices per call of a batch (100, the platform's maximum).
    pub fn batch_size(mut self, devices: usize) -> ClientBuilder {
        self.batch_size = devices;
        self
    }

    /// The longest query string sent in the URL (16 KiB); a longer request (a large
    /// `BatchPub` message) sends its parameters as a form body instead, which both
    /// signatures cover. The SDKs put everything in the URL, which no HTTP stack takes past
    /// 64 KiB and the gateway's own limit is not documented.
    pub fn max_query_len(mut self, bytes: usize) -> ClientBuilder {
        self.max_query = bytes.min(MAX_URI_QUERY);
        self
    }

    /// Builds the client.
    ///
    /// # Errors
    /// [`Error::Config`] for a missing or unusable endpoint or setting;
    /// [`Error::Credentials`] when no credentials were given and the default chain found
    /// none (the message lists what was tried).
    pub fn build(self) -> Result<Client, Error> {
        let config = |problem: String| Error::Config(problem);
        let (credentials, source) = match self.credentials {
            Some(credentials) => (credentials, CredentialSource::Explicit),
            None => Credentials::default_chain()?,
        };
        let credentials = match self.security_token {
            Some(token) => credentials.with_security_token(token)?,
            None => credentials,
        };
        let endpoint = match (&self.endpoint, &self.region) {
            (Some(endpoint), _) => endpoint.clone(),
            (None, Some(region)) => {
                let valid = !region.is_empty()
                    && region
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'-');
                if !valid {
                    return Err(config(format!("region {region:?} is not a region id")));
                }
                format!("https://iot.{region}.aliyuncs.com/")
            }
            (None, None) => {
                return Err(config(
                    "no region or endpoint: call .region(\"cn-shanghai\") or .endpoint(url)"
                        .to_string(),
                ))
            }
        };
        // Errors quote the endpoint without any user or password it carries.
        let shown = redact_userinfo(&endpoint);
        let url = reqwest::Url::parse(&endpoint)
            .map_err(|e| config(format!("endpoint {shown:?} is not a URL: {e}")))?;
        let host = match url.host_str() {
            Some(host) if !host.is_empty() => host.to_string(),
            _ => return Err(config(format!("endpoint {shown:?} has no host"))),
        };
        match url.scheme() {
            "https" => {}
            "http" if self.allow_http || is_loopback(&host) => {}
            "http" => {
                return Err(config(format!(
                    "endpoint {shown:?} is plain http: use https, or .allow_http(true)"
                )))
            }
            other => return Err(config(format!("endpoint scheme {other:?} is not http(s)"))),
        }
        if url.query().is_some()
            || url.fragment().is_some()
            || !url.username().is_empty()
            || url.password().is_some()
        {
            return Err(config(format!(
                "endpoint {shown:?} must not carry a query, fragment or user"
            )));
        }
        if self.signature == SignatureVersion::Acs3 && url.path() != "/" {
            return Err(config(format!(
                "endpoint {shown:?}: ACS3 signs the path `/`; give the endpoint without a path"
            )));
        }
        let host_header = match url.port() {
            Some(port) => format!("{host}:{port}"),
            None => host,
        };
        if !(1..=super::batch::MAX_NAMES).contains(&self.batch_size) {
            return Err(config(format!(
                "batch size {} is not 1 to {}",
                self.batch_size,
                super::batch::MAX_NAMES
            )));
        }
        if self.max_in_flight == 0 {
            return Err(config("max_in_flight must be at least 1".to_string()));
        }
        if self.retry.max_attempts == 0 {
            return Err(config("retry.max_attempts must be at least 1".to_string()));
        }
        let mut limits: Vec<(&str, u32)> = DEFAULT_QPS.to_vec();
        for (action, calls) in &self.qps {
            limits.retain(|(name, _)| name != action);
            limits.push((action.as_str(), *calls));
        }
        let limiter = Limiter::new(limits, self.rate_window);
        let http = reqwest::Client::builder()
            .connect_timeout(self.connect_timeout)
            // The RPC API never redirects; a signed request must not be replayed elsewhere,
            // and the redirect layer's bookkeeping is per-call work for nothing.
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("tsl-rs/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| config(format!("the HTTP client cannot start: {e}")))?;
        let plain = match url.scheme() {
            "http" => Some(
                Plain::new(&host_header, url.path(), self.connect_timeout)
                    .map_err(|problem| config(format!("endpoint {shown:?}: {problem}")))?,
            ),
            _ => None,
        };
        Ok(Client {
            inner: Arc::new(Inner {
                http,
                plain,
                credentials,
                source,
                endpoint: url.to_string(),
                endpoint_url: url,
                host: host_header,
                region: self.region,
                iot_instance_id: self.iot_instance_id,
                signature: self.signature,
                limiter,
                timeout: self.timeout,
                invoke_timeout: self.invoke_timeout,
                retry: self.retry,
                max_in_flight: self.max_in_flight,
                batch_size: self.batch_size,
                max_query: self.max_query,
                nonces: NonceSequence::new(),
            }),
        })
    }
}

fn is_loopback(host: &str) -> bool {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    bare == "localhost"
        || bare
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// `scheme://user:password@host/...` as `scheme://***@host/...`: what an error may quote.
pub fn redact_userinfo(endpoint: &str) -> String {
    let Some((scheme, rest)) = endpoint.split_once("://") else {
        return endpoint.to_string();
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => format!("{scheme}://***{}", &rest[at..]),
        None => endpoint.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn creds() -> Credentials {
        Credentials::new("id", "Sup3rS3cr3t").unwrap()
    }

    fn build(builder: ClientBuilder) -> Result<Client, Error> {
        builder.credentials(creds()).build()
    }

    #[test]
    fn client_builder_endpoints() {
        let client = build(ClientBuilder::new().region("cn-shanghai")).unwrap();
        assert_eq!(client.endpoint(), "https://iot.cn-shanghai.aliyuncs.com/");
        let client = build(ClientBuilder::new().endpoint("http://127.0.0.1:8080")).unwrap();
        assert_eq!(client.endpoint(), "http://127.0.0.1:8080/");
        assert!(build(ClientBuilder::new().endpoint("http://[::1]:1/")).is_ok());
        let refused = [
            ClientBuilder::new(),
            ClientBuilder::new().region("cn shanghai/"),
            ClientBuilder::new().endpoint("http://iot.example.com/"),
            ClientBuilder::new().endpoint("ftp://127.0.0.1/"),
            ClientBuilder::new().endpoint("not a url"),
            ClientBuilder::new().endpoint("https://h/?a=b"),
            ClientBuilder::new()
                .endpoint("https://h/prefix/")
                .signature(SignatureVersion::Acs3),
            ClientBuilder::new().region("cn-shanghai").batch_size(101),
            ClientBuilder::new().region("cn-shanghai").max_in_flight(0),
        ];
        for builder in refused {
            let err = build(builder.clone()).unwrap_err();
            assert!(matches!(err, Error::Config(_)), "{builder:?}: {err}");
        }
        assert!(build(
            ClientBuilder::new()
                .endpoint("http://iot.example.com/")
                .allow_http(true)
        )
        .is_ok());
    }

    #[test]
    fn client_qps_defaults_and_overrides() {
        let client = build(ClientBuilder::new().region("cn-shanghai")).unwrap();
        assert_eq!(client.qps("InvokeThingsService"), Some(10));
        assert_eq!(client.qps("InvokeThingService"), Some(500));
        assert_eq!(client.qps("BatchPub"), Some(50));
        assert_eq!(client.qps("GetThingModelTsl"), Some(20));
        assert_eq!(client.qps("Pub"), None);
        let client = build(
            ClientBuilder::new()
                .region("cn-shanghai")
                .qps("InvokeThingsService", 3)
                .qps("Pub", 7),
        )
        .unwrap();
        assert_eq!(client.qps("InvokeThingsService"), Some(3));
        assert_eq!(client.qps("Pub"), Some(7));
    }

    #[test]
    fn client_sign_is_a_dry_run() {
        let client = build(
            ClientBuilder::new()
                .region("cn-shanghai")
                .iot_instance_id("iot-1")
                .security_token("CAIS-token"),
        )
        .unwrap();
        let call = client
            .sign(
                "InvokeThingService",
                &[("Identifier", "Blink"), ("Args", "{}")],
            )
            .unwrap();
        assert_eq!(call.method, "POST");
        assert!(call
            .url
            .starts_with("https://iot.cn-shanghai.aliyuncs.com/?AccessKeyId=id&Action=InvokeThingService&Args=%7B%7D&"));
        for part in [
            "&IotInstanceId=iot-1&",
            "&RegionId=cn-shanghai&",
            "&SecurityToken=CAIS-token&",
            "&Signature=",
        ] {
            assert!(call.url.contains(part), "{part} in {}", call.url);
        }
        assert!(call.body.is_empty() && call.headers.is_empty());
        let debug = format!("{call:?}");
        assert!(
            !debug.contains("CAIS-token") && debug.contains("SecurityToken=***"),
            "{debug}"
        );
        // Two signings, two nonces.
        let again = client.sign("InvokeThingService", &[]).unwrap();
        let nonce = |url: &str| {
            url.split('&')
                .find(|p| p.starts_with("SignatureNonce="))
                .map(str::to_string)
        };
        assert_ne!(nonce(&call.url), nonce(&again.url));

        let long = "x".repeat(DEFAULT_MAX_QUERY);
        let call = client
            .sign("BatchPub", &[("MessageContent", &long)])
            .unwrap();
        assert_eq!(call.url, "https://iot.cn-shanghai.aliyuncs.com/");
        assert!(call.body.contains("&MessageContent=xxx"));
        assert_eq!(
            call.headers,
            [(
                "content-type".to_string(),
                "application/x-www-form-urlencoded".to_string()
            )]
        );
    }

    #[test]
    fn client_debug_never_shows_the_secret() {
        let client = build(
            ClientBuilder::new()
                .region("cn-shanghai")
                .security_token("CAIS-token"),
        )
        .unwrap();
        let debug = format!("{client:?}");
        assert!(debug.contains("iot.cn-shanghai.aliyuncs.com"), "{debug}");
        assert!(
            !debug.contains("Sup3rS3cr3t") && !debug.contains("CAIS-token"),
            "{debug}"
        );
    }

    #[test]
    fn client_endpoint_passwords_never_show_in_errors() {
        assert_eq!(
            redact_userinfo("https://user:pw@host:8/x?y"),
            "https://***@host:8/x?y"
        );
        assert_eq!(redact_userinfo("https://host/a@b"), "https://host/a@b");
        assert_eq!(redact_userinfo("not a url"), "not a url");
        for endpoint in [
            "https://user:Pa55w0rd@iot.example.com/",
            "http://u:Pa55w0rd@10.0.0.1/",
        ] {
            let error = build(ClientBuilder::new().endpoint(endpoint))
                .unwrap_err()
                .to_string();
            assert!(!error.contains("Pa55w0rd"), "{error}");
            assert!(error.contains("***@"), "{error}");
        }
    }
}
