//! Which devices a command addresses: `--device DN` (repeatable) and `--devices-file F`.

use std::io::Read as _;
use std::path::{Path, PathBuf};

use super::Failure;

#[derive(clap::Args, Debug, Clone)]
pub struct DeviceArgs {
    /// A device name (repeatable). One device is one call; several go 100 names a call.
    #[arg(long = "device", value_name = "DN")]
    pub devices: Vec<String>,
    /// A file of device names, one a line (blank lines and lines starting with `#` are
    /// skipped); `-` reads stdin. Added after the `--device` names.
    #[arg(long, value_name = "FILE")]
    pub devices_file: Option<PathBuf>,
}

impl DeviceArgs {
    /// Every name given, in order: `--device` names, then the file's. Duplicates are kept:
    /// the report names them as not attempted.
    pub fn names(&self) -> Result<Vec<String>, Failure> {
        let mut names = self.devices.clone();
        if let Some(path) = &self.devices_file {
            names.extend(parse_names(&read(path)?));
        }
        if names.is_empty() {
            return Err(Failure::usage(
                "no device: give --device NAME (repeatable) or --devices-file FILE",
            ));
        }
        Ok(names)
    }
}

fn read(path: &Path) -> Result<String, Failure> {
    let unreadable = |e: std::io::Error| {
        Failure::usage(format!(
            "cannot read the devices file {}: {e}",
            path.display()
        ))
    };
    if path == Path::new("-") {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .map_err(unreadable)?;
        return Ok(text);
    }
    std::fs::read_to_string(path).map_err(unreadable)
}

/// One name a line, trimmed; blank lines and `#` comments skipped.
pub fn parse_names(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .map(str::to_string)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn devices_files_skip_blanks_and_comments() {
        assert_eq!(
            parse_names("lamp-1\n\n  lamp-2 \r\n# spare\nlamp-1\n"),
            ["lamp-1", "lamp-2", "lamp-1"]
        );
        assert!(parse_names("").is_empty());
    }

    #[test]
    fn no_device_is_a_usage_error() {
        let args = DeviceArgs {
            devices: Vec::new(),
            devices_file: None,
        };
        assert!(matches!(args.names(), Err(Failure::Usage(_))));
        let missing = DeviceArgs {
            devices: vec!["a".into()],
            devices_file: Some(PathBuf::from("/nonexistent/devices.txt")),
        };
        match missing.names() {
            Err(Failure::Usage(message)) => assert!(message.contains("devices.txt"), "{message}"),
            other => panic!("{other:?}"),
        }
    }
}
