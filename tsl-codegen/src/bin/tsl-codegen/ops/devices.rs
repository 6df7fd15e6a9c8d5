//! Which devices a command addresses: `--device DN` (repeatable) and `--devices-file F`,
//! read as a stream so that a million names never sit in memory at once.
//!
//! The file is read twice: once up front to count the names (for the progress line and to
//! tell one device from many) and to name every line whose device name the platform cannot
//! have, then again as the calls are made. Standard input is copied to a temporary file
//! first so that it can be read twice too.

use std::fs::File;
use std::io::{self, BufRead as _, BufReader, Seek as _, SeekFrom};
use std::path::{Path, PathBuf};

use tsl_runtime::addressing::check_device_name;

use super::Failure;

#[derive(clap::Args, Debug, Clone)]
pub struct DeviceArgs {
    /// A device name (repeatable). One device is one call; several go 100 names a call.
    #[arg(long = "device", value_name = "DN")]
    pub devices: Vec<String>,
    /// A file of device names, one a line (blank lines and lines starting with `#` are
    /// skipped, a UTF-8 byte-order mark is dropped); `-` reads stdin. Added after the
    /// `--device` names. Read as a stream: any number of names.
    #[arg(long, value_name = "FILE")]
    pub devices_file: Option<PathBuf>,
}

/// A problem line of the devices file, named before anything is sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadLine {
    /// 1-based line number.
    pub line: u64,
    /// What is wrong.
    pub problem: String,
}

/// The devices of a command, ready to be read (again).
#[derive(Debug)]
pub struct Devices {
    flags: Vec<String>,
    file: Option<(String, File)>,
    /// Names in all: flags and file, duplicates included.
    pub count: u64,
    /// Lines whose name the platform cannot have (at most [`MAX_BAD_LINES`] kept).
    pub bad_lines: Vec<BadLine>,
    /// How many bad lines there were in all.
    pub bad_count: u64,
}

/// How many bad lines are listed by number.
pub const MAX_BAD_LINES: usize = 20;

impl DeviceArgs {
    /// Opens the devices and counts them.
    pub fn open(&self) -> Result<Devices, Failure> {
        let mut devices = Devices {
            flags: self.devices.clone(),
            file: None,
            count: self.devices.len() as u64,
            bad_lines: Vec::new(),
            bad_count: 0,
        };
        for (n, name) in self.devices.iter().enumerate() {
            if let Err(problem) = check_device_name(name) {
                devices.note_bad(n as u64 + 1, format!("--device {}: {problem}", n + 1));
            }
        }
        if let Some(path) = &self.devices_file {
            let shown = path.display().to_string();
            let mut file = open(path)?;
            let mut names = 0u64;
            let mut bad = Vec::new();
            for_each_line(&mut file, &shown, |number, name| {
                names += 1;
                if let Err(problem) = check_device_name(name) {
                    bad.push((number, problem.to_string()));
                }
            })?;
            for (number, problem) in bad {
                devices.note_bad(number, format!("{shown}:{number}: {problem}"));
            }
            devices.count += names;
            file.seek(SeekFrom::Start(0))
                .map_err(|e| unreadable(&shown, &e))?;
            devices.file = Some((shown, file));
        }
        if devices.count == 0 {
            return Err(Failure::usage(
                "no device: give --device NAME (repeatable) or --devices-file FILE",
            ));
        }
        Ok(devices)
    }
}

impl Devices {
    fn note_bad(&mut self, line: u64, problem: String) {
        self.bad_count += 1;
        if self.bad_lines.len() < MAX_BAD_LINES {
            self.bad_lines.push(BadLine { line, problem });
        }
    }

    /// The only device, when there is exactly one.
    pub fn single(&mut self) -> Result<Option<String>, Failure> {
        if self.count != 1 {
            return Ok(None);
        }
        Ok(self.names().next())
    }

    /// Every name, in order: `--device` names, then the file's. Duplicates are kept: the
    /// report names them as not attempted. A read error past the first pass (the file
    /// changed under us) ends the list; it is reported by [`Devices::read_error`].
    pub fn names(&mut self) -> Names<'_> {
        let file = self.file.as_mut().map(|(shown, file)| {
            // Rewound for a second reader too: the list can be walked again.
            let _ = file.seek(SeekFrom::Start(0));
            (shown.as_str(), BufReader::with_capacity(64 * 1024, &*file))
        });
        Names {
            flags: self.flags.iter(),
            file,
            first_line: true,
            buffer: String::new(),
            error: None,
        }
    }
}

/// The names of [`Devices::names`].
pub struct Names<'a> {
    flags: std::slice::Iter<'a, String>,
    file: Option<(&'a str, BufReader<&'a File>)>,
    first_line: bool,
    buffer: String,
    /// A read error that ended the list early.
    pub error: Option<String>,
}

impl Iterator for Names<'_> {
    type Item = String;

    fn next(&mut self) -> Option<String> {
        if let Some(name) = self.flags.next() {
            return Some(name.clone());
        }
        let (shown, reader) = self.file.as_mut()?;
        loop {
            self.buffer.clear();
            match reader.read_line(&mut self.buffer) {
                Ok(0) => return None,
                Ok(_) => {
                    let first = std::mem::replace(&mut self.first_line, false);
                    if let Some(name) = name_of(&self.buffer, first) {
                        return Some(name.to_string());
                    }
                }
                Err(e) => {
                    self.error = Some(unreadable_text(shown, &e));
                    return None;
                }
            }
        }
    }
}

/// The name on a line: trimmed, a BOM dropped from the first line; `None` for blank lines
/// and `#` comments.
fn name_of(line: &str, first: bool) -> Option<&str> {
    let line = if first {
        line.strip_prefix('\u{feff}').unwrap_or(line)
    } else {
        line
    };
    let name = line.trim();
    (!name.is_empty() && !name.starts_with('#')).then_some(name)
}

/// Calls `each` with (line number, name) for every name of `file`.
fn for_each_line(
    file: &mut File,
    shown: &str,
    mut each: impl FnMut(u64, &str),
) -> Result<(), Failure> {
    let mut reader = BufReader::with_capacity(64 * 1024, &*file);
    let mut buffer = String::new();
    let mut number = 0u64;
    loop {
        buffer.clear();
        let read = reader
            .read_line(&mut buffer)
            .map_err(|e| unreadable(shown, &e))?;
        if read == 0 {
            return Ok(());
        }
        number += 1;
        if let Some(name) = name_of(&buffer, number == 1) {
            each(number, name);
        }
    }
}

/// The file, or stdin copied to an unnamed temporary file.
fn open(path: &Path) -> Result<File, Failure> {
    let shown = path.display().to_string();
    if path == Path::new("-") {
        let mut spool = tempfile::tempfile()
            .map_err(|e| Failure::usage(format!("cannot buffer stdin's device names: {e}")))?;
        io::copy(&mut io::stdin().lock(), &mut spool).map_err(|e| unreadable(&shown, &e))?;
        spool
            .seek(SeekFrom::Start(0))
            .map_err(|e| unreadable(&shown, &e))?;
        return Ok(spool);
    }
    File::open(path).map_err(|e| unreadable(&shown, &e))
}

fn unreadable_text(shown: &str, e: &io::Error) -> String {
    if e.kind() == io::ErrorKind::InvalidData {
        format!("cannot read the devices file {shown}: it is not UTF-8 text")
    } else {
        format!("cannot read the devices file {shown}: {e}")
    }
}

fn unreadable(shown: &str, e: &io::Error) -> Failure {
    Failure::usage(unreadable_text(shown, e))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write as _;

    fn file_with(text: &[u8]) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("devices.txt");
        std::fs::File::create(&path)
            .unwrap()
            .write_all(text)
            .unwrap();
        (dir, path)
    }

    fn args(flags: &[&str], file: Option<PathBuf>) -> DeviceArgs {
        DeviceArgs {
            devices: flags.iter().map(|n| n.to_string()).collect(),
            devices_file: file,
        }
    }

    #[test]
    fn devices_files_skip_blanks_comments_and_a_bom() {
        let (_dir, path) = file_with("\u{feff}lamp-1\n\n  lamp-2 \r\n# spare\nlamp-1\n".as_bytes());
        let mut devices = args(&["lamp-0"], Some(path)).open().unwrap();
        assert_eq!(devices.count, 4);
        assert!(devices.bad_lines.is_empty(), "{:?}", devices.bad_lines);
        let names: Vec<String> = devices.names().collect();
        assert_eq!(names, ["lamp-0", "lamp-1", "lamp-2", "lamp-1"]);
        let again: Vec<String> = devices.names().collect();
        assert_eq!(again, names, "the list can be read again");
        assert_eq!(devices.single().unwrap(), None);
    }

    #[test]
    fn bad_names_are_named_by_line() {
        let long = "x".repeat(1000);
        let text = format!("ok-1\na b\n#c d\nx/y\n{long}\nok-2\n");
        let (_dir, path) = file_with(text.as_bytes());
        let devices = args(&[], Some(path.clone())).open().unwrap();
        assert_eq!(devices.count, 5);
        let lines: Vec<u64> = devices.bad_lines.iter().map(|b| b.line).collect();
        assert_eq!(lines, [2, 4, 5]);
        assert!(devices.bad_lines[0]
            .problem
            .starts_with(&format!("{}:2:", path.display())));
        assert!(devices.bad_lines[2].problem.contains("1000 characters"));
    }

    #[test]
    fn one_device_is_single() {
        let mut devices = args(&["lamp-1"], None).open().unwrap();
        assert_eq!(devices.single().unwrap().as_deref(), Some("lamp-1"));
    }

    #[test]
    fn no_device_is_a_usage_error() {
        assert!(matches!(args(&[], None).open(), Err(Failure::Usage(_))));
        match args(&["a"], Some(PathBuf::from("/nonexistent/devices.txt"))).open() {
            Err(Failure::Usage(message)) => assert!(message.contains("devices.txt"), "{message}"),
            other => panic!("{other:?}"),
        }
        let (_dir, path) = file_with(b"# nothing\n\n");
        assert!(matches!(
            args(&[], Some(path)).open(),
            Err(Failure::Usage(_))
        ));
        let (_dir, path) = file_with(b"ok\n\xff\xfe\n");
        match args(&[], Some(path)).open() {
            Err(Failure::Usage(message)) => assert!(message.contains("not UTF-8"), "{message}"),
            other => panic!("{other:?}"),
        }
    }
}
