//! The build-script front end: model files in, a formatted Rust file in `OUT_DIR` out, with
//! the `cargo:` lines that make Cargo re-run the script when a model changes and only then.

use std::ffi::OsString;
use std::fmt;
use std::fs;
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};

use tsl_runtime::model::{Diagnostic, Model, ModelError, Parsed};

use crate::generator::{GenerateError, Generator};
use crate::names::CollisionPolicy;
use crate::settings::Settings;

/// Generates Rust from thing models in a build script.
///
/// ```no_run
/// // build.rs
/// fn main() {
///     if let Err(e) = tsl_codegen::Builder::new()
///         .model("models/lamp.json")
///         .out_file("lamp.rs")
///         .generate_to_out_dir()
///     {
///         eprintln!("{e}");
///         std::process::exit(1);
///     }
/// }
/// ```
///
/// ```ignore
/// // src/main.rs
/// mod lamp {
///     include!(concat!(env!("OUT_DIR"), "/lamp.rs"));
/// }
/// ```
///
/// Relative model and output paths are relative to `CARGO_MANIFEST_DIR` (the folder of the
/// crate's `Cargo.toml`), as Cargo sets it for build scripts. Each model file gets a
/// `cargo:rerun-if-changed` line (outputs never do), model warnings become
/// `cargo:warning` lines, and the output is written only when its content changed, so a
/// rebuild with nothing changed re-runs neither the script nor the compiler on its output.
// A build script is `fn main`, so the example shows it.
#[allow(clippy::needless_doctest_main)]
#[derive(Debug, Clone, Default)]
pub struct Builder {
    models: Vec<PathBuf>,
    settings: Settings,
    out_file: Option<PathBuf>,
    base_dir: Option<PathBuf>,
    out_dir: Option<PathBuf>,
    quiet: bool,
}

/// What a [`Builder`] run did.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Generated {
    /// The file generated.
    pub path: PathBuf,
    /// Whether it was written; `false` when it already held exactly this content.
    pub written: bool,
    /// The files Cargo was told to watch (`cargo:rerun-if-changed`): the models.
    pub rerun_if_changed: Vec<PathBuf>,
    /// The models' warnings (also printed as `cargo:warning` lines).
    pub warnings: Vec<Diagnostic>,
}

impl Builder {
    /// No models yet, default [`Settings`].
    pub fn new() -> Builder {
        Builder::default()
    }

    /// Adds a model file. Several files are the modules of one product (a default module
    /// and its custom modules), generated into one output.
    pub fn model(mut self, path: impl Into<PathBuf>) -> Builder {
        self.models.push(path.into());
        self
    }

    /// Replaces the generator settings as a whole.
    pub fn settings(mut self, settings: Settings) -> Builder {
        self.settings = settings;
        self
    }

    /// [`Settings::module_name`]: wrap the items in `pub mod name { ... }`.
    pub fn module_name(mut self, name: impl Into<String>) -> Builder {
        self.settings = self.settings.module_name(name);
        self
    }

    /// [`Settings::derive`]: an extra derive on every generated type, e.g. `"PartialOrd"`.
    pub fn derive(mut self, path: impl Into<String>) -> Builder {
        self.settings = self.settings.derive(path);
        self
    }

    /// [`Settings::attribute`]: an extra outer attribute, without `#[...]`.
    pub fn attribute(mut self, attribute: impl Into<String>) -> Builder {
        self.settings = self.settings.attribute(attribute);
        self
    }

    /// [`Settings::type_attribute`]: an extra outer attribute on the types `name` picks
    /// (a Rust type name, or a service's or event's identifier).
    pub fn type_attribute(
        mut self,
        name: impl Into<String>,
        attribute: impl Into<String>,
    ) -> Builder {
        self.settings = self.settings.type_attribute(name, attribute);
        self
    }

    /// How generated checks treat a number off its `step`; see [`Settings::step_check`].
    pub fn step_check(mut self, check: crate::StepCheck) -> Builder {
        self.settings = self.settings.step_check(check);
        self
    }

    /// `Serialize`/`Deserialize` in the wire form on every generated type; see
    /// [`Settings::serde`].
    pub fn serde(mut self, on: bool) -> Builder {
        self.settings = self.settings.serde(on);
        self
    }

    /// [`Settings::runtime_path`]: the path generated code names the runtime by.
    pub fn runtime_path(mut self, path: impl Into<String>) -> Builder {
        self.settings = self.settings.runtime_path(path);
        self
    }

    /// [`Settings::types`].
    pub fn types(mut self, on: bool) -> Builder {
        self.settings = self.settings.types(on);
        self
    }

    /// [`Settings::cloud`]: `Device` and `Fleet` handles.
    pub fn cloud(mut self, on: bool) -> Builder {
        self.settings = self.settings.cloud(on);
        self
    }

    /// [`Settings::device`]: the `Handler` trait, `dispatch` and `Responder`.
    pub fn device(mut self, on: bool) -> Builder {
        self.settings = self.settings.device(on);
        self
    }

    /// [`Settings::collisions`].
    pub fn collisions(mut self, policy: CollisionPolicy) -> Builder {
        self.settings = self.settings.collisions(policy);
        self
    }

    /// The file name under `OUT_DIR` for [`generate_to_out_dir`](Builder::generate_to_out_dir);
    /// by default the first model's name with `.rs` (`street-lamp.json` → `street_lamp.rs`).
    pub fn out_file(mut self, name: impl Into<PathBuf>) -> Builder {
        self.out_file = Some(name.into());
        self
    }

    /// The folder relative paths are relative to, instead of `CARGO_MANIFEST_DIR`.
    pub fn base_dir(mut self, dir: impl Into<PathBuf>) -> Builder {
        self.base_dir = Some(dir.into());
        self
    }

    /// The folder [`generate_to_out_dir`](Builder::generate_to_out_dir) writes to, instead
    /// of `OUT_DIR`.
    pub fn out_dir(mut self, dir: impl Into<PathBuf>) -> Builder {
        self.out_dir = Some(dir.into());
        self
    }

    /// Print no `cargo:` lines (for using the builder outside a build script).
    pub fn quiet(mut self, quiet: bool) -> Builder {
        self.quiet = quiet;
        self
    }

    /// Generates into `OUT_DIR` (see [`out_file`](Builder::out_file)); include the result
    /// with `include!(concat!(env!("OUT_DIR"), "/lamp.rs"))`.
    pub fn generate_to_out_dir(&self) -> Result<Generated, BuildError> {
        let dir = match &self.out_dir {
            Some(dir) => dir.clone(),
            None => PathBuf::from(env_var("OUT_DIR")?),
        };
        let name = match &self.out_file {
            Some(name) => name.clone(),
            None => default_out_file(self.models.first().ok_or(BuildError::NoModel)?),
        };
        self.generate(dir.join(name))
    }

    /// Generates into `path` (relative to `CARGO_MANIFEST_DIR` unless absolute), creating
    /// its folder if needed: for a checked-in file regenerated by a build script.
    pub fn generate_to(&self, path: impl AsRef<Path>) -> Result<Generated, BuildError> {
        let path = self.resolve(path.as_ref())?;
        self.generate(path)
    }

    fn generate(&self, out: PathBuf) -> Result<Generated, BuildError> {
        if self.models.is_empty() {
            return Err(BuildError::NoModel);
        }
        let mut watched = Vec::new();
        let mut parts = Vec::new();
        let mut diagnostics = Vec::new();
        for model in &self.models {
            let path = self.resolve(model)?;
            // Watch the file before reading it: if it is missing or broken now, creating
            // or fixing it must re-run the script.
            if !self.quiet {
                println!("cargo:rerun-if-changed={}", path.display());
            }
            let bytes = fs::read(&path).map_err(|source| BuildError::Read {
                path: path.clone(),
                source,
            })?;
            watched.push(path);
            // Diagnostics name the file as the build script gave it.
            match Model::parse_bytes(&bytes, &model.display().to_string()) {
                Ok(parsed) => parts.push(parsed),
                Err(err) => diagnostics.extend(err.diagnostics),
            }
        }
        if !diagnostics.is_empty() {
            return Err(BuildError::Model(ModelError::new(diagnostics)));
        }
        let Parsed { model, warnings } = Model::combine(parts).map_err(BuildError::Model)?;
        if !self.quiet {
            for warning in &warnings {
                for line in warning.to_string().lines() {
                    println!("cargo:warning={line}");
                }
            }
        }
        let sources: Vec<String> = self
            .models
            .iter()
            .map(|m| m.display().to_string())
            .collect();
        let sources: Vec<&str> = sources.iter().map(String::as_str).collect();
        let code = Generator::new(&self.settings)
            .generate_file(&model, &sources)
            .map_err(|source| BuildError::Generate {
                models: self.models.clone(),
                source,
            })?;
        let written = write_if_changed(&out, &code)?;
        Ok(Generated {
            path: out,
            written,
            rerun_if_changed: watched,
            warnings,
        })
    }

    fn resolve(&self, path: &Path) -> Result<PathBuf, BuildError> {
        if path.is_absolute() {
            return Ok(path.to_path_buf());
        }
        let base = match &self.base_dir {
            Some(dir) => dir.clone(),
            None => PathBuf::from(env_var("CARGO_MANIFEST_DIR")?),
        };
        Ok(base.join(path))
    }
}

fn env_var(name: &'static str) -> Result<OsString, BuildError> {
    std::env::var_os(name).ok_or(BuildError::MissingEnv { name })
}

/// `models/street-lamp.json` → `street_lamp.rs`.
fn default_out_file(model: &Path) -> PathBuf {
    let stem = model
        .file_stem()
        .map(|s| s.to_string_lossy().replace(['-', '.', ' '], "_"))
        .unwrap_or_else(|| "tsl_model".to_string());
    PathBuf::from(format!("{stem}.rs"))
}

/// Writes `code` unless the file already holds it; whether it wrote.
fn write_if_changed(path: &Path, code: &str) -> Result<bool, BuildError> {
    if fs::read(path).is_ok_and(|current| current == code.as_bytes()) {
        return Ok(false);
    }
    let write_error = |source| BuildError::Write {
        path: path.to_path_buf(),
        source,
    };
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        fs::create_dir_all(dir).map_err(write_error)?;
    }
    let mut file = fs::File::create(path).map_err(write_error)?;
    file.write_all(code.as_bytes()).map_err(write_error)?;
    Ok(true)
}

/// Why a [`Builder`] generated nothing. `Display` says which file and what is wrong, fit to
/// print from a build script as the user's first sight of the problem.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BuildError {
    /// No model was given.
    #[error("tsl-codegen: no model given: call Builder::model(\"models/lamp.json\")")]
    NoModel,
    /// An environment variable Cargo sets for build scripts is missing.
    #[error(
        "tsl-codegen: {name} is not set: run the builder from a build script, \
         or give it Builder::base_dir / Builder::out_dir"
    )]
    MissingEnv {
        /// The variable.
        name: &'static str,
    },
    /// A model file could not be read.
    #[error("tsl-codegen: cannot read the model file {}: {source}", .path.display())]
    Read {
        /// The file, resolved.
        path: PathBuf,
        /// The operating system's error.
        source: io::Error,
    },
    /// The models are invalid: every problem, each with `file:line:col`, JSON path and reason.
    #[error("tsl-codegen: nothing generated, the model is invalid:\n{0}")]
    Model(ModelError),
    /// The generator refused the models or the settings.
    #[error("tsl-codegen: nothing generated from {}: {source}", Paths(.models))]
    Generate {
        /// The model files as given.
        models: Vec<PathBuf>,
        /// Why.
        source: GenerateError,
    },
    /// The output could not be written.
    #[error("tsl-codegen: cannot write {}: {source}", .path.display())]
    Write {
        /// The output file.
        path: PathBuf,
        /// The operating system's error.
        source: io::Error,
    },
}

struct Paths<'a>(&'a [PathBuf]);

impl fmt::Display for Paths<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, path) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{}", path.display())?;
        }
        Ok(())
    }
}
