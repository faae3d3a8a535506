//! The commands as a user types them: exit statuses and what they print.

use crate::feeds::{item, rss_with, to_encoding};
use crate::harness::{App, Origin, Route, config, run_svodka};

#[tokio::test]
async fn check_prints_a_summary_or_names_the_file_key_and_reason() {
    let app = App::new(&config(
        &[("lipetsk", "https://lipetsk.test/rss".into())],
        "",
    ));
    let (code, out, _) = app.svodka(&["check"]).await;
    assert_eq!(code, 0);
    assert!(
        out.contains("ok: 1 source (1 enabled), 0 topics, 1 feed,"),
        "{out}"
    );

    let bad = App::new(
        &config(&[("lipetsk", "https://lipetsk.test/rss".into())], "").replace("url = ", "urll = "),
    );
    let (code, _, err) = bad.svodka(&["check"]).await;
    assert_eq!(code, 2);
    assert!(err.contains("svodka.toml"), "{err}");
    assert!(err.contains("urll"), "{err}");

    let bad = App::new(&config(&[], "[schedule]\ncron = \"every 5 minutes\"\n"));
    let (code, _, err) = bad.svodka(&["check"]).await;
    assert_ne!(code, 0);
    assert!(
        err.contains("`schedule.cron`") && err.contains("bad cron expression"),
        "{err}"
    );

    // Every command refuses a bad config before doing anything.
    let (code, _, err) = bad.svodka(&["fetch"]).await;
    assert_eq!(code, 2);
    assert!(err.contains("schedule.cron"), "{err}");
    assert!(!bad.dir.path().join("svodka.db").exists());
}

#[tokio::test]
async fn config_comes_from_the_environment_or_the_default_path() {
    let app = App::new(&config(&[], ""));
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_svodka"))
        .arg("check")
        .env("SVODKA_CONFIG", app.config_path())
        .output()
        .await
        .unwrap();
    assert!(out.status.success());
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_svodka"))
        .arg("check")
        .env_remove("SVODKA_CONFIG")
        .current_dir(app.dir.path())
        .output()
        .await
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("config/svodka.toml"), "{err}");
}

#[tokio::test]
async fn fetch_reports_each_source_and_exits_zero_when_some_fail() {
    let o = Origin::start().await;
    o.route(
        "/good.xml",
        Route::ok(
            rss_with("utf-8", &[item("Новость").guid("1")]),
            "application/rss+xml",
        ),
    );
    o.route("/broken.xml", Route::status(500));
    o.route(
        "/html.xml",
        Route::ok(
            "<html><body>Сайт на реконструкции</body></html>",
            "text/html",
        ),
    );
    let app = App::new(&config(
        &[
            ("good", o.url("/good.xml")),
            ("broken", o.url("/broken.xml")),
            ("html", o.url("/html.xml")),
        ],
        "",
    ));
    let (code, out, _) = app.svodka(&["fetch"]).await;
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("good: 1 new"), "{out}");
    assert!(out.contains("broken: error: HTTP 500"), "{out}");
    assert!(
        out.contains("html: error: an HTML page, not a feed"),
        "{out}"
    );

    let (code, out, _) = app.svodka(&["fetch", "--source", "good"]).await;
    assert_eq!(code, 0);
    assert_eq!(out.lines().count(), 1, "{out}");
    let (code, _, err) = app.svodka(&["fetch", "--source", "nope"]).await;
    assert_ne!(code, 0);
    assert!(err.contains("no source named \"nope\""), "{err}");

    let (code, out, _) = app.svodka(&["sources"]).await;
    assert_eq!(code, 0);
    let broken = out.split("\nbroken").nth(1).unwrap();
    assert!(
        broken.contains("status: 500") && broken.contains("error streak: 1"),
        "{out}"
    );
    assert!(broken.contains("error: HTTP 500"), "{out}");
    let good = out.split("good\n").nth(1).unwrap();
    assert!(good.contains("error streak: 0  items: 1"), "{out}");
}

#[tokio::test]
async fn export_writes_the_feed_and_refuses_an_unknown_one() {
    let app = App::new(&config(&[], ""));
    let (code, out, _) = app.svodka(&["export", "--feed", "all"]).await;
    assert_eq!(code, 0);
    assert!(out.contains("<title>Все новости</title>"), "{out}");
    let (code, out, _) = app
        .svodka(&["export", "--feed", "all", "--format", "atom"])
        .await;
    assert_eq!(code, 0);
    assert!(
        out.contains("<feed xmlns=\"http://www.w3.org/2005/Atom\""),
        "{out}"
    );
    let (code, out, _) = app
        .svodka(&["export", "--feed", "all", "--format", "json"])
        .await;
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["title"], "Все новости");
    let (code, _, err) = app
        .svodka(&["export", "--feed", "all", "--format", "yaml"])
        .await;
    assert_ne!(code, 0);
    assert!(err.contains("yaml"), "{err}");
    let (code, _, err) = app.svodka(&["export", "--feed", "missing"]).await;
    assert_ne!(code, 0);
    assert!(err.contains("no feed named \"missing\""), "{err}");
}

#[tokio::test]
async fn inspect_needs_no_config_and_explains_what_it_saw() {
    let dir = tempfile::tempdir().unwrap();
    let text = rss_with(
        "windows-1251",
        &[item("Воронежские аграрии собрали рекордный урожай")
            .guid("v1")
            .link("/news/1?utm_source=rss")],
    );
    let file = dir.path().join("voronezh.xml");
    std::fs::write(&file, to_encoding(&text, "windows-1251")).unwrap();
    let (code, out, err) = run_svodka(None, &["inspect", file.to_str().unwrap()]).await;
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("# encoding: windows-1251"), "{out}");
    assert!(out.contains("# format: RSS 2.0"), "{out}");
    assert!(out.contains("# items: 1"), "{out}");
    let json = out.lines().find(|l| l.starts_with('{')).unwrap();
    let v: serde_json::Value = serde_json::from_str(json).unwrap();
    assert_eq!(v["title"], "Воронежские аграрии собрали рекордный урожай");
    assert_eq!(v["link"], "https://agency.test/news/1");

    let o = Origin::start().await;
    o.route(
        "/feed.xml",
        Route::ok(
            to_encoding(&text, "windows-1251"),
            "text/xml; charset=windows-1251",
        ),
    );
    let (code, out, _) = run_svodka(None, &["inspect", &o.url("/feed.xml")]).await;
    assert_eq!(code, 0);
    assert!(
        out.contains("# status: 200") && out.contains("# http charset: windows-1251"),
        "{out}"
    );

    std::fs::write(dir.path().join("page.html"), "<html>не лента</html>").unwrap();
    let (code, _, err) = run_svodka(
        None,
        &["inspect", dir.path().join("page.html").to_str().unwrap()],
    )
    .await;
    assert_ne!(code, 0);
    assert!(err.contains("not a feed"), "{err}");
    let (code, _, err) = run_svodka(None, &["inspect", "/nonexistent/feed.xml"]).await;
    assert_ne!(code, 0);
    assert!(err.contains("cannot read /nonexistent/feed.xml"), "{err}");
}

#[tokio::test]
async fn retag_applies_changed_topics_to_stored_items() {
    let o = Origin::start().await;
    o.route(
        "/feed.xml",
        Route::ok(
            rss_with("utf-8", &[item("Поставки зерна в Сирию выросли").guid("1")]),
            "application/rss+xml",
        ),
    );
    let app = App::new(&config(&[("voronezh", o.url("/feed.xml"))], ""));
    app.svodka(&["fetch"]).await;
    let extra = "[[topic]]\nname = \"syria\"\ntitle = \"Сирия\"\nkeywords = [\"Сирия\"]\n";
    std::fs::write(
        app.config_path(),
        config(&[("voronezh", o.url("/feed.xml"))], extra),
    )
    .unwrap();
    let (code, out, _) = app.svodka(&["retag"]).await;
    assert_eq!(code, 0);
    assert!(out.contains("retagged 1 item; 1 has topics"), "{out}");
    let (_, feed, _) = app.svodka(&["export", "--feed", "all"]).await;
    assert!(
        feed.contains("<category domain=\"http://news.test/topics/syria.rss\">Сирия</category>"),
        "{feed}"
    );
}

#[tokio::test]
async fn the_shipped_example_config_is_valid() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("config/svodka.toml");
    let (code, out, err) = run_svodka(Some(&path), &["check"]).await;
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("3 sources (3 enabled), 2 topics, 2 feeds"),
        "{out}"
    );
}

#[tokio::test]
async fn trending_ranks_configured_topics_and_finds_shared_names() {
    let o = Origin::start().await;
    let ten_days_ago = (chrono::Utc::now() - chrono::Duration::days(10)).to_rfc2822();
    o.route(
        "/feed.xml",
        Route::ok(
            rss_with(
                "utf-8",
                &[
                    item("Снегопад в Липецке: коммунальщики вышли на улицы").guid("1"),
                    item("Губернатор Липецка открыл школу после ремонта").guid("2"),
                    item("Студенты из Сирии приехали в Липецк").guid("3"),
                    item("Делегация из Сирии посетила Воронеж")
                        .guid("4")
                        .date(&ten_days_ago),
                ],
            ),
            "application/rss+xml",
        ),
    );
    let extra = "[[topic]]\nname = \"syria\"\ntitle = \"Сирия\"\nkeywords = [\"Сирия\"]\n";
    let app = App::new(&config(&[("lipetsk", o.url("/feed.xml"))], extra));
    app.svodka(&["fetch"]).await;
    let (code, week, _) = app.svodka(&["trending", "--period", "week"]).await;
    assert_eq!(code, 0);
    assert!(week.contains("    1    1  Сирия (syria)"), "{week}");
    assert!(week.contains("    3    1  Липецк\n"), "{week}");
    let (_, month, _) = app.svodka(&["trending", "--period", "month"]).await;
    assert!(month.contains("    2    1  Сирия (syria)"), "{month}");
    let (code, _, err) = app.svodka(&["trending", "--period", "year"]).await;
    assert_ne!(code, 0);
    assert!(err.contains("year"), "{err}");
}

#[tokio::test]
async fn output_into_a_closed_pipe_ends_quietly() {
    let dir = tempfile::tempdir().unwrap();
    let many: Vec<_> = (0..3000)
        .map(|i| item(&format!("Новость номер {i}")).guid(&i.to_string()))
        .collect();
    let file = dir.path().join("big.xml");
    std::fs::write(&file, rss_with("utf-8", &many)).unwrap();
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_svodka"))
        .args(["inspect", file.to_str().unwrap()])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Read a line, then go away like `head -1` does.
    let mut stdout = child.stdout.take().unwrap();
    let mut first = [0u8; 64];
    tokio::io::AsyncReadExt::read(&mut stdout, &mut first)
        .await
        .unwrap();
    drop(stdout);
    let out = child.wait_with_output().await.unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains("panicked"), "{err}");
    assert_eq!(out.status.code(), Some(0), "{err}");
}

#[tokio::test]
async fn check_refuses_a_database_folder_that_cannot_exist() {
    let app = App::new(
        &config(&[], "").replace("path = \"svodka.db\"", "path = \"/proc/svodka/svodka.db\""),
    );
    let (code, _, err) = app.svodka(&["check"]).await;
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("`storage.path`") && err.contains("/proc"),
        "{err}"
    );
    // Every command that opens the database says what `check` says, once, and not SQLite's
    // "unable to open database file".
    for args in [
        &["fetch"][..],
        &["sources"],
        &["export", "--feed", "all"],
        &["stories"],
        &["trending"],
        &["retag"],
    ] {
        let (code, _, other) = app.svodka(args).await;
        assert_eq!(code, 2, "{args:?}: {other}");
        assert_eq!(other, err, "{args:?}");
    }
}

#[tokio::test]
async fn topics_export_with_topic_and_a_mistaken_feed_name_gets_a_hint() {
    let o = Origin::start().await;
    o.route(
        "/feed.xml",
        Route::ok(
            rss_with("utf-8", &[item("Поставки зерна в Сирию выросли").guid("1")]),
            "application/rss+xml",
        ),
    );
    let extra = "[[topic]]\nname = \"syria\"\ntitle = \"Сирия\"\nkeywords = [\"Сирия\"]\n";
    let app = App::new(&config(&[("voronezh", o.url("/feed.xml"))], extra));
    app.svodka(&["fetch"]).await;
    let (code, out, _) = app.svodka(&["export", "--topic", "syria"]).await;
    assert_eq!(code, 0);
    assert_eq!(
        crate::harness::titles(&out),
        ["Поставки зерна в Сирию выросли"]
    );
    let (code, _, err) = app.svodka(&["export", "--feed", "syria"]).await;
    assert_ne!(code, 0);
    assert!(err.contains("is a topic: --topic syria"), "{err}");
}
