//! Keys an object of the model's text repeats. `serde_json` keeps the last value of a
//! repeated key and says nothing, so a model with two `"max"` in one spec would be read with
//! one of them silently dropped; this scan finds them so the reader can refuse the model
//! naming both places.
//!
//! It runs on text `serde_json` has already accepted, so it only tracks what it needs:
//! strings (keys among them), and the objects and arrays around them, on an explicit stack
//! (no recursion: depth is bounded by memory, as in `position.rs`).

use std::collections::HashMap;

/// One key an object holds twice: the JSON pointer of the object, the key, and the byte
/// offsets of its first and second occurrences (each at the key's opening quote).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DuplicateKey {
    pub object: String,
    pub key: String,
    pub first: usize,
    pub second: usize,
}

enum Frame {
    /// An object: its pointer, the keys seen with their offsets, the key whose value is
    /// being read.
    Object {
        pointer: String,
        keys: HashMap<String, usize>,
        current: Option<String>,
    },
    /// An array: its pointer and the index of the next item.
    Array { pointer: String, next: usize },
}

impl Frame {
    /// The pointer of the value starting now in this container.
    fn child_pointer(&mut self) -> String {
        match self {
            Frame::Object {
                pointer, current, ..
            } => format!(
                "{pointer}/{}",
                escape(current.as_deref().unwrap_or_default())
            ),
            Frame::Array { pointer, next } => {
                let child = format!("{pointer}/{next}");
                *next += 1;
                child
            }
        }
    }
}

/// Every repeated key in `text` (valid JSON), in the order met.
pub(crate) fn duplicate_keys(text: &str) -> Vec<DuplicateKey> {
    let bytes = text.as_bytes();
    let mut found = Vec::new();
    let mut stack: Vec<Frame> = Vec::new();
    // Whether the next string in an object is a key (after `{` or `,`) or a value.
    let mut expect_key = false;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'"' => {
                let start = i;
                let end = string_end(bytes, i);
                if expect_key {
                    let key = serde_json::from_str::<String>(&text[start..end]).unwrap_or_default();
                    if let Some(Frame::Object {
                        pointer,
                        keys,
                        current,
                    }) = stack.last_mut()
                    {
                        if let Some(&first) = keys.get(&key) {
                            found.push(DuplicateKey {
                                object: pointer.clone(),
                                key: key.clone(),
                                first,
                                second: start,
                            });
                        } else {
                            keys.insert(key.clone(), start);
                        }
                        *current = Some(key);
                    }
                    expect_key = false;
                }
                i = end;
                continue;
            }
            b'{' | b'[' => {
                let pointer = stack
                    .last_mut()
                    .map_or_else(String::new, Frame::child_pointer);
                if bytes[i] == b'{' {
                    stack.push(Frame::Object {
                        pointer,
                        keys: HashMap::new(),
                        current: None,
                    });
                    expect_key = true;
                } else {
                    stack.push(Frame::Array { pointer, next: 0 });
                }
            }
            b'}' | b']' => {
                stack.pop();
                expect_key = false;
            }
            b',' => expect_key = matches!(stack.last(), Some(Frame::Object { .. })),
            b':' => {}
            // A scalar item of an array still takes an index.
            b if !b.is_ascii_whitespace() => {
                if let Some(frame @ Frame::Array { .. }) = stack.last_mut() {
                    frame.child_pointer();
                }
                while i < bytes.len() && !matches!(bytes[i], b',' | b']' | b'}') {
                    i += 1;
                }
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    found
}

/// The offset just past the string starting at `bytes[start]` (a `"`).
fn string_end(bytes: &[u8], start: usize) -> usize {
    let mut i = start + 1;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b'"' => return i + 1,
            _ => i += 1,
        }
    }
    bytes.len()
}

/// RFC 6901: `~` and `/` in a key.
fn escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_repeated_keys_with_both_offsets() {
        let text = r#"{"a": 1, "b": {"x": [1, {"y": 2, "y": 3}], "x": 4}, "a": "\"a\""}"#;
        let found = duplicate_keys(text);
        assert_eq!(found.len(), 3, "{found:?}");
        assert_eq!(found[0].object, "/b/x/1");
        assert_eq!(found[0].key, "y");
        assert_eq!(&text[found[0].first..found[0].first + 3], "\"y\"");
        assert!(found[0].second > found[0].first);
        assert_eq!(found[1].object, "/b");
        assert_eq!(found[1].key, "x");
        assert_eq!(found[2].object, "");
        assert_eq!(found[2].key, "a");
    }

    #[test]
    fn same_key_in_sibling_objects_is_fine() {
        let text = r#"[{"id": 1}, {"id": 2}, "id", {"s": "}{,\\"}, {"id": 3}]"#;
        assert!(duplicate_keys(text).is_empty());
    }

    #[test]
    fn escaped_keys_compare_decoded() {
        let text = r#"{"\u0061": 1, "a": 2, "p/q": {"k": 1, "k": 1}}"#;
        let found = duplicate_keys(text);
        assert_eq!(found.len(), 2, "{found:?}");
        assert_eq!(found[0].key, "a");
        assert_eq!(found[1].object, "/p~1q");
    }
}
