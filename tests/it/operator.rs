//! The operator's first hour: what svodka says when something is new, missing or wrong — a
//! topic added by a reload, sources that all fail, an HTML page given as a feed.

use scraper::{Html, Selector};

use crate::daemon::{install_crypto, spawn, until, until_within};
use crate::feeds::{item, rss};
use crate::harness::{App, Origin, Route, config};

fn text_of(html: &str, selector: &str) -> String {
    let doc = Html::parse_document(html);
    doc.select(&Selector::parse(selector).unwrap())
        .flat_map(|e| e.text())
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// A port nothing listens on (bound, then let go).
fn closed_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A news site's front page, announcing its feed the way browsers and readers look for it.
const SITE_PAGE: &str = r#"<!DOCTYPE html>
<html lang="ru"><head><meta charset="utf-8"><title>Липецкий телеграф</title>
<link rel="alternate" type="application/rss+xml" title="Новости" href="/rss.xml">
</head><body><h1>Липецкий телеграф</h1></body></html>"#;

#[tokio::test]
async fn a_topic_added_by_a_reload_tags_the_stored_items_in_the_background() {
    install_crypto();
    let o = Origin::start().await;
    o.route(
        "/feed.xml",
        Route::ok(
            rss(&[
                item("Пожар на складе в Липецке потушили за час").guid("1"),
                item("В Воронеже открыли новый мост").guid("2"),
            ]),
            "application/rss+xml",
        ),
    );
    let sources = [("lipetsk", o.url("/feed.xml"))];
    let app = App::new(&config(&sources, ""));
    let mut d = spawn(&["run"], Some(&app)).await;
    until(&format!("{}/feeds/all.rss", d.base), |b| {
        b.contains("Пожар")
    })
    .await;

    // The feed does not change: only tagging what is stored can fill the topic.
    std::fs::write(
        app.config_path(),
        config(
            &sources,
            "[[topic]]\nname = \"fires\"\ntitle = \"Пожары\"\nkeywords = [\"пожар\"]\n",
        ),
    )
    .unwrap();
    d.signal("-HUP");
    d.wait_log("tagged 2 stored items for the topics fires; 1 has topics")
        .await;
    let page = until(&format!("{}/topics/fires", d.base), |b| b.contains("Пожар")).await;
    let stories = text_of(&page, "#stories");
    assert!(stories.contains("Пожар на складе"), "{stories}");
    assert!(!stories.contains("мост"), "{stories}");
    assert!(!page.contains("ещё не загружены"), "{page}");
    assert!(
        !page.contains("размечает"),
        "done, so no longer said: {page}"
    );
    let feed = until(&format!("{}/topics/fires.rss", d.base), |b| {
        b.contains("Пожар")
    })
    .await;
    assert!(!feed.contains("мост"), "{feed}");
    assert_eq!(d.stop().await, 0);
}

#[tokio::test]
async fn when_every_source_fails_the_bulletin_says_so_in_a_few_russian_words() {
    install_crypto();
    let o = Origin::start().await;
    o.route("/site", Route::ok(SITE_PAGE, "text/html; charset=utf-8"));
    let dead = format!("http://127.0.0.1:{}/rss", closed_port());
    let app = App::new(&config(
        &[
            ("missing", o.url("/gone.xml")),
            ("dead", dead),
            ("site", o.url("/site")),
        ],
        "",
    ));
    let d = spawn(&["run"], Some(&app)).await;
    // The bulletin follows the sources' health to the minute (a failed fetch changes no
    // data), so this may wait for the next minute.
    let page = until_within(&format!("{}/", d.base), 75, |b| {
        b.contains("Источники не отвечают") && b.contains("HTML-страница")
    })
    .await;
    let stories = text_of(&page, "#stories");
    assert!(!stories.contains("ещё не загружены"), "{stories}");
    for said in [
        "missing — страница не найдена (404)",
        "dead — сервер не отвечает",
        "site — не лента: HTML-страница",
    ] {
        assert!(stories.contains(said), "{said:?} in {stories}");
    }
    // The bulletin shows no error chains; /sources keeps the detail.
    assert!(!page.contains("tcp connect"), "{page}");
    let sources = reqwest::get(format!("{}/sources", d.base))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(sources.contains("HTTP 404"), "{sources}");
    assert!(
        sources.contains(&format!("announces a feed: {}", o.url("/rss.xml"))),
        "{sources}"
    );
    assert_eq!(d.stop().await, 0);
}

#[tokio::test]
async fn an_html_page_given_as_a_feed_names_the_feed_it_announces() {
    install_crypto();
    let o = Origin::start().await;
    o.route("/site", Route::ok(SITE_PAGE, "text/html; charset=utf-8"));
    let app = App::new(&config(&[("site", o.url("/site"))], ""));
    let (code, out, _) = app.svodka(&["fetch"]).await;
    assert_eq!(code, 0);
    let want = format!(
        "site: error: an HTML page, not a feed; the page announces a feed: {} (use it as the url)",
        o.url("/rss.xml")
    );
    assert!(out.contains(&want), "{out}");

    let (code, out, err) = crate::harness::run_svodka(None, &["inspect", &o.url("/site")]).await;
    assert_ne!(code, 0);
    assert!(
        out.contains(&format!("# announced feed: {}", o.url("/rss.xml"))),
        "{out}"
    );
    assert!(err.contains("an HTML page, not a feed"), "{err}");
}

#[tokio::test]
async fn a_cron_number_out_of_range_names_the_field_and_nicknames_are_accepted() {
    let bad = App::new(&config(&[], "[schedule]\ncron = \"61 * * * *\"\n"));
    let (code, _, err) = bad.svodka(&["check"]).await;
    assert_eq!(code, 2);
    assert!(
        err.contains(
            "`schedule.cron`: bad cron expression \"61 * * * *\": minute 61: must be 0–59"
        ),
        "{err}"
    );
    let hourly = App::new(&config(&[], "[schedule]\ncron = \"@hourly\"\n"));
    let (code, _, err) = hourly.svodka(&["check"]).await;
    assert_eq!(code, 0, "{err}");
}

#[tokio::test]
async fn a_missing_page_is_a_page_of_the_site_in_russian_with_links_back() {
    install_crypto();
    let o = Origin::start().await;
    o.route(
        "/feed.xml",
        Route::ok(rss(&[item("Новость").guid("1")]), "application/rss+xml"),
    );
    let app = App::new(&config(
        &[("lipetsk", o.url("/feed.xml"))],
        "[[topic]]\nname = \"fires\"\ntitle = \"Пожары\"\nkeywords = [\"пожар\"]\n",
    ));
    let d = spawn(&["run"], Some(&app)).await;
    for (path, said) in [
        ("/topics/sport", "Такой темы нет."),
        ("/topics/sport.rss", "Такой темы нет."),
        ("/feeds/nope.rss", "Такой ленты нет."),
        ("/stories/999999", "Такой истории нет"),
        ("/stories/abc", "Такой истории нет"),
        ("/nothing/here", "По этому адресу ничего нет."),
    ] {
        let r = reqwest::get(format!("{}{path}", d.base)).await.unwrap();
        assert_eq!(r.status(), 404, "{path}");
        assert!(
            r.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/html"),
            "{path}"
        );
        let page = r.text().await.unwrap();
        assert!(page.contains("<html lang=\"ru\">"), "{path}: {page}");
        assert!(
            text_of(&page, "main h2").contains("Страница не найдена"),
            "{path}"
        );
        assert!(text_of(&page, "main").contains(said), "{path}: {page}");
        let doc = Html::parse_document(&page);
        let back: Vec<_> = doc
            .select(&Selector::parse("main a[href=\"/\"]").unwrap())
            .collect();
        assert_eq!(back.len(), 1, "{path}: a link home");
        if path.starts_with("/topics/") {
            assert!(page.contains("href=\"/topics/fires\""), "{path}: {page}");
        }
    }
    assert_eq!(d.stop().await, 0);
}

#[tokio::test]
async fn the_bulletin_lists_each_story_once_and_counts_a_place_and_its_adjective_as_one_name() {
    install_crypto();
    let o = Origin::start().await;
    let siren = "Сирена прозвучит в Липецке в полдень в среду";
    let siren_text = "Городская система оповещения будет проверена в среду в полдень, сообщили в управлении гражданской обороны. Жителей просят не беспокоиться.";
    o.route(
        "/a.xml",
        Route::ok(
            rss(&[
                item(siren).guid("a1").desc(siren_text),
                item("Липецкий завод выпустил новый трактор").guid("a2"),
            ]),
            "application/rss+xml",
        ),
    );
    o.route(
        "/b.xml",
        Route::ok(
            rss(&[
                item(siren).guid("b1").desc(siren_text),
                item("Жители Липецкой области получат выплаты").guid("b2"),
            ]),
            "application/rss+xml",
        ),
    );
    let app = App::new(&config(
        &[
            ("gorod48", o.url("/a.xml")),
            ("lipetsk-news", o.url("/b.xml")),
        ],
        "",
    ));
    let (code, out, err) = app.svodka(&["fetch"]).await;
    assert_eq!(code, 0, "{out}{err}");
    let site = app.dir.path().join("site");
    let (code, _, err) = app
        .svodka(&["export", "--all", site.to_str().unwrap()])
        .await;
    assert_eq!(code, 0, "{err}");
    let page = std::fs::read_to_string(site.join("index.html")).unwrap();

    let top = text_of(&page, "#top");
    assert!(top.contains(siren), "{top}");
    let latest = text_of(&page, "#stories");
    assert!(!latest.contains(siren), "listed twice: {latest}");
    assert!(latest.contains("Липецкий завод"), "{latest}");

    let themes = text_of(&page, "#themes");
    assert!(themes.contains("Липецк 3 сюжета"), "{themes}");
    assert!(!themes.contains("Липецкий"), "{themes}");
    // The name links to a story whose headline names it.
    let doc = Html::parse_document(&page);
    let link = doc
        .select(&Selector::parse("#themes li.name a").unwrap())
        .find(|a| a.text().collect::<String>() == "Липецк")
        .and_then(|a| a.value().attr("href"))
        .expect("a link for Липецк")
        .to_string();
    let story = doc
        .select(&Selector::parse(&format!("h3 a[href=\"{link}\"]")).unwrap())
        .next()
        .map(|a| a.text().collect::<String>())
        .expect("the linked story is on the page");
    assert!(story.contains("Липецк"), "{story}");
}

#[tokio::test]
async fn check_warns_of_a_config_that_fetches_or_publishes_nothing_and_counts_in_english() {
    let empty = App::new("");
    let (code, out, err) = empty.svodka(&["check"]).await;
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("ok: 0 sources (0 enabled), 0 topics, 0 feeds"),
        "{out}"
    );
    assert!(err.contains("warning"), "{err}");
    assert!(
        err.contains("no [[source]]: nothing will be fetched"),
        "{err}"
    );
    assert!(err.contains("no [[feed]]: nothing is published"), "{err}");

    let one = App::new(&config(
        &[("lipetsk", "https://lipetsk.test/rss".into())],
        "",
    ));
    let (code, out, err) = one.svodka(&["check"]).await;
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("ok: 1 source (1 enabled), 0 topics, 1 feed,"),
        "{out}"
    );
    assert!(!err.contains("warning"), "{err}");
}

#[tokio::test]
async fn a_forced_encoding_that_garbles_the_text_is_warned_of() {
    let dir = tempfile::tempdir().unwrap();
    let text = crate::feeds::rss_with(
        "windows-1251",
        &[item("Воронежские аграрии собрали рекордный урожай")
            .guid("v1")
            .desc("В Воронежской области завершили уборку зерновых: аграрии собрали больше пяти миллионов тонн, сообщили в региональном министерстве сельского хозяйства.")],
    );
    let file = dir.path().join("voronezh.xml");
    std::fs::write(&file, crate::feeds::to_encoding(&text, "windows-1251")).unwrap();
    let path = file.to_str().unwrap();

    let (code, out, err) =
        crate::harness::run_svodka(None, &["inspect", path, "--encoding", "koi8-r"]).await;
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("# warning: the bytes do not read as KOI8-R (--encoding koi8-r); without it they decode as windows-1251"),
        "{out}"
    );
    let (code, out, err) =
        crate::harness::run_svodka(None, &["inspect", path, "--encoding", "windows-1251"]).await;
    assert_eq!(code, 0, "{err}");
    assert!(!out.contains("# warning"), "{out}");
    assert!(out.contains("Воронежские аграрии"), "{out}");
}

#[tokio::test]
async fn the_cli_prints_times_in_the_configured_zone_and_a_time_for_next_due() {
    let o = Origin::start().await;
    o.route(
        "/feed.xml",
        Route::ok(rss(&[item("Новость").guid("1")]), "application/rss+xml"),
    );
    let sources = [("lipetsk", o.url("/feed.xml"))];
    let app = App::new(&config(&sources, ""));
    app.svodka(&["fetch"]).await;
    let (code, out, err) = app.svodka(&["sources"]).await;
    assert_eq!(code, 0, "{err}");
    // Moscow by default, as on the pages.
    assert!(
        out.contains(" MSK  status: 200") && !out.contains("UTC"),
        "{out}"
    );
    let due = out
        .split("next due: ")
        .nth(1)
        .unwrap()
        .lines()
        .next()
        .unwrap();
    assert!(
        chrono::NaiveDateTime::parse_from_str(due, "%Y-%m-%d %H:%M:%S MSK").is_ok(),
        "{out}"
    );

    std::fs::write(
        app.config_path(),
        config(&sources, "").replace(
            "[server]\n",
            "[server]\ntimezone = \"Asia/Yekaterinburg\"\n",
        ),
    )
    .unwrap();
    let (_, out, _) = app.svodka(&["sources"]).await;
    assert!(out.contains(" +05  status: 200"), "{out}");

    std::fs::write(
        app.config_path(),
        config(&sources, "").replace("[server]\n", "[server]\ntimezone = \"Moscow\"\n"),
    )
    .unwrap();
    let (code, _, err) = app.svodka(&["check"]).await;
    assert_eq!(code, 2);
    assert!(
        err.contains("`server.timezone`: unknown time zone \"Moscow\""),
        "{err}"
    );
}

#[tokio::test]
async fn stories_take_a_month_and_commands_without_a_config_do_not_offer_one() {
    let app = App::new(&config(&[], ""));
    let (code, out, err) = app.svodka(&["stories", "--period", "month"]).await;
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("no story carried by two reports since"),
        "{out}"
    );
    for command in ["inspect", "demo"] {
        let (code, out, _) = crate::harness::run_svodka(None, &[command, "--help"]).await;
        assert_eq!(code, 0);
        assert!(!out.contains("--config"), "{command}: {out}");
    }
    let (_, out, _) = crate::harness::run_svodka(None, &["fetch", "--help"]).await;
    assert!(out.contains("--config"), "{out}");
}

#[tokio::test]
async fn under_systemd_check_names_the_state_folder_for_the_database() {
    let app = App::new(
        &config(&[], "").replace("path = \"svodka.db\"", "path = \"/proc/svodka/svodka.db\""),
    );
    let state = app.dir.path().join("state");
    std::fs::create_dir(&state).unwrap();
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_svodka"))
        .args(["check", "--config"])
        .arg(app.config_path())
        .env("STATE_DIRECTORY", &state)
        .env_remove("SVODKA_CONFIG")
        .output()
        .await
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains(&format!(
            "the service's state folder is {0}: set [storage] path = \"{0}/svodka.db\"",
            state.display()
        )),
        "{err}"
    );

    // The unit ships that folder and the hardening `systemd-analyze security` asks for, and the
    // README's install line points the packaged config at it.
    let root = env!("CARGO_MANIFEST_DIR");
    let unit = std::fs::read_to_string(format!("{root}/config/svodka.service")).unwrap();
    for line in [
        "StateDirectory=svodka",
        "ProtectProc=invisible",
        "ProcSubset=pid",
    ] {
        assert!(unit.lines().any(|l| l == line), "{line}");
    }
    let readme = std::fs::read_to_string(format!("{root}/README.md")).unwrap();
    assert!(readme.contains(
        r#"sed 's|^path = "svodka.db"|path = "/var/lib/svodka/svodka.db"|' config/svodka.toml"#
    ));
    let example = std::fs::read_to_string(format!("{root}/config/svodka.toml")).unwrap();
    assert!(
        example
            .lines()
            .any(|l| l.starts_with("path = \"svodka.db\""))
    );
}
