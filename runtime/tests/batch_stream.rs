//! Batches as a stream (`Client::run_batch`): a line per device as its call ends, honest
//! outcomes for failures after the request arrived, and stop/abort from outside, against
//! the emulator on 127.0.0.1.
#![cfg(all(feature = "emulator", feature = "client"))]

mod emulator_support;

use std::collections::HashSet;
use std::time::{Duration, Instant};

use emulator_support::clients::{client, lamps, names_sent, requests_of};
use emulator_support::{lamp_emulator, LAMP as PK};
use tsl_runtime::client::{BatchControl, BatchSink, InvokeThingsService};
use tsl_runtime::cloud::{DeviceReport, Outcome};
use tsl_runtime::emulator::{Fault, RunningEmulator};

/// The lamp product, the test key, and any device name.
fn fleet() -> RunningEmulator {
    lamp_emulator().any_device().start().unwrap()
}

/// Collects lines and notes where each call ended; stops `control` after `stop_after`
/// calls, aborts it after `abort_after`.
#[derive(Default)]
struct Collect {
    lines: Vec<(usize, DeviceReport)>,
    /// Lines collected when each call ended.
    ends: Vec<usize>,
    control: Option<BatchControl>,
    stop_after: Option<usize>,
}

impl BatchSink for Collect {
    fn device(&mut self, index: usize, report: DeviceReport) {
        self.lines.push((index, report));
    }

    fn call_ended(&mut self) {
        self.ends.push(self.lines.len());
        if let (Some(control), Some(after)) = (&self.control, self.stop_after) {
            if self.ends.len() >= after {
                control.stop("stopped by the test");
            }
        }
    }
}

impl Collect {
    fn statuses(&self) -> Vec<&'static str> {
        self.lines
            .iter()
            .map(|(_, line)| line.outcome.status())
            .collect()
    }

    fn count(&self, status: &str) -> usize {
        self.statuses().iter().filter(|s| **s == status).count()
    }

    /// Every index of `total` exactly once.
    fn assert_each_once(&self, total: usize) {
        let indices: HashSet<usize> = self.lines.iter().map(|(index, _)| *index).collect();
        assert_eq!(self.lines.len(), total, "one line per device");
        assert_eq!(indices.len(), total, "no device twice");
    }
}

fn invoke(names: usize) -> (InvokeThingsService, Vec<String>) {
    let names = lamps(names);
    (
        InvokeThingsService::new(
            PK,
            Vec::new(),
            "UploadSchedule",
            r#"{"Schedule":[],"ValidFrom":"0"}"#,
        ),
        names,
    )
}

#[tokio::test]
async fn lines_arrive_as_each_call_ends() {
    let emulator = fleet();
    let client = client(&emulator).build().unwrap();
    let (request, names) = invoke(250);
    let mut sink = Collect::default();
    let tally = client
        .run_batch(
            &request.batch_call().unwrap(),
            names,
            &BatchControl::new(),
            &mut sink,
        )
        .await;
    sink.assert_each_once(250);
    assert_eq!(tally.accepted, 250);
    assert_eq!(sink.ends.len(), 3, "a flush point per call");
    assert_eq!(sink.ends.last(), Some(&250));
    assert_eq!(requests_of(&emulator, "InvokeThingsService").len(), 3);
}

#[tokio::test]
async fn failures_after_the_request_arrived_are_unknown_and_never_retried() {
    let emulator = fleet();
    let client = client(&emulator)
        .timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    let faults = [
        Fault::raw(
            500,
            r#"{"RequestId":"R-500","Code":"InternalError","Message":"oops"}"#,
        ),
        Fault::raw(502, "<html>Bad Gateway</html>"),
        Fault::Reset,
        Fault::MalformedJson,
        Fault::Delay(Duration::from_secs(2)),
        Fault::empty_object(),
        Fault::empty_array(),
        Fault::request_id_only(),
        Fault::business("iot.system.SystemException", "A system exception occurred."),
    ];
    for fault in faults {
        let shown = format!("{fault:?}");
        let before = requests_of(&emulator, "InvokeThingsService").len();
        emulator.inject_fault("InvokeThingsService", fault, 1);
        let (request, names) = invoke(3);
        let mut sink = Collect::default();
        let tally = client
            .run_batch(
                &request.batch_call().unwrap(),
                names,
                &BatchControl::new(),
                &mut sink,
            )
            .await;
        assert_eq!(tally.unknown, 3, "{shown}: {:?}", sink.lines);
        for (_, line) in &sink.lines {
            match &line.outcome {
                Outcome::Unknown { reason, .. } => {
                    assert!(reason.contains("may have acted"), "{shown}: {reason}")
                }
                other => panic!("{shown}: {other:?}"),
            }
        }
        // The emulator records a request when it answers; a delayed one is never answered
        // (the client hung up first), so only a retry could show up.
        let slow = shown.starts_with("Delay");
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert_eq!(
            requests_of(&emulator, "InvokeThingsService").len(),
            before + usize::from(!slow),
            "{shown}: the request arrived once and was not sent again"
        );
    }

    // Throttling is decided on arrival, before anything runs: retried, then accepted.
    emulator.inject_fault("InvokeThingsService", Fault::Throttle, 1);
    let before = requests_of(&emulator, "InvokeThingsService").len();
    let (request, names) = invoke(3);
    let report = client.collect_for_test(&request, names).await;
    assert!(
        report.iter().all(|l| l.outcome.status() == "accepted"),
        "{report:?}"
    );
    assert_eq!(
        requests_of(&emulator, "InvokeThingsService").len(),
        before + 2
    );
}

#[tokio::test]
async fn a_stop_sends_nothing_more_and_reports_the_rest_not_attempted() {
    let emulator = fleet();
    let client = client(&emulator)
        .qps("InvokeThingsService", 2)
        .build()
        .unwrap();
    let (request, names) = invoke(1000);
    let control = BatchControl::new();
    let mut sink = Collect {
        control: Some(control.clone()),
        stop_after: Some(1),
        ..Collect::default()
    };
    let started = Instant::now();
    let tally = client
        .run_batch(&request.batch_call().unwrap(), names, &control, &mut sink)
        .await;
    sink.assert_each_once(1000);
    let seen = requests_of(&emulator, "InvokeThingsService");
    let sent: HashSet<String> = seen.iter().flat_map(names_sent).collect();
    let accepted: HashSet<String> = sink
        .lines
        .iter()
        .filter(|(_, l)| l.outcome.status() == "accepted")
        .map(|(_, l)| l.device_name.clone())
        .collect();
    assert_eq!(
        accepted, sent,
        "accepted exactly what the emulator received"
    );
    assert!(tally.accepted >= 100 && tally.accepted < 1000, "{tally:?}");
    assert_eq!(tally.accepted + tally.not_attempted, 1000, "{tally:?}");
    for (_, line) in &sink.lines {
        if let Outcome::NotAttempted { reason } = &line.outcome {
            assert_eq!(reason, "stopped by the test");
        }
    }
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "stopped, not run to the end"
    );
}

#[tokio::test]
async fn an_abort_abandons_calls_in_flight_as_unknown() {
    let emulator = fleet();
    let client = client(&emulator).build().unwrap();
    emulator.inject_fault(
        "InvokeThingsService",
        Fault::Delay(Duration::from_secs(10)),
        1,
    );
    let (request, names) = invoke(150);
    let control = BatchControl::new();
    let aborter = control.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(300)).await;
        aborter.abort("aborted by the test");
    });
    let started = Instant::now();
    let mut sink = Collect::default();
    let tally = client
        .run_batch(&request.batch_call().unwrap(), names, &control, &mut sink)
        .await;
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "did not wait for the slow call"
    );
    sink.assert_each_once(150);
    // The two calls (100 and 50 devices) go out side by side; whichever reached the
    // emulator first is the slow one. It had gone out: unknown. The other was answered at
    // once (accepted), or had not gone out (not attempted); nothing else.
    let (slow, other) = if tally.unknown == 100 {
        (100, 50)
    } else {
        (50, 100)
    };
    assert_eq!(tally.unknown, slow, "{tally:?}");
    assert_eq!(tally.accepted + tally.not_attempted, other, "{tally:?}");
    assert_eq!(sink.count("refused"), 0);
}

/// `invoke_things_service` as generated code calls it, in the order given.
trait CollectForTest {
    async fn collect_for_test(
        &self,
        request: &InvokeThingsService,
        names: Vec<String>,
    ) -> Vec<DeviceReport>;
}

impl CollectForTest for tsl_runtime::client::Client {
    async fn collect_for_test(
        &self,
        request: &InvokeThingsService,
        names: Vec<String>,
    ) -> Vec<DeviceReport> {
        let mut request = request.clone();
        request.device_names = names;
        self.invoke_things_service(&request).await.unwrap().devices
    }
}
