//! `--dry-run`: the calls a command would make, planned by the client's own batch plan,
//! signed, and printed instead of sent — everything needed to inspect or replay each one.
//! The first thing to look at when a signature is refused.

use std::process::ExitCode;

use serde_json::{json, Map, Value};
use tsl_runtime::client::{BatchCall, Client, Planned, SignedCall};

use super::devices::Devices;
use super::run::warn_bad_lines;
use super::Failure;

/// How `--dry-run` prints each request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DryRunFormat {
    /// `POST URL`, then the headers that matter and the form body, indented.
    Text,
    /// One JSON object a line: `{"action","method","url","headers","body","device_names"}`.
    Json,
}

/// Prints the signed calls of a batch on `devices`, planned as the client plans them.
pub fn batch(
    client: &Client,
    call: &BatchCall,
    devices: &mut Devices,
    format: DryRunFormat,
) -> Result<ExitCode, Failure> {
    warn_bad_lines(devices);
    let mut out = std::io::stdout().lock();
    let (mut calls, mut skipped) = (0u64, 0u64);
    for planned in call.plan(devices.names(), client.batch_size()) {
        match planned {
            Planned::Call(names) => {
                let signed = client
                    .sign_batch_call(call, &names)
                    .map_err(Failure::call(call.action()))?;
                let names: Vec<&str> = names.iter().map(|(_, name)| name.as_str()).collect();
                if let Err(e) = write(&mut out, call.action(), &signed, &names, format) {
                    return super::output::write_failed(e);
                }
                calls += 1;
            }
            Planned::Skipped { .. } => skipped += 1,
        }
    }
    done(calls, skipped)
}

/// Prints one signed call of `action`, carrying `device_name`.
pub fn single(
    client: &Client,
    action: &'static str,
    params: &[(&str, &str)],
    device_name: &str,
    format: DryRunFormat,
) -> Result<ExitCode, Failure> {
    let signed = client.sign(action, params).map_err(Failure::call(action))?;
    if let Err(e) = write(
        &mut std::io::stdout().lock(),
        action,
        &signed,
        &[device_name],
        format,
    ) {
        return super::output::write_failed(e);
    }
    done(1, 0)
}

fn done(calls: u64, skipped: u64) -> Result<ExitCode, Failure> {
    let skipped = if skipped > 0 {
        format!(
            "; {skipped} device{} without a call (duplicates, empty or impossible names)",
            if skipped == 1 { "" } else { "s" }
        )
    } else {
        String::new()
    };
    eprintln!(
        "dry run: {calls} call{} signed, nothing sent (signatures are valid for about 15 \
         minutes){skipped}",
        if calls == 1 { "" } else { "s" }
    );
    Ok(ExitCode::SUCCESS)
}

/// One request as `format` prints it. An STS token is shown as `***`.
fn write(
    out: &mut impl std::io::Write,
    action: &str,
    signed: &SignedCall,
    device_names: &[&str],
    format: DryRunFormat,
) -> std::io::Result<()> {
    let headers = signed.redacted_headers();
    let body = signed.redacted_body();
    let text = match format {
        DryRunFormat::Text => {
            let mut text = format!("{} {}\n", signed.method, signed.redacted_url());
            for (name, value) in &headers {
                text.push_str(&format!("  {name}: {value}\n"));
            }
            if !body.is_empty() {
                text.push_str(&format!("  body: {body}\n"));
            }
            text
        }
        DryRunFormat::Json => {
            let headers: Map<String, Value> = headers
                .iter()
                .map(|(name, value)| ((*name).to_string(), Value::from(*value)))
                .collect();
            let line = json!({
                "action": action,
                "method": signed.method,
                "url": signed.redacted_url(),
                "headers": headers,
                "body": body,
                "device_names": device_names,
            });
            format!("{line}\n")
        }
    };
    out.write_all(text.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signed(body: &str) -> SignedCall {
        SignedCall {
            method: "POST",
            url: "http://127.0.0.1:1/?SecurityToken=CAIS&Signature=x".into(),
            headers: vec![(
                "content-type".into(),
                "application/x-www-form-urlencoded".into(),
            )],
            body: body.into(),
        }
    }

    #[test]
    fn text_shows_headers_and_body_and_hides_the_token() {
        let mut out = Vec::new();
        write(
            &mut out,
            "BatchPub",
            &signed("A=1&SecurityToken=CAIS"),
            &["d1"],
            DryRunFormat::Text,
        )
        .unwrap();
        let text = String::from_utf8(out).unwrap();
        assert_eq!(
            text,
            "POST http://127.0.0.1:1/?SecurityToken=***&Signature=x\n  content-type: \
             application/x-www-form-urlencoded\n  body: A=1&SecurityToken=***\n"
        );
        let mut out = Vec::new();
        write(
            &mut out,
            "BatchPub",
            &signed(""),
            &["d1"],
            DryRunFormat::Text,
        )
        .unwrap();
        assert!(!String::from_utf8(out).unwrap().contains("body:"));
    }

    #[test]
    fn json_is_one_line_per_request() {
        let mut out = Vec::new();
        write(
            &mut out,
            "BatchPub",
            &signed("A=1"),
            &["d1", "d2"],
            DryRunFormat::Json,
        )
        .unwrap();
        let text = String::from_utf8(out).unwrap();
        assert_eq!(text.lines().count(), 1);
        let line: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(line["action"], "BatchPub");
        assert_eq!(line["method"], "POST");
        assert_eq!(line["body"], "A=1");
        assert_eq!(
            line["headers"]["content-type"],
            "application/x-www-form-urlencoded"
        );
        assert_eq!(line["device_names"], json!(["d1", "d2"]));
        assert!(!text.contains("CAIS"));
    }
}
