//! A device's state as generated code reads it (`docs/state.md`): what the platform says
//! each property last reported, the desired values and their versions. [`DeviceState`] is
//! what generated `Device` handles call for `properties()`, `desired()` and
//! `set_desired(...)`; the HTTP client implements it (feature `client`), and so can a test
//! double. In the lean build: plain data and one trait, no HTTP.
//!
//! The platform sends every value as text with its `DataType`; [`value_from_text`] turns it
//! into the JSON a report would carry, so the generated `Properties::decode` reads both
//! alike.

use std::collections::BTreeMap;
use std::future::Future;

use serde::Deserialize;
use serde_json::Value;

use crate::cloud::Device;
use crate::error::Error;

/// One property's latest value, as JSON (see [`value_from_text`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Reported {
    /// The wire identifier (`Brightness`, `battery:Charge`).
    pub identifier: String,
    /// The value.
    pub value: Value,
    /// When it was reported (epoch ms).
    pub time: Option<i64>,
}

/// One property's desired value and its version.
#[derive(Debug, Clone, PartialEq)]
pub struct Desired {
    /// The wire identifier.
    pub identifier: String,
    /// The value; `None` after a clear.
    pub value: Option<Value>,
    /// The version to send back to change it.
    pub version: i64,
    /// When it was set (epoch ms).
    pub time: Option<i64>,
}

/// The device-state calls generated code makes.
pub trait DeviceState: Sync {
    /// `QueryDevicePropertyStatus` of one module (`None`: the default module): the
    /// properties that have a value.
    fn reported(
        &self,
        device: &Device,
        function_block_id: Option<&str>,
    ) -> impl Future<Output = Result<Vec<Reported>, Error>> + Send;

    /// `QueryDeviceDesiredProperty` of `identifiers` (1 to 10).
    fn desired(
        &self,
        device: &Device,
        identifiers: &[String],
    ) -> impl Future<Output = Result<Vec<Desired>, Error>> + Send;

    /// `SetDeviceDesiredProperty` of `items` (a JSON object, checked) with `versions`
    /// (identifier → version read): the new versions. A stale version is
    /// [`Error::Platform`] with [`crate::error::DESIRED_VERSION_CONFLICT`].
    fn set_desired(
        &self,
        device: &Device,
        items: &str,
        versions: &BTreeMap<String, i64>,
    ) -> impl Future<Output = Result<BTreeMap<String, i64>, Error>> + Send;
}

/// What a generated `Device` handle gives the runtime's generic state readers (one impl per
/// model, emitted by the generator): the cloud it calls, the device it names, and its
/// `Properties` struct. The typed history streams (`tsl_runtime::client::TypedHistory`,
/// feature `client`) are written once against it, so a model pays nothing per property,
/// event or service for them (`docs/state.md` §4).
pub trait StateHandle {
    /// What the calls go through.
    type Cloud;
    /// The generated `Properties` struct.
    type Properties: DecodeProperties;

    /// What the calls go through.
    fn state_cloud(&self) -> &Self::Cloud;

    /// Which device this is.
    fn state_device(&self) -> &Device;
}

/// The generated `Properties::decode`, for generic code (one impl per model).
pub trait DecodeProperties: Sized + Send + 'static {
    /// Reads `(identifier, value, time)` items, returning what fits and every value that
    /// does not.
    fn decode_properties<'a, I>(items: I) -> (Self, Vec<crate::value::Rejected>)
    where
        I: IntoIterator<Item = (&'a str, &'a Value, Option<i64>)>;
}

/// A value the platform sent as text, as JSON: a `text` as it is, a `date` as its digits
/// (a JSON string, as dates go on the wire), anything else parsed as JSON; text that does
/// not parse stays a string, so the model's check reports it rather than it being lost.
pub fn value_from_text(data_type: Option<&str>, text: &str) -> Value {
    match data_type.map(str::to_ascii_lowercase).as_deref() {
        Some("text" | "date") => Value::String(text.to_string()),
        _ => serde_json::from_str(text).unwrap_or_else(|_| Value::String(text.to_string())),
    }
}

#[derive(Deserialize)]
struct StatusAnswer {
    #[serde(rename = "Data", default)]
    data: Option<StatusData>,
}

#[derive(Deserialize)]
struct StatusData {
    #[serde(rename = "List", default)]
    list: Option<StatusList>,
}

#[derive(Deserialize)]
struct StatusList {
    #[serde(rename = "PropertyStatusInfo", default)]
    items: Vec<StatusItem>,
}

#[derive(Deserialize)]
struct StatusItem {
    #[serde(rename = "Identifier")]
    identifier: String,
    #[serde(rename = "DataType", default)]
    data_type: Option<String>,
    #[serde(rename = "Value", default)]
    value: Option<String>,
    #[serde(rename = "Time", default)]
    time: Option<Value>,
}

/// The reported values of a `QueryDevicePropertyStatus` answer body (properties without a
/// value left out).
///
/// # Errors
/// The body is not the documented shape.
pub fn reported_from_answer(body: &[u8]) -> Result<Vec<Reported>, serde_json::Error> {
    // serde reads a struct from a JSON array too; an answer is an object.
    if body.trim_ascii_start().first() == Some(&b'[') {
        return Err(<serde_json::Error as serde::de::Error>::custom(
            "the answer is an array, not an object",
        ));
    }
    let answer: StatusAnswer = serde_json::from_slice(body)?;
    let items = answer
        .data
        .and_then(|d| d.list)
        .map(|l| l.items)
        .unwrap_or_default();
    Ok(items
        .into_iter()
        .filter_map(|item| {
            let text = item.value?;
            Some(Reported {
                value: value_from_text(item.data_type.as_deref(), &text),
                time: match item.time {
                    Some(Value::Number(n)) => n.as_i64(),
                    Some(Value::String(s)) => s.trim().parse().ok(),
                    _ => None,
                },
                identifier: item.identifier,
            })
        })
        .collect())
}

/// `(identifier, value, time)` items of `reported`, as the generated `Properties::decode`
/// takes them.
pub fn items(reported: &[Reported]) -> impl Iterator<Item = (&str, &Value, Option<i64>)> {
    reported
        .iter()
        .map(|r| (r.identifier.as_str(), &r.value, r.time))
}

/// `(identifier, value, time)` items of the desired values that are set.
pub fn desired_items(desired: &[Desired]) -> impl Iterator<Item = (&str, &Value, Option<i64>)> {
    desired
        .iter()
        .filter_map(|d| Some((d.identifier.as_str(), d.value.as_ref()?, d.time)))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn texts_become_the_json_a_report_carries() {
        assert_eq!(value_from_text(Some("int"), "26"), json!(26));
        assert_eq!(value_from_text(Some("text"), "26"), json!("26"));
        assert_eq!(
            value_from_text(Some("date"), "1700000000000"),
            json!("1700000000000")
        );
        assert_eq!(
            value_from_text(Some("struct"), r#"{"a":1}"#),
            json!({"a": 1})
        );
        assert_eq!(value_from_text(Some("double"), "x"), json!("x"));
        assert_eq!(value_from_text(None, "1.5"), json!(1.5));
    }

    #[test]
    fn status_answers_are_read_without_the_unreported() {
        let body = br#"{"RequestId":"R","Success":true,"Data":{"List":{"PropertyStatusInfo":[
            {"Identifier":"Brightness","DataType":"int","Value":"40","Time":"17"},
            {"Identifier":"Firmware","DataType":"text","Value":"1.0","Time":18},
            {"Identifier":"Voltage","DataType":"float"}]}}}"#;
        let reported = reported_from_answer(body).unwrap();
        assert_eq!(reported.len(), 2);
        assert_eq!(reported[0].value, json!(40));
        assert_eq!(reported[0].time, Some(17));
        assert_eq!(reported[1].value, json!("1.0"));
        assert_eq!(items(&reported).count(), 2);
        assert!(reported_from_answer(b"[]").is_err());
        assert!(reported_from_answer(b"not json").is_err());
        let empty = reported_from_answer(br#"{"Data":{}}"#).unwrap();
        assert!(empty.is_empty());
    }
}
