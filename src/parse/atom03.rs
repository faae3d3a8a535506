//! Atom 0.3 upgraded to Atom 1.0 text before parsing.
//!
//! feed-rs recognises an Atom 0.3 document but reads none of its entries: they live in the
//! old namespace (`http://purl.org/atom/ns#`) and use the old names (`issued`, `modified`,
//! `tagline`, `mode="escaped"`). Old Russian CMSs still serve it; renaming is all it takes.

use std::borrow::Cow;

const OLD_NS: &str = "http://purl.org/atom/ns#";

/// Atom 1.0 text for an Atom 0.3 document; anything else is returned as is.
pub fn upgrade(xml: &str) -> Cow<'_, str> {
    let head = &xml[..xml.floor_char_boundary(4096)];
    if !head.contains(OLD_NS) {
        return Cow::Borrowed(xml);
    }
    let mut out = xml.replacen(OLD_NS, "http://www.w3.org/2005/Atom", 1);
    for (old, new) in [
        ("<issued>", "<published>"),
        ("</issued>", "</published>"),
        ("<modified>", "<updated>"),
        ("</modified>", "</updated>"),
        ("<tagline", "<subtitle"),
        ("</tagline>", "</subtitle>"),
        (" mode=\"escaped\"", ""),
        ("type=\"text/html\"", "type=\"html\""),
        ("type=\"text/plain\"", "type=\"text\""),
        ("type=\"application/xhtml+xml\"", "type=\"xhtml\""),
    ] {
        out = out.replace(old, new);
    }
    // A link's type keeps its MIME form: only content, summary and title carry text types.
    out = out.replace(
        "<link rel=\"alternate\" type=\"html\"",
        "<link rel=\"alternate\" type=\"text/html\"",
    );
    Cow::Owned(out)
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
