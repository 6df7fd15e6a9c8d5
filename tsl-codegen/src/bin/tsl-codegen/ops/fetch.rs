//! `tsl-codegen fetch`: a product's model from the platform (GetThingModelTsl or
//! QueryThingModel), checked by the model parser and written as a file `generate` reads.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use tsl_runtime::client::{GetThingModelTsl, QueryThingModel};
use tsl_runtime::model::Model;

use super::connection::Connection;
use super::{output, Failure};

/// Fetches a product's thing model (the draft, unless --model-version names a published
/// one) and prints it, or writes it to FILE, as a model file that `check` and `generate`
/// accept. The model is parsed before anything is written.
#[derive(clap::Args, Debug)]
#[command(after_help = super::FETCH_HELP)]
pub struct Args {
    /// The product key.
    #[arg(long, value_name = "PK")]
    product_key: String,
    /// A custom module (`functionBlockId`); the default module without.
    #[arg(long, value_name = "ID")]
    function_block_id: Option<String>,
    /// A published model version; the draft without.
    #[arg(long, value_name = "VERSION")]
    model_version: Option<String>,
    /// TSL (GetThingModelTsl) or the platform's internal ThingModelJson (QueryThingModel).
    #[arg(long, value_enum, default_value = "tsl")]
    format: ModelFormat,
    /// Write the model to FILE instead of stdout.
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,
    #[command(flatten)]
    connection: Connection,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ModelFormat {
    /// TSL, as the console exports it (GetThingModelTsl's `Data.TslStr`).
    Tsl,
    /// ThingModelJson (QueryThingModel's `Data.ThingModelJson`).
    ThingModelJson,
}

pub fn run(args: &Args) -> Result<ExitCode, Failure> {
    if args.product_key.trim().is_empty() {
        return Err(Failure::usage("--product-key is empty"));
    }
    let client = args.connection.client()?;
    let runtime = super::runtime()?;
    let (action, request_id, text) = match args.format {
        ModelFormat::Tsl => {
            let request = GetThingModelTsl {
                product_key: args.product_key.clone(),
                function_block_id: args.function_block_id.clone(),
                model_version: args.model_version.clone(),
                simple: false,
            };
            let answer = runtime
                .block_on(client.get_thing_model_tsl(&request))
                .map_err(Failure::call("GetThingModelTsl"))?;
            ("GetThingModelTsl", answer.request_id, answer.tsl)
        }
        ModelFormat::ThingModelJson => {
            let request = QueryThingModel {
                product_key: args.product_key.clone(),
                function_block_id: args.function_block_id.clone(),
                model_version: args.model_version.clone(),
            };
            let answer = runtime
                .block_on(client.query_thing_model(&request))
                .map_err(Failure::call("QueryThingModel"))?;
            (
                "QueryThingModel",
                answer.request_id,
                answer.thing_model_json,
            )
        }
    };
    let text = pretty(&text);
    let origin = match &args.output {
        Some(path) => path.display().to_string(),
        None => format!("{action} answer"),
    };
    let parsed = Model::parse(&text, &origin).map_err(|err| {
        Failure::Output(format!(
            "the model {action} returned (RequestId {request_id}) does not parse; nothing was \
             written:\n{err}"
        ))
    })?;
    for warning in &parsed.warnings {
        eprintln!("{warning}");
    }
    let model = &parsed.model;
    let summary = format!(
        "{action} (RequestId {request_id}): {} properties, {} events, {} services",
        model.properties().count(),
        model.events().count(),
        model.services().count()
    );
    match &args.output {
        Some(path) => {
            std::fs::write(path, text.as_bytes())
                .map_err(|e| Failure::Output(format!("cannot write {}: {e}", path.display())))?;
            eprintln!("wrote {}: {summary}", path.display());
        }
        None => {
            if let Err(e) = std::io::stdout().lock().write_all(text.as_bytes()) {
                return output::write_failed(e);
            }
            eprintln!("{summary}");
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// JSON text indented by two spaces a level, with a final newline. Whitespace outside
/// strings is replaced; strings (and so every value) are kept byte for byte. For text that
/// is not JSON the result is still that text's tokens, and the parser reports the problem.
fn pretty(json: &str) -> String {
    let mut out = String::with_capacity(json.len() + json.len() / 4);
    let mut depth: usize = 0;
    let mut in_string = false;
    let mut escaped = false;
    let mut chars = json.chars().peekable();
    let newline = |out: &mut String, depth: usize| {
        out.push('\n');
        for _ in 0..depth {
            out.push_str("  ");
        }
    };
    while let Some(c) = chars.next() {
        if in_string {
            out.push(c);
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
            }
            continue;
        }
        match c {
            '"' => {
                in_string = true;
                out.push(c);
            }
            '{' | '[' => {
                out.push(c);
                while chars.peek().is_some_and(|c| c.is_whitespace()) {
                    chars.next();
                }
                let close = if c == '{' { '}' } else { ']' };
                if chars.peek() == Some(&close) {
                    chars.next();
                    out.push(close);
                } else {
                    depth += 1;
                    newline(&mut out, depth);
                }
            }
            '}' | ']' => {
                depth = depth.saturating_sub(1);
                newline(&mut out, depth);
                out.push(c);
            }
            ',' => {
                out.push(c);
                newline(&mut out, depth);
            }
            ':' => out.push_str(": "),
            c if c.is_whitespace() => {}
            c => out.push(c),
        }
    }
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pretty_indents_and_keeps_strings() {
        let compact = r#"{"a":[1,2,{}],"b":{"c":"x, {y}: \"z\" \\","d":[]},"e":" "}"#;
        let expected = "{\n  \"a\": [\n    1,\n    2,\n    {}\n  ],\n  \"b\": {\n    \"c\": \"x, {y}: \\\"z\\\" \\\\\",\n    \"d\": []\n  },\n  \"e\": \" \"\n}\n";
        assert_eq!(pretty(compact), expected);
        assert_eq!(pretty(expected), expected, "idempotent");
        let a: serde_json::Value = serde_json::from_str(compact).unwrap();
        let b: serde_json::Value = serde_json::from_str(&pretty(compact)).unwrap();
        assert_eq!(a, b);
        assert_eq!(pretty("{ }"), "{}\n");
    }

    #[test]
    fn pretty_models_still_parse() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../examples/models/street-lamp.json"
        );
        let text = std::fs::read_to_string(path).unwrap();
        let compact: String = serde_json::from_str::<serde_json::Value>(&text)
            .unwrap()
            .to_string();
        let model = Model::parse(&pretty(&compact), "pretty").unwrap().model;
        assert_eq!(model.properties().count(), 11);
        assert_eq!(model.services().count(), 5);
    }
}
