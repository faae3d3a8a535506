//! An edition as HTML (its page, the body of a mail and of a feed item), plain text and
//! Markdown. Pure: the edition and the site's base URL in, text out. Links are absolute, so
//! the same body reads right in a mail client and a feed reader.

use maud::{DOCTYPE, Markup, PreEscaped, html};

use super::{Count, Edition};
use chrono_tz::Tz;

use crate::pages::{human_time, iso_time, year_of};
use crate::text::plural;

fn agencies(n: usize) -> String {
    format!(
        "{n} {}",
        plural(n as u64, ["агентство", "агентства", "агентств"])
    )
}

fn reports(n: u64) -> String {
    format!("{n} {}", plural(n, ["сообщение", "сообщения", "сообщений"]))
}

fn stories(n: u64) -> String {
    format!("{n} {}", plural(n, ["сюжет", "сюжета", "сюжетов"]))
}

/// «Утренняя сводка — 7 декабря 2026».
pub fn headline(tz: Tz, e: &Edition) -> String {
    format!("{} — {}", e.title, day(tz, e.until))
}

fn day(tz: Tz, ts: i64) -> String {
    let t = human_time(tz, ts, i32::MIN);
    // «7 декабря 2026, 08:00» without the time.
    t.rsplit_once(',').map_or(t.clone(), |(d, _)| d.to_string())
}

/// «с 6 декабря, 08:00 по 7 декабря, 08:00 (мск)».
fn span(tz: Tz, e: &Edition) -> String {
    let year = year_of(tz, e.until);
    format!(
        "с {} по {} (мск)",
        human_time(tz, e.since, year),
        human_time(tz, e.until, year)
    )
}

/// What a late edition says about itself.
fn late_note(tz: Tz, e: &Edition) -> Option<String> {
    let late = e.late.as_ref()?;
    let year = year_of(tz, e.made);
    let mut s = format!(
        "Выпуск запоздал: svodka не работала в {}, и он сделан при запуске, {}.",
        human_time(tz, late.tick, year),
        human_time(tz, e.made, year)
    );
    if late.missed > 0 {
        s.push_str(&format!(
            " Он заменяет {} {} и охватывает всё пропущенное время.",
            late.missed,
            plural(
                late.missed,
                [
                    "пропущенный выпуск",
                    "пропущенных выпуска",
                    "пропущенных выпусков"
                ]
            )
        ));
    }
    Some(s)
}

const EMPTY: &str = "За этот период нет ни одного сюжета, который подходит под эту сводку.";

fn counts(list: &[Count], base: &str) -> Markup {
    html! {
        ul {
            @for c in list {
                li {
                    @if let Some(n) = &c.name {
                        a href={ (base) "/topics/" (n) } { (c.title) }
                    } @else {
                        (c.title)
                    }
                    " — " (stories(c.stories)) ", " (agencies(c.agencies as usize))
                }
            }
        }
    }
}

/// The edition itself, for its page and its mail and feed bodies.
pub fn body(tz: Tz, e: &Edition, base: &str) -> Markup {
    let year = year_of(tz, e.until);
    html! {
        article.digest {
            h2 { (headline(tz, e)) }
            p.meta { "Главное " (span(tz, e)) }
            @if let Some(note) = late_note(tz, e) {
                p.late { strong { (note) } }
            }
            @if e.is_empty() {
                p { (EMPTY) }
            } @else {
                ol.stories {
                    @for s in &e.stories {
                        li.story {
                            h3 { a href={ (base) "/stories/" (s.id) } { (s.title) } }
                            p.meta {
                                strong.count { (agencies(s.agencies.len())) ", " (reports(s.reports)) ": " }
                                span.agencies { (s.agencies.join(", ")) }
                                " · "
                                time datetime=(iso_time(tz, s.published)) { (human_time(tz, s.published, year)) }
                                @if !s.topics.is_empty() {
                                    " · "
                                    @for (i, (n, t)) in s.topics.iter().enumerate() {
                                        @if i > 0 { ", " }
                                        a href={ (base) "/topics/" (n) } { (t) }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            @if !e.topics.is_empty() {
                h2 { "Главные темы" }
                (counts(&e.topics, base))
            }
            @if !e.names.is_empty() {
                h2 { "Кого и что называли" }
                (counts(&e.names, base))
            }
        }
    }
}

/// The edition as a page of the site.
pub fn page(e: &Edition, site: &crate::pages::Site) -> String {
    let tz = site.tz;
    let base = &site.base;
    let body = html! {
        (body(tz, e, base))
        p.meta {
            a href={ (base) "/digests/" (e.digest) } { "Все выпуски" }
            " · "
            a href={ (base) "/digests/" (e.digest) ".rss" } { "RSS" }
        }
    };
    crate::pages::render_framed(site, &format!("{} — Сводка", headline(tz, e)), body)
}

/// One edition in the archive: (key, headline, stories, late, sent state).
pub struct ArchiveRow {
    pub key: String,
    pub headline: String,
    pub stories: usize,
    pub late: bool,
}

/// The archive page: every edition, newest first.
pub fn archive(title: &str, name: &str, rows: &[ArchiveRow], site: &crate::pages::Site) -> String {
    let base = &site.base;
    let body = html! {
        h2 { (title) }
        p.meta {
            "Выпуски сводки, новые сверху. Подписаться: "
            a href={ (base) "/digests/" (name) ".rss" } { "RSS" } " · "
            a href={ (base) "/digests/" (name) ".atom" } { "Atom" } " · "
            a href={ (base) "/digests/" (name) ".json" } { "JSON Feed" }
        }
        @if rows.is_empty() {
            p { "Выпусков пока нет: первый выйдет по расписанию." }
        }
        ul.feeds {
            @for r in rows {
                li {
                    a href={ (base) "/digests/" (name) "/" (r.key) } { (r.headline) }
                    " — " (stories(r.stories as u64))
                    @if r.late { " (запоздал)" }
                }
            }
        }
    };
    crate::pages::render_framed(site, &format!("{title} — Сводка"), body)
}

/// A whole HTML document with its own small stylesheet: a mail's HTML part, a feed item's
/// content.
pub fn document(tz: Tz, e: &Edition, base: &str) -> String {
    html! {
        (DOCTYPE)
        html lang="ru" {
            head {
                meta charset="utf-8";
                title { (headline(tz, e)) }
                style { (PreEscaped(MAIL_CSS)) }
            }
            body {
                (body(tz, e, base))
                p.meta { a href={ (base) "/digests/" (e.digest) "/" (e.key) } { "Этот выпуск на сайте" } }
            }
        }
    }
    .into_string()
}

/// The inner HTML only (no `<html>`): what a feed item carries as its content.
pub fn fragment(tz: Tz, e: &Edition, base: &str) -> String {
    body(tz, e, base).into_string()
}

const MAIL_CSS: &str = "body{font:15px/1.5 Arial,sans-serif;color:#1d1d1f;max-width:46rem}\
a{color:#1f5fa8}h3{margin:.2rem 0;font-size:1rem}.meta{color:#6b6b70;font-size:.9rem;margin:0}\
.late{background:#fff4d6;padding:.4rem}li.story{margin:.5rem 0}";

/// Plain text: the mail's text part, `svodka digest --format text`.
pub fn text(tz: Tz, e: &Edition, base: &str) -> String {
    let year = year_of(tz, e.until);
    let mut s = format!("{}\nГлавное {}\n", headline(tz, e), span(tz, e));
    if let Some(note) = late_note(tz, e) {
        s.push_str(&format!("\n{note}\n"));
    }
    s.push('\n');
    if e.is_empty() {
        s.push_str(EMPTY);
        s.push('\n');
    }
    for (i, st) in e.stories.iter().enumerate() {
        s.push_str(&format!(
            "{}. {}\n   {}, {}: {}\n   {}{}\n   {}/stories/{}\n\n",
            i + 1,
            st.title,
            agencies(st.agencies.len()),
            reports(st.reports),
            st.agencies.join(", "),
            human_time(tz, st.published, year),
            if st.topics.is_empty() {
                String::new()
            } else {
                let t: Vec<&str> = st.topics.iter().map(|(_, t)| t.as_str()).collect();
                format!(" · {}", t.join(", "))
            },
            base,
            st.id
        ));
    }
    for (title, list) in [
        ("Главные темы", &e.topics),
        ("Кого и что называли", &e.names),
    ] {
        if !list.is_empty() {
            s.push_str(&format!("{title}:\n"));
            for c in list {
                s.push_str(&format!(
                    "  {} — {}, {}\n",
                    c.title,
                    stories(c.stories),
                    agencies(c.agencies as usize)
                ));
            }
            s.push('\n');
        }
    }
    s.push_str(&format!("{base}/digests/{}/{}\n", e.digest, e.key));
    s
}

/// Markdown, for pasting into a chat or a wiki.
pub fn markdown(tz: Tz, e: &Edition, base: &str) -> String {
    let esc = |t: &str| {
        t.chars()
            .flat_map(|c| {
                let special = matches!(c, '\\' | '`' | '*' | '_' | '[' | ']' | '#' | '<' | '>');
                special
                    .then_some('\\')
                    .into_iter()
                    .chain(std::iter::once(c))
            })
            .collect::<String>()
    };
    let year = year_of(tz, e.until);
    let mut s = format!("# {}\n\nГлавное {}\n\n", esc(&headline(tz, e)), span(tz, e));
    if let Some(note) = late_note(tz, e) {
        s.push_str(&format!("> {note}\n\n"));
    }
    if e.is_empty() {
        s.push_str(EMPTY);
        s.push_str("\n\n");
    }
    for (i, st) in e.stories.iter().enumerate() {
        s.push_str(&format!(
            "{}. [{}]({}/stories/{}) — **{}, {}**: {} · {}\n",
            i + 1,
            esc(&st.title),
            base,
            st.id,
            agencies(st.agencies.len()),
            reports(st.reports),
            esc(&st.agencies.join(", ")),
            human_time(tz, st.published, year)
        ));
    }
    if !e.stories.is_empty() {
        s.push('\n');
    }
    for (title, list) in [
        ("Главные темы", &e.topics),
        ("Кого и что называли", &e.names),
    ] {
        if !list.is_empty() {
            s.push_str(&format!("## {title}\n\n"));
            for c in list {
                s.push_str(&format!(
                    "- {} — {}, {}\n",
                    esc(&c.title),
                    stories(c.stories),
                    agencies(c.agencies as usize)
                ));
            }
            s.push('\n');
        }
    }
    s
}

/// A digest's feed: one entry per edition, its whole HTML as the content (newest first).
pub fn feed_view(
    cfg: &crate::config::Config,
    d: &super::config::Digest,
    editions: &[Edition],
    ext: &str,
) -> crate::publish::View {
    let base = &cfg.server.base_url;
    let tz = cfg.server.timezone;
    let items = editions
        .iter()
        .map(|e| {
            let page = format!("{base}/digests/{}/{}", e.digest, e.key);
            let lead = e.stories.first().map_or_else(
                || "Сюжетов за период нет.".to_string(),
                |s| format!("Главное: {}", s.title),
            );
            crate::model::Entry {
                id: e.until,
                story: 0,
                guid: page.clone(),
                source: String::new(),
                link: Some(page),
                title: headline(tz, e),
                summary: Some(
                    html_escape::encode_text(&format!(
                        "{}. {lead}",
                        stories(e.stories.len() as u64)
                    ))
                    .into_owned(),
                ),
                content: Some(fragment(tz, e, base)),
                author: Some(d.title.clone()),
                image: None,
                published: e.made,
                updated: e.made,
                edited: None,
                topics: Vec::new(),
                others: Vec::new(),
                related: Vec::new(),
            }
        })
        .collect();
    crate::publish::View {
        title: d.title.clone(),
        description: format!("{} — выпуски сводки svodka", d.title),
        self_url: format!("{base}/digests/{}.{ext}", d.name),
        site_url: format!("{base}/"),
        items,
        sources: Default::default(),
        topics: Default::default(),
    }
}
