//! What the emulator's device-state actions (twin.rs, twin_properties.rs,
//! twin_original.rs) share: the device a request names with its model, integer and
//! numbered parameters, and the text a stored value is sent as.

use serde_json::Value;

use super::answer::Refusal;
use super::params::{self, Params};
use super::state::{lock, Shared};
use crate::model::Model;

/// The text the platform sends for a stored value: a string as it is, anything else as
/// JSON.
pub(super) fn text(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

/// The device a request names, with its model.
pub(super) fn device<'a>(
    shared: &'a Shared,
    params: &Params,
) -> Result<(String, String, &'a Model), Refusal> {
    let (product_key, device_name) = params::named_device(shared, params)?;
    let known = shared.config.any_device
        || lock(&shared.devices)
            .get(&product_key, &device_name)
            .is_some();
    if !known {
        return Err(params::no_such_device(&product_key, &device_name));
    }
    let model = params::product(shared, &product_key)?;
    Ok((product_key, device_name, model))
}

pub(super) fn number(params: &Params, name: &str) -> Result<i64, Refusal> {
    let text = params
        .get(name)
        .filter(|v| !v.is_empty())
        .ok_or_else(|| Refusal::missing(name))?;
    text.parse()
        .map_err(|_| Refusal::invalid(format!("{name} must be an integer, not `{text}`.")))
}

/// `Name.1`, `Name.2`, ... in order of N.
pub(super) fn numbered(params: &Params, name: &str) -> Vec<String> {
    let prefix = format!("{name}.");
    let mut found: Vec<(u64, String)> = params
        .pairs()
        .iter()
        .filter_map(|(key, value)| {
            let n = key.strip_prefix(&prefix)?.parse().ok()?;
            Some((n, value.clone()))
        })
        .collect();
    found.sort_by_key(|(n, _)| *n);
    found.into_iter().map(|(_, v)| v).collect()
}
