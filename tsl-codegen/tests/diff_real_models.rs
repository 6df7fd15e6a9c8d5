//! `diff` on real thing models from `../shared/models/` (third-party files kept outside the
//! repository; the tests print a note and skip when the folder is absent): each compared with
//! itself, with a copy edited here, as module sets, and in both shapes (console TSL and
//! `QueryThingModel`'s ThingModelJson) of the same product.

use std::fs;
use std::path::{Path, PathBuf};

use serde_json::{json, Value};
use tsl_codegen::diff::diff;
use tsl_codegen::model::diff::{Change, Rule, Side, Sources};
use tsl_codegen::model::{Model, Parsed};
use tsl_codegen::Settings;
use tsl_runtime::emulator::export;

fn models_dir(test: &str) -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/models");
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!("note: ../shared/models is absent; skipping {test}");
        None
    }
}

fn real_files(models: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = fs::read_dir(models.join("real"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    files
}

/// Parses `(origin, text)` files as one product and keeps their texts.
fn load(files: &[(String, String)]) -> (Model, Sources) {
    let mut sources = Sources::new();
    let mut parts: Vec<Parsed> = Vec::new();
    for (origin, text) in files {
        sources.insert(origin.clone(), text.clone());
        parts.push(Model::parse(text, origin).unwrap_or_else(|e| panic!("{origin}: {e}")));
    }
    (
        Model::combine(parts)
            .unwrap_or_else(|e| panic!("{e}"))
            .model,
        sources,
    )
}

fn compare(old: &[(String, String)], new: &[(String, String)]) -> Vec<Change> {
    let (a, sa) = load(old);
    let (b, sb) = load(new);
    diff(&Side::new(&a, &sa), &Side::new(&b, &sb), &Settings::new()).unwrap()
}

fn read(path: &Path) -> (String, String) {
    (
        path.file_name().unwrap().to_string_lossy().into_owned(),
        fs::read_to_string(path).unwrap(),
    )
}

fn listing(changes: &[Change]) -> String {
    changes.iter().map(|c| format!("  {c}\n")).collect()
}

#[test]
fn every_real_model_compared_with_itself_has_no_changes() {
    let Some(models) = models_dir("every_real_model_compared_with_itself_has_no_changes") else {
        return;
    };
    let files = real_files(&models);
    assert!(files.len() >= 30, "{} real models", files.len());
    for path in files {
        let file = read(&path);
        let changes = compare(std::slice::from_ref(&file), std::slice::from_ref(&file));
        assert!(
            changes.is_empty(),
            "{}:\n{}",
            path.display(),
            listing(&changes)
        );
    }
}

/// Where a property is in the model: its own entry, and the copies the console keeps in
/// the `post` event and the `set`/`get` services. An edit made as the console makes it
/// changes all of them.
fn copies(value: &Value, identifier: &str) -> Vec<String> {
    let mut out = Vec::new();
    let lists = [
        ("events", "thing.event.property.post", "outputData"),
        ("services", "thing.service.property.set", "inputData"),
        ("services", "thing.service.property.get", "outputData"),
    ];
    let find = |list: &Value| {
        list.as_array()
            .and_then(|items| items.iter().position(|i| i["identifier"] == identifier))
    };
    if let Some(i) = find(&value["properties"]) {
        out.push(format!("/properties/{i}"));
    }
    for (kind, method, key) in lists {
        for (n, item) in value[kind].as_array().into_iter().flatten().enumerate() {
            if item["method"] == method {
                if let Some(i) = find(&item[key]) {
                    out.push(format!("/{kind}/{n}/{key}/{i}"));
                }
            }
        }
    }
    out
}

/// Applies `edit` to the property's data type and every copy of it.
fn edit_property(value: &mut Value, identifier: &str, edit: impl Fn(&mut Value)) {
    for pointer in copies(value, identifier) {
        edit(value.pointer_mut(&format!("{pointer}/dataType")).unwrap());
    }
}

/// Removes the property and its copies (and its name from `get`'s list).
fn remove_property(value: &mut Value, identifier: &str) {
    let mut pointers = copies(value, identifier);
    // Deepest and last first, so earlier indices stay valid.
    pointers.sort_by(|a, b| b.cmp(a));
    for pointer in pointers {
        let (list, index) = pointer.rsplit_once('/').unwrap();
        let index: usize = index.parse().unwrap();
        value
            .pointer_mut(list)
            .unwrap()
            .as_array_mut()
            .unwrap()
            .remove(index);
    }
    for service in value["services"].as_array_mut().into_iter().flatten() {
        if let Some(inputs) = service["inputData"].as_array_mut() {
            inputs.retain(|i| i != identifier);
        }
    }
}

#[test]
fn a_hand_edited_real_model_shows_each_edit_where_it_is() {
    let Some(models) = models_dir("a_hand_edited_real_model_shows_each_edit_where_it_is") else {
        return;
    };
    let path = models.join("real/001-quecpython-tracker.json");
    let (origin, text) = read(&path);
    let mut value: Value = serde_json::from_str(&text).unwrap();
    // Pick the first int property with a max, the first sync-or-async service, and the
    // first enum property, so the test follows the file rather than hard-coding it.
    let properties = value["properties"].as_array().unwrap().clone();
    let int_index = properties
        .iter()
        .position(|p| p["dataType"]["type"] == "int" && p["dataType"]["specs"]["max"].is_string())
        .expect("an int property with a max");
    let enum_index = properties
        .iter()
        .position(|p| p["dataType"]["type"] == "enum")
        .expect("an enum property");
    let removed_index = properties
        .iter()
        .enumerate()
        .position(|(i, _)| i != int_index && i != enum_index)
        .unwrap();
    let removed_id = properties[removed_index]["identifier"]
        .as_str()
        .unwrap()
        .to_string();
    let int_id = properties[int_index]["identifier"]
        .as_str()
        .unwrap()
        .to_string();
    let enum_id = properties[enum_index]["identifier"]
        .as_str()
        .unwrap()
        .to_string();

    edit_property(&mut value, &int_id, |data_type| {
        let max = &mut data_type["specs"]["max"];
        let old: i64 = max.as_str().unwrap().parse().unwrap();
        *max = json!((old - 1).to_string());
    });
    edit_property(&mut value, &enum_id, |data_type| {
        data_type["specs"]
            .as_object_mut()
            .unwrap()
            .insert("977".into(), json!("new member"));
    });
    remove_property(&mut value, &removed_id);
    let new_text = serde_json::to_string_pretty(&value).unwrap();

    let changes = compare(
        &[(origin.clone(), text.clone())],
        &[("edited.json".into(), new_text.clone())],
    );
    let found: Vec<(Rule, String)> = changes
        .iter()
        .map(|c| (c.rule, c.path.to_string()))
        .collect();
    let mut expected = vec![
        (Rule::BoundsNarrowed, format!("property `{int_id}` max")),
        (
            Rule::EnumKeyAdded,
            format!("property `{enum_id}` enum key 977"),
        ),
        (Rule::PropertyRemoved, format!("property `{removed_id}`")),
    ];
    // The new member is code-breaking where the enum is generated (a writable property's
    // type is in the property set; a read-only one's is found by its name).
    if changes.iter().any(|c| c.rule == Rule::EnumMemberAdded) {
        expected.push((
            Rule::EnumMemberAdded,
            format!("property `{enum_id}` enum key 977"),
        ));
    }
    let mut sorted = found.clone();
    sorted.sort();
    expected.sort();
    assert_eq!(sorted, expected, "\n{}", listing(&changes));

    // Every site names a value that exists in its own text, at the line:col given.
    let old_value: Value = serde_json::from_str(&text).unwrap();
    let new_value: Value = serde_json::from_str(&new_text).unwrap();
    for change in &changes {
        assert_eq!(change.old.origin, origin);
        assert_eq!(change.new.origin, "edited.json");
        assert!(old_value.pointer(&change.old.pointer).is_some(), "{change}");
        assert!(new_value.pointer(&change.new.pointer).is_some(), "{change}");
        assert!(
            change.old.location.is_some() && change.new.location.is_some(),
            "{change}"
        );
    }
    let narrowed = changes
        .iter()
        .find(|c| c.rule == Rule::BoundsNarrowed)
        .unwrap();
    assert_eq!(
        narrowed.old.pointer,
        format!("/properties/{int_index}/dataType/specs/max")
    );
    let removed = changes
        .iter()
        .find(|c| c.rule == Rule::PropertyRemoved)
        .unwrap();
    assert_eq!(removed.old.pointer, format!("/properties/{removed_index}"));
    assert_eq!(removed.new.pointer, "/properties");
}

#[test]
fn module_sets_of_a_real_product() {
    let Some(models) = models_dir("module_sets_of_a_real_product") else {
        return;
    };
    let default = read(&models.join("real/003-ali-mqtttest-default-module.json"));
    let custom = read(&models.join("real/004-ali-mqtttest-custom-module-Mqtt_Test.json"));
    let both = [default.clone(), custom.clone()];
    assert!(compare(&both, &both).is_empty());

    let changes = compare(&both, std::slice::from_ref(&default));
    let rules: Vec<Rule> = changes.iter().map(|c| c.rule).collect();
    assert_eq!(rules, [Rule::ModuleRemoved], "{}", listing(&changes));
    assert_eq!(changes[0].old.origin, custom.0);
    assert_eq!(changes[0].old.pointer, "/functionBlockId");

    // The custom module under another id, listed so by the default module too.
    let renamed = (
        custom.0.clone(),
        custom.1.replace("\"Mqtt_Test\"", "\"Mqtt_Test2\""),
    );
    let default_renamed = (
        default.0.clone(),
        default.1.replace("\"Mqtt_Test\"", "\"Mqtt_Test2\""),
    );
    let changes = compare(&both, &[default_renamed, renamed]);
    // Reported once, as the module's: the Rust names made from the id change with it.
    let rules: Vec<Rule> = changes.iter().map(|c| c.rule).collect();
    assert_eq!(rules, [Rule::ModuleIdChanged], "{}", listing(&changes));
    assert_eq!(changes[0].new.pointer, "/functionBlockId");
}

#[test]
fn the_query_thing_model_example_equals_its_tsl_twin() {
    let Some(models) = models_dir("the_query_thing_model_example_equals_its_tsl_twin") else {
        return;
    };
    let tmj = read(&models.join("query-thing-model/QueryThingModel-doc-example.json"));
    // The same product as console TSL, written from the ThingModelJson's fields.
    let tsl = r#"{"schema":"https://iotx-tsl.oss-ap-southeast-1.aliyuncs.com/schema.json",
      "profile":{"productKey":"a114xeJ****"},
      "properties":[{"identifier":"WakeUpData","name":"WakeUpData","desc":"1","accessMode":"r","required":false,
        "dataType":{"type":"int","specs":{"min":"0","max":"1","step":"1","unit":"ppb"}}}],
      "events":[],"services":[]}"#;
    let changes = compare(
        std::slice::from_ref(&tmj),
        &[("twin.json".into(), tsl.to_string())],
    );
    assert!(changes.is_empty(), "{}", listing(&changes));
    // An edit to the twin is found, and located in both shapes.
    let edited = tsl.replace(r#""max":"1""#, r#""max":"0""#);
    let changes = compare(&[tmj], &[("twin.json".into(), edited)]);
    assert_eq!(changes.len(), 1, "{}", listing(&changes));
    assert_eq!(changes[0].rule, Rule::BoundsNarrowed);
    assert_eq!(
        changes[0].old.origin,
        "QueryThingModel-doc-example.json#/Data/ThingModelJson"
    );
    assert_eq!(changes[0].old.pointer, "/properties/0/dataSpecs/max");
    assert_eq!(changes[0].new.pointer, "/properties/0/dataType/specs/max");
}

#[test]
fn every_real_model_in_both_shapes_compares_equal() {
    let Some(models) = models_dir("every_real_model_in_both_shapes_compares_equal") else {
        return;
    };
    for path in real_files(&models) {
        let file = read(&path);
        let (model, _) = load(std::slice::from_ref(&file));
        let pk = model
            .product_key
            .clone()
            .unwrap_or_else(|| "a1Placeholder".into());
        // The same product as QueryThingModel answers it, one file per module.
        let tmj: Vec<(String, String)> = model
            .modules
            .iter()
            .map(|m| {
                (
                    format!("{}.tmj.json", file.0),
                    export::to_thing_model_json(&pk, m).to_string(),
                )
            })
            .collect();
        let changes = compare(std::slice::from_ref(&file), &tmj);
        assert!(
            changes.is_empty(),
            "{}:\n{}",
            path.display(),
            listing(&changes)
        );
    }
}
