//! The names a request addresses: device names, product keys and custom topics, checked
//! locally against the platform's rules so that a name that cannot exist is refused on its
//! own line instead of spoiling the call of 100 it would travel in.
//!
//! The rules and their sources are in `docs/batches.md` ("Names"): a `DeviceName` has at
//! most 32 characters of `A–Z a–z 0–9 - _ . @ :`; a `ProductKey` is ASCII letters and
//! digits; a custom topic's short name is `/`-separated fields of `A–Z a–z 0–9 _`, none
//! empty. The platform documents 4 characters as the shortest device name it registers;
//! shorter names are let through (whether older or imported devices have them is not
//! documented), so nothing that might exist is refused.

/// The longest device name the platform registers, in characters.
pub const MAX_DEVICE_NAME_CHARS: usize = 32;

/// The longest product key accepted. Keys the platform issues have 11 characters; the limit
/// only stops text that is clearly not a key.
pub const MAX_PRODUCT_KEY_CHARS: usize = 64;

/// What is wrong with a name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NameProblem {
    /// Nothing there.
    #[error("{what} is empty")]
    Empty {
        /// `device name`, `product key`, `topic`.
        what: &'static str,
    },
    /// Longer than the platform allows.
    #[error("{what} {shown} has {chars} characters, over the {max} the platform allows")]
    TooLong {
        /// `device name`, `product key`.
        what: &'static str,
        /// The start of the name, quoted.
        shown: String,
        /// Its length in characters.
        chars: usize,
        /// The most allowed.
        max: usize,
    },
    /// A character outside the allowed set.
    #[error("{what} {shown}: {found} at character {position} is not allowed ({allowed})")]
    BadCharacter {
        /// `device name`, `product key`, `topic`.
        what: &'static str,
        /// The name, quoted.
        shown: String,
        /// The character, described (`' '`, `U+FEFF`).
        found: String,
        /// 1-based position in characters.
        position: usize,
        /// What is allowed, in words.
        allowed: &'static str,
    },
    /// A topic that the platform would not publish where the user meant.
    #[error("topic {shown}: {problem}")]
    Topic {
        /// The topic, quoted.
        shown: String,
        /// What is wrong, with the fix.
        problem: &'static str,
    },
}

const DEVICE_NAME_ALLOWED: &str = "letters, digits and - _ . @ : only";
const PRODUCT_KEY_ALLOWED: &str = "ASCII letters and digits only";
const TOPIC_ALLOWED: &str = "letters, digits and _ in `/`-separated fields";

/// Checks a `DeviceName`.
///
/// # Errors
/// The first problem: empty, over 32 characters, or a character outside
/// `A–Z a–z 0–9 - _ . @ :` (a space, `/`, a control character, a byte-order mark).
pub fn check_device_name(name: &str) -> Result<(), NameProblem> {
    check_chars(
        "device name",
        name,
        MAX_DEVICE_NAME_CHARS,
        DEVICE_NAME_ALLOWED,
        |c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '@' | ':'),
    )
}

/// Checks a `ProductKey`.
///
/// # Errors
/// Empty, implausibly long, or holding anything but ASCII letters and digits.
pub fn check_product_key(key: &str) -> Result<(), NameProblem> {
    check_chars(
        "product key",
        key,
        MAX_PRODUCT_KEY_CHARS,
        PRODUCT_KEY_ALLOWED,
        |c| c.is_ascii_alphanumeric(),
    )
}

/// Checks a custom topic's short name: what follows `/${productKey}/${deviceName}/user/`.
///
/// # Errors
/// Empty; a leading `/` or `user/` (the platform adds the prefix itself, so `user/get`
/// would publish to `.../user/user/get`); an empty field (`a//b`, a trailing `/`); or a
/// character other than letters, digits and `_` (wildcards, `.`, `..`, spaces).
pub fn check_topic_short_name(topic: &str) -> Result<(), NameProblem> {
    let shown = quote(topic);
    let problem = |problem| {
        Err(NameProblem::Topic {
            shown: shown.clone(),
            problem,
        })
    };
    if topic.is_empty() {
        return Err(NameProblem::Empty { what: "topic" });
    }
    if topic.starts_with('/') {
        return problem(
            "give only the part after `user/`: the platform adds `/${productKey}/${deviceName}/user/`",
        );
    }
    if topic == "user" || topic.starts_with("user/") {
        return problem(
            "starts with `user/`, which the platform adds itself (this would publish to \
             `.../user/user/...`): give only the part after `user/`",
        );
    }
    if topic.split('/').any(str::is_empty) {
        return problem("has an empty field (`//` or a trailing `/`)");
    }
    check_chars("topic", topic, usize::MAX, TOPIC_ALLOWED, |c| {
        c.is_ascii_alphanumeric() || c == '_' || c == '/'
    })
}

fn check_chars(
    what: &'static str,
    text: &str,
    max: usize,
    allowed: &'static str,
    ok: impl Fn(char) -> bool,
) -> Result<(), NameProblem> {
    if text.is_empty() {
        return Err(NameProblem::Empty { what });
    }
    if let Some((position, found)) = text.chars().enumerate().find(|&(_, c)| !ok(c)) {
        return Err(NameProblem::BadCharacter {
            what,
            shown: quote(text),
            found: describe(found),
            position: position + 1,
            allowed,
        });
    }
    let chars = text.chars().count();
    if chars > max {
        return Err(NameProblem::TooLong {
            what,
            shown: quote(text),
            chars,
            max,
        });
    }
    Ok(())
}

/// The text quoted for a message: at most 40 characters, escapes visible.
fn quote(text: &str) -> String {
    match text.char_indices().nth(40) {
        Some((end, _)) => format!("{:?}...", &text[..end]),
        None => format!("{text:?}"),
    }
}

fn describe(c: char) -> String {
    if c.is_control() || c == '\u{feff}' || c.is_whitespace() {
        format!("U+{:04X}", u32::from(c))
    } else {
        format!("{c:?}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn device_names_follow_the_platform_rules() {
        for good in ["lamp-001", "d1", "a_b.c@d:e", &"x".repeat(32)] {
            assert_eq!(check_device_name(good), Ok(()), "{good}");
        }
        let long = "x".repeat(1000);
        for (bad, says) in [
            ("", "device name is empty"),
            ("a b", "U+0020 at character 2"),
            ("a/b", "'/' at character 2"),
            ("a\0b", "U+0000 at character 2"),
            ("\u{feff}d1", "U+FEFF at character 1"),
            ("设备", "'设' at character 1"),
            (&long, "has 1000 characters, over the 32"),
        ] {
            let message = check_device_name(bad).unwrap_err().to_string();
            assert!(message.contains(says), "{bad:?}: {message}");
        }
        assert!(check_device_name(&long).unwrap_err().to_string().len() < 200);
    }

    #[test]
    fn product_keys_are_letters_and_digits() {
        assert_eq!(check_product_key("a1StreetLmp"), Ok(()));
        for bad in ["", "a1 b", "\"a1\"", "<your-pk>"] {
            assert!(check_product_key(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn topics_are_the_part_after_user() {
        for good in ["get", "cmd/reboot", "a_1/B_2"] {
            assert_eq!(check_topic_short_name(good), Ok(()), "{good}");
        }
        for (bad, says) in [
            ("", "empty"),
            ("/get", "part after `user/`"),
            ("user/get", "user/user"),
            ("user", "user/user"),
            ("a//b", "empty field"),
            ("a/", "empty field"),
            ("../x", "'.' at character 1"),
            ("a/+", "'+'"),
            ("a/#", "'#'"),
            ("a b", "U+0020"),
        ] {
            let message = check_topic_short_name(bad).unwrap_err().to_string();
            assert!(message.contains(says), "{bad:?}: {message}");
        }
    }
}
