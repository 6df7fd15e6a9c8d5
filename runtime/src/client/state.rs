//! A device's state as the platform keeps it: the latest reported value of each property
//! (`QueryDevicePropertyStatus`) and the desired side of the device shadow
//! (`SetDeviceDesiredProperty`, `QueryDeviceDesiredProperty`, `ClearDeviceDesiredProperty`),
//! as `docs/state.md` describes them.
//!
//! Values come back as the platform sends them, text; [`super::StateDecoder`] reads them
//! against the model.

use std::collections::BTreeMap;

use serde_json::Value;

use super::answer::Answer;
use super::ops::{check_device, check_object, device_params};
use super::Client;
use crate::cloud::Device;
use crate::device_state::{value_from_text, Reported};
use crate::error::Error;
use crate::limits::MAX_DESIRED_PER_CALL;

pub use crate::error::DESIRED_VERSION_CONFLICT;

/// Whether `error` is the platform refusing a desired value because its version is stale:
/// someone else set the property since its version was read. Read it again and retry.
pub fn is_version_conflict(error: &Error) -> bool {
    matches!(error, Error::Platform(e) if e.is_version_conflict())
}

/// One property of `QueryDevicePropertyStatus` (`PropertyStatusInfo`), as sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PropertyStatus {
    /// The wire identifier (`id`, or `module:id` in a custom module).
    pub identifier: String,
    /// `DataType` as the platform names it (`int`, `text`, `struct`, ...).
    pub data_type: Option<String>,
    /// `Name`.
    pub name: Option<String>,
    /// `Unit`.
    pub unit: Option<String>,
    /// `Value`: the latest report as text; `None` when the device never reported it.
    pub value: Option<String>,
    /// `Time`: when it was reported (epoch ms).
    pub time: Option<i64>,
}

/// The answer of `QueryDevicePropertyStatus`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PropertyStatusList {
    /// `RequestId`.
    pub request_id: String,
    /// `Data.List.PropertyStatusInfo`, in the order sent.
    pub properties: Vec<PropertyStatus>,
}

/// One property of `QueryDeviceDesiredProperty` (`DesiredPropertyInfo`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DesiredProperty {
    /// The wire identifier.
    pub identifier: String,
    /// `DataType`.
    pub data_type: Option<String>,
    /// `Value` as text; `None` after a clear (the platform then sends only the identifier).
    pub value: Option<String>,
    /// `Version`: pass it back in `Versions` to change the value.
    pub version: i64,
    /// `Time`: when it was set (epoch ms).
    pub time: Option<i64>,
}

/// The answer of `QueryDeviceDesiredProperty`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DesiredList {
    /// `RequestId`.
    pub request_id: String,
    /// `Data.List.DesiredPropertyInfo`.
    pub properties: Vec<DesiredProperty>,
}

/// The answer of `SetDeviceDesiredProperty` and `ClearDeviceDesiredProperty`: each
/// property's desired version after the change (`Data.Versions`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DesiredVersions {
    /// `RequestId`.
    pub request_id: String,
    /// Wire identifier → its new version.
    pub versions: BTreeMap<String, i64>,
    /// `Data.MessageId` of SetDeviceDesiredProperty: the message that took the values to
    /// the device, when the platform sent one (`docs/state.md` §2).
    pub message_id: Option<String>,
}

/// `SetDeviceDesiredProperty`: desired values of at most 10 writable properties, each with
/// the version it was read at (optimistic concurrency: a stale version is refused,
/// [`is_version_conflict`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetDeviceDesiredProperty {
    /// The device.
    pub device: Device,
    /// `Items`: `{"Id": value}`, encoded against the model; a `null` value clears.
    pub items: String,
    /// `Versions`: `{"Id": version}`; `{}` sets without a check.
    pub versions: String,
}

impl SetDeviceDesiredProperty {
    /// Sets `items` on `device`, checked against `versions`.
    pub fn new(device: Device, items: impl Into<String>, versions: impl Into<String>) -> Self {
        SetDeviceDesiredProperty {
            device,
            items: items.into(),
            versions: versions.into(),
        }
    }
}

impl Client {
    /// `QueryDevicePropertyStatus`: the latest reported value of every property of a module
    /// (`function_block_id`, or the default module).
    ///
    /// # Errors
    /// [`Error::Refused`] for an empty device; [`Error::Platform`]; [`Error::BadAnswer`]
    /// when `Data.List` is not the documented shape.
    pub async fn query_device_property_status(
        &self,
        device: &Device,
        function_block_id: Option<&str>,
    ) -> Result<PropertyStatusList, Error> {
        check_device(device)?;
        let mut params = Vec::new();
        device_params(device, &mut params);
        if let Some(id) = function_block_id.filter(|id| !id.is_empty()) {
            params.push(("FunctionBlockId", id));
        }
        let answer = self.call("QueryDevicePropertyStatus", &params).await?;
        let properties = list(&answer, "PropertyStatusInfo")?
            .iter()
            .map(|item| {
                Ok(PropertyStatus {
                    identifier: identifier(&answer, item)?,
                    data_type: string(item, "DataType"),
                    name: string(item, "Name"),
                    unit: string(item, "Unit"),
                    value: string(item, "Value"),
                    time: millis(item.get("Time")),
                })
            })
            .collect::<Result<_, Error>>()?;
        Ok(PropertyStatusList {
            request_id: answer.request_id,
            properties,
        })
    }

    /// `SetDeviceDesiredProperty`.
    ///
    /// # Errors
    /// [`Error::Refused`] before sending: `Items` or `Versions` not a JSON object, more than
    /// 10 items. [`Error::Platform`]; a stale version is the platform's
    /// [`DESIRED_VERSION_CONFLICT`] ([`is_version_conflict`]).
    pub async fn set_device_desired_property(
        &self,
        request: &SetDeviceDesiredProperty,
    ) -> Result<DesiredVersions, Error> {
        check_device(&request.device)?;
        check_object("Items", &request.items)?;
        check_object("Versions", &request.versions)?;
        let count = serde_json::from_str::<serde_json::Map<String, Value>>(&request.items)
            .map(|items| items.len())
            .unwrap_or(0);
        if count == 0 || count > MAX_DESIRED_PER_CALL {
            return Err(Error::Refused(format!(
                "Items names {count} properties; one call sets 1 to {MAX_DESIRED_PER_CALL}"
            )));
        }
        let mut params = vec![
            ("Items", request.items.as_str()),
            ("Versions", request.versions.as_str()),
        ];
        device_params(&request.device, &mut params);
        let answer = self.call("SetDeviceDesiredProperty", &params).await?;
        versions(answer)
    }

    /// `QueryDeviceDesiredProperty`: the desired values of `identifiers` (1 to 10), or of
    /// every property of the module when empty.
    ///
    /// # Errors
    /// [`Error::Refused`] for more than 10 identifiers; [`Error::Platform`];
    /// [`Error::BadAnswer`].
    pub async fn query_device_desired_property(
        &self,
        device: &Device,
        identifiers: &[String],
        function_block_id: Option<&str>,
    ) -> Result<DesiredList, Error> {
        check_device(device)?;
        let names = numbered("Identifier", identifiers)?;
        let mut named = Vec::new();
        device_params(device, &mut named);
        let mut params: Vec<(&str, &str)> = named;
        for (name, id) in names.iter().zip(identifiers) {
            params.push((name.as_str(), id.as_str()));
        }
        if let Some(id) = function_block_id.filter(|id| !id.is_empty()) {
            params.push(("FunctionBlockId", id));
        }
        let answer = self.call("QueryDeviceDesiredProperty", &params).await?;
        let properties = list(&answer, "DesiredPropertyInfo")?
            .iter()
            .map(|item| {
                Ok(DesiredProperty {
                    identifier: identifier(&answer, item)?,
                    data_type: string(item, "DataType"),
                    value: string(item, "Value"),
                    version: millis(item.get("Version")).unwrap_or(0),
                    time: millis(item.get("Time")),
                })
            })
            .collect::<Result<_, Error>>()?;
        Ok(DesiredList {
            request_id: answer.request_id,
            properties,
        })
    }

    /// `ClearDeviceDesiredProperty`: drops the desired values of `identifiers` (1 to 10,
    /// `Identifies.N` on the wire).
    ///
    /// # Errors
    /// [`Error::Refused`] for none or more than 10; [`Error::Platform`].
    pub async fn clear_device_desired_property(
        &self,
        device: &Device,
        identifiers: &[String],
    ) -> Result<DesiredVersions, Error> {
        check_device(device)?;
        if identifiers.is_empty() {
            return Err(Error::Refused(
                "ClearDeviceDesiredProperty needs at least one identifier".into(),
            ));
        }
        // The platform's parameter is spelled `Identifies.N` (docs/state.md).
        let names = numbered("Identifies", identifiers)?;
        let mut named = Vec::new();
        device_params(device, &mut named);
        let mut params: Vec<(&str, &str)> = named;
        for (name, id) in names.iter().zip(identifiers) {
            params.push((name.as_str(), id.as_str()));
        }
        let answer = self.call("ClearDeviceDesiredProperty", &params).await?;
        versions(answer)
    }
}

impl crate::device_state::DeviceState for Client {
    async fn reported(
        &self,
        device: &Device,
        function_block_id: Option<&str>,
    ) -> Result<Vec<Reported>, Error> {
        let status = self
            .query_device_property_status(device, function_block_id)
            .await?;
        Ok(status
            .properties
            .into_iter()
            .filter_map(|p| {
                let text = p.value?;
                Some(Reported {
                    value: value_from_text(p.data_type.as_deref(), &text),
                    identifier: p.identifier,
                    time: p.time,
                })
            })
            .collect())
    }

    async fn desired(
        &self,
        device: &Device,
        identifiers: &[String],
    ) -> Result<Vec<crate::device_state::Desired>, Error> {
        let list = self
            .query_device_desired_property(device, identifiers, None)
            .await?;
        Ok(list
            .properties
            .into_iter()
            .map(|p| crate::device_state::Desired {
                value: p
                    .value
                    .map(|text| value_from_text(p.data_type.as_deref(), &text)),
                identifier: p.identifier,
                version: p.version,
                time: p.time,
            })
            .collect())
    }

    async fn set_desired(
        &self,
        device: &Device,
        items: &str,
        versions: &BTreeMap<String, i64>,
    ) -> Result<BTreeMap<String, i64>, Error> {
        let versions = serde_json::to_string(versions)
            .map_err(|e| Error::Refused(format!("Versions cannot be written: {e}")))?;
        let request = SetDeviceDesiredProperty::new(device.clone(), items, versions);
        Ok(self.set_device_desired_property(&request).await?.versions)
    }
}

/// `Name.1`, `Name.2`, ... for at most [`MAX_DESIRED_PER_CALL`] values.
fn numbered(name: &str, values: &[String]) -> Result<Vec<String>, Error> {
    if values.len() > MAX_DESIRED_PER_CALL {
        return Err(Error::Refused(format!(
            "{} identifiers; one call names at most {MAX_DESIRED_PER_CALL}",
            values.len()
        )));
    }
    if values.iter().any(String::is_empty) {
        return Err(Error::Refused("an identifier is empty".into()));
    }
    Ok((1..=values.len()).map(|n| format!("{name}.{n}")).collect())
}

fn bad(answer: &Answer, problem: impl Into<String>) -> Error {
    Error::BadAnswer {
        problem: problem.into(),
        raw: answer.body.clone(),
    }
}

/// The parsed body's `Data`.
pub(crate) fn data(answer: &Answer) -> Result<Value, Error> {
    let body: Value = serde_json::from_str(&answer.body)
        .map_err(|e| bad(answer, format!("the answer is not JSON ({e})")))?;
    Ok(body.get("Data").cloned().unwrap_or(Value::Null))
}

/// `Data.List.<item>` as an array: absent or `null` is empty; one object alone (as some
/// XML-to-JSON answers have it) is a list of one.
pub(crate) fn list(answer: &Answer, item: &str) -> Result<Vec<Value>, Error> {
    items(answer, &data(answer)?, item)
}

/// `List.<item>` of `data`.
pub(crate) fn items(answer: &Answer, data: &Value, item: &str) -> Result<Vec<Value>, Error> {
    match data.get("List").and_then(|l| l.get(item)) {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(items)) => Ok(items.clone()),
        Some(one @ Value::Object(_)) => Ok(vec![one.clone()]),
        Some(other) => Err(bad(answer, format!("`List.{item}` is {other}, not a list"))),
    }
}

fn identifier(answer: &Answer, item: &Value) -> Result<String, Error> {
    string(item, "Identifier").ok_or_else(|| bad(answer, "a list item has no `Identifier`"))
}

/// A member as text: strings as they are, numbers and bools as written, objects and
/// arrays as JSON; `None` for absent and `null`.
pub(crate) fn string(item: &Value, name: &str) -> Option<String> {
    match item.get(name)? {
        Value::Null => None,
        Value::String(text) => Some(text.clone()),
        other => Some(other.to_string()),
    }
}

/// Epoch milliseconds sent as a number or as a string of digits.
pub(crate) fn millis(value: Option<&Value>) -> Option<i64> {
    match value? {
        Value::Number(n) => n.as_i64(),
        Value::String(text) => text.trim().parse().ok(),
        _ => None,
    }
}

/// `Data.Versions`: a JSON object, or (as documented) a JSON object written as a string.
fn versions(answer: Answer) -> Result<DesiredVersions, Error> {
    let data = data(&answer)?;
    let object = match data.get("Versions") {
        None | Some(Value::Null) => serde_json::Map::new(),
        Some(Value::Object(map)) => map.clone(),
        Some(Value::String(text)) => serde_json::from_str(text).map_err(|e| {
            bad(
                &answer,
                format!("`Data.Versions` is not a JSON object ({e})"),
            )
        })?,
        Some(other) => return Err(bad(&answer, format!("`Data.Versions` is {other}"))),
    };
    let versions = object
        .iter()
        .map(|(id, v)| {
            millis(Some(v))
                .map(|n| (id.clone(), n))
                .ok_or_else(|| bad(&answer, format!("the version of `{id}` is {v}")))
        })
        .collect::<Result<_, Error>>()?;
    Ok(DesiredVersions {
        message_id: string(&data, "MessageId").filter(|id| !id.is_empty()),
        request_id: answer.request_id,
        versions,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(body: &str) -> Answer {
        Answer::ok(body)
    }

    #[test]
    fn state_lists_read_arrays_single_objects_and_absence() {
        let a = answer(r#"{"Data":{"List":{"PropertyStatusInfo":[{"Identifier":"a"}]}}}"#);
        assert_eq!(list(&a, "PropertyStatusInfo").unwrap().len(), 1);
        let a = answer(r#"{"Data":{"List":{"PropertyStatusInfo":{"Identifier":"a"}}}}"#);
        assert_eq!(list(&a, "PropertyStatusInfo").unwrap().len(), 1);
        let a = answer(r#"{"Data":{}}"#);
        assert!(list(&a, "PropertyStatusInfo").unwrap().is_empty());
        let a = answer(r#"{"Data":{"List":{"PropertyStatusInfo":3}}}"#);
        assert!(matches!(
            list(&a, "PropertyStatusInfo"),
            Err(Error::BadAnswer { .. })
        ));
    }

    #[test]
    fn state_versions_read_a_string_or_an_object() {
        let v = versions(answer(r#"{"Data":{"Versions":"{\"t\":2}"}}"#)).unwrap();
        assert_eq!(v.versions.get("t"), Some(&2));
        let v = versions(answer(r#"{"Data":{"Versions":{"t":"3"}}}"#)).unwrap();
        assert_eq!(v.versions.get("t"), Some(&3));
        assert!(versions(answer(r#"{"Data":{"Versions":"nope"}}"#)).is_err());
        assert!(versions(answer(r#"{"Data":{"Versions":{"t":true}}}"#)).is_err());
    }

    #[test]
    fn state_numbered_parameters_are_bounded() {
        let ids: Vec<String> = (0..10).map(|n| format!("p{n}")).collect();
        assert_eq!(numbered("Identifies", &ids).unwrap()[9], "Identifies.10");
        let eleven: Vec<String> = (0..11).map(|n| format!("p{n}")).collect();
        assert!(numbered("Identifier", &eleven).is_err());
        assert!(numbered("Identifier", &[String::new()]).is_err());
        assert_eq!(millis(Some(&Value::from("17"))), Some(17));
        assert_eq!(millis(Some(&Value::from(17))), Some(17));
        assert_eq!(millis(Some(&Value::Bool(true))), None);
    }
}
