//! The last reading of a feed whose document visibly holds items that no whole-document
//! reading yielded: each `<item>`/`<entry>` is taken out and read on its own, so one broken item
//! costs only itself, and items placed where a strict reader never looks (RSS 0.91 items after
//! `</channel>`, as siblings of the channel) are found.
//!
//! Written by hand: the XML crates either stop at the first error or rebuild a whole tree; this
//! is one linear walk over the tags (`recover::tags`) that closes what each item left open.

use std::collections::HashMap;

use super::namespaces::attributes;
use super::recover;

/// An `<item>` or `<entry>` start tag's name, plain or with the prefixes feeds use for them.
fn is_entry(name: &str) -> bool {
    matches!(
        name,
        "item" | "entry" | "rss:item" | "rdf:item" | "atom:entry"
    )
}

/// How many `<item>`/`<entry>` start tags a document visibly holds, outside CDATA and comments.
/// One cheap scan from `<` to `<`, run on every feed: what parsing must account for.
pub fn count_entries(xml: &str) -> usize {
    let mut n = 0;
    let mut i = 0;
    while let Some(off) = xml.get(i..).and_then(|r| r.find('<')) {
        let lt = i + off;
        let rest = &xml[lt..];
        let skip_to = |end: &str, from: usize| {
            xml.get(lt + from..)
                .and_then(|r| r.find(end))
                .map_or(xml.len(), |e| lt + from + e + end.len())
        };
        if rest.starts_with("<![CDATA[") {
            i = skip_to("]]>", 9);
            continue;
        }
        if rest.starts_with("<!--") {
            i = skip_to("-->", 4);
            continue;
        }
        let name_len = rest[1..]
            .bytes()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == b':')
            .count();
        let after = rest.as_bytes().get(1 + name_len);
        if is_entry(&rest[1..1 + name_len])
            && after.is_some_and(|c| matches!(c, b'>' | b'/' | b' ' | b'\t' | b'\n' | b'\r'))
        {
            n += 1;
        }
        i = lt + 1;
    }
    n
}

/// A document taken apart.
#[derive(Debug, Default)]
pub struct Split {
    /// The document without its entries, with whatever they left open closed: the feed's own
    /// title and links.
    pub head: String,
    /// Each entry as a document of its own, ready for a parser; or why it could not be taken.
    pub entries: Vec<Result<String, String>>,
}

/// Takes `xml` apart into its entries, each wrapped in a minimal document of its format with
/// the namespace prefixes the original declared.
pub fn split(xml: &str) -> Split {
    let mut head = String::with_capacity(xml.len() / 4);
    let mut head_copied = 0;
    let mut outer: Vec<&str> = Vec::new();
    // Counts beside the stack, so that an end tag's lookup costs one probe (see `Open`).
    let mut outer_open: HashMap<&str, usize> = HashMap::new();
    let mut prefixes: HashMap<&str, &str> = HashMap::new();
    let mut raw: Vec<(bool, Result<String, String>)> = Vec::new();
    let mut cur: Option<Open> = None;
    for tag in recover::tags(xml) {
        let name = &xml[tag.name.clone()];
        if let Some(e) = cur.as_mut() {
            if !tag.closing && !tag.self_closed && is_entry(name) {
                // An item that never closed ends where the next begins.
                let done = cur.take().map(|e| e.finish(xml, tag.start));
                raw.extend(done);
                head_copied = tag.start;
                cur = Some(Open::new(&tag, name));
                continue;
            }
            if !tag.closing {
                if !tag.self_closed {
                    e.push(name);
                }
                continue;
            }
            if e.open.get(name).is_some_and(|n| *n > 0) {
                e.close(xml, &tag, name);
                if e.stack.is_empty() {
                    raw.extend(cur.take().map(|e| e.done(xml, tag.end + 1)));
                    head_copied = tag.end + 1;
                }
                continue;
            }
            if outer_open.get(name).is_none_or(|n| *n == 0) {
                // A stray end tag (`</p>` with no `<p>`) is dropped.
                e.drop_tag(xml, &tag);
                continue;
            }
            // The channel or the root ends: the item never closed.
            raw.extend(cur.take().map(|e| e.finish(xml, tag.start)));
            head_copied = tag.start;
        }
        if !tag.closing && is_entry(name) {
            head.push_str(&xml[head_copied..tag.start]);
            head_copied = tag.start;
            if tag.self_closed {
                raw.extend([(
                    name.ends_with("entry"),
                    Ok(xml[tag.start..=tag.end].to_string()),
                )]);
                head_copied = tag.end + 1;
            } else {
                cur = Some(Open::new(&tag, name));
            }
            continue;
        }
        if tag.closing {
            if outer_open.get(name).is_some_and(|n| *n > 0) {
                head.push_str(&xml[head_copied..tag.start]);
                while let Some(top) = outer.pop() {
                    if let Some(n) = outer_open.get_mut(top) {
                        *n = n.saturating_sub(1);
                    }
                    if top == name {
                        break;
                    }
                    close_tag(&mut head, top);
                }
                head_copied = tag.start;
            } else {
                head.push_str(&xml[head_copied..tag.start]);
                head_copied = tag.end + 1;
            }
            continue;
        }
        for a in attributes(&xml[tag.name.end..tag.end]) {
            if let Some(p) = a.name.strip_prefix("xmlns:") {
                prefixes.entry(p).or_insert(a.value);
            }
        }
        if !tag.self_closed {
            outer.push(name);
            *outer_open.entry(name).or_default() += 1;
        }
    }
    if let Some(e) = cur {
        let why = "the document is cut off inside this item";
        raw.push((e.atom, Err(why.to_string())));
        head_copied = xml.len();
    }
    head.push_str(&xml[head_copied.min(xml.len())..]);
    for n in outer.iter().rev() {
        close_tag(&mut head, n);
    }
    let mut decls: Vec<_> = prefixes.into_iter().collect();
    decls.sort();
    let decls: String = decls
        .iter()
        .map(|(p, v)| format!(" xmlns:{p}=\"{}\"", v.replace('"', "&quot;")))
        .collect();
    let entries = raw
        .into_iter()
        .map(|(atom, r)| {
            r.map(|text| {
                if atom {
                    format!("<feed xmlns=\"http://www.w3.org/2005/Atom\"{decls}>{text}</feed>")
                } else {
                    format!("<rss version=\"2.0\"{decls}><channel>{text}</channel></rss>")
                }
            })
        })
        .collect();
    Split { head, entries }
}

fn close_tag(out: &mut String, name: &str) {
    out.push_str("</");
    out.push_str(name);
    out.push('>');
}

/// An entry being taken out: its text so far and the elements open in it. `open` counts names
/// so that "is this end tag's element open?" costs one lookup, not a walk down the stack
/// (a hostile document could nest a million tags).
struct Open<'a> {
    atom: bool,
    text: String,
    copied: usize,
    stack: Vec<&'a str>,
    open: HashMap<&'a str, usize>,
}

impl<'a> Open<'a> {
    fn new(tag: &recover::Tag, name: &'a str) -> Open<'a> {
        let mut o = Open {
            atom: name.ends_with("entry"),
            text: String::new(),
            copied: tag.start,
            stack: Vec::new(),
            open: HashMap::new(),
        };
        o.push(name);
        o
    }

    fn push(&mut self, name: &'a str) {
        self.stack.push(name);
        *self.open.entry(name).or_default() += 1;
    }

    /// An end tag of an open element: whatever was opened inside it and left open is closed
    /// right before it.
    fn close(&mut self, xml: &str, tag: &recover::Tag, name: &str) {
        self.text.push_str(&xml[self.copied..tag.start]);
        while let Some(top) = self.stack.pop() {
            if let Some(n) = self.open.get_mut(top) {
                *n = n.saturating_sub(1);
            }
            if top == name {
                break;
            }
            close_tag(&mut self.text, top);
        }
        self.copied = tag.start;
    }

    fn drop_tag(&mut self, xml: &str, tag: &recover::Tag) {
        self.text.push_str(&xml[self.copied..tag.start]);
        self.copied = tag.end + 1;
    }

    /// The entry closed normally, its end tag ending before `end`.
    fn done(mut self, xml: &str, end: usize) -> (bool, Result<String, String>) {
        self.text.push_str(&xml[self.copied..end]);
        (self.atom, Ok(self.text))
    }

    /// The entry never closed: it ends at `at`, with everything still open closed there.
    fn finish(mut self, xml: &str, at: usize) -> (bool, Result<String, String>) {
        self.text.push_str(xml[self.copied..at].trim_end());
        while let Some(top) = self.stack.pop() {
            close_tag(&mut self.text, top);
        }
        (self.atom, Ok(self.text))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn visible_entries_are_counted_outside_cdata_and_comments() {
        let xml = "<rss><channel><items/><item>1</item><item\n>2</item><!-- <item>x</item> -->\
            <item><description><![CDATA[<item>quoted</item>]]></description></item><itemize/></channel></rss>\
            <feed><entry/><atom:entry></atom:entry></feed>";
        assert_eq!(count_entries(xml), 5);
        assert_eq!(count_entries("<item"), 0);
        assert_eq!(count_entries(""), 0);
    }

    #[test]
    fn siblings_of_the_channel_and_open_elements_are_taken_out_closed() {
        let xml = "<rss version=\"0.91\" xmlns:dc=\"http://purl.org/dc/elements/1.1/\"><channel><title>Вестник</title></channel>\
            <item><title>Мост</title><description>Открыт. <p>Подробнее\n</item>\
            <item><title>Рыба</title></b><dc:creator>Иванов</dc:creator></item>\
            <item><title>Без конца</title></rss>";
        let s = split(xml);
        assert_eq!(
            s.head,
            "<rss version=\"0.91\" xmlns:dc=\"http://purl.org/dc/elements/1.1/\"><channel><title>Вестник</title></channel></rss>"
        );
        let e: Vec<_> = s.entries.iter().map(|e| e.as_deref().unwrap()).collect();
        let wrap = |t: &str| {
            format!(
                "<rss version=\"2.0\" xmlns:dc=\"http://purl.org/dc/elements/1.1/\"><channel>{t}</channel></rss>"
            )
        };
        assert_eq!(
            e[0],
            wrap(
                "<item><title>Мост</title><description>Открыт. <p>Подробнее\n</p></description></item>"
            )
        );
        assert_eq!(
            e[1],
            wrap("<item><title>Рыба</title><dc:creator>Иванов</dc:creator></item>")
        );
        assert_eq!(e[2], wrap("<item><title>Без конца</title></item>"));
    }

    #[test]
    fn atom_entries_and_a_cut_off_one() {
        let xml = "<feed xmlns=\"http://www.w3.org/2005/Atom\"><title>Б</title><entry><title>1</title></entry><entry><title>2";
        let s = split(xml);
        assert_eq!(
            s.head,
            "<feed xmlns=\"http://www.w3.org/2005/Atom\"><title>Б</title></feed>"
        );
        assert_eq!(
            s.entries[0].as_deref(),
            Ok(
                "<feed xmlns=\"http://www.w3.org/2005/Atom\"><entry><title>1</title></entry></feed>"
            )
        );
        assert!(s.entries[1].as_ref().is_err_and(|e| e.contains("cut off")));
    }

    #[test]
    fn deep_nesting_stays_linear() {
        // A walk down the stack at each end tag would be quadratic here.
        let xml = format!(
            "<rss><item>{}{}</item></rss>",
            "<a>".repeat(200_000),
            "</b>".repeat(200_000)
        );
        let s = split(&xml);
        assert_eq!(s.entries.len(), 1);
        assert_eq!(count_entries(&xml), 1);
        let xml = format!(
            "<rss>{}{}<item/></rss>",
            "<a>".repeat(200_000),
            "</b>".repeat(200_000)
        );
        assert_eq!(split(&xml).entries.len(), 1);
    }
}
