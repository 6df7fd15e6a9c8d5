//! What the commands print: one JSON line per device on stdout, errors on stderr with the
//! platform's code, message and `RequestId`, and the exit code each outcome means.

use std::io::{self, Write as _};
use std::process::ExitCode;

use tsl_runtime::cloud::{DeviceReport, Outcome};
use tsl_runtime::Error;

use super::Failure;

/// Exit code 1: refused, unknown or not attempted, for any device.
pub const REFUSED: u8 = 1;
/// Exit code 2: a usage error; nothing was sent.
pub const USAGE: u8 = 2;

/// The exit code of a failure.
pub fn exit_code(failure: &Failure) -> ExitCode {
    match failure {
        Failure::Usage(_) => ExitCode::from(USAGE),
        Failure::Call { error, .. } if nothing_sent(error) => ExitCode::from(USAGE),
        Failure::Call { .. } | Failure::Output(_) => ExitCode::from(REFUSED),
    }
}

/// Errors the client raises before sending anything.
fn nothing_sent(error: &Error) -> bool {
    matches!(
        error,
        Error::InvalidArgs(_) | Error::Refused(_) | Error::Config(_) | Error::Credentials(_)
    )
}

/// The failure as stderr shows it. A platform error names its code, message and
/// `RequestId` on lines of their own.
pub fn describe(failure: &Failure) -> String {
    match failure {
        Failure::Usage(message) => format!("error: {message}"),
        Failure::Output(message) => format!("error: {message}"),
        Failure::Call { action, error } => match (Outcome::of_error(error), error) {
            // A read cannot have acted: its failure is worded as what it is.
            (Outcome::Unknown { reason, request_id }, _) if !reads_only(action) => format!(
                "error: {action}: outcome unknown: {reason}\n  request id: {}\n  hint: check \
                 the device before calling it again",
                request_id.as_deref().unwrap_or("(none)")
            ),
            (_, Error::Platform(e)) => {
                let mut text = format!(
                    "error: {action} was refused by the platform\n  code: {}\n  message: {}\n  \
                     request id: {}",
                    e.code,
                    e.message,
                    e.request_id.as_deref().unwrap_or("(none in the answer)")
                );
                if let Some(status) = e.http_status {
                    text.push_str(&format!("\n  http status: {status}"));
                }
                if e.is_retryable() {
                    text.push_str("\n  hint: this is transient; trying again later can help");
                }
                text
            }
            (_, error) => format!("error: {action}: {error}"),
        },
    }
}

/// Actions of the CLI that only read.
fn reads_only(action: &str) -> bool {
    matches!(
        action,
        "GetThingModelTsl"
            | "QueryThingModel"
            | "QueryDevicePropertyStatus"
            | "QueryDeviceDesiredProperty"
            | "QueryDevicePropertyData"
            | "QueryDeviceEventData"
            | "QueryDeviceServiceData"
    )
}

/// A write to stdout failed: a closed pipe ends quietly, anything else is an error.
pub fn write_failed(error: io::Error) -> Result<ExitCode, Failure> {
    if error.kind() == io::ErrorKind::BrokenPipe {
        return Ok(ExitCode::from(REFUSED));
    }
    Err(Failure::Output(format!("writing to stdout: {error}")))
}

/// One device's line in the batch report's shape, with `extra` fields (`key`, JSON text)
/// after the report's own.
pub fn device_line(report: &DeviceReport, extra: &[(&str, String)]) -> Result<String, Failure> {
    let mut line = serde_json::to_string(report)
        .map_err(|e| Failure::Output(format!("cannot write the report: {e}")))?;
    // A struct always serializes as an object: `{...}`.
    if line.ends_with('}') {
        line.pop();
        for (key, json) in extra {
            let key = serde_json::Value::from(*key);
            line.push_str(&format!(",{key}:{json}"));
        }
        line.push('}');
    }
    Ok(line)
}

/// Prints one line to stdout.
pub fn print_line(line: &str) -> Result<(), Failure> {
    let mut out = io::stdout().lock();
    match writeln!(out, "{line}") {
        Ok(()) => Ok(()),
        Err(e) => write_failed(e).map(|_| ()),
    }
}

/// JSON text of a string.
pub fn json_string(text: &str) -> String {
    serde_json::Value::from(text).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use tsl_runtime::PlatformError;

    fn platform() -> Error {
        Error::Platform(PlatformError {
            code: "iot.device.NotExistedDevice".into(),
            message: "The device does not exist.".into(),
            request_id: Some("R-9".into()),
            http_status: Some(200),
        })
    }

    #[test]
    fn platform_errors_show_code_message_and_request_id() {
        let failure = Failure::Call {
            action: "InvokeThingService",
            error: platform(),
        };
        let text = describe(&failure);
        assert!(text.contains("code: iot.device.NotExistedDevice"), "{text}");
        assert!(
            text.contains("message: The device does not exist."),
            "{text}"
        );
        assert!(text.contains("request id: R-9"), "{text}");
        assert_eq!(exit_code(&failure), ExitCode::from(REFUSED));
        let local = Failure::Call {
            action: "BatchPub",
            error: Error::Refused("the message is empty".into()),
        };
        assert_eq!(exit_code(&local), ExitCode::from(USAGE));
        assert_eq!(exit_code(&Failure::usage("x")), ExitCode::from(USAGE));
    }

    #[test]
    fn single_device_lines_extend_the_report_shape() {
        let report = DeviceReport {
            product_key: "a1".into(),
            device_name: "d\"1".into(),
            outcome: Outcome::of_error(&platform()),
        };
        let line = device_line(&report, &[("raw", json_string("{\"code\":200}"))]).unwrap();
        assert_eq!(
            line,
            r#"{"product_key":"a1","device_name":"d\"1","status":"refused","code":"iot.device.NotExistedDevice","message":"The device does not exist.","request_id":"R-9","raw":"{\"code\":200}"}"#
        );
        let parsed: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_eq!(parsed["status"], "refused");
    }
}
