//! The emulator's gateway: signatures, timestamps, nonces, versions, keys, parameters,
//! QPS, instance IDs, recording, fault injection, binding and shutdown.
#![cfg(feature = "emulator")]

mod emulator_support;

use std::io::ErrorKind;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use emulator_support::*;
use tsl_runtime::emulator::{Emulator, EmulatorError, Fault, Outcome};
use tsl_runtime::sign::{
    acs3_headers, new_nonce, sign_acs3, sign_rpc_v1, timestamp_now, CommonParams, Credentials,
};

fn query_model() -> [(&'static str, &'static str); 1] {
    [("ProductKey", LAMP)]
}

#[test]
fn v1_get_post_and_form_body_are_accepted() {
    let emulator = lamp_emulator().start().unwrap();
    let client = Client::new(&emulator);
    client
        .call("QueryThingModel", &query_model())
        .assert_success();
    client
        .post("QueryThingModel", &query_model())
        .assert_success();
    client
        .post_form("QueryThingModel", &query_model())
        .assert_success();
    let recorded = emulator.requests();
    assert_eq!(recorded.len(), 3);
    assert_eq!(recorded[2].raw_query, "");
    assert!(recorded[2].raw_body.contains("Action=QueryThingModel"));
    assert_eq!(recorded[2].param("ProductKey"), Some(LAMP));
}

#[test]
fn acs3_is_accepted_and_checked() {
    let emulator = lamp_emulator().start().unwrap();
    let client = Client::new(&emulator);
    let answer = client.call_acs3("QueryThingModel", &query_model());
    answer.assert_success();
    let recorded = emulator.requests();
    assert_eq!(recorded[0].action.as_deref(), Some("QueryThingModel"));
    assert!(recorded[0]
        .header("authorization")
        .unwrap()
        .starts_with("ACS3-HMAC-SHA256 Credential=testid,"));

    // Signed with another secret: refused, with the server's string to sign and canonical request.
    let wrong = Client::with_key(&emulator, KEY_ID, "not-the-secret");
    let answer = wrong.call_acs3("QueryThingModel", &query_model());
    answer.assert_gateway(400, "SignatureDoesNotMatch");
    let message = answer.json()["Message"].as_str().unwrap().to_string();
    assert!(
        message.contains("server string to sign is:ACS3-HMAC-SHA256\n"),
        "{message}"
    );
    assert!(
        message.contains("x-acs-action:QueryThingModel"),
        "{message}"
    );

    // A query changed after signing.
    let host = emulator.addr().to_string();
    let headers = acs3_headers(
        &host,
        "QueryThingModel",
        "2018-01-20",
        &timestamp_now(),
        &new_nonce(),
    );
    let params = vec![("ProductKey".to_string(), LAMP.to_string())];
    let signed = sign_acs3("POST", &params, &headers, b"", &client.creds).unwrap();
    let answer = send_raw(
        emulator.addr(),
        "POST",
        "/?ProductKey=a1Other",
        &signed.headers,
        b"",
    )
    .unwrap();
    answer.assert_gateway(400, "SignatureDoesNotMatch");

    // A body that is not the one hashed.
    let answer = send_raw(
        emulator.addr(),
        "POST",
        &format!("/?{}", signed.query),
        &signed.headers,
        b"x",
    )
    .unwrap();
    answer.assert_gateway(400, "SignatureDoesNotMatch");

    // Without the x-acs headers signed.
    let unsigned: Vec<(String, String)> = signed
        .headers
        .iter()
        .map(|(n, v)| {
            if n == "authorization" {
                (n.clone(), v.replace("x-acs-signature-nonce;", ""))
            } else {
                (n.clone(), v.clone())
            }
        })
        .collect();
    let answer = send_raw(
        emulator.addr(),
        "POST",
        &format!("/?{}", signed.query),
        &unsigned,
        b"",
    )
    .unwrap();
    answer.assert_gateway(400, "IncompleteSignature");
}

#[test]
fn a_wrong_signature_names_the_servers_string_to_sign() {
    let emulator = lamp_emulator().start().unwrap();
    let client = Client::with_key(&emulator, KEY_ID, "wrong-secret");
    let all = client.params("QueryThingModel", &[("ProductKey", "温度 *~+/=&%\"😀")]);
    let signed = sign_rpc_v1("GET", all, &client.creds);
    let answer = send_raw(
        emulator.addr(),
        "GET",
        &format!("/?{}", signed.query),
        &[],
        b"",
    )
    .unwrap();
    answer.assert_gateway(400, "SignatureDoesNotMatch");
    let message = answer.json()["Message"].as_str().unwrap().to_string();
    let (_, server) = message.split_once("server string to sign is:").unwrap();
    // Same string to sign on both sides: only the secret differs.
    assert_eq!(server, signed.string_to_sign);

    // With the right secret, the same tricky value passes.
    let client = Client::new(&emulator);
    let answer = client.call("GetThingModelTsl", &[("ProductKey", "温度 *~+/=&%\"😀")]);
    assert!(!answer
        .assert_business("iot.prod.NotExistedProduct")
        .is_empty());
    assert_eq!(
        emulator.requests()[1].param("ProductKey"),
        Some("温度 *~+/=&%\"😀")
    );
}

#[test]
fn a_tampered_parameter_or_signature_is_refused() {
    let emulator = lamp_emulator().start().unwrap();
    let client = Client::new(&emulator);
    let signed = sign_rpc_v1(
        "GET",
        client.params("QueryThingModel", &query_model()),
        &client.creds,
    );
    let tampered = signed
        .query
        .replace("ProductKey=a1StreetLmp", "ProductKey=a1StreetLmq");
    send_raw(emulator.addr(), "GET", &format!("/?{tampered}"), &[], b"")
        .unwrap()
        .assert_gateway(400, "SignatureDoesNotMatch");
    // Signed as GET, sent as POST.
    send_raw(
        emulator.addr(),
        "POST",
        &format!("/?{}", signed.query),
        &[],
        b"",
    )
    .unwrap()
    .assert_gateway(400, "SignatureDoesNotMatch");
}

#[test]
fn timestamps_must_be_well_formed_and_recent() {
    let emulator = lamp_emulator().start().unwrap();
    let client = Client::new(&emulator);
    let with_time = |time: &str| {
        let mut all = CommonParams::new(&client.creds, new_nonce(), time).into_params();
        all.push(("Action".into(), "QueryThingModel".into()));
        all.push(("ProductKey".into(), LAMP.into()));
        client.send_v1("GET", all)
    };
    with_time("2016-02-23T12:46:24Z").assert_gateway(400, "InvalidTimeStamp.Expired");
    let future = time::OffsetDateTime::now_utc() + time::Duration::minutes(16);
    with_time(&tsl_runtime::sign::format_timestamp(future).unwrap())
        .assert_gateway(400, "InvalidTimeStamp.Expired");
    let near = time::OffsetDateTime::now_utc() - time::Duration::minutes(14);
    with_time(&tsl_runtime::sign::format_timestamp(near).unwrap()).assert_success();
    with_time("2016-02-23 12:46:24").assert_gateway(400, "IllegalTimestamp");
    with_time("1456231584").assert_gateway(400, "IllegalTimestamp");
}

#[test]
fn a_nonce_is_used_once() {
    let emulator = lamp_emulator().start().unwrap();
    let client = Client::new(&emulator);
    let mut all = CommonParams::new(&client.creds, "nonce-1", timestamp_now()).into_params();
    all.push(("Action".into(), "QueryThingModel".into()));
    all.push(("ProductKey".into(), LAMP.into()));
    client.send_v1("GET", all.clone()).assert_success();
    let again = client.send_v1("GET", all);
    again.assert_gateway(400, "SignatureNonceUsed");
    assert_eq!(
        again.json()["Message"],
        "Specified signature nonce was used already."
    );
}

#[test]
fn version_action_key_and_required_parameters_are_checked() {
    let emulator = lamp_emulator().start().unwrap();
    let client = Client::new(&emulator);
    let mut all = client.params("QueryThingModel", &query_model());
    for (name, value) in all.iter_mut() {
        if name == "Version" {
            *value = "2017-04-20".to_string();
        }
    }
    client
        .send_v1("GET", all)
        .assert_gateway(400, "InvalidVersion");

    client
        .call("DescribeRegions", &[])
        .assert_gateway(404, "InvalidAction.NotFound");

    let stranger = Client::with_key(&emulator, "unknown-id", SECRET);
    let answer = stranger.call("QueryThingModel", &query_model());
    answer.assert_gateway(404, "InvalidAccessKeyId.NotFound");
    assert_eq!(
        answer.json()["Message"],
        "Specified access key is not found."
    );

    for missing in ["Timestamp", "SignatureNonce", "Version", "AccessKeyId"] {
        let all: Vec<(String, String)> = client
            .params("QueryThingModel", &query_model())
            .into_iter()
            .filter(|(n, _)| n != missing)
            .collect();
        let answer = client.send_v1("GET", all);
        answer.assert_gateway(400, &format!("Missing{missing}"));
    }
    // No signature at all.
    let all = client.params("QueryThingModel", &query_model());
    let query: Vec<String> = all
        .iter()
        .map(|(n, v)| format!("{n}={}", tsl_runtime::sign::percent_encode(v)))
        .collect();
    send_raw(
        emulator.addr(),
        "GET",
        &format!("/?{}", query.join("&")),
        &[],
        b"",
    )
    .unwrap()
    .assert_gateway(400, "MissingSignature");
    // An action's own required parameter.
    client
        .call("QueryThingModel", &[])
        .assert_gateway(400, "MissingProductKey");
    // A path other than `/`.
    let signed = sign_rpc_v1(
        "GET",
        client.params("QueryThingModel", &query_model()),
        &client.creds,
    );
    send_raw(
        emulator.addr(),
        "GET",
        &format!("/v2?{}", signed.query),
        &[],
        b"",
    )
    .unwrap()
    .assert_gateway(404, "InvalidAction.NotFound");
}

#[test]
fn sts_tokens_must_match_the_key() {
    let emulator = lamp_emulator()
        .sts_credentials("STS.id", "sts-secret", "the-token")
        .start()
        .unwrap();
    let with_token = |token: &str| Client {
        addr: emulator.addr(),
        creds: Credentials::new("STS.id", "sts-secret")
            .and_then(|c| c.with_security_token(token))
            .unwrap(),
    };
    with_token("the-token")
        .call("QueryThingModel", &query_model())
        .assert_success();
    with_token("the-token")
        .call_acs3("QueryThingModel", &query_model())
        .assert_success();
    with_token("another-token")
        .call("QueryThingModel", &query_model())
        .assert_gateway(400, "InvalidSecurityToken.MismatchWithAccessKey");
    Client::with_key(&emulator, "STS.id", "sts-secret")
        .call("QueryThingModel", &query_model())
        .assert_gateway(400, "MissingSecurityToken");
    // A long-term key sent with a token.
    Client {
        addr: emulator.addr(),
        creds: Credentials::new(KEY_ID, SECRET)
            .and_then(|c| c.with_security_token("the-token"))
            .unwrap(),
    }
    .call("QueryThingModel", &query_model())
    .assert_gateway(400, "InvalidSecurityToken.MismatchWithAccessKey");
}

#[test]
fn an_instance_id_is_required_when_configured() {
    let emulator = lamp_emulator()
        .iot_instance_id("iot-06z00abc")
        .start()
        .unwrap();
    let client = Client::new(&emulator);
    let message = client
        .call("QueryThingModel", &query_model())
        .assert_business("iot.system.InstanceNotFound");
    assert!(message.contains("IotInstanceId"), "{message}");
    client
        .call(
            "QueryThingModel",
            &[("ProductKey", LAMP), ("IotInstanceId", "iot-other")],
        )
        .assert_business("iot.system.InstanceNotFound");
    client
        .call(
            "QueryThingModel",
            &[("ProductKey", LAMP), ("IotInstanceId", "iot-06z00abc")],
        )
        .assert_success();

    let plain = lamp_emulator().start().unwrap();
    Client::new(&plain)
        .call(
            "QueryThingModel",
            &[("ProductKey", LAMP), ("IotInstanceId", "iot-06z00abc")],
        )
        .assert_business("iot.system.InstanceNotFound");
}

/// N+1 calls within a second: exactly one `Throttling.User`, the last. Retried on a fresh
/// emulator (at most three times) when the machine was too slow to fit the calls in 900 ms.
#[test]
fn the_qps_window_refuses_exactly_the_call_over_the_limit() {
    for _attempt in 0..3 {
        let emulator = lamp_emulator().start().unwrap();
        let client = Client::new(&emulator);
        // QueryThingModel: 10 per second by default.
        let started = Instant::now();
        let answers: Vec<_> = (0..11)
            .map(|_| client.call("QueryThingModel", &query_model()))
            .collect();
        if started.elapsed() > Duration::from_millis(900) {
            continue;
        }
        let throttled: Vec<usize> = answers
            .iter()
            .enumerate()
            .filter(|(_, a)| a.status == 400 && a.code() == "Throttling.User")
            .map(|(i, _)| i)
            .collect();
        assert_eq!(throttled, [10]);
        answers[10].assert_gateway(400, "Throttling.User");
        assert_eq!(
            answers[10].json()["Message"],
            "Request was denied due to user flow control."
        );
        let recorded = emulator.requests();
        assert_eq!(
            recorded
                .iter()
                .filter(|r| r.code() == Some("Throttling.User"))
                .count(),
            1
        );
        // Other actions have windows of their own.
        client
            .call("GetThingModelTsl", &query_model())
            .assert_success();
        // The window slides: a second later the action is admitted again.
        std::thread::sleep(Duration::from_millis(1000));
        client
            .call("QueryThingModel", &query_model())
            .assert_success();
        return;
    }
    panic!("11 calls never fitted in 900 ms");
}

/// A burst from many threads at once: exactly the limit is admitted. Retried (at most
/// three times) when the burst did not fit in 900 ms.
#[test]
fn a_concurrent_burst_admits_exactly_the_limit() {
    for _attempt in 0..3 {
        let emulator = lamp_emulator().start().unwrap();
        let addr = emulator.addr();
        let started = Instant::now();
        // GetThingModelTsl: 20 per second by default.
        let threads: Vec<_> = (0..30)
            .map(|_| {
                std::thread::spawn(move || {
                    let client = Client {
                        addr,
                        creds: Credentials::new(KEY_ID, SECRET).unwrap(),
                    };
                    client.call("GetThingModelTsl", &query_model())
                })
            })
            .collect();
        let answers: Vec<_> = threads.into_iter().map(|t| t.join().unwrap()).collect();
        if started.elapsed() > Duration::from_millis(900) {
            continue;
        }
        let admitted = answers.iter().filter(|a| a.is_success()).count();
        let throttled = answers
            .iter()
            .filter(|a| a.status == 400 && a.code() == "Throttling.User")
            .count();
        assert_eq!((admitted, throttled), (20, 10));
        return;
    }
    panic!("a burst of 30 calls never fitted in 900 ms");
}

#[test]
fn qps_limits_can_be_changed() {
    let emulator = lamp_emulator()
        .qps("GetThingModelTsl", 1)
        .unlimited("QueryThingModel")
        .start()
        .unwrap();
    let client = Client::new(&emulator);
    for _ in 0..25 {
        client
            .call("QueryThingModel", &query_model())
            .assert_success();
    }
    client
        .call("GetThingModelTsl", &query_model())
        .assert_success();
    client
        .call("GetThingModelTsl", &query_model())
        .assert_gateway(400, "Throttling.User");
}

#[test]
fn every_request_is_recorded_decoded_and_raw() {
    let emulator = lamp_emulator().start().unwrap();
    let client = Client::new(&emulator);
    let args = r#"{"Times":3,"Interval":1.5}"#;
    let answer = client.post(
        "InvokeThingService",
        &[
            ("ProductKey", LAMP),
            ("DeviceName", "lamp-1"),
            ("Identifier", "Blink"),
            ("Args", args),
        ],
    );
    answer.assert_success();
    client
        .call("QueryThingModel", &[])
        .assert_gateway(400, "MissingProductKey");
    let recorded = emulator.requests();
    assert_eq!(recorded.len(), 2);
    let first = &recorded[0];
    assert_eq!(first.seq, 0);
    assert_eq!(first.method, "POST");
    assert_eq!(first.action.as_deref(), Some("InvokeThingService"));
    assert_eq!(first.param("Args"), Some(args));
    assert_eq!(first.param("Version"), Some("2018-01-20"));
    assert!(first
        .raw_query
        .contains("Args=%7B%22Times%22%3A3%2C%22Interval%22%3A1.5%7D"));
    assert!(first.raw_query.contains("&Signature="));
    assert_eq!(
        first.outcome,
        Outcome::Answered {
            status: 200,
            request_id: answer.json()["RequestId"].as_str().unwrap().to_string(),
            code: None
        }
    );
    assert_eq!(recorded[1].code(), Some("MissingProductKey"));
    assert!(recorded[0].received_at <= recorded[1].received_at);
    emulator.clear_requests();
    assert!(emulator.requests().is_empty());
}

#[test]
fn injected_faults_answer_the_next_requests_of_an_action() {
    let emulator = lamp_emulator().start().unwrap();
    let client = Client::new(&emulator);
    emulator.inject_fault("QueryThingModel", Fault::Throttle, 1);
    emulator.inject_fault("QueryThingModel", Fault::Status(503), 1);
    emulator.inject_fault("QueryThingModel", Fault::Status(500), 1);
    emulator.inject_fault("QueryThingModel", Fault::MalformedJson, 1);
    // Another action is not affected.
    client
        .call("GetThingModelTsl", &query_model())
        .assert_success();
    client
        .call("QueryThingModel", &query_model())
        .assert_gateway(400, "Throttling.User");
    client
        .call("QueryThingModel", &query_model())
        .assert_gateway(503, "ServiceUnavailable");
    client
        .call("QueryThingModel", &query_model())
        .assert_gateway(500, "InternalError");
    let malformed = client.call("QueryThingModel", &query_model());
    assert_eq!(malformed.status, 200);
    assert!(serde_json::from_str::<serde_json::Value>(&malformed.body).is_err());
    client
        .call("QueryThingModel", &query_model())
        .assert_success();

    let delay = Duration::from_millis(300);
    emulator.inject_fault_any(Fault::Delay(delay), 1);
    let started = Instant::now();
    client
        .call("QueryThingModel", &query_model())
        .assert_success();
    assert!(started.elapsed() >= delay);

    let signed = sign_rpc_v1(
        "GET",
        client.params("QueryThingModel", &query_model()),
        &client.creds,
    );
    emulator.inject_fault("QueryThingModel", Fault::Reset, 1);
    let reset = send_raw(
        emulator.addr(),
        "GET",
        &format!("/?{}", signed.query),
        &[],
        b"",
    )
    .unwrap_err();
    assert_eq!(reset.kind(), ErrorKind::ConnectionReset, "{reset}");
    emulator.inject_fault("QueryThingModel", Fault::Close, 1);
    let signed = sign_rpc_v1(
        "GET",
        client.params("QueryThingModel", &query_model()),
        &client.creds,
    );
    let closed = send_raw(
        emulator.addr(),
        "GET",
        &format!("/?{}", signed.query),
        &[],
        b"",
    )
    .unwrap_err();
    assert_eq!(closed.kind(), ErrorKind::UnexpectedEof, "{closed}");

    // The emulator records a dropped request as it drops the connection, so the client can
    // see the drop a moment before the record is there: wait for it, boundedly.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    let outcomes = loop {
        let outcomes: Vec<Outcome> = emulator.requests().into_iter().map(|r| r.outcome).collect();
        let recorded = outcomes
            .iter()
            .filter(|o| matches!(o, Outcome::Dropped { .. }))
            .count();
        if recorded >= 2 || std::time::Instant::now() >= deadline {
            break outcomes;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    };
    assert_eq!(
        &outcomes[outcomes.len() - 2..],
        [
            Outcome::Dropped { reset: true },
            Outcome::Dropped { reset: false }
        ]
    );
    emulator.inject_fault_any(Fault::Status(503), 5);
    emulator.clear_faults();
    client
        .call("QueryThingModel", &query_model())
        .assert_success();
}

#[test]
fn only_loopback_is_bound() {
    let any: SocketAddr = "0.0.0.0:0".parse().unwrap();
    assert!(matches!(
        lamp_emulator().bind(any).start(),
        Err(EmulatorError::NotLoopback(_))
    ));
    let v6: SocketAddr = "[::1]:0".parse().unwrap();
    assert!(matches!(
        lamp_emulator().bind(v6).start(),
        Err(EmulatorError::NotLoopback(_))
    ));
    let emulator = lamp_emulator().start().unwrap();
    assert!(emulator.addr().ip().is_loopback());
    assert_eq!(emulator.endpoint(), format!("http://{}/", emulator.addr()));
}

#[test]
fn shutdown_and_drop_free_the_port() {
    let emulator = lamp_emulator().start().unwrap();
    let addr = emulator.addr();
    Client::new(&emulator)
        .call("QueryThingModel", &query_model())
        .assert_success();
    emulator.shutdown();
    assert!(std::net::TcpStream::connect_timeout(&addr, Duration::from_secs(1)).is_err());
    // The same port can be taken again at once.
    let again = lamp_emulator().port(addr.port()).start().unwrap();
    let addr = again.addr();
    drop(again);
    assert!(std::net::TcpStream::connect_timeout(&addr, Duration::from_secs(1)).is_err());
}

#[test]
fn the_configuration_is_checked_at_start() {
    let no_key = tsl_runtime::model::Model {
        product_key: None,
        modules: lamp_model().modules,
    };
    assert!(matches!(
        Emulator::new().model(no_key.clone()).start(),
        Err(EmulatorError::NoProductKey)
    ));
    assert!(Emulator::new().model_for("a1Other", no_key).start().is_ok());
    assert!(matches!(
        lamp_emulator()
            .device(tsl_runtime::emulator::Device::new("a1Nope", "x"))
            .start(),
        Err(EmulatorError::UnknownProduct { .. })
    ));
    assert!(matches!(
        lamp_emulator()
            .device(tsl_runtime::emulator::Device::new(LAMP, "lamp-1"))
            .start(),
        Err(EmulatorError::DuplicateDevice(_))
    ));
    assert!(matches!(
        Emulator::new()
            .model_files(LAMP, &[model_path("missing.json")])
            .start(),
        Err(EmulatorError::Model { .. })
    ));
    // Two default modules of one product do not combine.
    assert!(matches!(
        Emulator::new()
            .model(lamp_model())
            .model(lamp_model())
            .start(),
        Err(EmulatorError::Model { .. })
    ));
    let debug = format!(
        "{:?}",
        lamp_emulator().sts_credentials("STS.x", "hidden-secret", "hidden-token")
    );
    assert!(
        !debug.contains("hidden-secret") && !debug.contains("hidden-token"),
        "{debug}"
    );
    assert!(!debug.contains(SECRET), "{debug}");
}
