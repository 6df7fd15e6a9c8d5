//! What the API gateway checks before an action runs, in its order: required common
//! parameters, `Version`, the action, the timestamp, the key, the signature (V1 or ACS3),
//! the STS token, the nonce, the action's QPS, and `IotInstanceId`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use time::{Date, Month, OffsetDateTime, PrimitiveDateTime, Time};

use super::actions::{self, ACTIONS};
use super::answer::Refusal;
use super::params::Params;
use super::signature::{self, ACS3};
use super::state::{lock, Credential, Shared};

/// The API version the emulator serves.
pub const API_VERSION: &str = "2018-01-20";

/// A request as the server read it.
pub(crate) struct Incoming {
    pub method: String,
    pub raw_query: String,
    pub body: Vec<u8>,
    /// Lower-case names, in the order received.
    pub headers: Vec<(String, String)>,
}

impl Incoming {
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The ACS3 `Authorization` header, when the request carries one.
    pub(crate) fn acs3_authorization(&self) -> Option<&str> {
        self.header("authorization")
            .filter(|value| value.trim_start().starts_with(ACS3))
    }

    /// The action asked for: the `Action` parameter (V1) or `x-acs-action` (ACS3).
    pub(crate) fn action<'a>(&'a self, params: &'a Params) -> Option<&'a str> {
        if self.acs3_authorization().is_some() {
            self.header("x-acs-action")
        } else {
            params.get("Action")
        }
    }
}

/// Reads the query and a form body into parameters.
pub(crate) fn decode(incoming: &Incoming) -> Result<Params, Refusal> {
    signature::decode_parts(
        &incoming.raw_query,
        incoming.header("content-type"),
        &incoming.body,
    )
    .map(Params::new)
}

/// Runs every gateway check, then the action.
pub(crate) async fn handle(
    shared: &Arc<Shared>,
    incoming: &Incoming,
    params: &Params,
    reached: &mut Vec<String>,
) -> Result<super::answer::Success, Refusal> {
    let action = match incoming.acs3_authorization() {
        Some(authorization) => check_acs3(shared, incoming, params, authorization)?,
        None => check_v1(shared, incoming, params)?,
    };
    if !lock(&shared.throttle).admit(action, Instant::now()) {
        return Err(Refusal::throttled());
    }
    check_instance(shared, params)?;
    actions::run(shared, action, params, reached).await
}

/// Signature V1: everything in the parameters. Returns the action.
fn check_v1<'a>(
    shared: &Shared,
    incoming: &Incoming,
    params: &'a Params,
) -> Result<&'a str, Refusal> {
    for name in [
        "Action",
        "Version",
        "AccessKeyId",
        "Signature",
        "SignatureMethod",
        "SignatureVersion",
        "SignatureNonce",
        "Timestamp",
    ] {
        if params.get(name).is_none_or(str::is_empty) {
            return Err(Refusal::missing(name));
        }
    }
    let get = |name| params.get(name).unwrap_or_default();
    let action = known_action(get("Action"))?;
    check_version(get("Version"))?;
    if let Some(format) = params.get("Format") {
        if !format.eq_ignore_ascii_case("JSON") {
            return Err(Refusal::gateway(
                400,
                "InvalidParameter",
                format!("Format `{format}`: the emulator answers JSON only; send Format=JSON."),
            ));
        }
    }
    if get("SignatureMethod") != "HMAC-SHA1" {
        return Err(Refusal::gateway(
            400,
            "InvalidSignatureMethod",
            "Specified signature method is not supported: only HMAC-SHA1.",
        ));
    }
    if get("SignatureVersion") != "1.0" {
        return Err(Refusal::gateway(
            400,
            "InvalidSignatureVersion",
            "Specified signature version is not supported: only 1.0.",
        ));
    }
    check_timestamp(shared, get("Timestamp"), "Timestamp")?;
    let credential = credential(shared, get("AccessKeyId"))?;
    let string_to_sign = signature::v1_string_to_sign(&incoming.method, params.pairs());
    let expected = signature::v1_signature(&credential.secret, &string_to_sign);
    if expected != get("Signature") {
        return Err(signature_mismatch(&string_to_sign, None));
    }
    check_token(credential, params.get("SecurityToken"))?;
    check_nonce(shared, get("SignatureNonce"))?;
    Ok(action)
}

/// ACS3-HMAC-SHA256: the common values in `x-acs-*` headers. Returns the action.
fn check_acs3<'a>(
    shared: &Shared,
    incoming: &'a Incoming,
    params: &Params,
    authorization: &str,
) -> Result<&'a str, Refusal> {
    let incomplete = |why: String| {
        Refusal::gateway(
            400,
            "IncompleteSignature",
            format!("The request signature does not conform to Aliyun standards: {why}."),
        )
    };
    let auth = signature::parse_acs3_authorization(authorization).ok_or_else(|| {
        incomplete(format!(
            "the Authorization header is not `{ACS3} Credential=..,SignedHeaders=..,Signature=..`"
        ))
    })?;
    for (header, name) in [
        ("x-acs-action", "Action"),
        ("x-acs-version", "Version"),
        ("x-acs-signature-nonce", "SignatureNonce"),
        ("x-acs-date", "Timestamp"),
        ("x-acs-content-sha256", "ContentSha256"),
        ("host", "Host"),
    ] {
        if incoming.header(header).is_none_or(str::is_empty) {
            return Err(Refusal::missing(name));
        }
        if !auth.signed_headers.iter().any(|h| h == header) {
            return Err(incomplete(format!("the header `{header}` must be signed")));
        }
    }
    let header = |name| incoming.header(name).unwrap_or_default();
    let action = known_action(header("x-acs-action"))?;
    check_version(header("x-acs-version"))?;
    check_timestamp(shared, header("x-acs-date"), "x-acs-date")?;
    let credential = credential(shared, &auth.access_key_id)?;
    let payload_hash = signature::sha256_hex(&incoming.body);
    if !header("x-acs-content-sha256").eq_ignore_ascii_case(&payload_hash) {
        return Err(Refusal::gateway(
            400,
            "SignatureDoesNotMatch",
            format!(
                "x-acs-content-sha256 is not the SHA-256 of the body; server hash is:{payload_hash}"
            ),
        ));
    }
    let query = signature::decode_form(&incoming.raw_query).map_err(|e| {
        Refusal::gateway(
            400,
            "InvalidParameter",
            format!("`{}` is not UTF-8.", e.piece),
        )
    })?;
    let (canonical, string_to_sign) = signature::acs3_string_to_sign(
        &incoming.method,
        &query,
        &incoming.headers,
        &auth.signed_headers,
        header("x-acs-content-sha256"),
    );
    if signature::acs3_signature(&credential.secret, &string_to_sign) != auth.signature {
        return Err(signature_mismatch(&string_to_sign, Some(&canonical)));
    }
    let token = incoming
        .header("x-acs-security-token")
        .or_else(|| params.get("SecurityToken"));
    check_token(credential, token)?;
    check_nonce(shared, header("x-acs-signature-nonce"))?;
    Ok(action)
}

fn known_action(action: &str) -> Result<&str, Refusal> {
    if ACTIONS.contains(&action) {
        Ok(action)
    } else {
        Err(Refusal::gateway(
            404,
            "InvalidAction.NotFound",
            format!(
                "Specified api is not found, please check your url and method. (Action `{action}`)"
            ),
        ))
    }
}

fn check_version(version: &str) -> Result<(), Refusal> {
    if version == API_VERSION {
        Ok(())
    } else {
        Err(Refusal::gateway(
            400,
            "InvalidVersion",
            format!("Specified parameter Version is not valid: `{version}` (the IoT API is {API_VERSION})."),
        ))
    }
}

/// `yyyy-MM-ddTHH:mm:ssZ` in UTC, at most the skew away from now.
fn check_timestamp(shared: &Shared, text: &str, name: &str) -> Result<(), Refusal> {
    let Some(time) = parse_timestamp(text) else {
        return Err(Refusal::gateway(
            400,
            "IllegalTimestamp",
            format!("Specified parameter {name} is not valid: `{text}` is not yyyy-MM-ddTHH:mm:ssZ (UTC)."),
        ));
    };
    let now = OffsetDateTime::now_utc() + shared.config.clock_ahead;
    let skew = (now - time).unsigned_abs();
    if skew > shared.config.timestamp_skew {
        return Err(Refusal::gateway(
            400,
            "InvalidTimeStamp.Expired",
            format!(
                "Specified time stamp or date value is expired. ({text} is {}s from the server's clock)",
                skew.as_secs()
            ),
        ));
    }
    Ok(())
}

/// Reads `2016-02-23T12:46:24Z`.
pub(crate) fn parse_timestamp(text: &str) -> Option<OffsetDateTime> {
    let b = text.as_bytes();
    if b.len() != 20 || b[4] != b'-' || b[7] != b'-' || b[10] != b'T' || b[13] != b':' {
        return None;
    }
    if b[16] != b':' || b[19] != b'Z' {
        return None;
    }
    let number = |range: std::ops::Range<usize>| -> Option<u32> {
        let part = text.get(range)?;
        part.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| part.parse().ok())
            .flatten()
    };
    let year = i32::try_from(number(0..4)?).ok()?;
    let month = Month::try_from(u8::try_from(number(5..7)?).ok()?).ok()?;
    let day = u8::try_from(number(8..10)?).ok()?;
    let date = Date::from_calendar_date(year, month, day).ok()?;
    let time = Time::from_hms(
        u8::try_from(number(11..13)?).ok()?,
        u8::try_from(number(14..16)?).ok()?,
        u8::try_from(number(17..19)?).ok()?,
    )
    .ok()?;
    Some(PrimitiveDateTime::new(date, time).assume_utc())
}

fn credential<'a>(shared: &'a Shared, access_key_id: &str) -> Result<&'a Credential, Refusal> {
    shared.config.credentials.get(access_key_id).ok_or_else(|| {
        Refusal::gateway(
            404,
            "InvalidAccessKeyId.NotFound",
            "Specified access key is not found.",
        )
    })
}

fn signature_mismatch(string_to_sign: &str, canonical: Option<&str>) -> Refusal {
    let mut message = format!(
        "Specified signature is not matched with our calculation. server string to sign is:{string_to_sign}"
    );
    if let Some(canonical) = canonical {
        message.push_str(" server canonical request is:");
        message.push_str(canonical);
    }
    Refusal::gateway(400, "SignatureDoesNotMatch", message)
}

fn check_token(credential: &Credential, sent: Option<&str>) -> Result<(), Refusal> {
    match (&credential.token, sent) {
        (None, None) => Ok(()),
        (Some(expected), Some(sent)) if expected == sent => Ok(()),
        (Some(_), None) => Err(Refusal::missing("SecurityToken")),
        (None, Some(_)) => Err(Refusal::gateway(
            400,
            "InvalidSecurityToken.MismatchWithAccessKey",
            "Specified SecurityToken mismatch with the AccessKey: the key is not an STS key.",
        )),
        (Some(_), Some(_)) => Err(Refusal::gateway(
            400,
            "InvalidSecurityToken.MismatchWithAccessKey",
            "Specified SecurityToken mismatch with the AccessKey.",
        )),
    }
}

fn check_nonce(shared: &Shared, nonce: &str) -> Result<(), Refusal> {
    // A nonce older than this could not pass the timestamp check again anyway.
    let keep = shared.config.timestamp_skew * 2 + Duration::from_secs(60);
    if lock(&shared.nonces).first_use(nonce, Instant::now(), keep) {
        Ok(())
    } else {
        Err(Refusal::gateway(
            400,
            "SignatureNonceUsed",
            "Specified signature nonce was used already.",
        ))
    }
}

fn check_instance(shared: &Shared, params: &Params) -> Result<(), Refusal> {
    let sent = params.get("IotInstanceId").filter(|s| !s.is_empty());
    match (&shared.config.iot_instance_id, sent) {
        (None, None) => Ok(()),
        (Some(expected), Some(sent)) if expected == sent => Ok(()),
        (Some(expected), None) => Err(Refusal::business(
            "iot.system.InstanceNotFound",
            format!("IotInstanceId is required: this instance has the ID `{expected}`."),
        )),
        (_, Some(sent)) => Err(Refusal::business(
            "iot.system.InstanceNotFound",
            format!("The instance `{sent}` does not exist."),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_read_only_in_the_documented_form() {
        let t = parse_timestamp("2016-02-23T12:46:24Z").unwrap();
        assert_eq!(t.unix_timestamp(), 1_456_231_584);
        for bad in [
            "2016-02-23T12:46:24",
            "2016-02-23 12:46:24Z",
            "2016-02-30T12:46:24Z",
            "2016-02-23T24:00:00Z",
            "2016-02-23T12:46:24.000Z",
            "+016-02-23T12:46:24Z",
            "2016-2-023T12:46:24Z",
            "",
        ] {
            assert!(parse_timestamp(bad).is_none(), "{bad}");
        }
    }
}
