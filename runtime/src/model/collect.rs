//! The diagnostics of one document as they are found: kept up to a cap, the rest counted.
//!
//! Below both the readers (`parse/`) and the checks across items (`validate.rs`), so that
//! neither reaches into the other for it.

use super::diagnostic::{Diagnostic, Problem};

/// How many diagnostics one document keeps. Past this they are only counted: a hostile
/// model can hold millions of problems, and building and locating each one would take
/// minutes and gigabytes for a list that is cut to `MAX_DIAGNOSTICS` anyway.
const KEPT_PER_DOCUMENT: usize = 1_000;

/// Diagnostics of one document.
pub(crate) struct Ctx {
    pub origin: String,
    pub diags: Vec<Diagnostic>,
    /// Every problem found, kept or not.
    found: usize,
    omitted_errors: usize,
    omitted_warnings: usize,
}

impl Ctx {
    pub fn new(origin: &str) -> Ctx {
        Ctx {
            origin: origin.to_string(),
            diags: Vec::new(),
            found: 0,
            omitted_errors: 0,
            omitted_warnings: 0,
        }
    }

    /// Every problem found so far, including those past the cap.
    pub fn found(&self) -> usize {
        self.found
    }

    pub fn error(&mut self, ptr: &str, problem: Problem) {
        self.found += 1;
        if self.diags.len() < KEPT_PER_DOCUMENT {
            self.diags
                .push(Diagnostic::error(&self.origin, ptr, problem));
        } else {
            self.omitted_errors += 1;
        }
    }

    pub fn warn(&mut self, ptr: &str, problem: Problem) {
        self.found += 1;
        if self.diags.len() < KEPT_PER_DOCUMENT {
            self.diags
                .push(Diagnostic::warning(&self.origin, ptr, problem));
        } else {
            self.omitted_warnings += 1;
        }
    }

    /// The diagnostics, with one `TooManyProblems` entry standing for those past the cap
    /// (an error if any of them was, so the model is still refused).
    pub fn into_diagnostics(mut self) -> Vec<Diagnostic> {
        let omitted = self.omitted_errors + self.omitted_warnings;
        if omitted > 0 {
            let problem = Problem::TooManyProblems { omitted };
            self.diags.push(if self.omitted_errors > 0 {
                Diagnostic::error(&self.origin, "", problem)
            } else {
                Diagnostic::warning(&self.origin, "", problem)
            });
        }
        self.diags
    }
}
