//! `fleet-invoke`: upload a switching schedule to every street lamp named in a file, with
//! typed, checked arguments, and write what happened to each device as JSON lines.
//!
//! ```text
//! cargo run -p fleet-invoke -- --devices lamps.txt --on 18:30 --off 06:00 --brightness 80 \
//!     --region cn-shanghai --report report.jsonl
//! ```
//!
//! Credentials come from the runtime's default chain (`ALIBABA_CLOUD_ACCESS_KEY_ID` and
//! `_SECRET`, or the aliyun CLI's profile). With no `--endpoint`, `--region`,
//! `ALIBABA_CLOUD_IOT_ENDPOINT` or `ALIBABA_CLOUD_REGION_ID`, the app starts the runtime's
//! local emulator with the lamps of the file and sends there, so it runs offline as is:
//! `cargo run -p fleet-invoke`.
//!
//! Exit status: 0 when every device accepted the call, 1 when some did not, 2 when nothing
//! was sent (bad arguments, unreadable file, no credentials).

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{SystemTime, UNIX_EPOCH};

use clap::Parser;
use tsl_macros::tsl_model;
use tsl_runtime::client::Client;
use tsl_runtime::emulator::{self, Emulator, RunningEmulator};
use tsl_runtime::model::Model;
use tsl_runtime::sign::Credentials;
use tsl_runtime::value::Date;

/// The street lamp's typed code: only the cloud side is needed here.
#[tsl_model(path = "../models/street-lamp.json", device = false)]
#[allow(dead_code)] // the app calls one service of several
mod lamp {}

/// Upload a switching schedule to every street lamp named in a file.
#[derive(Parser)]
#[command(name = "fleet-invoke")]
struct Args {
    /// Device names, one a line; blank lines and `#` comments are skipped.
    #[arg(long, value_name = "FILE", default_value = concat!(env!("CARGO_MANIFEST_DIR"), "/devices.txt"))]
    devices: PathBuf,
    /// Switch on at this time of day.
    #[arg(long, value_name = "HH:MM", default_value = "18:30", value_parser = minute_of_day)]
    on: i32,
    /// Switch off at this time of day.
    #[arg(long, value_name = "HH:MM", default_value = "06:00", value_parser = minute_of_day)]
    off: i32,
    /// Brightness while on, in percent (the model allows 0 to 100).
    #[arg(long, value_name = "PERCENT", default_value_t = 80)]
    brightness: i32,
    /// When the schedule starts to hold, in epoch milliseconds [default: now].
    #[arg(long, value_name = "MS")]
    valid_from: Option<i64>,
    /// Write the report here instead of to stdout.
    #[arg(long, value_name = "FILE")]
    report: Option<PathBuf>,
    /// The platform's endpoint. [env: ALIBABA_CLOUD_IOT_ENDPOINT]
    #[arg(long, value_name = "URL")]
    endpoint: Option<String>,
    /// The region, e.g. cn-shanghai. [env: ALIBABA_CLOUD_REGION_ID]
    #[arg(long, value_name = "REGION")]
    region: Option<String>,
    /// The instance's ID, for instances that have one.
    #[arg(long, value_name = "ID")]
    iot_instance_id: Option<String>,
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let args = Args::parse();
    match run(&args).await {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}

async fn run(args: &Args) -> Result<ExitCode, String> {
    let names = read_names(&args.devices)?;
    let valid_from = args.valid_from.unwrap_or_else(now_ms);
    let input = lamp::UploadScheduleInput {
        schedule: vec![
            lamp::ScheduleItem {
                at: args.on,
                brightness: args.brightness,
                enabled: true,
            },
            lamp::ScheduleItem {
                at: args.off,
                brightness: 0,
                enabled: true,
            },
        ],
        valid_from: Date(valid_from),
    };

    // Keep the emulator, if one was started, running until the calls are done.
    let (client, _emulator) = connect(args, &names)?;
    // Checks the arguments against the model once, then calls every device, 100 names a
    // call within the action's rate limit; the report accounts for every name given.
    let report = lamp::Fleet::named(&client)
        .upload_schedule(&names, &input)
        .await
        .map_err(|e| e.to_string())?;

    let written = match &args.report {
        Some(path) => File::create(path)
            .map(BufWriter::new)
            .and_then(|mut out| {
                report.write_json_lines(&mut out)?;
                out.flush()
            })
            .map_err(|e| format!("cannot write the report {}: {e}", path.display())),
        None => report
            .write_json_lines(io::stdout().lock())
            .map_err(|e| format!("cannot write the report: {e}")),
    };
    eprintln!(
        "{} device(s): {} accepted, {} refused, {} unknown, {} not attempted",
        report.devices.len(),
        report.accepted().count(),
        report.refused().count(),
        report.unknown().count(),
        report.not_attempted().count()
    );
    written?;
    Ok(if report.all_accepted() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// The platform, or the local emulator when none is configured.
fn connect(args: &Args, names: &[String]) -> Result<(Client, Option<RunningEmulator>), String> {
    let env = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
    let endpoint = args
        .endpoint
        .clone()
        .or_else(|| env("ALIBABA_CLOUD_IOT_ENDPOINT"));
    let region = args
        .region
        .clone()
        .or_else(|| env("ALIBABA_CLOUD_REGION_ID"));
    if endpoint.is_none() && region.is_none() {
        return local_emulator(names).map(|(client, emulator)| (client, Some(emulator)));
    }
    let (credentials, _source) = Credentials::default_chain().map_err(|e| e.to_string())?;
    let mut builder = Client::builder().credentials(credentials);
    if let Some(region) = region {
        builder = builder.region(region);
    }
    if let Some(endpoint) = endpoint {
        builder = builder.endpoint(endpoint);
    }
    if let Some(id) = &args.iot_instance_id {
        builder = builder.iot_instance_id(id.clone());
    }
    let client = builder.build().map_err(|e| e.to_string())?;
    Ok((client, None))
}

/// Starts the runtime's emulator on 127.0.0.1 with the street-lamp model and the lamps
/// named, and a client signed for it.
fn local_emulator(names: &[String]) -> Result<(Client, RunningEmulator), String> {
    const ID: &str = "fleet-invoke-local";
    const SECRET: &str = "fleet-invoke-local-secret";
    let model = Model::parse(
        include_str!("../../models/street-lamp.json"),
        "street-lamp.json",
    )
    .map_err(|e| e.to_string())?
    .model;
    let mut emulator = Emulator::new().model(model).credentials(ID, SECRET);
    for name in names {
        emulator = emulator.device(emulator::Device::new(lamp::PRODUCT_KEY, name.clone()));
    }
    let running = emulator
        .start()
        .map_err(|e| format!("cannot start the local emulator: {e}"))?;
    eprintln!(
        "no endpoint or region given: sending to a local emulator at {} with {} lamp(s)",
        running.endpoint(),
        names.len()
    );
    let client = Client::builder()
        .endpoint(running.endpoint())
        .credentials(Credentials::new(ID, SECRET).map_err(|e| e.to_string())?)
        .build()
        .map_err(|e| e.to_string())?;
    Ok((client, running))
}

fn read_names(path: &PathBuf) -> Result<Vec<String>, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read the devices file {}: {e}", path.display()))?;
    let names: Vec<String> = text
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .map(str::to_string)
        .collect();
    if names.is_empty() {
        return Err(format!("no device names in {}", path.display()));
    }
    Ok(names)
}

/// `18:30` → 1110.
fn minute_of_day(text: &str) -> Result<i32, String> {
    let (h, m) = text
        .split_once(':')
        .ok_or_else(|| format!("{text:?} is not HH:MM"))?;
    let h: i32 = h.parse().map_err(|_| format!("{text:?} is not HH:MM"))?;
    let m: i32 = m.parse().map_err(|_| format!("{text:?} is not HH:MM"))?;
    if !(0..24).contains(&h) || !(0..60).contains(&m) {
        return Err(format!("{text:?} is not a time of day"));
    }
    Ok(h * 60 + m)
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}
