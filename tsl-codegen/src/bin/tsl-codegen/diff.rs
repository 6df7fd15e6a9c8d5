//! `tsl-codegen diff`: what changed between two versions of a thing model, and what breaks.
//!
//! Each side is one model file or the module files of one product; the old side can also
//! be the same files at a git revision (`--against git:REF`) or a version published on the
//! platform (`--against platform:VERSION --product-key PK`). Every change is printed with
//! its rule, class and position on both sides; the rules are in `docs/diff.md`.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use serde_json::{json, Value};
use tsl_codegen::diff::diff;
use tsl_codegen::model::diff::{Change, Class, Rule, Side, Site, Sources};
use tsl_codegen::model::{Model, ModelError, Parsed};
use tsl_codegen::Settings;
use tsl_runtime::client::GetThingModelTsl;

use crate::ops::{self, Connection, Failure};

/// Exit code: something breaking that is not allowed.
const BREAKING: u8 = 1;
/// Exit code: bad flags, unreadable or invalid models, git or the platform failed.
const USAGE: u8 = 2;

const HELP: &str = "Examples:
  tsl-codegen diff old.json new.json
  tsl-codegen diff --old lamp.json --old battery.json --new lamp.json --new battery.json
  tsl-codegen diff --against git:origin/main models/lamp.json
  tsl-codegen diff --against platform:1.0.2 --product-key a1StreetLmp models/lamp.json

Exit codes:
  0  nothing breaking (or only allowed rules)
  1  wire-breaking or code-breaking changes
  2  usage: bad flags, unreadable or invalid models, git or the platform failed

The rules, their classes and what each class means: docs/diff.md.";

/// Compares two versions of a product's thing model: every change, classified as
/// wire-breaking, code-breaking or compatible, with its position on both sides.
#[derive(clap::Args, Debug)]
#[command(after_help = HELP)]
pub struct Args {
    /// OLD NEW: one model file each. With --against, the new side's files.
    #[arg(value_name = "FILE")]
    files: Vec<PathBuf>,
    /// A file of the old side (repeatable: the module files of one product).
    #[arg(long = "old", value_name = "FILE")]
    old: Vec<PathBuf>,
    /// A file of the new side (repeatable).
    #[arg(long = "new", value_name = "FILE")]
    new: Vec<PathBuf>,
    /// The old side: the new side's files at a git revision (`git:REF`, e.g.
    /// `git:origin/main`), or a version published on the platform (`platform:VERSION`, with
    /// --product-key).
    #[arg(long, value_name = "git:REF|platform:VERSION")]
    against: Option<String>,
    /// The product whose published version --against platform:VERSION fetches.
    #[arg(long, value_name = "PK")]
    product_key: Option<String>,
    /// Output: `text` (a line per change), `json` (a JSON object per line), `github`
    /// (GitHub Actions annotations).
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
    /// Do not fail on this rule (repeatable), e.g. `ENUM_MEMBER_ADDED`.
    #[arg(long = "allow", value_name = "RULE")]
    allow: Vec<String>,
    /// A JSON file of settings: `{"allow": ["RULE", ...]}`.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// The generated code has no device side (`generate --no-device`): a new `Handler`
    /// method breaks nothing.
    #[arg(long)]
    no_device: bool,
    #[command(flatten)]
    connection: Connection,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Format {
    Text,
    Json,
    Github,
}

/// A model and its texts.
struct Loaded {
    model: Model,
    sources: Sources,
}

pub fn run(args: &Args) -> ExitCode {
    match compare(args) {
        Ok(code) => code,
        Err(Stop::Usage(message)) => {
            eprintln!("error: {message}");
            ExitCode::from(USAGE)
        }
        Err(Stop::Model(label, err)) => {
            for d in &err.diagnostics {
                eprintln!("{d}");
            }
            eprintln!("error: the {label} model is invalid");
            ExitCode::from(USAGE)
        }
        Err(Stop::Call(failure)) => {
            // Printed as the other operations print it; any failure here is a usage error.
            let _ = ops::finish(Err(failure));
            ExitCode::from(USAGE)
        }
    }
}

enum Stop {
    Usage(String),
    Model(&'static str, ModelError),
    Call(Failure),
}

fn compare(args: &Args) -> Result<ExitCode, Stop> {
    let allowed = allowed_rules(args)?;
    let (old, new) = sides(args)?;
    let settings = Settings::new().device(!args.no_device);
    let changes = diff(
        &Side::new(&old.model, &old.sources),
        &Side::new(&new.model, &new.sources),
        &settings,
    )
    .map_err(|e| Stop::Usage(e.to_string()))?;
    let failing = changes
        .iter()
        .filter(|c| c.class().is_breaking() && !allowed.contains(&c.rule))
        .count();
    let out = io::stdout();
    let mut out = out.lock();
    let written = match args.format {
        Format::Text => text(&mut out, &changes, &allowed),
        Format::Json => json_lines(&mut out, &changes, &allowed),
        Format::Github => github(&mut out, &changes, &allowed),
    };
    match written {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {}
        Err(e) => return Err(Stop::Usage(format!("writing to stdout: {e}"))),
        Ok(()) => {}
    }
    Ok(if failing > 0 {
        ExitCode::from(BREAKING)
    } else {
        ExitCode::SUCCESS
    })
}

/// `--allow` and the config file's `allow`, checked against the table.
fn allowed_rules(args: &Args) -> Result<Vec<Rule>, Stop> {
    let mut names: Vec<String> = args.allow.clone();
    if let Some(path) = &args.config {
        let text = fs::read_to_string(path)
            .map_err(|e| Stop::Usage(format!("cannot read {}: {e}", path.display())))?;
        names.extend(
            config_allow(&text).map_err(|e| Stop::Usage(format!("{}: {e}", path.display())))?,
        );
    }
    names
        .iter()
        .map(|n| n.parse::<Rule>().map_err(|e| Stop::Usage(e.to_string())))
        .collect()
}

/// The `allow` list of a config file; anything else in it is refused, so that a typo is
/// not silently ignored.
fn config_allow(text: &str) -> Result<Vec<String>, String> {
    let value: Value = serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
    let Value::Object(map) = value else {
        return Err("expected an object like {\"allow\": [\"ENUM_MEMBER_ADDED\"]}".into());
    };
    let mut out = Vec::new();
    for (key, value) in map {
        match (key.as_str(), value) {
            ("allow", Value::Array(items)) => {
                for item in items {
                    match item {
                        Value::String(name) => out.push(name),
                        other => return Err(format!("`allow` holds rule names, found {other}")),
                    }
                }
            }
            ("allow", _) => return Err("`allow` must be an array of rule names".into()),
            (other, _) => return Err(format!("unknown setting `{other}` (known: allow)")),
        }
    }
    Ok(out)
}

fn sides(args: &Args) -> Result<(Loaded, Loaded), Stop> {
    match &args.against {
        Some(against) => {
            if !args.old.is_empty() {
                return Err(Stop::Usage(
                    "--against gives the old side; drop --old".into(),
                ));
            }
            let files: Vec<PathBuf> = args.new.iter().chain(&args.files).cloned().collect();
            if files.is_empty() {
                return Err(Stop::Usage(
                    "--against needs the new side's model files".into(),
                ));
            }
            let new = load_files(&files, "new")?;
            let old = if let Some(rev) = against.strip_prefix("git:") {
                from_git(rev, &files)?
            } else if let Some(version) = against.strip_prefix("platform:") {
                from_platform(args, version, &new.model)?
            } else {
                return Err(Stop::Usage(format!(
                    "--against {against}: expected git:REF or platform:VERSION"
                )));
            };
            Ok((old, new))
        }
        None => {
            if args.product_key.is_some() {
                return Err(Stop::Usage(
                    "--product-key goes with --against platform:VERSION".into(),
                ));
            }
            let (old, new) = match (
                args.old.is_empty(),
                args.new.is_empty(),
                args.files.as_slice(),
            ) {
                (true, true, [old, new]) => (vec![old.clone()], vec![new.clone()]),
                (false, false, []) => (args.old.clone(), args.new.clone()),
                (true, true, _) => {
                    return Err(Stop::Usage(
                        "give two model files (OLD NEW), or --old and --new, or --against".into(),
                    ))
                }
                _ => {
                    return Err(Stop::Usage(
                        "give both --old and --new (without positional files), or OLD NEW".into(),
                    ))
                }
            };
            Ok((load_files(&old, "old")?, load_files(&new, "new")?))
        }
    }
}

fn load_files(paths: &[PathBuf], label: &'static str) -> Result<Loaded, Stop> {
    let mut texts = Vec::new();
    for path in paths {
        let text = fs::read(path)
            .map_err(|e| Stop::Usage(format!("cannot read {}: {e}", path.display())))?;
        texts.push((path.display().to_string(), text));
    }
    parse_all(texts, label)
}

/// Parses the texts of one side as one product's modules.
fn parse_all(texts: Vec<(String, Vec<u8>)>, label: &'static str) -> Result<Loaded, Stop> {
    let mut sources = Sources::new();
    let mut parts: Vec<Parsed> = Vec::new();
    let mut errors = Vec::new();
    for (origin, bytes) in texts {
        match Model::parse_bytes(&bytes, &origin) {
            Ok(parsed) => parts.push(parsed),
            Err(err) => errors.extend(err.diagnostics),
        }
        sources.insert(origin, String::from_utf8_lossy(&bytes).into_owned());
    }
    if !errors.is_empty() {
        return Err(Stop::Model(label, ModelError::new(errors)));
    }
    let parsed = Model::combine(parts).map_err(|e| Stop::Model(label, e))?;
    Ok(Loaded {
        model: parsed.model,
        sources,
    })
}

/// The files as they were at `rev`: `git show REV:./NAME` run in each file's folder, so
/// paths are taken relative to it as given, wherever the repository's root is.
fn from_git(rev: &str, files: &[PathBuf]) -> Result<Loaded, Stop> {
    if rev.is_empty() || rev.starts_with('-') {
        return Err(Stop::Usage(format!("git:{rev}: not a revision")));
    }
    let mut texts = Vec::new();
    for file in files {
        let dir = file
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let name = file
            .file_name()
            .ok_or_else(|| Stop::Usage(format!("{} is not a file", file.display())))?;
        let spec = format!("{rev}:./{}", name.to_string_lossy());
        let output = Command::new("git")
            .arg("-C")
            .arg(dir)
            .args(["show", "--no-textconv", &spec])
            .output()
            .map_err(|e| Stop::Usage(format!("cannot run git: {e}")))?;
        if !output.status.success() {
            return Err(Stop::Usage(format!(
                "git show {spec} (in {}) failed: {}",
                dir.display(),
                String::from_utf8_lossy(&output.stderr).trim()
            )));
        }
        texts.push((format!("{rev}:{}", file.display()), output.stdout));
    }
    parse_all(texts, "old")
}

/// The published `version` of the product's modules (those the new side has) through
/// `GetThingModelTsl` with `ModelVersion`.
fn from_platform(args: &Args, version: &str, new: &Model) -> Result<Loaded, Stop> {
    let product_key = match (&args.product_key, &new.product_key) {
        (Some(pk), _) if !pk.trim().is_empty() => pk.clone(),
        (None, Some(pk)) => pk.clone(),
        _ => {
            return Err(Stop::Usage(
                "--against platform:VERSION needs --product-key PK (the model names none)".into(),
            ))
        }
    };
    if version.trim().is_empty() {
        return Err(Stop::Usage("--against platform: needs a VERSION".into()));
    }
    let client = args.connection.client().map_err(Stop::Call)?;
    let runtime = ops::runtime().map_err(Stop::Call)?;
    let mut texts = Vec::new();
    for module in &new.modules {
        let request = GetThingModelTsl {
            product_key: product_key.clone(),
            function_block_id: module.id.clone(),
            model_version: Some(version.to_string()),
            simple: false,
        };
        let answer = runtime
            .block_on(client.get_thing_model_tsl(&request))
            .map_err(|e| Stop::Call(Failure::call("GetThingModelTsl")(e)))?;
        let origin = match &module.id {
            Some(id) => format!("platform:{version}:{id}"),
            None => format!("platform:{version}"),
        };
        texts.push((origin, answer.tsl.into_bytes()));
    }
    parse_all(texts, "old")
}

fn text(out: &mut impl io::Write, changes: &[Change], allowed: &[Rule]) -> io::Result<()> {
    for change in changes {
        let mark = if change.class().is_breaking() && allowed.contains(&change.rule) {
            " (allowed)"
        } else {
            ""
        };
        writeln!(out, "{change}{mark}")?;
    }
    let count = |class: Class| changes.iter().filter(|c| c.class() == class).count();
    let allowed_n = changes
        .iter()
        .filter(|c| c.class().is_breaking() && allowed.contains(&c.rule))
        .count();
    writeln!(
        out,
        "{} change{}: {} wire-breaking, {} code-breaking, {} compatible{}",
        changes.len(),
        if changes.len() == 1 { "" } else { "s" },
        count(Class::WireBreaking),
        count(Class::CodeBreaking),
        count(Class::Compatible),
        if allowed_n > 0 {
            format!(" ({allowed_n} breaking allowed)")
        } else {
            String::new()
        }
    )
}

fn site_json(site: &Site) -> Value {
    json!({
        "origin": site.origin,
        "pointer": site.pointer,
        "line": site.location.map(|l| l.line),
        "column": site.location.map(|l| l.column),
    })
}

fn json_lines(out: &mut impl io::Write, changes: &[Change], allowed: &[Rule]) -> io::Result<()> {
    for c in changes {
        let allow = allowed.contains(&c.rule);
        let line = json!({
            "rule": c.rule.name(),
            "class": c.class().as_str(),
            "breaking": c.class().is_breaking() && !allow,
            "allowed": allow,
            "path": c.path.to_string(),
            "message": c.message,
            "old": site_json(&c.old),
            "new": site_json(&c.new),
        });
        writeln!(out, "{line}")?;
    }
    Ok(())
}

/// `::error file=…,line=…,col=…,title=…::message`, on the new side's file (the old one
/// for a thing the new side does not have is still where the annotation shows: the list it
/// was in).
fn github(out: &mut impl io::Write, changes: &[Change], allowed: &[Rule]) -> io::Result<()> {
    for c in changes {
        let level = match (c.class().is_breaking(), allowed.contains(&c.rule)) {
            (true, false) => "error",
            (true, true) => "warning",
            (false, _) => "notice",
        };
        let file = c.new.origin.split('#').next().unwrap_or_default();
        let mut props = format!("file={}", property(file));
        if let Some(l) = c.new.location {
            props.push_str(&format!(",line={},col={}", l.line, l.column));
        }
        props.push_str(&format!(
            ",title={}",
            property(&format!("{} {}", c.class(), c.rule))
        ));
        writeln!(
            out,
            "::{level} {props}::{}",
            data(&format!(
                "{}: {} (was {} at {})",
                c.path,
                c.message,
                c.old,
                if c.old.pointer.is_empty() {
                    "/"
                } else {
                    &c.old.pointer
                }
            ))
        )?;
    }
    Ok(())
}

/// Workflow-command escaping of a message.
fn data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Workflow-command escaping of a property value.
fn property(s: &str) -> String {
    data(s).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_takes_an_allow_list_and_refuses_the_rest() {
        assert_eq!(
            config_allow(r#"{"allow": ["ENUM_MEMBER_ADDED", "x"]}"#),
            Ok(vec!["ENUM_MEMBER_ADDED".to_string(), "x".to_string()])
        );
        assert!(config_allow(r#"{"alow": []}"#)
            .unwrap_err()
            .contains("unknown setting `alow`"));
        assert!(config_allow(r#"{"allow": "X"}"#).is_err());
        assert!(config_allow(r#"[1]"#).is_err());
        assert!(config_allow("{").unwrap_err().starts_with("not JSON"));
    }

    #[test]
    fn github_escaping() {
        assert_eq!(property("a:b,c%"), "a%3Ab%2Cc%25");
        assert_eq!(data("1\n2:3"), "1%0A2:3");
    }
}
