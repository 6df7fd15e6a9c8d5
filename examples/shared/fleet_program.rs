//! The small fleet program: one lamp called with a sync service and its typed reply, an
//! argument refused before anything is sent, a new schedule uploaded to the whole fleet
//! with a per-device report, and a property set on every lamp.
//!
//! It runs offline against `tsl_runtime::cloud::InProcess`, the runtime's in-process
//! stand-in for the platform, whose lamps answer through the generated `Responder` around
//! [`Lamp`], the typed `Handler` below.

use std::error::Error;
use std::process::ExitCode;

use tsl_runtime::alink::DeviceError;
use tsl_runtime::cloud::{Cloud, InProcess};
use tsl_runtime::value::Date;

use crate::lamp::{
    self, BlinkInput, Device, Fleet, PropertySet, ScheduleItem, UploadScheduleInput, WorkMode,
};

/// What a simulated lamp does when called: the generated `Handler`.
pub struct Lamp;

impl lamp::Handler for Lamp {
    async fn blink(&self, input: lamp::BlinkInput) -> Result<lamp::BlinkOutput, DeviceError> {
        Ok(lamp::BlinkOutput {
            blinked: input.times,
        })
    }

    async fn diagnose(&self) -> Result<lamp::DiagnoseOutput, DeviceError> {
        Ok(lamp::DiagnoseOutput {
            healthy: true,
            driver_temperature: 41.5,
            faults: Vec::new(),
        })
    }

    async fn upload_schedule(&self, _input: lamp::UploadScheduleInput) -> Result<(), DeviceError> {
        Ok(())
    }

    async fn set_properties(&self, _properties: lamp::PropertySet) -> Result<(), DeviceError> {
        Ok(())
    }
}

/// Runs the program against an in-process stand-in for the platform and checks what it
/// sent; exit 1 when anything went otherwise.
pub async fn main(way: &str) -> ExitCode {
    let names: Vec<String> = ["lamp-0001", "lamp-0002", "lamp-0003"]
        .map(String::from)
        .to_vec();
    let cloud = InProcess::new().devices(lamp::PRODUCT_KEY, names.clone(), lamp::Responder(Lamp));
    eprintln!("street-lamp code from {way}; calls go to an in-process stand-in for the platform");
    if let Err(e) = run(&cloud, &names).await {
        eprintln!("error: {e}");
        return ExitCode::FAILURE;
    }
    let calls = cloud.calls();
    for call in &calls {
        eprintln!(
            "sent {} to {} device(s): {}",
            call.action(),
            call.device_count(),
            call.json()
        );
    }
    // The refused Blink never reached the platform.
    let actions: Vec<&str> = calls.iter().map(|c| c.action()).collect();
    let expected = [
        "InvokeThingService",
        "InvokeThingService",
        "InvokeThingsService",
        "SetDevicesProperty",
    ];
    if actions != expected {
        eprintln!("error: expected the calls {expected:?}, the stand-in saw {actions:?}");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}

/// The program itself: works with any `Cloud`, the runtime's HTTP client included.
pub async fn run(cloud: &impl Cloud, names: &[String]) -> Result<(), Box<dyn Error>> {
    // One device, a sync service: the device's typed reply.
    let first = Device::named(cloud, names[0].as_str());
    let reply = first
        .blink(&BlinkInput {
            times: 3,
            interval: 1.0,
        })
        .await?;
    println!("{} blinked {} times", names[0], reply.output.blinked);

    // Arguments are checked against the model before anything is sent.
    match first
        .blink(&BlinkInput {
            times: 30,
            interval: 0.25,
        })
        .await
    {
        Err(e) => println!("not sent: {e}"),
        Ok(_) => return Err("an out-of-range Blink was sent".into()),
    }

    let health = first.diagnose().await?;
    println!(
        "{} healthy: {}, driver at {} °C",
        names[0], health.output.healthy, health.output.driver_temperature
    );

    // The whole fleet: an async service on every lamp, with a report line per device.
    let schedule = UploadScheduleInput {
        schedule: vec![
            ScheduleItem {
                at: 18 * 60 + 30,
                brightness: 80,
                enabled: true,
            },
            ScheduleItem {
                at: 23 * 60,
                brightness: 40,
                enabled: true,
            },
            ScheduleItem {
                at: 6 * 60,
                brightness: 0,
                enabled: true,
            },
        ],
        // 2026-01-01T00:00:00Z
        valid_from: Date(1_767_225_600_000),
    };
    let fleet = Fleet::named(cloud);
    let report = fleet.upload_schedule(names, &schedule).await?;
    report.write_json_lines(std::io::stdout().lock())?;

    // Only writable properties can be set; enums go as their key.
    let properties = PropertySet::default()
        .work_mode(WorkMode::Timer)
        .brightness(80);
    let report = fleet.set_properties(names, &properties).await?;
    println!(
        "work mode and brightness set on {} of {} lamps",
        report.accepted().count(),
        names.len()
    );
    if !report.all_accepted() {
        return Err("some lamps did not accept the properties".into());
    }
    Ok(())
}
