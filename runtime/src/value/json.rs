//! JSON text a person typed (`--args`, `--props`), read strictly: a key given twice in one
//! object is refused naming it, where `serde_json` would keep the last one without a word.

use serde_json::Value;

use crate::model::parse::duplicates::duplicate_keys;

/// Why a JSON text was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JsonError {
    /// Not JSON.
    #[error("is not JSON: {0}")]
    Invalid(String),
    /// An object gives one key twice.
    #[error("gives key `{key}` twice{}", at(.object))]
    DuplicateKey {
        /// JSON pointer of the object holding it (`""` for the top level).
        object: String,
        /// The key.
        key: String,
    },
}

fn at(object: &str) -> String {
    if object.is_empty() {
        String::new()
    } else {
        format!(" in `{object}`")
    }
}

/// Reads `text` as JSON, refusing repeated keys.
///
/// ```
/// use tsl_runtime::value::{parse_json, JsonError};
///
/// assert!(parse_json(r#"{"Times": 3}"#).is_ok());
/// let err = parse_json(r#"{"Times": 3, "Times": 5}"#).unwrap_err();
/// assert_eq!(err.to_string(), "gives key `Times` twice");
/// ```
pub fn parse_json(text: &str) -> Result<Value, JsonError> {
    let value: Value = serde_json::from_str(text).map_err(|e| JsonError::Invalid(e.to_string()))?;
    match duplicate_keys(text).into_iter().next() {
        Some(dup) => Err(JsonError::DuplicateKey {
            object: dup.object,
            key: dup.key,
        }),
        None => Ok(value),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_repeats_name_their_object() {
        let err = parse_json(r#"{"s": {"a": 1, "a": 2}}"#).unwrap_err();
        assert_eq!(err.to_string(), "gives key `a` twice in `/s`");
        assert!(matches!(parse_json("{"), Err(JsonError::Invalid(_))));
    }
}
