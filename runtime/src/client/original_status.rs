//! `QueryDeviceOriginalPropertyStatus` (`docs/state.md` §1): the latest value of every
//! property a device reported, data that failed the model (or that a product without
//! checks sent under its own identifiers) included. It pages by `NextPageToken`, 1 to 50
//! entries a page; the client reads every page, so the answer is one list like
//! `QueryDevicePropertyStatus`'s (without `DataType`, `Name` and `Unit`, which this
//! action does not send).

use serde_json::Value;

use super::answer::Answer;
use super::ops::{check_device, device_params};
use super::state::{data, items, millis, string, PropertyStatus, PropertyStatusList};
use super::Client;
use crate::cloud::Device;
use crate::error::Error;
use crate::limits::MAX_HISTORY_PAGE;

/// The action.
pub const ORIGINAL_STATUS_ACTION: &str = "QueryDeviceOriginalPropertyStatus";

/// The most pages one read follows, so an answer whose token never ends cannot loop: far
/// more than any model's properties at 50 a page.
const MAX_PAGES: usize = 10_000;

impl Client {
    /// `QueryDeviceOriginalPropertyStatus`, every page (50 entries each): the latest value
    /// of each property the device reported, including values that failed the model.
    /// `request_id` is the first page's.
    ///
    /// # Errors
    /// [`Error::Refused`] for an empty device; [`Error::Platform`]; [`Error::BadAnswer`]
    /// for an answer out of shape, or a token that does not move forward.
    pub async fn query_device_original_property_status(
        &self,
        device: &Device,
    ) -> Result<PropertyStatusList, Error> {
        check_device(device)?;
        let size = MAX_HISTORY_PAGE.to_string();
        let mut token: Option<String> = None;
        let mut request_id = None;
        let mut properties = Vec::new();
        for _ in 0..MAX_PAGES {
            let mut named = Vec::new();
            device_params(device, &mut named);
            let mut params: Vec<(&str, &str)> = named;
            params.push(("PageSize", &size));
            params.push(("Asc", "1"));
            if let Some(token) = &token {
                params.push(("NextPageToken", token));
            }
            let answer = self.call(ORIGINAL_STATUS_ACTION, &params).await?;
            let data = data(&answer)?;
            for item in items(&answer, &data, "PropertyStatusDataInfo")? {
                properties.push(PropertyStatus {
                    identifier: string(&item, "Identifier").ok_or_else(|| {
                        bad(&answer, format!("an entry without an Identifier: {item}"))
                    })?,
                    data_type: None,
                    name: None,
                    unit: None,
                    value: string(&item, "Value"),
                    time: millis(item.get("Time")),
                });
            }
            request_id.get_or_insert_with(|| answer.request_id.clone());
            let next_valid = matches!(data.get("NextValid"), Some(Value::Bool(true)))
                || matches!(data.get("NextValid"), Some(Value::String(s)) if s == "true");
            if !next_valid {
                return Ok(PropertyStatusList {
                    request_id: request_id.unwrap_or_default(),
                    properties,
                });
            }
            let next = string(&data, "NextPageToken")
                .filter(|t| !t.is_empty())
                .ok_or_else(|| bad(&answer, "NextValid without a NextPageToken".into()))?;
            if token.as_deref() == Some(next.as_str()) {
                return Err(bad(
                    &answer,
                    format!(
                        "NextPageToken `{next}` is the one just sent: paging does not move forward"
                    ),
                ));
            }
            token = Some(next);
        }
        Err(Error::Refused(format!(
            "{ORIGINAL_STATUS_ACTION}: more than {MAX_PAGES} pages; stopped"
        )))
    }
}

fn bad(answer: &Answer, problem: String) -> Error {
    Error::BadAnswer {
        problem,
        raw: answer.body.clone(),
    }
}
