//! Makes broken real-world feed XML acceptable to a strict parser (HTML entities, bare `&`, unclosed `<br>`, control characters, junk before the prolog) and closes documents cut off mid-item.

use std::borrow::Cow;
use std::ops::Range;

mod entities;
use entities::html_entity;

/// Cleans text so a strict XML parser accepts it. Returns the text unchanged (Cow::Borrowed) when nothing needed fixing.
pub fn clean(xml: &str) -> Cow<'_, str> {
    // Control characters are removed first, in every context, so that the markup pass never has to reason about them.
    let stripped = strip_controls(xml);
    let start = doc_start(&stripped);
    let body = stripped.get(start..).unwrap_or_default();
    match (fix_markup(body), &stripped) {
        (Cow::Borrowed(_), Cow::Borrowed(_)) if start == 0 => Cow::Borrowed(xml),
        (fixed, _) => Cow::Owned(fixed.into_owned()),
    }
}

/// When a document is cut off mid-item, returns the document truncated after the last complete
/// `</item>` or `</entry>` and closed properly (`</channel></rss>`, `</feed>`, `</rdf:RDF>` as the
/// root requires). None when there is no complete item.
///
/// The elements still open at that point are closed in order, so any root works. Text after the
/// last item (rare trailing channel elements) is dropped even when the document was complete, so
/// call this only after a parse failed. It works on cleaned or raw text.
pub fn close_truncated(xml: &str) -> Option<String> {
    let mut open: Vec<&str> = Vec::new();
    let mut last_item: Option<(usize, Vec<&str>)> = None;
    let mut i = 0;
    while let Some(lt) = find_byte(xml.as_bytes(), i, b'<') {
        i = match classify(xml, lt) {
            Markup::Special(end) => end,
            Markup::Text => lt + 1,
            Markup::Unterminated => break,
            Markup::Tag(tag) => {
                let name = xml.get(tag.name).unwrap_or_default();
                if tag.closing {
                    // Unclosed children (an HTML `<br>` in uncleaned text) are closed implicitly by their parent's end tag.
                    if let Some(pos) = open.iter().rposition(|n| *n == name) {
                        open.truncate(pos);
                    }
                    if matches!(name.rsplit(':').next(), Some("item" | "entry")) {
                        last_item = Some((tag.end + 1, open.clone()));
                    }
                } else if !tag.self_closed {
                    open.push(name);
                }
                tag.end + 1
            }
        };
    }
    let (cut, open) = last_item?;
    let mut out = String::with_capacity(cut + 32);
    out.push_str(xml.get(..cut)?);
    for name in open.iter().rev() {
        out.push_str("</");
        out.push_str(name);
        out.push('>');
    }
    Some(out)
}

/// One start or end tag, as `tags` finds it.
#[derive(Debug, Clone)]
pub(super) struct Tag {
    /// Index of the opening `<`.
    pub start: usize,
    /// Index of the closing `>`.
    pub end: usize,
    pub name: Range<usize>,
    pub closing: bool,
    pub self_closed: bool,
}

/// The start and end tags of a document in order, skipping CDATA, comments, processing
/// instructions, the DOCTYPE and `<` that open nothing, exactly as the repair pass sees them.
/// Linear: each `<` is looked at once. A tag cut off by the end of the document ends the walk.
pub(super) struct Tags<'a> {
    src: &'a str,
    at: usize,
}

pub(super) fn tags(src: &str) -> Tags<'_> {
    Tags { src, at: 0 }
}

impl Iterator for Tags<'_> {
    type Item = Tag;

    fn next(&mut self) -> Option<Tag> {
        while let Some(lt) = find_byte(self.src.as_bytes(), self.at, b'<') {
            match classify(self.src, lt) {
                Markup::Special(end) => self.at = end,
                Markup::Text => self.at = lt + 1,
                Markup::Unterminated => break,
                Markup::Tag(t) => {
                    self.at = t.end + 1;
                    return Some(Tag {
                        start: lt,
                        end: t.end,
                        name: t.name,
                        closing: t.closing,
                        self_closed: t.self_closed,
                    });
                }
            }
        }
        self.at = self.src.len();
        None
    }
}

/// XML forbids C0 controls other than tab, newline and carriage return, and the non-characters U+FFFE/U+FFFF.
fn bad_char(c: char) -> bool {
    matches!(c, '\0'..='\u{8}' | '\u{b}' | '\u{c}' | '\u{e}'..='\u{1f}' | '\u{fffe}' | '\u{ffff}')
}

fn strip_controls(s: &str) -> Cow<'_, str> {
    // Only bytes below 0x20 and the 0xEF lead of U+FFFE/U+FFFF can start a bad character. Checking whole chunks with no early exit lets the compiler vectorise the common case of finding none.
    let suspect = |x: u8| (x < 0x20 && x != b'\t' && x != b'\n' && x != b'\r') || x == 0xEF;
    let any_suspect = s
        .as_bytes()
        .chunks(64)
        .any(|c| c.iter().fold(false, |acc, &x| acc | suspect(x)));
    if any_suspect && s.chars().any(bad_char) {
        Cow::Owned(s.chars().filter(|&c| !bad_char(c)).collect())
    } else {
        Cow::Borrowed(s)
    }
}

const ROOTS: [&[u8]; 4] = [b"rss", b"feed", b"rdf:RDF", b"atom:feed"];

/// Where the document proper begins: the first `<?xml`, `<!DOCTYPE rss|feed|rdf`, or feed root; 0 when none is found. It walks the markup exactly as `fix_markup` does, so that a second `clean` finds the same start and changes nothing.
fn doc_start(src: &str) -> usize {
    let mut i = 0;
    while let Some(lt) = find_byte(src.as_bytes(), i, b'<') {
        let rest = src.as_bytes().get(lt..).unwrap_or_default();
        let prolog = rest.starts_with(b"<?xml")
            && rest
                .get(5)
                .is_some_and(|c| c.is_ascii_whitespace() || *c == b'?');
        let doctype = starts_ci(rest, b"<!DOCTYPE ")
            && ROOTS
                .iter()
                .any(|r| starts_ci(rest.get(10..).unwrap_or_default(), r));
        if prolog || doctype {
            return lt;
        }
        i = match classify(src, lt) {
            Markup::Special(end) => end,
            Markup::Text => lt + 1,
            Markup::Unterminated => return 0,
            Markup::Tag(tag) => {
                let name = src.as_bytes().get(tag.name).unwrap_or_default();
                if !tag.closing && ROOTS.contains(&name) {
                    return lt;
                }
                tag.end + 1
            }
        };
    }
    0
}

/// Appends fixes to a copy of the source only once the first one is needed, so untouched input stays borrowed.
struct Out<'a> {
    src: &'a str,
    buf: Option<String>,
    copied: usize,
}

impl<'a> Out<'a> {
    fn replace(&mut self, range: Range<usize>, with: &str) {
        let src = self.src;
        let buf = self
            .buf
            .get_or_insert_with(|| String::with_capacity(src.len() + 64));
        buf.push_str(src.get(self.copied..range.start).unwrap_or_default());
        buf.push_str(with);
        self.copied = range.end;
    }

    fn finish(self) -> Cow<'a, str> {
        match self.buf {
            None => Cow::Borrowed(self.src),
            Some(mut buf) => {
                buf.push_str(self.src.get(self.copied..).unwrap_or_default());
                Cow::Owned(buf)
            }
        }
    }
}

/// The single pass over the document: jumps from one `<` or `&` to the next and fixes what it finds there.
fn fix_markup(src: &str) -> Cow<'_, str> {
    let mut out = Out {
        src,
        buf: None,
        copied: 0,
    };
    let mut i = 0;
    while let Some(at) = find_lt_or_amp(src.as_bytes(), i, src.len()) {
        i = if src.as_bytes().get(at) == Some(&b'&') {
            fix_amp(&mut out, src.as_bytes(), at)
        } else {
            fix_lt(&mut out, src, at)
        };
    }
    out.finish()
}

fn find_lt_or_amp(b: &[u8], from: usize, to: usize) -> Option<usize> {
    let hay = b.get(from..to)?;
    hay.iter()
        .position(|&c| c == b'<' || c == b'&')
        .map(|p| p + from)
}

/// Handles a `<`: markup is kept (void HTML tags get self-closed and their stray end tags dropped), a `<` that opens nothing becomes `&lt;`.
fn fix_lt(out: &mut Out, src: &str, lt: usize) -> usize {
    let b = src.as_bytes();
    let tag = match classify(src, lt) {
        Markup::Special(end) => return end,
        Markup::Text => {
            out.replace(lt..lt + 1, "&lt;");
            return lt + 1;
        }
        // A tag cut off by the end of input is left for close_truncated to deal with.
        Markup::Unterminated => return b.len(),
        Markup::Tag(tag) => tag,
    };
    let void = b
        .get(tag.name.clone())
        .is_some_and(|n| VOID.iter().any(|v| v.eq_ignore_ascii_case(n)));
    if tag.closing {
        // HTML tolerates </br> and </img>; once the start tag is self-closed they would be unmatched end tags.
        if void {
            out.replace(lt..tag.end + 1, "");
        }
        return tag.end + 1;
    }
    // Attribute values (URLs above all) carry the same bare `&` and HTML entities as text, plus the odd `<`.
    if find_lt_or_amp(b, lt + 1, tag.end).is_some() {
        let mut values = Vec::new();
        scan_tag(b, tag.name.end, Some(&mut values));
        for v in values {
            let mut j = v.start;
            while let Some(at) = find_lt_or_amp(b, j, v.end) {
                j = if b.get(at) == Some(&b'&') {
                    fix_amp(out, b, at)
                } else {
                    out.replace(at..at + 1, "&lt;");
                    at + 1
                };
            }
        }
    }
    if void && !tag.self_closed {
        out.replace(tag.end..tag.end + 1, "/>");
    }
    tag.end + 1
}

/// HTML elements that never have content; only these are self-closed (`<link>` is an RSS element with content).
const VOID: [&[u8]; 4] = [b"br", b"hr", b"img", b"wbr"];

/// Handles `&`: valid references stay, HTML named entities become numeric references, and everything else is escaped as `&amp;`.
fn fix_amp(out: &mut Out, b: &[u8], amp: usize) -> usize {
    let after = amp + 1;
    if b.get(after) == Some(&b'#') {
        return fix_char_ref(out, b, amp);
    }
    let name = run(b, after, |c| c.is_ascii_alphanumeric());
    let end = after + name.len();
    let known = name.first().is_some_and(u8::is_ascii_alphabetic) && name.len() <= 32;
    let xml = known && [&b"amp"[..], b"lt", b"gt", b"quot", b"apos"].contains(&name);
    let html = known
        .then(|| std::str::from_utf8(name).ok().and_then(html_entity))
        .flatten();
    match (b.get(end), xml, html) {
        (Some(b';'), true, _) => end + 1,
        (Some(b';'), _, Some(cp)) => {
            out.replace(amp..end + 1, &format!("&#{cp};"));
            end + 1
        }
        // Without a semicolon a known name is still meant as an entity (HTML accepts `&laquo`), except as a URL parameter such as `&copy=1`.
        (next, true, _) if next != Some(&b'=') => {
            out.replace(end..end, ";");
            end
        }
        (next, _, Some(cp)) if next != Some(&b'=') => {
            out.replace(amp..end, &format!("&#{cp};"));
            end
        }
        _ => {
            out.replace(amp..after, "&amp;");
            after
        }
    }
}

/// Handles `&#...`: a valid reference gets its missing `;`, one naming a character XML forbids (`&#1;`) is dropped like the raw character would be, and `&#` without digits is escaped.
fn fix_char_ref(out: &mut Out, b: &[u8], amp: usize) -> usize {
    let hex = matches!(b.get(amp + 2), Some(b'x' | b'X'));
    let digits_at = amp + 2 + usize::from(hex);
    let radix = if hex { 16 } else { 10 };
    let digits = run(b, digits_at, |c| char::from(c).is_digit(radix));
    if digits.is_empty() {
        out.replace(amp..amp + 1, "&amp;");
        return amp + 1;
    }
    let value = digits.iter().try_fold(0u32, |acc, &c| {
        acc.checked_mul(radix)?
            .checked_add(char::from(c).to_digit(radix)?)
    });
    let end = digits_at + digits.len();
    let semi = b.get(end) == Some(&b';');
    match value.and_then(char::from_u32).filter(|&c| !bad_char(c)) {
        Some(_) if semi => {}
        Some(_) => out.replace(end..end, ";"),
        None => out.replace(amp..end + usize::from(semi), ""),
    }
    end + usize::from(semi)
}

/// What a `<` opens, as every walk over the document must agree.
enum Markup {
    /// CDATA, a comment, a processing instruction or a DOCTYPE, ending before the given index.
    Special(usize),
    /// Nothing: the `<` is text (`a < b`, or a tag broken by another `<` before its `>`).
    Text,
    /// A tag cut off by the end of input.
    Unterminated,
    Tag(TagAt),
}

struct TagAt {
    closing: bool,
    name: Range<usize>,
    /// Index of the closing `>`.
    end: usize,
    self_closed: bool,
}

fn classify(src: &str, lt: usize) -> Markup {
    let b = src.as_bytes();
    if let Some(end) = skip_special(src, lt) {
        return Markup::Special(end);
    }
    let closing = b.get(lt + 1) == Some(&b'/');
    let name_at = lt + 1 + usize::from(closing);
    if !starts_name(src, name_at) {
        return Markup::Text;
    }
    let name = name_at..name_at + name_len(b, name_at);
    match scan_tag(b, name.end, None) {
        Scan::Done(end, self_closed) => Markup::Tag(TagAt {
            closing,
            name,
            end,
            self_closed,
        }),
        Scan::Broken => Markup::Text,
        Scan::Unterminated => Markup::Unterminated,
    }
}

enum Scan {
    Done(usize, bool),
    Broken,
    Unterminated,
}

/// Finds the `>` ending a tag, skipping quoted attribute values (which may contain `>`), and optionally records the values' ranges.
fn scan_tag(b: &[u8], mut j: usize, mut values: Option<&mut Vec<Range<usize>>>) -> Scan {
    let mut last = 0u8;
    loop {
        match b.get(j) {
            None => return Scan::Unterminated,
            Some(b'>') => return Scan::Done(j, last == b'/'),
            Some(b'<') => return Scan::Broken,
            // A quote only opens a value right after `=`; a stray quote elsewhere is just a character.
            Some(&q @ (b'"' | b'\'')) if last == b'=' => {
                let Some(close) = find_byte(b, j + 1, q) else {
                    return Scan::Unterminated;
                };
                if let Some(v) = values.as_deref_mut() {
                    v.push(j + 1..close);
                }
                last = q;
                j = close + 1;
            }
            Some(&c) => {
                if !c.is_ascii_whitespace() {
                    last = c;
                }
                j += 1;
            }
        }
    }
}

/// Skips CDATA sections, comments, processing instructions and DOCTYPE, whose content must not be touched; returns the index after them.
fn skip_special(src: &str, lt: usize) -> Option<usize> {
    let b = src.as_bytes();
    let rest = b.get(lt..)?;
    let past = |pat: &str, from: usize| {
        let found = src.get(from..).and_then(|r| r.find(pat));
        found.map_or(b.len(), |p| from + p + pat.len())
    };
    if rest.starts_with(b"<![CDATA[") {
        Some(past("]]>", lt + 9))
    } else if rest.starts_with(b"<!--") {
        Some(past("-->", lt + 4))
    } else if rest.starts_with(b"<?") && rest.get(2).is_some_and(|c| c.is_ascii_alphabetic()) {
        Some(past("?>", lt + 2))
    } else if starts_ci(rest, b"<!DOCTYPE") {
        // The internal subset in [...] may contain `>`, so only a `>` outside brackets and quotes ends the DOCTYPE.
        let (mut depth, mut quote, mut j) = (0i32, 0u8, lt + 9);
        while let Some(&c) = b.get(j) {
            match c {
                _ if quote != 0 => quote = if c == quote { 0 } else { quote },
                b'"' | b'\'' => quote = c,
                b'[' => depth += 1,
                b']' => depth -= 1,
                b'>' if depth <= 0 => return Some(j + 1),
                _ => {}
            }
            j += 1;
        }
        Some(b.len())
    } else {
        None
    }
}

fn starts_name(src: &str, at: usize) -> bool {
    src.get(at..)
        .and_then(|r| r.chars().next())
        .is_some_and(|c| {
            c.is_ascii_alphabetic() || c == '_' || c == ':' || (!c.is_ascii() && c.is_alphabetic())
        })
}

fn name_len(b: &[u8], at: usize) -> usize {
    run(b, at, |c| {
        c.is_ascii_alphanumeric() || matches!(c, b'_' | b':' | b'-' | b'.') || c >= 0x80
    })
    .len()
}

/// The run of bytes from `from` on that satisfy `pred`.
fn run(b: &[u8], from: usize, pred: impl Fn(u8) -> bool) -> &[u8] {
    let rest = b.get(from..).unwrap_or_default();
    rest.get(..rest.iter().take_while(|&&c| pred(c)).count())
        .unwrap_or_default()
}

fn starts_ci(b: &[u8], pat: &[u8]) -> bool {
    b.get(..pat.len())
        .is_some_and(|p| p.eq_ignore_ascii_case(pat))
}

fn find_byte(b: &[u8], from: usize, x: u8) -> Option<usize> {
    b.get(from..)?
        .iter()
        .position(|&c| c == x)
        .map(|p| p + from)
}

#[cfg(test)]
mod tests;
