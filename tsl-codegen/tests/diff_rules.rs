//! One case per rule of the comparison (`docs/diff.md`): a pair of small models written for
//! it, and every change the pair must give, no more, no fewer. A last test checks that
//! every rule of the table has its case.

use tsl_codegen::diff::diff;
use tsl_codegen::model::diff::{Change, Rule, Side, Sources};
use tsl_codegen::model::{Model, Parsed};
use tsl_codegen::Settings;

/// A console-style TSL document.
fn tsl(properties: &[String], services: &[String], events: &[String]) -> String {
    format!(
        r#"{{"schema":"https://iotx-tsl.oss-ap-southeast-1.aliyuncs.com/schema.json",
"profile":{{"productKey":"a1Diff"}},
"properties":[{}],
"services":[{}],
"events":[{}]}}"#,
        properties.join(",\n"),
        services.join(",\n"),
        events.join(",\n")
    )
}

fn prop(id: &str, access: &str, data_type: &str) -> String {
    format!(
        r#"{{"identifier":"{id}","name":"{id}","accessMode":"{access}","required":false,"dataType":{data_type}}}"#
    )
}

fn param(id: &str, data_type: &str) -> String {
    format!(r#"{{"identifier":"{id}","name":"{id}","dataType":{data_type}}}"#)
}

fn service(id: &str, call: &str, inputs: &[String], outputs: &[String]) -> String {
    format!(
        r#"{{"identifier":"{id}","name":"{id}","required":false,"callType":"{call}","method":"thing.service.{id}","inputData":[{}],"outputData":[{}]}}"#,
        inputs.join(","),
        outputs.join(",")
    )
}

fn event(id: &str, kind: &str, outputs: &[String]) -> String {
    format!(
        r#"{{"identifier":"{id}","name":"{id}","type":"{kind}","required":false,"method":"thing.event.{id}.post","outputData":[{}]}}"#,
        outputs.join(",")
    )
}

fn int(min: &str, max: &str, step: &str) -> String {
    format!(
        r#"{{"type":"int","specs":{{"min":"{min}","max":"{max}","step":"{step}","unit":"%","unitName":"percent"}}}}"#
    )
}

fn text(length: &str) -> String {
    format!(r#"{{"type":"text","specs":{{"length":"{length}"}}}}"#)
}

fn enum_of(members: &[(i64, &str)]) -> String {
    let specs: Vec<String> = members
        .iter()
        .map(|(k, label)| format!(r#""{k}":"{label}""#))
        .collect();
    format!(r#"{{"type":"enum","specs":{{{}}}}}"#, specs.join(","))
}

fn struct_of(members: &[String]) -> String {
    format!(r#"{{"type":"struct","specs":[{}]}}"#, members.join(","))
}

fn array_of(size: &str, item: &str) -> String {
    format!(r#"{{"type":"array","specs":{{"size":"{size}","item":{item}}}}}"#)
}

fn custom(id: &str, name: &str, properties: &[String]) -> String {
    format!(
        r#"{{"schema":"https://iotx-tsl.oss-ap-southeast-1.aliyuncs.com/schema.json",
"profile":{{"productKey":"a1Diff"}},"functionBlockId":"{id}","functionBlockName":"{name}",
"properties":[{}],"services":[],"events":[]}}"#,
        properties.join(",")
    )
}

/// Files of one side: (origin, text).
type Files = Vec<(String, String)>;

fn one(text: String, origin: &str) -> Files {
    vec![(origin.to_string(), text)]
}

fn load(files: &Files) -> (Model, Sources) {
    let mut sources = Sources::new();
    let mut parts: Vec<Parsed> = Vec::new();
    for (origin, text) in files {
        sources.insert(origin.clone(), text.clone());
        parts.push(Model::parse(text, origin).unwrap_or_else(|e| panic!("{origin}: {e}\n{text}")));
    }
    let model = Model::combine(parts).unwrap_or_else(|e| panic!("{e}"));
    (model.model, sources)
}

fn changes(old: &Files, new: &Files) -> Vec<Change> {
    let (a, sa) = load(old);
    let (b, sb) = load(new);
    diff(&Side::new(&a, &sa), &Side::new(&b, &sb), &Settings::new()).unwrap()
}

struct Case {
    rule: Rule,
    old: Files,
    new: Files,
    /// Every rule the pair gives, in the order found.
    expected: Vec<Rule>,
}

fn case(rule: Rule, old: String, new: String, expected: &[Rule]) -> Case {
    Case {
        rule,
        old: one(old, "old.json"),
        new: one(new, "new.json"),
        expected: expected.to_vec(),
    }
}

fn base_properties() -> Vec<String> {
    vec![
        prop("Level", "rw", &int("0", "100", "1")),
        prop("Mode", "rw", &enum_of(&[(0, "off"), (1, "on")])),
        prop("Label", "r", &text("32")),
    ]
}

fn base_services() -> Vec<String> {
    vec![service(
        "Blink",
        "sync",
        &[
            param("Times", &int("1", "20", "1")),
            param(
                "Pattern",
                &struct_of(&[
                    param("On", &int("0", "10", "1")),
                    param("Off", &int("0", "10", "1")),
                ]),
            ),
            param("Steps", &array_of("10", &int("0", "9", "1"))),
        ],
        &[param("Blinked", &int("0", "20", "1"))],
    )]
}

fn base_events() -> Vec<String> {
    vec![event(
        "Fault",
        "alert",
        &[
            param("Code", &int("0", "255", "1")),
            param("Detail", &text("64")),
        ],
    )]
}

fn base() -> String {
    tsl(&base_properties(), &base_services(), &base_events())
}

/// The base model with one string replaced (the replaced text must be there).
fn edit(from: &str, to: &str) -> String {
    let text = base();
    assert!(text.contains(from), "{from} not in the base model");
    text.replacen(from, to, 1)
}

fn cases() -> Vec<Case> {
    use Rule::*;
    let props = base_properties;
    let mut out = vec![
        case(
            PropertyRemoved,
            base(),
            tsl(&props()[..2], &base_services(), &base_events()),
            &[PropertyRemoved],
        ),
        case(
            PropertyAdded,
            base(),
            tsl(
                &[props(), vec![prop("Extra", "r", &text("8"))]].concat(),
                &base_services(),
                &base_events(),
            ),
            &[PropertyAdded],
        ),
        case(
            ServiceRemoved,
            base(),
            tsl(&props(), &[], &base_events()),
            &[ServiceRemoved],
        ),
        case(
            ServiceAdded,
            base(),
            tsl(
                &props(),
                &[base_services(), vec![service("Reset", "async", &[], &[])]].concat(),
                &base_events(),
            ),
            &[ServiceAdded, HandlerMethodAdded],
        ),
        case(
            EventRemoved,
            base(),
            tsl(&props(), &base_services(), &[]),
            &[EventRemoved],
        ),
        case(
            EventAdded,
            base(),
            tsl(
                &props(),
                &base_services(),
                &[base_events(), vec![event("Boot", "info", &[])]].concat(),
            ),
            &[EventAdded],
        ),
        case(
            ServiceInputAdded,
            base(),
            edit(
                r#""inputData":[{"identifier":"Times""#,
                &format!(
                    r#""inputData":[{},{{"identifier":"Times""#,
                    param("Speed", &int("1", "5", "1"))
                ),
            ),
            &[ServiceInputAdded, StructFieldAdded],
        ),
        case(
            ServiceInputRemoved,
            base(),
            tsl(
                &props(),
                &[service(
                    "Blink",
                    "sync",
                    &[
                        param("Times", &int("1", "20", "1")),
                        param(
                            "Pattern",
                            &struct_of(&[
                                param("On", &int("0", "10", "1")),
                                param("Off", &int("0", "10", "1")),
                            ]),
                        ),
                    ],
                    &[param("Blinked", &int("0", "20", "1"))],
                )],
                &base_events(),
            ),
            &[ServiceInputRemoved],
        ),
        case(
            ServiceOutputAdded,
            base(),
            edit(
                r#""outputData":[{"identifier":"Blinked""#,
                &format!(
                    r#""outputData":[{},{{"identifier":"Blinked""#,
                    param("Left", &int("0", "20", "1"))
                ),
            ),
            &[ServiceOutputAdded, StructFieldAdded],
        ),
        case(
            ServiceOutputRemoved,
            tsl(
                &props(),
                &[service(
                    "Blink",
                    "sync",
                    &[
                        param("Times", &int("1", "20", "1")),
                        param(
                            "Pattern",
                            &struct_of(&[
                                param("On", &int("0", "10", "1")),
                                param("Off", &int("0", "10", "1")),
                            ]),
                        ),
                        param("Steps", &array_of("10", &int("0", "9", "1"))),
                    ],
                    &[
                        param("Blinked", &int("0", "20", "1")),
                        param("Left", &int("0", "20", "1")),
                    ],
                )],
                &base_events(),
            ),
            base(),
            &[ServiceOutputRemoved],
        ),
        case(
            EventOutputRemoved,
            base(),
            tsl(
                &props(),
                &base_services(),
                &[event(
                    "Fault",
                    "alert",
                    &[param("Code", &int("0", "255", "1"))],
                )],
            ),
            &[EventOutputRemoved],
        ),
        case(
            EventOutputAdded,
            base(),
            tsl(
                &props(),
                &base_services(),
                &[event(
                    "Fault",
                    "alert",
                    &[
                        param("Code", &int("0", "255", "1")),
                        param("Detail", &text("64")),
                        param("At", r#"{"type":"date","specs":{}}"#),
                    ],
                )],
            ),
            &[EventOutputAdded, StructFieldAdded],
        ),
        case(
            StructMemberRemoved,
            base(),
            edit(
                r#",{"identifier":"Off","name":"Off","dataType":{"type":"int","specs":{"min":"0","max":"10","step":"1","unit":"%","unitName":"percent"}}}"#,
                "",
            ),
            &[StructMemberRemoved],
        ),
        case(
            StructMemberAdded,
            base(),
            edit(
                r#"{"type":"struct","specs":["#,
                &format!(
                    r#"{{"type":"struct","specs":[{},"#,
                    param("Dim", r#"{"type":"bool","specs":{"0":"no","1":"yes"}}"#)
                ),
            ),
            &[StructMemberAdded, StructFieldAdded],
        ),
        case(
            DataTypeChanged,
            base(),
            edit(
                r#"{"identifier":"Times","name":"Times","dataType":{"type":"int""#,
                r#"{"identifier":"Times","name":"Times","dataType":{"type":"float""#,
            ),
            &[DataTypeChanged],
        ),
        case(
            DataTypeChanged,
            base(),
            edit(
                r#""item":{"type":"int","specs":{"min":"0","max":"9""#,
                r#""item":{"type":"float","specs":{"min":"0","max":"9""#,
            ),
            &[DataTypeChanged],
        ),
        case(
            EnumKeyRemoved,
            base(),
            edit(r#","1":"on""#, ""),
            &[EnumKeyRemoved],
        ),
        case(
            EnumKeyAdded,
            base(),
            edit(r#""1":"on""#, r#""1":"on","2":"auto""#),
            &[EnumKeyAdded, EnumMemberAdded],
        ),
        case(
            EnumMemberAdded,
            tsl(
                &[],
                &[service(
                    "Pick",
                    "async",
                    &[param("Choice", &enum_of(&[(0, "a")]))],
                    &[],
                )],
                &[],
            ),
            tsl(
                &[],
                &[service(
                    "Pick",
                    "async",
                    &[param("Choice", &enum_of(&[(0, "a"), (-1, "b")]))],
                    &[],
                )],
                &[],
            ),
            &[EnumKeyAdded, EnumMemberAdded],
        ),
        case(
            StructFieldAdded,
            tsl(
                &[],
                &[],
                &[event("Tick", "info", &[param("N", &int("0", "9", "1"))])],
            ),
            tsl(
                &[],
                &[],
                &[event(
                    "Tick",
                    "info",
                    &[param("N", &int("0", "9", "1")), param("M", &text("4"))],
                )],
            ),
            &[EventOutputAdded, StructFieldAdded],
        ),
        case(
            BoundsNarrowed,
            base(),
            edit(r#""min":"0","max":"100""#, r#""min":"10","max":"100""#),
            &[BoundsNarrowed],
        ),
        case(
            BoundsWidened,
            base(),
            edit(r#""min":"0","max":"100""#, r#""min":"0","max":"1000""#),
            &[BoundsWidened],
        ),
        case(
            StepChanged,
            base(),
            edit(r#""max":"100","step":"1""#, r#""max":"100","step":"5""#),
            &[StepChanged],
        ),
        case(
            StepRemoved,
            base(),
            edit(r#""max":"100","step":"1","#, r#""max":"100","#),
            &[StepRemoved],
        ),
        case(
            TextLengthShrunk,
            base(),
            edit(r#""length":"32""#, r#""length":"16""#),
            &[TextLengthShrunk],
        ),
        case(
            TextLengthGrown,
            base(),
            edit(r#""length":"32""#, r#""length":"2048""#),
            &[TextLengthGrown],
        ),
        case(
            ArraySizeShrunk,
            base(),
            edit(r#""size":"10""#, r#""size":"5""#),
            &[ArraySizeShrunk],
        ),
        case(
            ArraySizeGrown,
            base(),
            edit(r#""size":"10""#, r#""size":"100""#),
            &[ArraySizeGrown],
        ),
        case(
            CallTypeChanged,
            base(),
            edit(r#""callType":"sync""#, r#""callType":"async""#),
            &[CallTypeChanged],
        ),
        case(
            AccessModeNarrowed,
            base(),
            edit(
                r#"{"identifier":"Level","name":"Level","accessMode":"rw""#,
                r#"{"identifier":"Level","name":"Level","accessMode":"r""#,
            ),
            &[AccessModeNarrowed],
        ),
        case(
            AccessModeWidened,
            base(),
            edit(
                r#"{"identifier":"Label","name":"Label","accessMode":"r""#,
                r#"{"identifier":"Label","name":"Label","accessMode":"rw""#,
            ),
            &[AccessModeWidened],
        ),
        case(
            EventTypeChanged,
            base(),
            edit(r#""type":"alert""#, r#""type":"error""#),
            &[EventTypeChanged],
        ),
        case(
            RequiredChanged,
            base(),
            edit(
                r#""accessMode":"r","required":false"#,
                r#""accessMode":"r","required":true"#,
            ),
            &[RequiredChanged],
        ),
        case(
            DocumentationChanged,
            base(),
            edit(
                r#""unit":"%","unitName":"percent""#,
                r#""unit":"‰","unitName":"permille""#,
            ),
            &[DocumentationChanged],
        ),
        case(
            RustNameChanged,
            base(),
            edit(r#""1":"on""#, r#""1":"enabled""#),
            &[DocumentationChanged, RustNameChanged],
        ),
        case(
            RustTypeChanged,
            tsl(
                &[],
                &[service(
                    "Pick",
                    "async",
                    &[param("Choice", r#"{"type":"enum","specs":{}}"#)],
                    &[],
                )],
                &[],
            ),
            tsl(
                &[],
                &[service(
                    "Pick",
                    "async",
                    &[param("Choice", &enum_of(&[(0, "a")]))],
                    &[],
                )],
                &[],
            ),
            &[EnumKeyRemoved, RustTypeChanged],
        ),
        case(
            RustTypeRemoved,
            tsl(
                &[prop(
                    "List",
                    "r",
                    &array_of("4", &struct_of(&[param("X", &int("0", "1", "1"))])),
                )],
                &[],
                &[],
            ),
            tsl(
                &[prop("List", "r", &array_of("4", &int("0", "1", "1")))],
                &[],
                &[],
            ),
            &[DataTypeChanged, RustTypeRemoved],
        ),
        case(
            HandlerMethodAdded,
            tsl(&[prop("Label", "r", &text("8"))], &[], &[]),
            tsl(
                &[
                    prop("Label", "r", &text("8")),
                    prop("Level", "rw", &int("0", "9", "1")),
                ],
                &[],
                &[],
            ),
            &[PropertyAdded, HandlerMethodAdded],
        ),
    ];
    // Modules: a default module and a custom one, as two files.
    let default = || tsl(&[prop("Level", "rw", &int("0", "100", "1"))], &[], &[]);
    let battery = |id: &str| custom(id, "Battery", &[prop("Charge", "r", &int("0", "100", "1"))]);
    let files = |custom: Option<String>| {
        let mut files = vec![("default.json".to_string(), default())];
        if let Some(text) = custom {
            files.push(("custom.json".to_string(), text));
        }
        files
    };
    out.push(Case {
        rule: Rule::ModuleRemoved,
        old: files(Some(battery("battery"))),
        new: files(None),
        expected: vec![Rule::ModuleRemoved],
    });
    out.push(Case {
        rule: Rule::ModuleAdded,
        old: files(None),
        new: files(Some(battery("battery"))),
        expected: vec![Rule::ModuleAdded],
    });
    out.push(Case {
        rule: Rule::ModuleIdChanged,
        old: files(Some(battery("battery"))),
        new: files(Some(battery("cell"))),
        expected: vec![Rule::ModuleIdChanged],
    });
    out
}

#[test]
fn each_rule_fires_on_its_pair_and_nothing_else_does() {
    let mut failures = Vec::new();
    for case in cases() {
        let found = changes(&case.old, &case.new);
        let rules: Vec<Rule> = found.iter().map(|c| c.rule).collect();
        let mut want = case.expected.clone();
        want.sort();
        let mut got = rules.clone();
        got.sort();
        if want != got {
            failures.push(format!(
                "{}: expected {:?}, found:\n{}",
                case.rule,
                case.expected,
                found
                    .iter()
                    .map(|c| format!("  {c}"))
                    .collect::<Vec<_>>()
                    .join("\n")
            ));
        }
        for change in &found {
            // Both sides name their file; a thing on both sides is located on both.
            assert!(
                !change.old.origin.is_empty() && !change.new.origin.is_empty(),
                "{change}"
            );
            assert!(
                change.old.location.is_some() && change.new.location.is_some(),
                "{change}"
            );
            assert!(!change.message.is_empty());
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn every_rule_of_the_table_has_its_case() {
    let cases = cases();
    let covered: Vec<Rule> = cases.iter().map(|c| c.rule).collect();
    let missing: Vec<&str> = Rule::ALL
        .iter()
        .filter(|r| !covered.contains(r))
        .map(|r| r.name())
        .collect();
    assert!(missing.is_empty(), "rules without a case: {missing:?}");
    for case in &cases {
        assert!(
            case.expected.contains(&case.rule),
            "{}: its own rule is not expected",
            case.rule
        );
    }
}

#[test]
fn the_base_model_compared_with_itself_has_no_changes() {
    assert!(changes(&one(base(), "a.json"), &one(base(), "b.json")).is_empty());
}

#[test]
fn docs_table_lists_every_rule_with_its_class() {
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/diff.md"))
        .expect("docs/diff.md");
    for rule in Rule::ALL {
        let row = format!("| `{}` | {} |", rule.name(), rule.class());
        assert!(doc.contains(&row), "docs/diff.md has no row `{row}`");
    }
    let rows = doc
        .lines()
        .filter(|l| l.starts_with("| `") && l.contains("_"))
        .count();
    assert_eq!(rows, Rule::ALL.len(), "rows in docs/diff.md's table");
}
