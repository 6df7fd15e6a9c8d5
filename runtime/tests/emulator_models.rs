//! Model → TSL / simplified TSL / ThingModelJson, read back by our own parser into the
//! same module: on the bundled examples, and on the third-party models in
//! `../shared/models/real/` when that folder is present.
#![cfg(feature = "emulator")]

use std::path::{Path, PathBuf};

use tsl_runtime::emulator::export::{to_simplified_tsl, to_thing_model_json, to_tsl};
use tsl_runtime::model::{DataType, Envelope, Format, Model, Module, Source};

fn blank_source(module: &mut Module) {
    module.source = Source {
        origin: String::new(),
        format: Format::Tsl,
        envelope: Envelope::Bare,
        schema: None,
        version: None,
    };
}

/// What the platform answers does not say where the model was read from.
fn comparable(module: &Module) -> Module {
    let mut module = module.clone();
    blank_source(&mut module);
    module
}

/// ThingModelJson cannot carry the `get` service's list of property names, the default
/// module's `functionBlocks`, or a `method` other than the identifier's own.
fn comparable_as_thing_model_json(module: &Module) -> Module {
    let mut module = comparable(module);
    module.function_blocks.clear();
    for service in &mut module.services {
        service.input_names.clear();
        service.method = match service.identifier.as_str() {
            "set" | "get" => format!("thing.service.property.{}", service.identifier),
            id => format!("thing.service.{id}"),
        };
    }
    for event in &mut module.events {
        event.method = match event.identifier.as_str() {
            "post" => "thing.event.property.post".to_string(),
            id => format!("thing.event.{id}.post"),
        };
    }
    module
}

fn reparse(json: &serde_json::Value, origin: &str) -> Model {
    let text = serde_json::to_string_pretty(json).unwrap();
    match Model::parse(&text, origin) {
        Ok(parsed) => parsed.model,
        Err(err) => panic!("{origin} does not read back:\n{err}\n{text}"),
    }
}

/// Round-trips every module of `model`; returns how many modules were checked.
fn round_trip(model: &Model, origin: &str) -> usize {
    let key = model.product_key.as_deref().unwrap_or("a1Product");
    for module in &model.modules {
        let name = format!("{origin}#{}", module.id.as_deref().unwrap_or("default"));

        let tsl = reparse(&to_tsl(key, module), &name);
        assert_eq!(tsl.product_key.as_deref(), Some(key));
        assert_eq!(tsl.modules[0].source.format, Format::Tsl);
        assert_eq!(
            comparable(&tsl.modules[0]),
            comparable(module),
            "TSL of {name}"
        );

        let tmj = reparse(&to_thing_model_json(key, module), &name);
        assert_eq!(
            tmj.modules[0].source.format,
            Format::ThingModelJson,
            "{name}"
        );
        assert_eq!(
            comparable_as_thing_model_json(&tmj.modules[0]),
            comparable_as_thing_model_json(module),
            "ThingModelJson of {name}"
        );

        // Inside the API response, as QueryThingModel answers it.
        let response = serde_json::json!({
            "RequestId": "x",
            "Success": true,
            "Code": "",
            "Data": {"ThingModelJson": to_thing_model_json(key, module).to_string()},
        });
        let enveloped = reparse(&response, &name);
        assert_eq!(
            enveloped.modules[0].source.envelope,
            Envelope::QueryThingModel
        );
        assert_eq!(
            comparable_as_thing_model_json(&enveloped.modules[0]),
            comparable_as_thing_model_json(module)
        );

        let simple = reparse(&to_simplified_tsl(module), &name);
        let simple = &simple.modules[0];
        if !module.properties.is_empty() {
            assert_eq!(simple.source.format, Format::SimplifiedTsl, "{name}");
        }
        let shapes = |m: &Module| -> Vec<(String, String)> {
            m.properties
                .iter()
                .map(|p| (p.wire_identifier.clone(), shape(&p.data_type)))
                .chain(m.services.iter().flat_map(|s| {
                    s.inputs.iter().chain(&s.outputs).map(move |p| {
                        (
                            format!("{}.{}", s.identifier, p.identifier),
                            shape(&p.data_type),
                        )
                    })
                }))
                .collect()
        };
        assert_eq!(shapes(simple), shapes(module), "simplified TSL of {name}");
    }
    model.modules.len()
}

/// The type without its specs, but with struct members and array items.
fn shape(data_type: &DataType) -> String {
    match data_type {
        DataType::Struct(spec) => {
            let members: Vec<String> = spec
                .members
                .iter()
                .map(|m| format!("{}:{}", m.identifier, shape(&m.data_type)))
                .collect();
            format!("struct{{{}}}", members.join(","))
        }
        DataType::Array(spec) => format!("array[{}]", shape(&spec.item)),
        other => other.tsl_name().to_string(),
    }
}

fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/models")
}

#[test]
fn the_bundled_examples_round_trip() {
    let mut files: Vec<PathBuf> = std::fs::read_dir(examples())
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    assert!(files.len() >= 3, "{files:?}");
    let mut modules = 0;
    for file in &files {
        let model = Model::load(file).unwrap().model;
        modules += round_trip(&model, &file.display().to_string());
    }
    assert_eq!(modules, files.len());
    // And the three combined, as the emulator serves them.
    let combined = Model::load_all(&files).unwrap().model;
    assert_eq!(round_trip(&combined, "combined"), 3);
}

#[test]
fn third_party_models_round_trip() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/models/real");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        eprintln!("note: {} is absent; skipping", dir.display());
        return;
    };
    let mut files: Vec<PathBuf> = entries
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    let mut checked = 0;
    for file in &files {
        // Some third-party files are invalid on purpose; only models that read are compared.
        if let Ok(parsed) = Model::load(file) {
            round_trip(&parsed.model, &file.display().to_string());
            checked += 1;
        }
    }
    eprintln!(
        "{checked} of {} third-party models round-tripped",
        files.len()
    );
    assert!(checked > 0, "no model in {} read", dir.display());
}
