//! A raw HTTP/1.1 client for the emulator tests: blocking sockets to 127.0.0.1 only, every
//! read bounded by a timeout, requests signed with the crate's own signer (the emulator
//! verifies independently).
#![allow(dead_code)]

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use serde_json::Value;
use tsl_runtime::emulator::{Device, Emulator, RunningEmulator};
use tsl_runtime::model::Model;
use tsl_runtime::sign::{
    acs3_headers, new_nonce, sign_acs3, sign_rpc_v1, timestamp_now, CommonParams, Credentials,
};

pub const KEY_ID: &str = "testid";
pub const SECRET: &str = "testsecret";
pub const LAMP: &str = "a1StreetLmp";

/// No test waits longer than this for one answer.
const READ_TIMEOUT: Duration = Duration::from_secs(20);

pub fn model_path(name: &str) -> String {
    format!("{}/../examples/models/{name}", env!("CARGO_MANIFEST_DIR"))
}

/// The street lamp with its battery and sensor modules.
pub fn lamp_model() -> Model {
    Model::load_all(&[
        model_path("street-lamp.json"),
        model_path("street-lamp-battery.json"),
        model_path("street-lamp-sensor-query-thing-model.json"),
    ])
    .expect("the bundled models load")
    .model
}

/// An emulator with the lamp product, the test key and `lamp-1`, `lamp-2`.
pub fn lamp_emulator() -> Emulator {
    Emulator::new()
        .model(lamp_model())
        .credentials(KEY_ID, SECRET)
        .device(Device::new(LAMP, "lamp-1"))
        .device(Device::new(LAMP, "lamp-2"))
}

/// An HTTP answer.
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Answer {
    /// The body as JSON (panics with the body when it is not).
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }

    /// `Code` of the body, `""` when absent.
    pub fn code(&self) -> String {
        self.json()["Code"].as_str().unwrap_or("").to_string()
    }

    pub fn is_success(&self) -> bool {
        self.status == 200 && self.json()["Success"] == Value::Bool(true)
    }

    /// Asserts a gateway error: status, `Code`, and the gateway's fields.
    pub fn assert_gateway(&self, status: u16, code: &str) -> &Answer {
        assert_eq!(self.status, status, "{}", self.body);
        let json = self.json();
        assert_eq!(json["Code"], code, "{}", self.body);
        for field in ["RequestId", "HostId", "Message", "Recommend"] {
            assert!(json[field].is_string(), "no {field}: {}", self.body);
        }
        assert!(json.get("Success").is_none(), "{}", self.body);
        self
    }

    /// Asserts a business error with `Code` and returns `ErrorMessage`.
    pub fn assert_business(&self, code: &str) -> String {
        assert_eq!(self.status, 200, "{}", self.body);
        let json = self.json();
        assert_eq!(json["Success"], false, "{}", self.body);
        assert_eq!(json["Code"], code, "{}", self.body);
        assert!(json["RequestId"].is_string(), "{}", self.body);
        json["ErrorMessage"]
            .as_str()
            .unwrap_or_else(|| panic!("no ErrorMessage: {}", self.body))
            .to_string()
    }

    /// Asserts success and returns the body.
    pub fn assert_success(&self) -> Value {
        assert!(self.is_success(), "{} {}", self.status, self.body);
        self.json()
    }
}

/// Sends one request and reads the answer until the server closes the connection.
/// Errors: the connection was reset, or closed without an answer (`UnexpectedEof`).
pub fn send_raw(
    addr: SocketAddr,
    method: &str,
    target: &str,
    headers: &[(String, String)],
    body: &[u8],
) -> io::Result<Answer> {
    assert!(addr.ip().is_loopback(), "tests talk to 127.0.0.1 only");
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(5))?;
    stream.set_read_timeout(Some(READ_TIMEOUT))?;
    stream.set_write_timeout(Some(READ_TIMEOUT))?;
    let mut head = format!("{method} {target} HTTP/1.1\r\nConnection: close\r\n");
    if !headers.iter().any(|(n, _)| n.eq_ignore_ascii_case("host")) {
        head.push_str(&format!("Host: {addr}\r\n"));
    }
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
    stream.write_all(head.as_bytes())?;
    stream.write_all(body)?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw)?;
    if raw.is_empty() {
        return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "no answer"));
    }
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text
        .split_once("\r\n\r\n")
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, "no end of head"))?;
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|line| line.split(' ').nth(1))
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, "no status"))?;
    let headers = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    Ok(Answer {
        status,
        headers,
        body: body.to_string(),
    })
}

/// A client of one emulator with one key.
pub struct Client {
    pub addr: SocketAddr,
    pub creds: Credentials,
}

fn pairs(params: &[(&str, &str)]) -> Vec<(String, String)> {
    params
        .iter()
        .map(|(n, v)| (n.to_string(), v.to_string()))
        .collect()
}

impl Client {
    pub fn new(emulator: &RunningEmulator) -> Client {
        Client::with_key(emulator, KEY_ID, SECRET)
    }

    pub fn with_key(emulator: &RunningEmulator, id: &str, secret: &str) -> Client {
        Client {
            addr: emulator.addr(),
            creds: Credentials::new(id, secret).expect("valid test credentials"),
        }
    }

    /// Common parameters (fresh nonce and time) plus `Action` and `params`.
    pub fn params(&self, action: &str, params: &[(&str, &str)]) -> Vec<(String, String)> {
        let mut all = CommonParams::fresh(&self.creds).into_params();
        all.push(("Action".to_string(), action.to_string()));
        all.extend(pairs(params));
        all
    }

    /// Signs `all` (V1) and sends every parameter in the query, as the SDKs do.
    pub fn send_v1(&self, method: &str, all: Vec<(String, String)>) -> Answer {
        let signed = sign_rpc_v1(method, all, &self.creds);
        send_raw(self.addr, method, &format!("/?{}", signed.query), &[], b"").expect("an answer")
    }

    /// A V1-signed GET.
    pub fn call(&self, action: &str, params: &[(&str, &str)]) -> Answer {
        self.send_v1("GET", self.params(action, params))
    }

    /// A V1-signed POST with every parameter in the query and no body (what the SDKs send).
    pub fn post(&self, action: &str, params: &[(&str, &str)]) -> Answer {
        self.send_v1("POST", self.params(action, params))
    }

    /// A V1-signed POST with every parameter in a form body.
    pub fn post_form(&self, action: &str, params: &[(&str, &str)]) -> Answer {
        self.send_form(self.params(action, params))
    }

    /// Signs `all` (V1) and sends every parameter in a form body.
    pub fn send_form(&self, all: Vec<(String, String)>) -> Answer {
        let signed = sign_rpc_v1("POST", all, &self.creds);
        let headers = [(
            "Content-Type".to_string(),
            "application/x-www-form-urlencoded".to_string(),
        )];
        send_raw(self.addr, "POST", "/", &headers, signed.query.as_bytes()).expect("an answer")
    }

    /// An ACS3-HMAC-SHA256-signed POST, parameters in the query.
    pub fn call_acs3(&self, action: &str, params: &[(&str, &str)]) -> Answer {
        let host = self.addr.to_string();
        let headers = acs3_headers(&host, action, "2018-01-20", &timestamp_now(), &new_nonce());
        let signed =
            sign_acs3("POST", &pairs(params), &headers, b"", &self.creds).expect("ACS3 signs");
        send_raw(
            self.addr,
            "POST",
            &format!("/?{}", signed.query),
            &signed.headers,
            b"",
        )
        .expect("an answer")
    }
}

/// The runtime's client against the emulator.
#[cfg(feature = "client")]
pub mod clients;
