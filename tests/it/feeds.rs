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

/// The shapes that once read as nothing (issue 7). Items are written as the real sites write
/// them; dates relative to now.
fn rfc822(i: &It) -> String {
    i.date.clone().unwrap_or_else(|| an_hour_ago().to_rfc2822())
}

/// A Yandex.News export: RSS 2.0 in the old UserLand default namespace, no guids, the full
/// text in `yandex:full-text`.
pub fn userland_yandex(items: &[It]) -> String {
    let mut s = String::from(
        "<?xml version=\"1.0\" encoding=\"windows-1251\"?>\n<rss version=\"2.0\" xmlns=\"http://backend.userland.com/rss2\" xmlns:yandex=\"http://news.yandex.ru\">\n<channel>\n<title>ИА «Верхневолжье»</title>\n<link>http://vvinform.test/</link>\n<description>Новости Твери и Тверской области</description>\n<yandex:logo>http://vvinform.test/i/logo.png</yandex:logo>\n",
    );
    for i in items {
        s.push_str(&format!("<item>\n<title>{}</title>\n", esc(&i.title)));
        if let Some(l) = &i.link {
            s.push_str(&format!(
                "<link>{}</link>\n<pdalink>{}</pdalink>\n",
                esc(l),
                esc(l)
            ));
        }
        if let Some(d) = &i.desc {
            let lead = d.split(". ").next().unwrap_or(d);
            s.push_str(&format!(
                "<description>{}.</description>\n<yandex:genre>message</yandex:genre>\n<yandex:full-text>{}</yandex:full-text>\n",
                esc(lead.trim_end_matches('.')),
                esc(d)
            ));
        }
        s.push_str(&format!("<pubDate>{}</pubDate>\n</item>\n", rfc822(i)));
    }
    s.push_str("</channel>\n</rss>\n");
    s
}

/// RSS 2.0 that names the Harvard copy of the spec as its default namespace.
pub fn harvard_ns(items: &[It]) -> String {
    rss(items).replacen(
        "<rss version=\"2.0\">",
        "<rss xmlns=\"https://cyber.harvard.edu/rss/rss.html\" version=\"2.0\">",
        1,
    )
}

/// Atom 0.3 as Blogger wrote it: a stylesheet PI, single quotes, every entry declaring the old
/// namespace again, `mode='escaped'` titles, `issued`/`modified`/`created`.
pub fn blogger_atom03(items: &[It]) -> String {
    let mut s = String::from(
        "<?xml version='1.0' encoding='UTF-8'?>\n<?xml-stylesheet href=\"http://www.blogger.com/styles/atom.css\" type=\"text/css\"?>\n<feed xmlns='http://purl.org/atom/ns#' version='0.3' xml:lang='ru-RU'>\n<title mode='escaped' type='text/html'>Заметки старооскольского краеведа</title>\n<link rel='alternate' type='text/html' href='http://oskol-kraeved.blogspot.com'/>\n<modified>2026-11-30T18:04:11Z</modified>\n<generator url='http://www.blogger.com/' version='5.15'>Blogger</generator>\n",
    );
    for i in items {
        let date = i.date.clone().unwrap_or_else(|| an_hour_ago().to_rfc3339());
        s.push_str("<entry xmlns='http://purl.org/atom/ns#'>\n");
        if let Some(l) = &i.link {
            s.push_str(&format!(
                "<link href='{}' rel='alternate' title='{}' type='text/html'/>\n",
                esc(l),
                esc(&i.title)
            ));
        }
        s.push_str(&format!(
            "<author><name>Краевед</name></author>\n<issued>{date}</issued>\n<modified>{date}</modified>\n<created>{date}</created>\n<id>{}</id>\n<title mode='escaped' type='text/html'>{}</title>\n",
            esc(i.guid.as_deref().unwrap_or("tag:blogger.com,1999:blog-7312.post-0")),
            // Escaped twice, as Blogger did: the text is HTML, and the HTML is escaped in XML.
            esc(&esc(&i.title))
        ));
        if let Some(d) = &i.desc {
            s.push_str(&format!(
                "<content type='application/xhtml+xml' xml:space='preserve'><div xmlns='http://www.w3.org/1999/xhtml'>{}</div></content>\n",
                esc(d)
            ));
        }
        s.push_str("</entry>\n");
    }
    s.push_str("</feed>\n");
    s
}

/// RSS 0.91 with its items after `</channel>` (the RSS 1.0 layout), and the first item's
/// description never closed.
pub fn rss091_siblings(items: &[It]) -> String {
    let mut s = String::from(
        "<?xml version=\"1.0\" encoding=\"windows-1251\"?>\n<!DOCTYPE rss PUBLIC \"-//Netscape Communications//DTD RSS 0.91//EN\" \"http://my.netscape.com/publish/formats/rss-0.91.dtd\">\n<rss version=\"0.91\">\n<channel>\n<title>Вестник Приамурья</title>\n<link>http://vestnik-amur.test/</link>\n<description>Новости Благовещенска и Амурской области</description>\n<language>ru</language>\n</channel>\n",
    );
    for (n, i) in items.iter().enumerate() {
        s.push_str(&format!("<item>\n<title>{}</title>\n", esc(&i.title)));
        if let Some(l) = &i.link {
            s.push_str(&format!("<link>{}</link>\n", esc(l)));
        }
        if let Some(d) = &i.desc {
            let close = if n == 0 { "\n" } else { "</description>\n" };
            s.push_str(&format!("<description>{}{close}", esc(d)));
        }
        s.push_str("</item>\n");
    }
    s.push_str("</rss>\n");
    s
}
