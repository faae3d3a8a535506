//! Atom 1.0 output, through atom_syndication.

use atom_syndication::{
    Category, Content, Entry as AtomEntry, Feed, FixedDateTime, Generator, Link, Person, Text,
};
use chrono::{DateTime, Utc};

use super::{View, agency, body_html, xml_safe};
use crate::model::Entry;

fn date(ts: i64) -> FixedDateTime {
    DateTime::<Utc>::from_timestamp(ts, 0)
        .unwrap_or_default()
        .fixed_offset()
}

fn link(href: &str, rel: &str, mime: Option<&str>) -> Link {
    let mut l = Link::default();
    l.set_href(href.to_string());
    l.set_rel(rel.to_string());
    l.set_mime_type(mime.map(str::to_string));
    l
}

fn entry(view: &View, it: &Entry) -> AtomEntry {
    let mut e = AtomEntry::default();
    e.set_title(Text::plain(xml_safe(&it.title).into_owned()));
    // Atom ids must be permanent IRIs: the entry's GUID (a tag URI minted once), never its
    // link, which two items of one agency may share (a live blog).
    e.set_id(it.guid.clone());
    e.set_updated(date(it.modified()));
    e.set_published(Some(date(it.published)));
    // The lead report is the entry's page; the other agencies' reports are related to it.
    let links: Vec<Link> = it
        .link
        .iter()
        .map(|l| link(l, "alternate", Some("text/html")))
        .chain(it.others.iter().filter_map(|o| {
            let mut l = link(o.link.as_deref()?, "related", Some("text/html"));
            l.set_title(Some(
                xml_safe(&format!("{} — {}", agency(view, &o.source), o.title)).into_owned(),
            ));
            Some(l)
        }))
        // Stories of the same affair, at their pages here.
        .chain(it.related.iter().map(|r| {
            let mut l = link(
                &format!("{}stories/{}", view.site_url, r.story),
                "related",
                Some("text/html"),
            );
            l.set_title(Some(
                xml_safe(&format!("Развитие сюжета: {}", r.title)).into_owned(),
            ));
            l
        }))
        .collect();
    e.set_links(links);
    let mut author = Person::default();
    author
        .set_name(xml_safe(it.author.as_deref().unwrap_or(agency(view, &it.source))).into_owned());
    e.set_authors(vec![author]);
    let body = body_html(view, it, false);
    if !body.is_empty() {
        e.set_summary(Some(Text::html(xml_safe(&body).into_owned())));
    }
    if let Some(c) = &it.content
        && it.summary.is_some()
    {
        let mut content = Content::default();
        content.set_content_type(Some("html".to_string()));
        content.set_value(Some(xml_safe(c).into_owned()));
        e.set_content(Some(content));
    }
    e.set_categories(
        it.topics
            .iter()
            .map(|t| {
                let mut c = Category::default();
                c.set_term(t.clone());
                c.set_label(view.topics.get(t).map(|l| xml_safe(l).into_owned()));
                c
            })
            .collect::<Vec<_>>(),
    );
    e
}

/// The feed as Atom 1.0 text; `hub` is a WebSub hub to announce (`link rel="hub"`).
pub fn render_atom(view: &View, hub: Option<&str>) -> String {
    let mut f = Feed::default();
    f.set_title(Text::plain(xml_safe(&view.title).into_owned()));
    f.set_subtitle(Some(Text::plain(xml_safe(&view.description).into_owned())));
    f.set_id(view.self_url.clone());
    f.set_lang(Some("ru".to_string()));
    let newest = view
        .items
        .iter()
        .map(|i| i.updated.max(i.published))
        .max()
        .unwrap_or(0);
    // The feed changed when svodka last stored something; its entries keep their own dates.
    f.set_updated(date(newest));
    let mut links = vec![
        link(&view.self_url, "self", Some("application/atom+xml")),
        link(&view.site_url, "alternate", Some("text/html")),
    ];
    links.extend(hub.map(|h| link(h, "hub", None)));
    f.set_links(links);
    let mut g = Generator::default();
    g.set_value("svodka".to_string());
    g.set_version(Some(env!("CARGO_PKG_VERSION").to_string()));
    f.set_generator(Some(g));
    f.set_entries(
        view.items
            .iter()
            .map(|it| entry(view, it))
            .collect::<Vec<_>>(),
    );
    f.to_string()
}
