//! Search through the real binary: `/search`, the saved search's feeds, `[[feed]] query`,
//! `svodka search`, the index built for an older database, and retention.

use scraper::{Html, Selector};

use crate::daemon::{install_crypto, spawn, until};
use crate::feeds::{item, rss};
use crate::harness::{App, Origin, Route, config, titles};

const SCHOOL_KHIMKI: &str = "В Химках открыли новую школу";
const FIRE: &str = "Пожар на складе в Подольске потушили";
const GOVERNOR: &str = "Губернатора Липецкой области наградили";
const SCHOOL_ELETS: &str = "Новая школа откроется в Ельце";
const ROSTOV: &str = "Делегация из Ростова-на-Дону приехала в Липецк";

/// Two regions' agencies and the config: a topic, and a feed that is a search.
async fn agencies() -> (Origin, App) {
    install_crypto();
    let o = Origin::start().await;
    o.route(
        "/mosreg.xml",
        Route::ok(
            rss(&[
                item(SCHOOL_KHIMKI).guid("m1").desc(
                    "Школу на 1100 мест построили за два года. На открытии выступил губернатор.",
                ),
                item(FIRE).guid("m2").desc(
                    "Сотрудники МЧС ликвидировали возгорание на площади 200 квадратных метров.",
                ),
            ]),
            "application/rss+xml",
        ),
    );
    o.route(
        "/lipetsk.xml",
        Route::ok(
            rss(&[
                item(GOVERNOR)
                    .guid("l1")
                    .desc("Игорь Артамонов получил орден за заслуги перед областью."),
                item(SCHOOL_ELETS)
                    .guid("l2")
                    .desc("Строительство завершат к сентябрю, в ней будут учиться 800 детей."),
                item(ROSTOV)
                    .guid("l3")
                    .desc("Гости из Ростова-на-Дону осмотрели новый завод."),
            ]),
            "application/rss+xml",
        ),
    );
    let mut cfg = config(&[], "");
    cfg = cfg.replace("\n[[feed]]\nname = \"all\"\ntitle = \"Все новости\"\n", "");
    cfg.push_str(&format!(
        "[[source]]\nname = \"mosreg\"\ntitle = \"Подмосковье сегодня\"\nurl = \"{}\"\nregion = \"moscow\"\n\n\
         [[source]]\nname = \"lipetsk\"\ntitle = \"Липецкие вести\"\nurl = \"{}\"\nregion = \"lipetsk\"\n\n\
         [[topic]]\nname = \"schools\"\ntitle = \"Школы\"\nkeywords = [\"школа\"]\n\n\
         [[feed]]\nname = \"all\"\ntitle = \"Все новости\"\n\n\
         [[feed]]\nname = \"lipetsk-schools\"\ntitle = \"Школы Липецкой области\"\nquery = \"школа region:lipetsk\"\n",
        o.url("/mosreg.xml"),
        o.url("/lipetsk.xml")
    ));
    (o, App::new(&cfg))
}

fn sel(s: &str) -> Selector {
    Selector::parse(s).unwrap()
}

/// The headlines a search page lists, as a reader reads them.
fn found(page: &str) -> Vec<String> {
    let html = Html::parse_document(page);
    html.select(&sel("#found article h3"))
        .map(|h| h.text().collect::<String>())
        .collect()
}

/// (status, body) of `/search?q=…`.
async fn search(base: &str, q: &str) -> (u16, String) {
    let url = reqwest::Url::parse_with_params(&format!("{base}/search"), [("q", q)]).unwrap();
    let r = reqwest::get(url).await.unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

async fn headlines(base: &str, q: &str) -> Vec<String> {
    let (status, body) = search(base, q).await;
    assert_eq!(status, 200, "{q}: {body}");
    let mut f = found(&body);
    f.sort();
    f
}

fn sorted(v: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = v.iter().map(|s| s.to_string()).collect();
    v.sort();
    v
}

#[tokio::test]
async fn any_form_of_a_word_is_found_and_phrases_exclusions_and_filters_hold() {
    let (_o, app) = agencies().await;
    let d = spawn(&["run"], Some(&app)).await;
    let base = d.base.clone();
    until(&format!("{base}/feeds/all.rss"), |b| {
        b.contains(SCHOOL_KHIMKI) && b.contains(ROSTOV)
    })
    .await;

    // «Химки» finds «в Химках», marked in the headline.
    let (_, page) = search(&base, "Химки").await;
    assert_eq!(found(&page), [SCHOOL_KHIMKI]);
    assert!(page.contains("<mark>Химках</mark>"), "{page}");
    // Every form of «школа»: «школу», «школа».
    assert_eq!(
        headlines(&base, "школы").await,
        sorted(&[SCHOOL_KHIMKI, SCHOOL_ELETS])
    );
    assert_eq!(
        headlines(&base, "губернатор").await,
        sorted(&[SCHOOL_KHIMKI, GOVERNOR])
    );
    assert_eq!(headlines(&base, "МЧС").await, [FIRE]);
    assert_eq!(headlines(&base, "мчс").await, [FIRE]);
    // A hyphenated name, in another case than the text's.
    assert_eq!(headlines(&base, "Ростов-на-Дону").await, [ROSTOV]);
    // A phrase: its words in a row, in any form; not the same words apart.
    assert_eq!(
        headlines(&base, "\"новая школа\"").await,
        sorted(&[SCHOOL_KHIMKI, SCHOOL_ELETS])
    );
    assert_eq!(headlines(&base, "открыли школу").await, [SCHOOL_KHIMKI]);
    assert!(headlines(&base, "\"открыли школу\"").await.is_empty());
    // Exclusion and prefix.
    assert_eq!(headlines(&base, "школа -Елец").await, [SCHOOL_KHIMKI]);
    assert_eq!(
        headlines(&base, "губерн*").await,
        sorted(&[SCHOOL_KHIMKI, GOVERNOR])
    );
    // Filters.
    assert_eq!(
        headlines(&base, "школа region:lipetsk").await,
        [SCHOOL_ELETS]
    );
    assert_eq!(
        headlines(&base, "школа source:mosreg").await,
        [SCHOOL_KHIMKI]
    );
    assert_eq!(
        headlines(&base, "губернатор topic:schools").await,
        [SCHOOL_KHIMKI]
    );
    assert!(headlines(&base, "школа since:2099-01-01").await.is_empty());
    assert_eq!(
        headlines(&base, "школа until:2099-01-01 sort:date")
            .await
            .len(),
        2
    );

    // Bad queries: a clear message on the page, 400 (414 past 512 bytes); never a 500 or
    // FTS5's own words.
    for (q, status, says) in [
        ("\"новая школа", 400, "кавычка не закрыта"),
        ("foo:bar школа", 400, "неизвестный фильтр «foo:»"),
        ("*", 400, "звёздочка"),
        ("-школа", 400, "в запросе нет слов"),
        ("source:nowhere школа", 400, "нет источника «nowhere»"),
        ("since:вчера школа", 400, "2026-12-01"),
    ] {
        let (s, page) = search(&base, q).await;
        assert_eq!(s, status, "{q}");
        let html = Html::parse_document(&page);
        let error: String = html
            .select(&sel("#error"))
            .next()
            .unwrap_or_else(|| panic!("{q}: no message on the page"))
            .text()
            .collect();
        assert!(error.contains(says), "{q}: {error}");
        assert!(!page.to_lowercase().contains("fts5"), "{q}");
        // The box keeps what the reader typed, to be corrected.
        let value = html
            .select(&sel("header form input[name=q]"))
            .next()
            .unwrap()
            .value()
            .attr("value")
            .unwrap()
            .to_string();
        assert_eq!(value, q);
    }
    let long = "школа ".repeat(100);
    assert_eq!(search(&base, &long).await.0, 414);

    // Every page has the search box, and none has JavaScript.
    for path in ["/", "/sources", "/search"] {
        let body = reqwest::get(format!("{base}{path}"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let html = Html::parse_document(&body);
        let form = html
            .select(&sel("header form[action='/search'][method=get]"))
            .next()
            .unwrap_or_else(|| panic!("{path}: no search box"));
        assert_eq!(form.select(&sel("input[name=q]")).count(), 1);
        assert_eq!(html.select(&sel("script")).count(), 0, "{path}");
    }

    // A saved search is a feed, with its validators and 304.
    let client = reqwest::Client::new();
    let feed = |ext: &str, q: &str| {
        reqwest::Url::parse_with_params(&format!("{base}/search.{ext}"), [("q", q)]).unwrap()
    };
    let r = client.get(feed("rss", "школа")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let etag = r.headers()["etag"].to_str().unwrap().to_string();
    let lm = r.headers()["last-modified"].to_str().unwrap().to_string();
    let mut t = titles(&r.text().await.unwrap());
    t.sort();
    assert_eq!(t, sorted(&[SCHOOL_KHIMKI, SCHOOL_ELETS]));
    let r = client
        .get(feed("rss", "школа"))
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 304);
    let r = client
        .get(feed("rss", "школа"))
        .header("if-modified-since", &lm)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 304);
    let json: serde_json::Value = serde_json::from_str(
        &client
            .get(feed("json", "Химки"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap(),
    )
    .unwrap();
    assert_eq!(json["items"].as_array().unwrap().len(), 1);
    assert_eq!(json["items"][0]["title"], SCHOOL_KHIMKI);
    let atom = client.get(feed("atom", "Химки")).send().await.unwrap();
    assert_eq!(atom.status(), 200);
    for (q, status) in [("\"школа", 400), ("foo:bar", 400), ("*", 400), ("", 400)] {
        let r = client.get(feed("rss", q)).send().await.unwrap();
        assert_eq!(r.status(), status, "{q}");
        let text = r.text().await.unwrap();
        assert!(!text.to_lowercase().contains("fts5"), "{q}: {text}");
    }
    let r = client.get(feed("rss", &long)).send().await.unwrap();
    assert_eq!(r.status(), 414);

    // A configured feed that is a search.
    let body = reqwest::get(format!("{base}/feeds/lipetsk-schools.rss"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(titles(&body), [SCHOOL_ELETS]);

    // The command line, as text and as JSON.
    let (code, out, err) = app.svodka(&["search", "школа -Елец"]).await;
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("В Химках открыли новую [школу]"), "{out}");
    assert!(!out.contains(SCHOOL_ELETS), "{out}");
    let (code, out, err) = app
        .svodka(&["search", "--format", "json", "--limit", "1", "губернатор"])
        .await;
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["stories"].as_array().unwrap().len(), 1);
    let (code, _, err) = app.svodka(&["search", "\"школа"]).await;
    assert_ne!(code, 0);
    assert!(err.contains("кавычка не закрыта"), "{err}");
    d.stop().await;
}

#[tokio::test]
async fn a_feed_query_that_does_not_parse_is_a_config_error() {
    let app = App::new(&config(
        &[("lipetsk", "http://127.0.0.1:1/feed.xml".into())],
        "[[feed]]\nname = \"bad\"\nquery = \"школа topic:nothing\"\n",
    ));
    let (code, _, err) = app.svodka(&["check"]).await;
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("feed[0].query") && err.contains("нет темы «nothing»"),
        "{err}"
    );
}

/// Opens the test's database beside the binary (as another process would).
fn db(app: &App) -> rusqlite::Connection {
    let c = rusqlite::Connection::open(app.dir.path().join("svodka.db")).unwrap();
    c.busy_timeout(std::time::Duration::from_secs(10)).unwrap();
    c
}

#[tokio::test]
async fn retention_takes_reports_out_of_search_results() {
    let (_o, app) = agencies().await;
    let (code, _, err) = app.svodka(&["fetch"]).await;
    assert_eq!(code, 0, "{err}");
    let (_, out, _) = app.svodka(&["search", "Химки"]).await;
    assert!(out.contains("открыли новую"), "{out}");
    // The Khimki report is now four months old.
    let old = chrono::Utc::now().timestamp() - 120 * 86_400;
    db(&app)
        .execute(
            "UPDATE items SET published = ?1, first_seen = ?1, updated = ?1 WHERE title = ?2",
            rusqlite::params![old, SCHOOL_KHIMKI],
        )
        .unwrap();
    // Retention runs when the daemon starts.
    let d = spawn(&["run"], Some(&app)).await;
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let (status, page) = search(&d.base, "школа").await;
        assert_eq!(status, 200);
        if found(&page) == [SCHOOL_ELETS] {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "{:?}", found(&page));
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let left: i64 = db(&app)
        .query_row(
            "SELECT count(*) FROM search WHERE search MATCH 'химки'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(left, 0, "the index keeps nothing of a removed report");
    d.stop().await;
}

#[tokio::test]
async fn an_older_database_is_indexed_in_batches_while_the_daemon_serves() {
    let (_o, app) = agencies().await;
    let (code, _, err) = app.svodka(&["fetch"]).await;
    assert_eq!(code, 0, "{err}");
    // As a database from before the index: its reports unindexed, the backfill to come.
    db(&app)
        .execute_batch(
            "DELETE FROM search;
             UPDATE search_backfill SET done = 0, upto = (SELECT max(id) FROM items);",
        )
        .unwrap();
    let (code, out, err) = app.svodka(&["search", "Химки"]).await;
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("nothing found"), "{out}");
    assert!(err.contains("still being built"), "{err}");
    let mut d = spawn(&["run"], Some(&app)).await;
    d.wait_log("search index: built (5 older reports)").await;
    assert_eq!(headlines(&d.base, "Химки").await, [SCHOOL_KHIMKI]);
    let (_, out, err) = app.svodka(&["search", "Химки"]).await;
    assert!(out.contains("открыли новую"), "{out}");
    assert!(!err.contains("still being built"), "{err}");
    d.stop().await;
}

#[tokio::test]
async fn an_edited_report_is_found_by_its_new_words_only() {
    install_crypto();
    let o = Origin::start().await;
    let feed = |title: &str, text: &str| {
        Route::ok(
            rss(&[item(title).guid("1").desc(text)]),
            "application/rss+xml",
        )
    };
    o.route(
        "/feed.xml",
        feed("Пожар в Ельце", "Горел склад на окраине города."),
    );
    let app = App::new(&config(&[("lipetsk", o.url("/feed.xml"))], ""));
    assert_eq!(app.svodka(&["fetch"]).await.0, 0);
    let (_, out, _) = app.svodka(&["search", "склад"]).await;
    assert!(out.contains("Пожар в Ельце"), "{out}");
    // The agency corrected its report: a garage, not a warehouse.
    o.route(
        "/feed.xml",
        feed("Пожар в Ельце потушили", "Горел гараж на окраине города."),
    );
    let (_, out, _) = app.svodka(&["fetch"]).await;
    assert!(out.contains("1 updated"), "{out}");
    let (_, out, _) = app.svodka(&["search", "склад"]).await;
    assert!(out.contains("nothing found"), "{out}");
    let (_, out, _) = app.svodka(&["search", "гаражи"]).await;
    assert!(out.contains("Пожар в Ельце потушили"), "{out}");
}
