//! The pages' HTML: maud templates over the plain structs of `pages`. One small stylesheet
//! inside each page, no JavaScript, readable on a phone.

use maud::{DOCTYPE, Markup, PreEscaped, html};

use super::{
    FoundRow, Front, Health, HealthRow, SearchPage, Site, SourcesPage, StoryPage, StoryRow,
    TopicPage, TopicTag, human_day, human_time, iso_time, stories_word, year_of,
};
use crate::publish::Format;
use chrono_tz::Tz;

const CSS: &str = r#"
:root{--fg:#1d1d1f;--muted:#6b6b70;--line:#e3e3e6;--accent:#1f5fa8;--bad:#b3261e;--warn:#8a5a00;--bg:#fff;--tag:#eef3fa}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--fg);font:16px/1.5 -apple-system,"Segoe UI",Roboto,"PT Sans",Arial,sans-serif}
main,header,footer{max-width:48rem;margin:0 auto;padding:0 1rem}
header{padding-top:1rem;border-bottom:3px solid var(--fg)}
header h1{margin:0;font-size:1.8rem;letter-spacing:.02em}
header h1 a{color:inherit;text-decoration:none}
header p{margin:.2rem 0 .6rem;color:var(--muted)}
nav a{margin-right:1rem}
a{color:var(--accent)}
h2{font-size:1.15rem;margin:1.6rem 0 .6rem;text-transform:uppercase;letter-spacing:.04em}
.themes{display:flex;flex-wrap:wrap;gap:.4rem;list-style:none;padding:0;margin:0}
.themes li a,.themes li span{display:inline-block;padding:.25rem .7rem;border-radius:1rem;background:var(--tag);text-decoration:none}
.themes .name a,.themes .name span{background:#f3f3f5;color:var(--fg)}
.themes small{color:var(--muted)}
.story{padding:.7rem 0;border-bottom:1px solid var(--line)}
.story-page h2{text-transform:none;letter-spacing:0;font-size:1.4rem;line-height:1.3}
td.agency{font-weight:600}
.story h3{margin:0;font-size:1.05rem;line-height:1.35}
.story h3 a{color:var(--fg);text-decoration:none}
.story h3 a:hover{text-decoration:underline}
.meta{margin:.2rem 0 0;color:var(--muted);font-size:.9rem}
.meta .count{color:var(--fg);font-weight:600}
#top{background:#f6f8fb;margin:0 -1rem;padding:.1rem 1rem .4rem;border-radius:.4rem}
.tags a{font-size:.8rem;padding:.05rem .45rem;border-radius:.6rem;background:var(--tag);text-decoration:none}
.health{list-style:none;padding:0;margin:0;display:flex;flex-wrap:wrap;gap:.3rem;font-size:.85rem}
.health li{padding:.15rem .55rem;border-radius:.3rem;background:#edf7ee}
.health li.failing{background:#fde8e6;color:var(--bad);flex-basis:100%}
.health li.stale{background:#fff4d6;color:var(--warn);flex-basis:100%}
.health li.gone{background:#eee;color:var(--muted);flex-basis:100%;text-decoration:line-through}
.health li.never,.health li.disabled{background:#f3f3f5;color:var(--muted)}
.health .why{display:block;font-size:.8rem;word-break:break-word}
table{width:100%;border-collapse:collapse;font-size:.9rem}
th,td{text-align:left;vertical-align:top;padding:.4rem .3rem;border-bottom:1px solid var(--line)}
.err{color:var(--bad);word-break:break-word}
tr.failing td:first-child{border-left:4px solid var(--bad)}
tr.stale td:first-child{border-left:4px solid var(--warn)}
tr.gone td:first-child{border-left:4px solid var(--muted)}
.feeds{padding-left:1.1rem}
.feeds li{margin:.2rem 0}
form.search{display:flex;gap:.4rem;margin:.2rem 0 .7rem}
form.search input{flex:1;min-width:0;font:inherit;padding:.3rem .5rem;border:1px solid #b9b9bf;border-radius:.3rem}
form.search button{font:inherit;padding:.3rem .8rem;border:1px solid var(--accent);background:var(--accent);color:#fff;border-radius:.3rem}
mark{background:#fff1a8;color:inherit;padding:0 .05em}
.snippet{margin:.25rem 0 0;font-size:.95rem}
.notice{padding:.6rem .8rem;border-radius:.4rem;background:#fde8e6;color:var(--bad)}
.hint{color:var(--muted);font-size:.9rem}
footer{margin-top:2rem;padding-bottom:2rem;color:var(--muted);font-size:.85rem}
@media (max-width:40rem){body{font-size:15px}header h1{font-size:1.5rem}table,tbody,tr,td{display:block}thead{display:none}td{border:0;padding:.1rem 0}tr{padding:.5rem 0;border-bottom:1px solid var(--line)}}
"#;

fn mime(f: Format) -> &'static str {
    f.content_type().split(';').next().unwrap_or("")
}

/// The frame of every page: head with autodiscovery for `feeds`, header, footer.
fn page(site: &Site, title: &str, own_feeds: bool, body: Markup) -> String {
    page_with(site, title, own_feeds, "", body)
}

/// [`page`] with the search box holding `q`.
fn page_with(site: &Site, title: &str, own_feeds: bool, q: &str, body: Markup) -> String {
    html! {
        (DOCTYPE)
        html lang="ru" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) }
                // Every feed in every format, so a reader pointed at any page finds them.
                @if own_feeds {
                    @for f in &site.feeds {
                        @for (format, url) in &f.urls {
                            link rel="alternate" type=(mime(*format)) title=(f.title) href=(url);
                        }
                    }
                }
                style { (PreEscaped(CSS)) }
            }
            body {
                header {
                    h1 { a href="/" { "Сводка" } }
                    p { "региональные новости: каждая история один раз, со всеми агентствами" }
                    nav { a href="/" { "Главная" } a href="/sources" { "Источники" } a href={ (site.base) "/opml" } { "OPML" } }
                    // A plain GET form: searching needs no JavaScript.
                    @if site.search {
                        form.search action="/search" method="get" role="search" {
                            input type="search" name="q" value=(q) maxlength="512" aria-label="Поиск"
                                placeholder="Поиск: Химки, \"фраза\", -слово, source:, since:2026-12-01";
                            button type="submit" { "Найти" }
                        }
                    }
                }
                main { (body) }
                footer {
                    "svodka " (env!("CARGO_PKG_VERSION")) " · "
                    @if site.tz == chrono_tz::Tz::Europe__Moscow { "время московское" } @else { "время: " (site.tz.name()) }
                }
            }
        }
    }
    .into_string()
}

fn tag_list(topics: &[TopicTag]) -> Markup {
    html! {
        @if !topics.is_empty() {
            " · "
            span.tags {
                @for t in topics { a href={ "/topics/" (t.name) } { (t.title) } " " }
            }
        }
    }
}

/// A story's line under its headline: when, how many agencies and which, its topics.
fn story_meta(tz: Tz, s: &StoryRow, year: i32) -> Markup {
    html! {
        p.meta {
            time datetime=(iso_time(tz, s.published)) { (human_time(tz, s.published, year)) }
            " · "
            @if s.agencies.len() > 1 {
                strong.count { (s.agencies.len()) " " (agencies_word(s.agencies.len())) ": " }
            }
            span.agencies { (s.agencies.join(", ")) }
            (tag_list(&s.topics))
        }
    }
}

/// The stories, or `empty` when there are none.
fn story_list(tz: Tz, stories: &[StoryRow], year: i32, empty: Markup) -> Markup {
    html! {
        @for s in stories {
            article.story {
                h3 { a href={ "/stories/" (s.id) } { (s.title) } }
                (story_meta(tz, s, year))
            }
        }
        @if stories.is_empty() { (empty) }
    }
}

/// Why the bulletin lists no story, as far as the sources tell: none configured, none fetched
/// yet, or every one failing (then with each one's reason).
fn no_stories(health: &[HealthRow]) -> Markup {
    let polled: Vec<&HealthRow> = health
        .iter()
        .filter(|h| h.health != Health::Disabled)
        .collect();
    html! {
        @if polled.is_empty() {
            p.meta { "Источников нет: добавьте [[source]] в конфигурацию." }
        } @else if polled.iter().all(|h| h.health.is_trouble()) {
            p.err { "Источники не отвечают:" }
            ul.err {
                @for h in &polled {
                    li { (h.title) " — " (h.reason.as_deref().unwrap_or(h.health.label())) }
                }
            }
        } @else if polled.iter().any(|h| h.health == Health::Never) {
            p.meta { "Пока ничего: агентства ещё не загружены." }
        } @else {
            p.meta { "Пока ничего: агентства не прислали новостей." }
        }
    }
}

fn health_item(h: &HealthRow) -> Markup {
    html! {
        li class=(h.health.class()) title=(h.url) {
            (h.title) " — " (h.health.label())
            @if h.health.is_trouble() {
                @if let Some(e) = &h.reason { span.why { (e) } }
            }
        }
    }
}

fn subscribe(site: &Site) -> Markup {
    html! {
        ul.feeds {
            @for f in &site.feeds {
                li {
                    @if f.topic { "тема: " } @else { "лента: " }
                    (f.title) " — "
                    @for (i, (format, url)) in f.urls.iter().enumerate() {
                        @if i > 0 { " · " }
                        a href=(url) type=(mime(*format)) { (format.ext()) }
                    }
                }
            }
            li { a href={ (site.base) "/opml" } { "OPML: подписаться на все ленты сразу" } }
        }
    }
}

/// `/`.
pub fn render_front(f: &Front) -> String {
    let tz = f.site.tz;
    let year = year_of(tz, f.week_ends);
    let body = html! {
        section #themes {
            h2 { "Главные темы недели" @if f.quiet { " (по " (human_day(tz, f.week_ends)) ")" } }
            @if f.topics.is_empty() && f.names.is_empty() {
                p.meta { "За неделю тем не набралось." }
            } @else {
                ul.themes {
                    @for t in &f.topics {
                        li.topic { a href={ "/topics/" (t.name) } { (t.title) } " " small { (t.stories) " " (stories_word(t.stories)) } }
                    }
                    @for n in &f.names {
                        li.name {
                            @if let Some(id) = n.story {
                                a href={ "/stories/" (id) } { (n.term) }
                            } @else {
                                span { (n.term) }
                            }
                            " " small { (n.stories) " " (stories_word(n.stories)) }
                        }
                    }
                }
            }
        }
        @if !f.top.is_empty() {
            section #top {
                h2 { "Главное: писали несколько агентств" }
                (story_list(tz, &f.top, year, html! {}))
            }
        }
        section #stories {
            h2 { "Последние новости" }
            (story_list(tz, &f.stories, year, no_stories(&f.health)))
        }
        section #health {
            h2 { "Источники" }
            ul.health { @for h in &f.health { (health_item(h)) } }
            p.meta { a href="/sources" { "Подробно об источниках →" } }
        }
        section #subscribe {
            h2 { "Подписаться" }
            (subscribe(&f.site))
        }
    };
    page(&f.site, "Сводка — региональные новости", true, body)
}

/// `/topics/NAME`.
pub fn render_topic(t: &TopicPage) -> String {
    let tz = t.site.tz;
    let year = t.stories.first().map_or(2026, |s| year_of(tz, s.published));
    let body = html! {
        h2 { "Тема: " (t.title) }
        p.meta {
            "Ключевые слова: " (t.keywords.join(", ")) ". Подписаться: "
            @for (i, (format, url)) in t.feed.urls.iter().enumerate() {
                @if i > 0 { " · " }
                a href=(url) type=(mime(*format)) { (format.ext()) }
            }
        }
        @if t.pending {
            p.meta.pending { "Тема добавлена недавно: svodka размечает сохранённые новости, они появятся здесь в ближайшие минуты." }
        }
        @let empty = html! { @if !t.pending { p.meta { "Новостей на эту тему пока нет." } } };
        section #stories { (story_list(tz, &t.stories, year, empty)) }
    };
    // This page announces its own feed first, then the rest.
    let mut site = t.site.clone();
    site.feeds.sort_by_key(|f| f.urls != t.feed.urls);
    page(&site, &format!("{} — Сводка", t.title), true, body)
}

/// `/stories/ID`.
pub fn render_story(s: &StoryPage) -> String {
    let tz = s.site.tz;
    let year = s.reports.first().map_or(2026, |r| year_of(tz, r.published));
    let body = html! {
        article.story-page {
            h2 { (s.title) }
            @if !s.topics.is_empty() {
                p.meta { "Темы" (tag_list(&s.topics)) }
            }
            p.meta { (s.reports.len()) " " (agencies_word(s.reports.len())) }
            table #reports {
                thead { tr { th { "Агентство" } th { "Заголовок" } th { "Время" } } }
                tbody {
                    @for r in &s.reports {
                        tr {
                            td.agency { (r.agency) }
                            td {
                                @let text = r.title.as_deref().unwrap_or("тот же текст");
                                @if let Some(l) = &r.link { a href=(l) rel="nofollow" { (text) } } @else { (text) }
                            }
                            td {
                                time datetime=(iso_time(tz, r.published)) { (human_time(tz, r.published, year)) }
                                // A copy has no date of its own here: this is when svodka saw it.
                                @if r.title.is_none() { " " small { "(получено)" } }
                            }
                        }
                    }
                }
            }
            // Other events of the same affair: related, never merged.
            @if !s.related.is_empty() {
                section #storyline {
                    h2 { "Развитие сюжета" }
                    (story_list(tz, &s.related, year, html! {}))
                }
            }
        }
    };
    page(&s.site, &format!("{} — Сводка", s.title), false, body)
}

fn marked(parts: &[(String, bool)]) -> Markup {
    html! {
        @for (text, hit) in parts {
            @if *hit { mark { (text) } } @else { (text) }
        }
    }
}

fn found_row(tz: Tz, f: &FoundRow, year: i32) -> Markup {
    let s = &f.story;
    html! {
        article.story {
            h3 { a href={ "/stories/" (s.id) } { (marked(&f.title)) } }
            @if !f.snippet.is_empty() { p.snippet { (marked(&f.snippet)) } }
            (story_meta(tz, s, year))
        }
    }
}

/// `/search?q=…`.
pub fn render_search(p: &SearchPage) -> String {
    let tz = p.site.tz;
    let year = p
        .found
        .first()
        .map_or(2026, |f| year_of(tz, f.story.published));
    let body = html! {
        h2 { "Поиск" }
        @if let Some(e) = &p.error {
            p.notice #error { "Запрос не понят: " (e) }
        }
        @if p.q.trim().is_empty() {
            p.hint { "Слова в любой форме («Химки» найдёт «в Химках»), \"фраза в кавычках\", -слово, чтобы исключить, губерн* для начала слова; фильтры source:, region:, topic:, since:2026-12-01, until:…; sort:date — по времени." }
        } @else if p.error.is_none() {
            p.meta {
                @if p.found.is_empty() { "Ничего не нашлось." } @else {
                    (p.found.len()) " " (stories_word(p.found.len() as u64))
                    @if p.capped { " (лучшие из найденного)" }
                    @if p.by_date { ", новые сверху" } @else { ", самые подходящие сверху" }
                    "."
                }
                @if let Some(f) = &p.feed {
                    " Подписаться на этот поиск: "
                    @for (i, (format, url)) in f.urls.iter().enumerate() {
                        @if i > 0 { " · " }
                        a href=(url) type=(mime(*format)) { (format.ext()) }
                    }
                }
            }
            @if let Some(n) = p.building {
                p.hint { "Индекс ещё строится для старых материалов (осталось примерно " (n) "): найдено не всё." }
            }
            section #found { @for f in &p.found { (found_row(tz, f, year)) } }
        }
    };
    let mut site = p.site.clone();
    if let Some(f) = &p.feed {
        site.feeds.insert(0, f.clone());
    }
    let title = if p.q.trim().is_empty() {
        "Поиск — Сводка".to_string()
    } else {
        format!("{} — поиск — Сводка", p.q)
    };
    page_with(&site, &title, true, &p.q, body)
}

/// The page of a 404: what was not found, in Russian, and the way back. `what` is «Такой
/// темы нет» and the like; `topics` lists the configured topics (name, title) to pick from.
pub fn render_not_found(site: &Site, what: &str, topics: &[(String, String)]) -> String {
    let body = html! {
        h2 { "Страница не найдена" }
        p { (what) }
        @if !topics.is_empty() {
            p.meta { "Темы: "
                @for (i, (name, title)) in topics.iter().enumerate() {
                    @if i > 0 { ", " }
                    a href={ "/topics/" (name) } { (title) }
                }
            }
        }
        p { a href="/" { "← На главную" } " · " a href="/sources" { "Источники" } " · " a href={ (site.base) "/opml" } { "Все ленты (OPML)" } }
    };
    page(site, "Страница не найдена — Сводка", false, body)
}

/// «1 агентство», «3 агентства», «5 агентств».
fn agencies_word(n: usize) -> &'static str {
    crate::text::plural(n as u64, ["агентство", "агентства", "агентств"])
}

/// `/sources`.
pub fn render_sources(p: &SourcesPage) -> String {
    let year = p
        .rows
        .iter()
        .filter_map(|r| r.last_fetch)
        .max()
        .map_or(2026, |t| year_of(p.site.tz, t));
    let when =
        |t: Option<i64>| t.map_or_else(|| "—".to_string(), |t| human_time(p.site.tz, t, year));
    let body = html! {
        h2 { "Источники" }
        table #sources {
            thead { tr { th { "Агентство" } th { "Состояние" } th { "Загрузка" } th { "Материалов" } } }
            tbody {
                @for r in &p.rows {
                    tr class=(r.health.class()) {
                        td { (r.title) br; small { a href=(r.url) rel="nofollow" { (r.name) } } }
                        td {
                            (r.health.label())
                            @if let Some(s) = r.status { " · HTTP " (s) }
                            @if r.error_streak > 0 { " · ошибок подряд: " (r.error_streak) }
                            @if let Some(e) = &r.error { br; span.err { (e) } }
                            @if let Some(m) = &r.moved_to { br; small { "переехал: " (m) } }
                        }
                        td { "последняя: " (when(r.last_fetch)) br; "успешная: " (when(r.last_success)) }
                        td { (r.items) }
                    }
                }
            }
        }
        @if !p.deliveries.is_empty() {
            h2 { "Доставка" }
            table #deliveries {
                tbody {
                    @for d in &p.deliveries {
                        tr class=(if d.failing { "failing" } else { "ok" }) {
                            td { (d.name) }
                            td {
                                (d.state)
                                @if let Some(e) = &d.error { br; span.err { (e) } }
                            }
                        }
                    }
                }
            }
        }
    };
    page(&p.site, "Источники — Сводка", false, body)
}

/// Another module's page in the site's frame (header, stylesheet, footer): a digest's
/// edition and archive.
pub fn render_framed(site: &Site, title: &str, body: Markup) -> String {
    page(site, title, false, body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pages::{FeedLinks, Health, HealthRow, StoryRow, TopicPage};
    use crate::publish::Target;

    fn front(title: &str, quiet: bool) -> Front {
        let site = Site {
            base: "https://news.example".into(),
            tz: Tz::Europe__Moscow,
            feeds: vec![FeedLinks::new(
                "https://news.example",
                &Target::Feed("all".into()),
                "Все новости",
            )],
            search: true,
        };
        Front {
            site,
            // 2026-11-28 12:00 Moscow time.
            week_ends: 1_795_856_400,
            quiet,
            topics: vec![],
            names: vec![],
            top: vec![],
            stories: vec![StoryRow {
                id: 7,
                title: title.into(),
                agencies: vec!["Курьер Придонья".into(), "Липецкий телеграф".into()],
                published: 1_795_856_400,
                topics: vec![],
            }],
            health: vec![HealthRow {
                name: "belgorod".into(),
                title: "Белгородская правда".into(),
                url: "https://belgorod.example/rss".into(),
                health: Health::Failing,
                error: Some("HTTP 502".into()),
                reason: Some("ошибка на сервере (502)".into()),
                status: Some(502),
                error_streak: 3,
                last_fetch: Some(1_795_856_000),
                last_success: None,
                items: 0,
                moved_to: None,
            }],
        }
    }

    #[test]
    fn text_from_feeds_is_escaped_and_a_quiet_week_names_its_day() {
        let html = render_front(&front("<script>alert(1)</script> «Кризис» & итоги", true));
        assert!(!html.contains("<script"), "{html}");
        assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt; «Кризис» &amp; итоги"));
        assert!(
            html.contains("Главные темы недели (по 28 ноября)"),
            "{html}"
        );
        assert!(html.contains("2 агентства: "));
        assert!(html.contains("<li class=\"failing\""), "{html}");
        assert!(html.contains("ошибка на сервере (502)"));
        let fresh = render_front(&front("Итоги недели", false));
        assert!(fresh.contains("Главные темы недели</h2>"), "{fresh}");
    }

    #[test]
    fn a_topic_being_tagged_says_so_and_an_empty_one_says_it_has_nothing() {
        let f = front("Итоги", false);
        let mut t = TopicPage {
            feed: FeedLinks::new(
                "https://news.example",
                &Target::Topic("fires".into()),
                "Пожары",
            ),
            site: f.site,
            name: "fires".into(),
            title: "Пожары".into(),
            keywords: vec!["пожар".into()],
            stories: vec![],
            pending: true,
        };
        let html = render_topic(&t);
        assert!(
            html.contains("svodka размечает сохранённые новости"),
            "{html}"
        );
        assert!(!html.contains("пока нет"), "{html}");
        t.pending = false;
        let html = render_topic(&t);
        assert!(html.contains("Новостей на эту тему пока нет."), "{html}");
        assert!(!html.contains("ещё не загружены"), "{html}");
    }
}
