//! Where calls go and how they are signed: `--endpoint`, `--region`, `--iot-instance-id`,
//! `--signature`, and the credentials of the default chain.

use tsl_runtime::client::{redact_userinfo, Client, SignatureVersion};
use tsl_runtime::sign::{CredentialSource, Credentials};

use super::Failure;

/// Overrides the region's endpoint when `--endpoint` is not given.
pub const ENV_ENDPOINT: &str = "ALIBABA_CLOUD_IOT_ENDPOINT";
/// The region when `--region` is not given.
pub const ENV_REGION: &str = "ALIBABA_CLOUD_REGION_ID";
/// The region when neither `--region`, the environment nor the CLI profile names one.
pub const DEFAULT_REGION: &str = "cn-shanghai";

#[derive(clap::Args, Debug, Clone)]
pub struct Connection {
    /// Send to this endpoint instead of the region's `https://iot.{region}.aliyuncs.com/`
    /// (a private deployment, a compatible platform, a local emulator). Plain `http` is
    /// accepted only for 127.0.0.1, `[::1]` and localhost. [env: ALIBABA_CLOUD_IOT_ENDPOINT]
    #[arg(long, value_name = "URL")]
    pub endpoint: Option<String>,
    /// The region (sent as `RegionId`; it also names the endpoint). [env:
    /// ALIBABA_CLOUD_REGION_ID, else the CLI profile's region, else cn-shanghai]
    #[arg(long, value_name = "REGION")]
    pub region: Option<String>,
    /// The instance's ID, sent as `IotInstanceId`: required for instances that have one.
    #[arg(long, value_name = "ID")]
    pub iot_instance_id: Option<String>,
    /// The signature to send: RPC V1 (HMAC-SHA1) or ACS3-HMAC-SHA256.
    #[arg(long, value_enum, default_value = "v1")]
    pub signature: Signature,
    /// Calls per second of an action, for instances with other quotas than the documented
    /// ones (`InvokeThingsService=50`); repeatable.
    #[arg(long = "qps", value_name = "ACTION=N", value_parser = parse_qps)]
    pub qps: Vec<(String, u32)>,
    /// Seconds to wait for an answer before a call's outcome is unknown (default: 10, and 12
    /// for InvokeThingService, whose sync services have 8 s on the platform).
    #[arg(long, value_name = "SECONDS", value_parser = parse_seconds)]
    pub timeout: Option<std::time::Duration>,
    /// Calls of a batch in flight at once (within the QPS).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    pub max_in_flight: Option<u16>,
}

/// A positive number of seconds, fractions allowed (`1.5`).
fn parse_seconds(text: &str) -> Result<std::time::Duration, String> {
    match text.trim().parse::<f64>() {
        Ok(seconds) if seconds > 0.0 && seconds <= 3600.0 => {
            Ok(std::time::Duration::from_secs_f64(seconds))
        }
        _ => Err(format!(
            "{text:?} is not a number of seconds between 0 and 3600"
        )),
    }
}

/// `ACTION=N` with N ≥ 1.
fn parse_qps(text: &str) -> Result<(String, u32), String> {
    let (action, calls) = text
        .split_once('=')
        .ok_or_else(|| format!("{text:?} is not ACTION=N (e.g. InvokeThingsService=50)"))?;
    let action = action.trim();
    if action.is_empty() || !action.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(format!(
            "{action:?} is not an action name (e.g. InvokeThingsService)"
        ));
    }
    match calls.trim().parse::<u32>() {
        Ok(n) if n >= 1 => Ok((action.to_string(), n)),
        _ => Err(format!(
            "{calls:?} is not a number of calls per second (1 or more)"
        )),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Signature {
    /// RPC signature V1, HMAC-SHA1, every parameter in the query.
    V1,
    /// ACS3-HMAC-SHA256 in an `Authorization` header.
    Acs3,
}

impl Connection {
    /// A client for these settings and the default chain's credentials.
    pub fn client(&self) -> Result<Client, Failure> {
        self.client_with(&|name| std::env::var(name).ok())
    }

    fn client_with(&self, env: &dyn Fn(&str) -> Option<String>) -> Result<Client, Failure> {
        let (credentials, source) =
            Credentials::default_chain_with(env).map_err(|e| Failure::usage(format!("{e}")))?;
        let nonempty = |value: Option<String>| value.filter(|v| !v.trim().is_empty());
        let profile_region = match &source {
            CredentialSource::CliProfile { region_id, .. } => region_id.clone(),
            _ => None,
        };
        let region = nonempty(self.region.clone())
            .or_else(|| nonempty(env(ENV_REGION)))
            .or_else(|| nonempty(profile_region))
            .unwrap_or_else(|| DEFAULT_REGION.to_string());
        let mut builder = Client::builder()
            .credentials(credentials)
            .region(region)
            .signature(match self.signature {
                Signature::V1 => SignatureVersion::V1,
                Signature::Acs3 => SignatureVersion::Acs3,
            });
        if let Some(endpoint) =
            nonempty(self.endpoint.clone()).or_else(|| nonempty(env(ENV_ENDPOINT)))
        {
            check_plain_http(&endpoint)?;
            builder = builder.endpoint(endpoint);
        }
        if let Some(id) = nonempty(self.iot_instance_id.clone()) {
            builder = builder.iot_instance_id(id);
        }
        for (action, calls) in &self.qps {
            builder = builder.qps(action.as_str(), *calls);
        }
        if let Some(timeout) = self.timeout {
            builder = builder.timeout(timeout).invoke_timeout(timeout);
        }
        if let Some(calls) = self.max_in_flight {
            builder = builder.max_in_flight(usize::from(calls));
        }
        builder.build().map_err(|e| Failure::usage(format!("{e}")))
    }
}

/// Plain `http` only to this machine: elsewhere the signature and any STS token would cross
/// the network in clear text. (The client's own check says the same in API terms.)
fn check_plain_http(endpoint: &str) -> Result<(), Failure> {
    let trimmed = endpoint.trim();
    let Some(rest) = trimmed
        .get(..7)
        .filter(|scheme| scheme.eq_ignore_ascii_case("http://"))
        .map(|_| &trimmed[7..])
    else {
        return Ok(());
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host = match authority.strip_prefix('[') {
        Some(bracketed) => bracketed.split(']').next().unwrap_or(""),
        None => authority.split(':').next().unwrap_or(""),
    };
    let loopback = host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    if loopback {
        Ok(())
    } else {
        let shown = redact_userinfo(endpoint);
        Err(Failure::usage(format!(
            "endpoint {shown:?} is plain http to another machine: plain http is accepted only \
             for 127.0.0.1, [::1] and localhost (elsewhere the signature and any STS token would \
             cross the network in clear text); use https"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn connection(endpoint: Option<&str>) -> Connection {
        Connection {
            endpoint: endpoint.map(str::to_string),
            region: None,
            iot_instance_id: None,
            signature: Signature::V1,
            qps: Vec::new(),
            timeout: None,
            max_in_flight: None,
        }
    }

    fn env(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |name| {
            pairs
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| v.to_string())
        }
    }

    const KEYS: &[(&str, &str)] = &[
        ("ALIBABA_CLOUD_ACCESS_KEY_ID", "id"),
        ("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "s3cr3t"),
    ];

    #[test]
    fn qps_flags_are_action_and_number() {
        assert_eq!(
            parse_qps("InvokeThingsService=50"),
            Ok(("InvokeThingsService".to_string(), 50))
        );
        for bad in ["InvokeThingsService", "=5", "A=0", "A=x", "A b=1"] {
            assert!(parse_qps(bad).is_err(), "{bad}");
        }
        let mut with = connection(None);
        with.qps = vec![("InvokeThingsService".into(), 50)];
        let client = with.client_with(&env(KEYS)).unwrap();
        assert_eq!(client.qps("InvokeThingsService"), Some(50));
    }

    #[test]
    fn plain_http_only_to_this_machine() {
        for ok in [
            "http://127.0.0.1:8080/",
            "HTTP://localhost",
            "http://[::1]:9/",
            "https://iot.example.com/",
            "http://127.0.0.1",
        ] {
            assert!(check_plain_http(ok).is_ok(), "{ok}");
        }
        for bad in [
            "http://iot.example.com/",
            "http://10.0.0.1:80/",
            "http://127.0.0.1.example.com/",
            "http://",
        ] {
            match check_plain_http(bad) {
                Err(Failure::Usage(message)) => {
                    assert!(message.contains("only for 127.0.0.1"), "{message}")
                }
                other => panic!("{bad}: {other:?}"),
            }
        }
    }

    #[test]
    fn endpoint_from_flag_then_environment_then_region() {
        let client = connection(None).client_with(&env(KEYS)).unwrap();
        assert_eq!(client.endpoint(), "https://iot.cn-shanghai.aliyuncs.com/");
        const WITH_ENV: &[(&str, &str)] = &[
            ("ALIBABA_CLOUD_ACCESS_KEY_ID", "id"),
            ("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "s3cr3t"),
            ("ALIBABA_CLOUD_IOT_ENDPOINT", "http://127.0.0.1:1/"),
            ("ALIBABA_CLOUD_REGION_ID", "cn-beijing"),
        ];
        let client = connection(None).client_with(&env(WITH_ENV)).unwrap();
        assert_eq!(client.endpoint(), "http://127.0.0.1:1/");
        let client = connection(Some("https://iot.example.com"))
            .client_with(&env(WITH_ENV))
            .unwrap();
        assert_eq!(client.endpoint(), "https://iot.example.com/");
        const REGION: &[(&str, &str)] = &[
            ("ALIBABA_CLOUD_ACCESS_KEY_ID", "id"),
            ("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "s3cr3t"),
            ("ALIBABA_CLOUD_REGION_ID", "cn-beijing"),
        ];
        let client = connection(None).client_with(&env(REGION)).unwrap();
        assert_eq!(client.endpoint(), "https://iot.cn-beijing.aliyuncs.com/");
        let mut flagged = connection(None);
        flagged.region = Some("ap-southeast-1".into());
        let client = flagged.client_with(&env(REGION)).unwrap();
        assert_eq!(
            client.endpoint(),
            "https://iot.ap-southeast-1.aliyuncs.com/"
        );
    }

    #[test]
    fn missing_credentials_and_remote_http_are_usage_errors() {
        const NONE: &[(&str, &str)] = &[("ALIBABA_CLOUD_CLI_PROFILE_DISABLED", "true")];
        match connection(None).client_with(&env(NONE)) {
            Err(Failure::Usage(message)) => {
                assert!(message.contains("ALIBABA_CLOUD_ACCESS_KEY_ID"), "{message}")
            }
            other => panic!("{other:?}"),
        }
        for endpoint in [
            "http://u:Pa55w0rd@iot.example.com/",
            "https://u:Pa55w0rd@iot.example.com/",
        ] {
            match connection(Some(endpoint)).client_with(&env(KEYS)) {
                Err(Failure::Usage(message)) => {
                    assert!(!message.contains("Pa55w0rd"), "{message}");
                    assert!(message.contains("***@iot.example.com"), "{message}");
                }
                other => panic!("{other:?}"),
            }
        }
        match connection(Some("http://iot.example.com/")).client_with(&env(KEYS)) {
            Err(Failure::Usage(message)) => {
                assert!(message.contains("plain http"), "{message}");
                assert!(!message.contains("s3cr3t"), "{message}");
            }
            other => panic!("{other:?}"),
        }
    }
}
