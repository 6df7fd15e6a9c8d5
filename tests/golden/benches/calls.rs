//! Calls per second of generated code through the runtime's client against the local
//! emulator (issue 6), each figure next to a baseline measured in the same run: a bare
//! HTTP/1.1 request over a kept-alive socket to the same emulator, which does no signing,
//! no checking and no JSON on the client side.
//!
//! `cargo bench -p tsl-golden --bench calls` prints the figures; nothing is asserted.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use tsl_golden::street_lamp as lamp;
use tsl_runtime::client::Client;
use tsl_runtime::emulator::{self, Emulator, RunningEmulator};
use tsl_runtime::model::Model;
use tsl_runtime::sign::Credentials;
use tsl_runtime::value::Date;

const ID: &str = "bench-id";
const SECRET: &str = "bench-secret";
const SEQUENTIAL_CALLS: usize = 2_000;
const FLEET: usize = 10_000;

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let model = Model::load(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../examples/models/street-lamp.json"
    ))
    .expect("the bundled model")
    .model;
    let rate = |n: usize, d: Duration| n as f64 / d.as_secs_f64();
    println!(
        "machine: {} cores",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );

    // One device, sequentially.
    let emulator = Emulator::new()
        .model(model.clone())
        .credentials(ID, SECRET)
        .unlimited("InvokeThingService")
        .device(emulator::Device::new("a1StreetLmp", "lamp-1"))
        .start()
        .expect("the emulator starts");
    let baseline = bare_http(emulator.addr(), SEQUENTIAL_CALLS);
    let base_rate = rate(SEQUENTIAL_CALLS, baseline);
    println!(
        "baseline: bare HTTP request to the emulator, sequential: {base_rate:.0} req/s ({SEQUENTIAL_CALLS} requests)"
    );
    for lifted in [false, true] {
        let client = make_client(&emulator, lifted.then_some("InvokeThingService"));
        let sync = runtime.block_on(async {
            let device = lamp::Device::named(&client, "lamp-1");
            let input = lamp::BlinkInput {
                times: 3,
                interval: 1.0,
            };
            let started = Instant::now();
            for _ in 0..SEQUENTIAL_CALLS {
                device.blink(&input).await.expect("blink answers");
            }
            started.elapsed()
        });
        let sync_rate = rate(SEQUENTIAL_CALLS, sync);
        println!(
            "one device, sync service (generated Device::blink), sequential, {}: {sync_rate:.0} calls/s = {:.2} of baseline",
            if lifted { "client limit lifted" } else { "at the platform's 500 calls/s" },
            sync_rate / base_rate
        );
    }
    emulator.shutdown();

    // A 10,000-device fleet, async service: at the platform's limit, and with it lifted.
    for lifted in [false, true] {
        let mut builder = Emulator::new().model(model.clone()).credentials(ID, SECRET);
        if lifted {
            builder = builder.unlimited("InvokeThingsService");
        }
        for i in 0..FLEET {
            builder = builder.device(emulator::Device::new("a1StreetLmp", format!("lamp-{i:05}")));
        }
        let emulator = builder.start().expect("the emulator starts");
        let client = make_client(&emulator, lifted.then_some("InvokeThingsService"));
        let names: Vec<String> = (0..FLEET).map(|i| format!("lamp-{i:05}")).collect();
        let input = lamp::UploadScheduleInput {
            schedule: vec![lamp::ScheduleItem {
                at: 1080,
                brightness: 70,
                enabled: true,
            }],
            valid_from: Date::from_millis(1_700_000_000_000),
        };
        let (elapsed, accepted) = runtime.block_on(async {
            let fleet = lamp::Fleet::named(&client);
            let started = Instant::now();
            let report = fleet
                .upload_schedule(&names, &input)
                .await
                .expect("the batch runs");
            (started.elapsed(), report.accepted().count())
        });
        let calls = FLEET.div_ceil(100);
        if lifted {
            println!(
                "{FLEET} devices, limit lifted: {accepted} accepted in {:.2} s = {:.0} devices/s ({calls} calls; {:.2} of baseline requests/s)",
                elapsed.as_secs_f64(),
                rate(FLEET, elapsed),
                rate(calls, elapsed) / base_rate
            );
        } else {
            // 10 calls in any second: calls 0-9 at once, 10-19 a second later, ...
            let ideal = Duration::from_secs((calls as u64 - 1) / 10);
            println!(
                "{FLEET} devices at the platform's 10 calls/s: {accepted} accepted in {:.2} s; ideal {:.1} s; ratio {:.3}",
                elapsed.as_secs_f64(),
                ideal.as_secs_f64(),
                elapsed.as_secs_f64() / ideal.as_secs_f64()
            );
        }
        emulator.shutdown();
    }
}

/// A client for `emulator`; `lift` raises the client's own QPS limit of an action.
fn make_client(emulator: &RunningEmulator, lift: Option<&str>) -> Client {
    let mut builder = Client::builder()
        .endpoint(emulator.endpoint())
        .allow_http(true)
        .credentials(Credentials::new(ID, SECRET).expect("non-empty"));
    if let Some(action) = lift {
        builder = builder.qps(action, 1_000_000);
    }
    builder.build().expect("the client builds")
}

/// `n` unsigned GETs on one kept-alive connection; each gets the gateway's 400 answer.
fn bare_http(addr: SocketAddr, n: usize) -> Duration {
    let stream = TcpStream::connect(addr).expect("connect");
    stream.set_nodelay(true).ok();
    let mut reader = BufReader::new(stream.try_clone().expect("clone"));
    let mut writer = stream;
    let started = Instant::now();
    for _ in 0..n {
        write!(
            writer,
            "GET /?Action=QueryThingModel HTTP/1.1\r\nHost: {addr}\r\n\r\n"
        )
        .expect("write");
        let mut length = 0usize;
        loop {
            let mut line = String::new();
            reader.read_line(&mut line).expect("read");
            if line == "\r\n" || line.is_empty() {
                break;
            }
            if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                length = v.trim().parse().unwrap_or(0);
            }
        }
        let mut body = vec![0; length];
        reader.read_exact(&mut body).expect("body");
    }
    started.elapsed()
}
