//! Doc comments cite the platform facts in `docs/platform.md` by section (`§6`, `§5.3`,
//! `§4–§6`): every section cited exists, and nothing cites a file outside the repository.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("runtime/ is in the workspace")
        .to_path_buf()
}

/// `## 6. Limits...` and `### 5.3 Signature...` → `6`, `5.3`.
fn sections(doc: &str) -> BTreeSet<String> {
    doc.lines()
        .filter_map(|line| {
            line.strip_prefix("### ")
                .or_else(|| line.strip_prefix("## "))
        })
        .filter_map(|title| title.split_whitespace().next())
        .map(|number| number.trim_end_matches('.').to_string())
        .filter(|number| number.starts_with(|c: char| c.is_ascii_digit()))
        .collect()
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The section numbers right after each `docs/platform.md` mention: `§5–§7` gives 5 and 7.
fn cited(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for (at, _) in text.match_indices("docs/platform.md") {
        let rest = &text[at + "docs/platform.md".len()..];
        let rest = rest.trim_start_matches(['`', ' ']);
        let mut rest = rest;
        while let Some(after) = rest.strip_prefix('§') {
            let number: String = after
                .chars()
                .take_while(|c| c.is_ascii_digit() || *c == '.')
                .collect();
            let number = number.trim_end_matches('.').to_string();
            rest = after[number.len()..].trim_start_matches(['–', '-', ',', ' ', '.']);
            out.push(number);
        }
    }
    out
}

#[test]
fn every_cited_section_exists() {
    let root = workspace();
    let doc = fs::read_to_string(root.join("docs/platform.md")).expect("docs/platform.md");
    let sections = sections(&doc);
    for expected in ["1", "3", "5.3", "6", "7", "8"] {
        assert!(
            sections.contains(expected),
            "{expected} missing from {sections:?}"
        );
    }
    let mut files = Vec::new();
    for dir in ["runtime/src", "tsl-codegen/src", "tsl-macros/src"] {
        rust_files(&root.join(dir), &mut files);
    }
    let mut citations = 0;
    let mut problems = Vec::new();
    for file in &files {
        let text = fs::read_to_string(file).expect("readable source");
        if text.contains("PLATFORM.md") {
            problems.push(format!(
                "{}: cites PLATFORM.md, not in the repository",
                file.display()
            ));
        }
        for number in cited(&text) {
            citations += 1;
            if !sections.contains(&number) {
                problems.push(format!(
                    "{}: cites §{number}, not in docs/platform.md",
                    file.display()
                ));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert!(citations >= 10, "only {citations} citations found");
}

#[test]
fn citations_are_read_as_written() {
    assert_eq!(cited("(`docs/platform.md` §5–§7)"), ["5", "7"]);
    assert_eq!(cited("`docs/platform.md` §5.3):"), ["5.3"]);
    assert_eq!(cited("see docs/platform.md"), Vec::<String>::new());
    let doc = "## 5. The RPC API\n### 5.3 Signature V1\n## Sources\n";
    assert_eq!(
        sections(doc),
        BTreeSet::from(["5".to_string(), "5.3".to_string()])
    );
}
