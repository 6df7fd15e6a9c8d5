//! `tsl-codegen set`: properties of one device (SetDeviceProperty) or many
//! (SetDevicesProperty), checked against the model: only writable properties, values that
//! fit.

use std::path::PathBuf;
use std::process::ExitCode;

use serde_json::Value;
use tsl_runtime::client::{SetDeviceProperty, SetDevicesProperty};
use tsl_runtime::cloud::{Device, DeviceReport, Outcome};
use tsl_runtime::model::{Model, Param};
use tsl_runtime::value::{encode_args_with, StepCheck};

use super::dry_run;
use super::journal::Fingerprint;
use super::output::{self, json_string};
use super::run::{self, RunArgs};
use super::{indent, Failure};

/// Sets properties on one device (SetDeviceProperty) or several (SetDevicesProperty, 100
/// names a call). Unknown and read-only properties are refused before anything is sent.
/// Prints one JSON line per device as its call ends.
#[derive(clap::Args, Debug)]
#[command(after_help = super::DEVICES_HELP)]
pub struct Args {
    /// Model files of the product (repeatable: a default module and its custom modules).
    #[arg(long = "model", value_name = "FILE", required = true)]
    models: Vec<PathBuf>,
    /// The properties as a JSON object, identifier → value (`module:Identifier` in a custom
    /// module): `{"Brightness":40,"WorkMode":"timer"}`.
    #[arg(long, value_name = "JSON")]
    props: String,
    /// The product key, when not the model's own.
    #[arg(long, value_name = "PK")]
    product_key: Option<String>,
    #[command(flatten)]
    steps: super::StepArg,
    #[command(flatten)]
    pub run: RunArgs,
}

pub fn run(args: &Args) -> Result<ExitCode, Failure> {
    let mut devices = args.run.devices.open()?;
    let model = super::load_model(&args.models)?;
    let product_key = super::product_key(args.product_key.as_deref(), &model)?;
    let items = encode_props(&model, &args.props, args.steps.check, args.run.quiet)?;
    let client = args.run.connection.client()?;
    let fingerprint = |action: &str| {
        Fingerprint::new(action, &product_key).with_digest("items", items.as_bytes())
    };
    let Some(device_name) = devices.single()? else {
        let request = SetDevicesProperty::new(product_key.as_str(), Vec::new(), items.as_str());
        let call = request
            .batch_call()
            .map_err(Failure::call("SetDevicesProperty"))?;
        if let Some(format) = args.run.dry_run {
            return dry_run::batch(&client, &call, &mut devices, format);
        }
        let journal = args.run.journal(&fingerprint("SetDevicesProperty"))?;
        return run::batch(&client, &call, &mut devices, journal, args.run.quiet);
    };
    if let Some(format) = args.run.dry_run {
        let params = [
            ("ProductKey", product_key.as_str()),
            ("DeviceName", device_name.as_str()),
            ("Items", items.as_str()),
        ];
        return dry_run::single(&client, "SetDeviceProperty", &params, &device_name, format);
    }
    let mut journal = args.run.journal(&fingerprint("SetDeviceProperty"))?;
    if let Some(code) = run::single_from_journal(journal.as_ref(), &product_key, &device_name)? {
        return Ok(code);
    }
    let request = SetDeviceProperty::new(
        Device::named(product_key.as_str(), device_name.as_str()),
        items,
    );
    let mut print = |outcome, extra: &[(&str, String)]| -> Result<(), Failure> {
        let report = DeviceReport {
            product_key: product_key.clone(),
            device_name: device_name.clone(),
            outcome,
        };
        let line = output::device_line(&report, extra)?;
        run::journal_single(journal.as_mut(), &line)?;
        output::print_line(&line)
    };
    let runtime = super::runtime()?;
    match run::single(&runtime, client.set_device_property(&request)) {
        Ok((Ok(accepted), interrupted)) => {
            let extra: Vec<(&str, String)> = accepted
                .message_id
                .iter()
                .map(|id| ("message_id", json_string(id)))
                .collect();
            print(
                Outcome::Accepted {
                    request_id: accepted.request_id,
                },
                &extra,
            )?;
            Ok(interrupted.map_or(ExitCode::SUCCESS, |signal| {
                ExitCode::from(signal.exit_code())
            }))
        }
        Ok((Err(error), _)) => {
            let outcome = Outcome::of_error(&error);
            if !matches!(outcome, Outcome::NotAttempted { .. }) {
                print(outcome, &[])?;
            }
            Err(Failure::call("SetDeviceProperty")(error))
        }
        Err(signal) => {
            print(
                Outcome::Unknown {
                    reason: "interrupted while the call was in flight; the platform may have \
                             acted"
                        .to_string(),
                    request_id: None,
                },
                &[],
            )?;
            Ok(ExitCode::from(signal.exit_code()))
        }
    }
}

/// `--props` read as JSON, each key a writable property of the model, encoded as `Items`,
/// steps checked as `step_check` says (values it lets pass are written to stderr unless
/// `quiet`). Every problem is reported, not only the first.
pub(crate) fn encode_props(
    model: &Model,
    text: &str,
    step_check: StepCheck,
    quiet: bool,
) -> Result<String, Failure> {
    // Strict: a key given twice is refused naming it, not silently the last one.
    let value: Value =
        tsl_runtime::value::parse_json(text).map_err(|e| Failure::usage(format!("--props {e}")))?;
    let Value::Object(map) = &value else {
        return Err(Failure::usage(
            "--props must be a JSON object of property identifier → value",
        ));
    };
    if map.is_empty() {
        return Err(Failure::usage("--props names no property: nothing to set"));
    }
    let writable: Vec<Param> = model
        .properties()
        .map(|(_, p)| p)
        .filter(|p| p.access.is_writable())
        .map(|p| Param {
            identifier: p.wire_identifier.clone(),
            name: p.name.clone(),
            desc: p.desc.clone(),
            data_type: p.data_type.clone(),
        })
        .collect();
    let mut problems = Vec::new();
    for key in map.keys() {
        match model.property_by_wire_identifier(key) {
            None => problems.push(format!("`{key}` is not a property of the model")),
            Some(property) if !property.access.is_writable() => problems.push(format!(
                "`{key}` is read-only: the device reports it, the cloud cannot set it"
            )),
            Some(_) => {}
        }
    }
    if !problems.is_empty() {
        let names: Vec<&str> = writable.iter().map(|p| p.identifier.as_str()).collect();
        return Err(Failure::usage(format!(
            "--props cannot be set; nothing was sent:\n{}\n  writable properties: {}",
            indent(&problems.join("\n")),
            if names.is_empty() {
                "none".to_string()
            } else {
                names.join(", ")
            }
        )));
    }
    let encoded = encode_args_with(&writable, &value, step_check).map_err(|errors| {
        Failure::usage(format!(
            "--props do not fit the model; nothing was sent:\n{}",
            indent(&errors.to_string())
        ))
    })?;
    super::warn_off_step("--props", &encoded.step_warnings, quiet);
    Ok(encoded.text)
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

    fn usage(result: Result<String, Failure>) -> String {
        match result {
            Err(Failure::Usage(message)) => message,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn writable_properties_are_encoded() {
        assert_eq!(
            encode_props(
                &lamp(),
                r#"{"Brightness":40,"LightSwitch":true,"WorkMode":1}"#,
                StepCheck::Strict,
                true
            )
            .unwrap(),
            r#"{"LightSwitch":1,"Brightness":40,"WorkMode":1}"#
        );
    }

    #[test]
    fn unknown_and_read_only_properties_are_refused_together() {
        let message = usage(encode_props(
            &lamp(),
            r#"{"Voltage":230,"Brightnes":4,"Brightness":40}"#,
            StepCheck::Strict,
            true,
        ));
        assert!(message.contains("`Voltage` is read-only"), "{message}");
        assert!(
            message.contains("`Brightnes` is not a property"),
            "{message}"
        );
        assert!(
            message.contains("writable properties: LightSwitch, Brightness"),
            "{message}"
        );
        let message = usage(encode_props(
            &lamp(),
            r#"{"Brightness":400}"#,
            StepCheck::Strict,
            true,
        ));
        assert!(message.contains("above the max 100"), "{message}");
        for bad in ["[]", "{}", "nope"] {
            usage(encode_props(&lamp(), bad, StepCheck::Strict, true));
        }
    }
}
