//! Atom 0.3 upgraded to Atom 1.0 text before parsing.
//!
//! feed-rs recognises an Atom 0.3 document but reads none of its entries: they live in the
//! old namespace (`http://purl.org/atom/ns#`) and use the old names (`issued`, `modified`,
//! `tagline`, `mode="escaped"`). Old Russian CMSs still serve it; renaming is all it takes.

use std::borrow::Cow;

use super::recover;

const OLD_NS: &str = "http://purl.org/atom/ns#";
const NEW_NS: &str = "http://www.w3.org/2005/Atom";

/// Atom 1.0 text for an Atom 0.3 document whose head declares the old namespace (the root, as
/// usual); anything else is returned as is. Only the head is looked at, so that the common case
/// of any other feed costs nothing; `upgrade_anywhere` looks further.
pub fn upgrade(xml: &str) -> Cow<'_, str> {
    let head = &xml[..xml.floor_char_boundary(4096)];
    if !head.contains(OLD_NS) {
        return Cow::Borrowed(xml);
    }
    Cow::Owned(rewrite(xml))
}

/// Like `upgrade`, for a document that declares the old namespace anywhere (only its entries,
/// say, past a long head).
pub fn upgrade_anywhere(xml: &str) -> Cow<'_, str> {
    if !xml.contains(OLD_NS) {
        return Cow::Borrowed(xml);
    }
    Cow::Owned(rewrite(xml))
}

/// One pass over the tags: the namespace renamed wherever it is declared (Blogger re-declares it
/// on every entry), the old element names renamed, and the old text-construct attributes
/// (`mode`, MIME `type`s) turned into Atom 1.0's. Attributes are read whatever their quotes.
fn rewrite(xml: &str) -> String {
    let mut out = String::with_capacity(xml.len() + 256);
    let mut copied = 0;
    for tag in recover::tags(xml) {
        let name = &xml[tag.name.clone()];
        let renamed = match name {
            "issued" => Some("published"),
            "modified" => Some("updated"),
            "tagline" => Some("subtitle"),
            _ => None,
        };
        let text = &xml[tag.start..=tag.end];
        let attrs = &xml[tag.name.end..tag.end];
        let text_construct = matches!(
            name,
            "title" | "subtitle" | "tagline" | "summary" | "content" | "copyright"
        );
        let touch_attrs = !tag.closing
            && (attrs.contains(OLD_NS)
                || (text_construct && (attrs.contains("mode") || attrs.contains("type"))));
        if renamed.is_none() && !touch_attrs {
            continue;
        }
        out.push_str(&xml[copied..tag.start]);
        out.push('<');
        if tag.closing {
            out.push('/');
        }
        out.push_str(renamed.unwrap_or(name));
        if touch_attrs {
            match rewrite_attrs(attrs, text_construct) {
                Some(a) => out.push_str(&a),
                // Attributes this reader cannot follow keep their text; the namespace is
                // still renamed.
                None => out.push_str(&attrs.replace(OLD_NS, NEW_NS)),
            }
        } else {
            out.push_str(attrs);
        }
        out.push('>');
        copied = tag.start + text.len();
    }
    out.push_str(&xml[copied..]);
    out
}

/// The attributes of one tag (the text between its name and its `>`), rewritten; None when
/// they do not read as `name="value"` pairs.
fn rewrite_attrs(attrs: &str, text_construct: bool) -> Option<String> {
    let mut out = String::with_capacity(attrs.len());
    let mut rest = attrs;
    loop {
        let trimmed = rest.trim_start();
        if trimmed.is_empty() || trimmed == "/" {
            out.push_str(rest);
            return Some(out);
        }
        let ws = &rest[..rest.len() - trimmed.len()];
        let eq = trimmed.find('=')?;
        let name = trimmed[..eq].trim();
        let after = trimmed[eq + 1..].trim_start();
        let quote = after.chars().next().filter(|c| *c == '"' || *c == '\'')?;
        let close = after[1..].find(quote)? + 1;
        let value = &after[1..close];
        rest = &after[close + 1..];
        let value = match (name, value) {
            ("mode", _) if text_construct => continue,
            ("type", "text/html") if text_construct => "html",
            ("type", "text/plain") if text_construct => "text",
            ("type", "application/xhtml+xml") if text_construct => "xhtml",
            (_, OLD_NS) => NEW_NS,
            (_, v) => v,
        };
        out.push_str(if ws.is_empty() { " " } else { ws });
        out.push_str(name);
        out.push('=');
        out.push(quote);
        out.push_str(value);
        out.push(quote);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const OLD: &str = "<?xml version=\"1.0\"?><feed version=\"0.3\" xmlns=\"http://purl.org/atom/ns#\"><title>Лента</title><tagline>Новости</tagline>\
        <entry><title>Атом 0.3</title><link rel=\"alternate\" type=\"text/html\" href=\"https://a.test/03\"/><id>tag:a.test,2026:03</id>\
        <issued>2026-11-27T10:00:00+03:00</issued><modified>2026-11-27T11:00:00+03:00</modified>\
        <content type=\"text/html\" mode=\"escaped\">&lt;p&gt;Текст&lt;/p&gt;</content></entry></feed>";

    #[test]
    fn entries_of_atom_0_3_are_read() {
        let raw = feed_rs::parser::parse(OLD.as_bytes()).unwrap();
        assert!(
            raw.entries.is_empty(),
            "feed-rs alone reads no entries (the reason for this pass)"
        );
        let f = feed_rs::parser::parse(upgrade(OLD).as_bytes()).unwrap();
        let e = &f.entries[0];
        assert_eq!(e.title.as_ref().unwrap().content, "Атом 0.3");
        assert_eq!(e.links[0].href, "https://a.test/03");
        assert_eq!(
            e.published.unwrap().to_rfc3339(),
            "2026-11-27T07:00:00+00:00"
        );
        assert_eq!(
            e.content.as_ref().unwrap().body.as_deref(),
            Some("<p>Текст</p>")
        );
    }

    #[test]
    fn entries_that_redeclare_the_namespace_in_single_quotes() {
        // Blogger: every entry declares the old namespace again, attributes in single quotes.
        let xml = "<?xml version='1.0'?><?xml-stylesheet href=\"http://www.blogger.com/styles/atom.css\" type=\"text/css\"?>\
            <feed xmlns='http://purl.org/atom/ns#' version='0.3'><title mode='escaped' type='text/html'>Блог</title>\
            <entry xmlns='http://purl.org/atom/ns#'><link href='https://b.test/1' rel='alternate' type='text/html'/><id>tag:b,1</id>\
            <title mode='escaped' type='text/html'>&amp;laquo;Первая&amp;raquo;</title><issued>2026-11-27T10:00:00+03:00</issued>\
            <content type='application/xhtml+xml' xml:space='preserve'><div xmlns='http://www.w3.org/1999/xhtml'>Текст<br />дальше</div></content></entry>\
            <entry xmlns='http://purl.org/atom/ns#'><id>tag:b,2</id><title>Вторая</title><modified>2026-11-27T11:00:00Z</modified></entry></feed>";
        let up = upgrade(xml);
        assert!(!up.contains(OLD_NS), "{up}");
        let f = feed_rs::parser::parse(up.as_bytes()).unwrap();
        assert_eq!(f.entries.len(), 2, "{up}");
        let e = &f.entries[0];
        assert_eq!(e.title.as_ref().unwrap().content, "&laquo;Первая&raquo;");
        assert_eq!(e.links[0].href, "https://b.test/1");
        assert_eq!(e.links[0].media_type.as_deref(), Some("text/html"));
        let body = e.content.as_ref().unwrap().body.as_deref().unwrap();
        assert!(
            body.contains("Текст<br") && body.contains("дальше"),
            "{body}"
        );
        assert!(f.entries[1].updated.is_some());
    }

    #[test]
    fn a_declaration_past_the_head_is_found_when_asked() {
        let xml = format!(
            "<feed xmlns=\"http://www.w3.org/2005/Atom\"><title>{}</title><entry xmlns=\"http://purl.org/atom/ns#\"><title>x</title></entry></feed>",
            "Ж".repeat(3000)
        );
        assert!(matches!(upgrade(&xml), Cow::Borrowed(_)));
        assert!(!upgrade_anywhere(&xml).contains(OLD_NS));
    }

    #[test]
    fn other_documents_are_untouched() {
        let atom1 = "<feed xmlns=\"http://www.w3.org/2005/Atom\"><issued>x</issued></feed>";
        assert!(matches!(upgrade(atom1), Cow::Borrowed(_)));
        assert!(matches!(upgrade("Ж"), Cow::Borrowed(_)));
    }

    #[test]
    fn a_long_cyrillic_head_does_not_hide_the_namespace() {
        // Byte 4096 falls inside a two-byte letter either way round.
        for pad in [0, 1] {
            let title = "Ж".repeat(2100);
            let xml = OLD.replacen(
                "<title>Лента</title>",
                &format!("{}<title>{title}</title>", " ".repeat(pad)),
                1,
            );
            let f = feed_rs::parser::parse(upgrade(&xml).as_bytes()).unwrap();
            assert_eq!(f.entries.len(), 1, "pad {pad}");
        }
    }
}
