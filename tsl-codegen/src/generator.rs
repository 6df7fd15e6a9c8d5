//! The generator: a `Model` in, Rust tokens or a formatted file out. One pipeline for every
//! front end: plan → emit → (format).

use proc_macro2::TokenStream;
use quote::quote;
use tsl_runtime::model::Model;

use crate::emit::{self, Context};
use crate::format;
use crate::names::NameCollision;
use crate::plan;
use crate::settings::Settings;

/// Why code could not be generated.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GenerateError {
    /// A setting is not valid Rust where it goes.
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
        Ok(emit::emit(&plan, &cx))
    }

    /// A formatted Rust file for `model`, with an `@generated` header naming `sources`
    /// (the model files as the user gave them): what the CLI and build scripts write.
    pub fn generate_file(&self, model: &Model, sources: &[&str]) -> Result<String, GenerateError> {
        let tokens = self.generate_tokens(model)?;
        let file: syn::File =
            syn::parse2(tokens).map_err(|e| GenerateError::Unparsable(e.to_string()))?;
        Ok(format::file(&file, model, sources))
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
            module,
            parts: s.parts(),
        })
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
