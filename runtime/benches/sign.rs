//! Building and signing one request, as a ratio to the bare HMAC-SHA1 of the same string to
//! sign, measured in the same run (the issue's target: under 3×).
//!
//! ```sh
//! cargo bench -p tsl-runtime --bench sign
//! ```
//!
//! A plain `harness = false` program rather than criterion: what matters is the ratio of
//! two timings taken side by side, which it prints directly. Each figure is the median of
//! 21 rounds, each round the mean of enough calls to last about 10 ms.

use std::hint::black_box;
use std::time::{Duration, Instant};

use tsl_runtime::sign::{
    new_nonce, sign_rpc_v1, sign_rpc_v1_pairs, sign_v1, timestamp_now, CommonParams, Credentials,
    NonceSequence,
};

const NONCE: &str = "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf";
const TIME: &str = "2024-05-01T08:00:00Z";

/// Median nanoseconds per call of `f`.
fn measure(mut f: impl FnMut()) -> f64 {
    let mut calls = 1u64;
    loop {
        let start = Instant::now();
        for _ in 0..calls {
            f();
        }
        if start.elapsed() >= Duration::from_millis(10) || calls >= 1 << 30 {
            break;
        }
        calls *= 2;
    }
    let mut rounds: Vec<f64> = (0..21)
        .map(|_| {
            let start = Instant::now();
            for _ in 0..calls {
                f();
            }
            start.elapsed().as_nanos() as f64 / calls as f64
        })
        .collect();
    rounds.sort_by(f64::total_cmp);
    rounds[rounds.len() / 2]
}

struct Case {
    name: &'static str,
    params: Vec<(String, String)>,
}

fn cases() -> Vec<Case> {
    let pair = |name: &str, value: &str| (name.to_string(), value.to_string());
    let mut many = vec![
        pair("Action", "InvokeThingsService"),
        pair("ProductKey", "a1B2c3D4e5F"),
        pair("Identifier", "Blink"),
        pair("Args", r#"{"Times":3,"Interval":1.0}"#),
        pair("IotInstanceId", "iot-06z00ax1o"),
    ];
    many.extend((1..=100).map(|n| (format!("DeviceName.{n}"), format!("lamp-{n:04}"))));
    vec![
        Case {
            name: "InvokeThingService, 1 device",
            params: vec![
                pair("Action", "InvokeThingService"),
                pair("ProductKey", "a1B2c3D4e5F"),
                pair("DeviceName", "street-lamp-0042"),
                pair("Identifier", "battery:Calibrate"),
                pair("Args", r#"{"Level":80,"Note":"温度 传感器 a+b"}"#),
                pair("IotInstanceId", "iot-06z00ax1o"),
            ],
        },
        Case {
            name: "InvokeThingsService, 100 devices",
            params: many,
        },
    ]
}

/// What the client does: the common and the action's parameters as borrowed pairs, signed.
fn sign_pairs(common: &CommonParams, params: &[(String, String)], creds: &Credentials) -> String {
    let mut pairs: Vec<(&str, &str)> = Vec::with_capacity(9 + params.len());
    pairs.extend(common.pairs());
    pairs.extend(params.iter().map(|(n, v)| (n.as_str(), v.as_str())));
    sign_rpc_v1_pairs("POST", &pairs, creds).query
}

fn main() {
    let creds = Credentials::new(
        "LTAI5tExampleAccessKeyId",
        "ExampleAccessKeySecret0123456789",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let nonces = NonceSequence::new();
    for case in cases() {
        // The same string to sign the client would produce, for the bare HMAC.
        let mut fixed = CommonParams::new(&creds, NONCE, TIME).into_params();
        fixed.extend(case.params.iter().cloned());
        let sts = sign_rpc_v1("POST", &fixed, &creds).string_to_sign;

        let hmac = measure(|| {
            black_box(sign_v1(creds.access_key_secret(), black_box(&sts)));
        });
        let rows: [(&str, f64); 5] = [
            (
                "sign_rpc_v1 over built Strings",
                measure(|| {
                    black_box(sign_rpc_v1("POST", black_box(&fixed), &creds));
                }),
            ),
            (
                "build Strings + sign_rpc_v1",
                measure(|| {
                    let mut params = CommonParams::new(&creds, NONCE, TIME).into_params();
                    params.extend(black_box(&case.params).iter().cloned());
                    black_box(sign_rpc_v1("POST", params, &creds));
                }),
            ),
            (
                "borrowed pairs + sign_rpc_v1_pairs",
                measure(|| {
                    let common = CommonParams::new(&creds, NONCE, TIME);
                    black_box(sign_pairs(&common, black_box(&case.params), &creds));
                }),
            ),
            (
                "same, fresh nonce (NonceSequence) + clock",
                measure(|| {
                    let common = CommonParams::new(&creds, nonces.next_nonce(), timestamp_now());
                    black_box(sign_pairs(&common, black_box(&case.params), &creds));
                }),
            ),
            (
                "same, fresh nonce (new_nonce, OS) + clock",
                measure(|| {
                    let common = CommonParams::new(&creds, new_nonce(), timestamp_now());
                    black_box(sign_pairs(&common, black_box(&case.params), &creds));
                }),
            ),
        ];
        println!(
            "{} (string to sign: {} bytes); bare HMAC-SHA1: {hmac:.0} ns",
            case.name,
            sts.len()
        );
        for (what, ns) in rows {
            println!("  {what:<44} {ns:>8.0} ns  {:>5.2}×", ns / hmac);
        }
    }
}
