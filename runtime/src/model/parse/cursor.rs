//! Walking a `serde_json::Value` with its JSON pointer, collecting diagnostics on the way.

use serde_json::{Map, Value};

pub(crate) use crate::model::collect::Ctx;
use crate::model::Problem;

/// A value and its JSON pointer.
#[derive(Clone)]
pub(crate) struct Node<'a> {
    pub value: &'a Value,
    pub ptr: String,
}

impl<'a> Node<'a> {
    pub fn root(value: &'a Value) -> Node<'a> {
        Node {
            value,
            ptr: String::new(),
        }
    }

    /// The member `key`, when present and not `null`.
    pub fn get(&self, key: &str) -> Option<Node<'a>> {
        match self.value.get(key) {
            None | Some(Value::Null) => None,
            Some(value) => Some(Node {
                value,
                ptr: format!("{}/{}", self.ptr, escape(key)),
            }),
        }
    }

    pub fn child(&self, key: &str, value: &'a Value) -> Node<'a> {
        Node {
            value,
            ptr: format!("{}/{}", self.ptr, escape(key)),
        }
    }

    pub fn items(&self) -> impl Iterator<Item = Node<'a>> + '_ {
        self.value
            .as_array()
            .into_iter()
            .flatten()
            .enumerate()
            .map(|(i, value)| Node {
                value,
                ptr: format!("{}/{i}", self.ptr),
            })
    }

    pub fn has(&self, key: &str) -> bool {
        self.value.get(key).is_some()
    }
}

/// RFC 6901: `~` and `/` in a key.
fn escape(key: &str) -> String {
    if key.contains(['~', '/']) {
        key.replace('~', "~0").replace('/', "~1")
    } else {
        key.to_string()
    }
}

/// The JSON type's name, for messages.
pub(super) fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Reading a document's members, reporting what does not fit on the document's [`Ctx`]
/// (defined with the diagnostics in `model/collect.rs`, which `validate.rs` uses too).
impl Ctx {
    pub fn wrong_type(&mut self, node: &Node, expected: &'static str) {
        self.error(
            &node.ptr,
            Problem::WrongJsonType {
                expected,
                found: json_type(node.value),
            },
        );
    }

    pub fn object<'a>(&mut self, node: &Node<'a>) -> Option<&'a Map<String, Value>> {
        let map = node.value.as_object();
        if map.is_none() {
            self.wrong_type(node, "an object");
        }
        map
    }

    /// An optional string member; other JSON types are reported.
    pub fn opt_str(&mut self, node: &Node, key: &str) -> Option<String> {
        let child = node.get(key)?;
        match child.value {
            Value::String(s) => Some(s.clone()),
            _ => {
                self.wrong_type(&child, "a string");
                None
            }
        }
    }

    /// An optional free-text member: empty text reads as absent.
    pub fn opt_text(&mut self, node: &Node, key: &str) -> Option<String> {
        self.opt_str(node, key).filter(|s| !s.trim().is_empty())
    }

    /// A required string member.
    pub fn req_str(&mut self, node: &Node, key: &'static str) -> Option<String> {
        if node.get(key).is_none() {
            self.error(&node.ptr, Problem::MissingField { field: key });
            return None;
        }
        self.opt_str(node, key)
    }

    /// An optional boolean member (`false` when absent).
    pub fn flag(&mut self, node: &Node, key: &str) -> bool {
        match node.get(key) {
            None => false,
            Some(child) => match child.value {
                Value::Bool(b) => *b,
                Value::String(s) if s == "true" || s == "false" => s == "true",
                _ => {
                    self.wrong_type(&child, "a boolean");
                    false
                }
            },
        }
    }

    /// An optional array member; absent reads as empty.
    pub fn array<'a>(&mut self, node: &Node<'a>, key: &str) -> Option<Node<'a>> {
        let child = node.get(key)?;
        if child.value.is_array() {
            Some(child)
        } else {
            self.wrong_type(&child, "an array");
            None
        }
    }
}
