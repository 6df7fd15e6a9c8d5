//! `tsl-codegen emulate`: the local platform emulator for development, on 127.0.0.1.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use tsl_runtime::emulator::{Device, Emulator, Outcome};
use tsl_runtime::model::Model;

/// The AccessKey pair the emulator accepts when the environment gives none. Local only:
/// it opens nothing but 127.0.0.1.
const LOCAL_ID: &str = "emulator-id";
const LOCAL_SECRET: &str = "emulator-secret";

#[derive(clap::Args)]
pub struct Args {
    /// Model files: each file's product key names its product; files of one product (a
    /// default module and its custom modules) are read together.
    #[arg(long = "model", required = true, value_name = "MODEL")]
    models: Vec<PathBuf>,
    /// A simulated device, `NAME` (when there is one product) or `PRODUCT_KEY/NAME`;
    /// repeatable. Devices answer sync services with valid default outputs.
    #[arg(long = "device", value_name = "DEVICE")]
    devices: Vec<String>,
    /// The port on 127.0.0.1 (0: any free port).
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// Require this `IotInstanceId` on every request.
    #[arg(long, value_name = "ID")]
    iot_instance_id: Option<String>,
    /// Stop after this many seconds instead of at Ctrl-C.
    #[arg(long, value_name = "SECONDS")]
    seconds: Option<u64>,
}

pub fn run(args: &Args) -> ExitCode {
    let mut emulator = Emulator::new().port(args.port);
    let mut products: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for path in &args.models {
        match Model::load(path) {
            Ok(parsed) => match parsed.model.product_key.clone() {
                Some(key) => {
                    products.entry(key).or_default();
                    emulator = emulator.model(parsed.model);
                }
                None => {
                    eprintln!(
                        "error: {} names no product key; the emulator needs one per product",
                        path.display()
                    );
                    return ExitCode::FAILURE;
                }
            },
            Err(err) => {
                for d in &err.diagnostics {
                    eprintln!("{d}");
                }
                eprintln!("error: {} is not a valid model", path.display());
                return ExitCode::FAILURE;
            }
        }
    }
    for device in &args.devices {
        let (product_key, name) = match device.split_once('/') {
            Some((pk, name)) => (pk.to_string(), name.to_string()),
            None if products.len() == 1 => {
                let pk = products.keys().next().cloned().unwrap_or_default();
                (pk, device.clone())
            }
            None => {
                eprintln!(
                    "error: --device {device}: several products are loaded; write PRODUCT_KEY/NAME"
                );
                return ExitCode::from(2);
            }
        };
        match products.get_mut(&product_key) {
            Some(names) => names.push(name.clone()),
            None => {
                eprintln!("error: --device {device}: no model has product key {product_key}");
                return ExitCode::from(2);
            }
        }
        emulator = emulator.device(Device::new(product_key, name));
    }
    if let Some(id) = &args.iot_instance_id {
        emulator = emulator.iot_instance_id(id.clone());
    }
    // The caller's own AccessKey when the environment has one (never printed), else a
    // local pair that is printed so the session can be copied.
    let from_env = (
        std::env::var("ALIBABA_CLOUD_ACCESS_KEY_ID").ok(),
        std::env::var("ALIBABA_CLOUD_ACCESS_KEY_SECRET").ok(),
    );
    let (id, local) = match from_env {
        (Some(id), Some(secret)) if !id.is_empty() && !secret.is_empty() => {
            emulator = emulator.credentials(id.clone(), secret);
            (id, false)
        }
        _ => {
            emulator = emulator.credentials(LOCAL_ID, LOCAL_SECRET);
            (LOCAL_ID.to_string(), true)
        }
    };

    let running = match emulator.start() {
        Ok(running) => running,
        Err(e) => {
            eprintln!("error: the emulator did not start: {e}");
            return ExitCode::FAILURE;
        }
    };
    println!("emulator listening on {}", running.endpoint());
    for (pk, names) in &products {
        println!(
            "  product {pk}: {} device(s) {}",
            names.len(),
            names.join(", ")
        );
    }
    println!("use it from another shell:");
    println!("  export ALIBABA_CLOUD_IOT_ENDPOINT={}", running.endpoint());
    if local {
        println!("  export ALIBABA_CLOUD_ACCESS_KEY_ID={LOCAL_ID}");
        println!("  export ALIBABA_CLOUD_ACCESS_KEY_SECRET={LOCAL_SECRET}");
    } else {
        println!("  (AccessKey {id} from this environment)");
    }

    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: cannot start a runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let seconds = args.seconds;
    runtime.block_on(async {
        let stop = async {
            match seconds {
                Some(s) => tokio::time::sleep(Duration::from_secs(s)).await,
                None => {
                    // Without a signal handler, wait forever; Ctrl-C still ends the process.
                    if tokio::signal::ctrl_c().await.is_err() {
                        std::future::pending::<()>().await;
                    }
                }
            }
        };
        tokio::pin!(stop);
        let mut shown = 0;
        loop {
            tokio::select! {
                _ = &mut stop => break,
                _ = tokio::time::sleep(Duration::from_millis(200)) => {
                    let requests = running.requests();
                    for request in requests.iter().skip(shown) {
                        let outcome = match &request.outcome {
                            Outcome::Answered { status, code: Some(code), .. } => format!("{status} {code}"),
                            Outcome::Answered { status, .. } => format!("{status} ok"),
                            Outcome::Dropped { reset } => {
                                if *reset { "reset".to_string() } else { "closed".to_string() }
                            }
                        };
                        println!(
                            "{} {}",
                            request.action.as_deref().unwrap_or("(no action)"),
                            outcome
                        );
                    }
                    shown = requests.len();
                }
            }
        }
    });
    running.shutdown();
    println!("emulator stopped");
    ExitCode::SUCCESS
}
