//! `tsl_codegen::Builder` as a build script uses it: what it watches, when it writes, and
//! what its errors say.

use std::fs;
use std::path::{Path, PathBuf};

use tsl_codegen::{BuildError, Builder, Generator, Settings};
use tsl_runtime::model::Model;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// An empty folder of its own under Cargo's temporary folder for tests.
fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("builder-{name}"));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    dir
}

fn lamp() -> Builder {
    Builder::new()
        .base_dir(root())
        .model("examples/models/street-lamp.json")
        .quiet(true)
}

#[test]
fn it_watches_every_model_and_never_its_output() {
    let out = scratch("watch");
    let generated = Builder::new()
        .base_dir(root())
        .model("examples/models/street-lamp.json")
        .model("examples/models/street-lamp-battery.json")
        .quiet(true)
        .out_dir(&out)
        .out_file("lamp.rs")
        .generate_to_out_dir()
        .unwrap();
    assert_eq!(
        generated.rerun_if_changed,
        vec![
            root().join("examples/models/street-lamp.json"),
            root().join("examples/models/street-lamp-battery.json"),
        ]
    );
    assert_eq!(generated.path, out.join("lamp.rs"));
    assert!(!generated.rerun_if_changed.contains(&generated.path));
}

#[test]
fn it_writes_what_the_generator_makes_of_the_model() {
    let out = scratch("content");
    let generated = lamp().out_dir(&out).generate_to_out_dir().unwrap();
    // Without out_file, the name comes from the first model.
    assert_eq!(generated.path, out.join("street_lamp.rs"));
    let model = Model::load(root().join("examples/models/street-lamp.json"))
        .unwrap()
        .model;
    let expected = Generator::new(&Settings::new())
        .generate_file(&model, &["examples/models/street-lamp.json"])
        .unwrap();
    assert_eq!(fs::read_to_string(&generated.path).unwrap(), expected);
}

#[test]
fn it_writes_only_when_the_content_changed() {
    let out = scratch("unchanged");
    let first = lamp().out_dir(&out).generate_to_out_dir().unwrap();
    assert!(first.written);
    let before = fs::metadata(&first.path).unwrap().modified().unwrap();
    // Long enough for any file system's timestamps to tell two writes apart.
    std::thread::sleep(std::time::Duration::from_millis(1100));

    let second = lamp().out_dir(&out).generate_to_out_dir().unwrap();
    assert!(!second.written);
    let after = fs::metadata(&second.path).unwrap().modified().unwrap();
    assert_eq!(before, after, "an unchanged output must not be touched");

    // Other settings, other content: written.
    let third = lamp()
        .device(false)
        .out_dir(&out)
        .generate_to_out_dir()
        .unwrap();
    assert!(third.written);
    assert!(fs::metadata(&third.path).unwrap().modified().unwrap() > before);
}

#[test]
fn relative_output_paths_are_relative_to_the_base_dir() {
    let out = scratch("relative");
    let generated = Builder::new()
        .base_dir(&out)
        .model(root().join("examples/models/street-lamp.json"))
        .quiet(true)
        .module_name("lamp")
        .generate_to("src/generated/lamp.rs")
        .unwrap();
    assert_eq!(generated.path, out.join("src/generated/lamp.rs"));
    let code = fs::read_to_string(&generated.path).unwrap();
    assert!(code.contains("pub mod lamp {"), "{code}");
}

#[test]
fn an_invalid_model_names_file_line_column_path_and_reason() {
    let err = Builder::new()
        .base_dir(root())
        .model("tests/fixtures/broken-lamp.json")
        .quiet(true)
        .out_dir(scratch("invalid"))
        .generate_to_out_dir()
        .unwrap_err();
    assert!(matches!(err, BuildError::Model(_)), "{err:?}");
    let text = err.to_string();
    assert!(
        text.contains(
            "tests/fixtures/broken-lamp.json:9:45: error: min 100 is greater than max 0 \
             (at /properties/0/dataType/specs)"
        ),
        "{text}"
    );
    assert!(text.contains("hint: TSL's string type is `text`"), "{text}");
}

#[test]
fn a_missing_model_is_a_read_error_naming_the_file() {
    let err = Builder::new()
        .base_dir(root())
        .model("examples/models/no-such-lamp.json")
        .quiet(true)
        .out_dir(scratch("missing"))
        .generate_to_out_dir()
        .unwrap_err();
    assert!(matches!(err, BuildError::Read { .. }), "{err:?}");
    assert!(
        err.to_string()
            .contains("examples/models/no-such-lamp.json"),
        "{err}"
    );
}

#[test]
fn settings_the_generator_refuses_are_errors_not_panics() {
    let err = lamp()
        .derive("not a path")
        .out_dir(scratch("setting"))
        .generate_to_out_dir()
        .unwrap_err();
    assert!(matches!(err, BuildError::Generate { .. }), "{err:?}");
    assert!(err.to_string().contains("derive"), "{err}");
    assert!(err.to_string().contains("street-lamp.json"), "{err}");

    let err = Builder::new().quiet(true).generate_to("x.rs").unwrap_err();
    assert!(matches!(err, BuildError::NoModel), "{err:?}");
}

#[test]
fn type_attributes_reach_the_generated_file_or_name_what_they_missed() {
    let out = scratch("type-attribute");
    let generated = lamp()
        .type_attribute("Blink", "derive(Default)")
        .out_dir(&out)
        .generate_to_out_dir()
        .unwrap();
    let code = fs::read_to_string(&generated.path).unwrap();
    for name in ["BlinkInput", "BlinkOutput"] {
        assert!(
            code.contains(&format!("#[derive(Default)]\npub struct {name} ")),
            "{name}"
        );
    }
    assert_eq!(code.matches("#[derive(Default)]").count(), 2);

    let err = lamp()
        .type_attribute("Blinky", "derive(Default)")
        .out_dir(scratch("type-attribute-missed"))
        .generate_to_out_dir()
        .unwrap_err();
    assert!(err.to_string().contains("Blinky"), "{err}");
    let _ = fs::remove_dir_all(&out);
}
