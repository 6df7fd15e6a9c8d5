//! Every problem of one expansion, reported together as one `compile_error!` each.

use proc_macro2::TokenStream;

/// The problems found so far.
#[derive(Default)]
pub struct Errors {
    combined: Option<syn::Error>,
}

impl Errors {
    /// Adds a problem.
    pub fn push(&mut self, error: syn::Error) {
        match &mut self.combined {
            Some(combined) => combined.combine(error),
            None => self.combined = Some(error),
        }
    }

    /// Whether nothing was found.
    pub fn is_empty(&self) -> bool {
        self.combined.is_none()
    }

    /// A `compile_error!` per problem, each at its span.
    pub fn into_compile_errors(self) -> TokenStream {
        self.combined
            .map(|e| e.into_compile_error())
            .unwrap_or_default()
    }
}
