//! The actions, answered as the IoT Platform answers them (`docs/platform.md` §4–§6).

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use base64::Engine as _;
use serde_json::{json, Value};

use super::answer::{Refusal, Success};
use super::delivery::{self, Answered};
use super::export;
use super::params::Params;
use super::params::{named_device, no_such_device, product};
use super::record::{DeviceMessage, MessageKind};
use super::state::{lock, Shared};
use super::strict;
use crate::alink::{Request, Responder};
use crate::model::{CallType, Envelope, Format, Model, Module, Source};
use crate::value::StepCheck;

/// The actions the emulator serves.
pub(crate) const ACTIONS: [&str; 19] = [
    "QueryDevicePropertyStatus",
    "QueryDeviceOriginalPropertyStatus",
    "QueryDeviceOriginalPropertyData",
    "QueryDeviceOriginalEventData",
    "QueryDeviceOriginalServiceData",
    "QueryDevicePropertyData",
    "QueryDevicePropertiesData",
    "QueryDeviceEventData",
    "QueryDeviceServiceData",
    "SetDeviceDesiredProperty",
    "QueryDeviceDesiredProperty",
    "ClearDeviceDesiredProperty",
    "InvokeThingService",
    "InvokeThingsService",
    "BatchPub",
    "SetDeviceProperty",
    "SetDevicesProperty",
    "QueryThingModel",
    "GetThingModelTsl",
];

/// The most device names one call may list, and the largest BatchPub message (decoded):
/// the platform's limits, defined once in [`crate::limits`].
pub use crate::limits::{MAX_DEVICE_NAMES, MAX_MESSAGE_BYTES};

/// Runs an action that passed the gateway.
///
/// `reached` gets the name of every device the call reached (a message recorded for it,
/// delivered when it is online), even when the call then fails (a sync service that
/// times out still ran on its device).
pub(crate) async fn run(
    shared: &Arc<Shared>,
    action: &str,
    params: &Params,
    reached: &mut Vec<String>,
) -> Result<Success, Refusal> {
    match action {
        "InvokeThingService" => invoke_thing_service(shared, params, reached).await,
        "InvokeThingsService" => invoke_things_service(shared, params, reached),
        "BatchPub" => batch_pub(shared, params, reached),
        "SetDeviceProperty" => set_device_property(shared, params, reached),
        "SetDevicesProperty" => set_devices_property(shared, params, reached),
        "QueryThingModel" => query_thing_model(shared, params),
        "GetThingModelTsl" => get_thing_model_tsl(shared, params),
        // The "Original" device-state actions (twin_original.rs).
        other if super::twin_original::ORIGINAL_ACTIONS.contains(&other) => {
            super::twin_original::run(shared, other, params)
                .unwrap_or_else(|| Err(Refusal::invalid(other)))
        }
        // The device-state actions (twin.rs).
        other if super::twin::STATE_ACTIONS.contains(&other) => {
            match super::twin::run(shared, other, params) {
                Some(ran) => ran.finish(|push| {
                    push_desired(
                        shared,
                        &push.product_key,
                        &push.device_name,
                        &push.items,
                        reached,
                    )
                }),
                None => Err(Refusal::invalid(other)),
            }
        }
        other => Err(Refusal::gateway(
            404,
            "InvalidAction.NotFound",
            format!(
                "Specified api is not found, please check your url and method. (Action `{other}`)"
            ),
        )),
    }
}

/// What a call needs of one device, copied out of the registry so no lock is held while
/// the device answers.
struct Target {
    product_key: String,
    device_name: String,
    online: bool,
    slow: Duration,
    responder: Arc<dyn Responder>,
}

fn target(shared: &Shared, product_key: &str, device_name: &str) -> Result<Target, Refusal> {
    let devices = lock(&shared.devices);
    let Some(device) = devices.get(product_key, device_name) else {
        // `Emulator::any_device`: any name of a served product is an online, prompt device
        // with the product's default responder, and nothing is kept for it.
        if shared.config.any_device {
            if let Some(responder) = shared.config.default_responders.get(product_key) {
                return Ok(Target {
                    product_key: product_key.to_string(),
                    device_name: device_name.to_string(),
                    online: true,
                    slow: Duration::ZERO,
                    responder: responder.clone(),
                });
            }
        }
        return Err(no_such_device(product_key, device_name));
    };
    Ok(Target {
        product_key: device.product_key.to_string(),
        device_name: device.device_name.to_string(),
        online: device.online,
        slow: device.slow,
        responder: device.responder.clone(),
    })
}

/// One device by `IotId` (which wins) or `ProductKey` + `DeviceName`.
fn one_device(shared: &Shared, params: &Params) -> Result<Target, Refusal> {
    let (product_key, device_name) = named_device(shared, params)?;
    target(shared, &product_key, &device_name)
}

fn many_devices(
    shared: &Shared,
    product_key: &str,
    names: &[String],
) -> Result<Vec<Target>, Refusal> {
    names
        .iter()
        .map(|name| target(shared, product_key, name))
        .collect()
}

/// Keeps a service call for QueryDeviceServiceData (twin.rs), for the devices the emulator
/// was given: a name only `Emulator::any_device` accepts has nothing kept, as that setting
/// promises (a million names cost no memory).
fn keep_service_call(
    shared: &Shared,
    target: &Target,
    identifier: &str,
    args: &Value,
    output: Option<&Value>,
) {
    let (product_key, device_name) = (&target.product_key, &target.device_name);
    if shared.config.any_device
        && lock(&shared.devices)
            .get(product_key, device_name)
            .is_none()
    {
        return;
    }
    lock(&shared.twin).service_called(product_key, device_name, identifier, args, output);
}

fn offline(target: &Target) -> Refusal {
    Refusal::business(
        "iot.messagebroker.OFFLINE",
        format!("The device `{}` is offline.", target.device_name),
    )
}

/// Notes that `target` was reached and, with history on, the message it got (`kind` is
/// built only then: a copy of the arguments a run without history does not pay for).
fn record(
    shared: &Shared,
    target: &Target,
    message_id: &str,
    kind: impl FnOnce() -> MessageKind,
    reached: &mut Vec<String>,
) {
    reached.push(target.device_name.clone());
    if !shared.keep_history {
        return;
    }
    shared.keep_message(DeviceMessage {
        product_key: target.product_key.clone(),
        device_name: target.device_name.clone(),
        received_at: SystemTime::now(),
        message_id: message_id.to_string(),
        online: target.online,
        kind: kind(),
    });
}

/// Delivers a request to a device in the background (async services, property sets): the
/// device sees it; its reply goes to the reply topic, which the AMQP subscription forwards
/// when the emulator serves one ([`super::amqp`]).
fn deliver_later(shared: &Shared, target: &Target, request: Request) {
    let responder = target.responder.clone();
    let slow = target.slow;
    let uplink = shared.uplink.get().cloned();
    let (product_key, device_name) = (target.product_key.clone(), target.device_name.clone());
    tokio::spawn(async move {
        delivery::pause(slow).await;
        let reply = responder.respond(&request).await;
        if let Some(uplink) = uplink {
            uplink.publish_reply(&product_key, &device_name, &request, &reply);
        }
    });
}

fn args_problems(problems: Vec<String>) -> Refusal {
    Refusal::invalid(problems.join("; "))
}

/// `Args` or `Items` checked (`check`: one of `strict`'s) under the emulator's step check
/// (`Emulator::step_check`, docs/checks.md): `Strict` refuses a value off its step as one
/// out of range; `Warn` (the default) accepts it as the platform may, logging each;
/// `Off` accepts it. A second, lenient check runs only when the first found a problem.
fn checked<T>(
    shared: &Shared,
    action: &'static str,
    check: impl Fn() -> Result<T, Vec<String>>,
) -> Result<T, Refusal> {
    let step_check = shared.config.step_check;
    match check() {
        Ok(checked) => Ok(checked),
        Err(problems) if step_check == StepCheck::Strict => Err(args_problems(problems)),
        Err(problems) => match crate::value::with_all_steps(false, &check) {
            Ok(checked) => {
                // What the lenient check let pass can only be a step.
                if step_check == StepCheck::Warn {
                    for problem in &problems {
                        tracing::warn!(action, %problem, "a value off its step accepted (step check: warn)");
                    }
                }
                Ok(checked)
            }
            Err(problems) => Err(args_problems(problems)),
        },
    }
}

async fn invoke_thing_service(
    shared: &Arc<Shared>,
    params: &Params,
    reached: &mut Vec<String>,
) -> Result<Success, Refusal> {
    let identifier = params.required("Identifier")?;
    let args_text = params.required("Args")?;
    params.qos()?;
    let target = one_device(shared, params)?;
    let model = product(shared, &target.product_key)?;
    let service = model
        .service_by_wire_identifier(identifier)
        .ok_or_else(|| {
            Refusal::invalid(format!(
                "Identifier `{identifier}` is not a service of product `{}`.",
                target.product_key
            ))
        })?;
    let args = checked(shared, "Args", || {
        strict::check_args(&service.inputs, args_text)
    })?;
    if !target.online {
        return Err(offline(&target));
    }
    let message_id = shared.next_message_id();
    let sync = service.call_type == CallType::Sync;
    let request = Request::service(message_id.clone(), identifier, args.clone());
    record(
        shared,
        &target,
        &message_id,
        || MessageKind::Service {
            identifier: identifier.to_string(),
            args: args.clone(),
            sync,
        },
        reached,
    );
    if !sync {
        // Kept for QueryDeviceServiceData (twin.rs): an async call's output comes later.
        keep_service_call(shared, &target, identifier, &args, None);
        deliver_later(shared, &target, request);
        return Ok(Success::data(json!({ "MessageId": message_id })));
    }
    let timeout = shared.config.sync_timeout;
    let answered =
        delivery::answer_within(target.responder.clone(), target.slow, request, timeout).await;
    if let Answered::Reply(reply) = &answered {
        keep_service_call(shared, &target, identifier, &args, Some(&reply.data));
    }
    match answered {
        Answered::Reply(reply) => Ok(Success::data(json!({
            "Result": reply.to_json(),
            "MessageId": message_id,
        }))),
        Answered::Panicked => Err(Refusal::business(
            "iot.messagebroker.RrpcException",
            format!(
                "The device `{}` failed while answering.",
                target.device_name
            ),
        )),
        Answered::Late => Err(Refusal::business(
            "iot.messagebroker.TIMEOUT",
            format!(
                "The device `{}` did not answer within {} ms.",
                target.device_name,
                timeout.as_millis()
            ),
        )),
    }
}

fn invoke_things_service(
    shared: &Arc<Shared>,
    params: &Params,
    reached: &mut Vec<String>,
) -> Result<Success, Refusal> {
    let product_key = params.required("ProductKey")?;
    let identifier = params.required("Identifier")?;
    let args_text = params.required("Args")?;
    params.qos()?;
    let names = params.device_names()?;
    let model = product(shared, product_key)?;
    let service = model
        .service_by_wire_identifier(identifier)
        .ok_or_else(|| {
            Refusal::invalid(format!(
                "Identifier `{identifier}` is not a service of product `{product_key}`."
            ))
        })?;
    if service.call_type == CallType::Sync {
        return Err(Refusal::invalid(format!(
            "InvokeThingsService calls async services only; `{identifier}` is sync."
        )));
    }
    let args = checked(shared, "Args", || {
        strict::check_args(&service.inputs, args_text)
    })?;
    let targets = many_devices(shared, product_key, &names)?;
    for target in &targets {
        let message_id = shared.next_message_id();
        record(
            shared,
            target,
            &message_id,
            || MessageKind::Service {
                identifier: identifier.to_string(),
                args: args.clone(),
                sync: false,
            },
            reached,
        );
        if target.online {
            deliver_later(
                shared,
                target,
                Request::service(message_id, identifier, args.clone()),
            );
        }
    }
    Ok(Success::bare())
}

fn batch_pub(
    shared: &Arc<Shared>,
    params: &Params,
    reached: &mut Vec<String>,
) -> Result<Success, Refusal> {
    let product_key = params.required("ProductKey")?;
    let content = params
        .get("MessageContent")
        .ok_or_else(|| Refusal::missing("MessageContent"))?;
    let topic = params.required("TopicShortName")?;
    let qos = params.qos()?;
    let names = params.device_names()?;
    product(shared, product_key)?;
    if content.is_empty() {
        return Err(Refusal::business(
            "iot.messagebroker.NullMessageContent",
            "MessageContent is empty.",
        ));
    }
    let payload = base64::engine::general_purpose::STANDARD
        .decode(content)
        .map_err(|e| {
            Refusal::business(
                "iot.messagebroker.MessageContentIsNotBase64Encode",
                format!("MessageContent is not base64: {e}."),
            )
        })?;
    if payload.len() > MAX_MESSAGE_BYTES {
        return Err(Refusal::business(
            "iot.check.ParameterIsNotLessThanMax",
            format!(
                "MessageContent decodes to {} bytes; at most {MAX_MESSAGE_BYTES} (256 KB).",
                payload.len()
            ),
        ));
    }
    let valid_topic = topic.split('/').all(|level| {
        !level.is_empty()
            && level
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    });
    if !valid_topic {
        return Err(Refusal::business(
            "iot.messagebroker.InvalidFormattedTopicName",
            format!("TopicShortName `{topic}` is not a topic name (levels of letters, digits, `_`, `-`)."),
        ));
    }
    let targets = many_devices(shared, product_key, &names)?;
    for target in &targets {
        let message_id = shared.next_message_id();
        record(
            shared,
            target,
            &message_id,
            || MessageKind::Publish {
                topic: format!("/{product_key}/{}/user/{topic}", target.device_name),
                payload: payload.clone(),
                qos,
            },
            reached,
        );
    }
    Ok(Success::bare())
}

fn property_set(
    shared: &Shared,
    target: &Target,
    items: &Value,
    reached: &mut Vec<String>,
) -> String {
    let message_id = shared.next_message_id();
    record(
        shared,
        target,
        &message_id,
        || MessageKind::PropertySet {
            items: items.clone(),
        },
        reached,
    );
    if target.online {
        deliver_later(
            shared,
            target,
            Request {
                id: message_id.clone(),
                version: "1.0".to_string(),
                params: items.clone(),
                method: "thing.service.property.set".to_string(),
            },
        );
    }
    message_id
}

/// A desired value set while the device is online goes to it at once, as a property set
/// (`thing.service.property.set`, `docs/state.md` §2), recorded like SetDeviceProperty's.
/// Returns the message ID, or `None` for a device that is offline (it reads the desired
/// values when it comes online) or not kept.
fn push_desired(
    shared: &Shared,
    product_key: &str,
    device_name: &str,
    items: &Value,
    reached: &mut Vec<String>,
) -> Option<String> {
    let target = target(shared, product_key, device_name).ok()?;
    target
        .online
        .then(|| property_set(shared, &target, items, reached))
}

fn set_device_property(
    shared: &Arc<Shared>,
    params: &Params,
    reached: &mut Vec<String>,
) -> Result<Success, Refusal> {
    let items_text = params.required("Items")?;
    params.qos()?;
    let target = one_device(shared, params)?;
    let model = product(shared, &target.product_key)?;
    let items = checked(shared, "Items", || strict::check_items(model, items_text))?;
    if !target.online {
        return Err(offline(&target));
    }
    let message_id = property_set(shared, &target, &items, reached);
    Ok(Success::data(json!({ "MessageId": message_id })))
}

fn set_devices_property(
    shared: &Arc<Shared>,
    params: &Params,
    reached: &mut Vec<String>,
) -> Result<Success, Refusal> {
    let product_key = params.required("ProductKey")?;
    let items_text = params.required("Items")?;
    params.qos()?;
    let names = params.device_names()?;
    let model = product(shared, product_key)?;
    let items = checked(shared, "Items", || strict::check_items(model, items_text))?;
    let targets = many_devices(shared, product_key, &names)?;
    for target in &targets {
        property_set(shared, target, &items, reached);
    }
    Ok(Success::bare())
}

/// The module asked for: `FunctionBlockId`'s, or the default module (empty when the model
/// has none).
fn module(model: &Model, params: &Params) -> Result<Module, Refusal> {
    match params.get("FunctionBlockId").filter(|v| !v.is_empty()) {
        Some(id) => model.module(Some(id)).cloned().ok_or_else(|| {
            Refusal::invalid(format!(
                "The product has no module `{id}` (FunctionBlockId)."
            ))
        }),
        None => Ok(model.default_module().cloned().unwrap_or_else(|| Module {
            id: None,
            name: None,
            source: Source {
                origin: "emulator".to_string(),
                format: Format::Tsl,
                envelope: Envelope::Bare,
                schema: None,
                version: None,
            },
            properties: Vec::new(),
            events: Vec::new(),
            services: Vec::new(),
            function_blocks: Vec::new(),
        })),
    }
}

fn query_thing_model(shared: &Arc<Shared>, params: &Params) -> Result<Success, Refusal> {
    let product_key = params.required("ProductKey")?;
    let model = product(shared, product_key)?;
    let module = module(model, params)?;
    let text = export::to_thing_model_json(product_key, &module).to_string();
    let mut success = Success::data(json!({ "ThingModelJson": text }));
    success
        .extra
        .insert("ProductKey".into(), json!(product_key));
    Ok(success)
}

fn get_thing_model_tsl(shared: &Arc<Shared>, params: &Params) -> Result<Success, Refusal> {
    let product_key = params.required("ProductKey")?;
    let simple = match params.get("Simple") {
        None | Some("false") => false,
        Some("true") => true,
        Some(other) => {
            return Err(Refusal::invalid(format!(
                "Simple must be true or false, not `{other}`."
            )))
        }
    };
    let model = product(shared, product_key)?;
    let module = module(model, params)?;
    let tsl = if simple {
        export::to_simplified_tsl(&module)
    } else {
        export::to_tsl(product_key, &module)
    };
    Ok(Success::data(json!({ "TslStr": tsl.to_string() })))
}
