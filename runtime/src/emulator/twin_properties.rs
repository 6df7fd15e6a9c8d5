//! QueryDevicePropertiesData in the emulator (`docs/state.md` §3): several properties'
//! history in one call, each property's records capped by `PageSize` (1 to 100), 1 to 10
//! properties named by `Identifier.N` without repeats, the answer's members at the top
//! (`PropertyDataInfos`, `NextValid`, `NextTime`) rather than under `Data`.
//!
//! Paging as the API page describes it: when a property fills its page, the answer stops
//! there for every property (records before the first one left out), with `NextValid`
//! true and `NextTime` that time; the next call starts from it.

use serde_json::{json, Map, Value};

use super::answer::{Refusal, Success};
use super::params::Params;
use super::state::{lock, Shared};
use super::twin_params::{device, number, numbered};
use super::twin_store::{oldest_kept, Record};
use crate::limits::{MAX_PROPERTIES_PAGE, MAX_PROPERTIES_PER_QUERY};

pub(super) fn properties_data(shared: &Shared, params: &Params) -> Result<Success, Refusal> {
    let start = number(params, "StartTime")?;
    let end = number(params, "EndTime")?;
    let page_size = number(params, "PageSize")?;
    let asc = number(params, "Asc")?;
    let ids = numbered(params, "Identifier");
    if ids.is_empty() {
        return Err(Refusal::missing("Identifier"));
    }
    if ids.len() > MAX_PROPERTIES_PER_QUERY {
        return Err(Refusal::invalid(format!(
            "Identifier.N names {}; at most {MAX_PROPERTIES_PER_QUERY}.",
            ids.len()
        )));
    }
    for (i, id) in ids.iter().enumerate() {
        if ids[..i].contains(id) {
            return Err(Refusal::invalid(format!("Identifier `{id}` is repeated.")));
        }
    }
    if !(1..=i64::from(MAX_PROPERTIES_PAGE)).contains(&page_size) {
        return Err(Refusal::invalid(format!(
            "PageSize must be 1 to {MAX_PROPERTIES_PAGE}, not {page_size}."
        )));
    }
    // Oldest first reads StartTime..EndTime; newest first has them the other way round.
    let (from, to) = match asc {
        1 if start <= end => (start, end),
        0 if start >= end => (end, start),
        1 => {
            return Err(Refusal::invalid(format!(
                "StartTime {start} is after EndTime {end} (Asc 1)."
            )))
        }
        0 => {
            return Err(Refusal::invalid(format!(
                "StartTime {start} is before EndTime {end} (Asc 0 reads newest first)."
            )))
        }
        _ => return Err(Refusal::invalid(format!("Asc must be 0 or 1, not {asc}."))),
    };
    let (pk, dn, model) = device(shared, params)?;
    for id in &ids {
        if model.property_by_wire_identifier(id).is_none() {
            return Err(Refusal::invalid(format!(
                "Identifier `{id}` is not in the model of product `{pk}`."
            )));
        }
    }
    let oldest = oldest_kept();
    let page = usize::try_from(page_size).unwrap_or(usize::MAX);
    let mut twin = lock(&shared.twin);
    let state = twin.device(&pk, &dn);
    let records: Vec<Vec<&Record>> = ids
        .iter()
        .map(|id| {
            let mut records: Vec<_> = state
                .properties
                .iter()
                .filter(|r| r.identifier() == *id && r.time >= from.max(oldest) && r.time <= to)
                .collect();
            // Stable: records of one millisecond keep the order they came in.
            records.sort_by_key(|r| r.time);
            if asc == 0 {
                records.reverse();
            }
            records
        })
        .collect();
    // Where the answer stops for every property: the time of the first record left out
    // of a property that fills its page (docs/state.md §3). At the window's first
    // millisecond it cannot stop before anything, so each property gives its page.
    let next = records
        .iter()
        .filter_map(|r| r.get(page).map(|r| r.time))
        .reduce(|a, b| if asc == 0 { a.max(b) } else { a.min(b) });
    let first = if asc == 0 { to } else { from };
    let cut = next.filter(|n| *n != first);
    let infos: Vec<Value> = ids
        .iter()
        .zip(&records)
        .map(|(id, records)| {
            let list: Vec<Value> = records
                .iter()
                .filter(|r| cut.is_none_or(|n| if asc == 0 { r.time > n } else { r.time < n }))
                .take(page)
                .map(|r| json!({ "Time": r.time, "Value": r.value_text() }))
                .collect();
            json!({ "Identifier": id, "List": { "PropertyInfo": list } })
        })
        .collect();
    let mut extra = Map::new();
    extra.insert("NextValid".into(), json!(next.is_some()));
    extra.insert("NextTime".into(), json!(next.unwrap_or(0)));
    extra.insert(
        "PropertyDataInfos".into(),
        json!({ "PropertyDataInfo": infos }),
    );
    Ok(Success { data: None, extra })
}
