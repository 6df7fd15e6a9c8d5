//! `--dry-run`: the calls a command would make, planned as the client plans them, signed,
//! and printed instead of sent. The first thing to look at when a signature is refused.

use std::collections::HashSet;
use std::io::Write as _;
use std::process::ExitCode;

use tsl_runtime::client::Client;

use super::Failure;

/// Names per call of a batch: the platform's maximum, which the client uses too.
pub const NAMES_PER_CALL: usize = tsl_runtime::limits::MAX_DEVICE_NAMES;

/// One call as it would be sent: the action and its own parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Call {
    pub action: &'static str,
    pub params: Vec<(String, String)>,
}

impl Call {
    pub fn new(action: &'static str, params: &[(&str, &str)]) -> Call {
        Call {
            action,
            params: params
                .iter()
                .map(|&(name, value)| (name.to_string(), value.to_string()))
                .collect(),
        }
    }
}

/// The calls of a batch: unique, non-empty names in the order given, at most 100 a call,
/// each with `fixed`, `ProductKey` and `DeviceName.1..N`, as the client sends them.
pub fn batch(
    action: &'static str,
    product_key: &str,
    names: &[String],
    fixed: &[(&str, &str)],
) -> Vec<Call> {
    let mut seen = HashSet::new();
    let unique: Vec<&str> = names
        .iter()
        .map(String::as_str)
        .filter(|name| !name.is_empty() && seen.insert(*name))
        .collect();
    unique
        .chunks(NAMES_PER_CALL)
        .map(|chunk| {
            let mut call = Call::new(action, fixed);
            call.params
                .push(("ProductKey".to_string(), product_key.to_string()));
            for (n, name) in chunk.iter().enumerate() {
                call.params
                    .push((format!("DeviceName.{}", n + 1), name.to_string()));
            }
            call
        })
        .collect()
}

/// Signs each call and prints `POST URL` (and, for ACS3, the signed headers indented below
/// it), one per call. An STS token is shown as `***`.
pub fn print(client: &Client, calls: &[Call]) -> Result<ExitCode, Failure> {
    let mut out = std::io::stdout().lock();
    for call in calls {
        let params: Vec<(&str, &str)> = call
            .params
            .iter()
            .map(|(name, value)| (name.as_str(), value.as_str()))
            .collect();
        let signed = client
            .sign(call.action, &params)
            .map_err(Failure::call(call.action))?;
        let mut text = format!("{} {}\n", signed.method, signed.redacted_url());
        for (name, value) in &signed.headers {
            let shown = if name.eq_ignore_ascii_case("x-acs-security-token") {
                "***"
            } else {
                value.as_str()
            };
            text.push_str(&format!("  {name}: {shown}\n"));
        }
        if let Err(e) = out.write_all(text.as_bytes()) {
            return super::output::write_failed(e);
        }
    }
    eprintln!(
        "dry run: {} call{} signed, nothing sent (signatures are valid for about 15 minutes)",
        calls.len(),
        if calls.len() == 1 { "" } else { "s" }
    );
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_are_planned_as_the_client_plans_them() {
        let mut names: Vec<String> = (0..250).map(|n| format!("d{n}")).collect();
        names.push("d0".into());
        names.push(String::new());
        let calls = batch("BatchPub", "pk", &names, &[("TopicShortName", "t")]);
        assert_eq!(calls.len(), 3);
        assert_eq!(calls[0].params[0], ("TopicShortName".into(), "t".into()));
        assert_eq!(calls[0].params[1], ("ProductKey".into(), "pk".into()));
        assert_eq!(calls[0].params[2], ("DeviceName.1".into(), "d0".into()));
        assert_eq!(calls[0].params.len(), 102);
        assert_eq!(calls[2].params.len(), 52);
        assert_eq!(calls[2].params[51], ("DeviceName.50".into(), "d249".into()));
        assert!(batch("BatchPub", "pk", &[String::new()], &[]).is_empty());
    }
}
