//! Turning a number or a text into a member of a generated enum (`TryFrom<i64>`,
//! `FromStr`), and the error when neither names one.

/// How many members the error lists before it stops, as [`ValueError`](super::ValueError)
/// does for enum checks.
const LISTED: usize = 10;

/// A key or text that names no member of a generated enum: the enum, what was given and
/// the keys (with labels) it allows.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{given} is not a member of {enum_name}: allowed {allowed}")]
pub struct UnknownMember {
    enum_name: &'static str,
    given: String,
    allowed: String,
}

impl UnknownMember {
    fn new(enum_name: &'static str, given: String, allowed: &Listed) -> Self {
        UnknownMember {
            enum_name,
            given,
            allowed: allowed.text(),
        }
    }

    /// The Rust name of the enum.
    pub fn enum_name(&self) -> &'static str {
        self.enum_name
    }

    /// What was given: the key's digits, or the text quoted.
    pub fn given(&self) -> &str {
        &self.given
    }
}

// Build time of generated crates (BENCHMARKS.md, "Compact generated code"): these are
// called for every generated enum. They read the enum's keys and labels as plain slices
// (which the enum's impls compute from its `MEMBERS` table at compile time) and give an
// index, so nothing here is compiled per enum; the enum turns the index into its member.

/// The first members of an enum's table, as errors list them, and how many it has.
pub(crate) struct Listed {
    first: [(i64, &'static str); LISTED],
    shown: usize,
    len: usize,
}

impl Listed {
    /// The listing of the members with these keys and labels.
    pub(crate) fn of(keys: &[i64], labels: &[&'static str]) -> Listed {
        let mut first = [(0, ""); LISTED];
        let shown = keys.len().min(labels.len()).min(LISTED);
        for (i, slot) in first.iter_mut().enumerate().take(shown) {
            *slot = (keys[i], labels[i]);
        }
        Listed {
            first,
            shown,
            len: keys.len(),
        }
    }

    /// `0 (off), 1 (on)`, then `, … (25 in all)` when some were left out.
    pub(crate) fn text(&self) -> String {
        let mut text = String::new();
        for (i, (key, label)) in self.first[..self.shown].iter().enumerate() {
            if i > 0 {
                text.push_str(", ");
            }
            text.push_str(&format!("{key} ({label})"));
        }
        if self.len > LISTED {
            text.push_str(&format!(", … ({} in all)", self.len));
        }
        text
    }
}

/// The index of `key` in `keys`: a generated enum's `from_key` (a `const fn`).
pub const fn index_of_key(keys: &[i64], key: i64) -> Option<usize> {
    let mut i = 0;
    while i < keys.len() {
        if keys[i] == key {
            return Some(i);
        }
        i += 1;
    }
    None
}

/// The index of the member with `key`, or an error naming the key and the allowed ones: a
/// generated enum's `TryFrom<i64>`.
pub fn index_by_key(
    enum_name: &'static str,
    keys: &[i64],
    labels: &[&'static str],
    key: i64,
) -> Result<usize, UnknownMember> {
    index_of_key(keys, key)
        .ok_or_else(|| UnknownMember::new(enum_name, key.to_string(), &Listed::of(keys, labels)))
}

/// The index of the member that `text` names: its key's digits (as the wire and `Display`
/// write it), else its label when exactly one member has that label (labels may repeat).
/// Surrounding whitespace is ignored. A generated enum's `FromStr`.
pub fn index_by_text(
    enum_name: &'static str,
    keys: &[i64],
    labels: &[&'static str],
    text: &str,
) -> Result<usize, UnknownMember> {
    let trimmed = text.trim();
    if let Some(i) = key_of(trimmed).and_then(|key| index_of_key(keys, key)) {
        return Ok(i);
    }
    let mut labelled = (0..labels.len()).filter(|&i| labels[i] == trimmed);
    match (labelled.next(), labelled.next()) {
        (Some(i), None) => Ok(i),
        _ => Err(UnknownMember::new(
            enum_name,
            format!("{text:?}"),
            &Listed::of(keys, labels),
        )),
    }
}

/// A key's digits.
fn key_of(text: &str) -> Option<i64> {
    text.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEYS: &[i64] = &[0, 1, 2, 3];
    const LABELS: &[&str] = &["off", "on", "auto", "auto"];

    fn member_by_key(name: &'static str, key: i64) -> Result<usize, UnknownMember> {
        index_by_key(name, KEYS, LABELS, key)
    }

    fn member_by_text(name: &'static str, text: &str) -> Result<usize, UnknownMember> {
        index_by_text(name, KEYS, LABELS, text)
    }

    #[test]
    fn keys_become_members() {
        assert_eq!(member_by_key("Mode", 1), Ok(1));
        let err = member_by_key("Mode", 7).unwrap_err();
        assert_eq!(err.given(), "7");
        assert_eq!(
            err.to_string(),
            "7 is not a member of Mode: allowed 0 (off), 1 (on), 2 (auto), 3 (auto)"
        );
    }

    #[test]
    fn texts_name_members_by_key_or_unique_label() {
        assert_eq!(member_by_text("Mode", " 2 "), Ok(2));
        assert_eq!(member_by_text("Mode", "on"), Ok(1));
        assert_eq!(member_by_text("Mode", "3"), Ok(3));
        // Two members share the label: the text names neither.
        let err = member_by_text("Mode", "auto").unwrap_err();
        assert_eq!(err.given(), "\"auto\"");
        assert!(member_by_text("Mode", "9").is_err());
        assert!(member_by_text("Mode", "").is_err());
    }

    #[test]
    fn long_member_lists_are_cut() {
        let keys: Vec<i64> = (0..25).collect();
        let err = index_by_key("Big", &keys, &["x"; 25], 99).unwrap_err();
        assert!(err.to_string().ends_with(", … (25 in all)"), "{err}");
    }
}
