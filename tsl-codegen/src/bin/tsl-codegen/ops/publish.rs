//! `tsl-codegen publish`: one message to a custom topic of many devices (BatchPub, 100
//! names a call), refused before sending when it breaks a limit.

use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use tsl_runtime::addressing::{check_product_key, check_topic_short_name};
use tsl_runtime::client::{BatchPub, MAX_MESSAGE_BYTES};

use super::dry_run;
use super::journal::Fingerprint;
use super::run::{self, RunArgs};
use super::{Failure, QosArg};

/// Publishes a message to `/${productKey}/${deviceName}/user/${TOPIC}` of each device
/// (BatchPub, 100 names a call). Prints one JSON line per device as its call ends.
#[derive(clap::Args, Debug)]
#[command(after_help = super::DEVICES_HELP)]
pub struct Args {
    /// The product key.
    #[arg(long, value_name = "PK")]
    product_key: String,
    /// The topic's short name: what follows `user/` (`get`, `cmd/reboot`); fields of
    /// letters, digits and `_`.
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
    #[command(flatten)]
    pub run: RunArgs,
}

pub fn run(args: &Args) -> Result<ExitCode, Failure> {
    let message = match (&args.message, &args.message_file) {
        (Some(text), _) => text.clone().into_bytes(),
        (None, Some(path)) => read_message(path)?,
        (None, None) => return Err(Failure::usage("give --message TEXT or --message-file FILE")),
    };
    check(&args.product_key, &args.topic, &message)?;
    let mut devices = args.run.devices.open()?;
    let client = args.run.connection.client()?;
    let fingerprint = Fingerprint::new("BatchPub", &args.product_key)
        .with("topic", &args.topic)
        .with_digest("message", &message)
        .with("qos", args.qos.map_or("", QosArg::wire));
    let mut request = BatchPub::new(
        args.product_key.as_str(),
        Vec::new(),
        args.topic.as_str(),
        message,
    );
    request.qos = args.qos.map(QosArg::qos);
    let call = request.batch_call().map_err(Failure::call("BatchPub"))?;
    if let Some(format) = args.run.dry_run {
        return dry_run::batch(&client, &call, &mut devices, format);
    }
    let journal = args.run.journal(&fingerprint)?;
    run::batch(&client, &call, &mut devices, journal, args.run.quiet)
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

/// The client's own limits, checked before the devices are read, so that a bad flag is a
/// usage error that names the flag.
fn check(product_key: &str, topic: &str, message: &[u8]) -> Result<(), Failure> {
    check_product_key(product_key)
        .map_err(|problem| Failure::usage(format!("--product-key: {problem}")))?;
    check_topic_short_name(topic)
        .map_err(|problem| Failure::usage(format!("--topic: {problem}")))?;
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

#[cfg(test)]
mod tests {
    use super::*;

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
