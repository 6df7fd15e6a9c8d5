//! The model is the bottom layer of the runtime, and no folder's files go round in circles
//! (issue 15). Checked by reading the sources, not by a tool:
//!
//! - every `crate::...` path in `src/model/**` (imports and inline paths alike, comments and
//!   `#[cfg(test)] mod tests` left out) names `crate::model` or `crate::float` (the
//!   fixed-notation float text, which sits below model and value): never `value`,
//!   `client`, `emulator`, `sign`, `cloud`, `alink`, `error` or `limits`;
//! - in every folder of `src/` (the crate root, `model/`, `model/parse/`, `value/`,
//!   `client/`, `emulator/`, `sign/`) the references between sibling files (a subfolder
//!   counts as one) form no cycle. `super::`, `self::` and `crate::` paths are resolved; an
//!   item reached through the folder's `mod.rs` (or `lib.rs`) counts as a reference to the
//!   file it re-exports it from. That root file itself (declarations, entry points such as
//!   `Model::parse`, shared item types) is not a sibling.
//!
//! `cargo test -p tsl-runtime --test layering -- --nocapture` prints each folder's graph.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

/// Top-level modules `src/model` may name.
const MODEL_MAY_USE: [&str; 2] = ["model", "float"];

#[test]
fn the_model_imports_nothing_above_it() {
    let files = source_files();
    let model: Vec<&SourceFile> = files
        .iter()
        .filter(|f| f.module.first().is_some_and(|m| m == "model"))
        .collect();
    assert!(model.len() > 10, "src/model not found: {files:?}");
    let mut upward = Vec::new();
    for file in model {
        for path in references(file) {
            if let Some(first) = path.first() {
                if !MODEL_MAY_USE.contains(&first.as_str()) {
                    upward.push(format!("{}: crate::{}", file.display, path.join("::")));
                }
            }
        }
    }
    assert!(
        upward.is_empty(),
        "model/ names layers above it:\n{}",
        upward.join("\n")
    );
}

#[test]
fn no_folder_has_a_cycle() {
    let files = source_files();
    // A folder is the module of a `mod.rs` (or `lib.rs`, the crate root `[]`).
    let folders: Vec<Vec<String>> = files
        .iter()
        .filter(|f| f.display.ends_with("mod.rs") || f.display == "lib.rs")
        .map(|f| f.module.clone())
        .collect();
    for expected in [&[][..], &["model"], &["model", "parse"], &["sign"]] {
        assert!(
            folders.iter().any(|f| f == expected),
            "{expected:?} not in {folders:?}"
        );
    }
    for folder in &folders {
        let folder: Vec<&str> = folder.iter().map(String::as_str).collect();
        let graph = sibling_graph(&files, &folder);
        println!("src/{}: {graph:?}", folder.join("/"));
        assert!(graph.len() > 1, "{folder:?}: {graph:?}");
        if let Some(cycle) = find_cycle(&graph) {
            panic!(
                "src/{}: files import each other: {}",
                folder.join("/"),
                cycle.join(" -> ")
            );
        }
    }
}

/// The checker itself: a planted upward import and a planted cycle are found.
#[test]
fn the_checker_finds_what_it_looks_for() {
    let file = SourceFile {
        display: "model/x.rs".into(),
        module: vec!["model".into(), "x".into()],
        text: code_only(
            "use super::{a::B, c};\n// crate::client in a comment\nfn f() { crate::value::format_f64(1.0); }\n",
        ),
    };
    let refs = references(&file);
    assert!(
        refs.contains(&vec!["value".to_string(), "format_f64".to_string()]),
        "{refs:?}"
    );
    assert!(refs.contains(&vec!["model".to_string(), "a".to_string(), "B".to_string()]));
    assert!(refs.contains(&vec!["model".to_string(), "c".to_string()]));
    assert!(!refs.iter().any(|p| p[0] == "client"), "{refs:?}");

    let graph: BTreeMap<String, BTreeSet<String>> = [
        ("a", vec!["b"]),
        ("b", vec!["c"]),
        ("c", vec!["a"]),
        ("d", vec![]),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.into_iter().map(String::from).collect()))
    .collect();
    assert_eq!(find_cycle(&graph).unwrap(), ["a", "b", "c", "a"]);
    let mut acyclic = graph.clone();
    acyclic.get_mut("c").unwrap().clear();
    assert_eq!(find_cycle(&acyclic), None);
}

#[derive(Debug)]
struct SourceFile {
    /// `model/parse/tsl.rs`, for messages.
    display: String,
    /// The module the file is: `["model", "parse", "tsl"]`; a `mod.rs` is its folder's,
    /// `lib.rs` the crate root `[]`.
    module: Vec<String>,
    /// The code, without comments and in-file test modules.
    text: String,
}

fn source_files() -> Vec<SourceFile> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut paths = Vec::new();
    collect_rs(&src, &mut paths);
    paths.sort();
    paths
        .into_iter()
        .filter(|p| p.file_name().is_some_and(|n| n != "tests.rs"))
        .map(|p| {
            let rel = p.strip_prefix(&src).expect("under src").to_path_buf();
            let mut module: Vec<String> = rel
                .with_extension("")
                .iter()
                .map(|s| s.to_string_lossy().into_owned())
                .collect();
            if module.last().is_some_and(|m| m == "mod") || module == ["lib"] {
                module.pop();
            }
            let text = fs::read_to_string(&p).expect("readable source");
            SourceFile {
                display: rel.display().to_string(),
                module,
                text: code_only(&text),
            }
        })
        .collect()
}

fn collect_rs(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect_rs(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Drops `//` comments and everything from `#[cfg(test)]` followed by an inline
/// `mod tests {` (always last in these files).
fn code_only(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let mut out = String::new();
    for (i, line) in lines.iter().enumerate() {
        if line.trim() == "#[cfg(test)]"
            && lines
                .get(i + 1)
                .is_some_and(|next| next.trim().starts_with("mod tests {"))
        {
            break;
        }
        let code = line.find("//").map_or(*line, |at| &line[..at]);
        out.push_str(code);
        out.push('\n');
    }
    out
}

/// Every `crate::`/`super::`/`self::` path of `file`, resolved to a path from the crate
/// root; a `{...}` group gives one path per member.
fn references(file: &SourceFile) -> Vec<Vec<String>> {
    let text = file.text.as_str();
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        // Paths are ASCII; anything else (text in string literals) is stepped over.
        if !text.is_char_boundary(i) {
            i += 1;
            continue;
        }
        let at_word_start = i == 0
            || !(bytes[i - 1].is_ascii_alphanumeric()
                || bytes[i - 1] == b'_'
                || bytes[i - 1] == b':');
        let rest = &text[i..];
        let start = ["crate::", "super::", "self::"]
            .iter()
            .find(|p| rest.starts_with(**p));
        if !(at_word_start && start.is_some()) {
            i += 1;
            continue;
        }
        // `self` inside a `mod.rs` is the folder; in `x.rs`, the file's module.
        let mut base: Vec<String> = file.module.clone();
        let mut j = i;
        loop {
            let rest = &text[j..];
            if let Some(r) = rest.strip_prefix("crate::") {
                base.clear();
                j = text.len() - r.len();
            } else if let Some(r) = rest.strip_prefix("super::") {
                base.pop();
                j = text.len() - r.len();
            } else if let Some(r) = rest.strip_prefix("self::") {
                j = text.len() - r.len();
            } else {
                break;
            }
        }
        let (paths, end) = path_tail(text, j);
        for tail in paths {
            let mut path = base.clone();
            path.extend(tail);
            out.push(path);
        }
        i = end.max(i + 1);
    }
    out
}

/// The segments after a resolved prefix, starting at `at`: `a::b::C`, or a `{..}` group
/// (members split at top-level commas). Returns the paths and where they end.
fn path_tail(text: &str, at: usize) -> (Vec<Vec<String>>, usize) {
    let bytes = text.as_bytes();
    let mut segments = Vec::new();
    let mut i = at;
    loop {
        while i < bytes.len() && bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        if i < bytes.len() && bytes[i] == b'{' {
            let mut depth = 0;
            let mut j = i;
            while j < bytes.len() {
                match bytes[j] {
                    b'{' => depth += 1,
                    b'}' => {
                        depth -= 1;
                        if depth == 0 {
                            break;
                        }
                    }
                    _ => {}
                }
                j += 1;
            }
            let inner = &text[i + 1..j.min(text.len())];
            let mut paths = Vec::new();
            for member in split_top_level(inner) {
                let member = member.trim();
                if member.is_empty() || member == "self" {
                    paths.push(segments.clone());
                    continue;
                }
                let (tails, _) = path_tail(member, 0);
                for tail in tails {
                    let mut path = segments.clone();
                    path.extend(tail);
                    paths.push(path);
                }
            }
            return (paths, j + 1);
        }
        let start = i;
        while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_') {
            i += 1;
        }
        if i == start {
            break;
        }
        segments.push(text[start..i].to_string());
        if text[i..].starts_with("::") {
            i += 2;
        } else {
            break;
        }
    }
    (vec![segments], i)
}

fn split_top_level(text: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut depth = 0;
    let mut start = 0;
    for (i, c) in text.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&text[start..]);
    parts
}

/// The folder's children (files and subfolders, not `mod.rs`) and which import which.
fn sibling_graph(files: &[SourceFile], folder: &[&str]) -> BTreeMap<String, BTreeSet<String>> {
    let in_folder = |module: &[String]| {
        module.len() > folder.len() && module.iter().zip(folder).all(|(a, b)| a == b)
    };
    let mut graph: BTreeMap<String, BTreeSet<String>> = files
        .iter()
        .filter(|f| in_folder(&f.module))
        .map(|f| (f.module[folder.len()].clone(), BTreeSet::new()))
        .collect();
    // Items the folder's mod.rs re-exports, and from which child.
    let root = files
        .iter()
        .find(|f| f.module == folder)
        .expect("the folder has a mod.rs");
    let mut reexports: BTreeMap<String, String> = BTreeMap::new();
    for path in references(root).into_iter().chain(child_uses(root, &graph)) {
        if path.len() > folder.len() + 1 && in_folder(&path) {
            let child = path[folder.len()].clone();
            if graph.contains_key(&child) {
                reexports.insert(path.last().cloned().unwrap_or_default(), child);
            }
        }
    }
    for file in files.iter().filter(|f| in_folder(&f.module)) {
        let from = file.module[folder.len()].clone();
        for path in references(file) {
            if !in_folder(&path) {
                continue;
            }
            let name = &path[folder.len()];
            let to = if graph.contains_key(name) {
                Some(name.clone())
            } else {
                reexports.get(name).cloned()
            };
            if let Some(to) = to.filter(|to| *to != from) {
                graph.get_mut(&from).expect("a child").insert(to);
            }
        }
    }
    graph
}

/// `pub use child::{..};` lines of a `mod.rs` (paths relative to the folder).
fn child_uses(
    root: &SourceFile,
    children: &BTreeMap<String, BTreeSet<String>>,
) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    for statement in root.text.split(';') {
        let statement = statement.trim();
        let Some(rest) = statement
            .strip_prefix("pub use ")
            .or_else(|| statement.strip_prefix("pub(crate) use "))
        else {
            continue;
        };
        let (paths, _) = path_tail(rest, 0);
        for tail in paths {
            if tail.first().is_some_and(|c| children.contains_key(c)) {
                let mut path = root.module.clone();
                path.extend(tail);
                out.push(path);
            }
        }
    }
    out
}

/// A cycle as `[a, b, .., a]`, when the graph has one.
fn find_cycle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        stack: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(at) = stack.iter().position(|n| n == node) {
            let mut cycle = stack[at..].to_vec();
            cycle.push(node.to_string());
            return Some(cycle);
        }
        if done.contains(node) {
            return None;
        }
        stack.push(node.to_string());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(cycle) = visit(next, graph, stack, done) {
                return Some(cycle);
            }
        }
        stack.pop();
        done.insert(node.to_string());
        None
    }
    let mut done = BTreeSet::new();
    for node in graph.keys() {
        if let Some(cycle) = visit(node, graph, &mut Vec::new(), &mut done) {
            return Some(cycle);
        }
    }
    None
}
