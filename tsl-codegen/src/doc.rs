//! Free text from a model for rustdoc and for plain comments: [`doc_text`] escapes a
//! `name` or `desc` so nothing in it reads as Markdown, HTML or a doctest, [`code_span`]
//! shows a text verbatim, [`comment_text`] puts it on one `//` line.

/// joined with `\n`.
///
/// - line breaks (`\r\n`, `\r`, U+2028, U+2029, U+0085) become `\n`; each line is
///   trimmed, so no line is indented into a code block (which rustdoc would run as a
///   doctest); runs of blank lines become one, and blank lines at either end go;
/// - tabs become spaces; control characters and bidirectional-override characters
///   (which rustc rejects in comments) are dropped;
/// - Markdown punctuation is escaped with `\`, so nothing reads as an intra-doc link
///   (`[x]`), HTML (`<b>`), an entity (`&amp;`), code (`` ` ``), emphasis, strike-through,
///   a table, a heading or a list: `` \ ` * [ ] < > ~ | & # ``, `_` unless inside a word,
///   and `-`, `+`, `=` or a number's `.`/`)` at the start of a line;
/// - `http://` and `https://` URLs become autolinks (`<https://...>`), which keeps
///   `rustdoc::bare_urls` quiet.
///
/// ```
/// # use tsl_codegen::doc::doc_text;
/// assert_eq!(doc_text("see [manual] <b>now</b>"), r"see \[manual\] \<b\>now\</b\>");
/// assert_eq!(doc_text("  a\r\n\r\n\r\n  b  "), "a\n\nb");
/// ```
pub fn doc_text(s: &str) -> String {
    let normalised = s.replace("\r\n", "\n");
    let mut out: Vec<String> = Vec::new();
    for raw_line in normalised.split(['\n', '\r', '\u{2028}', '\u{2029}', '\u{85}']) {
        let cleaned: String = raw_line
            .chars()
            .map(|c| if c == '\t' { ' ' } else { c })
            .filter(|&c| !c.is_control() && !is_bidi_control(c))
            .collect();
        let line = escape_line(cleaned.trim());
        if line.is_empty() && out.last().is_none_or(|last| last.is_empty()) {
            continue;
        }
        out.push(line);
    }
    while out.last().is_some_and(|last| last.is_empty()) {
        out.pop();
    }
    out.join("\n")
}

/// `text` as a Markdown code span, shown verbatim: inside a span a backslash is not an
/// escape, so nothing is escaped (`_battery` stays `_battery`, where [`doc_text`] would
/// show `\_battery`). The fence has one backtick more than the longest run inside, as
/// CommonMark reads it; control characters and line breaks are dropped.
///
/// ```
/// # use tsl_codegen::doc::code_span;
/// assert_eq!(code_span("_battery"), "`_battery`");
/// assert_eq!(code_span("a`b"), "``a`b``");
/// assert_eq!(code_span("`x"), "`` `x ``");
/// ```
pub fn code_span(text: &str) -> String {
    let clean: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .filter(|&c| !is_bidi_control(c))
        .collect();
    let clean = clean.trim();
    let mut longest = 0;
    let mut run = 0;
    for c in clean.chars() {
        run = if c == '`' { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    let fence = "`".repeat(longest + 1);
    // A span starting or ending with a backtick needs a space inside the fence.
    let pad = if clean.starts_with('`') || clean.ends_with('`') {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{clean}{pad}{fence}")
}

/// `text` for a plain `//` comment: one line, no control or bidi characters, and no
/// Markdown escapes (rustdoc never reads it).
pub fn comment_text(text: &str) -> String {
    let clean: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .filter(|&c| !is_bidi_control(c))
        .collect();
    clean.trim().to_string()
}

/// Characters that reorder text on screen; rustc denies them in comments
/// (`text_direction_codepoint_in_comment`).
fn is_bidi_control(c: char) -> bool {
    matches!(
        c,
        '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'
    )
}

/// Escapes one trimmed line of doc text.
fn escape_line(line: &str) -> String {
    let chars: Vec<char> = line.chars().collect();
    let mut out = String::with_capacity(line.len() + 8);
    let mut i = 0;

    // Block markers only matter at the start of a line.
    let digits = chars.iter().take_while(|c| c.is_ascii_digit()).count();
    let list_marker_at = match chars.first() {
        Some('-' | '+' | '=') => Some(0),
        Some(c) if c.is_ascii_digit() && matches!(chars.get(digits), Some('.' | ')')) => {
            Some(digits)
        }
        _ => None,
    };

    while i < chars.len() {
        if let Some(len) = url_at(&chars, i) {
            out.push('<');
            out.extend(&chars[i..i + len]);
            out.push('>');
            i += len;
            continue;
        }
        let c = chars[i];
        let escape = match c {
            '\\' | '`' | '*' | '[' | ']' | '<' | '>' | '~' | '|' | '&' | '#' => true,
            '_' => {
                let inside_word = i > 0
                    && chars[i - 1].is_alphanumeric()
                    && chars.get(i + 1).is_some_and(|n| n.is_alphanumeric());
                !inside_word
            }
            _ => list_marker_at == Some(i),
        };
        if escape {
            out.push('\\');
        }
        out.push(c);
        i += 1;
    }
    out
}

/// The length of the URL starting at `chars[i]`, if one does.
fn url_at(chars: &[char], i: usize) -> Option<usize> {
    if i > 0 && chars[i - 1].is_ascii_alphanumeric() {
        return None;
    }
    let starts = |scheme: &str| {
        let n = scheme.chars().count();
        chars.len() >= i + n
            && chars[i..i + n]
                .iter()
                .zip(scheme.chars())
                .all(|(a, b)| a.eq_ignore_ascii_case(&b))
    };
    let scheme = if starts("https://") {
        8
    } else if starts("http://") {
        7
    } else {
        return None;
    };
    // Characters an autolink may hold (no space, `<`, `>`), less those that read as
    // Markdown or quote the URL.
    let mut len = chars[i..]
        .iter()
        .take_while(|c| c.is_ascii_graphic() && !matches!(c, '<' | '>' | '"' | '`' | '[' | ']'))
        .count();
    // Sentence punctuation after a URL is not part of it.
    while len > scheme {
        let last = chars[i + len - 1];
        let unbalanced_paren = last == ')' && {
            let url = &chars[i..i + len];
            url.iter().filter(|&&c| c == '(').count() < url.iter().filter(|&&c| c == ')').count()
        };
        if matches!(last, '.' | ',' | ';' | ':' | '!' | '?' | '\'') || unbalanced_paren {
            len -= 1;
        } else {
            break;
        }
    }
    (len > scheme).then_some(len)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn doc_text_escapes_markdown_and_html() {
        for (input, output) in [
            ("plain text", "plain text"),
            ("see [Foo] and [a](b)", r"see \[Foo\] and \[a\](b)"),
            ("<b>bold</b> & <br>", r"\<b\>bold\</b\> \& \<br\>"),
            ("a `code` b", r"a \`code\` b"),
            ("unbalanced ` tick", r"unbalanced \` tick"),
            ("```rust", r"\`\`\`rust"),
            ("~~~", r"\~\~\~"),
            ("a *b* c", r"a \*b\* c"),
            ("temp_c and _x_", r"temp_c and \_x\_"),
            (r"back\slash", r"back\\slash"),
            ("| a | b |", r"\| a \| b \|"),
            ("# heading", r"\# heading"),
            ("- item", r"\- item"),
            ("+ item", r"\+ item"),
            ("1. first", r"1\. first"),
            ("12) first", r"12\) first"),
            ("===", r"\==="),
            ("a - b 1. c", "a - b 1. c"),
            ("&amp;", r"\&amp;"),
            ("温度[℃]", r"温度\[℃\]"),
            ("*/ end", r"\*/ end"),
        ] {
            assert_eq!(doc_text(input), output, "{input:?}");
        }
    }

    #[test]
    fn doc_text_lines_and_characters() {
        assert_eq!(doc_text("a\r\nb"), "a\nb");
        assert_eq!(doc_text("a\rb"), "a\nb");
        assert_eq!(doc_text("a\u{2028}b\u{2029}c"), "a\nb\nc");
        assert_eq!(doc_text("line   \nnext\t"), "line\nnext");
        assert_eq!(doc_text("    let x = 1;"), "let x = 1;", "no code block");
        assert_eq!(doc_text("\ta\tb"), "a b");
        assert_eq!(doc_text("a\u{0}b\u{7}c\u{1b}d\u{7f}"), "abcd");
        assert_eq!(doc_text("ab\u{202E}cd\u{2066}e"), "abcde");
        assert_eq!(doc_text("\n\n a \n\n\n\n b \n\n"), "a\n\nb");
        assert_eq!(doc_text(""), "");
        assert_eq!(doc_text(" \r\n\t"), "");
    }

    #[test]
    fn doc_text_urls_become_autolinks() {
        for (input, output) in [
            (
                "see https://help.aliyun.com/x_y",
                "see <https://help.aliyun.com/x_y>",
            ),
            ("see http://a.b/c.", "see <http://a.b/c>."),
            ("(http://a.b/c)", r"(<http://a.b/c>)"),
            ("http://a.b/f(x)", "<http://a.b/f(x)>"),
            ("HTTPS://A.B", "<HTTPS://A.B>"),
            ("http://", "http://"),
            ("xhttp://a.b", "xhttp://a.b"),
            ("访问https://a.b/c，谢谢", "访问<https://a.b/c>，谢谢"),
            ("<https://a.b>", r"\<<https://a.b>\>"),
        ] {
            assert_eq!(doc_text(input), output, "{input:?}");
        }
    }

    proptest! {
        #[test]
        fn doc_text_is_clean(text in any::<String>()) {
            let doc = doc_text(&text);
            for line in doc.lines() {
                prop_assert_eq!(line, line.trim());
                prop_assert!(!line.chars().any(|c| c.is_control() || is_bidi_control(c)));
            }
            prop_assert!(!doc.contains("\n\n\n"));
        }
    }
}
