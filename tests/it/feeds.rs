//! Feed builders: `rss(&[item("Заголовок").guid("1")])`, Atom and RSS 1.0, as text.

#[derive(Clone, Default)]
pub struct It {
    pub title: String,
    pub guid: Option<String>,
    pub link: Option<String>,
    pub desc: Option<String>,
    pub date: Option<String>,
}

pub fn item(title: &str) -> It {
    It {
        title: title.into(),
        ..It::default()
    }
}

impl It {
    pub fn guid(mut self, g: &str) -> It {
        self.guid = Some(g.into());
        self
    }
    pub fn link(mut self, l: &str) -> It {
        self.link = Some(l.into());
        self
    }
    pub fn desc(mut self, d: &str) -> It {
        self.desc = Some(d.into());
        self
    }
    pub fn date(mut self, d: &str) -> It {
        self.date = Some(d.into());
        self
    }
}

/// Items are dated relative to now, so that no test depends on the day it runs (retention,
/// trending periods).
fn an_hour_ago() -> chrono::DateTime<chrono::Utc> {
    chrono::Utc::now() - chrono::Duration::hours(1)
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// RSS 2.0 with the given prolog encoding label (the text is still a Rust string: encode it
/// with `to_encoding` to get the bytes a server would send).
pub fn rss_with(encoding: &str, items: &[It]) -> String {
    let mut s = format!(
        "<?xml version=\"1.0\" encoding=\"{encoding}\"?>\n<rss version=\"2.0\"><channel><title>Тестовое агентство</title><link>https://agency.test/</link><description>Новости</description>\n"
    );
    for i in items {
        s.push_str("<item>");
        s.push_str(&format!("<title>{}</title>", esc(&i.title)));
        if let Some(g) = &i.guid {
            s.push_str(&format!("<guid isPermaLink=\"false\">{}</guid>", esc(g)));
        }
        if let Some(l) = &i.link {
            s.push_str(&format!("<link>{}</link>", esc(l)));
        }
        if let Some(d) = &i.desc {
            s.push_str(&format!("<description>{}</description>", esc(d)));
        }
        s.push_str(&format!(
            "<pubDate>{}</pubDate>",
            i.date.clone().unwrap_or_else(|| an_hour_ago().to_rfc2822())
        ));
        s.push_str("</item>\n");
    }
    s.push_str("</channel></rss>\n");
    s
}

pub fn rss(items: &[It]) -> String {
    rss_with("utf-8", items)
}

pub fn atom(items: &[It]) -> String {
    let mut s = String::from(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\"><title>Атом-агентство</title><id>tag:atom.test,2026:feed</id><updated>2026-11-27T10:00:00+03:00</updated><link href=\"https://atom.test/\"/>\n",
    );
    for i in items {
        s.push_str(&format!(
            "<entry><title>{}</title><id>{}</id><updated>{}</updated>",
            esc(&i.title),
            esc(i.guid.as_deref().unwrap_or("tag:atom.test,2026:x")),
            i.date.clone().unwrap_or_else(|| an_hour_ago().to_rfc3339())
        ));
        if let Some(l) = &i.link {
            s.push_str(&format!("<link href=\"{}\"/>", esc(l)));
        }
        if let Some(d) = &i.desc {
            s.push_str(&format!("<content type=\"html\">{}</content>", esc(d)));
        }
        s.push_str("</entry>\n");
    }
    s.push_str("</feed>\n");
    s
}

pub fn rss1(items: &[It]) -> String {
    let mut s = String::from(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\" xmlns=\"http://purl.org/rss/1.0/\" xmlns:dc=\"http://purl.org/dc/elements/1.1/\"><channel rdf:about=\"https://rdf.test/\"><title>RDF-агентство</title><link>https://rdf.test/</link><description>Новости</description></channel>\n",
    );
    for i in items {
        let l = i.link.as_deref().unwrap_or("https://rdf.test/x");
        s.push_str(&format!(
            "<item rdf:about=\"{}\"><title>{}</title><link>{}</link><dc:date>{}</dc:date>",
            esc(l),
            esc(&i.title),
            esc(l),
            i.date.clone().unwrap_or_else(|| an_hour_ago().to_rfc3339())
        ));
        if let Some(d) = &i.desc {
            s.push_str(&format!("<description>{}</description>", esc(d)));
        }
        s.push_str("</item>\n");
    }
    s.push_str("</rdf:RDF>\n");
    s
}

/// The bytes of `text` in `encoding` (a WHATWG label).
pub fn to_encoding(text: &str, encoding: &str) -> Vec<u8> {
    let enc = encoding_rs::Encoding::for_label(encoding.as_bytes()).unwrap();
    let (bytes, _, unmappable) = enc.encode(text);
    assert!(!unmappable, "{encoding} cannot hold this text");
    bytes.into_owned()
}
