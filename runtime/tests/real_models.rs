//! The parser against real thing models: 31 TSL files from public repositories, the two
//! API documentation samples (`QueryThingModel`, `GetThingModelTsl`) and four look-alikes of
//! other platforms.
//!
//! The models are third-party data kept outside the repository, in `../shared/models/`
//! next to the workspace (see its `real/SOURCES.md`). When that folder is absent, as in a
//! user's clone, every test here prints a note and passes.
//!
//! The expected figures were read from the JSON files themselves, not from the parser.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use tsl_runtime::model::{
    AccessMode, ArraySpec, BoolSpec, CallType, DataType, Diagnostic, EnumValue, Envelope,
    EventType, Format, FunctionBlock, Location, Model, Module, NumberSpec, Param, Parsed, Problem,
    Property, Service, Severity, TextSpec, MAX_TEXT_LENGTH,
};

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/// `../shared/models` next to the workspace, or `None` (with a note) when it is absent.
fn models_dir(test: &str) -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/models");
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!("note: ../shared/models is absent; skipping {test}");
        None
    }
}

/// Loads one model, failing the test with every diagnostic when it does not parse.
fn load(path: &Path) -> Parsed {
    match Model::load(path) {
        Ok(parsed) => parsed,
        Err(err) => panic!("{} does not parse:\n{err}", path.display()),
    }
}

/// Loads one file of `real/`.
fn load_real(models: &Path, file: &str) -> Parsed {
    load(&models.join("real").join(file))
}

/// The only module of a single-file model.
fn only_module(parsed: &Parsed) -> &Module {
    assert_eq!(parsed.model.modules.len(), 1, "one module expected");
    &parsed.model.modules[0]
}

/// The `.json` files of a folder, sorted by name.
fn json_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
        .map(|entry| entry.expect("directory entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    files
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .expect("file name")
        .to_string_lossy()
        .into_owned()
}

fn property<'a>(module: &'a Module, identifier: &str) -> &'a Property {
    module
        .property(identifier)
        .unwrap_or_else(|| panic!("no property `{identifier}`"))
}

fn service<'a>(module: &'a Module, identifier: &str) -> &'a Service {
    module
        .service(identifier)
        .unwrap_or_else(|| panic!("no service `{identifier}`"))
}

fn number(dt: &DataType) -> &NumberSpec {
    dt.number_spec()
        .unwrap_or_else(|| panic!("expected a number type, found `{}`", dt.tsl_name()))
}

fn bound_text(bound: &Option<tsl_runtime::model::Bound>) -> Option<&str> {
    bound.as_ref().map(|b| b.text())
}

/// `(min, max, step)` as the model wrote them.
fn bounds(dt: &DataType) -> (Option<&str>, Option<&str>, Option<&str>) {
    let spec = number(dt);
    (
        bound_text(&spec.min),
        bound_text(&spec.max),
        bound_text(&spec.step),
    )
}

fn members(dt: &DataType) -> &[Param] {
    match dt {
        DataType::Struct(spec) => &spec.members,
        other => panic!("expected a struct, found `{}`", other.tsl_name()),
    }
}

fn member<'a>(dt: &'a DataType, identifier: &str) -> &'a Param {
    members(dt)
        .iter()
        .find(|m| m.identifier == identifier)
        .unwrap_or_else(|| panic!("no struct member `{identifier}`"))
}

fn member_types(dt: &DataType) -> Vec<(&str, &'static str)> {
    members(dt)
        .iter()
        .map(|m| (m.identifier.as_str(), m.data_type.tsl_name()))
        .collect()
}

fn array(dt: &DataType) -> &ArraySpec {
    match dt {
        DataType::Array(spec) => spec,
        other => panic!("expected an array, found `{}`", other.tsl_name()),
    }
}

fn enum_values(dt: &DataType) -> Vec<(i64, &str)> {
    match dt {
        DataType::Enum(spec) => spec
            .values
            .iter()
            .map(|v| (v.value, v.label.as_str()))
            .collect(),
        other => panic!("expected an enum, found `{}`", other.tsl_name()),
    }
}

fn bool_labels(dt: &DataType) -> (Option<&str>, Option<&str>) {
    match dt {
        DataType::Bool(spec) => (spec.false_label.as_deref(), spec.true_label.as_deref()),
        other => panic!("expected a bool, found `{}`", other.tsl_name()),
    }
}

fn identifiers(params: &[Param]) -> Vec<&str> {
    params.iter().map(|p| p.identifier.as_str()).collect()
}

/// Calls `f` on every data type of a module, nested struct members and array items included.
fn each_data_type(module: &Module, f: &mut impl FnMut(&DataType)) {
    fn visit(dt: &DataType, f: &mut impl FnMut(&DataType)) {
        f(dt);
        match dt {
            DataType::Struct(spec) => spec.members.iter().for_each(|m| visit(&m.data_type, f)),
            DataType::Array(spec) => visit(&spec.item, f),
            _ => {}
        }
    }
    for p in &module.properties {
        visit(&p.data_type, f);
    }
    for e in &module.events {
        e.outputs.iter().for_each(|o| visit(&o.data_type, f));
    }
    for s in &module.services {
        s.inputs.iter().for_each(|i| visit(&i.data_type, f));
        s.outputs.iter().for_each(|o| visit(&o.data_type, f));
    }
}

/// The text at a 1-based line and column (in characters).
fn text_at(text: &str, location: Location) -> String {
    let line = text
        .lines()
        .nth(location.line - 1)
        .unwrap_or_else(|| panic!("line {} is past the end", location.line));
    line.chars().skip(location.column - 1).collect()
}

/// Checks that a diagnostic's location is where its JSON pointer's value starts in `text`.
fn assert_located_at_value(text: &str, diagnostic: &Diagnostic) {
    let location = diagnostic
        .location
        .unwrap_or_else(|| panic!("no location: {diagnostic}"));
    let at = text_at(text, location);
    let document: serde_json::Value = serde_json::from_str(text).expect("JSON");
    let value = document
        .pointer(&diagnostic.pointer)
        .unwrap_or_else(|| panic!("pointer {} not in the document", diagnostic.pointer));
    let expected_start = match value {
        serde_json::Value::String(s) => format!("\"{s}\""),
        serde_json::Value::Object(_) => "{".into(),
        serde_json::Value::Array(_) => "[".into(),
        other => other.to_string(),
    };
    assert!(
        at.starts_with(&expected_start),
        "{diagnostic}: text at {}:{} is {at:?}, expected it to start with {expected_start:?}",
        location.line,
        location.column
    );
}

// ---------------------------------------------------------------------------------------------
// 1. Every real model parses; counts per file
// ---------------------------------------------------------------------------------------------

/// Per file of `real/`: properties, events, services, sync services, shape, warnings.
const REAL: &[(&str, usize, usize, usize, usize, Format, usize)] = &[
    ("001-quecpython-tracker.json", 33, 8, 2, 0, Format::Tsl, 0),
    (
        "002-quecpython-tracker-simplified.json",
        29,
        7,
        0,
        0,
        Format::SimplifiedTsl,
        14,
    ),
    (
        "003-ali-mqtttest-default-module.json",
        28,
        1,
        2,
        0,
        Format::Tsl,
        0,
    ),
    (
        "004-ali-mqtttest-custom-module-Mqtt_Test.json",
        1,
        1,
        2,
        0,
        Format::Tsl,
        0,
    ),
    (
        "005-fireboom-default-module.json",
        4,
        3,
        6,
        4,
        Format::Tsl,
        0,
    ),
    (
        "006-fireboom-config-module.json",
        5,
        1,
        2,
        0,
        Format::Tsl,
        0,
    ),
    ("007-classified-trashcan.json", 8, 4, 2, 0, Format::Tsl, 0),
    (
        "008-loongson-esp8266-sensor.json",
        16,
        1,
        2,
        0,
        Format::Tsl,
        46,
    ),
    (
        "009-ec800-stm32-default-module.json",
        5,
        1,
        2,
        0,
        Format::Tsl,
        0,
    ),
    (
        "010-alios-things-miniapp-default-module.json",
        6,
        2,
        2,
        0,
        Format::Tsl,
        0,
    ),
    ("011-zhsy-baby-monitor.json", 5, 2, 2, 0, Format::Tsl, 0),
    ("012-smartled-tsl.json", 12, 2, 2, 0, Format::Tsl, 0),
    ("013-smartled-linkkitadv.json", 17, 2, 2, 0, Format::Tsl, 0),
    ("014-fbigun-tsl.json", 1, 2, 3, 0, Format::Tsl, 0),
    ("015-fbigun-model-raw.json", 3, 1, 2, 0, Format::Tsl, 0),
    (
        "016-linkkit-python-tsl-demo.json",
        1,
        2,
        5,
        1,
        Format::Tsl,
        0,
    ),
    ("017-iotkit-model-light.json", 3, 3, 2, 0, Format::Tsl, 0),
    (
        "018-iotkit-model-for-examples.json",
        2,
        2,
        3,
        1,
        Format::Tsl,
        0,
    ),
    (
        "019-iotkit-solo-lightswitch.json",
        17,
        2,
        2,
        0,
        Format::Tsl,
        0,
    ),
    ("020-iotkit-solo-v2.json", 17, 2, 3, 0, Format::Tsl, 0),
    ("021-iotkit-cntdown-wifi.json", 7, 2, 2, 0, Format::Tsl, 0),
    ("022-iotkit-countdown.json", 2, 1, 2, 0, Format::Tsl, 0),
    ("023-iotkit-sched-fragment.json", 1, 1, 0, 0, Format::Tsl, 0),
    ("024-iotkit-sample-b1.json", 13, 2, 2, 2, Format::Tsl, 0),
    ("025-iotkit-dm-test.json", 13, 2, 2, 2, Format::Tsl, 0),
    ("026-iotkit-sample-a1.json", 11, 2, 3, 2, Format::Tsl, 0),
    (
        "027-iotkit-solo-legacy-link.json",
        8,
        2,
        2,
        2,
        Format::Tsl,
        0,
    ),
    ("028-iotkit-gateway-subdev.json", 3, 1, 2, 2, Format::Tsl, 0),
    ("029-gopkg-switch.json", 3, 0, 0, 0, Format::Tsl, 0),
    ("030-gopkg-switch2.json", 5, 1, 1, 0, Format::Tsl, 0),
    ("031-alios-things-haascar.json", 5, 1, 2, 0, Format::Tsl, 0),
];

#[test]
fn all_31_real_models_parse_without_errors() {
    let Some(models) = models_dir("all_31_real_models_parse_without_errors") else {
        return;
    };
    let files = json_files(&models.join("real"));
    assert_eq!(files.len(), 31, "real/ holds 31 models");
    for path in &files {
        let parsed = load(path);
        let module = only_module(&parsed);
        assert_eq!(module.source.envelope, Envelope::Bare, "{}", path.display());
        assert_eq!(module.source.origin, path.display().to_string());
        for w in &parsed.warnings {
            assert_eq!(w.severity, Severity::Warning, "{w}");
        }
    }
    // The table below covers exactly the files of the folder.
    let listed: Vec<String> = files.iter().map(|p| file_name(p)).collect();
    let table: Vec<String> = REAL.iter().map(|row| row.0.to_string()).collect();
    assert_eq!(listed, table);
}

#[test]
fn real_models_have_the_expected_counts_and_shape() {
    let Some(models) = models_dir("real_models_have_the_expected_counts_and_shape") else {
        return;
    };
    for &(file, properties, events, services, sync, format, warnings) in REAL {
        let parsed = load_real(&models, file);
        let module = only_module(&parsed);
        let found = (
            module.properties.len(),
            module.events.len(),
            module.services.len(),
            module
                .services
                .iter()
                .filter(|s| s.call_type == CallType::Sync)
                .count(),
            module.source.format,
            parsed.warnings.len(),
        );
        assert_eq!(
            found,
            (properties, events, services, sync, format, warnings),
            "{file}: (properties, events, services, sync services, format, warnings)"
        );
    }
}

/// SOURCES.md: sync services in 8 files, custom (non set/get) services in 7.
#[test]
fn sync_and_custom_services_are_where_sources_says() {
    let Some(models) = models_dir("sync_and_custom_services_are_where_sources_says") else {
        return;
    };
    let mut sync_files = Vec::new();
    let mut custom: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for path in json_files(&models.join("real")) {
        let parsed = load(&path);
        let module = only_module(&parsed);
        let name = file_name(&path)[..3].to_string();
        if module
            .services
            .iter()
            .any(|s| s.call_type == CallType::Sync)
        {
            sync_files.push(name.clone());
        }
        let own: Vec<String> = module
            .services
            .iter()
            .filter(|s| !s.is_property_service())
            .map(|s| s.identifier.clone())
            .collect();
        if !own.is_empty() {
            custom.insert(name, own);
        }
    }
    assert_eq!(
        sync_files,
        ["005", "016", "018", "024", "025", "026", "027", "028"]
    );
    let expected: BTreeMap<String, Vec<String>> = [
        (
            "005",
            &["ota", "Reboot", "refreshProperties", "bindBluetooth"][..],
        ),
        ("014", &["attack"]),
        ("016", &["attack", "test1", "test2"]),
        ("018", &["Operation_Service"]),
        ("020", &["Custom"]),
        ("026", &["Custom"]),
        ("030", &["reset"]),
    ]
    .into_iter()
    .map(|(f, ids)| (f.to_string(), ids.iter().map(|s| s.to_string()).collect()))
    .collect();
    assert_eq!(custom, expected);
}

/// In every export, `get` lists every property by identifier and returns them all, `set`
/// takes the writable ones and `post` reports them all (023's `post` has no outputData).
#[test]
fn generated_set_get_post_mirror_the_properties() {
    let Some(models) = models_dir("generated_set_get_post_mirror_the_properties") else {
        return;
    };
    let mut checked = 0;
    for path in json_files(&models.join("real")) {
        let file = file_name(&path);
        let parsed = load(&path);
        let module = only_module(&parsed);
        let all: Vec<&str> = module
            .properties
            .iter()
            .map(|p| p.identifier.as_str())
            .collect();
        let writable: Vec<&str> = module
            .properties
            .iter()
            .filter(|p| p.access.is_writable())
            .map(|p| p.identifier.as_str())
            .collect();
        if let Some(get) = module.service("get") {
            assert_eq!(get.method, "thing.service.property.get", "{file}");
            assert!(get.is_property_service());
            assert!(get.inputs.is_empty(), "{file}: get takes names only");
            assert_eq!(get.input_names, all, "{file}: get.inputData");
            assert_eq!(identifiers(&get.outputs), all, "{file}: get.outputData");
            checked += 1;
        }
        if let Some(set) = module.service("set") {
            assert_eq!(set.method, "thing.service.property.set", "{file}");
            assert!(set.input_names.is_empty(), "{file}");
            assert_eq!(identifiers(&set.inputs), writable, "{file}: set.inputData");
            assert!(set.outputs.is_empty(), "{file}");
        }
        if let Some(post) = module.event("post") {
            assert_eq!(post.method, "thing.event.property.post", "{file}");
            assert_eq!(post.kind, EventType::Info, "{file}");
            if file.starts_with("023-") {
                assert!(post.outputs.is_empty());
            } else {
                assert_eq!(identifiers(&post.outputs), all, "{file}: post.outputData");
            }
        }
        // Single-file default modules: the wire identifier is the identifier.
        if module.id.is_none() {
            assert!(module
                .properties
                .iter()
                .all(|p| p.wire_identifier == p.identifier));
            assert!(module
                .services
                .iter()
                .all(|s| s.wire_identifier == s.identifier));
            assert!(module
                .events
                .iter()
                .all(|e| e.wire_identifier == e.identifier));
        }
    }
    // Every file but 002 (simplified), 023 (fragment), 029 and 030 (test fixtures).
    assert_eq!(checked, 27);
}

// ---------------------------------------------------------------------------------------------
// 2. Facts per shape
// ---------------------------------------------------------------------------------------------

#[test]
fn console_export_001() {
    let Some(models) = models_dir("console_export_001") else {
        return;
    };
    let parsed = load_real(&models, "001-quecpython-tracker.json");
    assert!(parsed.warnings.is_empty());
    assert_eq!(parsed.model.product_key.as_deref(), Some("h3nqn03lil0"));
    let m = only_module(&parsed);
    assert_eq!(m.id, None);
    assert_eq!(m.source.format, Format::Tsl);
    assert_eq!(m.source.version.as_deref(), Some("1.0"));
    assert_eq!(
        m.source.schema.as_deref(),
        Some("https://iotx-tsl.oss-ap-southeast-1.aliyuncs.com/schema.json")
    );

    // struct GeoLocation: double Longitude/Latitude/Altitude + enum CoordinateSystem.
    let geo = property(m, "GeoLocation");
    assert_eq!(geo.name.as_deref(), Some("地理位置"));
    assert_eq!(geo.access, AccessMode::ReadOnly);
    assert!(geo.required);
    assert_eq!(
        member_types(&geo.data_type),
        [
            ("Longitude", "double"),
            ("Latitude", "double"),
            ("Altitude", "double"),
            ("CoordinateSystem", "enum"),
        ]
    );
    let lon = &member(&geo.data_type, "Longitude").data_type;
    assert_eq!(bounds(lon), (Some("-180"), Some("180"), Some("0.01")));
    assert_eq!(number(lon).unit.as_deref(), Some("°"));
    assert_eq!(number(lon).unit_name.as_deref(), Some("度"));
    assert_eq!(number(lon).min.as_ref().map(|b| b.value()), Some(-180.0));
    let lat = &member(&geo.data_type, "Latitude").data_type;
    assert_eq!(bounds(lat), (Some("-90"), Some("90"), Some("0.01")));
    let alt = &member(&geo.data_type, "Altitude").data_type;
    assert_eq!(bounds(alt), (Some("0"), Some("9999"), Some("0.01")));
    assert_eq!(number(alt).unit.as_deref(), Some("m"));
    let crs = member(&geo.data_type, "CoordinateSystem");
    assert_eq!(crs.name.as_deref(), Some("坐标系统"));
    assert_eq!(enum_values(&crs.data_type), [(1, "WGS_84"), (2, "GCJ_02")]);

    // A date property.
    let local_time = property(m, "local_time");
    assert_eq!(local_time.data_type, DataType::Date);
    assert_eq!(local_time.access, AccessMode::ReadOnly);

    // Other scalar types.
    let energy = property(m, "energy");
    assert!(matches!(energy.data_type, DataType::Int(_)));
    assert_eq!(
        bounds(&energy.data_type),
        (Some("0"), Some("100"), Some("1"))
    );
    assert_eq!(number(&energy.data_type).unit.as_deref(), Some("%"));
    let speed = property(m, "current_speed");
    assert!(matches!(speed.data_type, DataType::Float(_)));
    assert_eq!(
        bounds(&speed.data_type),
        (Some("0"), Some("200.00"), Some("0.01"))
    );
    assert_eq!(
        number(&speed.data_type).max.as_ref().unwrap().value(),
        200.0
    );
    assert_eq!(
        property(m, "phone_num").data_type,
        DataType::Text(TextSpec { length: Some(11) })
    );
    assert_eq!(
        property(m, "power_switch").data_type,
        DataType::Bool(BoolSpec {
            false_label: Some("关".into()),
            true_label: Some("开".into()),
        })
    );
    assert_eq!(
        enum_values(&property(m, "drive_behavior_code").data_type),
        [
            (0, "无"),
            (1, "急起"),
            (2, "急停"),
            (3, "左急转弯"),
            (4, "右急转弯")
        ]
    );
    // The only negative bound of the file stays an int bound.
    let timeout = number(&property(m, "loc_gps_read_timeout").data_type);
    assert_eq!(timeout.min.as_ref().and_then(|b| b.as_i64()), Some(-1));
    assert_eq!(
        timeout.max.as_ref().and_then(|b| b.as_i64()),
        Some(2147483647)
    );
    let writable = m
        .properties
        .iter()
        .filter(|p| p.access.is_writable())
        .count();
    assert_eq!(writable, 22);

    // Events: info, alert and error.
    let kinds: BTreeSet<_> = m.events.iter().map(|e| format!("{:?}", e.kind)).collect();
    assert_eq!(
        kinds,
        BTreeSet::from(["Alert".into(), "Error".into(), "Info".into()])
    );
    assert_eq!(m.event("post").unwrap().kind, EventType::Info);
    assert_eq!(m.event("post").unwrap().outputs.len(), 33);
    assert_eq!(m.event("sos_alert").unwrap().kind, EventType::Alert);
    assert_eq!(m.event("fault_alert").unwrap().kind, EventType::Error);
    assert_eq!(
        m.event("fault_alert").unwrap().method,
        "thing.event.fault_alert.post"
    );
    assert_eq!(
        m.events
            .iter()
            .filter(|e| e.kind == EventType::Alert)
            .count(),
        6
    );

    // set/get: async, with their property methods.
    let set = service(m, "set");
    assert_eq!(set.call_type, CallType::Async);
    assert_eq!(set.method, "thing.service.property.set");
    assert!(set.required);
    assert_eq!(set.inputs.len(), 22);
    let get = service(m, "get");
    assert_eq!(get.call_type, CallType::Async);
    assert_eq!(get.method, "thing.service.property.get");
    assert!(!get.input_names.is_empty());
    assert_eq!(get.input_names.len(), 33);
    assert_eq!(get.input_names[0], "GeoLocation");
    assert_eq!(get.input_names[32], "humidity");
}

#[test]
fn simplified_tsl_002() {
    let Some(models) = models_dir("simplified_tsl_002") else {
        return;
    };
    let parsed = load_real(&models, "002-quecpython-tracker-simplified.json");
    assert_eq!(parsed.model.product_key, None);
    let m = only_module(&parsed);
    assert_eq!(m.source.format, Format::SimplifiedTsl);
    assert_eq!(m.source.schema, None);
    assert_eq!(m.source.version, None);
    assert!(m.services.is_empty());
    assert_eq!(m.properties.len(), 29);

    // No names, no access mode (read as rw), no specs.
    assert!(m.properties.iter().all(|p| p.name.is_none()));
    assert!(m
        .properties
        .iter()
        .all(|p| p.access == AccessMode::ReadWrite));
    assert_eq!(
        property(m, "energy").data_type,
        DataType::Int(NumberSpec::default())
    );
    assert_eq!(
        property(m, "phone_num").data_type,
        DataType::Text(TextSpec { length: None })
    );
    assert_eq!(
        property(m, "power_switch").data_type,
        DataType::Bool(BoolSpec::default())
    );
    assert_eq!(property(m, "local_time").data_type, DataType::Date);
    assert_eq!(
        property(m, "current_speed").data_type,
        DataType::Float(NumberSpec::default())
    );

    // Enums without values.
    assert!(enum_values(&property(m, "work_mode").data_type).is_empty());

    // Struct members by identifier, types only.
    let geo = &property(m, "GeoLocation").data_type;
    assert_eq!(
        member_types(geo),
        [
            ("Longitude", "double"),
            ("Latitude", "double"),
            ("Altitude", "double"),
            ("CoordinateSystem", "enum"),
        ]
    );
    assert!(members(geo).iter().all(|p| p.name.is_none()));
    assert_eq!(
        member(geo, "Longitude").data_type,
        DataType::Double(NumberSpec::default())
    );
    assert!(enum_values(&member(geo, "CoordinateSystem").data_type).is_empty());
    assert_eq!(
        member_types(&property(m, "loc_method").data_type),
        [("gps", "bool"), ("cell", "bool"), ("wifi", "bool")]
    );

    // Events: type only, no outputData, methods derived.
    assert_eq!(m.events.len(), 7);
    assert!(m.events.iter().all(|e| e.outputs.is_empty()));
    let fault = m.event("fault_alert").unwrap();
    assert_eq!(fault.kind, EventType::Error);
    assert_eq!(fault.method, "thing.event.fault_alert.post");
    assert_eq!(m.event("sos_alert").unwrap().kind, EventType::Alert);

    // The 14 enums without values are each reported, located.
    assert_eq!(parsed.warnings.len(), 14);
    let text = std::fs::read_to_string(models.join("real/002-quecpython-tracker-simplified.json"))
        .unwrap();
    for w in &parsed.warnings {
        assert_eq!(w.problem, Problem::EnumWithoutValues, "{w}");
        assert_located_at_value(&text, w);
    }
    assert_eq!(
        parsed.warnings[0].pointer,
        "/properties/0/dataType/specs/3/dataType"
    );
}

#[test]
fn custom_module_003_004_combined() {
    let Some(models) = models_dir("custom_module_003_004_combined") else {
        return;
    };
    let real = models.join("real");
    let default = real.join("003-ali-mqtttest-default-module.json");
    let custom = real.join("004-ali-mqtttest-custom-module-Mqtt_Test.json");
    let parsed = match Model::load_all(&[&default, &custom]) {
        Ok(p) => p,
        Err(err) => panic!("003 + 004 do not combine:\n{err}"),
    };
    assert!(parsed.warnings.is_empty(), "{:?}", parsed.warnings);
    let model = &parsed.model;
    assert_eq!(model.product_key.as_deref(), Some("hha9ADVAKLS"));
    assert_eq!(model.modules.len(), 2);

    let d = &model.modules[0];
    assert_eq!(d.id, None, "default module first");
    assert_eq!(model.default_module(), Some(d));
    assert_eq!(d.source.version.as_deref(), Some("1.5"));
    assert_eq!(d.properties.len(), 28);
    assert_eq!(
        d.function_blocks,
        [FunctionBlock {
            id: "Mqtt_Test".into(),
            name: Some("MQTT".into()),
        }]
    );
    // A float max of 2147483647 is a real bound, not a sentinel.
    let consumption = property(d, "PowerConsumption");
    assert!(matches!(consumption.data_type, DataType::Float(_)));
    assert_eq!(
        bounds(&consumption.data_type),
        (Some("0"), Some("2147483647"), Some("0.1"))
    );
    assert_eq!(property(d, "LightStatus").wire_identifier, "LightStatus");
    assert_eq!(
        member_types(&property(d, "GeoLocation").data_type)[..2],
        [("longitude", "double"), ("latitude", "double")]
    );

    let c = &model.modules[1];
    assert_eq!(c.id.as_deref(), Some("Mqtt_Test"));
    assert_eq!(c.name.as_deref(), Some("MQTT"));
    assert_eq!(model.module(Some("Mqtt_Test")), Some(c));
    assert_eq!(c.source.version.as_deref(), Some("1.0"));
    assert!(c.function_blocks.is_empty());
    assert_eq!(c.properties.len(), 1);
    let result = &c.properties[0];
    assert_eq!(result.identifier, "SendResult");
    assert_eq!(result.wire_identifier, "Mqtt_Test:SendResult");
    assert_eq!(c.wire_identifier("SendResult"), "Mqtt_Test:SendResult");
    assert_eq!(result.access, AccessMode::ReadOnly);
    assert_eq!(
        bool_labels(&result.data_type),
        (Some("上传失败"), Some("上传成功"))
    );
    let wires: Vec<&str> = c
        .services
        .iter()
        .map(|s| s.wire_identifier.as_str())
        .collect();
    assert_eq!(wires, ["Mqtt_Test:set", "Mqtt_Test:get"]);
    // Methods stay unprefixed.
    let set = service(c, "set");
    assert_eq!(set.method, "thing.service.property.set");
    assert!(set.inputs.is_empty(), "no writable property");
    assert_eq!(service(c, "get").input_names, ["SendResult"]);
    let post = c.event("post").unwrap();
    assert_eq!(post.wire_identifier, "Mqtt_Test:post");
    assert_eq!(post.method, "thing.event.property.post");

    assert_eq!(
        model
            .service_by_wire_identifier("Mqtt_Test:set")
            .map(|s| &s.identifier[..]),
        Some("set")
    );
    assert_eq!(
        model
            .property_by_wire_identifier("Mqtt_Test:SendResult")
            .map(|p| &p.identifier[..]),
        Some("SendResult")
    );
    assert!(model.property_by_wire_identifier("SendResult").is_none());
    assert_eq!(model.services().count(), 4);
    assert_eq!(model.properties().count(), 29);

    // The order of the files does not matter: the default module comes first.
    let reversed = Model::load_all(&[&custom, &default]).expect("reversed order combines");
    assert_eq!(reversed.model, parsed.model);
}

#[test]
fn custom_module_005_006_combined() {
    let Some(models) = models_dir("custom_module_005_006_combined") else {
        return;
    };
    let real = models.join("real");
    let parsed = match Model::load_all(&[
        real.join("005-fireboom-default-module.json"),
        real.join("006-fireboom-config-module.json"),
    ]) {
        Ok(p) => p,
        Err(err) => panic!("005 + 006 do not combine:\n{err}"),
    };
    let model = &parsed.model;
    // Both files blank their product key.
    assert_eq!(model.product_key, None);
    assert_eq!(model.modules.len(), 2);

    let d = &model.modules[0];
    assert_eq!(d.id, None);
    assert_eq!(d.source.version.as_deref(), Some("1.5"));
    assert_eq!(
        d.function_blocks,
        [FunctionBlock {
            id: "config".into(),
            name: Some("配置参数".into()),
        }]
    );
    // Four custom sync services.
    let sync: Vec<&str> = d
        .services
        .iter()
        .filter(|s| s.call_type == CallType::Sync)
        .map(|s| s.identifier.as_str())
        .collect();
    assert_eq!(
        sync,
        ["ota", "Reboot", "refreshProperties", "bindBluetooth"]
    );
    assert_eq!(service(d, "set").call_type, CallType::Async);
    let ota = service(d, "ota");
    assert_eq!(ota.method, "thing.service.ota");
    assert_eq!(
        ota.inputs
            .iter()
            .map(|p| (p.identifier.as_str(), p.data_type.tsl_name()))
            .collect::<Vec<_>>(),
        [
            ("aa", "int"),
            ("bc", "double"),
            ("bd", "text"),
            ("bx", "int"),
            ("ai", "text"),
            ("am", "int"),
        ]
    );
    assert_eq!(
        ota.inputs[2].data_type,
        DataType::Text(TextSpec {
            length: Some(10240)
        })
    );
    assert_eq!(MAX_TEXT_LENGTH, 10240);
    assert_eq!(
        bounds(&ota.inputs[1].data_type),
        (Some("0"), Some("4294967295"), Some("1"))
    );
    assert_eq!(identifiers(&ota.outputs), ["result"]);
    assert!(service(d, "Reboot").inputs.is_empty());
    // An output named like a Rust keyword.
    let report = d.event("ErrorReport").unwrap();
    assert_eq!(report.kind, EventType::Error);
    assert_eq!(identifiers(&report.outputs), ["type", "error"]);
    assert_eq!(enum_values(&report.outputs[0].data_type), [(1, "电机故障")]);
    assert_eq!(d.event("LowBatteyEvent").unwrap().kind, EventType::Alert);

    let c = &model.modules[1];
    assert_eq!(c.id.as_deref(), Some("config"));
    assert_eq!(c.name.as_deref(), Some("配置参数"));
    assert_eq!(c.source.version.as_deref(), Some("1.0"));
    // int with the full int32 range.
    let threshold = property(c, "thresholdOfBatteryVoltage");
    assert_eq!(
        threshold.wire_identifier,
        "config:thresholdOfBatteryVoltage"
    );
    assert!(matches!(threshold.data_type, DataType::Int(_)));
    assert_eq!(
        bounds(&threshold.data_type),
        (Some("-2147483648"), Some("2147483647"), Some("1"))
    );
    let spec = number(&threshold.data_type);
    assert_eq!(
        spec.min.as_ref().and_then(|b| b.as_i64()),
        Some(i64::from(i32::MIN))
    );
    assert_eq!(
        spec.max.as_ref().and_then(|b| b.as_i64()),
        Some(i64::from(i32::MAX))
    );
    // array<text> of size 3.
    let period = property(c, "sleepTimePeriod");
    assert_eq!(
        period.data_type,
        DataType::Array(ArraySpec {
            size: Some(3),
            item: Box::new(DataType::Text(TextSpec { length: None })),
        })
    );
    assert_eq!(
        member(&property(c, "bluetooth").data_type, "mac").data_type,
        DataType::Text(TextSpec {
            length: Some(10240)
        })
    );
    assert_eq!(
        enum_values(&property(c, "sleepMode").data_type),
        [(1, "浅层休眠"), (2, "深度休眠")]
    );

    // Services of the custom module by wire identifier.
    let get = model
        .service_by_wire_identifier("config:get")
        .expect("config:get");
    assert_eq!(get.identifier, "get");
    assert_eq!(
        get.input_names,
        [
            "thresholdOfBatteryVoltage",
            "PowerType",
            "sleepMode",
            "sleepTimePeriod",
            "bluetooth"
        ]
    );
    let set = model
        .service_by_wire_identifier("config:set")
        .expect("config:set");
    assert_eq!(set.inputs.len(), 5);
    // `set` alone is the default module's.
    assert_eq!(
        model
            .service_by_wire_identifier("set")
            .map(|s| s.inputs.len()),
        Some(2)
    );
    assert_eq!(
        model.service_by_wire_identifier("ota").map(|s| s.call_type),
        Some(CallType::Sync)
    );
    assert!(model.service_by_wire_identifier("config:ota").is_none());
}

#[test]
fn sentinel_bounds_008() {
    let Some(models) = models_dir("sentinel_bounds_008") else {
        return;
    };
    let path = models.join("real/008-loongson-esp8266-sensor.json");
    let parsed = load(&path);
    let m = only_module(&parsed);
    let doubles = [
        "CurrentTemperature",
        "CurrentHumidity",
        "CurrentTemperature1",
        "CurrentTemperature2",
        "CurrentHumidity1",
        "CurrentHumidity2",
    ];
    for id in doubles {
        let dt = &property(m, id).data_type;
        assert!(matches!(dt, DataType::Double(_)), "{id}");
        assert_eq!(
            bounds(dt),
            (None, None, Some("0.01")),
            "{id}: sentinels dropped"
        );
    }
    assert_eq!(
        number(&property(m, "CurrentTemperature").data_type)
            .unit
            .as_deref(),
        Some("℃")
    );
    assert_eq!(property(m, "CurrentHumidity").access, AccessMode::ReadOnly);
    // Int bounds of the full int32 range are kept.
    for id in [
        "co2", "co21", "co22", "Lux", "Lux1", "Lux2", "tvoc", "tvoc1", "tvoc2",
    ] {
        assert_eq!(
            bounds(&property(m, id).data_type),
            (Some("-2147483648"), Some("2147483647"), Some("1")),
            "{id}"
        );
    }
    assert_eq!(
        number(&property(m, "co2").data_type).unit.as_deref(),
        Some("ppm")
    );
    // The same in the copies inside post, set and get.
    let post = m.event("post").unwrap();
    assert_eq!(
        bounds(&post.outputs[0].data_type),
        (None, None, Some("0.01"))
    );

    // One warning per sentinel: 6 properties + 6 in post + 5 in set (one is read-only)
    // + 6 in get, each with min and max.
    assert_eq!(parsed.warnings.len(), 46);
    let text = std::fs::read_to_string(&path).unwrap();
    let mut mins = 0;
    let mut maxes = 0;
    for w in &parsed.warnings {
        assert_eq!(w.severity, Severity::Warning);
        match &w.problem {
            Problem::SentinelBound { field, value } => match *field {
                "min" => {
                    assert_eq!(value, "-4.9E-324");
                    mins += 1;
                }
                "max" => {
                    assert_eq!(value, "1.7976931348623157E308");
                    maxes += 1;
                }
                other => panic!("unexpected field {other}"),
            },
            other => panic!("unexpected warning {other:?}"),
        }
        assert_located_at_value(&text, w);
    }
    assert_eq!((mins, maxes), (23, 23));

    // The first one, checked by hand against the file: line 16 is
    // `          "min": "-4.9E-324",`.
    let first = &parsed.warnings[0];
    assert_eq!(first.pointer, "/properties/0/dataType/specs/min");
    assert_eq!(
        first.location,
        Some(Location {
            line: 16,
            column: 18
        })
    );
    assert_eq!(
        text.lines().nth(15).unwrap().trim(),
        "\"min\": \"-4.9E-324\","
    );
    assert!(first.to_string().contains(":16:18: warning:"), "{first}");
    let second = &parsed.warnings[1];
    assert_eq!(second.pointer, "/properties/0/dataType/specs/max");
    assert_eq!(
        second.location,
        Some(Location {
            line: 17,
            column: 18
        })
    );
}

#[test]
fn array_of_struct_012() {
    let Some(models) = models_dir("array_of_struct_012") else {
        return;
    };
    let parsed = load_real(&models, "012-smartled-tsl.json");
    let m = only_module(&parsed);
    assert_eq!(parsed.model.product_key.as_deref(), Some("a114OCxmeCB"));
    assert_eq!(m.source.version, None);

    let timer = array(&property(m, "LocalTimer").data_type);
    assert_eq!(timer.size, Some(5));
    assert_eq!(
        member_types(&timer.item),
        [("Timer", "text"), ("Enable", "bool"), ("IsValid", "bool")]
    );
    assert_eq!(
        member(&timer.item, "Timer").data_type,
        DataType::Text(TextSpec { length: Some(255) })
    );
    assert_eq!(
        bool_labels(&member(&timer.item, "IsValid").data_type),
        (Some("无效"), Some("有效"))
    );

    let colors = array(&property(m, "ColorArr").data_type);
    assert_eq!(colors.size, Some(6));
    assert_eq!(
        member_types(&colors.item),
        [
            ("Hue", "int"),
            ("Saturation", "int"),
            ("Value", "int"),
            ("Enable", "bool")
        ]
    );
    assert_eq!(
        bounds(&member(&colors.item, "Hue").data_type),
        (Some("0"), Some("360"), Some("1"))
    );

    // A number without step.
    assert_eq!(
        bounds(&property(m, "ColorSpeed").data_type),
        (Some("0"), Some("100"), None)
    );
    assert_eq!(
        member_types(&property(m, "HSLColor").data_type),
        [
            ("Hue", "double"),
            ("Saturation", "double"),
            ("Lightness", "double")
        ]
    );
    assert_eq!(enum_values(&property(m, "WorkMode").data_type).len(), 6);
    let error = m.event("Error").unwrap();
    assert_eq!(error.kind, EventType::Error);
    assert_eq!(error.method, "thing.event.Error.post");
}

#[test]
fn fragment_without_specs_023() {
    let Some(models) = models_dir("fragment_without_specs_023") else {
        return;
    };
    let parsed = load_real(&models, "023-iotkit-sched-fragment.json");
    assert!(parsed.warnings.is_empty());
    assert_eq!(parsed.model.product_key.as_deref(), Some("a13Npv1vjZ4"));
    let m = only_module(&parsed);
    assert!(m.services.is_empty());
    assert_eq!(m.source.version, None);

    let timer = property(m, "LocalTimer");
    assert_eq!(timer.name.as_deref(), Some("LocalTimerName"));
    assert_eq!(timer.access, AccessMode::ReadWrite);
    assert!(!timer.required);
    let spec = array(&timer.data_type);
    assert_eq!(spec.size, Some(2));
    let members = members(&spec.item);
    assert_eq!(identifiers(members), ["ID", "Timer", "Enable"]);
    assert_eq!(members[0].name.as_deref(), Some("idName"));
    // int, text and bool without specs.
    assert_eq!(members[0].data_type, DataType::Int(NumberSpec::default()));
    assert_eq!(members[1].data_type, DataType::Text(TextSpec::default()));
    assert_eq!(
        members[1].data_type,
        DataType::Text(TextSpec { length: None })
    );
    assert_eq!(members[2].data_type, DataType::Bool(BoolSpec::default()));

    // An event with only an identifier.
    assert_eq!(m.events.len(), 1);
    let post = &m.events[0];
    assert_eq!(post.identifier, "post");
    assert_eq!(post.method, "thing.event.property.post");
    assert_eq!(post.kind, EventType::Info);
    assert_eq!(post.name, None);
    assert!(!post.required);
    assert!(post.outputs.is_empty());
}

#[test]
fn legacy_2018_024() {
    let Some(models) = models_dir("legacy_2018_024") else {
        return;
    };
    let parsed = load_real(&models, "024-iotkit-sample-b1.json");
    assert!(parsed.warnings.is_empty());
    assert_eq!(parsed.model.product_key.as_deref(), Some("b1ZFYKi3UG3"));
    let m = only_module(&parsed);
    assert_eq!(m.source.format, Format::Tsl);
    assert_eq!(
        m.source.schema.as_deref(),
        Some("https://iot-tsl.oss-cn-shanghai.aliyuncs.com/schema.json")
    );
    assert_eq!(m.source.version, None);
    for id in ["set", "get"] {
        assert_eq!(service(m, id).call_type, CallType::Sync, "{id}");
    }
    assert_eq!(service(m, "get").input_names.len(), 13);
    let arrays: Vec<(&str, Option<u32>, &DataType)> = m
        .properties
        .iter()
        .filter_map(|p| match &p.data_type {
            DataType::Array(a) => Some((p.identifier.as_str(), a.size, &*a.item)),
            _ => None,
        })
        .collect();
    assert_eq!(
        arrays,
        [
            (
                "GameListString",
                Some(128),
                &DataType::Text(TextSpec::default())
            ),
            (
                "GameListInt",
                Some(128),
                &DataType::Int(NumberSpec::default())
            ),
            (
                "GameListFloat",
                Some(128),
                &DataType::Float(NumberSpec::default())
            ),
            (
                "GameListDouble",
                Some(128),
                &DataType::Double(NumberSpec::default())
            ),
        ]
    );
    assert_eq!(
        bounds(&property(m, "liquidRemain").data_type),
        (Some("0"), Some("100"), None)
    );
    assert_eq!(
        enum_values(&property(m, "EnumTypeItem").data_type),
        [
            (0, "EnumTypeItem1"),
            (1, "EnumTypeItem2"),
            (2, "EnumTypeItem3"),
            (3, "EnumTypeItem4")
        ]
    );
    assert_eq!(
        member_types(&property(m, "WorkPlans").data_type)[..3],
        [
            ("PlantSwitch", "bool"),
            ("SelectIndex", "int"),
            ("PlantInfo1", "text")
        ]
    );
}

#[test]
fn legacy_device_name_and_link_026_027() {
    let Some(models) = models_dir("legacy_device_name_and_link_026_027") else {
        return;
    };
    // 026: `profile.deviceName`, schema `http://aliyun/iot/thing/desc/schema`.
    let a1 = load_real(&models, "026-iotkit-sample-a1.json");
    assert!(a1.warnings.is_empty());
    assert_eq!(a1.model.product_key.as_deref(), Some("a1AzoSi5TMc"));
    let m = only_module(&a1);
    assert_eq!(
        m.source.schema.as_deref(),
        Some("http://aliyun/iot/thing/desc/schema")
    );
    assert_eq!(m.source.version, None);
    assert_eq!(property(m, "PropertyTime").data_type, DataType::Date);
    assert_eq!(
        bounds(&property(m, "Propertypoint").data_type),
        (Some("-100"), Some("100"), None)
    );
    assert!(matches!(
        property(m, "Propertypoint").data_type,
        DataType::Double(_)
    ));
    assert_eq!(
        property(m, "PropertyCharacter").data_type,
        DataType::Text(TextSpec { length: Some(255) })
    );
    let custom = service(m, "Custom");
    assert_eq!(custom.call_type, CallType::Async);
    assert_eq!(custom.method, "thing.service.Custom");
    assert_eq!((custom.inputs.len(), custom.outputs.len()), (1, 1));
    assert_eq!(service(m, "set").call_type, CallType::Sync);
    let error = m.event("Error").unwrap();
    assert_eq!(
        error.kind,
        EventType::Info,
        "026 declares its Error event as info"
    );
    assert_eq!(enum_values(&error.outputs[0].data_type), [(0, "恢复正常")]);

    // 027: top-level `link`, `profile.deviceName`, 2018 schema host.
    let solo = load_real(&models, "027-iotkit-solo-legacy-link.json");
    assert!(solo.warnings.is_empty());
    assert_eq!(solo.model.product_key.as_deref(), Some("a1fG355fLM5"));
    let m = only_module(&solo);
    assert_eq!(
        m.source.schema.as_deref(),
        Some("https://iot-tsl.oss-cn-shanghai.aliyuncs.com/schema.json")
    );
    assert_eq!(service(m, "get").call_type, CallType::Sync);
    let structs: Vec<&str> = m
        .properties
        .iter()
        .filter(|p| matches!(p.data_type, DataType::Struct(_)))
        .map(|p| p.identifier.as_str())
        .collect();
    assert_eq!(structs, ["RGBColor", "HSVColor", "HSLColor"]);
    let rgb = &property(m, "RGBColor").data_type;
    assert_eq!(
        member_types(rgb),
        [("Red", "int"), ("Green", "int"), ("Blue", "int")]
    );
    let red = number(&member(rgb, "Red").data_type);
    assert_eq!(
        (
            bound_text(&red.min),
            bound_text(&red.max),
            bound_text(&red.step)
        ),
        (Some("0"), Some("255"), None)
    );
    assert_eq!(red.unit, None);
    assert_eq!(red.unit_name.as_deref(), Some("无"));
    assert_eq!(member(rgb, "Red").name.as_deref(), Some("红色"));
    let hsv = &property(m, "HSVColor").data_type;
    assert_eq!(
        member_types(hsv),
        [("Hue", "int"), ("Saturation", "int"), ("Value", "int")]
    );
    assert_eq!(
        number(&member(hsv, "Hue").data_type).unit.as_deref(),
        Some("%")
    );
    let hsl = &property(m, "HSLColor").data_type;
    assert_eq!(
        bounds(&member(hsl, "Hue").data_type),
        (Some("0"), Some("360"), None)
    );
    assert_eq!(
        number(&member(hsl, "Hue").data_type).unit.as_deref(),
        Some("°")
    );
}

#[test]
fn error_event_method_keeps_case_010() {
    let Some(models) = models_dir("error_event_method_keeps_case_010") else {
        return;
    };
    let parsed = load_real(&models, "010-alios-things-miniapp-default-module.json");
    assert!(parsed.warnings.is_empty(), "the method matches: no warning");
    let m = only_module(&parsed);
    let error = m.event("Error").unwrap();
    assert_eq!(error.method, "thing.event.Error.post");
    assert_eq!(error.wire_identifier, "Error");
    assert_eq!(error.kind, EventType::Error);
    assert_eq!(identifiers(&error.outputs), ["ErrorCode"]);
    assert_eq!(
        error.outputs[0].data_type,
        DataType::Enum(tsl_runtime::model::EnumSpec {
            values: vec![EnumValue {
                value: 0,
                label: "恢复正常".into()
            }]
        })
    );
    assert!(m
        .properties
        .iter()
        .all(|p| matches!(p.data_type, DataType::Bool(_))));
}

#[test]
fn placeholder_product_key_bool_only_031() {
    let Some(models) = models_dir("placeholder_product_key_bool_only_031") else {
        return;
    };
    let parsed = load_real(&models, "031-alios-things-haascar.json");
    assert_eq!(
        parsed.model.product_key, None,
        "`<- productKey ->` is a placeholder"
    );
    let m = only_module(&parsed);
    assert_eq!(
        m.properties
            .iter()
            .map(|p| p.identifier.as_str())
            .collect::<Vec<_>>(),
        ["front", "left", "right", "back", "stop"]
    );
    for p in &m.properties {
        assert_eq!(
            bool_labels(&p.data_type),
            (Some("关"), Some("开")),
            "{}",
            p.identifier
        );
        assert_eq!(p.access, AccessMode::ReadWrite);
    }
    let mut kinds = BTreeSet::new();
    each_data_type(m, &mut |dt| {
        kinds.insert(dt.tsl_name());
    });
    assert_eq!(kinds, BTreeSet::from(["bool"]));
}

#[test]
fn float_step_kept_as_written_015() {
    let Some(models) = models_dir("float_step_kept_as_written_015") else {
        return;
    };
    let parsed = load_real(&models, "015-fbigun-model-raw.json");
    let m = only_module(&parsed);
    let float = &property(m, "prop_float").data_type;
    assert!(matches!(float, DataType::Float(_)));
    let step = number(float).step.as_ref().expect("step");
    assert_eq!(step.text(), "0.001");
    assert_eq!(step.value(), 0.001);
    assert_eq!(
        step.exact().map(|d| d.to_string()).as_deref(),
        Some("0.001")
    );
    assert_eq!(step.to_string(), "0.001");
    assert_eq!(bounds(float), (Some("0"), Some("10000"), Some("0.001")));
    assert_eq!(
        bounds(&property(m, "prop_int16").data_type),
        (Some("0"), Some("10000"), Some("1"))
    );
    assert_eq!(
        bool_labels(&property(m, "prop_bool").data_type),
        (Some("off"), Some("on"))
    );
}

#[test]
fn query_thing_model_doc_sample() {
    let Some(models) = models_dir("query_thing_model_doc_sample") else {
        return;
    };
    let parsed = load(&models.join("query-thing-model/QueryThingModel-doc-example.json"));
    assert!(parsed.warnings.is_empty(), "{:?}", parsed.warnings);
    // The sample masks its product key (`a114xeJ****`): no key.
    assert_eq!(parsed.model.product_key, None);
    let m = only_module(&parsed);
    assert_eq!(m.id, None);
    assert_eq!(m.source.format, Format::ThingModelJson);
    assert_eq!(m.source.envelope, Envelope::QueryThingModel);
    assert_eq!(m.source.version.as_deref(), Some("1594253010934"));
    assert_eq!(m.source.schema, None);
    assert!(
        m.source.origin.ends_with("#/Data/ThingModelJson"),
        "{}",
        m.source.origin
    );
    assert!(m.source.origin.contains("QueryThingModel-doc-example.json"));
    assert!(m.events.is_empty());
    assert!(m.services.is_empty());
    assert_eq!(m.properties.len(), 1);
    let wake = &m.properties[0];
    assert_eq!(wake.identifier, "WakeUpData");
    assert_eq!(wake.wire_identifier, "WakeUpData");
    assert_eq!(wake.name.as_deref(), Some("WakeUpData"));
    assert_eq!(wake.desc.as_deref(), Some("1"));
    assert_eq!(wake.access, AccessMode::ReadOnly);
    assert!(!wake.required);
    assert!(matches!(wake.data_type, DataType::Int(_)));
    assert_eq!(bounds(&wake.data_type), (Some("0"), Some("1"), Some("1")));
    assert_eq!(number(&wake.data_type).unit.as_deref(), Some("ppb"));
}

#[test]
fn get_thing_model_tsl_doc_sample() {
    let Some(models) = models_dir("get_thing_model_tsl_doc_sample") else {
        return;
    };
    let parsed = load(&models.join("query-thing-model/GetThingModelTsl-doc-example-zh.json"));
    assert!(parsed.warnings.is_empty(), "{:?}", parsed.warnings);
    assert_eq!(parsed.model.product_key.as_deref(), Some("a14TeWIjbCO"));
    let m = only_module(&parsed);
    assert_eq!(m.source.format, Format::Tsl);
    assert_eq!(m.source.envelope, Envelope::GetThingModelTsl);
    assert!(
        m.source.origin.ends_with("#/Data/TslStr"),
        "{}",
        m.source.origin
    );
    assert_eq!(m.source.version, None);

    let humidity = property(m, "Humidity");
    assert_eq!(humidity.name.as_deref(), Some("湿度"));
    assert_eq!(humidity.access, AccessMode::ReadWrite);
    assert!(matches!(humidity.data_type, DataType::Int(_)));
    assert_eq!(
        bounds(&humidity.data_type),
        (Some("55"), Some("60"), Some("1"))
    );
    assert_eq!(number(&humidity.data_type).unit.as_deref(), Some("%"));

    let temperature = property(m, "Temperature");
    assert!(matches!(temperature.data_type, DataType::Float(_)));
    assert_eq!(
        bounds(&temperature.data_type),
        (Some("26"), Some("28"), Some("0.01"))
    );
    assert_eq!(number(&temperature.data_type).unit.as_deref(), Some("°C"));

    let get = service(m, "get");
    assert_eq!(get.input_names, ["Humidity", "Temperature"]);
    assert_eq!(get.call_type, CallType::Async);
    assert_eq!(
        identifiers(&service(m, "set").inputs),
        ["Humidity", "Temperature"]
    );
    assert_eq!(m.event("post").unwrap().outputs.len(), 2);
}

// ---------------------------------------------------------------------------------------------
// 3. Look-alikes of other platforms are refused
// ---------------------------------------------------------------------------------------------

#[test]
fn lookalikes_are_refused_with_a_located_lookalike_error() {
    let Some(models) = models_dir("lookalikes_are_refused_with_a_located_lookalike_error") else {
        return;
    };
    let files = json_files(&models.join("lookalikes"));
    assert_eq!(files.len(), 4);
    for path in &files {
        let name = file_name(path);
        let err = match Model::load(path) {
            Ok(_) => panic!("{name} was accepted"),
            Err(err) => err,
        };
        let errors: Vec<&Diagnostic> = err.errors().collect();
        assert_eq!(
            errors.len(),
            1,
            "{name}: one clear error, not a cascade:\n{err}"
        );
        let d = errors[0];
        let Problem::LookAlike { format, evidence } = &d.problem else {
            panic!("{name}: expected a look-alike, found {d}");
        };
        if name.starts_with("onenet-") {
            assert!(format.contains("OneNET"), "{name}: {format}");
        } else if name.starts_with("newlife-") {
            assert!(
                format.contains("NewLife") && format.contains("FeiFan"),
                "{name}: {format}"
            );
        } else {
            panic!("unexpected look-alike file {name}");
        }
        assert!(!evidence.is_empty());
        assert!(d.location.is_some(), "{name}: no location");
        let text = std::fs::read_to_string(path).unwrap();
        assert_located_at_value(&text, d);
        let shown = err.to_string();
        assert!(shown.contains(&name), "{shown}");
        assert!(shown.contains("looks like"), "{shown}");
        assert!(d.problem.hint().is_some());
    }
}

// ---------------------------------------------------------------------------------------------
// 4. Every data type appears somewhere
// ---------------------------------------------------------------------------------------------

#[test]
fn every_data_type_occurs_in_the_real_models() {
    let Some(models) = models_dir("every_data_type_occurs_in_the_real_models") else {
        return;
    };
    // Occurrences (struct members and array items included) over properties, event outputs
    // and service inputs/outputs, and the number of files each type occurs in.
    let mut occurrences: BTreeMap<&'static str, usize> = BTreeMap::new();
    let mut files: BTreeMap<&'static str, usize> = BTreeMap::new();
    let mut property_types: BTreeMap<&'static str, usize> = BTreeMap::new();
    let mut array_items: BTreeSet<&'static str> = BTreeSet::new();
    for path in json_files(&models.join("real")) {
        let parsed = load(&path);
        let module = only_module(&parsed);
        let mut seen = BTreeSet::new();
        each_data_type(module, &mut |dt| {
            *occurrences.entry(dt.tsl_name()).or_default() += 1;
            seen.insert(dt.tsl_name());
            if let DataType::Array(spec) = dt {
                array_items.insert(spec.item.tsl_name());
            }
        });
        for kind in seen {
            *files.entry(kind).or_default() += 1;
        }
        for p in &module.properties {
            *property_types.entry(p.data_type.tsl_name()).or_default() += 1;
        }
    }
    let all = [
        "int", "float", "double", "text", "date", "bool", "enum", "struct", "array",
    ];
    for kind in all {
        assert!(
            occurrences.get(kind).copied().unwrap_or(0) > 0,
            "{kind} never occurs"
        );
    }
    assert_eq!(occurrences.len(), all.len());
    let expected =
        |pairs: [(&'static str, usize); 9]| pairs.into_iter().collect::<BTreeMap<_, _>>();
    assert_eq!(
        occurrences,
        expected([
            ("int", 470),
            ("bool", 313),
            ("double", 187),
            ("text", 150),
            ("struct", 134),
            ("enum", 127),
            ("float", 71),
            ("array", 46),
            ("date", 16),
        ])
    );
    assert_eq!(
        files,
        expected([
            ("int", 26),
            ("bool", 24),
            ("enum", 23),
            ("struct", 19),
            ("text", 16),
            ("double", 15),
            ("float", 9),
            ("array", 6),
            ("date", 5),
        ])
    );
    // Top-level property types (without members and items).
    assert_eq!(
        property_types,
        expected([
            ("int", 75),
            ("bool", 74),
            ("struct", 36),
            ("enum", 24),
            ("text", 22),
            ("float", 19),
            ("double", 18),
            ("array", 13),
            ("date", 3),
        ])
    );
    assert_eq!(property_types.values().sum::<usize>(), 284);
    assert_eq!(
        array_items,
        BTreeSet::from(["double", "float", "int", "struct", "text"])
    );
}
