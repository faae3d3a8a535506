//! RSS 2.0 output, through the `rss` crate (it escapes right and writes CDATA descriptions).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use rss::extension::atom::{AtomExtension, Link};
use rss::extension::dublincore::DublinCoreExtension;
use rss::{Category, Channel, Enclosure, Guid, Item, Source};

use super::{View, body_html, xml_safe};
use crate::model::Entry;

fn date(ts: i64) -> String {
    DateTime::<Utc>::from_timestamp(ts, 0)
        .unwrap_or_default()
        .to_rfc2822()
}

fn item(view: &View, it: &Entry) -> Item {
    let mut out = Item::default();
    out.set_title(xml_safe(&it.title).into_owned());
    if let Some(l) = &it.link {
        out.set_link(l.clone());
    }
    // The guid is the entry's own (not a permalink): two items of one agency may share a link
    // (a live blog), and a reader must not merge them.
    let mut guid = Guid::default();
    guid.set_value(it.guid.clone());
    guid.set_permalink(false);
    out.set_guid(guid);
    out.set_pub_date(date(it.published));
    let body = body_html(view, it, false);
    if !body.is_empty() {
        out.set_description(xml_safe(&body).into_owned());
    }
    if let Some(c) = &it.content
        && it.summary.is_some()
    {
        out.set_content(xml_safe(c).into_owned());
    }
    out.set_categories(
        it.topics
            .iter()
            .map(|t| {
                let mut c = Category::default();
                c.set_name(view.topics.get(t).cloned().unwrap_or_else(|| t.clone()));
                c.set_domain(Some(format!("{}topics/{t}.rss", view.site_url)));
                c
            })
            .collect::<Vec<_>>(),
    );
    if let Some((title, url)) = view.sources.get(&it.source) {
        let mut s = Source::default();
        s.set_url(url.clone());
        s.set_title(Some(xml_safe(title).into_owned()));
        out.set_source(s);
    }
    if let Some(img) = &it.image {
        let mut e = Enclosure::default();
        e.set_url(img.clone());
        // The size is unknown without fetching the picture; RSS readers accept 0.
        e.set_length("0");
        e.set_mime_type(image_type(img));
        out.set_enclosure(e);
    }
    if let Some(a) = &it.author {
        let mut dc = DublinCoreExtension::default();
        dc.set_creators(vec![xml_safe(a).into_owned()]);
        out.set_dublin_core_ext(dc);
    }
    out
}

/// The feed as RSS 2.0 text; `hub` is a WebSub hub to announce (`atom:link rel="hub"`).
pub fn render_rss(view: &View, hub: Option<&str>) -> String {
    let mut ch = Channel::default();
    ch.set_title(xml_safe(&view.title).into_owned());
    ch.set_link(view.site_url.clone());
    ch.set_description(xml_safe(&view.description).into_owned());
    ch.set_language(Some("ru".to_string()));
    ch.set_generator(Some(format!("svodka {}", env!("CARGO_PKG_VERSION"))));
    if let Some(newest) = view.items.iter().map(|i| i.updated).max() {
        ch.set_last_build_date(Some(date(newest)));
    }
    let mut link = Link::default();
    link.set_href(view.self_url.clone());
    link.set_rel("self");
    link.set_mime_type(Some("application/rss+xml".to_string()));
    let mut atom = AtomExtension::default();
    let mut links = vec![link];
    if let Some(hub) = hub {
        let mut l = Link::default();
        l.set_href(hub.to_string());
        l.set_rel("hub");
        links.push(l);
    }
    atom.set_links(links);
    ch.set_atom_ext(Some(atom));
    let mut ns = BTreeMap::new();
    ns.insert(
        "dc".to_string(),
        rss::extension::dublincore::NAMESPACE.to_string(),
    );
    ns.insert(
        "content".to_string(),
        "http://purl.org/rss/1.0/modules/content/".to_string(),
    );
    ch.set_namespaces(ns);
    ch.set_items(
        view.items
            .iter()
            .map(|it| item(view, it))
            .collect::<Vec<_>>(),
    );
    ch.to_string()
}

fn image_type(url: &str) -> &'static str {
    let path = url
        .split(['?', '#'])
        .next()
        .unwrap_or("")
        .to_ascii_lowercase();
    if path.ends_with(".png") {
        "image/png"
    } else if path.ends_with(".gif") {
        "image/gif"
    } else if path.ends_with(".webp") {
        "image/webp"
    } else {
        "image/jpeg"
    }
}
