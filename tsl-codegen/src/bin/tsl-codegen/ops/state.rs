//! `tsl-codegen get`, `desired set|get|clear` and `history`: a device's state from the
//! platform (QueryDevicePropertyStatus, the desired-property actions, the history queries),
//! read against the model and printed as JSON lines with values in their wire form
//! (`docs/state.md`).

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{SystemTime, UNIX_EPOCH};

use futures_util::StreamExt;
use serde_json::{json, Map, Value};
use tsl_runtime::client::{
    is_version_conflict, record_json, value_json, Client, HistoryQuery, HistoryRecord,
    HistorySource, PropertiesQuery, SetDeviceDesiredProperty, StateDecoder, ORIGINAL_STATUS_ACTION,
    PROPERTIES_DATA_ACTION,
};
use tsl_runtime::cloud::Device;
use tsl_runtime::model::Model;

use super::connection::Connection;
use super::output::{self, REFUSED};
use super::Failure;

/// What the state commands' `--help` ends with.
const STATE_HELP: &str = "Output: one JSON line per value on stdout, read against the model:
  {\"identifier\",\"time\",\"value\"}          the value in its wire form
  {\"identifier\",\"time\",\"error\",\"value_raw\"} a value that does not fit the model, as sent
Exit codes: 0 every value fits the model; 1 a value does not fit, or the platform refused
(code, message and RequestId on stderr; a stale desired version says version_conflict);
2 usage: bad flags or files, nothing was sent.

Credentials: ALIBABA_CLOUD_ACCESS_KEY_ID, ALIBABA_CLOUD_ACCESS_KEY_SECRET (and
ALIBABA_CLOUD_SECURITY_TOKEN), else the aliyun CLI's profile. The secret is never printed.";

/// The device a state command is about.
#[derive(clap::Args, Debug)]
pub struct Target {
    /// Model files of the product (repeatable: a default module and its custom modules).
    #[arg(long = "model", value_name = "FILE", required = true)]
    models: Vec<PathBuf>,
    /// The device's name.
    #[arg(long, value_name = "NAME")]
    device: String,
    /// The product key, when not the model's own.
    #[arg(long, value_name = "PK")]
    product_key: Option<String>,
    #[command(flatten)]
    connection: Connection,
}

impl Target {
    fn open(&self) -> Result<(Model, Device, Client), Failure> {
        if self.device.trim().is_empty() {
            return Err(Failure::usage("--device is empty"));
        }
        let model = super::load_model(&self.models)?;
        let product_key = super::product_key(self.product_key.as_deref(), &model)?;
        let client = self.connection.client()?;
        Ok((
            model,
            Device::named(product_key, self.device.as_str()),
            client,
        ))
    }
}

/// The latest reported value of every property (QueryDevicePropertyStatus, one call per
/// module of the model), or of the ones named.
#[derive(clap::Args, Debug)]
#[command(after_help = STATE_HELP)]
pub struct GetArgs {
    #[command(flatten)]
    target: Target,
    /// Only this property (`module:Identifier` in a custom module); repeatable.
    #[arg(long = "property", value_name = "ID")]
    properties: Vec<String>,
    /// Read QueryDeviceOriginalPropertyStatus instead: values that failed the model and
    /// identifiers the model does not have (a product without checks) too.
    #[arg(long)]
    original: bool,
}

/// The desired side of the device shadow.
#[derive(clap::Args, Debug)]
pub struct DesiredArgs {
    #[command(subcommand)]
    command: DesiredCommand,
    /// No warnings on stderr: the global `-q/--quiet`, set by `main`.
    #[arg(skip)]
    pub quiet: bool,
}

#[derive(clap::Subcommand, Debug)]
enum DesiredCommand {
    /// Set desired values (SetDeviceDesiredProperty): writable properties only, checked
    /// against the model, each with the version it was read at (`--version Id=N`; none:
    /// no check). Prints {"status":"accepted","request_id","versions"}, or
    /// {"status":"version_conflict","code","message","request_id"} (exit 1) when a
    /// version is stale.
    #[command(after_help = STATE_HELP)]
    Set {
        #[command(flatten)]
        target: Target,
        /// The values as a JSON object, identifier → value: `{"Brightness":40}`.
        #[arg(long, value_name = "JSON")]
        props: String,
        /// The version a property was read at, `Identifier=N`; repeatable.
        #[arg(long = "version", value_name = "ID=N", value_parser = parse_version)]
        versions: Vec<(String, i64)>,
        #[command(flatten)]
        steps: super::StepArg,
    },
    /// The desired values and their versions (QueryDeviceDesiredProperty): one line per
    /// property, {"identifier","version","time","value"}; no value after a clear.
    #[command(after_help = STATE_HELP)]
    Get {
        #[command(flatten)]
        target: Target,
        /// Only this property; repeatable (at most 10). All writable ones without.
        #[arg(long = "property", value_name = "ID")]
        properties: Vec<String>,
    },
    /// Drop desired values (ClearDeviceDesiredProperty). Prints
    /// {"status":"accepted","request_id","versions"}.
    #[command(after_help = STATE_HELP)]
    Clear {
        #[command(flatten)]
        target: Target,
        /// The property to clear; repeatable (1 to 10).
        #[arg(long = "property", value_name = "ID", required = true)]
        properties: Vec<String>,
    },
}

/// What `history` reads: exactly one of them.
#[derive(clap::Args, Debug)]
#[group(required = true, multiple = false)]
pub struct Source {
    /// A property's values (QueryDevicePropertyData); repeat it for several properties in
    /// one stream (QueryDevicePropertiesData, 10 a call).
    #[arg(long, value_name = "ID")]
    property: Vec<String>,
    /// An event's posts (QueryDeviceEventData).
    #[arg(long, value_name = "ID")]
    event: Option<String>,
    /// A service's calls (QueryDeviceServiceData), with their input and output.
    #[arg(long, value_name = "ID")]
    service: Option<String>,
}

/// A device's history in a time window, oldest first, paged for you within each action's
/// QPS (the platform keeps 30 days unless the instance's storage setting says more).
#[derive(clap::Args, Debug)]
#[command(after_help = STATE_HELP)]
pub struct HistoryArgs {
    #[command(flatten)]
    target: Target,
    #[command(flatten)]
    source: Source,
    /// Start of the window: epoch milliseconds, `2026-12-01T08:00:00Z`, `now`, or an age
    /// (`-2h`, `-30m`, `-7d`, `-45s`).
    #[arg(long, value_name = "TIME", value_parser = parse_time, allow_hyphen_values = true)]
    from: i64,
    /// End of the window (the same forms); now when not given.
    #[arg(long, value_name = "TIME", value_parser = parse_time, allow_hyphen_values = true)]
    to: Option<i64>,
    /// Records per call, 1 to 50 (default 50; 1 to 100 with `--original --property`);
    /// with several properties, records of each property per call, 1 to 100 (default 100).
    #[arg(long, value_name = "N")]
    page_size: Option<u32>,
    /// Send windows older than 30 days too (an instance with a longer storage setting).
    #[arg(long)]
    no_retention_check: bool,
    /// Read the "Original" action (QueryDeviceOriginal{Property,Event,Service}Data): data
    /// that failed the model too, and identifiers the model does not have; one identifier.
    #[arg(long)]
    original: bool,
    /// JSON lines, or CSV with a header (time,identifier,value,error; services:
    /// time,identifier,input,output,error).
    #[arg(long, value_enum, default_value = "json")]
    format: Format,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Format {
    Json,
    Csv,
}

fn parse_version(text: &str) -> Result<(String, i64), String> {
    let (id, n) = text
        .split_once('=')
        .ok_or_else(|| format!("{text:?} is not Identifier=N"))?;
    let n = n
        .trim()
        .parse::<i64>()
        .ok()
        .filter(|n| *n >= 0)
        .ok_or_else(|| format!("{n:?} is not a version (0 or more)"))?;
    if id.trim().is_empty() {
        return Err(format!("{text:?} names no property"));
    }
    Ok((id.trim().to_string(), n))
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// Epoch ms, `now`, an age (`-2h`), or `YYYY-MM-DDTHH:MM:SS[.mmm]Z`.
fn parse_time(text: &str) -> Result<i64, String> {
    parse_time_at(text, now_ms())
}

fn parse_time_at(text: &str, now: i64) -> Result<i64, String> {
    let text = text.trim();
    if text == "now" {
        return Ok(now);
    }
    if let Ok(ms) = text.parse::<i64>() {
        if ms >= 0 {
            return Ok(ms);
        }
    }
    if let Some(age) = text.strip_prefix('-') {
        let split = age.len().saturating_sub(1);
        let (n, unit) = age.split_at(split);
        let unit_ms: i64 = match unit {
            "s" => 1_000,
            "m" => 60_000,
            "h" => 3_600_000,
            "d" => 86_400_000,
            _ => return Err(format!("{text:?}: an age ends in s, m, h or d (`-2h`)")),
        };
        let n: i64 = n
            .parse()
            .map_err(|_| format!("{text:?} is not an age like `-2h`"))?;
        return Ok(now - n * unit_ms);
    }
    rfc3339_utc(text).ok_or_else(|| {
        format!("{text:?} is not epoch ms, `now`, an age (`-2h`) or 2026-12-01T08:00:00Z")
    })
}

/// `YYYY-MM-DDTHH:MM:SS[.mmm]Z` as epoch ms (UTC only: a zone would be guessed).
fn rfc3339_utc(text: &str) -> Option<i64> {
    let text = text.strip_suffix('Z')?;
    let (date, time) = text.split_once('T')?;
    let mut d = date.split('-');
    let (y, mo, day): (i64, i64, i64) = (
        d.next()?.parse().ok()?,
        d.next()?.parse().ok()?,
        d.next()?.parse().ok()?,
    );
    let (time, millis) = match time.split_once('.') {
        Some((t, f)) if f.len() == 3 => (t, f.parse::<i64>().ok()?),
        Some(_) => return None,
        None => (time, 0),
    };
    let mut t = time.split(':');
    let (h, mi, s): (i64, i64, i64) = (
        t.next()?.parse().ok()?,
        t.next()?.parse().ok()?,
        t.next()?.parse().ok()?,
    );
    if d.next().is_some() || t.next().is_some() {
        return None;
    }
    if !(1..=12).contains(&mo) || !(1..=31).contains(&day) || h > 23 || mi > 59 || s > 59 {
        return None;
    }
    // Days from civil (Howard Hinnant's algorithm).
    let y = if mo <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (mo + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(((days * 24 + h) * 60 + mi) * 60_000 + s * 1000 + millis)
}

pub fn get(args: &GetArgs) -> ExitCode {
    super::finish(run_get(args))
}

pub fn desired(args: &DesiredArgs) -> ExitCode {
    super::finish(run_desired(args))
}

pub fn history(args: &HistoryArgs) -> ExitCode {
    super::finish(run_history(args))
}

/// The modules to query: those of the properties named, else every module of the model.
fn modules_of(model: &Model, properties: &[String]) -> Result<Vec<Option<String>>, Failure> {
    let mut modules: Vec<Option<String>> = Vec::new();
    if properties.is_empty() {
        for module in &model.modules {
            if !modules.contains(&module.id) {
                modules.push(module.id.clone());
            }
        }
        return Ok(modules);
    }
    for id in properties {
        if model.property_by_wire_identifier(id).is_none() {
            return Err(Failure::usage(format!(
                "`{id}` is not a property of the model; nothing was sent"
            )));
        }
        let module = id.split_once(':').map(|(m, _)| m.to_string());
        if !modules.contains(&module) {
            modules.push(module);
        }
    }
    Ok(modules)
}

fn run_get(args: &GetArgs) -> Result<ExitCode, Failure> {
    if args.original {
        return run_get_original(args);
    }
    let (model, device, client) = args.target.open()?;
    let modules = modules_of(&model, &args.properties)?;
    let decoder = StateDecoder::new(model);
    let runtime = super::runtime()?;
    let mut misfits = 0;
    for module in modules {
        let status = runtime
            .block_on(client.query_device_property_status(&device, module.as_deref()))
            .map_err(Failure::call("QueryDevicePropertyStatus"))?;
        for decoded in decoder.status(&status) {
            if !args.properties.is_empty() && !args.properties.contains(&decoded.identifier) {
                continue;
            }
            misfits += usize::from(decoded.value.is_err());
            output::print_line(&value_json(&decoded).to_string())?;
        }
    }
    Ok(exit(misfits))
}

/// `get --original`: every page of QueryDeviceOriginalPropertyStatus, each value read
/// against the model (an identifier the model does not have is a line with its error).
fn run_get_original(args: &GetArgs) -> Result<ExitCode, Failure> {
    let (model, device, client) = args.target.open()?;
    let decoder = StateDecoder::new(model);
    let runtime = super::runtime()?;
    let status = runtime
        .block_on(client.query_device_original_property_status(&device))
        .map_err(Failure::call(ORIGINAL_STATUS_ACTION))?;
    let mut misfits = 0;
    for decoded in decoder.status(&status) {
        if !args.properties.is_empty() && !args.properties.contains(&decoded.identifier) {
            continue;
        }
        misfits += usize::from(decoded.value.is_err());
        output::print_line(&value_json(&decoded).to_string())?;
    }
    Ok(exit(misfits))
}

fn exit(misfits: usize) -> ExitCode {
    if misfits == 0 {
        ExitCode::SUCCESS
    } else {
        eprintln!("error: {misfits} value(s) do not fit the model (the lines with \"error\")");
        ExitCode::from(REFUSED)
    }
}

fn run_desired(args: &DesiredArgs) -> Result<ExitCode, Failure> {
    match &args.command {
        DesiredCommand::Set {
            target,
            props,
            versions,
            steps,
        } => {
            let (model, device, client) = target.open()?;
            let items = super::set::encode_props(&model, props, steps.check, args.quiet)?;
            let mut map = Map::new();
            for (id, version) in versions {
                map.insert(id.clone(), json!(version));
            }
            let request =
                SetDeviceDesiredProperty::new(device, items, Value::Object(map).to_string());
            let runtime = super::runtime()?;
            match runtime.block_on(client.set_device_desired_property(&request)) {
                Ok(set) => {
                    output::print_line(
                        &json!({
                            "status": "accepted",
                            "request_id": set.request_id,
                            "versions": set.versions,
                        })
                        .to_string(),
                    )?;
                    Ok(ExitCode::SUCCESS)
                }
                Err(error) if is_version_conflict(&error) => {
                    if let tsl_runtime::Error::Platform(e) = &error {
                        output::print_line(
                            &json!({
                                "status": "version_conflict",
                                "code": e.code,
                                "message": e.message,
                                "request_id": e.request_id,
                            })
                            .to_string(),
                        )?;
                    }
                    Err(Failure::call("SetDeviceDesiredProperty")(error))
                }
                Err(error) => Err(Failure::call("SetDeviceDesiredProperty")(error)),
            }
        }
        DesiredCommand::Get { target, properties } => {
            let (model, device, client) = target.open()?;
            for id in properties {
                if model.property_by_wire_identifier(id).is_none() {
                    return Err(Failure::usage(format!(
                        "`{id}` is not a property of the model; nothing was sent"
                    )));
                }
            }
            let decoder = StateDecoder::new(model);
            let runtime = super::runtime()?;
            let list = runtime
                .block_on(client.query_device_desired_property(&device, properties, None))
                .map_err(Failure::call("QueryDeviceDesiredProperty"))?;
            let decoded = decoder.desired(&list);
            let mut misfits = 0;
            for property in &list.properties {
                let mut line = json!({
                    "identifier": property.identifier,
                    "version": property.version,
                });
                if let Some(time) = property.time {
                    line["time"] = json!(time);
                }
                if let Some(value) = decoded.iter().find(|d| d.identifier == property.identifier) {
                    misfits += usize::from(value.value.is_err());
                    if let Value::Object(fields) = value_json(value) {
                        for (key, field) in fields {
                            if key != "time" {
                                line[key] = field;
                            }
                        }
                    }
                }
                output::print_line(&line.to_string())?;
            }
            Ok(exit(misfits))
        }
        DesiredCommand::Clear { target, properties } => {
            let (_, device, client) = target.open()?;
            let runtime = super::runtime()?;
            let cleared = runtime
                .block_on(client.clear_device_desired_property(&device, properties))
                .map_err(Failure::call("ClearDeviceDesiredProperty"))?;
            output::print_line(
                &json!({
                    "status": "accepted",
                    "request_id": cleared.request_id,
                    "versions": cleared.versions,
                })
                .to_string(),
            )?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn run_history(args: &HistoryArgs) -> Result<ExitCode, Failure> {
    let (model, device, client) = args.target.open()?;
    let to = args.to.unwrap_or_else(now_ms);
    let retention = if args.no_retention_check {
        None
    } else {
        Some(tsl_runtime::limits::HISTORY_RETENTION)
    };
    // The Original actions also read identifiers the model does not have.
    for id in args.source.property.iter().filter(|_| !args.original) {
        if model.property_by_wire_identifier(id).is_none() {
            return Err(Failure::usage(format!(
                "`{id}` is not a property of the model"
            )));
        }
    }
    if args.original && args.source.property.len() > 1 {
        return Err(Failure::usage(
            "--original reads one --property at a time (there is no Original QueryDevicePropertiesData)",
        ));
    }
    // Several properties: one stream of QueryDevicePropertiesData.
    if args.source.property.len() > 1 {
        let mut query = PropertiesQuery::new(device, args.source.property.clone(), args.from, to)
            .retention(retention);
        if let Some(size) = args.page_size {
            query = query.page_size(size);
        }
        // Checked here, so a bad query is a usage error (exit 2) before anything is sent.
        query
            .check(now_ms())
            .map_err(|e| Failure::usage(format!("{e}")))?;
        let decoder = StateDecoder::new(model);
        return print_records(
            args.format,
            false,
            PROPERTIES_DATA_ACTION,
            &decoder,
            client.properties_history(query),
        );
    }
    let source = match (
        args.source.property.first(),
        &args.source.event,
        &args.source.service,
    ) {
        (Some(id), _, _) => HistorySource::Property(id.clone()),
        (_, Some(id), _) => {
            if !args.original && !model.events().any(|(_, e)| e.wire_identifier == *id) {
                return Err(Failure::usage(format!(
                    "`{id}` is not an event of the model"
                )));
            }
            HistorySource::Event {
                identifier: Some(id.clone()),
                event_type: None,
            }
        }
        (_, _, Some(id)) => {
            if !args.original && model.service_by_wire_identifier(id).is_none() {
                return Err(Failure::usage(format!(
                    "`{id}` is not a service of the model"
                )));
            }
            HistorySource::Service(Some(id.clone()))
        }
        _ => return Err(Failure::usage("give --property, --event or --service")),
    };
    let service = matches!(source, HistorySource::Service(_));
    let mut query = HistoryQuery::new(device, source, args.from, to)
        .retention(retention)
        .original(args.original);
    let action = query.action();
    if let Some(size) = args.page_size {
        query = query.page_size(size);
    }
    // Checked here, so a bad window is a usage error (exit 2) before anything is sent.
    query
        .check(now_ms())
        .map_err(|e| Failure::usage(format!("{e}")))?;
    let decoder = StateDecoder::new(model);
    print_records(
        args.format,
        service,
        action,
        &decoder,
        client.history(query),
    )
}

/// Prints each record of `records` as a JSON line (or CSV row), read against the model.
fn print_records(
    format: Format,
    service: bool,
    action: &'static str,
    decoder: &StateDecoder,
    records: impl futures_util::Stream<Item = Result<HistoryRecord, tsl_runtime::Error>>,
) -> Result<ExitCode, Failure> {
    if format == Format::Csv {
        output::print_line(if service {
            "time,identifier,input,output,error"
        } else {
            "time,identifier,value,error"
        })?;
    }
    let runtime = super::runtime()?;
    let mut misfits = 0;
    runtime.block_on(async {
        let mut records = std::pin::pin!(records);
        while let Some(record) = records.next().await {
            let record = record.map_err(|error| Failure::Call { action, error })?;
            let decoded = decoder.record(record);
            misfits += usize::from(
                decoded.value.is_err() || decoded.output.as_ref().is_some_and(Result::is_err),
            );
            let line = record_json(&decoded);
            let text = match format {
                Format::Json => line.to_string(),
                Format::Csv => csv_row(&line, service),
            };
            output::print_line(&text)?;
        }
        Ok::<(), Failure>(())
    })?;
    Ok(exit(misfits))
}

/// One CSV row of a record line: values as their wire JSON, quoted when they need it.
fn csv_row(line: &Value, service: bool) -> String {
    let field = |key: &str| match line.get(key) {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(text)) if key == "identifier" || key == "error" => text.clone(),
        Some(other) => other.to_string(),
    };
    // A value that does not fit shows its text as sent in the value column.
    let value = |key: &str| {
        let shown = field(key);
        if shown.is_empty() {
            match line.get(format!("{key}_raw")) {
                Some(Value::String(raw)) => raw.clone(),
                _ => String::new(),
            }
        } else {
            shown
        }
    };
    let cells = if service {
        vec![
            field("time"),
            field("identifier"),
            value("input"),
            value("output"),
            field("error"),
        ]
    } else {
        vec![
            field("time"),
            field("identifier"),
            value("value"),
            field("error"),
        ]
    };
    cells
        .iter()
        .map(|cell| {
            if cell.contains([',', '"', '\n', '\r']) {
                format!("\"{}\"", cell.replace('"', "\"\""))
            } else {
                cell.clone()
            }
        })
        .collect::<Vec<_>>()
        .join(",")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_read_ms_now_ages_and_utc_dates() {
        let now = 1_700_000_000_000;
        assert_eq!(parse_time_at("now", now), Ok(now));
        assert_eq!(parse_time_at("123", now), Ok(123));
        assert_eq!(parse_time_at("-2h", now), Ok(now - 7_200_000));
        assert_eq!(parse_time_at("-7d", now), Ok(now - 7 * 86_400_000));
        assert_eq!(
            parse_time_at("2023-11-14T22:13:20Z", now),
            Ok(1_700_000_000_000)
        );
        assert_eq!(parse_time_at("1970-01-01T00:00:00.250Z", now), Ok(250));
        for bad in [
            "-2w",
            "yesterday",
            "2023-11-14T22:13:20",
            "2023-13-01T00:00:00Z",
            "-h",
        ] {
            assert!(parse_time_at(bad, now).is_err(), "{bad}");
        }
    }

    #[test]
    fn versions_and_csv_rows() {
        assert_eq!(parse_version("Brightness=3"), Ok(("Brightness".into(), 3)));
        assert!(parse_version("Brightness").is_err());
        assert!(parse_version("=3").is_err());
        assert!(parse_version("B=-1").is_err());
        let row = csv_row(
            &json!({"time": 5, "identifier": "Location", "value": {"Street": "a,\"b\""}}),
            false,
        );
        assert_eq!(row, r#"5,Location,"{""Street"":""a,\""b\""""}","#);
        let bad = csv_row(
            &json!({"time": 5, "identifier": "B", "error": "`B`: too big", "value_raw": "250"}),
            false,
        );
        assert_eq!(bad, "5,B,250,`B`: too big");
    }
}
