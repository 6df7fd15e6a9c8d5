//! What changed between two versions of a thing model, and what that breaks.
//!
//! [`diff`] compares two [`Model`]s item by item (modules by id, properties, services and
//! events by identifier, parameters and struct members by identifier, enum members by key)
//! and returns every difference as a [`Change`]: the [`Rule`] that found it and its
//! [`Class`] (wire-breaking, code-breaking, compatible), what changed ([`ItemPath`]), a
//! message, and where it is on each side ([`Site`]: file, JSON pointer, `line:col`). The
//! rules are one table, [`Rule::ALL`], documented in `docs/diff.md`.
//!
//! This module finds what breaks on the wire and what is compatible. Which changes break
//! Rust compiled against the generated code depends on the names and types the generator
//! derives; `tsl_codegen::diff` adds those (the code-breaking rules) on top of this one.
//!
//! Items that mirror the properties (the `set`/`get` services and the `post` event) are not
//! compared on their own: a property's change is reported once, on the property.

mod change;
mod compare;
mod locate;
mod rules;

use std::collections::HashMap;

pub use change::{Change, Field, ItemPath, Site, Step};
pub use rules::{Class, Rule, UnknownRule};

use super::Model;

/// The texts models were read from, by origin (the label given to the parser, usually
/// the file path). Positions are found in them; a model whose text is missing gets sites
/// without pointer or `line:col`.
#[derive(Debug, Clone, Default)]
pub struct Sources {
    texts: HashMap<String, String>,
}

impl Sources {
    /// No texts.
    pub fn new() -> Sources {
        Sources::default()
    }

    /// Adds the text read under `origin` (the same label given to [`Model::parse`]).
    pub fn insert(&mut self, origin: impl Into<String>, text: impl Into<String>) {
        self.texts.insert(origin.into(), text.into());
    }

    /// The text of `origin`.
    pub fn get(&self, origin: &str) -> Option<&str> {
        self.texts.get(origin).map(String::as_str)
    }

    /// Reads again the files `model` was loaded from ([`Model::load`] names modules by
    /// their path; `file#/Data/TslStr` reads `file`). Files that cannot be read are left
    /// out. The files must not have changed since they were loaded.
    pub fn read_origins(model: &Model) -> Sources {
        let mut sources = Sources::new();
        for module in &model.modules {
            let origin = &module.source.origin;
            for file in [
                Some(origin.as_str()),
                origin.rsplit_once('#').map(|(f, _)| f),
            ]
            .into_iter()
            .flatten()
            {
                if sources.get(file).is_none() {
                    if let Ok(text) = std::fs::read_to_string(file) {
                        sources.insert(file, text);
                    }
                }
            }
        }
        sources
    }
}

/// One side of a comparison: a model and the texts it was read from.
#[derive(Debug, Clone, Copy)]
pub struct Side<'a> {
    /// The model.
    pub model: &'a Model,
    /// Its texts, for positions.
    pub sources: &'a Sources,
}

impl<'a> Side<'a> {
    /// A model and its texts.
    pub fn new(model: &'a Model, sources: &'a Sources) -> Side<'a> {
        Side { model, sources }
    }

    /// Where each of `paths` is on this side, in order. A path this side does not have
    /// gets the nearest thing that it has (the list the item would be in).
    pub fn sites(&self, paths: &[&ItemPath]) -> Vec<Site> {
        locate::sites(self, paths)
    }
}

/// Every wire-level and compatible change from `old` to `new`, positions read from the
/// files the models were loaded from (see [`Sources::read_origins`]).
///
/// ```
/// use tsl_runtime::model::diff::{diff, Rule};
/// use tsl_runtime::model::Model;
///
/// let old = Model::parse(r#"{"properties":[{"identifier":"Level","dataType":{"type":"int","specs":{"min":"0","max":"100"}}}]}"#, "old.json")?;
/// let new = Model::parse(r#"{"properties":[{"identifier":"Level","dataType":{"type":"int","specs":{"min":"0","max":"50"}}}]}"#, "new.json")?;
/// let changes = diff(&old.model, &new.model);
/// assert_eq!(changes[0].rule, Rule::BoundsNarrowed);
/// assert_eq!(changes[0].message, "100 → 50");
/// # Ok::<(), tsl_runtime::model::ModelError>(())
/// ```
pub fn diff(old: &Model, new: &Model) -> Vec<Change> {
    let (old_sources, new_sources) = (Sources::read_origins(old), Sources::read_origins(new));
    diff_sides(&Side::new(old, &old_sources), &Side::new(new, &new_sources))
}

/// Every wire-level and compatible change from `old` to `new`, positions found in the
/// sides' sources.
pub fn diff_sides(old: &Side<'_>, new: &Side<'_>) -> Vec<Change> {
    let raws = compare::compare(old.model, new.model);
    let old_sites = old.sites(&raws.iter().map(|r| &r.old).collect::<Vec<_>>());
    let new_sites = new.sites(&raws.iter().map(|r| &r.new).collect::<Vec<_>>());
    raws.into_iter()
        .zip(old_sites.into_iter().zip(new_sites))
        .map(|(raw, (old, new))| Change {
            rule: raw.rule,
            path: raw.old,
            message: raw.message,
            old,
            new,
        })
        .collect()
}

#[cfg(test)]
mod tests;
