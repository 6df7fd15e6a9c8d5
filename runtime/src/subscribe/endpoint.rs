//! Where the subscription is served: `amqps://host[:5671]`, or plain `amqp://` on loopback
//! only (the emulator), as the client allows plain `http://` only for loopback.

use std::fmt;
use std::net::IpAddr;

use super::error::SubscribeError;

/// The platform's TLS port for AMQP (docs/subscription.md).
pub const DEFAULT_TLS_PORT: u16 = 5671;

/// A checked subscription endpoint.
#[derive(Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// `true` for `amqps://` (TLS), `false` for plain `amqp://` on loopback.
    pub tls: bool,
    /// The host name (TLS server name) or loopback address.
    pub host: String,
    /// The port.
    pub port: u16,
}

impl fmt::Debug for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{self}")
    }
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let scheme = if self.tls { "amqps" } else { "amqp" };
        if self.host.contains(':') {
            write!(f, "{scheme}://[{}]:{}", self.host, self.port)
        } else {
            write!(f, "{scheme}://{}:{}", self.host, self.port)
        }
    }
}

impl Endpoint {
    /// The public endpoint of a region: `amqps://{uid}.iot-amqp.{region}.aliyuncs.com:5671`.
    ///
    /// # Errors
    /// [`SubscribeError::Endpoint`] if either part is empty or not a DNS label.
    pub fn region(uid: &str, region: &str) -> Result<Endpoint, SubscribeError> {
        for (what, part) in [("account ID", uid), ("region", region)] {
            let label_ok =
                !part.is_empty() && part.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
            if !label_ok {
                return Err(SubscribeError::Endpoint {
                    endpoint: format!("{uid}.iot-amqp.{region}.aliyuncs.com"),
                    reason: format!("the {what} `{part}` is not a host name label"),
                });
            }
        }
        Ok(Endpoint {
            tls: true,
            host: format!("{uid}.iot-amqp.{region}.aliyuncs.com"),
            port: DEFAULT_TLS_PORT,
        })
    }

    /// Reads `amqps://host[:port][/]` or `amqp://127.0.0.1:port[/]` (loopback only). A bare
    /// `host[:port]` means `amqps://`.
    ///
    /// # Errors
    /// [`SubscribeError::Endpoint`] for another scheme, a path, a user in the URL, a bad
    /// port, or plain `amqp://` to a host that is not loopback.
    pub fn parse(text: &str) -> Result<Endpoint, SubscribeError> {
        let fail = |reason: &str| SubscribeError::Endpoint {
            endpoint: text.to_string(),
            reason: reason.to_string(),
        };
        let (tls, rest) = if let Some(rest) = text.strip_prefix("amqps://") {
            (true, rest)
        } else if let Some(rest) = text.strip_prefix("amqp://") {
            (false, rest)
        } else if text.contains("://") {
            return Err(fail("the scheme must be amqps:// (or amqp:// on loopback)"));
        } else {
            (true, text)
        };
        let rest = rest.strip_suffix('/').unwrap_or(rest);
        if rest.contains('/') || rest.contains('?') {
            return Err(fail("an endpoint has no path or query"));
        }
        if rest.contains('@') {
            return Err(fail(
                "credentials do not go in the URL; they come from the credential chain",
            ));
        }
        let (host, port) = split_host_port(rest).ok_or_else(|| fail("the port is not a number"))?;
        if host.is_empty() {
            return Err(fail("no host"));
        }
        let port = port.unwrap_or(if tls { DEFAULT_TLS_PORT } else { 5672 });
        if !tls && !is_loopback(host) {
            return Err(fail(
                "plain amqp:// is accepted only for loopback (the emulator); the platform requires TLS (amqps://)",
            ));
        }
        Ok(Endpoint {
            tls,
            host: host.to_string(),
            port,
        })
    }
}

fn split_host_port(text: &str) -> Option<(&str, Option<u16>)> {
    if let Some(rest) = text.strip_prefix('[') {
        let (host, after) = rest.split_once(']')?;
        return match after.strip_prefix(':') {
            Some(port) => Some((host, Some(port.parse().ok()?))),
            None if after.is_empty() => Some((host, None)),
            None => None,
        };
    }
    match text.rsplit_once(':') {
        Some((host, port)) => Some((host, Some(port.parse().ok()?))),
        None => Some((text, None)),
    }
}

fn is_loopback(host: &str) -> bool {
    host == "localhost" || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tls_endpoints_default_to_5671() {
        let e = Endpoint::parse("amqps://1234.iot-amqp.cn-shanghai.aliyuncs.com").unwrap();
        assert!(e.tls);
        assert_eq!(e.port, 5671);
        assert_eq!(
            e.to_string(),
            "amqps://1234.iot-amqp.cn-shanghai.aliyuncs.com:5671"
        );
        assert_eq!(
            Endpoint::parse("iot-06z.amqp.iothub.aliyuncs.com:5671")
                .unwrap()
                .host,
            "iot-06z.amqp.iothub.aliyuncs.com"
        );
        assert_eq!(Endpoint::region("1234", "cn-shanghai").unwrap(), e);
    }

    #[test]
    fn plain_amqp_only_on_loopback() {
        assert_eq!(
            Endpoint::parse("amqp://127.0.0.1:5672/").unwrap().port,
            5672
        );
        assert!(Endpoint::parse("amqp://[::1]:9").is_ok());
        let err = Endpoint::parse("amqp://example.com:5672").unwrap_err();
        assert!(err.to_string().contains("only for loopback"), "{err}");
    }

    #[test]
    fn bad_endpoints_are_refused_with_a_reason() {
        for bad in [
            "http://x",
            "amqps://u:p@host",
            "amqps://host/path",
            "amqps://host:x",
            "amqps://",
            "amqps://:1",
        ] {
            assert!(Endpoint::parse(bad).is_err(), "{bad}");
        }
        assert!(Endpoint::region("12/34", "cn-shanghai").is_err());
    }
}
