//! The runtime's own client against the emulator: a client with fast retries, fleets of
//! device names, and what the emulator recorded, read the way the client tests ask.

use std::time::{Duration, Instant};

use tsl_runtime::client::{Client, ClientBuilder, RetryPolicy};
use tsl_runtime::emulator::{RecordedRequest, RunningEmulator};
use tsl_runtime::sign::Credentials;

use super::{KEY_ID, SECRET};

/// Names `lamp-0000` ... for `count` devices.
pub fn lamps(count: usize) -> Vec<String> {
    (0..count).map(|n| format!("lamp-{n:04}")).collect()
}

/// The test key pair the emulators accept.
pub fn credentials() -> Credentials {
    Credentials::new(KEY_ID, SECRET).expect("test credentials")
}

/// A client of `emulator` with fast retries.
pub fn client(emulator: &RunningEmulator) -> ClientBuilder {
    Client::builder()
        .endpoint(emulator.endpoint())
        .credentials(credentials())
        .retry(RetryPolicy {
            max_attempts: 4,
            base_delay: Duration::from_millis(20),
            max_delay: Duration::from_millis(200),
        })
}

/// The recorded requests of one action, in order.
pub fn requests_of(emulator: &RunningEmulator, action: &str) -> Vec<RecordedRequest> {
    emulator
        .requests()
        .into_iter()
        .filter(|r| r.action.as_deref() == Some(action))
        .collect()
}

/// `ok`, or the error code the request was answered with (`Throttling.User`).
pub fn answer(request: &RecordedRequest) -> String {
    request.code().unwrap_or("ok").to_string()
}

/// The `DeviceName.N` parameters of a request, in the order of N.
pub fn names_sent(request: &RecordedRequest) -> Vec<String> {
    let mut names: Vec<(usize, String)> = request
        .params
        .iter()
        .filter_map(|(n, v)| {
            let index = n.strip_prefix("DeviceName.")?.parse().ok()?;
            Some((index, v.clone()))
        })
        .collect();
    names.sort();
    names.into_iter().map(|(_, v)| v).collect()
}

/// The most of `requests` (throttled ones included) that arrived within any one second.
pub fn max_in_window(requests: &[RecordedRequest]) -> usize {
    let window = Duration::from_secs(1);
    let mut times: Vec<_> = requests.iter().map(|r| r.received_at).collect();
    times.sort();
    (0..times.len())
        .map(|i| {
            times[i..]
                .iter()
                .take_while(|t| t.duration_since(times[i]).is_ok_and(|d| d < window))
                .count()
        })
        .max()
        .unwrap_or(0)
}

/// The recorded requests once there are at least `count` (a dropped connection can reach
/// the client a moment before the emulator has written its record), waiting at most 2 s.
pub fn requests_when(emulator: &RunningEmulator, count: usize) -> Vec<RecordedRequest> {
    let deadline = Instant::now() + Duration::from_secs(2);
    loop {
        let requests = emulator.requests();
        if requests.len() >= count || Instant::now() >= deadline {
            return requests;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}
