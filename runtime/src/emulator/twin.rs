//! The device state the emulator keeps and serves (`docs/state.md`): properties reported
//! by devices (their history and latest values), the desired side of the device shadow with
//! its versions, events posted and services invoked; served by QueryDevicePropertyStatus,
//! Set/Query/ClearDeviceDesiredProperty and the three history queries, with the platform's
//! paging (`NextValid`/`NextTime`), page sizes, retention and error shapes.
//!
//! Values are kept as the device sent them, unchecked, so a test can store one that does
//! not fit the model and see the client report it.

use serde_json::{json, Map, Value};

use super::answer::{Refusal, Success};
use super::params::Params;
use super::state::{lock, Shared};
use super::strict;
use super::twin_params::{device, number, numbered, text};
use super::twin_store::{now_ms, oldest_kept, Desired, Kind, Record};
use super::{EmulatorError, RunningEmulator};
use crate::error::DESIRED_VERSION_CONFLICT;
use crate::limits::{MAX_DESIRED_PER_CALL, MAX_HISTORY_PAGE};
use crate::model::Model;

/// The device-state actions the emulator serves.
pub(crate) const STATE_ACTIONS: [&str; 8] = [
    "QueryDevicePropertyStatus",
    "QueryDevicePropertyData",
    "QueryDevicePropertiesData",
    "QueryDeviceEventData",
    "QueryDeviceServiceData",
    "SetDeviceDesiredProperty",
    "QueryDeviceDesiredProperty",
    "ClearDeviceDesiredProperty",
];

/// Desired values to deliver to a device now (SetDeviceDesiredProperty while it is
/// online, `docs/state.md` §2): the caller, which owns delivery (actions.rs), sends them.
pub(crate) struct DesiredPush {
    pub product_key: String,
    pub device_name: String,
    /// The values set, checked (`null`s, which clear, left out).
    pub items: Value,
}

/// An action's answer, and the desired values it asks to deliver.
pub(crate) struct Ran {
    pub answer: Result<Success, Refusal>,
    pub push: Option<DesiredPush>,
}

impl Ran {
    /// The answer once `deliver` has sent the push, if any: with the message's ID as
    /// `Data.MessageId` when it went out (SetDeviceDesiredProperty's answer).
    pub(crate) fn finish(
        self,
        deliver: impl FnOnce(&DesiredPush) -> Option<String>,
    ) -> Result<Success, Refusal> {
        let mut success = self.answer?;
        if let Some(id) = self.push.as_ref().and_then(deliver) {
            if let Some(data) = success.data.as_mut() {
                data["MessageId"] = json!(id);
            }
        }
        Ok(success)
    }
}

/// Runs a device-state action with its parameters, or `None` when `action` is not one.
pub(crate) fn run(shared: &Shared, action: &str, params: &Params) -> Option<Ran> {
    if action == "SetDeviceDesiredProperty" {
        return Some(match set_desired(shared, params) {
            Ok((success, push)) => Ran {
                answer: Ok(success),
                push,
            },
            Err(refusal) => Ran {
                answer: Err(refusal),
                push: None,
            },
        });
    }
    let answer = match action {
        "QueryDevicePropertyStatus" => property_status(shared, params),
        "QueryDevicePropertyData" => history(shared, params, Kind::Property),
        "QueryDevicePropertiesData" => super::twin_properties::properties_data(shared, params),
        "QueryDeviceEventData" => history(shared, params, Kind::Event),
        "QueryDeviceServiceData" => history(shared, params, Kind::Service),
        "QueryDeviceDesiredProperty" => query_desired(shared, params),
        "ClearDeviceDesiredProperty" => clear_desired(shared, params),
        _ => return None,
    };
    Some(Ran { answer, push: None })
}

fn property_status(shared: &Shared, params: &Params) -> Result<Success, Refusal> {
    let (pk, dn, model) = device(shared, params)?;
    let block = params.get("FunctionBlockId").filter(|v| !v.is_empty());
    let module = model.module(block).ok_or_else(|| {
        Refusal::invalid(format!(
            "The product has no module `{}` (FunctionBlockId).",
            block.unwrap_or_default()
        ))
    })?;
    let mut twin = lock(&shared.twin);
    let state = twin.device(&pk, &dn);
    let list: Vec<Value> = module
        .properties
        .iter()
        .map(|p| {
            let mut info = Map::new();
            info.insert("Identifier".into(), json!(p.wire_identifier));
            info.insert("DataType".into(), json!(p.data_type.tsl_name()));
            info.insert(
                "Name".into(),
                json!(p.name.clone().unwrap_or_else(|| p.identifier.clone())),
            );
            let latest = state
                .properties
                .iter()
                .filter(|r| r.identifier() == p.wire_identifier)
                .max_by_key(|r| r.time);
            if let Some(record) = latest {
                info.insert("Value".into(), json!(record.value_text()));
                info.insert("Time".into(), json!(record.time.to_string()));
            }
            Value::Object(info)
        })
        .collect();
    Ok(Success::data(
        json!({ "List": { "PropertyStatusInfo": list } }),
    ))
}

fn history(shared: &Shared, params: &Params, kind: Kind) -> Result<Success, Refusal> {
    let start = number(params, "StartTime")?;
    let end = number(params, "EndTime")?;
    let identifier = match kind {
        Kind::Property => Some(
            params
                .get("Identifier")
                .filter(|v| !v.is_empty())
                .ok_or_else(|| Refusal::missing("Identifier"))?,
        ),
        _ => params.get("Identifier").filter(|v| !v.is_empty()),
    };
    // PageSize and Asc are required for property data; events and services default them
    // to 10 and 0 (docs/state.md).
    let page_size = match (kind, params.get("PageSize")) {
        (Kind::Property, _) => number(params, "PageSize")?,
        (_, None) => 10,
        (_, Some(_)) => number(params, "PageSize")?,
    };
    let asc = match (kind, params.get("Asc")) {
        (Kind::Property, _) => number(params, "Asc")?,
        (_, None) => 0,
        (_, Some(_)) => number(params, "Asc")?,
    };
    if !(1..=i64::from(MAX_HISTORY_PAGE)).contains(&page_size) {
        return Err(Refusal::invalid(format!(
            "PageSize must be 1 to {MAX_HISTORY_PAGE}, not {page_size}."
        )));
    }
    if asc != 0 && asc != 1 {
        return Err(Refusal::invalid(format!("Asc must be 0 or 1, not {asc}.")));
    }
    if start > end {
        return Err(Refusal::invalid(format!(
            "StartTime {start} is after EndTime {end}."
        )));
    }
    let (pk, dn, model) = device(shared, params)?;
    let event_type = params.get("EventType").filter(|v| !v.is_empty());
    if let Some(id) = identifier {
        let known = match kind {
            Kind::Property => model.property_by_wire_identifier(id).is_some(),
            Kind::Event => model.events().any(|(_, e)| e.wire_identifier == id),
            Kind::Service => model.service_by_wire_identifier(id).is_some(),
        };
        if !known {
            return Err(Refusal::invalid(format!(
                "Identifier `{id}` is not in the model of product `{pk}`."
            )));
        }
    }
    // Records older than the retention are gone.
    let oldest = oldest_kept();
    let mut twin = lock(&shared.twin);
    let state = twin.device(&pk, &dn);
    let records = state.records(kind);
    let event_kind = |id: &str| {
        model
            .events()
            .find(|(_, e)| e.wire_identifier == id)
            .map(|(_, e)| format!("{:?}", e.kind).to_lowercase())
    };
    let mut matching: Vec<&Record> = records
        .iter()
        .filter(|r| r.time >= start.max(oldest) && r.time <= end)
        .filter(|r| identifier.is_none_or(|id| r.identifier() == id))
        .filter(|r| event_type.is_none_or(|t| event_kind(r.identifier()).as_deref() == Some(t)))
        .collect();
    // Stable: records of one millisecond keep the order they came in.
    matching.sort_by_key(|r| r.time);
    if asc == 0 {
        matching.reverse();
    }
    let page_len = usize::try_from(page_size).unwrap_or(usize::MAX);
    let next = matching.get(page_len).map(|r| r.time);
    let list: Vec<Value> = matching
        .iter()
        .take(page_len)
        .map(|r| {
            let name = |id: &str| {
                let found = match kind {
                    Kind::Event => model
                        .events()
                        .find(|(_, e)| e.wire_identifier == id)
                        .and_then(|(_, e)| e.name.clone()),
                    Kind::Service => model
                        .service_by_wire_identifier(id)
                        .and_then(|s| s.name.clone()),
                    Kind::Property => None,
                };
                found.unwrap_or_else(|| id.to_string())
            };
            match kind {
                Kind::Property => json!({ "Time": r.time.to_string(), "Value": r.value_text() }),
                Kind::Event => json!({
                    "Time": r.time.to_string(),
                    "Identifier": r.identifier(),
                    "Name": name(r.identifier()),
                    "EventType": event_kind(r.identifier()).unwrap_or_else(|| "info".into()),
                    "OutputData": r.value_text(),
                }),
                Kind::Service => json!({
                    "Time": r.time.to_string(),
                    "Identifier": r.identifier(),
                    "Name": name(r.identifier()),
                    "InputData": r.value_text(),
                    "OutputData": r.output_text().unwrap_or_default(),
                }),
            }
        })
        .collect();
    let item = match kind {
        Kind::Property => "PropertyInfo",
        Kind::Event => "EventInfo",
        Kind::Service => "ServiceInfo",
    };
    let mut data = json!({
        "NextValid": next.is_some(),
        "List": { item: list },
    });
    if let Some(next) = next {
        data["NextTime"] = json!(next);
    }
    Ok(Success::data(data))
}

fn writable(model: &Model, identifier: &str) -> Result<(), Refusal> {
    match model.property_by_wire_identifier(identifier) {
        None => Err(Refusal::invalid(format!(
            "`{identifier}` is not a property of the product."
        ))),
        Some(p) if !p.access.is_writable() => Err(Refusal::invalid(format!(
            "`{identifier}` is read-only: only read-write properties have desired values."
        ))),
        Some(_) => Ok(()),
    }
}

fn versions_answer(versions: &Map<String, Value>) -> Success {
    // Documented as a JSON object written as a string (docs/state.md).
    Success::data(json!({ "Versions": Value::Object(versions.clone()).to_string() }))
}

fn set_desired(
    shared: &Shared,
    params: &Params,
) -> Result<(Success, Option<DesiredPush>), Refusal> {
    let items_text = params
        .get("Items")
        .filter(|v| !v.is_empty())
        .ok_or_else(|| Refusal::missing("Items"))?;
    let versions_text = params
        .get("Versions")
        .filter(|v| !v.is_empty())
        .ok_or_else(|| Refusal::missing("Versions"))?;
    let (pk, dn, model) = device(shared, params)?;
    let items: Map<String, Value> = serde_json::from_str(items_text)
        .map_err(|e| Refusal::invalid(format!("Items is not a JSON object: {e}.")))?;
    let versions: Map<String, Value> = serde_json::from_str(versions_text)
        .map_err(|e| Refusal::invalid(format!("Versions is not a JSON object: {e}.")))?;
    if items.is_empty() || items.len() > MAX_DESIRED_PER_CALL {
        return Err(Refusal::invalid(format!(
            "Items names {} properties; 1 to {MAX_DESIRED_PER_CALL} per call.",
            items.len()
        )));
    }
    for id in items.keys() {
        writable(model, id)?;
    }
    // Values are checked as strictly as SetDeviceProperty's; `null` clears.
    let values: Map<String, Value> = items
        .iter()
        .filter(|(_, v)| !v.is_null())
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let checked = if values.is_empty() {
        Map::new()
    } else {
        // The non-null items as sent, so the number forms are checked as written.
        let text = non_null_members(items_text)
            .map_err(|e| Refusal::invalid(format!("Items is not a JSON object: {e}.")))?;
        match strict::check_items(model, &text) {
            Ok(Value::Object(map)) => map,
            Ok(_) => Map::new(),
            Err(problems) => return Err(Refusal::invalid(problems.join("; "))),
        }
    };
    let mut twin = lock(&shared.twin);
    let state = twin.device(&pk, &dn);
    for (id, expected) in &versions {
        if !items.contains_key(id) {
            continue;
        }
        let Some(expected) = expected.as_i64() else {
            return Err(Refusal::invalid(format!(
                "The version of `{id}` must be an integer."
            )));
        };
        let current = state.desired.get(id).map_or(0, |d| d.version);
        if expected != current {
            return Err(Refusal::business(
                DESIRED_VERSION_CONFLICT,
                format!("The desired value of `{id}` is at version {current}, not {expected}: it changed since it was read."),
            ));
        }
    }
    let now = now_ms();
    let mut answer = Map::new();
    for id in items.keys() {
        let entry = state.desired.entry(id.clone()).or_insert(Desired {
            value: None,
            version: 0,
            time: now,
        });
        entry.value = checked.get(id).cloned();
        entry.version += 1;
        entry.time = now;
        answer.insert(id.clone(), json!(entry.version));
    }
    drop(twin);
    // An online device gets the values set at once (docs/state.md §2), sent by the caller;
    // a `null` (clear) is not sent.
    let push = (!checked.is_empty()).then_some(DesiredPush {
        product_key: pk,
        device_name: dn,
        items: Value::Object(checked),
    });
    Ok((versions_answer(&answer), push))
}

/// `text`, a JSON object, without its `null` members, each other member as written.
fn non_null_members(text: &str) -> Result<String, serde_json::Error> {
    let members: std::collections::BTreeMap<String, &serde_json::value::RawValue> =
        serde_json::from_str(text)?;
    let kept: Vec<String> = members
        .iter()
        .filter(|(_, raw)| raw.get().trim() != "null")
        .map(|(key, raw)| format!("{}:{}", Value::from(key.as_str()), raw.get()))
        .collect();
    Ok(format!("{{{}}}", kept.join(",")))
}

fn query_desired(shared: &Shared, params: &Params) -> Result<Success, Refusal> {
    let (pk, dn, model) = device(shared, params)?;
    let mut ids = numbered(params, "Identifier");
    if ids.len() > MAX_DESIRED_PER_CALL {
        return Err(Refusal::invalid(format!(
            "Identifier.N names {}; at most {MAX_DESIRED_PER_CALL}.",
            ids.len()
        )));
    }
    if ids.is_empty() {
        let block = params.get("FunctionBlockId").filter(|v| !v.is_empty());
        let module = model
            .module(block)
            .ok_or_else(|| Refusal::invalid("The product has no such module (FunctionBlockId)."))?;
        ids = module
            .properties
            .iter()
            .filter(|p| p.access.is_writable())
            .map(|p| p.wire_identifier.clone())
            .collect();
    }
    for id in &ids {
        writable(model, id)?;
    }
    let mut twin = lock(&shared.twin);
    let state = twin.device(&pk, &dn);
    let list: Vec<Value> = ids
        .iter()
        .map(|id| {
            let property = model.property_by_wire_identifier(id);
            let mut info = Map::new();
            info.insert("Identifier".into(), json!(id));
            if let Some(p) = property {
                info.insert("DataType".into(), json!(p.data_type.tsl_name()));
                info.insert(
                    "Name".into(),
                    json!(p.name.clone().unwrap_or_else(|| p.identifier.clone())),
                );
            }
            let desired = state.desired.get(id);
            info.insert("Version".into(), json!(desired.map_or(0, |d| d.version)));
            if let Some(d) = desired {
                if let Some(value) = &d.value {
                    info.insert("Value".into(), json!(text(value)));
                }
                info.insert("Time".into(), json!(d.time.to_string()));
            }
            Value::Object(info)
        })
        .collect();
    Ok(Success::data(
        json!({ "List": { "DesiredPropertyInfo": list } }),
    ))
}

fn clear_desired(shared: &Shared, params: &Params) -> Result<Success, Refusal> {
    let ids = numbered(params, "Identifies");
    if ids.is_empty() {
        return Err(Refusal::missing("Identifies"));
    }
    if ids.len() > MAX_DESIRED_PER_CALL {
        return Err(Refusal::invalid(format!(
            "Identifies.N names {}; at most {MAX_DESIRED_PER_CALL}.",
            ids.len()
        )));
    }
    let (pk, dn, model) = device(shared, params)?;
    for id in &ids {
        writable(model, id)?;
    }
    let mut twin = lock(&shared.twin);
    let state = twin.device(&pk, &dn);
    let now = now_ms();
    let mut answer = Map::new();
    for id in &ids {
        let entry = state.desired.entry(id.clone()).or_insert(Desired {
            value: None,
            version: 0,
            time: now,
        });
        entry.value = None;
        entry.version += 1;
        entry.time = now;
        answer.insert(id.clone(), json!(entry.version));
    }
    Ok(versions_answer(&answer))
}

impl RunningEmulator {
    fn known_device(&self, product_key: &str, device_name: &str) -> Result<(), EmulatorError> {
        if lock(&self.shared.devices)
            .get(product_key, device_name)
            .is_none()
        {
            return Err(EmulatorError::UnknownDevice {
                product_key: product_key.to_string(),
                device_name: device_name.to_string(),
            });
        }
        Ok(())
    }

    /// A device reports properties at `time` (epoch ms): `items` is `{"Id": value}`
    /// (`module:Id` in a custom module), kept as sent, unchecked, for
    /// QueryDevicePropertyStatus and QueryDevicePropertyData.
    ///
    /// # Errors
    /// [`EmulatorError::UnknownDevice`].
    pub fn report_properties(
        &self,
        product_key: &str,
        device_name: &str,
        items: &Value,
        time: i64,
    ) -> Result<(), EmulatorError> {
        self.known_device(product_key, device_name)?;
        lock(&self.shared.twin).properties_reported(product_key, device_name, items, time);
        Ok(())
    }

    /// A device posts event `identifier` at `time` with output `{"field": value}`
    /// (unchecked), for QueryDeviceEventData.
    ///
    /// # Errors
    /// [`EmulatorError::UnknownDevice`].
    pub fn report_event(
        &self,
        product_key: &str,
        device_name: &str,
        identifier: &str,
        output: &Value,
        time: i64,
    ) -> Result<(), EmulatorError> {
        self.known_device(product_key, device_name)?;
        lock(&self.shared.twin).event_posted(product_key, device_name, identifier, output, time);
        Ok(())
    }

    /// A service call at `time` with `input` and the device's `output` (unchecked), for
    /// QueryDeviceServiceData; the emulator's own InvokeThingService records its calls too.
    ///
    /// # Errors
    /// [`EmulatorError::UnknownDevice`].
    pub fn report_service_call(
        &self,
        product_key: &str,
        device_name: &str,
        identifier: &str,
        input: &Value,
        output: Option<&Value>,
        time: i64,
    ) -> Result<(), EmulatorError> {
        self.known_device(product_key, device_name)?;
        lock(&self.shared.twin)
            .device(product_key, device_name)
            .services
            .push(Record::new(identifier, time, input, output));
        Ok(())
    }
}
