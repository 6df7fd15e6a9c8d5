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
// instantiated for every generated enum, so they are plain index loops without closures
// or iterator adapters, and the error text is written by code that is not generic.

/// The first members of an enum's table, as errors list them, and how many it has.
pub(crate) struct Listed {
    first: [(i64, &'static str); LISTED],
    shown: usize,
    len: usize,
}

impl Listed {
    /// The listing of `members`.
    pub(crate) fn of<T>(members: &[(T, i64, &'static str)]) -> Listed {
        let mut first = [(0, ""); LISTED];
        let shown = members.len().min(LISTED);
        let mut i = 0;
        while i < shown {
            first[i] = (members[i].1, members[i].2);
            i += 1;
        }
        Listed {
            first,
            shown,
            len: members.len(),
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

/// The index of the member of `members` with `key`.
pub(crate) const fn key_index<T>(members: &[(T, i64, &'static str)], key: i64) -> Option<usize> {
    let mut i = 0;
    while i < members.len() {
        if members[i].1 == key {
            return Some(i);
        }
        i += 1;
    }
    None
}

/// The member of `members` with `key`, or an error naming the key and the allowed ones: a
/// generated enum's `TryFrom<i64>`.
pub fn member_by_key<T: Copy>(
    enum_name: &'static str,
    members: &[(T, i64, &'static str)],
    key: i64,
) -> Result<T, UnknownMember> {
    match key_index(members, key) {
        Some(i) => Ok(members[i].0),
        None => Err(UnknownMember::new(
            enum_name,
            key.to_string(),
            &Listed::of(members),
        )),
    }
}

/// The member of `members` that `text` names: its key's digits (as the wire and `Display`
/// write it), else its label when exactly one member has that label (labels may repeat).
/// Surrounding whitespace is ignored. A generated enum's `FromStr`.
pub fn member_by_text<T: Copy>(
    enum_name: &'static str,
    members: &[(T, i64, &'static str)],
    text: &str,
) -> Result<T, UnknownMember> {
    let trimmed = text.trim();
    if let Some(i) = key_of(trimmed).and_then(|key| key_index(members, key)) {
        return Ok(members[i].0);
    }
    let (mut found, mut count) = (0, 0);
    let mut i = 0;
    while i < members.len() {
        if members[i].2 == trimmed {
            found = i;
            count += 1;
        }
        i += 1;
    }
    if count == 1 {
        return Ok(members[found].0);
    }
    Err(UnknownMember::new(
        enum_name,
        format!("{text:?}"),
        &Listed::of(members),
    ))
}

/// A key's digits.
fn key_of(text: &str) -> Option<i64> {
    text.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Clone, Copy, PartialEq)]
    enum Mode {
        Off,
        On,
        Auto,
        AlsoAuto,
    }

    const MEMBERS: &[(Mode, i64, &str)] = &[
        (Mode::Off, 0, "off"),
        (Mode::On, 1, "on"),
        (Mode::Auto, 2, "auto"),
        (Mode::AlsoAuto, 3, "auto"),
    ];

    #[test]
    fn keys_become_members() {
        assert_eq!(member_by_key("Mode", MEMBERS, 1), Ok(Mode::On));
        let err = member_by_key("Mode", MEMBERS, 7).unwrap_err();
        assert_eq!(err.given(), "7");
        assert_eq!(
            err.to_string(),
            "7 is not a member of Mode: allowed 0 (off), 1 (on), 2 (auto), 3 (auto)"
        );
    }

    #[test]
    fn texts_name_members_by_key_or_unique_label() {
        assert_eq!(member_by_text("Mode", MEMBERS, " 2 "), Ok(Mode::Auto));
        assert_eq!(member_by_text("Mode", MEMBERS, "on"), Ok(Mode::On));
        assert_eq!(member_by_text("Mode", MEMBERS, "3"), Ok(Mode::AlsoAuto));
        // Two members share the label: the text names neither.
        let err = member_by_text("Mode", MEMBERS, "auto").unwrap_err();
        assert_eq!(err.given(), "\"auto\"");
        assert!(member_by_text("Mode", MEMBERS, "9").is_err());
        assert!(member_by_text("Mode", MEMBERS, "").is_err());
    }

    #[test]
    fn long_member_lists_are_cut() {
        let members: Vec<(i64, i64, &str)> = (0..25).map(|k| (k, k, "x")).collect();
        let err = member_by_key("Big", &members, 99).unwrap_err();
        assert!(err.to_string().ends_with(", … (25 in all)"), "{err}");
    }
}
