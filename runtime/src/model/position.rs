//! Where values start in a model's JSON text.
//!
//! `serde_json` keeps no positions, so when the model parser has diagnostics it comes back here
//! with their JSON pointers (RFC 6901) and asks for the line and column of each.
//!
//! The text is scanned once, however many pointers are asked. The wanted pointers are put in a
//! trie of their (unescaped) segments and the scan walks that trie alongside the document: each
//! value costs one lookup of its own key or index in its parent's trie node. Hashing the whole
//! current pointer at every value instead would cost O(depth) per value, which turns deeply
//! nested input quadratic. Subtrees that no wanted pointer leads into are only checked for
//! syntax: their keys are not even decoded.
//!
//! The scan uses an explicit stack rather than recursion, so nesting depth is bounded by memory,
//! not by the thread's stack; and it stops quietly at the first thing that is not JSON, keeping
//! what it found before.

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;

use super::diagnostic::Location;

/// A byte order mark: editors do not show it, so it is not counted as a column.
const BOM: &str = "\u{feff}";

/// Finds where the values at `pointers` start in `text`, in one pass over the text.
/// Pointers that name no value (or text that is not valid JSON past some point) are absent from the map.
///
/// A value starts at its first character (`{`, `[`, `"`, a digit, `-`, `t`, `f` or `n`); the
/// root pointer `""` is the first character after leading whitespace (and a leading BOM).
/// Lines are counted by `\n` (so `\r\n` is one break) and columns in characters (Unicode
/// scalar values), both from 1. Malformed pointers (not starting with `/`, or with a `~` not
/// followed by `0` or `1`) name no value. When an object repeats a key, the first occurrence
/// is reported.
pub(crate) fn locate(text: &str, pointers: &[&str]) -> HashMap<String, Location> {
    let mut trie = Trie::default();
    // Duplicates in `pointers` would otherwise be counted twice towards `remaining` and keep
    // the scan from stopping early.
    let unique: HashSet<&str> = pointers.iter().copied().collect();
    for pointer in unique {
        trie.insert(pointer);
    }
    let mut found = HashMap::with_capacity(trie.remaining);
    if trie.remaining > 0 {
        let mut scanner = Scanner::new(text);
        // `None` only says the scan ended (all found, end of text, or not JSON); what was found
        // up to there is already in `found`.
        let _ = scanner.scan(&mut trie, &mut found);
    }
    found
}

/// The line and column of `byte_offset` in `text`.
///
/// Offsets past the end are clamped to the end, and an offset inside a multi-byte character
/// is taken as that character's start. Counting is the same as [`locate`]'s: lines by `\n`,
/// columns in characters, a leading BOM not counted.
pub(crate) fn location_at(text: &str, byte_offset: usize) -> Location {
    let mut target = byte_offset.min(text.len());
    // Offset 0 is always a char boundary, so this stops.
    while !text.is_char_boundary(target) {
        target -= 1;
    }
    Cursor::new(text).advance_to(text.as_bytes(), target)
}

/// Splits a JSON pointer into its unescaped segments; `None` when it is malformed.
fn split_pointer(pointer: &str) -> Option<Vec<String>> {
    if pointer.is_empty() {
        return Some(Vec::new());
    }
    pointer
        .strip_prefix('/')?
        .split('/')
        .map(unescape_segment)
        .collect()
}

/// Undoes RFC 6901 escaping (`~1` → `/`, `~0` → `~`), so segments compare equal to decoded
/// keys without escaping every key met in the scan.
fn unescape_segment(segment: &str) -> Option<String> {
    let mut out = String::with_capacity(segment.len());
    let mut chars = segment.chars();
    while let Some(c) = chars.next() {
        if c == '~' {
            match chars.next() {
                Some('0') => out.push('~'),
                Some('1') => out.push('/'),
                _ => return None,
            }
        } else {
            out.push(c);
        }
    }
    Some(out)
}

/// One node of the trie of wanted pointers: a path prefix.
#[derive(Default)]
struct Node {
    /// The next segment (an object key, or an array index in decimal) → child node.
    children: HashMap<String, usize>,
    /// The pointer as the caller wrote it, when this prefix is itself wanted and not yet found.
    pointer: Option<String>,
}

/// The wanted pointers, by segment. Nodes live in a flat vector (not boxed children) so that a
/// 100,000-segment pointer neither recurses when dropped nor allocates a box per level.
struct Trie {
    nodes: Vec<Node>,
    /// Wanted pointers not found yet; the scan stops when this reaches 0.
    remaining: usize,
}

impl Default for Trie {
    fn default() -> Trie {
        Trie {
            nodes: vec![Node::default()],
            remaining: 0,
        }
    }
}

/// The trie's root node, the pointer `""`.
const ROOT: usize = 0;

impl Trie {
    /// Adds `pointer`; malformed pointers are left out, since they name no value.
    fn insert(&mut self, pointer: &str) {
        let Some(segments) = split_pointer(pointer) else {
            return;
        };
        let mut node = ROOT;
        for segment in segments {
            let next = self.nodes.len();
            let Some(parent) = self.nodes.get_mut(node) else {
                return;
            };
            node = *parent.children.entry(segment).or_insert(next);
            if node == next {
                self.nodes.push(Node::default());
            }
        }
        if let Some(node) = self.nodes.get_mut(node) {
            if node.pointer.is_none() {
                self.remaining += 1;
            }
            node.pointer = Some(pointer.to_string());
        }
    }

    /// Whether any wanted pointer goes deeper than `node`.
    fn has_children(&self, node: usize) -> bool {
        self.nodes.get(node).is_some_and(|n| !n.children.is_empty())
    }

    /// The child of `node` along `segment`, if a wanted pointer goes that way.
    fn child(&self, node: usize, segment: &str) -> Option<usize> {
        self.nodes.get(node)?.children.get(segment).copied()
    }

    /// Takes the pointer wanted at `node`, so that it is reported once (at the first value
    /// reached there, should an object repeat a key).
    fn take(&mut self, node: usize) -> Option<String> {
        let pointer = self.nodes.get_mut(node)?.pointer.take()?;
        self.remaining -= 1;
        Some(pointer)
    }
}

/// Turns byte offsets into lines and columns, moving forward only: the scan asks for
/// increasing offsets, so the whole text is counted at most once.
struct Cursor {
    offset: usize,
    line: usize,
    column: usize,
}

impl Cursor {
    /// A cursor at the start of `text`, past a BOM if there is one.
    fn new(text: &str) -> Cursor {
        let offset = if text.starts_with(BOM) { BOM.len() } else { 0 };
        Cursor {
            offset,
            line: 1,
            column: 1,
        }
    }

    /// Moves to `target` (a char boundary, not before the current offset) and returns where
    /// that is. A target behind the cursor leaves it where it is.
    fn advance_to(&mut self, bytes: &[u8], target: usize) -> Location {
        if let Some(passed) = bytes.get(self.offset..target) {
            for &b in passed {
                if b == b'\n' {
                    self.line += 1;
                    self.column = 1;
                } else if b & 0xC0 != 0x80 {
                    // Every byte but a UTF-8 continuation byte starts a character.
                    self.column += 1;
                }
            }
            self.offset = target;
        }
        Location {
            line: self.line,
            column: self.column,
        }
    }
}

/// What kind of container a stack frame is.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Object,
    Array,
}

/// An open object or array.
struct Frame {
    kind: Kind,
    /// The trie node of this container's own pointer; `None` when no wanted pointer goes
    /// through it, so its members need no lookups.
    node: Option<usize>,
    /// The index of the current element (arrays only).
    index: usize,
}

/// What the scanner expects next.
#[derive(Clone, Copy)]
enum State {
    /// A value, at the given trie node (`None`: not on the way to any wanted pointer).
    Value(Option<usize>),
    /// `,` or the end of the enclosing container (or nothing, at the top level).
    AfterValue,
    /// A key or `}` (just after `{`).
    FirstKey,
    /// A key (after `,` in an object).
    Key,
    /// A value or `]` (just after `[`).
    FirstElement,
}

/// A single forward pass over the text, following the wanted pointers' trie.
struct Scanner<'t> {
    text: &'t str,
    bytes: &'t [u8],
    pos: usize,
    cursor: Cursor,
    /// Reused buffer for keys with escapes, so decoding does not allocate per key.
    key: String,
    /// Reused buffer for array indices in decimal.
    index: String,
}

impl<'t> Scanner<'t> {
    fn new(text: &'t str) -> Scanner<'t> {
        let cursor = Cursor::new(text);
        Scanner {
            text,
            bytes: text.as_bytes(),
            pos: cursor.offset,
            cursor,
            key: String::new(),
            index: String::new(),
        }
    }

    /// Scans the document, recording wanted values in `found`. Returns `None` as soon as the
    /// scan is over: everything found, end of text, or something that is not JSON.
    fn scan(&mut self, trie: &mut Trie, found: &mut HashMap<String, Location>) -> Option<()> {
        let mut stack: Vec<Frame> = Vec::new();
        let mut state = State::Value(Some(ROOT));
        loop {
            self.skip_whitespace();
            let b = self.peek()?;
            state = match state {
                State::Value(node) => {
                    if let Some(node) = node {
                        if let Some(pointer) = trie.take(node) {
                            let location = self.cursor.advance_to(self.bytes, self.pos);
                            found.insert(pointer, location);
                            if trie.remaining == 0 {
                                return None;
                            }
                        }
                    }
                    // Only containers that a wanted pointer goes into need their members looked up.
                    let node = node.filter(|&n| trie.has_children(n));
                    match b {
                        b'{' => {
                            self.pos += 1;
                            stack.push(Frame {
                                kind: Kind::Object,
                                node,
                                index: 0,
                            });
                            State::FirstKey
                        }
                        b'[' => {
                            self.pos += 1;
                            stack.push(Frame {
                                kind: Kind::Array,
                                node,
                                index: 0,
                            });
                            State::FirstElement
                        }
                        b'"' => {
                            self.string()?;
                            State::AfterValue
                        }
                        b'-' | b'0'..=b'9' => {
                            self.number()?;
                            State::AfterValue
                        }
                        b't' => self.literal(b"true")?,
                        b'f' => self.literal(b"false")?,
                        b'n' => self.literal(b"null")?,
                        _ => return None,
                    }
                }
                State::AfterValue => {
                    // A complete top-level value ends the document; anything after it is not
                    // ours to judge.
                    let frame = stack.last_mut()?;
                    match (b, frame.kind) {
                        (b',', Kind::Object) => {
                            self.pos += 1;
                            State::Key
                        }
                        (b',', Kind::Array) => {
                            self.pos += 1;
                            frame.index += 1;
                            let (node, index) = (frame.node, frame.index);
                            State::Value(self.element_node(trie, node, index))
                        }
                        (b'}', Kind::Object) | (b']', Kind::Array) => {
                            self.pos += 1;
                            stack.pop();
                            State::AfterValue
                        }
                        _ => return None,
                    }
                }
                State::FirstKey if b == b'}' => {
                    self.pos += 1;
                    stack.pop();
                    State::AfterValue
                }
                State::FirstKey | State::Key => {
                    if b != b'"' {
                        return None;
                    }
                    let parent = stack.last()?.node;
                    let (start, end, escaped) = self.string()?;
                    // Keys under a parent no wanted pointer goes into are not decoded at all.
                    let node = match parent {
                        Some(parent) => {
                            let raw = self.text.get(start..end)?;
                            self.key_node(trie, parent, raw, escaped)
                        }
                        None => None,
                    };
                    self.skip_whitespace();
                    if self.peek()? != b':' {
                        return None;
                    }
                    self.pos += 1;
                    State::Value(node)
                }
                State::FirstElement if b == b']' => {
                    self.pos += 1;
                    stack.pop();
                    State::AfterValue
                }
                State::FirstElement => {
                    let node = stack.last()?.node;
                    State::Value(self.element_node(trie, node, 0))
                }
            };
        }
    }

    /// The trie node of element `index` of an array at `node`.
    fn element_node(&mut self, trie: &Trie, node: Option<usize>, index: usize) -> Option<usize> {
        let node = node?;
        self.index.clear();
        // Writing to a String cannot fail.
        let _ = write!(self.index, "{index}");
        trie.child(node, &self.index)
    }

    /// The trie node under `parent` of the key whose contents are `raw` (as read by
    /// [`Scanner::string`]); `None` when no wanted pointer goes through it.
    fn key_node(&mut self, trie: &Trie, parent: usize, raw: &str, escaped: bool) -> Option<usize> {
        if !escaped {
            // Most keys have no escapes: compare them in place, without copying.
            return trie.child(parent, raw);
        }
        self.key.clear();
        decode_escapes(raw, &mut self.key);
        trie.child(parent, &self.key)
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn skip_whitespace(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.pos += 1;
        }
    }

    /// Checks a string at its opening quote and moves past it. Returns the byte range of its
    /// contents (between the quotes) and whether it has escapes, so an unescaped key can be
    /// compared in place.
    fn string(&mut self) -> Option<(usize, usize, bool)> {
        self.pos += 1;
        let start = self.pos;
        let mut escaped = false;
        loop {
            match self.peek()? {
                b'"' => {
                    let end = self.pos;
                    self.pos += 1;
                    return Some((start, end, escaped));
                }
                b'\\' => {
                    escaped = true;
                    self.pos += 1;
                    match self.peek()? {
                        b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => self.pos += 1,
                        b'u' => {
                            self.pos += 1;
                            let hex = self.bytes.get(self.pos..self.pos + 4)?;
                            if !hex.iter().all(u8::is_ascii_hexdigit) {
                                return None;
                            }
                            self.pos += 4;
                        }
                        _ => return None,
                    }
                }
                // Control characters must be escaped in JSON strings.
                0x00..=0x1F => return None,
                _ => self.pos += 1,
            }
        }
    }

    /// Checks a number (RFC 8259 grammar) and moves past it.
    fn number(&mut self) -> Option<()> {
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        match self.peek()? {
            b'0' => self.pos += 1,
            b'1'..=b'9' => self.digits(),
            _ => return None,
        }
        if self.peek() == Some(b'.') {
            self.pos += 1;
            self.first_digit()?;
            self.digits();
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.pos += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.pos += 1;
            }
            self.first_digit()?;
            self.digits();
        }
        Some(())
    }

    /// Requires a digit where the grammar needs at least one.
    fn first_digit(&self) -> Option<()> {
        self.peek().filter(u8::is_ascii_digit).map(|_| ())
    }

    fn digits(&mut self) {
        while self.peek().is_some_and(|b| b.is_ascii_digit()) {
            self.pos += 1;
        }
    }

    /// Checks `true`, `false` or `null` and moves past it.
    fn literal(&mut self, word: &[u8]) -> Option<State> {
        if self.bytes.get(self.pos..self.pos + word.len())? != word {
            return None;
        }
        self.pos += word.len();
        Some(State::AfterValue)
    }
}

/// Decodes the contents of a JSON string already checked by [`Scanner::string`] into `out`.
///
/// A lone surrogate escape (not valid Unicode) becomes U+FFFD rather than an error: it cannot
/// match a wanted pointer, but the scan can go on past it.
fn decode_escapes(raw: &str, out: &mut String) {
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        let decoded = match chars.next() {
            Some('b') => '\u{8}',
            Some('f') => '\u{c}',
            Some('n') => '\n',
            Some('r') => '\r',
            Some('t') => '\t',
            Some('u') => match hex4(&mut chars) {
                Some(high @ 0xD800..=0xDBFF) => {
                    // A high surrogate counts only if a low one follows; look ahead on a copy
                    // so that anything else after it is decoded normally.
                    let mut ahead = chars.clone();
                    let low = match (ahead.next(), ahead.next()) {
                        (Some('\\'), Some('u')) => hex4(&mut ahead),
                        _ => None,
                    };
                    match low {
                        Some(low @ 0xDC00..=0xDFFF) => {
                            chars = ahead;
                            let scalar = 0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00);
                            char::from_u32(scalar).unwrap_or(char::REPLACEMENT_CHARACTER)
                        }
                        _ => char::REPLACEMENT_CHARACTER,
                    }
                }
                Some(code) => char::from_u32(code).unwrap_or(char::REPLACEMENT_CHARACTER),
                None => char::REPLACEMENT_CHARACTER,
            },
            // `"`, `\` and `/` stand for themselves.
            Some(other) => other,
            None => break,
        };
        out.push(decoded);
    }
}

/// Reads four hex digits as a UTF-16 code unit.
fn hex4(chars: &mut std::str::Chars<'_>) -> Option<u32> {
    let mut code = 0;
    for _ in 0..4 {
        code = code * 16 + chars.next()?.to_digit(16)?;
    }
    Some(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn loc(line: usize, column: usize) -> Location {
        Location { line, column }
    }

    /// Escapes a key as a pointer segment (RFC 6901).
    fn escape(key: &str) -> String {
        key.replace('~', "~0").replace('/', "~1")
    }

    #[test]
    fn nested_objects_and_arrays() {
        let text = "{\n  \"a\": {\"b\": [10, {\"c\": true}, [null, -1.5e3]]},\n  \"d\": \"x\"\n}";
        let found = locate(
            text,
            &[
                "", "/a", "/a/b", "/a/b/0", "/a/b/1", "/a/b/1/c", "/a/b/2/1", "/d",
            ],
        );
        assert_eq!(found.len(), 8);
        assert_eq!(found[""], loc(1, 1));
        assert_eq!(found["/a"], loc(2, 8));
        assert_eq!(found["/a/b"], loc(2, 14));
        assert_eq!(found["/a/b/0"], loc(2, 15));
        assert_eq!(found["/a/b/1"], loc(2, 19));
        assert_eq!(found["/a/b/1/c"], loc(2, 25));
        assert_eq!(found["/a/b/2/1"], loc(2, 39));
        assert_eq!(found["/d"], loc(3, 8));
    }

    #[test]
    fn root_is_first_non_whitespace() {
        assert_eq!(locate("\n\n   [1]", &[""])[""], loc(3, 4));
        assert_eq!(locate(" 42 ", &[""])[""], loc(1, 2));
        assert!(locate("   ", &[""]).is_empty());
        assert!(locate("", &[""]).is_empty());
    }

    #[test]
    fn pointer_escapes() {
        let text = r#"{"a/b": 1, "m~n": 2, "~1": 3, "": {"": 4}}"#;
        let found = locate(
            text,
            &["/a~1b", "/m~0n", "/~01", "/", "//", "/a/b", "/~2", "a"],
        );
        assert_eq!(found["/a~1b"], loc(1, 9));
        assert_eq!(found["/m~0n"], loc(1, 19));
        assert_eq!(found["/~01"], loc(1, 28));
        assert_eq!(found["/"], loc(1, 35));
        assert_eq!(found["//"], loc(1, 40));
        // `/a/b` is key "a" then "b"; `~2` is no escape; a pointer must start with `/`.
        assert_eq!(found.len(), 5);
    }

    #[test]
    fn escaped_and_chinese_keys() {
        let text =
            r#"{"\u6e29\u5ea6": 1, "温度x": 2, "\ud83d\ude00": 3, "a\"b\\c\n\/": 4, "\u00E9": 5}"#;
        let found = locate(text, &["/温度", "/温度x", "/😀", "/a\"b\\c\n~1", "/é"]);
        assert_eq!(found["/温度"], loc(1, 18));
        assert_eq!(found["/温度x"], loc(1, 28));
        assert_eq!(found["/😀"], loc(1, 47));
        assert_eq!(found["/a\"b\\c\n~1"], loc(1, 65));
        assert_eq!(found["/é"], loc(1, 78));
    }

    #[test]
    fn crlf_lines() {
        let text = "{\r\n\t\"a\": 1,\r\n\r\n  \"b\": [\r\n    2\r\n  ]\r\n}\r\n";
        let found = locate(text, &["/a", "/b", "/b/0"]);
        assert_eq!(found["/a"], loc(2, 7));
        assert_eq!(found["/b"], loc(4, 8));
        assert_eq!(found["/b/0"], loc(5, 5));
    }

    #[test]
    fn columns_count_characters_not_bytes() {
        let text = "{\"名称\": \"温度传感器\", \"x\": 1,\n \"说明\": \"😀\", \"y\": [\"é\", 2]}";
        let found = locate(text, &["/x", "/y/1", "/名称"]);
        assert_eq!(found["/名称"], loc(1, 8));
        assert_eq!(found["/x"], loc(1, 22));
        assert_eq!(found["/y/1"], loc(2, 24));
    }

    #[test]
    fn missing_pointers_are_absent() {
        let text = r#"{"a": [1, 2], "b": {"c": "s"}, "n": null}"#;
        let found = locate(
            text,
            &[
                "/a/2", "/a/01", "/a/-", "/a/x", "/b/c/d", "/b/d", "/n/0", "/z", "/a/1",
            ],
        );
        assert_eq!(found.len(), 1);
        assert_eq!(found["/a/1"], loc(1, 11));
        assert!(locate(text, &[]).is_empty());
    }

    #[test]
    fn duplicate_pointers_and_keys() {
        let text = r#"{"a": 1, "a": 2}"#;
        let found = locate(text, &["/a", "/a", ""]);
        assert_eq!(found.len(), 2);
        assert_eq!(found["/a"], loc(1, 7));
    }

    #[test]
    fn invalid_json_returns_what_was_found() {
        let truncated = r#"{"a": 1, "b": [1, 2, "#;
        let found = locate(truncated, &["/a", "/b", "/b/1", "/b/2"]);
        assert_eq!(found.len(), 3);
        assert_eq!(found["/b/1"], loc(1, 19));

        let broken = r#"{"a": 1, "b": 01, "c": 3}"#;
        let found = locate(broken, &["/a", "/c"]);
        assert_eq!(found.len(), 1);
        assert_eq!(found["/a"], loc(1, 7));

        for bad in [
            "{",
            "[",
            "\"",
            "{\"a\"",
            "{\"a\":",
            "{\"a\" 1}",
            "[1 2]",
            "[1,]",
            "{,}",
            "tru",
            "nul",
            "-",
            "1.",
            "1e",
            "\"\\x\"",
            "\"\\u12\"",
            "\"a\nb\"",
            "}",
            "]",
            "@",
            "{\"a\":1}}",
            "\u{feff}",
            "\u{feff}{\"a\"",
        ] {
            // Must not panic; whatever comes back is fine.
            let _ = locate(bad, &["", "/a", "/0", "/a/0"]);
        }
    }

    #[test]
    fn every_truncation_is_safe() {
        let text = "\u{feff}{\"名\": [1, -2.5e+3, true, false, null, \"\\u6e29\\ud83d\\ude00\"],\r\n \"b\\\"\": {\"c\": {}}, \"d\": []}";
        let pointers = ["", "/名", "/名/5", "/b\"/c", "/d", "/d/0"];
        let whole = locate(text, &pointers);
        assert_eq!(whole.len(), 5);
        for (end, _) in text.char_indices() {
            let part = locate(&text[..end], &pointers);
            // A prefix can only find a subset, at the same places.
            for (pointer, location) in &part {
                assert_eq!(
                    whole.get(pointer),
                    Some(location),
                    "{pointer} in {end} bytes"
                );
            }
        }
    }

    #[test]
    fn lone_surrogates_do_not_stop_the_scan() {
        let text = r#"{"\ud800": 1, "\udc00x": 2, "\ud800\u0041": 3, "b": 4}"#;
        let found = locate(text, &["/\u{fffd}", "/\u{fffd}x", "/\u{fffd}A", "/b"]);
        assert_eq!(found.len(), 4);
        assert_eq!(found["/b"], loc(1, 53));
    }

    #[test]
    fn bom_is_skipped_and_not_counted() {
        let text = "\u{feff}{\"a\": 1}";
        let found = locate(text, &["", "/a"]);
        assert_eq!(found[""], loc(1, 1));
        assert_eq!(found["/a"], loc(1, 7));
        assert_eq!(location_at(text, 0), loc(1, 1));
        assert_eq!(location_at(text, 4), loc(1, 2));
    }

    #[test]
    fn very_deep_nesting_does_not_overflow() {
        const DEPTH: usize = 100_000;
        let closed = format!("{}{}", "[".repeat(DEPTH), "]".repeat(DEPTH));
        let deepest = "/0".repeat(DEPTH - 1);
        let found = locate(&closed, &["/0/0/0", &deepest, &format!("{deepest}/0")]);
        assert_eq!(found.len(), 2);
        assert_eq!(found["/0/0/0"], loc(1, 4));
        assert_eq!(found[&deepest], loc(1, DEPTH));

        // Unclosed, and with objects: still no overflow, nothing past the end.
        let objects = "{\"k\":".repeat(DEPTH);
        let found = locate(&objects, &["/k/k", "/x"]);
        assert_eq!(found.len(), 1);
        assert_eq!(found["/k/k"], loc(1, 11));
    }

    #[test]
    fn large_document_with_many_pointers() {
        // About 1 MB of services, noting where each wanted value starts as it is written.
        let mut text = String::from("{\"services\": [\n");
        let mut expected = Vec::new();
        let mut i = 0;
        while text.len() < 1_000_000 {
            if i > 0 {
                text.push_str(",\n");
            }
            let _ = write!(
                text,
                "  {{\"identifier\": \"s{i}\", \"名称\": \"服务{i}\", \"inputData\": [{{\"dataType\": {{\"specs\": {{\"min\": "
            );
            if i % 5 == 0 {
                expected.push((
                    format!("/services/{i}/inputData/0/dataType/specs/min"),
                    text.len(),
                ));
            }
            let _ = write!(text, "\"{i}\", \"max\": \"100\"}}}}}}]}}");
            i += 1;
        }
        text.push_str("\n]}\n");
        expected.truncate(1_000);
        assert_eq!(expected.len(), 1_000);

        let pointers: Vec<&str> = expected.iter().map(|(p, _)| p.as_str()).collect();
        let found = locate(&text, &pointers);
        assert_eq!(found.len(), expected.len());
        for (pointer, offset) in &expected {
            assert_eq!(found[pointer], location_at(&text, *offset), "{pointer}");
        }
    }

    #[test]
    fn agrees_with_serde_json_on_every_value() {
        let text = "{\n  \"a\": [1, {\"b/c\": \"~\"}, [[], {}]],\n  \"温度\": {\"x\\ty\": -0.5, \"e\": 1E+2},\n  \"\\u0041\": [true, false, null]\n}";
        let value: serde_json::Value = match serde_json::from_str(text) {
            Ok(value) => value,
            Err(e) => panic!("test text is not JSON: {e}"),
        };
        // Every pointer in the document, without recursion.
        let mut pointers = Vec::new();
        let mut pending = vec![(String::new(), &value)];
        while let Some((pointer, value)) = pending.pop() {
            match value {
                serde_json::Value::Object(map) => {
                    for (key, member) in map {
                        pending.push((format!("{pointer}/{}", escape(key)), member));
                    }
                }
                serde_json::Value::Array(items) => {
                    for (index, item) in items.iter().enumerate() {
                        pending.push((format!("{pointer}/{index}"), item));
                    }
                }
                _ => {}
            }
            pointers.push(pointer);
        }
        let wanted: Vec<&str> = pointers.iter().map(String::as_str).collect();
        let found = locate(text, &wanted);
        assert_eq!(found.len(), pointers.len());
        let lines: Vec<&str> = text.split('\n').collect();
        for pointer in &pointers {
            let location = found[pointer];
            let first = lines[location.line - 1].chars().nth(location.column - 1);
            let expected = match value.pointer(pointer) {
                Some(serde_json::Value::Object(_)) => '{',
                Some(serde_json::Value::Array(_)) => '[',
                Some(serde_json::Value::String(_)) => '"',
                Some(serde_json::Value::Bool(true)) => 't',
                Some(serde_json::Value::Bool(false)) => 'f',
                Some(serde_json::Value::Null) => 'n',
                Some(serde_json::Value::Number(n)) => n.to_string().chars().next().unwrap_or('?'),
                None => panic!("serde_json cannot find {pointer}"),
            };
            assert_eq!(first, Some(expected), "{pointer} at {location:?}");
        }
    }

    #[test]
    fn location_at_offsets() {
        let text = "ab\r\n温度x\ny";
        assert_eq!(location_at(text, 0), loc(1, 1));
        assert_eq!(location_at(text, 2), loc(1, 3));
        assert_eq!(location_at(text, 4), loc(2, 1));
        // Inside 温 (bytes 4..7): that character's start.
        assert_eq!(location_at(text, 5), loc(2, 1));
        assert_eq!(location_at(text, 10), loc(2, 3));
        assert_eq!(location_at(text, 12), loc(3, 1));
        // Past the end: the end.
        assert_eq!(location_at(text, 1_000), loc(3, 2));
        assert_eq!(location_at("", 5), loc(1, 1));
    }
}
