//! `tsl-codegen publish`: one message to a custom topic of many devices (BatchPub, 100
//! names a call), refused before sending when it breaks a limit.

use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use tsl_runtime::client::BatchPub;
use tsl_runtime::limits::MAX_MESSAGE_BYTES;

use super::connection::Connection;
use super::devices::DeviceArgs;
use super::dry_run;
use super::{output, Failure, QosArg};

/// Publishes a message to `/${productKey}/${deviceName}/user/${TOPIC}` of each device
/// (BatchPub, 100 names a call). Prints one JSON line per device.
#[derive(clap::Args, Debug)]
#[command(after_help = super::DEVICES_HELP)]
pub struct Args {
    /// The product key.
    #[arg(long, value_name = "PK")]
    product_key: String,
    #[command(flatten)]
    devices: DeviceArgs,
    /// The topic's short name: what follows `user/` (`get`, `cmd/reboot`).
    #[arg(long, value_name = "SHORT")]
    topic: String,
    /// The message, as text.
    #[arg(
        long,
        value_name = "TEXT",
        required_unless_present = "message_file",
        conflicts_with = "message_file"
    )]
    message: Option<String>,
    /// The message, any bytes, read from a file (`-`: stdin); at most 256 KB.
    #[arg(long, value_name = "FILE")]
    message_file: Option<PathBuf>,
    /// `Qos`: 0 at most once, 1 at least once.
    #[arg(long, value_enum)]
    qos: Option<QosArg>,
    /// Print the signed requests (method and full URL, one per call) without sending.
    #[arg(long)]
    dry_run: bool,
    #[command(flatten)]
    connection: Connection,
}

pub fn run(args: &Args) -> Result<ExitCode, Failure> {
    let names = args.devices.names()?;
    let message = match (&args.message, &args.message_file) {
        (Some(text), _) => text.clone().into_bytes(),
        (None, Some(path)) => read_message(path)?,
        (None, None) => return Err(Failure::usage("give --message TEXT or --message-file FILE")),
    };
    check(&args.product_key, &args.topic, &message)?;
    let client = args.connection.client()?;
    if args.dry_run {
        let content = base64(&message);
        let mut fixed = vec![
            ("TopicShortName", args.topic.as_str()),
            ("MessageContent", content.as_str()),
        ];
        fixed.extend(args.qos.map(|qos| ("Qos", qos.wire())));
        let calls = dry_run::batch("BatchPub", &args.product_key, &names, &fixed);
        return dry_run::print(&client, &calls);
    }
    let mut request = BatchPub::new(
        args.product_key.as_str(),
        names,
        args.topic.as_str(),
        message,
    );
    if let Some(qos) = args.qos {
        request = request.qos(qos.qos());
    }
    let report = super::runtime()?
        .block_on(client.batch_pub(&request))
        .map_err(Failure::call("BatchPub"))?;
    output::batch_report("BatchPub", &report)
}

fn read_message(path: &Path) -> Result<Vec<u8>, Failure> {
    let unreadable =
        |e: std::io::Error| Failure::usage(format!("cannot read {}: {e}", path.display()));
    if path == Path::new("-") {
        let mut bytes = Vec::new();
        std::io::stdin()
            .read_to_end(&mut bytes)
            .map_err(unreadable)?;
        return Ok(bytes);
    }
    std::fs::read(path).map_err(unreadable)
}

/// The client's own limits, checked here too so that `--dry-run` never prints a request
/// that a real run would refuse.
fn check(product_key: &str, topic: &str, message: &[u8]) -> Result<(), Failure> {
    if product_key.trim().is_empty() {
        return Err(Failure::usage("--product-key is empty"));
    }
    let bad_topic = topic.is_empty()
        || topic.starts_with('/')
        || topic
            .chars()
            .any(|c| c == '+' || c == '#' || c.is_whitespace() || c.is_control());
    if bad_topic {
        return Err(Failure::usage(format!(
            "--topic {topic:?} must be the topic's part after `user/`: not empty, no leading \
             `/`, no wildcard or space"
        )));
    }
    if message.is_empty() {
        return Err(Failure::usage("the message is empty"));
    }
    if message.len() > MAX_MESSAGE_BYTES {
        return Err(Failure::usage(format!(
            "the message is {} bytes, over BatchPub's {MAX_MESSAGE_BYTES} (256 KB); nothing was sent",
            message.len()
        )));
    }
    Ok(())
}

/// Standard base64 with padding, as `MessageContent` is sent.
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for (i, shift) in [18u32, 12, 6, 0].into_iter().enumerate() {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> shift) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_as_rfc_4648() {
        for (input, expected) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(input.as_bytes()), expected, "{input}");
        }
        assert_eq!(base64(&[0xfb, 0xff, 0xbf]), "+/+/");
    }

    #[test]
    fn limits_are_checked_before_sending() {
        assert!(check("pk", "get", b"hi").is_ok());
        assert!(check("pk", "cmd/reboot", b"hi").is_ok());
        for (pk, topic, message) in [
            ("", "get", &b"hi"[..]),
            ("pk", "", b"hi"),
            ("pk", "/get", b"hi"),
            ("pk", "a/#", b"hi"),
            ("pk", "a b", b"hi"),
            ("pk", "get", b""),
        ] {
            assert!(
                matches!(check(pk, topic, message), Err(Failure::Usage(_))),
                "{pk:?} {topic:?} {message:?}"
            );
        }
        let big = vec![b'x'; MAX_MESSAGE_BYTES + 1];
        assert!(check("pk", "get", &big).is_err());
        assert!(check("pk", "get", &big[1..]).is_ok());
    }
}
