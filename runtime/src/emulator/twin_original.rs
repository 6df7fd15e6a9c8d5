//! The "Original" device-state actions in the emulator (`docs/state.md` §1, §3):
//! QueryDeviceOriginalPropertyStatus, QueryDeviceOriginalPropertyData,
//! QueryDeviceOriginalEventData and QueryDeviceOriginalServiceData, paged by
//! `NextPageToken`.
//!
//! What the emulator keeps: every report as the device sent it, unchecked (twin_store.rs),
//! so these actions and the checked ones serve the same records. The difference served is
//! the identifier: the Original actions take one the model does not have (a product
//! without checks reports under its own identifiers) and list such records, where the
//! checked actions refuse it.

use serde_json::{json, Map, Value};

use super::answer::{Refusal, Success};
use super::params::Params;
use super::state::{lock, Shared};
use super::twin_params::{device, number};
use super::twin_store::{oldest_kept, Kind, Record};
use crate::limits::{MAX_HISTORY_PAGE, MAX_PROPERTIES_PAGE};
use crate::model::Model;

/// The Original actions the emulator serves.
pub(crate) const ORIGINAL_ACTIONS: [&str; 4] = [
    "QueryDeviceOriginalPropertyStatus",
    "QueryDeviceOriginalPropertyData",
    "QueryDeviceOriginalEventData",
    "QueryDeviceOriginalServiceData",
];

/// Runs an Original action, or `None` when `action` is not one.
pub(crate) fn run(
    shared: &Shared,
    action: &str,
    params: &Params,
) -> Option<Result<Success, Refusal>> {
    Some(match action {
        "QueryDeviceOriginalPropertyStatus" => status(shared, params),
        "QueryDeviceOriginalPropertyData" => history(shared, params, Kind::Property),
        "QueryDeviceOriginalEventData" => history(shared, params, Kind::Event),
        "QueryDeviceOriginalServiceData" => history(shared, params, Kind::Service),
        _ => return None,
    })
}

/// The token of the page starting at `offset`: opaque to the client.
fn token(offset: usize) -> String {
    format!("tsl-page-{offset}")
}

/// Where `NextPageToken` says the page starts (0 without one).
fn offset(params: &Params) -> Result<usize, Refusal> {
    match params.get("NextPageToken").filter(|t| !t.is_empty()) {
        None => Ok(0),
        Some(t) => t
            .strip_prefix("tsl-page-")
            .and_then(|n| n.parse().ok())
            .ok_or_else(|| {
                Refusal::business(
                    "iot.common.InvalidPageParams",
                    format!("NextPageToken `{t}` is not one this service gave."),
                )
            }),
    }
}

fn page_size(params: &Params, max: u32, default: Option<i64>) -> Result<usize, Refusal> {
    let size = match (params.get("PageSize"), default) {
        (None, Some(default)) => default,
        _ => number(params, "PageSize")?,
    };
    if !(1..=i64::from(max)).contains(&size) {
        return Err(Refusal::invalid(format!(
            "PageSize must be 1 to {max}, not {size}."
        )));
    }
    Ok(usize::try_from(size).unwrap_or(usize::MAX))
}

fn asc(params: &Params) -> Result<bool, Refusal> {
    match number(params, "Asc")? {
        0 => Ok(false),
        1 => Ok(true),
        other => Err(Refusal::invalid(format!(
            "Asc must be 0 or 1, not {other}."
        ))),
    }
}

/// `Data` of one page of `items`: the page from `start`, `NextValid`, and the token of the
/// next page under `token_name`.
fn page(items: Vec<Value>, start: usize, size: usize, list: &str, token_name: &str) -> Success {
    let more = items.len() > start.saturating_add(size);
    let shown: Vec<Value> = items.into_iter().skip(start).take(size).collect();
    let mut data = Map::new();
    data.insert("NextValid".into(), json!(more));
    if more {
        data.insert(token_name.into(), json!(token(start + size)));
    }
    data.insert("List".into(), json!({ list: shown }));
    Success::data(Value::Object(data))
}

fn status(shared: &Shared, params: &Params) -> Result<Success, Refusal> {
    let size = page_size(params, MAX_HISTORY_PAGE, None)?;
    let asc = asc(params)?;
    let start = offset(params)?;
    let (pk, dn, _) = device(shared, params)?;
    let mut twin = lock(&shared.twin);
    let state = twin.device(&pk, &dn);
    // The latest record of each identifier, the model's or not.
    let mut latest: Vec<&Record> = Vec::new();
    for record in &state.properties {
        match latest
            .iter_mut()
            .find(|r| r.identifier() == record.identifier())
        {
            Some(kept) if kept.time <= record.time => *kept = record,
            Some(_) => {}
            None => latest.push(record),
        }
    }
    latest.sort_by(|a, b| a.time.cmp(&b.time).then(a.identifier().cmp(b.identifier())));
    if !asc {
        latest.reverse();
    }
    let items = latest
        .iter()
        .map(|r| json!({"Identifier": r.identifier(), "Value": r.value_text(), "Time": r.time}))
        .collect();
    Ok(page(
        items,
        start,
        size,
        "PropertyStatusDataInfo",
        "NextPageToken",
    ))
}

fn history(shared: &Shared, params: &Params, kind: Kind) -> Result<Success, Refusal> {
    let from = number(params, "StartTime")?;
    let to = number(params, "EndTime")?;
    let identifier = params.required("Identifier")?;
    let size = match kind {
        Kind::Property => page_size(params, MAX_PROPERTIES_PAGE, None)?,
        Kind::Event => page_size(params, MAX_HISTORY_PAGE, Some(10))?,
        Kind::Service => page_size(params, MAX_HISTORY_PAGE, None)?,
    };
    let asc = asc(params)?;
    let start = offset(params)?;
    if from > to {
        return Err(Refusal::invalid(format!(
            "StartTime {from} is after EndTime {to}."
        )));
    }
    let (pk, dn, model) = device(shared, params)?;
    let oldest = oldest_kept();
    let mut twin = lock(&shared.twin);
    let state = twin.device(&pk, &dn);
    let records = state.records(kind);
    let mut matching: Vec<&Record> = records
        .iter()
        .filter(|r| r.identifier() == identifier && r.time >= from.max(oldest) && r.time <= to)
        .collect();
    // Stable: records of one millisecond keep the order they came in.
    matching.sort_by_key(|r| r.time);
    if !asc {
        matching.reverse();
    }
    let items = matching
        .iter()
        .map(|r| match kind {
            Kind::Property => json!({ "Time": r.time.to_string(), "Value": r.value_text() }),
            Kind::Event => json!({
                "Time": r.time.to_string(),
                "Identifier": r.identifier(),
                "Name": event_name(model, r.identifier()),
                "EventType": event_type(model, r.identifier()),
                "OutputData": r.value_text(),
            }),
            Kind::Service => json!({
                "Time": r.time.to_string(),
                "Identifier": r.identifier(),
                "Name": model
                    .service_by_wire_identifier(r.identifier())
                    .and_then(|s| s.name.clone())
                    .unwrap_or_else(|| r.identifier().to_string()),
                "InputData": r.value_text(),
                "OutputData": r.output_text().unwrap_or_default(),
            }),
        })
        .collect();
    Ok(match kind {
        // This one action spells its token `nextPageToken` (docs/state.md).
        Kind::Property => page(items, start, size, "PropertyInfo", "nextPageToken"),
        Kind::Event => page(items, start, size, "EventInfo", "NextPageToken"),
        Kind::Service => page(items, start, size, "ServiceInfo", "NextPageToken"),
    })
}

fn event_name(model: &Model, id: &str) -> String {
    model
        .events()
        .find(|(_, e)| e.wire_identifier == id)
        .and_then(|(_, e)| e.name.clone())
        .unwrap_or_else(|| id.to_string())
}

fn event_type(model: &Model, id: &str) -> String {
    model
        .events()
        .find(|(_, e)| e.wire_identifier == id)
        .map_or_else(
            || "info".into(),
            |(_, e)| format!("{:?}", e.kind).to_lowercase(),
        )
}
