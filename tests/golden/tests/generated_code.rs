//! Behaviour of generated code (the goldens of this crate): checks before sending,
//! the exact wire text, typed sync replies, device errors, fleets, module services, and
//! the device-side dispatcher. The runtime's in-process `Cloud` (`tsl_runtime::cloud::InProcess`)
//! records every call and answers from a script; no network.

use std::future::Future;
use std::pin::pin;
use std::sync::Mutex;
use std::task::{Context, Poll, Waker};

use serde_json::json;
use tsl_golden::{pump_module, street_lamp as lamp, torture};
use tsl_runtime::alink::{self, DeviceError, Request, Responder as _};
use tsl_runtime::cloud::in_process::Call;
use tsl_runtime::cloud::{Device, InProcess, Invoked};
use tsl_runtime::value::{from_json, to_args, Date, ValueError};
use tsl_runtime::{Error, PlatformError};

/// The runtime's in-process stand-in: every device accepted, answers from a script.
fn stand_in() -> InProcess {
    InProcess::new().any_device()
}

/// A stand-in whose next `InvokeThingService` gets `answer`.
fn answering(answer: Result<Invoked, Error>) -> InProcess {
    let cloud = stand_in();
    cloud.answer_next(answer);
    cloud
}

/// Runs a future that never waits on anything outside itself (the stand-in answers at
/// once), with a bounded number of polls.
fn run<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    let mut cx = Context::from_waker(Waker::noop());
    for _ in 0..1_000 {
        if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            return output;
        }
    }
    panic!("the future did not finish");
}

fn sync_answer(result: &str) -> Result<Invoked, Error> {
    Ok(Invoked {
        request_id: "R-sync".into(),
        message_id: Some("77".into()),
        result: Some(result.to_string()),
    })
}

fn lamp_at<'c>(cloud: &'c InProcess) -> lamp::Device<'c, InProcess> {
    lamp::Device::named(cloud, "lamp-001")
}

#[test]
fn out_of_range_arguments_are_refused_before_anything_is_sent() {
    let cloud = stand_in();
    let input = lamp::BlinkInput {
        times: 21,
        interval: 0.25,
    };
    let err = run(lamp_at(&cloud).blink(&input)).unwrap_err();
    let Error::InvalidArgs(errors) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(errors.0.len(), 1, "{errors}");
    assert!(
        matches!(&errors.0[0], ValueError::AboveMax { max, value, .. } if max == "20" && value == "21")
    );
    assert_eq!(errors.0[0].to_string(), "`Times`: 21 is above the max 20");
    // Off its step 0.1: a warning under the default `step_check` (docs/checks.md).
    let warnings = tsl_runtime::value::step_warnings(&input);
    assert!(matches!(&warnings[..], [ValueError::OffStep { step, .. }] if step == "0.1"));
    assert!(
        warnings[0]
            .to_string()
            .starts_with("`Interval`: 0.25 is not"),
        "{}",
        warnings[0]
    );
    assert!(
        cloud.calls().is_empty(),
        "something was sent: {:?}",
        cloud.calls()
    );
}

#[test]
fn nested_values_name_their_path() {
    let cloud = stand_in();
    let input = lamp::UploadScheduleInput {
        schedule: vec![
            lamp::ScheduleItem {
                at: 480,
                brightness: 80,
                enabled: true,
            },
            lamp::ScheduleItem {
                at: 1440,
                brightness: 101,
                enabled: false,
            },
        ],
        valid_from: Date::from_millis(-1),
    };
    let err = run(lamp_at(&cloud).upload_schedule(&input)).unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("`Schedule[1].At`: 1440 is above the max 1439"),
        "{text}"
    );
    assert!(
        text.contains("`Schedule[1].Brightness`: 101 is above the max 100"),
        "{text}"
    );
    assert!(text.contains("`ValidFrom`: -1 is before 1970"), "{text}");
    let too_many = lamp::UploadScheduleInput {
        schedule: vec![
            lamp::ScheduleItem {
                at: 0,
                brightness: 0,
                enabled: false
            };
            9
        ],
        valid_from: Date::from_millis(0),
    };
    let err = run(lamp_at(&cloud).upload_schedule(&too_many)).unwrap_err();
    assert!(
        err.to_string()
            .contains("the array has 9 items, more than the size 8"),
        "{err}"
    );
    assert!(cloud.calls().is_empty());
}

#[test]
fn values_go_on_the_wire_as_the_platform_requires() {
    let cloud = stand_in();
    let input = lamp::UploadScheduleInput {
        schedule: vec![lamp::ScheduleItem {
            at: 480,
            brightness: 80,
            enabled: true,
        }],
        valid_from: Date::from_millis(1_700_000_000_000),
    };
    cloud.answer_next(Ok(Invoked {
        request_id: "R-async".into(),
        message_id: Some("1894186889322557440".into()),
        result: None,
    }));
    let accepted = run(lamp_at(&cloud).upload_schedule(&input)).unwrap();
    assert_eq!(accepted.message_id.as_deref(), Some("1894186889322557440"));
    let blink = lamp::BlinkInput {
        times: 3,
        interval: 1.0,
    };
    cloud.answer_next(sync_answer(r#"{"id":"1","code":200,"data":{"Blinked":3}}"#));
    run(lamp_at(&cloud).blink(&blink)).unwrap();
    let set = lamp::PropertySet::default()
        .work_mode(lamp::WorkMode::Maintenance)
        .light_switch(false)
        .brightness(40);
    run(lamp_at(&cloud).set_properties(&set)).unwrap();

    let device = Device::named("a1StreetLmp", "lamp-001");
    assert_eq!(
        cloud.calls(),
        vec![
            Call::Invoke {
                device: device.clone(),
                identifier: "UploadSchedule".into(),
                // bool as 1, date as a string of milliseconds.
                args: r#"{"Schedule":[{"At":480,"Brightness":80,"Enabled":1}],"ValidFrom":"1700000000000"}"#
                    .into(),
            },
            Call::Invoke {
                device: device.clone(),
                identifier: "Blink".into(),
                // A float always with its decimal point.
                args: r#"{"Times":3,"Interval":1.0}"#.into(),
            },
            Call::Set {
                device,
                // Only the properties set, enum as its (negative) key, bool as 0.
                items: r#"{"LightSwitch":0,"Brightness":40,"WorkMode":-1}"#.into(),
            },
        ]
    );
}

#[test]
fn a_sync_reply_parses_into_the_typed_output() {
    let cloud = answering(sync_answer(
        r#"{"id":"9","code":200,"data":{"Healthy":1,"DriverTemperature":41.5,"Faults":["fan"]},"message":"success"}"#,
    ));
    let reply = run(lamp_at(&cloud).diagnose()).unwrap();
    assert_eq!(
        reply.output,
        lamp::DiagnoseOutput {
            healthy: true,
            driver_temperature: 41.5,
            faults: vec!["fan".into()],
        }
    );
    assert_eq!(reply.request_id, "R-sync");
    assert!(
        reply.raw.contains("\"fan\""),
        "raw reply kept: {}",
        reply.raw
    );
    assert_eq!(
        cloud.calls(),
        vec![Call::Invoke {
            device: Device::named("a1StreetLmp", "lamp-001"),
            identifier: "Diagnose".into(),
            args: "{}".into(),
        }]
    );
}

#[test]
fn a_device_error_code_becomes_a_typed_error() {
    let cloud = answering(sync_answer(
        r#"{"id":"9","code":100012,"message":"driver overheated","data":{}}"#,
    ));
    let err = run(lamp_at(&cloud).diagnose()).unwrap_err();
    match err {
        Error::Device {
            error,
            request_id,
            raw,
        } => {
            assert_eq!(error, DeviceError::new(100_012, "driver overheated"));
            assert_eq!(request_id, "R-sync");
            assert!(raw.contains("100012"));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_reply_that_breaks_the_model_is_an_error_with_the_text() {
    let cloud = answering(sync_answer(
        r#"{"id":"9","code":200,"data":{"Healthy":2,"Faults":[],"Extra":1}}"#,
    ));
    let err = run(lamp_at(&cloud).diagnose()).unwrap_err();
    let Error::BadAnswer { problem, raw } = &err else {
        panic!("{err:?}")
    };
    assert!(problem.contains("`Healthy`: 2 is not a bool"), "{problem}");
    assert!(
        problem.contains("field `DriverTemperature` is missing"),
        "{problem}"
    );
    assert!(problem.contains("unknown field `Extra`"), "{problem}");
    assert!(raw.contains("Extra"));
}

#[test]
fn platform_errors_pass_through_with_code_and_request_id() {
    let cloud = answering(Err(Error::Platform(PlatformError {
        code: "iot.messagebroker.OFFLINE".into(),
        message: "device offline".into(),
        request_id: Some("R-77".into()),
        http_status: Some(200),
    })));
    let err = run(lamp_at(&cloud).diagnose()).unwrap_err();
    assert_eq!(err.code(), Some("iot.messagebroker.OFFLINE"));
    assert_eq!(err.request_id(), Some("R-77"));
}

#[test]
fn a_fleet_sends_one_checked_call_for_many_devices() {
    let cloud = stand_in();
    let fleet = lamp::Fleet::named(&cloud);
    let names: Vec<String> = (1..=3).map(|i| format!("lamp-{i:03}")).collect();
    let report = run(fleet.upload_schedule(
        &names,
        &lamp::UploadScheduleInput {
            schedule: vec![],
            valid_from: Date::from_millis(0),
        },
    ))
    .unwrap();
    assert_eq!(report.devices.len(), 3);
    assert!(report.all_accepted());
    let bad = run(fleet.set_properties(&names, &lamp::PropertySet::default().brightness(120)));
    assert!(matches!(bad, Err(Error::InvalidArgs(_))));
    run(fleet.set_properties(
        &names,
        &lamp::PropertySet::default().color_temperature(4000),
    ))
    .unwrap();
    assert_eq!(
        cloud.calls(),
        vec![
            Call::InvokeMany {
                product_key: "a1StreetLmp".into(),
                device_names: names.clone(),
                identifier: "UploadSchedule".into(),
                args: r#"{"Schedule":[],"ValidFrom":"0"}"#.into(),
            },
            Call::SetMany {
                product_key: "a1StreetLmp".into(),
                device_names: names,
                items: r#"{"ColorTemperature":4000}"#.into(),
            },
        ]
    );
}

#[test]
fn module_services_and_properties_use_module_identifiers() {
    let cloud = answering(sync_answer(r#"{"id":"1","code":200,"data":{"Started":1}}"#));
    let pump = pump_module::Device::named(&cloud, "pump-7");
    let reply = run(pump.pump_start(&pump_module::PumpStartInput { speed: 1500 })).unwrap();
    assert!(reply.output.started);
    run(pump.pump_stop()).unwrap();
    run(pump.set_properties(&pump_module::PropertySet::default().pump_speed(20))).unwrap();
    let device = Device::named("a1Torture1", "pump-7");
    assert_eq!(
        cloud.calls(),
        vec![
            Call::Invoke {
                device: device.clone(),
                identifier: "pump:Start".into(),
                args: r#"{"Speed":1500}"#.into(),
            },
            Call::Invoke {
                device: device.clone(),
                identifier: "pump:Stop".into(),
                args: "{}".into(),
            },
            Call::Set {
                device,
                items: r#"{"pump:Speed":20}"#.into(),
            },
        ]
    );
}

#[test]
fn torture_names_still_carry_the_tsl_identifiers() {
    let input = torture::TypeInput {
        r#type: 3,
        r#async: true,
        option: torture::OptionType {
            r#type: 9,
            self_: "me".into(),
            option: false,
            when: Date::from_millis(5),
            ratio: 0.5,
            mode: torture::OptionMode::V1,
        },
    };
    assert_eq!(
        to_args(&input).unwrap(),
        r#"{"type":3,"async":1,"Option":{"type":9,"self":"me","Option":0,"when":"5","ratio":0.5,"mode":1}}"#
    );
    // `tempC`, `TempC` and `temp_c` are three fields; the wire keys stay apart.
    let set = torture::PropertySet::default()
        .temp_c(1_500)
        .temp_c_2(20.5)
        .default_2(1)
        .clone_2("c".into());
    assert_eq!(
        to_args(&set).unwrap(),
        r#"{"tempC":20.5,"temp_c":1500,"default":1,"clone":"c"}"#
    );
    // `temp_c` counts from 1E3 in steps of 10 (a warning by default).
    let off = torture::PropertySet::default().temp_c(1_005);
    assert!(to_args(&off).is_ok());
    let warnings = tsl_runtime::value::step_warnings(&off);
    assert!(
        warnings[0].to_string().contains("multiple of the step 10"),
        "{warnings:?}"
    );
    // Enum members named from labels: "minus one", "负二", "Self", "3 speed".
    assert_eq!(torture::ResultType::MinusOne.key(), -1);
    assert_eq!(torture::ResultType::VMinus2.key(), -2);
    assert_eq!(torture::ResultType::SelfValue.label(), "Self");
    assert_eq!(
        torture::ResultType::from_key(3),
        Some(torture::ResultType::V3Speed)
    );
    assert_eq!(torture::ResultType::ALL.len(), 6);
    let err = from_json::<torture::ResultType>(&json!(7)).unwrap_err();
    assert!(
        err.to_string()
            .contains("7 is not one of the enum's values"),
        "{err}"
    );
}

/// A lamp that blinks, diagnoses and keeps its properties.
#[derive(Default)]
struct Lamp {
    set: Mutex<Vec<lamp::PropertySet>>,
}

impl lamp::Handler for Lamp {
    async fn blink(&self, input: lamp::BlinkInput) -> Result<lamp::BlinkOutput, DeviceError> {
        if input.times == 13 {
            return Err(DeviceError::new(100_013, "unlucky"));
        }
        Ok(lamp::BlinkOutput {
            blinked: input.times,
        })
    }

    async fn diagnose(&self) -> Result<lamp::DiagnoseOutput, DeviceError> {
        Ok(lamp::DiagnoseOutput {
            healthy: true,
            driver_temperature: f64::NAN,
            faults: vec![],
        })
    }

    async fn upload_schedule(&self, _: lamp::UploadScheduleInput) -> Result<(), DeviceError> {
        Ok(())
    }

    async fn set_properties(&self, properties: lamp::PropertySet) -> Result<(), DeviceError> {
        self.set.lock().unwrap().push(properties);
        Ok(())
    }
}

#[test]
fn the_dispatcher_turns_alink_requests_into_typed_calls_and_back() {
    let device = Lamp::default();
    let reply = run(lamp::dispatch(
        &device,
        &Request::service("42", "Blink", json!({"Times": 3, "Interval": 0.5})),
    ));
    assert_eq!((reply.id.as_str(), reply.code), ("42", 200));
    assert_eq!(reply.data, json!({"Blinked": 3}));

    // The device's own error code goes back as is.
    let reply = run(lamp::dispatch(
        &device,
        &Request::service("43", "Blink", json!({"Times": 13, "Interval": 0.5})),
    ));
    assert_eq!(
        (reply.code, reply.message.as_deref()),
        (100_013, Some("unlucky"))
    );

    // Arguments outside the model: 460 with every problem, and the handler is not called.
    let reply = run(lamp::dispatch(
        &device,
        &Request::service("44", "Blink", json!({"Times": 99, "Interval": "x"})),
    ));
    assert_eq!(reply.code, alink::codes::BAD_PARAMETERS);
    let message = reply.message.unwrap_or_default();
    assert!(
        message.contains("`Interval`: expected a number"),
        "{message}"
    );

    // An output the model cannot carry (NaN) is the device's fault: 500.
    let reply = run(lamp::dispatch(
        &device,
        &Request::service("45", "Diagnose", json!({})),
    ));
    assert_eq!(reply.code, alink::codes::INTERNAL_ERROR);

    // Unknown services are refused.
    let reply = run(lamp::dispatch(
        &device,
        &Request::service("46", "Explode", json!({})),
    ));
    assert_eq!(reply.code, alink::codes::BAD_PARAMETERS);

    // Property set, through the Responder wrapper an emulator holds.
    let responder = lamp::Responder(device);
    let request = Request::from_json(
        r#"{"id":"47","version":"1.0","params":{"Brightness":60,"WorkMode":2},"method":"thing.service.property.set"}"#,
    )
    .unwrap();
    let reply = run(responder.respond(&request));
    assert_eq!(reply.code, 200, "{reply:?}");
    assert_eq!(
        responder.0.set.lock().unwrap().as_slice(),
        &[lamp::PropertySet::default()
            .brightness(60)
            .work_mode(lamp::WorkMode::LightSensor)]
    );
}

/// Generated enums print their key, read it back or a unique label, and convert from a
/// key with an error naming the allowed ones.
#[test]
fn enums_display_parse_and_convert_from_keys() {
    use torture::{OptionMode, ResultType};

    assert_eq!(lamp::WorkMode::Maintenance.to_string(), "-1");
    assert_eq!("-1".parse(), Ok(lamp::WorkMode::Maintenance));
    assert_eq!(" light sensor ".parse(), Ok(lamp::WorkMode::LightSensor));
    for mode in lamp::WorkMode::ALL {
        assert_eq!(mode.to_string().parse(), Ok(mode));
        assert_eq!(lamp::WorkMode::try_from(mode.key()), Ok(mode));
    }
    assert_eq!("手动".parse(), Ok(OptionMode::V1));
    // Labels differing in case are different labels.
    assert_eq!("On".parse(), Ok(ResultType::On));
    assert_eq!("on".parse(), Ok(ResultType::On2));

    let err = lamp::WorkMode::try_from(7).unwrap_err();
    assert_eq!(err.enum_name(), "WorkMode");
    assert_eq!(err.given(), "7");
    let text = err.to_string();
    assert!(
        text.starts_with("7 is not a member of WorkMode: allowed -1 (maintenance), 0 (manual)"),
        "{text}"
    );
    let err = "dimmed".parse::<lamp::WorkMode>().unwrap_err();
    assert_eq!(err.given(), "\"dimmed\"");
}

/// Service, event and property identifiers are constants holding exactly what goes on the
/// wire, module prefix included.
#[test]
fn identifier_constants_hold_the_wire_identifiers() {
    let cloud = answering(sync_answer(r#"{"id":"1","code":200,"data":{"Started":1}}"#));
    let pump = pump_module::Device::named(&cloud, "pump-7");
    run(pump.pump_start(&pump_module::PumpStartInput { speed: 1500 })).unwrap();
    run(pump.set_properties(&pump_module::PropertySet::default().pump_speed(20))).unwrap();
    let calls = cloud.calls();
    let Call::Invoke { identifier, .. } = &calls[0] else {
        panic!("{calls:?}")
    };
    assert_eq!(identifier, pump_module::PumpStartInput::IDENTIFIER);
    let Call::Set { items, .. } = &calls[1] else {
        panic!("{calls:?}")
    };
    let key = pump_module::PropertySet::PUMP_SPEED;
    assert_eq!(key, "pump:Speed");
    assert!(items.contains(&format!("\"{key}\"")), "{items}");

    assert_eq!(lamp::BlinkInput::IDENTIFIER, "Blink");
    assert_eq!(lamp::BlinkOutput::IDENTIFIER, "Blink");
    assert_eq!(lamp::LampFailureEvent::IDENTIFIER, "LampFailure");
    assert_eq!(lamp::PropertySet::WORK_MODE, "WorkMode");
}

/// Types without floats are `Eq` and `Hash`: they can key a map or fill a set.
#[test]
fn float_free_types_are_eq_and_hash() {
    use std::collections::HashSet;

    let item = lamp::ScheduleItem {
        at: 60,
        brightness: 20,
        enabled: true,
    };
    let mut set = HashSet::new();
    set.insert(item.clone());
    set.insert(item.clone());
    assert_eq!(set.len(), 1);
    let modes: HashSet<lamp::WorkMode> = lamp::WorkMode::ALL.into_iter().collect();
    assert_eq!(modes.len(), lamp::WorkMode::ALL.len());
    let sets: HashSet<lamp::PropertySet> = [lamp::PropertySet::default().brightness(5)]
        .into_iter()
        .collect();
    assert_eq!(sets.len(), 1);
}

/// `Settings::type_attribute` puts derives on the types it names, by Rust name or by the
/// service's identifier (the golden `street_lamp_attributes`).
#[test]
fn type_attributes_reach_the_types_they_name() {
    use tsl_golden::street_lamp_attributes as attrs;

    let mut modes = attrs::WorkMode::ALL;
    modes.sort_by(|a, b| b.cmp(a));
    assert_eq!(modes.first(), Some(&attrs::WorkMode::LightSensor));
    assert_eq!(attrs::ScheduleItem::default().at, 0);
    // `Blink` picks both of the service's structs.
    let _ = (attrs::BlinkInput::default(), attrs::BlinkOutput::default());
}
