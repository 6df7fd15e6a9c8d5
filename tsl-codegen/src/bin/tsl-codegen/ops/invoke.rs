//! `tsl-codegen invoke`: a service on one device (InvokeThingService) or on many
//! (InvokeThingsService, 100 names a call within the action's QPS), with `Args` checked and
//! encoded against the model.

use std::path::PathBuf;
use std::process::ExitCode;

use tsl_runtime::client::{InvokeThingService, InvokeThingsService};
use tsl_runtime::cloud::{Device, DeviceReport, Invoked, Outcome};
use tsl_runtime::model::{CallType, Model, Service};
use tsl_runtime::value::encode_args_with;

use super::dry_run;
use super::journal::{Fingerprint, Journal};
use super::output::{self, json_string};
use super::run::{self, RunArgs};
use super::{indent, Failure, QosArg, StepArg};

/// Calls a service of the model on one device (InvokeThingService; a sync service's reply is
/// printed) or on several (InvokeThingsService, async services only: 100 names a call,
/// within the QPS). Prints one JSON line per device as its call ends:
/// {"product_key","device_name","status":"accepted"|"refused"|"unknown"|"not_attempted",...}.
#[derive(clap::Args, Debug)]
#[command(after_help = super::DEVICES_HELP)]
pub struct Args {
    /// Model files of the product (repeatable: a default module and its custom modules).
    #[arg(long = "model", value_name = "FILE", required = true)]
    models: Vec<PathBuf>,
    /// The service's identifier: `Blink`, or `module:Identifier` in a custom module.
    #[arg(long, value_name = "ID")]
    service: String,
    /// The arguments as a JSON object, checked against the model: `{"Times":3,"Interval":1}`
    /// is sent as `{"Times":3,"Interval":1.0}`; bools may be true/false, enums their label.
    #[arg(long, value_name = "JSON", default_value = "{}")]
    args: String,
    /// The product key, when not the model's own.
    #[arg(long, value_name = "PK")]
    product_key: Option<String>,
    /// `Qos`: 0 at most once, 1 at least once.
    #[arg(long, value_enum)]
    qos: Option<QosArg>,
    #[command(flatten)]
    steps: StepArg,
    #[command(flatten)]
    pub run: RunArgs,
}

pub fn run(args: &Args) -> Result<ExitCode, Failure> {
    let mut devices = args.run.devices.open()?;
    let model = super::load_model(&args.models)?;
    let product_key = super::product_key(args.product_key.as_deref(), &model)?;
    let service = find_service(&model, &args.service)?;
    let encoded = encode(service, &args.args, args.steps, args.run.quiet)?;
    let sync = service.call_type == CallType::Sync;
    let single = devices.single()?;
    if single.is_none() && sync {
        return Err(Failure::usage(format!(
            "`{}` is a sync service and InvokeThingsService calls async services only: invoke \
             it on one device at a time",
            service.wire_identifier
        )));
    }
    let client = args.run.connection.client()?;
    let identifier = service.wire_identifier.as_str();
    let qos = args.qos.map(QosArg::qos);
    let fingerprint = |action: &str| {
        Fingerprint::new(action, &product_key)
            .with("service", identifier)
            .with_digest("args", encoded.as_bytes())
            .with("qos", args.qos.map_or("", QosArg::wire))
    };
    let Some(device_name) = single else {
        let mut request = InvokeThingsService::new(
            product_key.as_str(),
            Vec::new(),
            identifier,
            encoded.as_str(),
        );
        request.qos = qos;
        let call = request
            .batch_call()
            .map_err(Failure::call("InvokeThingsService"))?;
        if let Some(format) = args.run.dry_run {
            return dry_run::batch(&client, &call, &mut devices, format);
        }
        let journal = args.run.journal(&fingerprint("InvokeThingsService"))?;
        return run::batch(&client, &call, &mut devices, journal, args.run.quiet);
    };
    if let Some(format) = args.run.dry_run {
        let mut params = vec![
            ("ProductKey", product_key.as_str()),
            ("DeviceName", device_name.as_str()),
            ("Identifier", identifier),
            ("Args", encoded.as_str()),
        ];
        params.extend(args.qos.map(|qos| ("Qos", qos.wire())));
        return dry_run::single(&client, "InvokeThingService", &params, &device_name, format);
    }
    let mut journal = args.run.journal(&fingerprint("InvokeThingService"))?;
    if let Some(code) = run::single_from_journal(journal.as_ref(), &product_key, &device_name)? {
        return Ok(code);
    }
    let mut request = InvokeThingService::new(
        Device::named(product_key.as_str(), device_name.as_str()),
        identifier,
        encoded.as_str(),
    );
    request.qos = qos;
    let runtime = super::runtime()?;
    let line = Line {
        product_key: &product_key,
        device_name: &device_name,
        journal: journal.as_mut(),
    };
    match run::single(&runtime, client.invoke_thing_service(&request)) {
        Ok((result, interrupted)) => {
            let code = one_device(line, sync, result)?;
            Ok(interrupted.map_or(code, |signal| ExitCode::from(signal.exit_code())))
        }
        Err(signal) => {
            let outcome = Outcome::Unknown {
                reason: "interrupted while the call was in flight; the platform may have acted"
                    .to_string(),
                request_id: None,
            };
            line.print(outcome, &[])?;
            Ok(ExitCode::from(signal.exit_code()))
        }
    }
}

/// Where a single device's line goes: stdout and the journal.
struct Line<'a> {
    product_key: &'a str,
    device_name: &'a str,
    journal: Option<&'a mut Journal>,
}

impl Line<'_> {
    fn print(self, outcome: Outcome, extra: &[(&str, String)]) -> Result<(), Failure> {
        let report = DeviceReport {
            product_key: self.product_key.to_string(),
            device_name: self.device_name.to_string(),
            outcome,
        };
        let line = output::device_line(&report, extra)?;
        run::journal_single(self.journal, &line)?;
        output::print_line(&line)
    }
}

/// The service named, or an error listing the services there are.
fn find_service<'m>(model: &'m Model, identifier: &str) -> Result<&'m Service, Failure> {
    let callable: Vec<&str> = model
        .services()
        .map(|(_, s)| s)
        .filter(|s| !s.is_property_service())
        .map(|s| s.wire_identifier.as_str())
        .collect();
    match model.service_by_wire_identifier(identifier) {
        Some(service) if service.is_property_service() => Err(Failure::usage(format!(
            "`{identifier}` is the property service the platform derives from the properties; \
             set properties with `tsl-codegen set --props JSON`"
        ))),
        Some(service) => Ok(service),
        None => Err(Failure::usage(format!(
            "the model has no service `{identifier}`; its services are: {}",
            if callable.is_empty() {
                "none".to_string()
            } else {
                callable.join(", ")
            }
        ))),
    }
}

/// `--args` read as JSON and encoded against the service's inputs, steps checked as
/// `--step-check` says (values it lets pass are written to stderr).
fn encode(service: &Service, text: &str, steps: StepArg, quiet: bool) -> Result<String, Failure> {
    // Strict: a key given twice is refused naming it, not silently the last one.
    let value: serde_json::Value =
        tsl_runtime::value::parse_json(text).map_err(|e| Failure::usage(format!("--args {e}")))?;
    let encoded = encode_args_with(&service.inputs, &value, steps.check).map_err(|errors| {
        Failure::usage(format!(
            "--args do not fit service `{}` of the model; nothing was sent:\n{}",
            service.wire_identifier,
            indent(&errors.to_string())
        ))
    })?;
    super::warn_off_step("--args", &encoded.step_warnings, quiet);
    Ok(encoded.text)
}

/// Prints the line of a single call and decides the exit code: the call refused, or a sync
/// service's device answering with anything but 200, is 1.
fn one_device(
    line: Line<'_>,
    sync: bool,
    result: Result<Invoked, tsl_runtime::Error>,
) -> Result<ExitCode, Failure> {
    let invoked = match result {
        Ok(invoked) => invoked,
        Err(error) => {
            let outcome = Outcome::of_error(&error);
            if !matches!(outcome, Outcome::NotAttempted { .. }) {
                line.print(outcome, &[])?;
            }
            return Err(Failure::call("InvokeThingService")(error));
        }
    };
    let mut extra = Vec::new();
    if let Some(id) = &invoked.message_id {
        extra.push(("message_id", json_string(id)));
    }
    let mut code = ExitCode::SUCCESS;
    if let Some(raw) = &invoked.result {
        match invoked.alink_reply() {
            Ok(reply) => {
                let text = serde_json::to_string(&reply)
                    .map_err(|e| Failure::Output(format!("cannot write the reply: {e}")))?;
                extra.push(("reply", text));
                if let Some(error) = reply.device_error() {
                    eprintln!(
                        "error: the device answered with code {}: {} (RequestId {})",
                        error.code, error.message, invoked.request_id
                    );
                    code = ExitCode::from(output::REFUSED);
                }
            }
            Err(e) => {
                eprintln!("error: {e}");
                code = ExitCode::from(output::REFUSED);
            }
        }
        extra.push(("raw", json_string(raw)));
    } else if sync {
        eprintln!(
            "error: the answer of a sync service has no Data.Result (RequestId {})",
            invoked.request_id
        );
        code = ExitCode::from(output::REFUSED);
    }
    line.print(
        Outcome::Accepted {
            request_id: invoked.request_id.clone(),
        },
        &extra,
    )?;
    Ok(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lamp() -> Model {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../examples/models/street-lamp.json"
        );
        Model::load(path).unwrap().model
    }

    #[test]
    fn services_are_found_by_wire_identifier() {
        let model = lamp();
        assert_eq!(find_service(&model, "Blink").unwrap().identifier, "Blink");
        match find_service(&model, "Blnk") {
            Err(Failure::Usage(message)) => {
                assert!(message.contains("no service `Blnk`"), "{message}");
                assert!(message.contains("Blink, Diagnose"), "{message}");
                assert!(!message.contains("set,"), "{message}");
            }
            other => panic!("{other:?}"),
        }
        assert!(
            matches!(find_service(&model, "set"), Err(Failure::Usage(m)) if m.contains("tsl-codegen set"))
        );
    }

    #[test]
    fn args_are_encoded_against_the_model() {
        let model = lamp();
        let blink = find_service(&model, "Blink").unwrap();
        let strict = StepArg {
            check: tsl_runtime::value::StepCheck::Strict,
        };
        let encode = |service, text| encode(service, text, strict, true);
        assert_eq!(
            encode(blink, r#"{"Times":3,"Interval":1}"#).unwrap(),
            r#"{"Times":3,"Interval":1.0}"#
        );
        match encode(blink, r#"{"Times":30,"Interval":1}"#) {
            Err(Failure::Usage(message)) => {
                assert!(
                    message.contains("`Times`: 30 is above the max 20"),
                    "{message}"
                )
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(encode(blink, "{"), Err(Failure::Usage(m)) if m.contains("not JSON")));
    }

    #[test]
    fn single_device_failures_are_lines_too() {
        let error = tsl_runtime::Error::Platform(tsl_runtime::PlatformError {
            code: "iot.device.NotExistedDevice".into(),
            message: "no".into(),
            request_id: Some("R".into()),
            http_status: Some(200),
        });
        let line = Line {
            product_key: "pk",
            device_name: "d",
            journal: None,
        };
        match one_device(line, true, Err(error)) {
            Err(Failure::Call { action, error }) => {
                assert_eq!(action, "InvokeThingService");
                assert_eq!(error.code(), Some("iot.device.NotExistedDevice"));
            }
            other => panic!("{other:?}"),
        }
    }
}
