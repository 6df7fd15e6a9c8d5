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
    fn new<T>(enum_name: &'static str, given: String, members: &[(T, i64, &'static str)]) -> Self {
        let mut allowed = members
            .iter()
            .take(LISTED)
            .map(|(_, key, label)| format!("{key} ({label})"))
            .collect::<Vec<_>>()
            .join(", ");
        if members.len() > LISTED {
            allowed.push_str(&format!(", … ({} in all)", members.len()));
        }
        UnknownMember {
            enum_name,
            given,
            allowed,
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

/// The member of `members` with `key`, or an error naming the key and the allowed ones: a
/// generated enum's `TryFrom<i64>`.
pub fn member_by_key<T: Copy>(
    enum_name: &'static str,
    members: &[(T, i64, &'static str)],
    key: i64,
) -> Result<T, UnknownMember> {
    super::member(members, key)
        .ok_or_else(|| UnknownMember::new(enum_name, key.to_string(), members))
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
    if let Some(found) = trimmed
        .parse::<i64>()
        .ok()
        .and_then(|key| super::member(members, key))
    {
        return Ok(found);
    }
    let mut labelled = members.iter().filter(|(_, _, label)| *label == trimmed);
    match (labelled.next(), labelled.next()) {
        (Some((member, ..)), None) => Ok(*member),
        _ => Err(UnknownMember::new(enum_name, format!("{text:?}"), members)),
    }
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
