//! Items per second of a history stream (`Client::history`, QueryDevicePropertyData paged
//! 50 a call, each record read against the model) against the emulator on 127.0.0.1 with
//! the QPS limits lifted on both sides, as a ratio to the same pages fetched with bare
//! `Client::call`s (signed, sent, answered, not parsed), measured in the same run.
//!
//! `cargo bench -p tsl-runtime --features emulator --bench history` (a plain program: it
//! prints, never asserts). `TSL_BENCH_RECORDS` sets the records (default 20,000).

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use futures_util::StreamExt;
use serde_json::json;
use tsl_runtime::client::{Client, HistoryQuery, HistorySource, StateDecoder};
use tsl_runtime::cloud::Device;
use tsl_runtime::emulator::{self, Emulator};
use tsl_runtime::model::Model;
use tsl_runtime::sign::Credentials;

const ID: &str = "bench-id";
const SECRET: &str = "bench-secret";
const PK: &str = "a1StreetLmp";
const ACTION: &str = "QueryDevicePropertyData";
const PAGE: u32 = 50;

fn main() {
    let records: i64 = std::env::var("TSL_BENCH_RECORDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20_000);
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../examples/models/street-lamp.json"
    );
    let model = Model::load(path).expect("the bundled model loads").model;
    let emulator = Emulator::new()
        .model(model.clone())
        .credentials(ID, SECRET)
        .device(emulator::Device::new(PK, "lamp-1"))
        .unlimited(ACTION)
        .keep_history(false)
        .start()
        .expect("the emulator starts");
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    let base = now - 3_600_000;
    for n in 0..records {
        emulator
            .report_properties(PK, "lamp-1", &json!({"Brightness": n % 101}), base + n)
            .unwrap();
    }
    let client = Client::builder()
        .endpoint(emulator.endpoint())
        .allow_http(true)
        .credentials(Credentials::new(ID, SECRET).unwrap())
        .qps(ACTION, u32::MAX)
        .build()
        .unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let decoder = StateDecoder::new(model);
    let device = Device::named(PK, "lamp-1");
    let end = base + records;
    let pages = (records as u64).div_ceil(u64::from(PAGE));

    // Baseline: the same pages by bare calls, one after another.
    let baseline = runtime.block_on(async {
        let started = Instant::now();
        for page in 0..pages {
            let start = (base + (page * u64::from(PAGE)) as i64).to_string();
            let end = end.to_string();
            let size = PAGE.to_string();
            let answer = client
                .call(
                    ACTION,
                    &[
                        ("ProductKey", PK),
                        ("DeviceName", "lamp-1"),
                        ("Identifier", "Brightness"),
                        ("StartTime", &start),
                        ("EndTime", &end),
                        ("PageSize", &size),
                        ("Asc", "1"),
                    ],
                )
                .await
                .expect("a page");
            std::hint::black_box(answer);
        }
        started.elapsed()
    });

    let (read, stream) = runtime.block_on(async {
        let started = Instant::now();
        let query = HistoryQuery::new(
            device,
            HistorySource::Property("Brightness".into()),
            base,
            end,
        )
        .page_size(PAGE);
        let mut history = std::pin::pin!(client.history(query));
        let mut read = 0u64;
        while let Some(record) = history.next().await {
            let decoded = decoder.record(record.expect("a record"));
            assert!(decoded.value.is_ok());
            read += 1;
        }
        (read, started.elapsed())
    });
    assert_eq!(read, records as u64, "the stream gives every record once");
    let per_second = |d: Duration| records as f64 / d.as_secs_f64();
    println!("history of {records} property values, {pages} pages of {PAGE}, limits lifted:");
    println!(
        "  bare calls for the same pages (baseline): {:>9.0} items/s ({:.2} s)",
        per_second(baseline),
        baseline.as_secs_f64()
    );
    println!(
        "  Client::history, decoded against the model: {:>7.0} items/s ({:.2} s, {:.2}x the baseline's time)",
        per_second(stream),
        stream.as_secs_f64(),
        stream.as_secs_f64() / baseline.as_secs_f64()
    );
    emulator.shutdown();
}
