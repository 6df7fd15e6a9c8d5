//! A device's history as async streams that page for the caller: property values
//! (`QueryDevicePropertyData`), events (`QueryDeviceEventData`) and service calls
//! (`QueryDeviceServiceData`), oldest first, each page at most [`MAX_HISTORY_PAGE`] records
//! and each call within its action's QPS (the client's limiter), as `docs/state.md`
//! describes.
//!
//! A page whose `NextValid` is true is followed by a call from its `NextTime` (inclusive).
//! Records of the last page that share that millisecond would come again, so the stream
//! counts how many it gave at that time and skips as many; a page that cannot move forward
//! (more records in one millisecond than a page holds) ends the stream with an error rather
//! than looping.

use std::collections::VecDeque;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use futures_util::stream::{self, Stream};
use serde_json::Value;

use super::answer::Answer;
use super::ops::{check_device, device_params};
use super::state::{data, items, millis, string};
use super::Client;
use crate::cloud::Device;
use crate::error::Error;
use crate::limits::{HISTORY_RETENTION, MAX_HISTORY_PAGE, MAX_PROPERTIES_PAGE};

/// What a history query reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HistorySource {
    /// One property's values (`QueryDevicePropertyData`): its wire identifier.
    Property(String),
    /// Events (`QueryDeviceEventData`): one event's wire identifier, or every event of the
    /// default module; optionally only one `EventType` (`info`, `alert`, `error`).
    Event {
        /// The event, or all.
        identifier: Option<String>,
        /// `EventType`, or all.
        event_type: Option<String>,
    },
    /// Service calls (`QueryDeviceServiceData`): one service, or all of the default module.
    Service(Option<String>),
}

impl HistorySource {
    /// The action that reads it.
    pub fn action(&self) -> &'static str {
        match self {
            HistorySource::Property(_) => "QueryDevicePropertyData",
            HistorySource::Event { .. } => "QueryDeviceEventData",
            HistorySource::Service(_) => "QueryDeviceServiceData",
        }
    }

    /// The "Original" action that reads it, data that failed the model included
    /// (`docs/state.md` §3).
    pub fn original_action(&self) -> &'static str {
        match self {
            HistorySource::Property(_) => "QueryDeviceOriginalPropertyData",
            HistorySource::Event { .. } => "QueryDeviceOriginalEventData",
            HistorySource::Service(_) => "QueryDeviceOriginalServiceData",
        }
    }

    /// The most records a page of it holds: 50, or 100 for original property data.
    pub fn max_page(&self, original: bool) -> u32 {
        match self {
            HistorySource::Property(_) if original => MAX_PROPERTIES_PAGE,
            _ => MAX_HISTORY_PAGE,
        }
    }

    fn list_item(&self) -> &'static str {
        match self {
            HistorySource::Property(_) => "PropertyInfo",
            HistorySource::Event { .. } => "EventInfo",
            HistorySource::Service(_) => "ServiceInfo",
        }
    }
}

/// A history query: a device, what to read, and a time window `[from, to]` in epoch ms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryQuery {
    /// The device.
    pub device: Device,
    /// What to read.
    pub source: HistorySource,
    /// `StartTime` of the first page (epoch ms, inclusive).
    pub from: i64,
    /// `EndTime` (epoch ms, inclusive).
    pub to: i64,
    /// `PageSize`: 1 to [`MAX_HISTORY_PAGE`] (50 by default).
    pub page_size: u32,
    /// How far back the platform keeps records ([`HISTORY_RETENTION`], 30 days, by
    /// default): a window starting earlier is refused before anything is sent. `None` for
    /// an instance with a longer storage setting.
    pub retention: Option<Duration>,
    /// Read the "Original" action instead (`QueryDeviceOriginal...Data`): data that failed
    /// the model too, paged by `NextPageToken`; it needs an identifier.
    pub original: bool,
}

impl HistoryQuery {
    /// Reads `source` of `device` from `from` to `to` (epoch ms), 50 records a page.
    pub fn new(device: Device, source: HistorySource, from: i64, to: i64) -> HistoryQuery {
        HistoryQuery {
            device,
            source,
            from,
            to,
            page_size: MAX_HISTORY_PAGE,
            retention: Some(HISTORY_RETENTION),
            original: false,
        }
    }

    /// Through the "Original" action (`true`): data that failed the model included.
    #[must_use]
    pub fn original(mut self, original: bool) -> HistoryQuery {
        self.original = original;
        self
    }

    /// The action each page calls.
    pub fn action(&self) -> &'static str {
        if self.original {
            self.source.original_action()
        } else {
            self.source.action()
        }
    }

    /// With `page_size` records a page.
    #[must_use]
    pub fn page_size(mut self, page_size: u32) -> HistoryQuery {
        self.page_size = page_size;
        self
    }

    /// With another retention (`None`: no check).
    #[must_use]
    pub fn retention(mut self, retention: Option<Duration>) -> HistoryQuery {
        self.retention = retention;
        self
    }

    /// The checks made before anything is sent.
    ///
    /// # Errors
    /// [`Error::Refused`]: an empty device or identifier, `from` after `to`, a page size
    /// out of 1..=50, a window starting before the retention.
    pub fn check(&self, now_ms: i64) -> Result<(), Error> {
        check_device(&self.device)?;
        let empty = match &self.source {
            HistorySource::Property(id) => id.is_empty(),
            HistorySource::Event { identifier, .. } | HistorySource::Service(identifier) => {
                identifier.as_deref() == Some("")
            }
        };
        if empty {
            return Err(Error::Refused("the identifier is empty".into()));
        }
        let named = match &self.source {
            HistorySource::Property(_) => true,
            HistorySource::Event { identifier, .. } | HistorySource::Service(identifier) => {
                identifier.is_some()
            }
        };
        let filtered = matches!(
            &self.source,
            HistorySource::Event {
                event_type: Some(_),
                ..
            }
        );
        if self.original && filtered {
            return Err(Error::Refused(format!(
                "{} has no EventType filter",
                self.action()
            )));
        }
        if self.original && !named {
            return Err(Error::Refused(format!(
                "{} needs an identifier",
                self.action()
            )));
        }
        if self.from > self.to {
            return Err(Error::Refused(format!(
                "the window starts ({}) after it ends ({})",
                self.from, self.to
            )));
        }
        let max = self.source.max_page(self.original);
        if self.page_size == 0 || self.page_size > max {
            return Err(Error::Refused(format!(
                "PageSize {} is outside 1..={max}",
                self.page_size
            )));
        }
        if let Some(retention) = self.retention {
            let oldest =
                now_ms.saturating_sub(i64::try_from(retention.as_millis()).unwrap_or(i64::MAX));
            if self.from < oldest {
                return Err(Error::Refused(format!(
                    "the window starts at {}, before the oldest record the platform keeps ({oldest}, {} days ago); lift the check for an instance with a longer storage setting",
                    self.from,
                    retention.as_secs() / 86_400
                )));
            }
        }
        Ok(())
    }
}

/// One record of a device's history, as the platform sent it: values are text, read
/// against the model by [`super::StateDecoder`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HistoryRecord {
    /// A property value (`PropertyInfo`).
    Property {
        /// The property's wire identifier (the query's).
        identifier: String,
        /// When it was reported (epoch ms).
        time: i64,
        /// `Value`, as text.
        value: String,
    },
    /// An event (`EventInfo`).
    Event {
        /// The event's wire identifier.
        identifier: String,
        /// When it happened (epoch ms).
        time: i64,
        /// `EventType`.
        event_type: Option<String>,
        /// `Name`.
        name: Option<String>,
        /// `OutputData`: the event's fields, JSON text.
        output: String,
    },
    /// A service call (`ServiceInfo`).
    Service {
        /// The service's wire identifier.
        identifier: String,
        /// When it was called (epoch ms).
        time: i64,
        /// `Name`.
        name: Option<String>,
        /// `InputData`: the arguments, JSON text.
        input: String,
        /// `OutputData`: the device's output, JSON text (empty for none yet).
        output: String,
    },
}

impl HistoryRecord {
    /// When it happened (epoch ms).
    pub fn time(&self) -> i64 {
        match self {
            HistoryRecord::Property { time, .. }
            | HistoryRecord::Event { time, .. }
            | HistoryRecord::Service { time, .. } => *time,
        }
    }

    /// The wire identifier.
    pub fn identifier(&self) -> &str {
        match self {
            HistoryRecord::Property { identifier, .. }
            | HistoryRecord::Event { identifier, .. }
            | HistoryRecord::Service { identifier, .. } => identifier,
        }
    }
}

/// One page as read: its records and where the next starts.
#[derive(Debug)]
struct Page {
    records: Vec<HistoryRecord>,
    next: Option<i64>,
    /// `NextPageToken` of an "Original" action's page that has a next one.
    token: Option<String>,
}

/// Where a stream is.
struct Cursor {
    client: Client,
    query: HistoryQuery,
    start: i64,
    /// Records given at exactly `start`: the next page repeats them first.
    given_at_start: usize,
    /// The "Original" actions' `NextPageToken` for the next page.
    token: Option<String>,
    buffered: VecDeque<HistoryRecord>,
    done: bool,
    pages: u64,
}

impl Client {
    /// The records of `query`, oldest first, fetched a page at a time as the stream is
    /// read. The stream ends after the last page, or after yielding the first error (a
    /// refused query yields [`Error::Refused`] before anything is sent).
    pub fn history(
        &self,
        query: HistoryQuery,
    ) -> impl Stream<Item = Result<HistoryRecord, Error>> + Send + 'static {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
            .unwrap_or(0);
        let refused = query.check(now).err();
        let cursor = Cursor {
            client: self.clone(),
            start: query.from,
            query,
            given_at_start: 0,
            token: None,
            buffered: VecDeque::new(),
            done: false,
            pages: 0,
        };
        stream::unfold((cursor, refused), |(mut cursor, mut refused)| async move {
            if let Some(error) = refused.take() {
                cursor.done = true;
                return Some((Err(error), (cursor, None)));
            }
            loop {
                if let Some(record) = cursor.buffered.pop_front() {
                    return Some((Ok(record), (cursor, None)));
                }
                if cursor.done {
                    return None;
                }
                if let Err(error) = cursor.next_page().await {
                    cursor.done = true;
                    return Some((Err(error), (cursor, None)));
                }
            }
        })
    }
}

impl Cursor {
    async fn next_page(&mut self) -> Result<(), Error> {
        let start = self.start.to_string();
        let end = self.query.to.to_string();
        let size = self.query.page_size.to_string();
        let mut params: Vec<(&str, &str)> = Vec::new();
        device_params(&self.query.device, &mut params);
        params.push(("StartTime", &start));
        params.push(("EndTime", &end));
        params.push(("PageSize", &size));
        // Oldest first: paging forward from `NextTime` is documented for this order.
        params.push(("Asc", "1"));
        match &self.query.source {
            HistorySource::Property(id) => params.push(("Identifier", id)),
            HistorySource::Event {
                identifier,
                event_type,
            } => {
                if let Some(id) = identifier {
                    params.push(("Identifier", id));
                }
                if let Some(kind) = event_type {
                    params.push(("EventType", kind));
                }
            }
            HistorySource::Service(identifier) => {
                if let Some(id) = identifier {
                    params.push(("Identifier", id));
                }
            }
        }
        if let Some(token) = &self.token {
            params.push(("NextPageToken", token));
        }
        let answer = self.client.call(self.query.action(), &params).await?;
        let page = read_page(&answer, &self.query.source, self.query.original)?;
        self.pages += 1;
        if self.query.original {
            // Paged by token: every page is new records, the window stays as asked.
            match page.token {
                Some(token) if self.token.as_deref() == Some(token.as_str()) => {
                    return Err(bad(
                        &answer,
                        format!("NextPageToken `{token}` is the one just sent: paging does not move forward"),
                    ));
                }
                Some(token) => self.token = Some(token),
                None => self.done = true,
            }
            self.buffered.extend(page.records);
            return Ok(());
        }
        // The head of the page repeats what the last page gave at `start`.
        let mut skip = self.given_at_start;
        let mut fresh = Vec::with_capacity(page.records.len());
        for record in page.records {
            if skip > 0 && record.time() == self.start {
                skip -= 1;
                continue;
            }
            fresh.push(record);
        }
        match page.next {
            Some(next) if next <= self.query.to => {
                if next < self.start {
                    return Err(bad(
                        &answer,
                        format!(
                            "NextTime {next} is before the page's StartTime {}",
                            self.start
                        ),
                    ));
                }
                let at_next = fresh.iter().filter(|r| r.time() == next).count();
                let given = if next == self.start {
                    self.given_at_start + at_next
                } else {
                    at_next
                };
                if next == self.start && fresh.is_empty() {
                    return Err(bad(&answer, format!(
                        "paging does not move forward: more records at {next} than a page of {} holds",
                        self.query.page_size
                    )));
                }
                self.start = next;
                self.given_at_start = given;
            }
            _ => self.done = true,
        }
        self.buffered.extend(fresh);
        Ok(())
    }
}

fn bad(answer: &Answer, problem: String) -> Error {
    Error::BadAnswer {
        problem,
        raw: answer.body.clone(),
    }
}

fn read_page(answer: &Answer, source: &HistorySource, original: bool) -> Result<Page, Error> {
    let data = data(answer)?;
    let next_valid = match data.get("NextValid") {
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) => s == "true",
        _ => false,
    };
    // QueryDeviceOriginalPropertyData spells it `nextPageToken` (docs/state.md).
    let token = if original && next_valid {
        Some(
            string(&data, "NextPageToken")
                .or_else(|| string(&data, "nextPageToken"))
                .filter(|t| !t.is_empty())
                .ok_or_else(|| bad(answer, "NextValid without a NextPageToken".into()))?,
        )
    } else {
        None
    };
    let next = if next_valid && !original {
        Some(
            millis(data.get("NextTime"))
                .ok_or_else(|| bad(answer, "NextValid without a NextTime".into()))?,
        )
    } else {
        None
    };
    let mut records = Vec::new();
    for item in items(answer, &data, source.list_item())? {
        let time = millis(item.get("Time"))
            .ok_or_else(|| bad(answer, format!("a record without a Time: {item}")))?;
        let text = |name: &str| string(&item, name);
        let identifier = |fallback: &Option<String>| {
            text("Identifier")
                .or_else(|| fallback.clone())
                .ok_or_else(|| bad(answer, format!("a record without an Identifier: {item}")))
        };
        records.push(match source {
            HistorySource::Property(id) => HistoryRecord::Property {
                identifier: id.clone(),
                time,
                value: text("Value").unwrap_or_default(),
            },
            HistorySource::Event { identifier: id, .. } => HistoryRecord::Event {
                identifier: identifier(id)?,
                time,
                event_type: text("EventType"),
                name: text("Name"),
                output: text("OutputData").unwrap_or_default(),
            },
            HistorySource::Service(id) => HistoryRecord::Service {
                identifier: identifier(id)?,
                time,
                name: text("Name"),
                input: text("InputData").unwrap_or_default(),
                output: text("OutputData").unwrap_or_default(),
            },
        });
    }
    Ok(Page {
        records,
        next,
        token,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(body: &str) -> Answer {
        Answer::ok(body)
    }

    #[test]
    fn history_pages_read_next_and_records() {
        let source = HistorySource::Property("t".into());
        let page = read_page(
            &answer(r#"{"Data":{"NextValid":true,"NextTime":"20","List":{"PropertyInfo":[{"Time":"10","Value":"1"},{"Time":15,"Value":"2"}]}}}"#),
            &source,
            false,
        )
        .unwrap();
        assert_eq!(page.next, Some(20));
        assert_eq!(page.records.len(), 2);
        assert_eq!(page.records[1].time(), 15);
        let last = read_page(&answer(r#"{"Data":{"NextValid":false}}"#), &source, false).unwrap();
        assert_eq!(last.next, None);
        assert!(last.records.is_empty());
        assert!(read_page(&answer(r#"{"Data":{"NextValid":true}}"#), &source, false).is_err());
        assert!(read_page(
            &answer(r#"{"Data":{"List":{"PropertyInfo":[{"Value":"1"}]}}}"#),
            &source,
            false
        )
        .is_err());
        // The Original actions page by token, under either spelling.
        let original = read_page(
            &answer(r#"{"Data":{"NextValid":true,"nextPageToken":"t1","List":{"PropertyInfo":[{"Time":"1","Value":"x"}]}}}"#),
            &source,
            true,
        )
        .unwrap();
        assert_eq!(
            (original.token.as_deref(), original.next),
            (Some("t1"), None)
        );
        assert!(read_page(&answer(r#"{"Data":{"NextValid":true}}"#), &source, true).is_err());
    }

    #[test]
    fn history_queries_are_checked_before_sending() {
        let device = Device::named("a1B2c3D4e5F", "d");
        let now = 40 * 86_400_000;
        let ok = HistoryQuery::new(
            device.clone(),
            HistorySource::Property("t".into()),
            now - 1000,
            now,
        );
        assert!(ok.check(now).is_ok());
        let old = HistoryQuery::new(device.clone(), HistorySource::Property("t".into()), 0, now);
        assert!(matches!(old.check(now), Err(Error::Refused(_))));
        assert!(old.clone().retention(None).check(now).is_ok());
        assert!(ok.clone().page_size(0).check(now).is_err());
        assert!(ok.clone().page_size(51).check(now).is_err());
        let backwards =
            HistoryQuery::new(device.clone(), HistorySource::Service(None), now, now - 1);
        assert!(backwards.check(now).is_err());
        let empty = HistoryQuery::new(device, HistorySource::Property(String::new()), now - 1, now);
        assert!(empty.check(now).is_err());
    }
}
