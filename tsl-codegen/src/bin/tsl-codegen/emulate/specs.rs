//! Reading `emulate`'s arguments: device names (`--device`, `--devices-file`), `--qps`
//! and `--fault` specifications.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::Path;

use tsl_runtime::emulator::{Fault, FaultParseError, DEFAULT_QPS};

use super::Usage;

/// `NAME` (the only product's) or `PRODUCT_KEY/NAME`.
pub(super) fn device_spec<V>(
    spec: &str,
    products: &BTreeMap<String, V>,
) -> Result<(String, String), String> {
    let (product_key, name) = match spec.split_once('/') {
        Some((pk, name)) => (pk.to_string(), name.to_string()),
        None if products.len() == 1 => {
            let pk = products.keys().next().cloned().unwrap_or_default();
            (pk, spec.to_string())
        }
        None => {
            return Err("several products are loaded; write PRODUCT_KEY/NAME".to_string());
        }
    };
    if name.is_empty()
        || name.contains('/')
        || name.chars().any(|c| c.is_whitespace() || c.is_control())
    {
        return Err(format!(
            "device name {name:?} is empty or holds `/`, a space or a control character"
        ));
    }
    Ok((product_key, name))
}

/// Reads a devices file line by line (never whole: it may list millions), calling `add`
/// with each name and its line number.
pub(super) fn read_devices_file(
    path: &Path,
    mut add: impl FnMut(usize, &str) -> Result<(), Usage>,
) -> Result<(), Usage> {
    let file =
        File::open(path).map_err(|e| Usage(format!("--devices-file {}: {e}", path.display())))?;
    for (index, line) in BufReader::new(file).lines().enumerate() {
        let line = line.map_err(|e| {
            Usage(format!(
                "{}:{}: cannot read: {e}",
                path.display(),
                index + 1
            ))
        })?;
        let line = if index == 0 {
            line.strip_prefix('\u{feff}').unwrap_or(&line)
        } else {
            &line
        };
        let name = line.trim();
        if name.is_empty() || name.starts_with('#') {
            continue;
        }
        add(index + 1, name)?;
    }
    Ok(())
}

/// `ACTION=N`, N ≥ 1, for an action the emulator serves.
pub(super) fn parse_qps(spec: &str) -> Result<(&str, u32), String> {
    let (action, limit) = spec
        .split_once('=')
        .ok_or_else(|| "write ACTION=N, e.g. InvokeThingService=1000".to_string())?;
    known_action(action)?;
    let limit: u32 = limit
        .parse()
        .ok()
        .filter(|n| *n >= 1)
        .ok_or_else(|| format!("{limit:?} is not a whole number of calls, at least 1"))?;
    Ok((action, limit))
}

/// `ACTION=KIND[:COUNT]`; `*` is any action.
pub(super) fn parse_fault(spec: &str) -> Result<(Option<String>, Fault, u32), String> {
    let (action, rest) = spec.split_once('=').ok_or_else(|| {
        "write ACTION=KIND[:COUNT], e.g. InvokeThingService=after-reset:2".to_string()
    })?;
    let action = match action {
        "*" => None,
        named => {
            known_action(named)?;
            Some(named.to_string())
        }
    };
    // A trailing `:COUNT` of digits is the count; any other `:` belongs to the kind
    // (`raw=200,{"RequestId":"R1"}`).
    let (kind, count) = match rest.rsplit_once(':') {
        Some((kind, count)) if !count.is_empty() && count.bytes().all(|b| b.is_ascii_digit()) => {
            let count: u32 = count
                .parse()
                .ok()
                .filter(|n| *n >= 1)
                .ok_or_else(|| format!("count {count:?} is not 1 or more"))?;
            (kind, count)
        }
        _ => (rest, 1),
    };
    let fault: Fault = kind.parse().map_err(|e: FaultParseError| e.problem)?;
    Ok((action, fault, count))
}

fn known_action(action: &str) -> Result<(), String> {
    if DEFAULT_QPS.iter().any(|(name, _)| *name == action) {
        Ok(())
    } else {
        let names: Vec<&str> = DEFAULT_QPS.iter().map(|(name, _)| *name).collect();
        Err(format!(
            "the emulator serves no action {action:?}; one of {}",
            names.join(", ")
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fault_specs() {
        assert_eq!(
            parse_fault("InvokeThingService=after-reset:2"),
            Ok((
                Some("InvokeThingService".into()),
                Fault::after(Fault::Reset),
                2
            ))
        );
        assert_eq!(parse_fault("*=503"), Ok((None, Fault::Status(503), 1)));
        assert_eq!(
            parse_fault(r#"BatchPub=raw=200,{"RequestId":"R1"}"#),
            Ok((Some("BatchPub".into()), Fault::request_id_only(), 1))
        );
        assert_eq!(
            parse_fault(r#"BatchPub=after-raw=200,{"a":1}:3"#),
            Ok((
                Some("BatchPub".into()),
                Fault::after(Fault::raw(200, r#"{"a":1}"#)),
                3
            ))
        );
        for bad in [
            "reset",
            "Nope=reset",
            "BatchPub=explode",
            "BatchPub=reset:0",
            "BatchPub=",
        ] {
            assert!(parse_fault(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn qps_specs() {
        assert_eq!(parse_qps("BatchPub=5"), Ok(("BatchPub", 5)));
        for bad in [
            "BatchPub",
            "BatchPub=0",
            "BatchPub=-1",
            "Nope=5",
            "BatchPub=1.5",
        ] {
            assert!(parse_qps(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn device_specs() {
        let mut products = BTreeMap::new();
        products.insert("a1P".to_string(), ());
        assert_eq!(
            device_spec("d1", &products),
            Ok(("a1P".into(), "d1".into()))
        );
        assert_eq!(
            device_spec("a1Q/d1", &products),
            Ok(("a1Q".into(), "d1".into()))
        );
        for bad in ["", "a1P/", "a b", "a1P/x/y", "tab\there"] {
            assert!(device_spec(bad, &products).is_err(), "{bad:?}");
        }
        products.insert("a1Q".to_string(), ());
        assert!(device_spec("d1", &products).is_err());
    }
}
