//! Signature V1 (`HMAC-SHA1`, `SignatureVersion=1.0`): the string to sign, the signature,
//! the signed query, and the common parameters every request carries.

use std::fmt;

use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha1::Sha1;

#[cfg(doc)]
use super::canonical_query;
use super::encode::{encode_sorted, encode_v1, encoded_len, push_encoded, Param};
use super::{keyed, redact, Credentials, Secret, SIGNATURE};
use super::{new_nonce, timestamp_now};
use super::{DEFAULT_API_VERSION, DEFAULT_FORMAT, SIGNATURE_METHOD_V1, SIGNATURE_VERSION_V1};

/// The query parameter that carries an STS token; redacted from `Debug` output.
const SECURITY_TOKEN: &str = "SecurityToken";

/// The V1 StringToSign: `METHOD&%2F&` + `percent_encode(canonical)`. `method` is used as
/// given (upper case, as sent); `%2F` is the encoded path `/` of every RPC call.
pub fn string_to_sign(method: &str, canonical: &str) -> String {
    const PATH: &str = "&%2F&";
    let mut out = String::with_capacity(method.len() + PATH.len() + encoded_len(canonical));
    out.push_str(method);
    out.push_str(PATH);
    push_encoded(&mut out, canonical);
    out
}

/// The V1 signature: Base64(HMAC-SHA1(key = secret + `"&"`, string_to_sign)).
pub fn sign_v1(secret: &Secret, string_to_sign: &str) -> String {
    let mut mac = keyed::<Hmac<Sha1>, Sha1>(&[secret.expose().as_bytes(), b"&"]);
    mac.update(string_to_sign.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// A request signed with signature V1.
#[derive(Clone, PartialEq, Eq)]
pub struct SignedRequest {
    /// The HTTP method that was signed.
    pub method: String,
    /// The whole query string to send after `/?`: the canonical query, then
    /// `&Signature=<percent-encoded signature>`.
    pub query: String,
    /// What was signed; compare it with the server's string in a `SignatureDoesNotMatch`
    /// message: if they are equal, the secret is wrong.
    pub string_to_sign: String,
    /// The Base64 signature, before percent-encoding.
    pub signature: String,
}

impl fmt::Debug for SignedRequest {
    /// Shows an STS token as `***`; the other parameters are not secret.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let token = format!("{SECURITY_TOKEN}=");
        let token_in_sts = format!("{SECURITY_TOKEN}%3D");
        // The canonical query is double-encoded in the string to sign: `&` is `%26`, `=` `%3D`.
        let string_to_sign = match self.string_to_sign.split_once("&%2F&") {
            Some((method, rest)) => {
                format!("{method}&%2F&{}", redact(rest, "%26", &token_in_sts))
            }
            None => self.string_to_sign.clone(),
        };
        f.debug_struct("SignedRequest")
            .field("method", &self.method)
            .field("query", &redact(&self.query, "&", &token))
            .field("string_to_sign", &string_to_sign)
            .field("signature", &self.signature)
            .finish()
    }
}

/// Signs an RPC request with signature V1 and appends `Signature`.
///
/// `params` is every parameter the request sends ([`CommonParams`] plus the action's own,
/// `Action` among them); a `Signature` already in it is left out, since it would be stale.
/// Pass the vector or a reference to it: the parameters are sorted by reference, never
/// copied, and a caller that keeps them does not pay for freeing them here.
///
/// The result equals [`canonical_query`], [`string_to_sign`] and [`sign_v1`] composed (a
/// property test holds them to it), but the canonical query and the string to sign are
/// written together in one pass into buffers sized exactly beforehand.
pub fn sign_rpc_v1(
    method: &str,
    params: impl AsRef<[(String, String)]>,
    creds: &Credentials,
) -> SignedRequest {
    let params = params.as_ref();
    sign_sorted(
        method,
        params.len(),
        params.iter().map(|(name, value)| Param::new(name, value)),
        creds,
    )
}

/// [`sign_rpc_v1`] over borrowed pairs: what a client that holds the request's fields signs
/// without copying each of them into a `String` first (those copies cost more than the
/// signature). [`CommonParams::pairs`] gives the common parameters in this form.
pub fn sign_rpc_v1_pairs(
    method: &str,
    params: &[(&str, &str)],
    creds: &Credentials,
) -> SignedRequest {
    sign_sorted(
        method,
        params.len(),
        params.iter().map(|&(name, value)| Param::new(name, value)),
        creds,
    )
}

fn sign_sorted<'a>(
    method: &str,
    len: usize,
    params: impl Iterator<Item = Param<'a>>,
    creds: &Credentials,
) -> SignedRequest {
    // "&Signature=" and 28 Base64 characters, each possibly encoded to three.
    const SIGNATURE_ROOM: usize = 1 + SIGNATURE.len() + 1 + 28 * 3;
    // Sized up front: `filter` hides the length from `collect`, which would grow the vector.
    let mut sorted: Vec<Param<'_>> = Vec::with_capacity(len);
    sorted.extend(params.filter(|param| param.name != SIGNATURE));
    sorted.sort_unstable_by(Param::order);
    // The canonical query is also the query that is sent: what is signed is what goes out.
    let (mut query, string_to_sign) = encode_v1(method, &mut sorted, SIGNATURE_ROOM)
        .unwrap_or_else(|| {
            let pairs = sorted.iter().map(|param| (param.name, param.value));
            let canonical = encode_sorted(pairs, SIGNATURE_ROOM);
            let sts = string_to_sign(method, &canonical);
            (canonical, sts)
        });
    let signature = sign_v1(&creds.access_key_secret, &string_to_sign);
    if !query.is_empty() {
        query.push('&');
    }
    query.push_str(SIGNATURE);
    query.push('=');
    push_encoded(&mut query, &signature);
    SignedRequest {
        method: method.to_string(),
        query,
        string_to_sign,
        signature,
    }
}

/// Alibaba's common request parameters for signature V1 (Common-doc; `docs/platform.md` §5.2):
/// `Format`, `Version`, `AccessKeyId`, `SignatureMethod`, `SignatureVersion`,
/// `SignatureNonce`, `Timestamp`, `SecurityToken` for STS credentials, and `RegionId` when
/// set. `Action` and the action's parameters are the caller's.
#[derive(Debug, Clone)]
pub struct CommonParams {
    access_key_id: String,
    security_token: Option<Secret>,
    nonce: String,
    timestamp: String,
    version: String,
    format: String,
    region_id: Option<String>,
}

impl CommonParams {
    /// Common parameters with the given nonce and timestamp (see [`new_nonce`] and
    /// [`timestamp_now`]), `Version` [`DEFAULT_API_VERSION`] and `Format`
    /// [`DEFAULT_FORMAT`].
    pub fn new(
        creds: &Credentials,
        nonce: impl Into<String>,
        timestamp: impl Into<String>,
    ) -> CommonParams {
        CommonParams {
            access_key_id: creds.access_key_id.clone(),
            security_token: creds.security_token.clone(),
            nonce: nonce.into(),
            timestamp: timestamp.into(),
            version: DEFAULT_API_VERSION.to_string(),
            format: DEFAULT_FORMAT.to_string(),
            region_id: None,
        }
    }

    /// Common parameters with a fresh nonce and the current time: for a request about to be
    /// sent (the gateway refuses old timestamps and reused nonces).
    pub fn fresh(creds: &Credentials) -> CommonParams {
        CommonParams::new(creds, new_nonce(), timestamp_now())
    }

    /// Another API `Version`.
    #[must_use]
    pub fn version(mut self, version: impl Into<String>) -> CommonParams {
        self.version = version.into();
        self
    }

    /// Another response `Format` (`XML`).
    #[must_use]
    pub fn format(mut self, format: impl Into<String>) -> CommonParams {
        self.format = format.into();
        self
    }

    /// Adds `RegionId`: Common-doc calls it required, the tea SDK omits it, the core SDK
    /// sends it.
    #[must_use]
    pub fn region_id(mut self, region_id: impl Into<String>) -> CommonParams {
        self.region_id = Some(region_id.into());
        self
    }

    /// The parameters, ready for the action's own to be added.
    pub fn into_params(self) -> Vec<(String, String)> {
        let mut params = Vec::with_capacity(9);
        self.append_to(&mut params);
        params
    }

    /// The parameters as borrowed pairs, for [`sign_rpc_v1_pairs`]: `Format`, `Version`,
    /// `AccessKeyId`, `SignatureMethod`, `SignatureVersion`, `SignatureNonce`, `Timestamp`,
    /// then `SecurityToken` and `RegionId` when set.
    pub fn pairs(&self) -> impl Iterator<Item = (&str, &str)> + '_ {
        [
            ("Format", self.format.as_str()),
            ("Version", self.version.as_str()),
            ("AccessKeyId", self.access_key_id.as_str()),
            ("SignatureMethod", SIGNATURE_METHOD_V1),
            ("SignatureVersion", SIGNATURE_VERSION_V1),
            ("SignatureNonce", self.nonce.as_str()),
            ("Timestamp", self.timestamp.as_str()),
        ]
        .into_iter()
        .chain(
            self.security_token
                .as_ref()
                .map(|token| (SECURITY_TOKEN, token.expose())),
        )
        .chain(self.region_id.as_deref().map(|region| ("RegionId", region)))
    }

    /// Appends the parameters to `params`.
    pub fn append_to(self, params: &mut Vec<(String, String)>) {
        let pair = |name: &str, value: String| (name.to_string(), value);
        params.push(pair("Format", self.format));
        params.push(pair("Version", self.version));
        params.push(pair("AccessKeyId", self.access_key_id));
        params.push(pair("SignatureMethod", SIGNATURE_METHOD_V1.to_string()));
        params.push(pair("SignatureVersion", SIGNATURE_VERSION_V1.to_string()));
        params.push(pair("SignatureNonce", self.nonce));
        params.push(pair("Timestamp", self.timestamp));
        if let Some(token) = self.security_token {
            params.push(pair(SECURITY_TOKEN, token.0));
        }
        if let Some(region_id) = self.region_id {
            params.push(pair("RegionId", region_id));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sign::testing::*;
    use crate::sign::{canonical_query, percent_encode};
    use proptest::prelude::*;

    /// Alibaba's ECS `DescribeRegions` example (`docs/platform.md` §5.3), with the time parameter
    /// named as given.
    fn describe_regions(time_param: &str) -> Vec<(String, String)> {
        pairs(&[
            ("AccessKeyId", "testid"),
            ("Action", "DescribeRegions"),
            ("Format", "XML"),
            ("SignatureMethod", "HMAC-SHA1"),
            ("SignatureNonce", "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf"),
            ("SignatureVersion", "1.0"),
            (time_param, "2016-02-23T12:46:24Z"),
            ("Version", "2014-05-26"),
        ])
    }

    #[test]
    fn sign_published_example_timestamp_capital_s() {
        let signed = sign_rpc_v1("GET", describe_regions("TimeStamp"), &test_creds());
        assert_eq!(
            signed.string_to_sign,
            "GET&%2F&AccessKeyId%3Dtestid%26Action%3DDescribeRegions%26Format%3DXML\
             %26SignatureMethod%3DHMAC-SHA1%26SignatureNonce%3D3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf\
             %26SignatureVersion%3D1.0%26TimeStamp%3D2016-02-23T12%253A46%253A24Z\
             %26Version%3D2014-05-26"
        );
        assert_eq!(signed.signature, "CT9X0VtwR86fNWSnsc6v8YGOjuE=");
        assert!(signed
            .query
            .ends_with("&Signature=CT9X0VtwR86fNWSnsc6v8YGOjuE%3D"));
    }

    #[test]
    fn sign_published_example_timestamp() {
        let signed = sign_rpc_v1("GET", describe_regions("Timestamp"), &test_creds());
        assert_eq!(signed.signature, "OLeaidS1JvxuMvnyHOwuJ+uX5qY=");
        assert_eq!(
            signed.query,
            "AccessKeyId=testid&Action=DescribeRegions&Format=XML&SignatureMethod=HMAC-SHA1\
             &SignatureNonce=3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf&SignatureVersion=1.0\
             &Timestamp=2016-02-23T12%3A46%3A24Z&Version=2014-05-26\
             &Signature=OLeaidS1JvxuMvnyHOwuJ%2BuX5qY%3D"
        );
    }

    #[test]
    fn sign_building_blocks_match_sign_rpc_v1() {
        let params = describe_regions("Timestamp");
        let canonical = canonical_query(&params);
        let sts = string_to_sign("GET", &canonical);
        // By reference (the caller keeps the parameters) or by value: the same request.
        let signed = sign_rpc_v1("GET", &params, &test_creds());
        assert_eq!(signed, sign_rpc_v1("GET", params, &test_creds()));
        assert_eq!(sts, signed.string_to_sign);
        assert_eq!(sign_v1(&Secret::new("testsecret"), &sts), signed.signature);
        assert_eq!(
            signed.query,
            format!("{canonical}&Signature=OLeaidS1JvxuMvnyHOwuJ%2BuX5qY%3D")
        );
    }

    /// Common parameters of the own cases.
    fn pub_params() -> Vec<(String, String)> {
        pairs(&[
            ("AccessKeyId", "testid"),
            ("Action", "Pub"),
            ("Format", "JSON"),
            ("SignatureMethod", "HMAC-SHA1"),
            ("SignatureNonce", "c0ffee00-0000-4000-8000-000000000001"),
            ("SignatureVersion", "1.0"),
            ("Timestamp", "2016-02-23T12:46:24Z"),
            ("Version", "2018-01-20"),
        ])
    }

    #[test]
    fn sign_own_case_special_characters() {
        let mut params = pub_params();
        params.extend(pairs(&[
            ("Text", "温度 传感器"),
            ("Emoji", "🌡️🔥"),
            ("Special", "+*~/=&%"),
            ("Quote", "He said \"hi\" & 'bye'"),
            ("Key", ""),
            ("Args", "{\"temp\":25.5,\"on\":1}"),
        ]));
        // Python reference (module comment).
        let canonical = "AccessKeyId=testid&Action=Pub\
            &Args=%7B%22temp%22%3A25.5%2C%22on%22%3A1%7D\
            &Emoji=%F0%9F%8C%A1%EF%B8%8F%F0%9F%94%A5&Format=JSON&Key=\
            &Quote=He%20said%20%22hi%22%20%26%20%27bye%27&SignatureMethod=HMAC-SHA1\
            &SignatureNonce=c0ffee00-0000-4000-8000-000000000001&SignatureVersion=1.0\
            &Special=%2B%2A~%2F%3D%26%25&Text=%E6%B8%A9%E5%BA%A6%20%E4%BC%A0%E6%84%9F%E5%99%A8\
            &Timestamp=2016-02-23T12%3A46%3A24Z&Version=2018-01-20";
        let sts = "POST&%2F&AccessKeyId%3Dtestid%26Action%3DPub\
            %26Args%3D%257B%2522temp%2522%253A25.5%252C%2522on%2522%253A1%257D\
            %26Emoji%3D%25F0%259F%258C%25A1%25EF%25B8%258F%25F0%259F%2594%25A5%26Format%3DJSON\
            %26Key%3D%26Quote%3DHe%2520said%2520%2522hi%2522%2520%2526%2520%2527bye%2527\
            %26SignatureMethod%3DHMAC-SHA1%26SignatureNonce%3Dc0ffee00-0000-4000-8000-000000000001\
            %26SignatureVersion%3D1.0%26Special%3D%252B%252A~%252F%253D%2526%2525\
            %26Text%3D%25E6%25B8%25A9%25E5%25BA%25A6%2520%25E4%25BC%25A0%25E6%2584%259F%25E5%2599%25A8\
            %26Timestamp%3D2016-02-23T12%253A46%253A24Z%26Version%3D2018-01-20";
        assert_eq!(canonical_query(&params), canonical);
        let signed = sign_rpc_v1("POST", params, &test_creds());
        assert_eq!(signed.string_to_sign, sts);
        assert_eq!(signed.signature, "G7qnOL4i4RtXqyqTxDkSu7AswoA=");
        assert_eq!(
            signed.query,
            format!("{canonical}&Signature=G7qnOL4i4RtXqyqTxDkSu7AswoA%3D")
        );
    }

    #[test]
    fn sign_hundred_device_names_sort_by_code_point() {
        let mut params = pairs(&[
            ("Action", "InvokeThingsService"),
            ("ProductKey", "a1B2c3D4e5F"),
            ("Identifier", "reboot"),
            ("Args", "{}"),
        ]);
        params.extend((1..=100).map(|n| (format!("DeviceName.{n}"), format!("dev-{n}"))));
        let canonical = canonical_query(&params);
        let names: Vec<&str> = canonical
            .split('&')
            .map(|pair| pair.split('=').next().unwrap_or_default())
            .collect();
        assert_eq!(
            &names[..6],
            [
                "Action",
                "Args",
                "DeviceName.1",
                "DeviceName.10",
                "DeviceName.100",
                "DeviceName.11"
            ]
        );
        let position = |name: &str| names.iter().position(|n| *n == name).unwrap();
        assert!(position("DeviceName.1") < position("DeviceName.10"));
        assert!(position("DeviceName.10") < position("DeviceName.2"));
        assert!(position("DeviceName.99") < position("Identifier"));
        assert_eq!(names.len(), 104);
        let signed = sign_rpc_v1("POST", params, &test_creds());
        // Python reference (module comment); the string to sign is 2590 bytes.
        assert_eq!(signed.string_to_sign.len(), 2590);
        assert_eq!(signed.signature, "MclgI3FQ2rC9fz2oj4khX1501ig=");
    }

    #[test]
    fn sign_excludes_and_replaces_a_stale_signature() {
        let mut params = describe_regions("Timestamp");
        params.push(("Signature".to_string(), "stale".to_string()));
        assert!(!canonical_query(&params).contains("stale"));
        let signed = sign_rpc_v1("GET", params, &test_creds());
        assert_eq!(signed.signature, "OLeaidS1JvxuMvnyHOwuJ+uX5qY=");
        assert_eq!(signed.query.matches("Signature=").count(), 1);
    }

    #[test]
    fn sign_without_params_has_no_leading_ampersand() {
        let signed = sign_rpc_v1("GET", Vec::new(), &test_creds());
        assert_eq!(signed.string_to_sign, "GET&%2F&");
        assert!(signed.query.starts_with("Signature="));
    }

    #[test]
    fn sign_long_secret_is_hashed_into_the_key() {
        // A 100-byte secret is longer than SHA-1's 64-byte block. Python reference.
        let secret = Secret::new("k".repeat(100));
        let sts = string_to_sign("GET", &canonical_query(&pub_params()));
        assert_eq!(sign_v1(&secret, &sts), "bwjBFlnT3PczWtihio/Jahmnhj4=");
    }

    #[test]
    fn sign_signed_request_debug_hides_sts_token() {
        let creds = test_creds().with_security_token("CAIS-sts-token").unwrap();
        let params = CommonParams::new(&creds, "nonce", "2016-02-23T12:46:24Z").into_params();
        let signed = sign_rpc_v1("POST", params, &creds);
        assert!(signed.query.contains("SecurityToken=CAIS-sts-token"));
        let debug = format!("{signed:?}");
        assert!(!debug.contains("CAIS-sts-token"), "{debug}");
        assert!(debug.contains("SecurityToken=***"));
        assert!(debug.contains("SecurityToken%3D***"));
    }

    #[test]
    fn sign_borrowed_pairs_sign_the_same_request() {
        let creds = test_creds().with_security_token("tok").unwrap();
        let common =
            CommonParams::new(&creds, "nonce-1", "2016-02-23T12:46:24Z").region_id("cn-shanghai");
        let mut owned = common.clone().into_params();
        let mut borrowed: Vec<(&str, &str)> = common.pairs().collect();
        assert_eq!(
            borrowed,
            owned
                .iter()
                .map(|(n, v)| (n.as_str(), v.as_str()))
                .collect::<Vec<_>>()
        );
        borrowed.extend([
            ("Action", "Pub"),
            ("Signature", "stale"),
            ("Args", "{\"温度\":1}"),
        ]);
        owned.extend(pairs(&[
            ("Action", "Pub"),
            ("Signature", "stale"),
            ("Args", "{\"温度\":1}"),
        ]));
        assert_eq!(
            sign_rpc_v1_pairs("POST", &borrowed, &creds),
            sign_rpc_v1("POST", &owned, &creds)
        );
    }

    #[test]
    fn sign_common_params_defaults() {
        let params =
            CommonParams::new(&test_creds(), "nonce-1", "2016-02-23T12:46:24Z").into_params();
        assert_eq!(
            params,
            pairs(&[
                ("Format", "JSON"),
                ("Version", "2018-01-20"),
                ("AccessKeyId", "testid"),
                ("SignatureMethod", "HMAC-SHA1"),
                ("SignatureVersion", "1.0"),
                ("SignatureNonce", "nonce-1"),
                ("Timestamp", "2016-02-23T12:46:24Z"),
            ])
        );
    }

    #[test]
    fn sign_common_params_sts_region_and_overrides() {
        let creds = test_creds().with_security_token("tok").unwrap();
        let mut params = pairs(&[("Action", "Pub")]);
        CommonParams::new(&creds, "n", "t")
            .version("2022-01-01")
            .format("XML")
            .region_id("cn-shanghai")
            .append_to(&mut params);
        assert_eq!(params[0], ("Action".to_string(), "Pub".to_string()));
        let get = |name: &str| {
            params
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.as_str())
        };
        assert_eq!(get("Version"), Some("2022-01-01"));
        assert_eq!(get("Format"), Some("XML"));
        assert_eq!(get("SecurityToken"), Some("tok"));
        assert_eq!(get("RegionId"), Some("cn-shanghai"));
    }

    #[test]
    fn sign_common_params_fresh_are_fresh() {
        let one = CommonParams::fresh(&test_creds()).into_params();
        let two = CommonParams::fresh(&test_creds()).into_params();
        let nonce = |params: &[(String, String)]| params[5].1.clone();
        assert_ne!(nonce(&one), nonce(&two));
    }

    proptest! {
        #[test]
        fn sign_one_pass_equals_the_building_blocks(
            params in proptest::collection::vec((any::<String>(), any::<String>()), 0..12),
            method in "[A-Z]{0,7}",
        ) {
            let creds = test_creds();
            let canonical = canonical_query(&params);
            let sts = string_to_sign(&method, &canonical);
            let signed = sign_rpc_v1(&method, params, &creds);
            prop_assert_eq!(&signed.string_to_sign, &sts);
            prop_assert_eq!(&signed.signature, &sign_v1(creds.access_key_secret(), &sts));
            let sent = if canonical.is_empty() {
                format!("Signature={}", percent_encode(&signed.signature))
            } else {
                format!("{canonical}&Signature={}", percent_encode(&signed.signature))
            };
            prop_assert_eq!(signed.query, sent);
        }

        #[test]
        fn sign_one_pass_orders_names_sharing_16_bytes(
            suffixes in proptest::collection::vec(("[ab\\x00]{0,3}", "[xy]{0,2}"), 0..10),
            prefix in prop_oneof![Just(""), Just("a"), Just("ParameterNameOf16"), Just("DeviceName.")],
        ) {
            let params: Vec<(String, String)> = suffixes
                .into_iter()
                .map(|(suffix, value)| (format!("{prefix}{suffix}"), value))
                .collect();
            let creds = test_creds();
            let canonical = canonical_query(&params);
            let signed = sign_rpc_v1("GET", params, &creds);
            prop_assert_eq!(signed.string_to_sign, string_to_sign("GET", &canonical));
        }

        #[test]
        fn sign_does_not_depend_on_parameter_order(
            params in proptest::collection::vec((any::<String>(), any::<String>()), 0..12)
                .prop_flat_map(|params| (Just(params.clone()), Just(params).prop_shuffle()))
        ) {
            let (original, shuffled) = params;
            let creds = test_creds();
            let one = sign_rpc_v1("POST", original, &creds);
            let two = sign_rpc_v1("POST", shuffled, &creds);
            prop_assert_eq!(&one, &two);
            let sent = one.query.rsplit('&').next().unwrap_or_default();
            let encoded = format!("Signature={}", percent_encode(&one.signature));
            prop_assert_eq!(sent, encoded.as_str());
        }
    }
}
