//! A request's decoded parameters, and the device and product they name: what the RPC
//! actions (actions.rs) and the device-state actions (twin.rs) both read.

use std::collections::HashSet;
use std::sync::Arc;

use super::answer::Refusal;
use super::state::{lock, Shared};
use crate::limits::MAX_DEVICE_NAMES;
use crate::model::Model;

/// Decoded request parameters, in the order sent.
#[derive(Debug, Clone, Default)]
pub(crate) struct Params {
    pairs: Vec<(String, String)>,
}

impl Params {
    pub(crate) fn new(pairs: Vec<(String, String)>) -> Params {
        Params { pairs }
    }

    pub(crate) fn pairs(&self) -> &[(String, String)] {
        &self.pairs
    }

    pub(crate) fn into_pairs(self) -> Vec<(String, String)> {
        self.pairs
    }

    /// The first value of `name`.
    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// A required parameter (`Missing<Name>` when absent or empty).
    pub(crate) fn required(&self, name: &str) -> Result<&str, Refusal> {
        self.get(name)
            .filter(|v| !v.is_empty())
            .ok_or_else(|| Refusal::missing(name))
    }

    /// `Qos`: 0 when absent, else 0 or 1.
    pub(crate) fn qos(&self) -> Result<u8, Refusal> {
        match self.get("Qos") {
            None | Some("0") => Ok(0),
            Some("1") => Ok(1),
            Some(other) => Err(Refusal::invalid(format!(
                "Qos must be 0 or 1, not `{other}`."
            ))),
        }
    }

    /// `DeviceName.N` in order of N, duplicates removed: 1 to 100 names.
    pub(crate) fn device_names(&self) -> Result<Vec<String>, Refusal> {
        let mut numbered: Vec<(u64, &str)> = Vec::new();
        for (name, value) in &self.pairs {
            if let Some(index) = name.strip_prefix("DeviceName.") {
                match index.parse::<u64>() {
                    // `DeviceName.01` is not `DeviceName.1`: no leading zeros.
                    Ok(n) if n >= 1 && n.to_string() == index => numbered.push((n, value)),
                    _ => {
                        return Err(Refusal::invalid(format!(
                            "`{name}`: DeviceName.N needs N = 1, 2, ..."
                        )))
                    }
                }
            }
        }
        numbered.sort_by_key(|(n, _)| *n);
        let mut seen = HashSet::new();
        let names: Vec<String> = numbered
            .into_iter()
            .map(|(_, v)| v.to_string())
            .filter(|v| seen.insert(v.clone()))
            .collect();
        if names.is_empty() || names.iter().any(String::is_empty) {
            return Err(Refusal::business(
                "iot.device.NoneDeviceNameElement",
                "DeviceName.N lists no device name (or an empty one).",
            ));
        }
        if names.len() > MAX_DEVICE_NAMES {
            return Err(Refusal::business(
                "iot.check.ParameterIsNotLessThanMax",
                format!(
                    "DeviceName.N lists {} devices; at most {MAX_DEVICE_NAMES} per call.",
                    names.len()
                ),
            ));
        }
        Ok(names)
    }
}

/// The product key and name of the device a request names: by `IotId` (which wins), or by
/// `ProductKey` + `DeviceName` of a product that exists. Whether that device exists is the
/// caller's check ([`target`] has it).
pub(crate) fn named_device(shared: &Shared, params: &Params) -> Result<(String, String), Refusal> {
    if let Some(iot_id) = params.get("IotId").filter(|v| !v.is_empty()) {
        let key = lock(&shared.devices)
            .by_iot_id(iot_id)
            .map(|d| (d.product_key.to_string(), d.device_name.to_string()));
        return key.ok_or_else(|| {
            Refusal::business(
                "iot.device.InvalidIoTId",
                format!("The IotId `{iot_id}` does not exist."),
            )
        });
    }
    let product_key = params
        .get("ProductKey")
        .filter(|v| !v.is_empty())
        .ok_or_else(|| {
            Refusal::business(
                "iot.prod.NullProductKey",
                "Give IotId, or ProductKey and DeviceName.",
            )
        })?;
    let device_name = params
        .get("DeviceName")
        .filter(|v| !v.is_empty())
        .ok_or_else(|| {
            Refusal::business(
                "iot.device.NullDeviceName",
                "Give IotId, or ProductKey and DeviceName.",
            )
        })?;
    product(shared, product_key)?;
    Ok((product_key.to_string(), device_name.to_string()))
}

/// The served product `product_key`, or `iot.prod.NotExistedProduct`.
pub(crate) fn product<'a>(
    shared: &'a Shared,
    product_key: &str,
) -> Result<&'a Arc<Model>, Refusal> {
    shared.config.products.get(product_key).ok_or_else(|| {
        Refusal::business(
            "iot.prod.NotExistedProduct",
            format!("The product `{product_key}` does not exist."),
        )
    })
}

/// `iot.device.NotExistedDevice`.
pub(crate) fn no_such_device(product_key: &str, device_name: &str) -> Refusal {
    Refusal::business(
        "iot.device.NotExistedDevice",
        format!("The device `{device_name}` of product `{product_key}` does not exist."),
    )
}
