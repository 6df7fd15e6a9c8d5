//! Several properties' history in one stream (`QueryDevicePropertiesData`, `docs/state.md`
//! §3): up to [`MAX_PROPERTIES_PER_QUERY`] properties a call, up to
//! [`MAX_PROPERTIES_PAGE`] records of each, within the action's QPS (10).
//!
//! The action's paging is documented two ways (`docs/state.md` §3): the API page says an
//! answer stops for every property where one filled its page, with `NextValid` and
//! `NextTime`; the SDKs' comments say it does not page. The stream serves both: with a
//! `NextTime` all the call's properties go on from it; without, a property that came back
//! with a full page goes on from the time of its last record. Records already given (up
//! to and at the last time given, counted) are skipped, so each comes once. Properties
//! whose next start differs are asked in separate calls.

use std::collections::VecDeque;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use futures_util::stream::{self, Stream};
use serde_json::Value;

use super::answer::Answer;
use super::history::HistoryRecord;
use super::ops::{check_device, device_params};
use super::state::{millis, string};
use super::Client;
use crate::cloud::Device;
use crate::error::Error;
use crate::limits::{HISTORY_RETENTION, MAX_PROPERTIES_PAGE, MAX_PROPERTIES_PER_QUERY};

/// The action that reads several properties' history.
pub const PROPERTIES_DATA_ACTION: &str = "QueryDevicePropertiesData";

/// A history query of several properties: a device, their wire identifiers, and a time
/// window `[from, to]` in epoch ms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PropertiesQuery {
    /// The device.
    pub device: Device,
    /// The properties' wire identifiers (`module:Id` in a custom module), no repeats; any
    /// number (the stream asks for at most 10 a call).
    pub identifiers: Vec<String>,
    /// `StartTime` of the first call (epoch ms, inclusive).
    pub from: i64,
    /// `EndTime` (epoch ms, inclusive).
    pub to: i64,
    /// `PageSize`: records of each property a call, 1 to [`MAX_PROPERTIES_PAGE`] (100 by
    /// default).
    pub page_size: u32,
    /// How far back the platform keeps records ([`HISTORY_RETENTION`] by default; `None`
    /// for no check), as [`super::HistoryQuery::retention`].
    pub retention: Option<Duration>,
}

impl PropertiesQuery {
    /// Reads `identifiers` of `device` from `from` to `to` (epoch ms), 100 records a
    /// property a call.
    pub fn new(device: Device, identifiers: Vec<String>, from: i64, to: i64) -> PropertiesQuery {
        PropertiesQuery {
            device,
            identifiers,
            from,
            to,
            page_size: MAX_PROPERTIES_PAGE,
            retention: Some(HISTORY_RETENTION),
        }
    }

    /// With `page_size` records of each property a call.
    #[must_use]
    pub fn page_size(mut self, page_size: u32) -> PropertiesQuery {
        self.page_size = page_size;
        self
    }

    /// With another retention (`None`: no check).
    #[must_use]
    pub fn retention(mut self, retention: Option<Duration>) -> PropertiesQuery {
        self.retention = retention;
        self
    }

    /// The checks made before anything is sent.
    ///
    /// # Errors
    /// [`Error::Refused`]: an empty device, no identifier, an empty or repeated one, `from`
    /// after `to`, a page size out of 1..=100, a window starting before the retention.
    pub fn check(&self, now_ms: i64) -> Result<(), Error> {
        check_device(&self.device)?;
        if self.identifiers.is_empty() {
            return Err(Error::Refused("no property named".into()));
        }
        for (i, id) in self.identifiers.iter().enumerate() {
            if id.is_empty() {
                return Err(Error::Refused("an identifier is empty".into()));
            }
            // The platform refuses a repeated identifier (docs/state.md).
            if self.identifiers[..i].contains(id) {
                return Err(Error::Refused(format!("`{id}` is named twice")));
            }
        }
        // The shared checks of window, page size and retention, with this action's page.
        let single = super::HistoryQuery {
            device: self.device.clone(),
            source: super::HistorySource::Property(self.identifiers[0].clone()),
            from: self.from,
            to: self.to,
            page_size: 1,
            retention: self.retention,
            original: false,
        };
        single.check(now_ms)?;
        if self.page_size == 0 || self.page_size > MAX_PROPERTIES_PAGE {
            return Err(Error::Refused(format!(
                "PageSize {} is outside 1..={MAX_PROPERTIES_PAGE}",
                self.page_size
            )));
        }
        Ok(())
    }
}

/// Where one property's reading is.
#[derive(Debug)]
struct PropertyCursor {
    identifier: String,
    /// `StartTime` of its next call.
    start: i64,
    /// The time of the last record given, and how many were given at that time: a next
    /// answer repeats what it has before and at that time, and those are skipped.
    last: Option<(i64, usize)>,
    done: bool,
}

struct Cursor {
    client: Client,
    query: PropertiesQuery,
    properties: Vec<PropertyCursor>,
    buffered: VecDeque<HistoryRecord>,
    failed: bool,
}

impl Client {
    /// The records of several properties (`QueryDevicePropertiesData`): each property's
    /// values oldest first, the properties of one call one after the other, fetched as the
    /// stream is read. Items are [`HistoryRecord::Property`], read against the model by
    /// [`super::StateDecoder::record`]. The stream ends after the last call, or after
    /// yielding the first error (a refused query yields [`Error::Refused`] before anything
    /// is sent).
    pub fn properties_history(
        &self,
        query: PropertiesQuery,
    ) -> impl Stream<Item = Result<HistoryRecord, Error>> + Send + 'static {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
            .unwrap_or(0);
        let refused = query.check(now).err();
        let properties = query
            .identifiers
            .iter()
            .map(|id| PropertyCursor {
                identifier: id.clone(),
                start: query.from,
                last: None,
                done: false,
            })
            .collect();
        let cursor = Cursor {
            client: self.clone(),
            query,
            properties,
            buffered: VecDeque::new(),
            failed: false,
        };
        stream::unfold((cursor, refused), |(mut cursor, mut refused)| async move {
            if let Some(error) = refused.take() {
                cursor.failed = true;
                return Some((Err(error), (cursor, None)));
            }
            loop {
                if let Some(record) = cursor.buffered.pop_front() {
                    return Some((Ok(record), (cursor, None)));
                }
                if cursor.failed || cursor.properties.iter().all(|p| p.done) {
                    return None;
                }
                if let Err(error) = cursor.next_call().await {
                    cursor.failed = true;
                    return Some((Err(error), (cursor, None)));
                }
            }
        })
    }
}

impl Cursor {
    /// One call: the unfinished properties that share the earliest start (at most 10).
    async fn next_call(&mut self) -> Result<(), Error> {
        let Some((start, asked)) = self.plan() else {
            return Ok(());
        };
        let start_text = start.to_string();
        let end = self.query.to.to_string();
        let size = self.query.page_size.to_string();
        let names: Vec<String> = (1..=asked.len())
            .map(|n| format!("Identifier.{n}"))
            .collect();
        let mut named = Vec::new();
        device_params(&self.query.device, &mut named);
        let mut params: Vec<(&str, &str)> = named;
        params.push(("StartTime", &start_text));
        params.push(("EndTime", &end));
        params.push(("PageSize", &size));
        // Oldest first: StartTime before EndTime (newest first would swap them).
        params.push(("Asc", "1"));
        for (name, &i) in names.iter().zip(&asked) {
            params.push((name.as_str(), self.properties[i].identifier.as_str()));
        }
        let answer = self.client.call(PROPERTIES_DATA_ACTION, &params).await?;
        self.absorb(start, asked, &answer)
    }

    /// The next call: its `StartTime` and the properties it names (indexes).
    fn plan(&self) -> Option<(i64, Vec<usize>)> {
        let start = self
            .properties
            .iter()
            .filter(|p| !p.done)
            .map(|p| p.start)
            .min()?;
        let asked = self
            .properties
            .iter()
            .enumerate()
            .filter(|(_, p)| !p.done && p.start == start)
            .map(|(i, _)| i)
            .take(MAX_PROPERTIES_PER_QUERY)
            .collect();
        Some((start, asked))
    }

    /// Takes an answer to the call planned from `start` for `asked`: buffers the records
    /// not given yet and moves each property on.
    fn absorb(&mut self, start: i64, asked: Vec<usize>, answer: &Answer) -> Result<(), Error> {
        let (next, mut lists) = read_answer(answer)?;
        // The English API page documents paging across all the call's properties: when one
        // property fills its page at some time, the answer stops there for all of them,
        // `NextValid` is true and the rest starts at `NextTime`. The SDK comments say the
        // action does not page. Both readings are served: with a `NextTime` every property
        // asked goes on from it; without, a property that filled its page goes on from its
        // last record; records already given are skipped either way.
        let next = next.filter(|n| *n <= self.query.to);
        if next.is_some_and(|n| n < start) {
            return Err(bad(
                answer,
                format!("NextTime {next:?} is before the call's StartTime {start}"),
            ));
        }
        let page = usize::try_from(self.query.page_size).unwrap_or(usize::MAX);
        let mut moved = next.is_some_and(|n| n > start);
        for i in asked {
            let property = &mut self.properties[i];
            // A property the answer leaves out has no records in the window.
            let records = lists
                .iter()
                .position(|(id, _)| *id == property.identifier)
                .map(|at| lists.swap_remove(at).1)
                .unwrap_or_default();
            let full = records.len() >= page;
            let (seen, mut skip) = property.last.unwrap_or((i64::MIN, 0));
            let mut fresh = Vec::with_capacity(records.len());
            for (time, value) in records {
                if time < property.start || time > self.query.to {
                    return Err(bad(
                        answer,
                        format!(
                            "`{}` has a record at {time}, outside the window {}..={}",
                            property.identifier, property.start, self.query.to
                        ),
                    ));
                }
                if time < seen {
                    continue;
                }
                if time == seen && skip > 0 {
                    skip -= 1;
                    continue;
                }
                fresh.push((time, value));
            }
            if let Some(last) = fresh.last().map(|(time, _)| *time) {
                let at_last = fresh.iter().filter(|(t, _)| *t == last).count();
                let before = match property.last {
                    Some((time, count)) if time == last => count,
                    _ => 0,
                };
                property.last = Some((last, before + at_last));
                moved = true;
            }
            match (next, property.last) {
                (Some(n), _) => property.start = n,
                (None, Some((last, _))) if full && (last > property.start || !fresh.is_empty()) => {
                    property.start = last;
                }
                (None, _) if full => {
                    return Err(bad(
                        answer,
                        format!(
                            "paging `{}` does not move forward: more records at {} than a page of {} holds",
                            property.identifier, property.start, self.query.page_size
                        ),
                    ));
                }
                (None, _) => property.done = true,
            }
            let identifier = property.identifier.clone();
            self.buffered.extend(
                fresh
                    .into_iter()
                    .map(|(time, value)| HistoryRecord::Property {
                        identifier: identifier.clone(),
                        time,
                        value,
                    }),
            );
        }
        if next.is_some() && !moved {
            return Err(bad(
                answer,
                format!(
                    "paging does not move forward: NextTime is the call's StartTime {start} and no record is new"
                ),
            ));
        }
        Ok(())
    }
}

fn bad(answer: &Answer, problem: String) -> Error {
    Error::BadAnswer {
        problem,
        raw: answer.body.clone(),
    }
}

/// Records of each property, as read.
type Lists = Vec<(String, Vec<(i64, String)>)>;

/// `NextTime` when `NextValid` is true, and `PropertyDataInfos.PropertyDataInfo[]` (at the
/// top of the answer, not under `Data`): each property's identifier and its
/// `(Time, Value)` records.
fn read_answer(answer: &Answer) -> Result<(Option<i64>, Lists), Error> {
    let body: Value = serde_json::from_str(&answer.body)
        .map_err(|e| bad(answer, format!("the answer is not JSON ({e})")))?;
    let next_valid = matches!(body.get("NextValid"), Some(Value::Bool(true)))
        || matches!(body.get("NextValid"), Some(Value::String(s)) if s == "true");
    let next = if next_valid {
        Some(
            millis(body.get("NextTime"))
                .ok_or_else(|| bad(answer, "NextValid without a NextTime".into()))?,
        )
    } else {
        None
    };
    let infos = one_or_many(
        answer,
        body.get("PropertyDataInfos")
            .and_then(|i| i.get("PropertyDataInfo")),
        "PropertyDataInfos.PropertyDataInfo",
    )?;
    let lists = infos
        .iter()
        .map(|info| {
            let identifier = string(info, "Identifier").ok_or_else(|| {
                bad(
                    answer,
                    format!("a PropertyDataInfo without an Identifier: {info}"),
                )
            })?;
            let records = one_or_many(
                answer,
                info.get("List").and_then(|l| l.get("PropertyInfo")),
                "List.PropertyInfo",
            )?
            .iter()
            .map(|item| {
                let time = millis(item.get("Time"))
                    .ok_or_else(|| bad(answer, format!("a record without a Time: {item}")))?;
                Ok((time, string(item, "Value").unwrap_or_default()))
            })
            .collect::<Result<Vec<_>, Error>>()?;
            Ok((identifier, records))
        })
        .collect::<Result<Lists, Error>>()?;
    Ok((next, lists))
}

/// An array as it is; absent or `null` empty; one object alone a list of one.
fn one_or_many(answer: &Answer, value: Option<&Value>, what: &str) -> Result<Vec<Value>, Error> {
    match value {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(items)) => Ok(items.clone()),
        Some(one @ Value::Object(_)) => Ok(vec![one.clone()]),
        Some(other) => Err(bad(answer, format!("`{what}` is {other}, not a list"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(body: &str) -> Answer {
        Answer::ok(body)
    }

    #[test]
    fn properties_answers_are_read_per_property() {
        let (next, read) = read_answer(&answer(
            r#"{"NextValid":false,"PropertyDataInfos":{"PropertyDataInfo":[
                {"Identifier":"a","List":{"PropertyInfo":[{"Time":1,"Value":"2"},{"Time":"3","Value":"4"}]}},
                {"Identifier":"b","List":{"PropertyInfo":{"Time":5,"Value":"x"}}},
                {"Identifier":"c"}]}}"#,
        ))
        .unwrap();
        assert_eq!((next, read.len()), (None, 3));
        assert_eq!(read[0].1, vec![(1, "2".into()), (3, "4".into())]);
        assert_eq!(read[1].1, vec![(5, "x".into())]);
        assert!(read[2].1.is_empty());
        assert!(read_answer(&answer(
            r#"{"PropertyDataInfos":{"PropertyDataInfo":[{"List":{}}]}}"#
        ))
        .is_err());
        assert!(read_answer(&answer(r#"{"PropertyDataInfos":{"PropertyDataInfo":7}}"#)).is_err());
        assert!(read_answer(&answer("{}")).unwrap().1.is_empty());
        let (next, _) = read_answer(&answer(r#"{"NextValid":true,"NextTime":"9"}"#)).unwrap();
        assert_eq!(next, Some(9));
        assert!(read_answer(&answer(r#"{"NextValid":true}"#)).is_err());
    }

    /// A platform answering from `data` (identifier → record times) the SDK comments' way
    /// (`paged: false`: each property's first `page` records from StartTime, no
    /// `NextValid`) or the API page's (`paged: true`: stop for all before the first record
    /// left out of a property that fills its page).
    fn platform(
        data: &[(&str, Vec<i64>)],
        ids: &[String],
        start: i64,
        page: usize,
        paged: bool,
    ) -> String {
        let from = |times: &Vec<i64>| {
            times
                .iter()
                .copied()
                .filter(|t| *t >= start)
                .collect::<Vec<_>>()
        };
        let cut = paged
            .then(|| {
                data.iter()
                    .filter(|(id, _)| ids.iter().any(|i| i == id))
                    .filter_map(|(_, times)| from(times).get(page).copied())
                    .min()
            })
            .flatten()
            .filter(|n| *n != start);
        let infos: Vec<Value> = ids
            .iter()
            .map(|id| {
                let times = data
                    .iter()
                    .find(|(d, _)| d == id)
                    .map(|(_, t)| from(t))
                    .unwrap_or_default();
                let list: Vec<Value> = times
                    .iter()
                    .filter(|t| cut.is_none_or(|n| **t < n))
                    .take(page)
                    .map(|t| serde_json::json!({"Time": t, "Value": t.to_string()}))
                    .collect();
                serde_json::json!({"Identifier": id, "List": {"PropertyInfo": list}})
            })
            .collect();
        let mut body = serde_json::json!({"PropertyDataInfos": {"PropertyDataInfo": infos}});
        if let Some(n) = cut {
            body["NextValid"] = Value::Bool(true);
            body["NextTime"] = Value::from(n);
        }
        body.to_string()
    }

    #[test]
    fn properties_paging_gives_each_record_once_under_both_readings() {
        let data = vec![
            // Two records in one millisecond across a page of 3 (more than a page in one
            // millisecond cannot be read without the API page's paging: an error).
            ("a", vec![1, 1, 2, 2, 5, 6, 9]),
            ("b", vec![1, 3]),
            ("c", vec![]),
            ("d", (0..11).collect()),
        ];
        for paged in [false, true] {
            let client = Client::builder()
                .endpoint("http://127.0.0.1:9")
                .allow_http(true)
                .credentials(crate::sign::Credentials::new("id", "secret").unwrap())
                .build()
                .unwrap();
            let ids: Vec<String> = data.iter().map(|(id, _)| id.to_string()).collect();
            let query = PropertiesQuery::new(Device::named("a1B2c3D4e5F", "d"), ids, 0, 100)
                .page_size(3)
                .retention(None);
            let mut cursor = Cursor {
                client,
                properties: query
                    .identifiers
                    .iter()
                    .map(|id| PropertyCursor {
                        identifier: id.clone(),
                        start: 0,
                        last: None,
                        done: false,
                    })
                    .collect(),
                query,
                buffered: VecDeque::new(),
                failed: false,
            };
            let mut calls = 0;
            while let Some((start, asked)) = cursor.plan() {
                calls += 1;
                assert!(calls < 100, "paging does not end");
                let names: Vec<String> = asked
                    .iter()
                    .map(|i| cursor.properties[*i].identifier.clone())
                    .collect();
                let body = platform(&data, &names, start, 3, paged);
                cursor.absorb(start, asked, &answer(&body)).unwrap();
            }
            for (id, times) in &data {
                let got: Vec<i64> = cursor
                    .buffered
                    .iter()
                    .filter(|r| r.identifier() == *id)
                    .map(HistoryRecord::time)
                    .collect();
                assert_eq!(&got, times, "{id}, paged: {paged}");
            }
        }
    }

    #[test]
    fn properties_queries_are_checked_before_sending() {
        let device = Device::named("a1B2c3D4e5F", "d");
        let now = 40 * 86_400_000;
        let ids = |ids: &[&str]| ids.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let ok = PropertiesQuery::new(device.clone(), ids(&["a", "b"]), now - 10, now);
        assert!(ok.check(now).is_ok());
        assert!(ok.clone().page_size(100).check(now).is_ok());
        assert!(ok.clone().page_size(101).check(now).is_err());
        assert!(ok.clone().page_size(0).check(now).is_err());
        for bad in [ids(&[]), ids(&["a", "a"]), ids(&["a", ""])] {
            let query = PropertiesQuery::new(device.clone(), bad, now - 10, now);
            assert!(matches!(query.check(now), Err(Error::Refused(_))));
        }
        let old = PropertiesQuery::new(device, ids(&["a"]), 0, now);
        assert!(old.check(now).is_err());
        assert!(old.retention(None).check(now).is_ok());
    }
}
