//! The generator: a `Model` in, Rust tokens or a formatted file out. One pipeline for every
//! front end: plan → emit → (format).

use proc_macro2::TokenStream;
use quote::quote;
use tsl_runtime::model::Model;

use crate::emit::{self, Context, Slice};
use crate::format;
use crate::ir::Plan;
use crate::names::NameCollision;
use crate::plan;
use crate::settings::Settings;

/// Why code could not be generated.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GenerateError {
    /// A setting is not valid Rust where it goes, or a type attribute picks no type.
    #[error("setting {setting} = {value:?} is not valid: {reason}")]
    Setting {
        /// Which setting.
        setting: &'static str,
        /// What was given.
        value: String,
        /// Why it does not parse.
        reason: String,
    },
    /// Names collided and the settings ask for collisions to be errors.
    #[error("{} name collision(s):\n{}", .0.len(), .0.iter().map(|c| format!("  {c}")).collect::<Vec<_>>().join("\n"))]
    Collisions(Vec<NameCollision>),
    /// The emitted tokens do not parse as a file (a bug in the generator).
    #[error("the generated code does not parse ({0}); please report this with the model")]
    Unparsable(String),
}

/// Turns models into Rust, with one [`Settings`].
///
/// ```
/// use tsl_codegen::{model::Model, Generator, Settings};
///
/// let model = Model::parse(
///     r#"{"schema":"https://iotx-tsl.oss-ap-southeast-1.aliyuncs.com/schema.json",
///        "profile":{"productKey":"a1Lamp"},
///        "properties":[{"identifier":"on","name":"On","accessMode":"rw","required":false,
///                       "dataType":{"type":"bool","specs":{"0":"off","1":"on"}}}],
///        "events":[],"services":[]}"#,
///     "lamp.json",
/// )?
/// .model;
/// let code = Generator::new(&Settings::new()).generate_file(&model, &["lamp.json"])?;
/// assert!(code.starts_with("// @generated"));
/// assert!(code.contains("pub struct PropertySet"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct Generator {
    settings: Settings,
}

impl Generator {
    /// A generator with these settings.
    pub fn new(settings: &Settings) -> Generator {
        Generator {
            settings: settings.clone(),
        }
    }

    /// The items for `model`, unformatted: what `#[tsl_model]` hands to the compiler.
    pub fn generate_tokens(&self, model: &Model) -> Result<TokenStream, GenerateError> {
        let cx = self.context()?;
        let plan = plan::plan(model, &self.settings).map_err(GenerateError::Collisions)?;
        every_type_attribute_picks(&plan, &cx)?;
        Ok(emit::emit(&plan, &cx))
    }

    /// A formatted Rust file for `model`, with an `@generated` header naming `sources`
    /// (the model files as the user gave them): what the CLI and build scripts write.
    ///
    /// A large model is emitted and formatted in two halves on two threads (formatting
    /// re-parses every token, and is most of the time); the text is the same as from one.
    pub fn generate_file(&self, model: &Model, sources: &[&str]) -> Result<String, GenerateError> {
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        self.generate_file_on(model, sources, threads >= 2)
    }

    /// [`Generator::generate_file`], on two threads when `split` and the model is large
    /// enough to gain from it.
    fn generate_file_on(
        &self,
        model: &Model,
        sources: &[&str],
        split: bool,
    ) -> Result<String, GenerateError> {
        /// Below this many types, a second thread costs more than it saves.
        const SPLIT_AT: usize = 64;
        let plan = plan::plan(model, &self.settings).map_err(GenerateError::Collisions)?;
        // A wrapping module is one item: nothing to split.
        let body = if split && self.settings.module_name.is_none() && plan.types.len() >= SPLIT_AT {
            let middle = plan.types.len() / 2;
            let (head, tail) = std::thread::scope(|scope| {
                // Tokens are not `Send`: each thread makes its own from the shared plan.
                let head = scope.spawn(|| self.format(&plan, Slice::Head(middle)));
                let tail = self.format(&plan, Slice::Tail(middle));
                (head.join(), tail)
            });
            let head = head.map_err(|_| {
                GenerateError::Unparsable("the formatting thread panicked".to_string())
            })??;
            head + &tail?
        } else {
            self.format(&plan, Slice::All)?
        };
        Ok(format::file(&body, &plan, sources))
    }

    /// The items of `slice`, formatted.
    fn format(&self, plan: &Plan, slice: Slice) -> Result<String, GenerateError> {
        let cx = self.context()?;
        every_type_attribute_picks(plan, &cx)?;
        let tokens = match slice {
            Slice::All => emit::emit(plan, &cx),
            _ => emit::items(plan, &cx, slice),
        };
        let file: syn::File =
            syn::parse2(tokens).map_err(|e| GenerateError::Unparsable(e.to_string()))?;
        Ok(prettyplease::unparse(&file))
    }

    fn context(&self) -> Result<Context, GenerateError> {
        let s = &self.settings;
        let rt: syn::Path = parse_setting("runtime_path", &s.runtime_path)?;
        let derives = s
            .derives
            .iter()
            .map(|d| parse_setting::<syn::Path>("derive", d))
            .collect::<Result<_, _>>()?;
        let attributes = s
            .attributes
            .iter()
            .map(|a| parse_setting::<syn::Meta>("attribute", a))
            .collect::<Result<_, _>>()?;
        let type_attributes = s
            .type_attributes
            .iter()
            .map(|(name, a)| {
                Ok((
                    name.clone(),
                    parse_setting::<syn::Meta>("type_attribute", a)?,
                ))
            })
            .collect::<Result<_, GenerateError>>()?;
        let module = s
            .module_name
            .as_deref()
            .map(|m| {
                let ident: syn::Ident = parse_setting("module_name", m)?;
                Ok::<_, GenerateError>(ident)
            })
            .transpose()?;
        Ok(Context {
            rt: quote!(#rt),
            derives,
            attributes,
            type_attributes,
            module,
            parts: s.parts(),
            serde: s.serde,
        })
    }
}

/// A type attribute whose name picks no type is an error, so a typo or a renamed model does
/// not pass unseen.
fn every_type_attribute_picks(plan: &Plan, cx: &Context) -> Result<(), GenerateError> {
    match cx.unpicked_type_attribute(plan) {
        Some(name) => Err(GenerateError::Setting {
            setting: "type_attribute",
            value: name.to_string(),
            reason: "no generated type has this Rust name, and no service or event this \
                     identifier"
                .to_string(),
        }),
        None => Ok(()),
    }
}

fn parse_setting<T: syn::parse::Parse>(
    setting: &'static str,
    value: &str,
) -> Result<T, GenerateError> {
    syn::parse_str(value).map_err(|e| GenerateError::Setting {
        setting,
        value: value.to_string(),
        reason: e.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use tsl_runtime::model::Model;

    use super::*;

    fn torture() -> Model {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../tests/golden/models/torture.json"
        );
        Model::load(path).expect("the torture model loads").model
    }

    /// Big enough to be split: the torture model's types, many times over under other names.
    fn big() -> Model {
        let mut model = torture();
        let module = model.modules[0].clone();
        for i in 0..8 {
            let mut copy = module.clone();
            copy.id = Some(format!("m{i}"));
            model.modules.push(copy);
        }
        model
    }

    #[test]
    fn two_threads_write_what_one_writes() {
        let generator = Generator::new(&Settings::new());
        let model = big();
        let plan = plan::plan(&model, &Settings::new()).unwrap();
        assert!(
            plan.types.len() >= 64,
            "{} types: too few to split",
            plan.types.len()
        );
        let one = generator.generate_file_on(&model, &["big"], false).unwrap();
        let two = generator.generate_file_on(&model, &["big"], true).unwrap();
        assert!(one == two, "the split output differs");
    }
}
