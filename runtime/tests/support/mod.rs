//! A small stand-in for the IoT Platform's RPC gateway for the client's end-to-end tests, on
//! 127.0.0.1 (port 0) only.
//!
//! It checks every request the way the gateway would, without the client's code: the V1
//! signature is recomputed from the raw query (decoded, re-encoded per RFC 3986 by the
//! encoder here, sorted, HMAC-SHA1), the ACS3 one from the raw query and headers; nonces
//! must be new and timestamps within 15 minutes of its clock. It enforces a sliding
//! one-second QPS window per action (`Throttling.User`), answers each action like the
//! platform, records what it saw, and plays injected faults.
#![allow(dead_code)]

use std::collections::{HashMap, HashSet, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine as _;
use hmac::{Hmac, Mac};
use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use serde_json::json;
use sha1::Sha1;
use sha2::{Digest, Sha256};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio::time::Instant;

pub const KEY_ID: &str = "LTAI-test-key-id";
pub const SECRET: &str = "test-secret-Sup3r";
/// A `MessageId` above 2^53, as the platform has sent (a number, not a string).
pub const BIG_MESSAGE_ID: &str = "1894186889322557440";

/// Something the server does instead of answering normally.
#[derive(Debug, Clone)]
pub enum Fault {
    /// `Throttling.User`, HTTP 400.
    Throttle,
    /// This status with this body.
    Status(u16, String),
    /// A business error: HTTP 200, `Success: false`.
    Business(&'static str, &'static str),
    /// Drops the connection without answering (a TCP RST: the sockets linger 0 s).
    Reset,
    /// Waits this long, then answers normally.
    Slow(Duration),
    /// HTTP 200 with a body that is not JSON.
    Malformed,
}

/// One request as the server saw it.
#[derive(Debug, Clone)]
pub struct Seen {
    pub action: String,
    pub at: Instant,
    pub params: Vec<(String, String)>,
    /// `ok`, or the code answered.
    pub answer: String,
}

impl Seen {
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn device_names(&self) -> Vec<String> {
        let mut names: Vec<(usize, String)> = self
            .params
            .iter()
            .filter_map(|(n, v)| {
                let index = n.strip_prefix("DeviceName.")?.parse().ok()?;
                Some((index, v.clone()))
            })
            .collect();
        names.sort();
        names.into_iter().map(|(_, v)| v).collect()
    }
}

#[derive(Default)]
struct Windows {
    admitted: HashMap<String, VecDeque<Instant>>,
}

pub struct State {
    limits: HashMap<String, usize>,
    window: Duration,
    seen: Mutex<Vec<Seen>>,
    faults: Mutex<VecDeque<(Option<String>, Fault)>>,
    nonces: Mutex<HashSet<String>>,
    windows: Mutex<Windows>,
    /// Added to the server's clock when it checks timestamps.
    skew: Mutex<time::Duration>,
    next_id: Mutex<u64>,
}

pub struct Server {
    pub addr: SocketAddr,
    pub state: Arc<State>,
    task: JoinHandle<()>,
}

impl Drop for Server {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Server {
    /// A server with the platform's documented limits.
    pub async fn start() -> Server {
        Server::with_limits(&[
            ("InvokeThingService", 500),
            ("InvokeThingsService", 10),
            ("BatchPub", 50),
            ("SetDeviceProperty", 500),
            ("SetDevicesProperty", 10),
            ("QueryThingModel", 10),
            ("GetThingModelTsl", 20),
        ])
        .await
    }

    pub async fn with_limits(limits: &[(&str, usize)]) -> Server {
        let state = Arc::new(State {
            limits: limits.iter().map(|&(a, n)| (a.to_string(), n)).collect(),
            window: Duration::from_secs(1),
            seen: Mutex::new(Vec::new()),
            faults: Mutex::new(VecDeque::new()),
            nonces: Mutex::new(HashSet::new()),
            windows: Mutex::new(Windows::default()),
            skew: Mutex::new(time::Duration::ZERO),
            next_id: Mutex::new(0),
        });
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().expect("local address");
        let served = Arc::clone(&state);
        let task = tokio::spawn(async move {
            // Ends when the test drops the server (the task is aborted).
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                // Linger 0: a connection dropped without an answer is reset, not closed.
                let _ = socket2::SockRef::from(&stream).set_linger(Some(Duration::ZERO));
                let state = Arc::clone(&served);
                tokio::spawn(async move {
                    let service = hyper::service::service_fn(move |request| {
                        let state = Arc::clone(&state);
                        async move { state.handle(request).await }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Server { addr, state, task }
    }

    pub fn endpoint(&self) -> String {
        format!("http://{}/", self.addr)
    }

    /// The next request (of `action`, if given) gets `fault`.
    pub fn inject(&self, action: Option<&str>, fault: Fault) {
        lock(&self.state.faults).push_back((action.map(str::to_string), fault));
    }

    /// Shifts the server's clock, to make the client's timestamps look stale.
    pub fn skew_clock(&self, by: time::Duration) {
        *lock(&self.state.skew) = by;
    }

    pub fn seen(&self) -> Vec<Seen> {
        lock(&self.state.seen).clone()
    }

    pub fn seen_of(&self, action: &str) -> Vec<Seen> {
        self.seen()
            .into_iter()
            .filter(|s| s.action == action)
            .collect()
    }

    /// The most requests of `action` that arrived within any one window (throttled ones
    /// included).
    pub fn max_in_window(&self, action: &str) -> usize {
        let times: Vec<Instant> = self.seen_of(action).iter().map(|s| s.at).collect();
        let window = self.state.window;
        (0..times.len())
            .map(|i| {
                times[i..]
                    .iter()
                    .take_while(|&&t| t < times[i] + window)
                    .count()
            })
            .max()
            .unwrap_or(0)
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

type Answer = Result<Response<Full<Bytes>>, std::io::Error>;

fn respond(status: u16, body: String) -> Answer {
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = hyper::StatusCode::from_u16(status).unwrap_or(hyper::StatusCode::OK);
    response.headers_mut().insert(
        "content-type",
        hyper::header::HeaderValue::from_static("application/json"),
    );
    Ok(response)
}

impl State {
    fn request_id(&self) -> String {
        let mut next = lock(&self.next_id);
        *next += 1;
        format!("REQ-{:06}", *next)
    }

    fn gateway_error(&self, status: u16, code: &str, message: &str) -> (u16, String) {
        let body = json!({
            "RequestId": self.request_id(),
            "HostId": "iot.test.local",
            "Code": code,
            "Message": message,
            "Recommend": format!("https://api.aliyun.com/troubleshoot?q={code}&product=Iot"),
        });
        (status, body.to_string())
    }

    fn business_error(&self, code: &str, message: &str) -> (u16, String) {
        let body = json!({
            "RequestId": self.request_id(),
            "Success": false,
            "Code": code,
            "ErrorMessage": message,
        });
        (200, body.to_string())
    }

    async fn handle(self: Arc<Self>, request: Request<Incoming>) -> Answer {
        let at = Instant::now();
        let raw_query = request.uri().query().unwrap_or("").to_string();
        let headers: Vec<(String, String)> = request
            .headers()
            .iter()
            .map(|(n, v)| {
                (
                    n.as_str().to_string(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect();
        let method = request.method().as_str().to_string();
        let body = match http_body_util::BodyExt::collect(request.into_body()).await {
            Ok(collected) => String::from_utf8_lossy(&collected.to_bytes()).into_owned(),
            Err(_) => String::new(),
        };
        let form = header(&headers, "content-type") == Some("application/x-www-form-urlencoded");
        // The gateway takes parameters from the query and a form body alike.
        let params = decode_query(&raw_query).and_then(|mut params| {
            if form {
                params.extend(decode_query(&body)?);
            }
            Ok(params)
        });
        let action = params
            .as_ref()
            .ok()
            .and_then(|p| {
                p.iter()
                    .find(|(n, _)| n == "Action")
                    .map(|(_, v)| v.clone())
            })
            .or_else(|| header(&headers, "x-acs-action").map(str::to_string))
            .unwrap_or_default();
        let fault = {
            let mut faults = lock(&self.faults);
            let index = faults
                .iter()
                .position(|(only, _)| only.as_deref().is_none_or(|a| a == action));
            index.and_then(|i| faults.remove(i)).map(|(_, f)| f)
        };
        let params = params.unwrap_or_default();
        let record = |answer: &str| {
            lock(&self.seen).push(Seen {
                action: action.clone(),
                at,
                params: params.clone(),
                answer: answer.to_string(),
            });
        };
        if let Some(Fault::Slow(pause)) = &fault {
            tokio::time::sleep(*pause).await;
        }
        let (status, body) =
            match self.check(&method, &raw_query, &body, &params, &headers, &action) {
                Err(refusal) => refusal,
                Ok(()) => match fault {
                    Some(Fault::Throttle) => self.gateway_error(
                        400,
                        "Throttling.User",
                        "Request was denied due to user flow control.",
                    ),
                    Some(Fault::Status(status, body)) => (status, body),
                    Some(Fault::Business(code, message)) => self.business_error(code, message),
                    Some(Fault::Reset) => {
                        record("reset");
                        return Err(std::io::Error::other("injected reset"));
                    }
                    Some(Fault::Malformed) => {
                        (200, "{\"RequestId\": \"R\", \"Success\": tr".to_string())
                    }
                    Some(Fault::Slow(_)) | None => match self.admit(&action) {
                        false => self.gateway_error(
                            400,
                            "Throttling.User",
                            "Request was denied due to user flow control.",
                        ),
                        true => self.answer(&action, &params),
                    },
                },
            };
        let parsed = serde_json::from_str::<serde_json::Value>(&body).ok();
        let failed = status != 200
            || parsed.as_ref().and_then(|v| v.get("Success"))
                == Some(&serde_json::Value::Bool(false));
        let code = match parsed
            .as_ref()
            .and_then(|v| v.get("Code"))
            .and_then(|c| c.as_str())
        {
            Some(code) if failed && !code.is_empty() => code.to_string(),
            _ if failed => format!("HTTP{status}"),
            _ => "ok".to_string(),
        };
        record(&code);
        respond(status, body)
    }

    /// The sliding window: admitted calls of the last second.
    fn admit(&self, action: &str) -> bool {
        let Some(&limit) = self.limits.get(action) else {
            return true;
        };
        let now = Instant::now();
        let mut windows = lock(&self.windows);
        let admitted = windows.admitted.entry(action.to_string()).or_default();
        while admitted.front().is_some_and(|&t| t + self.window <= now) {
            admitted.pop_front();
        }
        if admitted.len() >= limit {
            return false;
        }
        admitted.push_back(now);
        true
    }

    fn check(
        &self,
        method: &str,
        raw_query: &str,
        raw_body: &str,
        params: &[(String, String)],
        headers: &[(String, String)],
        action: &str,
    ) -> Result<(), (u16, String)> {
        if method != "POST" {
            return Err(self.gateway_error(400, "UnsupportedHTTPMethod", method));
        }
        if let Some(authorization) = header(headers, "authorization") {
            return self.check_acs3(authorization, raw_query, raw_body, headers);
        }
        let get = |name: &str| {
            params
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.as_str())
        };
        for (name, expected) in [
            ("Format", "JSON"),
            ("Version", "2018-01-20"),
            ("SignatureMethod", "HMAC-SHA1"),
            ("SignatureVersion", "1.0"),
        ] {
            if get(name) != Some(expected) {
                return Err(self.gateway_error(
                    400,
                    "MissingParameter",
                    &format!("{name} is not {expected}"),
                ));
            }
        }
        if action.is_empty() {
            return Err(self.gateway_error(400, "MissingAction", "Action is mandatory"));
        }
        if get("AccessKeyId") != Some(KEY_ID) {
            return Err(self.gateway_error(
                404,
                "InvalidAccessKeyId.NotFound",
                "Specified access key is not found.",
            ));
        }
        let Some(signature) = get("Signature") else {
            return Err(self.gateway_error(
                400,
                "MissingSignature",
                "Signature is mandatory for this action.",
            ));
        };
        let string_to_sign = v1_string_to_sign(method, params);
        let mut mac =
            Hmac::<Sha1>::new_from_slice(format!("{SECRET}&").as_bytes()).expect("any key");
        mac.update(string_to_sign.as_bytes());
        let expected =
            base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
        if signature != expected {
            return Err(self.gateway_error(
                400,
                "SignatureDoesNotMatch",
                &format!("Specified signature is not matched with our calculation. server string to sign is:{string_to_sign}"),
            ));
        }
        self.check_fresh(get("SignatureNonce"), get("Timestamp"))
    }

    fn check_fresh(
        &self,
        nonce: Option<&str>,
        timestamp: Option<&str>,
    ) -> Result<(), (u16, String)> {
        let Some(nonce) = nonce.filter(|n| !n.is_empty()) else {
            return Err(self.gateway_error(
                400,
                "MissingSignatureNonce",
                "SignatureNonce is mandatory.",
            ));
        };
        let Some(stamp) = timestamp.and_then(parse_timestamp) else {
            return Err(self.gateway_error(
                400,
                "IllegalTimestamp",
                "The Timestamp is not yyyy-MM-ddTHH:mm:ssZ.",
            ));
        };
        let now = time::OffsetDateTime::now_utc() + *lock(&self.skew);
        if (now - stamp).abs() > time::Duration::minutes(15) {
            return Err(self.gateway_error(
                400,
                "InvalidTimeStamp.Expired",
                "Specified time stamp or date value is expired.",
            ));
        }
        if !lock(&self.nonces).insert(nonce.to_string()) {
            return Err(self.gateway_error(
                400,
                "SignatureNonceUsed",
                "Specified signature nonce was used already.",
            ));
        }
        Ok(())
    }

    fn check_acs3(
        &self,
        authorization: &str,
        raw_query: &str,
        raw_body: &str,
        headers: &[(String, String)],
    ) -> Result<(), (u16, String)> {
        let refuse = |what: &str| Err(self.gateway_error(400, "SignatureDoesNotMatch", what));
        let Some(rest) = authorization.strip_prefix("ACS3-HMAC-SHA256 ") else {
            return refuse("not ACS3-HMAC-SHA256");
        };
        let mut fields = HashMap::new();
        for part in rest.split(',') {
            if let Some((k, v)) = part.trim().split_once('=') {
                fields.insert(k, v);
            }
        }
        if fields.get("Credential") != Some(&KEY_ID) {
            return Err(self.gateway_error(
                404,
                "InvalidAccessKeyId.NotFound",
                "Specified access key is not found.",
            ));
        }
        let signed_names: Vec<&str> = fields
            .get("SignedHeaders")
            .map(|s| s.split(';').collect())
            .unwrap_or_default();
        for required in [
            "host",
            "x-acs-action",
            "x-acs-version",
            "x-acs-date",
            "x-acs-signature-nonce",
            "x-acs-content-sha256",
        ] {
            if !signed_names.contains(&required) {
                return refuse(&format!("{required} is not signed"));
            }
        }
        let params = decode_query(raw_query).unwrap_or_default();
        let mut pairs: Vec<(String, String)> =
            params.iter().map(|(n, v)| (encode(n), encode(v))).collect();
        pairs.sort();
        let canonical_query = pairs
            .iter()
            .map(|(n, v)| format!("{n}={v}"))
            .collect::<Vec<_>>()
            .join("&");
        let mut canonical_headers = String::new();
        for name in &signed_names {
            let Some(value) = header(headers, name) else {
                return refuse(&format!("signed header {name} is missing"));
            };
            canonical_headers.push_str(&format!("{name}:{}\n", value.trim()));
        }
        let payload = hex::encode(Sha256::digest(raw_body.as_bytes()));
        if header(headers, "x-acs-content-sha256") != Some(payload.as_str()) {
            return refuse("x-acs-content-sha256 is not the body's");
        }
        if !raw_body.is_empty() && !signed_names.contains(&"content-type") {
            return refuse("a body's content-type is not signed");
        }
        let canonical_request = format!(
            "POST\n/\n{canonical_query}\n{canonical_headers}\n{}\n{payload}",
            signed_names.join(";")
        );
        let string_to_sign = format!(
            "ACS3-HMAC-SHA256\n{}",
            hex::encode(Sha256::digest(canonical_request.as_bytes()))
        );
        let mut mac = Hmac::<Sha256>::new_from_slice(SECRET.as_bytes()).expect("any key");
        mac.update(string_to_sign.as_bytes());
        if fields.get("Signature").copied()
            != Some(hex::encode(mac.finalize().into_bytes()).as_str())
        {
            return refuse(&format!("server string to sign is:{string_to_sign}"));
        }
        self.check_fresh(
            header(headers, "x-acs-signature-nonce"),
            header(headers, "x-acs-date"),
        )
    }

    fn answer(&self, action: &str, params: &[(String, String)]) -> (u16, String) {
        let get = |name: &str| {
            params
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.as_str())
        };
        let names: Vec<&str> = params
            .iter()
            .filter(|(n, _)| n.starts_with("DeviceName."))
            .map(|(_, v)| v.as_str())
            .collect();
        let batch = matches!(
            action,
            "InvokeThingsService" | "SetDevicesProperty" | "BatchPub"
        );
        if batch {
            if get("ProductKey").is_none_or(str::is_empty) {
                return self.business_error("iot.prod.NullProductKey", "The ProductKey is empty.");
            }
            if names.is_empty() || names.len() > 100 {
                return self.business_error(
                    "iot.check.ParameterIsNotLessThanMax",
                    "1 to 100 DeviceName.N.",
                );
            }
            let unique: HashSet<&&str> = names.iter().collect();
            if unique.len() != names.len() {
                return self.business_error(
                    "iot.check.InvalidFormattedParameter",
                    "Duplicate DeviceName.N.",
                );
            }
            if names.contains(&"ghost") {
                return self
                    .business_error("iot.device.NotExistedDevice", "The device does not exist.");
            }
        }
        let id = self.request_id();
        let body = match action {
            "InvokeThingService" => {
                let args = get("Args").unwrap_or_default();
                if !args.starts_with('{') {
                    return self.business_error("iot.check.InvalidFormattedParameter", "The args parameter format is invalid.");
                }
                let reply = json!({"code": 200, "data": {"Echo": get("Identifier")}, "id": "100686", "message": "success", "version": "1.0"});
                format!(
                    r#"{{"RequestId":"{id}","Success":true,"Data":{{"MessageId":{BIG_MESSAGE_ID},"Result":{}}}}}"#,
                    serde_json::Value::String(reply.to_string())
                )
            }
            "SetDeviceProperty" => format!(r#"{{"RequestId":"{id}","Success":true,"Data":{{"MessageId":"{BIG_MESSAGE_ID}"}}}}"#),
            "BatchPub" => {
                let content = get("MessageContent").unwrap_or_default();
                if base64::engine::general_purpose::STANDARD.decode(content).is_err() {
                    return self.business_error("iot.messagebroker.MessageContentIsNotBase64Encode", "not base64");
                }
                json!({"RequestId": id, "Success": true}).to_string()
            }
            "InvokeThingsService" | "SetDevicesProperty" => json!({"RequestId": id, "Success": true}).to_string(),
            "QueryThingModel" => json!({
                "RequestId": id, "Success": true, "Code": "",
                "Data": {"ThingModelJson": "{\"_ppk\":{},\"properties\":[]}"}
            })
            .to_string(),
            "GetThingModelTsl" => json!({
                "RequestId": id, "Success": true,
                "Data": {"TslStr": "{\"schema\":\"x\",\"properties\":[]}", "TslUri": "https://oss.example/tsl.json"}
            })
            .to_string(),
            other => return self.gateway_error(400, "InvalidAction.NotFound", &format!("{other} is not an action")),
        };
        (200, body)
    }
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// The query's pairs, percent-decoded; `+` stays a `+` (the signer never writes one).
fn decode_query(raw: &str) -> Result<Vec<(String, String)>, String> {
    if raw.is_empty() {
        return Ok(Vec::new());
    }
    raw.split('&')
        .map(|pair| {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            let decode = |s: &str| {
                percent_encoding::percent_decode_str(s)
                    .decode_utf8()
                    .map(|c| c.into_owned())
                    .map_err(|e| e.to_string())
            };
            Ok((decode(name)?, decode(value)?))
        })
        .collect()
}

/// RFC 3986 as Alibaba specifies: unreserved bytes kept, the rest `%XY`, written out here
/// byte by byte rather than through the crate's encoder.
fn encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn v1_string_to_sign(method: &str, params: &[(String, String)]) -> String {
    let mut pairs: Vec<&(String, String)> =
        params.iter().filter(|(n, _)| n != "Signature").collect();
    pairs.sort();
    let canonical = pairs
        .iter()
        .map(|(n, v)| format!("{}={}", encode(n), encode(v)))
        .collect::<Vec<_>>()
        .join("&");
    format!("{method}&%2F&{}", encode(&canonical))
}

fn parse_timestamp(text: &str) -> Option<time::OffsetDateTime> {
    let b = text.as_bytes();
    if b.len() != 20
        || b[4] != b'-'
        || b[7] != b'-'
        || b[10] != b'T'
        || b[13] != b':'
        || b[16] != b':'
        || b[19] != b'Z'
    {
        return None;
    }
    let num = |range: std::ops::Range<usize>| text.get(range)?.parse::<u16>().ok();
    let date = time::Date::from_calendar_date(
        i32::from(num(0..4)?),
        time::Month::try_from(u8::try_from(num(5..7)?).ok()?).ok()?,
        u8::try_from(num(8..10)?).ok()?,
    )
    .ok()?;
    let clock = time::Time::from_hms(
        u8::try_from(num(11..13)?).ok()?,
        u8::try_from(num(14..16)?).ok()?,
        u8::try_from(num(17..19)?).ok()?,
    )
    .ok()?;
    Some(date.with_time(clock).assume_utc())
}

/// Names `lamp-0000` ... for `count` devices.
pub fn lamps(count: usize) -> Vec<String> {
    (0..count).map(|n| format!("lamp-{n:04}")).collect()
}

pub fn credentials() -> tsl_runtime::sign::Credentials {
    tsl_runtime::sign::Credentials::new(KEY_ID, SECRET).expect("test credentials")
}

/// A client of `server` with fast retries.
pub fn client(server: &Server) -> tsl_runtime::client::ClientBuilder {
    tsl_runtime::client::Client::builder()
        .endpoint(server.endpoint())
        .credentials(credentials())
        .retry(tsl_runtime::client::RetryPolicy {
            max_attempts: 4,
            base_delay: Duration::from_millis(20),
            max_delay: Duration::from_millis(200),
        })
}
