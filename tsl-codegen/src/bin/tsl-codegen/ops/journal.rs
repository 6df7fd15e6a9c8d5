//! `--journal FILE`: every device's report line, appended as its call ends and synced to
//! disk, so that a run stopped by anything (Ctrl-C, a crash, a lost machine) can be run
//! again with the same journal and devices without invoking twice what the platform already
//! took.
//!
//! The first line records what the run does (action, product, service, a SHA-256 of the
//! arguments); a journal written for anything else is refused. On a rerun, devices whose
//! line says `accepted` (or `unknown`, unless `--retry-unknown`) are not called again: their
//! line is printed from the journal with `"from_journal":true`.

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::{BufRead as _, BufReader, Seek as _, SeekFrom, Write as _};
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};
use sha2::Digest as _;
use tsl_runtime::client::NameSet;
use tsl_runtime::cloud::Outcome;

use super::Failure;

/// What a journal's first line says about its run.
const MAGIC: &str = "tsl-codegen journal";
const VERSION: u64 = 1;

/// What a run does, as far as a journal must tell runs apart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fingerprint {
    fields: Vec<(&'static str, String)>,
}

impl Fingerprint {
    /// `action` on devices of `product_key`.
    pub fn new(action: &str, product_key: &str) -> Fingerprint {
        Fingerprint {
            fields: vec![
                ("action", action.to_string()),
                ("product_key", product_key.to_string()),
            ],
        }
    }

    /// With a field recorded as given (`service`).
    #[must_use]
    pub fn with(mut self, name: &'static str, value: &str) -> Fingerprint {
        self.fields.push((name, value.to_string()));
        self
    }

    /// With a field recorded as the SHA-256 of its bytes (`args`, `items`, `message`).
    #[must_use]
    pub fn with_digest(mut self, name: &'static str, bytes: &[u8]) -> Fingerprint {
        self.fields
            .push((name, hex::encode(sha2::Sha256::digest(bytes))));
        self
    }

    fn header(&self) -> String {
        let mut map = Map::new();
        map.insert("journal".into(), MAGIC.into());
        map.insert("version".into(), VERSION.into());
        for (name, value) in &self.fields {
            map.insert((*name).into(), value.clone().into());
        }
        Value::Object(map).to_string()
    }
}

/// An open journal.
pub struct Journal {
    path: PathBuf,
    file: File,
    /// Devices not to call again, with the index of their outcome in `outcomes`.
    done: NameSet<u32>,
    outcomes: Vec<Outcome>,
    /// Lines written since the last sync.
    unsynced: bool,
    /// Lines the journal held when opened.
    pub resumed: u64,
}

impl std::fmt::Debug for Journal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Journal")
            .field("path", &self.path)
            .field("done", &self.done.len())
            .finish_non_exhaustive()
    }
}

impl Journal {
    /// Opens `path` for a run with `fingerprint`: reads what it holds, or starts it.
    pub fn open(
        path: &Path,
        fingerprint: &Fingerprint,
        retry_unknown: bool,
    ) -> Result<Journal, Failure> {
        let shown = path.display();
        let fail = |what: String| Failure::usage(format!("journal {shown}: {what}"));
        let mut file = OpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .open(path)
            .map_err(|e| fail(format!("cannot open it: {e}")))?;
        let mut journal = Journal {
            path: path.to_path_buf(),
            file: file.try_clone().map_err(|e| fail(e.to_string()))?,
            done: NameSet::new(),
            outcomes: Vec::new(),
            unsynced: false,
            resumed: 0,
        };
        let length = file.metadata().map_err(|e| fail(e.to_string()))?.len();
        if length == 0 {
            journal.write_line(&fingerprint.header())?;
            journal.sync()?;
            return Ok(journal);
        }
        file.seek(SeekFrom::Start(0))
            .map_err(|e| fail(e.to_string()))?;
        let mut reader = BufReader::new(&file);
        let mut line = String::new();
        reader
            .read_line(&mut line)
            .map_err(|e| fail(e.to_string()))?;
        check_header(&line, fingerprint).map_err(fail)?;
        let mut seen_outcomes: HashMap<String, u32> = HashMap::new();
        let mut number = 1u64;
        let mut offset = line.len() as u64;
        loop {
            line.clear();
            let read = reader
                .read_line(&mut line)
                .map_err(|e| fail(e.to_string()))?;
            if read == 0 {
                break;
            }
            number += 1;
            if !line.ends_with('\n') {
                // A line cut short by a crash mid-write: its device's call had ended but was
                // not on record, so it is called again; the fragment is cut off so that the
                // lines written next stand on their own.
                eprintln!(
                    "warning: journal {shown}:{number}: the last line is incomplete (the run \
                     before was stopped while writing it); its device is not taken as done"
                );
                file.set_len(offset).map_err(|e| fail(e.to_string()))?;
                break;
            }
            offset += read as u64;
            let record: Value = serde_json::from_str(&line)
                .map_err(|e| fail(format!("line {number} is not a report line ({e})")))?;
            journal.resumed += 1;
            let Some(name) = record.get("device_name").and_then(Value::as_str) else {
                return Err(fail(format!("line {number} has no device_name")));
            };
            let outcome: Outcome = match serde_json::from_value(record.clone()) {
                Ok(outcome) => outcome,
                Err(e) => return Err(fail(format!("line {number} has no status ({e})"))),
            };
            let keep = match &outcome {
                Outcome::Accepted { .. } => true,
                Outcome::Unknown { .. } => !retry_unknown,
                Outcome::Refused { .. } | Outcome::NotAttempted { .. } => false,
            };
            if !keep {
                continue;
            }
            // An accepted line wins over an unknown one for the same device.
            let better = match journal.done.get(name) {
                None => true,
                Some(index) => {
                    !matches!(journal.outcomes[index as usize], Outcome::Accepted { .. })
                        && matches!(outcome, Outcome::Accepted { .. })
                }
            };
            if better {
                let key = serde_json::to_string(&outcome).unwrap_or_default();
                let next = u32::try_from(journal.outcomes.len()).unwrap_or(u32::MAX);
                let index = *seen_outcomes.entry(key).or_insert_with(|| {
                    journal.outcomes.push(outcome);
                    next
                });
                journal.done.set(name, index);
            }
        }
        Ok(journal)
    }

    /// The journal's outcome of `device_name`, if it is not to be called again.
    pub fn done(&self, device_name: &str) -> Option<&Outcome> {
        self.done
            .get(device_name)
            .and_then(|index| self.outcomes.get(index as usize))
    }

    /// How many devices it holds as done.
    pub fn done_count(&self) -> usize {
        self.done.len()
    }

    /// Appends a report line (not yet synced).
    pub fn write_line(&mut self, line: &str) -> Result<(), Failure> {
        let mut text = String::with_capacity(line.len() + 1);
        text.push_str(line);
        text.push('\n');
        self.file.write_all(text.as_bytes()).map_err(|e| {
            Failure::Output(format!("writing the journal {}: {e}", self.path.display()))
        })?;
        self.unsynced = true;
        Ok(())
    }

    /// Makes what was written durable.
    pub fn sync(&mut self) -> Result<(), Failure> {
        if !self.unsynced {
            return Ok(());
        }
        self.file.sync_data().map_err(|e| {
            Failure::Output(format!("syncing the journal {}: {e}", self.path.display()))
        })?;
        self.unsynced = false;
        Ok(())
    }
}

/// Whether the first line is a journal header for this run.
fn check_header(line: &str, fingerprint: &Fingerprint) -> Result<(), String> {
    let header: Value = serde_json::from_str(line).map_err(|_| {
        "it is not a journal of tsl-codegen (its first line is not a journal header); give \
         another --journal file"
            .to_string()
    })?;
    if header.get("journal").and_then(Value::as_str) != Some(MAGIC) {
        return Err("it is not a journal of tsl-codegen; give another --journal file".into());
    }
    if header.get("version").and_then(Value::as_u64) != Some(VERSION) {
        return Err(format!("it is not a version {VERSION} journal"));
    }
    let differences: Vec<String> = fingerprint
        .fields
        .iter()
        .filter_map(|(name, value)| {
            let recorded = header
                .get(*name)
                .and_then(Value::as_str)
                .unwrap_or("(none)");
            (recorded != value)
                .then(|| format!("{name}: the journal has {recorded}, this run {value}"))
        })
        .collect();
    if differences.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "it was written for another run, so its outcomes do not apply ({}); give the \
             same command as before, or another --journal file",
            differences.join("; ")
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn print() -> Fingerprint {
        Fingerprint::new("InvokeThingsService", "a1")
            .with("service", "Blink")
            .with_digest("args", b"{}")
    }

    #[test]
    fn journals_remember_accepted_and_unknown_devices() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j.jsonl");
        let mut journal = Journal::open(&path, &print(), false).unwrap();
        for line in [
            r#"{"product_key":"a1","device_name":"d1","status":"accepted","request_id":"R1"}"#,
            r#"{"product_key":"a1","device_name":"d2","status":"unknown","reason":"reset"}"#,
            r#"{"product_key":"a1","device_name":"d3","status":"refused","code":"C","message":"m"}"#,
            r#"{"product_key":"a1","device_name":"d4","status":"not_attempted","reason":"interrupted"}"#,
            r#"{"product_key":"a1","device_name":"d2","status":"accepted","request_id":"R2"}"#,
        ] {
            journal.write_line(line).unwrap();
        }
        journal.sync().unwrap();
        drop(journal);
        let journal = Journal::open(&path, &print(), false).unwrap();
        assert_eq!(journal.resumed, 5);
        assert_eq!(journal.done_count(), 2);
        assert!(
            matches!(journal.done("d1"), Some(Outcome::Accepted { request_id }) if request_id == "R1")
        );
        assert!(
            matches!(journal.done("d2"), Some(Outcome::Accepted { request_id }) if request_id == "R2")
        );
        assert_eq!(journal.done("d3"), None);
        assert_eq!(journal.done("d4"), None);
    }

    #[test]
    fn unknown_devices_are_retried_only_when_asked() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j.jsonl");
        let mut journal = Journal::open(&path, &print(), false).unwrap();
        journal
            .write_line(
                r#"{"product_key":"a1","device_name":"d2","status":"unknown","reason":"reset"}"#,
            )
            .unwrap();
        drop(journal);
        assert!(Journal::open(&path, &print(), false)
            .unwrap()
            .done("d2")
            .is_some());
        assert!(Journal::open(&path, &print(), true)
            .unwrap()
            .done("d2")
            .is_none());
    }

    #[test]
    fn journals_of_another_run_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j.jsonl");
        Journal::open(&path, &print(), false).unwrap();
        let other = Fingerprint::new("InvokeThingsService", "a1")
            .with("service", "Blink")
            .with_digest("args", br#"{"Times":3}"#);
        match Journal::open(&path, &other, false) {
            Err(Failure::Usage(message)) => {
                assert!(message.contains("written for another run"), "{message}");
                assert!(message.contains("args: the journal has"), "{message}");
            }
            other => panic!("{other:?}"),
        }
        let not_journal = dir.path().join("devices.txt");
        std::fs::write(&not_journal, "d1\nd2\n").unwrap();
        assert!(
            matches!(Journal::open(&not_journal, &print(), false), Err(Failure::Usage(m)) if m.contains("not a journal"))
        );
    }

    #[test]
    fn a_line_cut_by_a_crash_is_not_taken_as_done() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j.jsonl");
        let header = print().header();
        std::fs::write(
            &path,
            format!("{header}\n{{\"product_key\":\"a1\",\"device_name\":\"d1\",\"status\":\"accepted\",\"request_id\":\"R\"}}\n{{\"product_key\":\"a1\",\"device_na"),
        )
        .unwrap();
        let mut journal = Journal::open(&path, &print(), false).unwrap();
        assert!(journal.done("d1").is_some());
        journal
            .write_line(
                r#"{"product_key":"a1","device_name":"d9","status":"accepted","request_id":"R9"}"#,
            )
            .unwrap();
        drop(journal);
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(
            !text.contains("device_na\""),
            "the fragment is cut off: {text}"
        );
        assert_eq!(text.lines().count(), 3, "{text}");
        let journal = Journal::open(&path, &print(), false).unwrap();
        assert!(journal.done("d1").is_some() && journal.done("d9").is_some());
    }
}
