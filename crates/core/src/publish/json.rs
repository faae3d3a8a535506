//! JSON Feed 1.1 output: a handful of serde structs (the small JSON Feed crates add nothing).

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;

use super::{View, agency, body_html};

#[derive(Serialize)]
struct JsonFeed<'a> {
    version: &'static str,
    title: &'a str,
    home_page_url: &'a str,
    feed_url: &'a str,
    description: &'a str,
    language: &'static str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    hubs: Vec<Hub<'a>>,
    items: Vec<JsonItem>,
}

/// JSON Feed's `hubs`: where a subscriber asks for real-time notification.
#[derive(Serialize)]
struct Hub<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    url: &'a str,
}

#[derive(Serialize)]
struct JsonItem {
    id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    url: Option<String>,
    title: String,
    content_html: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    image: Option<String>,
    date_published: String,
    date_modified: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    tags: Vec<String>,
    authors: Vec<Author>,
    /// The other agencies' reports of the story and the stories of its affair (a JSON Feed
    /// extension: keys starting with an underscore are for publishers).
    #[serde(rename = "_svodka", skip_serializing_if = "Option::is_none")]
    svodka: Option<Extension>,
}

#[derive(Serialize)]
struct Extension {
    story_url: String,
    reports: Vec<JsonReport>,
    /// Stories of the same affair, newest first.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    related: Vec<JsonRelated>,
}

/// A story of the same affair: its id (its item's `id` in svodka's feeds), page and headline.
#[derive(Serialize)]
struct JsonRelated {
    id: String,
    url: String,
    title: String,
    date_published: String,
    agencies: Vec<String>,
}

#[derive(Serialize)]
struct JsonReport {
    agency: String,
    title: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    url: Option<String>,
    date_published: String,
}

#[derive(Serialize)]
struct Author {
    name: String,
}

fn date(ts: i64) -> String {
    DateTime::<Utc>::from_timestamp(ts, 0)
        .unwrap_or_default()
        .to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// The feed as JSON Feed 1.1 text; `hub` is a WebSub hub to announce (`hubs`).
pub fn render_json(view: &View, hub: Option<&str>) -> String {
    let items = view
        .items
        .iter()
        .map(|it| {
            let html = body_html(view, it, true);
            JsonItem {
                id: it.guid.clone(),
                url: it.link.clone(),
                title: it.title.clone(),
                content_html: html,
                image: it.image.clone(),
                date_published: date(it.published),
                date_modified: date(it.modified()),
                tags: it
                    .topics
                    .iter()
                    .map(|t| view.topics.get(t).cloned().unwrap_or_else(|| t.clone()))
                    .collect(),
                authors: vec![Author {
                    name: it
                        .author
                        .clone()
                        .unwrap_or_else(|| agency(view, &it.source).to_string()),
                }],
                svodka: (!it.others.is_empty() || !it.related.is_empty()).then(|| Extension {
                    story_url: format!("{}stories/{}", view.site_url, it.story),
                    reports: it
                        .others
                        .iter()
                        .map(|o| JsonReport {
                            agency: agency(view, &o.source).to_string(),
                            title: o.title.clone(),
                            url: o.link.clone(),
                            date_published: date(o.published),
                        })
                        .collect(),
                    related: it
                        .related
                        .iter()
                        .map(|r| JsonRelated {
                            id: r.guid.clone(),
                            url: format!("{}stories/{}", view.site_url, r.story),
                            title: r.title.clone(),
                            date_published: date(r.published),
                            agencies: r
                                .sources
                                .iter()
                                .map(|s| agency(view, s).to_string())
                                .collect(),
                        })
                        .collect(),
                }),
            }
        })
        .collect();
    let feed = JsonFeed {
        version: "https://jsonfeed.org/version/1.1",
        title: &view.title,
        home_page_url: &view.site_url,
        feed_url: &view.self_url,
        description: &view.description,
        language: "ru",
        hubs: hub
            .map(|url| Hub {
                kind: "WebSub",
                url,
            })
            .into_iter()
            .collect(),
        items,
    };
    // Serialising plain strings and numbers cannot fail; an empty object is the fallback anyway.
    serde_json::to_string_pretty(&feed).unwrap_or_else(|_| "{}".to_string())
}
