//! `tsl-codegen listen`: receive device messages from the platform's AMQP subscription (or
//! the emulator's) and print each as one JSON line, decoded against the model.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tsl_runtime::model::{Model, Parsed};
use tsl_runtime::sign::Credentials;
use tsl_runtime::subscribe::{Decoder, Endpoint, Received, SignMethod, Subscriber};

/// The subscription endpoint when `--endpoint` is not given.
pub const ENV_AMQP_ENDPOINT: &str = "ALIBABA_CLOUD_IOT_AMQP_ENDPOINT";
/// The account ID that names the region's endpoint `{uid}.iot-amqp.{region}.aliyuncs.com`.
pub const ENV_ACCOUNT_ID: &str = "ALIBABA_CLOUD_ACCOUNT_ID";

#[derive(clap::Args)]
pub struct Args {
    /// Model files; files of one product (a default module and its custom modules) are read
    /// together. Messages of other products are printed as `other`.
    #[arg(long = "model", required = true, value_name = "MODEL")]
    models: Vec<PathBuf>,
    /// The consumer group to receive from.
    #[arg(long, value_name = "GROUP")]
    consumer_group: String,
    /// This consumer's `clientId` (default: a random one). Give each process of a group its
    /// own.
    #[arg(long, value_name = "ID")]
    client_id: Option<String>,
    /// `amqps://host[:port]` (plain `amqp://` only for loopback, e.g. the emulator).
    /// [env: ALIBABA_CLOUD_IOT_AMQP_ENDPOINT, else from --uid and --region]
    #[arg(long, value_name = "URL")]
    endpoint: Option<String>,
    /// Your account ID, for the region's endpoint `{uid}.iot-amqp.{region}.aliyuncs.com`.
    /// [env: ALIBABA_CLOUD_ACCOUNT_ID]
    #[arg(long, value_name = "UID")]
    uid: Option<String>,
    /// The region of the endpoint. [env: ALIBABA_CLOUD_REGION_ID, else cn-shanghai]
    #[arg(long, value_name = "REGION")]
    region: Option<String>,
    /// The instance's ID (`iotInstanceId` in the login).
    #[arg(long, value_name = "ID")]
    iot_instance_id: Option<String>,
    /// Sign the login with HMAC-SHA256 instead of HMAC-SHA1.
    #[arg(long)]
    sha256: bool,
    /// Sign the login with HMAC-MD5 instead of HMAC-SHA1.
    #[arg(long, conflicts_with = "sha256")]
    md5: bool,
    /// Stop after this many messages.
    #[arg(long, value_name = "N")]
    count: Option<u64>,
    /// Stop after this many seconds.
    #[arg(long, value_name = "S")]
    seconds: Option<u64>,
}

pub fn run(args: &Args) -> ExitCode {
    match listen(args, &|name| std::env::var(name).ok()) {
        Ok(()) => ExitCode::SUCCESS,
        Err((code, message)) => {
            eprintln!("error: {message}");
            ExitCode::from(code)
        }
    }
}

/// Usage problems exit 2, a refused login or a lost endpoint 1.
type Failure = (u8, String);

fn decoder(paths: &[PathBuf]) -> Result<Decoder, Failure> {
    let mut by_product: BTreeMap<String, Vec<Parsed>> = BTreeMap::new();
    for path in paths {
        let parsed = Model::load(path)
            .map_err(|e| (2, format!("{} is not a valid model:\n{e}", path.display())))?;
        let Some(key) = parsed.model.product_key.clone() else {
            return Err((2, format!("{} names no product key", path.display())));
        };
        by_product.entry(key).or_default().push(parsed);
    }
    let mut decoder = Decoder::new();
    for (key, parts) in by_product {
        let combined = Model::combine(parts)
            .map_err(|e| (2, format!("the modules of {key} do not combine:\n{e}")))?;
        decoder = decoder.model_for(key, combined.model);
    }
    Ok(decoder)
}

fn endpoint(args: &Args, env: &dyn Fn(&str) -> Option<String>) -> Result<String, Failure> {
    let nonempty = |v: Option<String>| v.filter(|v| !v.trim().is_empty());
    if let Some(endpoint) =
        nonempty(args.endpoint.clone()).or_else(|| nonempty(env(ENV_AMQP_ENDPOINT)))
    {
        return Ok(endpoint);
    }
    let Some(uid) = nonempty(args.uid.clone()).or_else(|| nonempty(env(ENV_ACCOUNT_ID))) else {
        return Err((
            2,
            format!("no endpoint: give --endpoint (or {ENV_AMQP_ENDPOINT}), or --uid (or {ENV_ACCOUNT_ID}) for the region's"),
        ));
    };
    let region = nonempty(args.region.clone())
        .or_else(|| nonempty(env("ALIBABA_CLOUD_REGION_ID")))
        .unwrap_or_else(|| "cn-shanghai".to_string());
    Endpoint::region(&uid, &region)
        .map(|e| e.to_string())
        .map_err(|e| (2, e.to_string()))
}

fn listen(args: &Args, env: &dyn Fn(&str) -> Option<String>) -> Result<(), Failure> {
    let decoder = decoder(&args.models)?;
    let endpoint = endpoint(args, env)?;
    let (credentials, _source) =
        Credentials::default_chain_with(env).map_err(|e| (2, e.to_string()))?;
    let mut subscriber = Subscriber::new(&endpoint, args.consumer_group.clone(), credentials)
        .map_err(|e| (2, e.to_string()))?
        .decoder(decoder)
        .sign_method(if args.sha256 {
            SignMethod::HmacSha256
        } else if args.md5 {
            SignMethod::HmacMd5
        } else {
            SignMethod::HmacSha1
        });
    if let Some(id) = &args.client_id {
        subscriber = subscriber.client_id(id.clone());
    }
    if let Some(id) = &args.iot_instance_id {
        subscriber = subscriber.iot_instance_id(id.clone());
    }
    if args.count == Some(0) {
        return Ok(());
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| (1, format!("cannot start the async runtime: {e}")))?;
    let handled = Arc::new(AtomicU64::new(0));
    let enough = Arc::new(tokio::sync::Notify::new());
    let (count, seconds) = (args.count, args.seconds);
    let result = runtime.block_on(async {
        let (handled2, enough2) = (handled.clone(), enough.clone());
        let handler = move |received: Received| {
            let (handled, enough) = (handled2.clone(), enough2.clone());
            async move {
                // A line that cannot be written is not accepted: the message comes again.
                let mut out = std::io::stdout().lock();
                writeln!(out, "{}", received.to_json_line())?;
                out.flush()?;
                let n = handled.fetch_add(1, Ordering::Relaxed) + 1;
                if count.is_some_and(|count| n >= count) {
                    enough.notify_one();
                }
                Ok::<(), std::io::Error>(())
            }
        };
        let stop = async move {
            let timer = async {
                match seconds {
                    Some(s) => tokio::time::sleep(Duration::from_secs(s)).await,
                    None => std::future::pending().await,
                }
            };
            let interrupted = async {
                if tokio::signal::ctrl_c().await.is_err() {
                    std::future::pending::<()>().await;
                }
            };
            tokio::select! {
                () = timer => {}
                () = enough.notified() => {}
                () = interrupted => {}
            }
        };
        subscriber.run(handler, stop).await
    });
    match result {
        Ok(summary) => {
            eprintln!(
                "listen: {} message(s) handled, {} connection(s)",
                summary.accepted, summary.connections
            );
            Ok(())
        }
        Err(e) => Err((1, e.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(endpoint: Option<&str>, uid: Option<&str>) -> Args {
        Args {
            models: Vec::new(),
            consumer_group: "g".into(),
            client_id: None,
            endpoint: endpoint.map(str::to_string),
            uid: uid.map(str::to_string),
            region: None,
            iot_instance_id: None,
            sha256: false,
            md5: false,
            count: None,
            seconds: None,
        }
    }

    #[test]
    fn endpoint_from_flag_then_environment_then_account_and_region() {
        let none = |_: &str| None;
        assert_eq!(
            endpoint(&args(Some("amqp://127.0.0.1:1"), None), &none).unwrap(),
            "amqp://127.0.0.1:1"
        );
        let env =
            |name: &str| (name == ENV_AMQP_ENDPOINT).then(|| "amqps://x.example.com".to_string());
        assert_eq!(
            endpoint(&args(None, None), &env).unwrap(),
            "amqps://x.example.com"
        );
        assert_eq!(
            endpoint(&args(None, Some("123")), &none).unwrap(),
            "amqps://123.iot-amqp.cn-shanghai.aliyuncs.com:5671"
        );
        let (code, message) = endpoint(&args(None, None), &none).unwrap_err();
        assert_eq!(code, 2);
        assert!(message.contains("--endpoint"), "{message}");
    }
}
