//! The device state the emulator keeps (served by twin.rs): per device, the properties
//! reported, the events posted and the services called, each with its time, and the
//! desired values with their versions. Values are kept as sent, unchecked.

use std::collections::HashMap;

use serde_json::Value;

/// One stored record: when, what, and the values as sent.
#[derive(Debug, Clone)]
pub(crate) struct Record {
    pub identifier: String,
    pub time: i64,
    /// A property's value, an event's output, a service's input.
    pub value: Value,
    /// A service's output, once the device answered.
    pub output: Option<Value>,
}

#[derive(Debug, Clone)]
pub(crate) struct Desired {
    pub value: Option<Value>,
    pub version: i64,
    pub time: i64,
}

#[derive(Debug, Default)]
pub(crate) struct DeviceTwin {
    pub properties: Vec<Record>,
    pub events: Vec<Record>,
    pub services: Vec<Record>,
    pub desired: HashMap<String, Desired>,
}

/// Every device's state, keyed by product key and device name.
#[derive(Debug, Default)]
pub(crate) struct Twin {
    devices: HashMap<(String, String), DeviceTwin>,
}

impl Twin {
    pub(crate) fn device(&mut self, product_key: &str, device_name: &str) -> &mut DeviceTwin {
        self.devices
            .entry((product_key.to_string(), device_name.to_string()))
            .or_default()
    }

    /// Records a property report: `items` is `{"Id": value}`.
    pub(crate) fn properties_reported(
        &mut self,
        product_key: &str,
        device_name: &str,
        items: &Value,
        time: i64,
    ) {
        let state = self.device(product_key, device_name);
        if let Value::Object(items) = items {
            for (id, value) in items {
                state.properties.push(Record {
                    identifier: id.clone(),
                    time,
                    value: value.clone(),
                    output: None,
                });
            }
        }
    }

    /// Records an event post.
    pub(crate) fn event_posted(
        &mut self,
        product_key: &str,
        device_name: &str,
        identifier: &str,
        output: &Value,
        time: i64,
    ) {
        self.device(product_key, device_name).events.push(Record {
            identifier: identifier.to_string(),
            time,
            value: output.clone(),
            output: None,
        });
    }

    /// Records a service call (the emulator's InvokeThingService does).
    pub(crate) fn service_called(
        &mut self,
        product_key: &str,
        device_name: &str,
        identifier: &str,
        input: &Value,
        output: Option<&Value>,
    ) {
        self.device(product_key, device_name).services.push(Record {
            identifier: identifier.to_string(),
            time: now_ms(),
            value: input.clone(),
            output: output.cloned(),
        });
    }
}

pub(crate) use crate::clock::now_ms;
