//! Topics through the real binary: dictionary forms of place names, the headline scope, and the
//! built-in dictionary found by a binary copied away from the build machine.

use std::path::Path;
use std::time::Duration;

use crate::feeds::{item, rss_with};
use crate::harness::{App, Origin, Route, config, titles};

const TOPICS: &str = r#"
[[topic]]
name = "khimki"
title = "Химки"
keywords = ["Химки"]

[[topic]]
name = "pushkino"
title = "Пушкино"
keywords = ["Пушкино"]
"#;

fn agency_feed(o: &Origin) {
    o.route(
        "/feed.xml",
        Route::ok(
            rss_with(
                "utf-8",
                &[
                    item("Жители Химок требуют остановить вырубку леса").guid("1"),
                    item("На улице Пушкина меняют трубы").guid("2"),
                    item("Пробка на въезде в Пушкино растянулась на 5 км").guid("3"),
                ],
            ),
            "application/rss+xml",
        ),
    );
}

/// Runs `binary` with nothing of the build machine's environment: no variables but `HOME` (an
/// empty folder), started from another folder.
async fn run_bare(binary: &Path, home: &Path, args: &[&str]) -> (i32, String, String) {
    let mut cmd = tokio::process::Command::new(binary);
    cmd.args(args)
        .env_clear()
        .env("HOME", home)
        .current_dir(home);
    let out = tokio::time::timeout(Duration::from_secs(60), cmd.output())
        .await
        .expect("svodka did not finish within 60 s")
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test]
async fn a_copied_binary_carries_its_dictionary() {
    let o = Origin::start().await;
    agency_feed(&o);
    let app = App::new(&config(&[("khimki-news", o.url("/feed.xml"))], TOPICS));
    // The binary alone in a fresh folder, as `install` would put it on another machine.
    let elsewhere = tempfile::tempdir().unwrap();
    let binary = elsewhere.path().join("svodka");
    std::fs::copy(env!("CARGO_BIN_EXE_svodka"), &binary).unwrap();
    let home = tempfile::tempdir().unwrap();
    let cfg = app.config_path();
    let cfg = cfg.to_str().unwrap();
    let (code, out, err) = run_bare(&binary, home.path(), &["fetch", "--config", cfg]).await;
    assert_eq!(code, 0, "{out}{err}");
    assert!(!err.contains("dictionary"), "{err}");
    let (code, khimki, err) = run_bare(
        &binary,
        home.path(),
        &["export", "--topic", "khimki", "--config", cfg],
    )
    .await;
    assert_eq!(code, 0, "{err}");
    // «Химок» is a form only the dictionary knows (Snowball stems it apart from «Химки»).
    assert_eq!(
        titles(&khimki),
        ["Жители Химок требуют остановить вырубку леса"]
    );
    let (_, pushkino, _) = run_bare(
        &binary,
        home.path(),
        &["export", "--topic", "pushkino", "--config", cfg],
    )
    .await;
    // «улица Пушкина» is the poet, not the town.
    assert_eq!(
        titles(&pushkino),
        ["Пробка на въезде в Пушкино растянулась на 5 км"]
    );
}

#[tokio::test]
async fn a_footer_naming_a_town_tags_only_topics_that_read_the_whole_text() {
    let o = Origin::start().await;
    let footer = "<p>Подписывайтесь на наш канал. © ИА «Липецкие вести», г. Липецк</p>";
    o.route(
        "/feed.xml",
        Route::ok(
            rss_with(
                "utf-8",
                &[
                    item("В Ельце открыли каток").guid("1").desc(&format!(
                        "<p>Каток на площади Победы работает до марта.</p>{footer}"
                    )),
                    item("Снегопад в регионе")
                        .guid("2")
                        .desc(&format!("<p>В Липецке выпало 20 см снега.</p>{footer}")),
                ],
            ),
            "application/rss+xml",
        ),
    );
    let extra = r#"
[[topic]]
name = "lipetsk"
title = "Липецк"
keywords = ["Липецк"]

[[topic]]
name = "lipetsk-anywhere"
title = "Липецк где угодно"
keywords = ["Липецк"]
scope = "text"
"#;
    let app = App::new(&config(&[("lipetsk-vesti", o.url("/feed.xml"))], extra));
    app.svodka(&["fetch"]).await;
    let (_, headline, _) = app.svodka(&["export", "--topic", "lipetsk"]).await;
    assert_eq!(titles(&headline), ["Снегопад в регионе"]);
    let (_, anywhere, _) = app.svodka(&["export", "--topic", "lipetsk-anywhere"]).await;
    let mut all = titles(&anywhere);
    all.sort();
    assert_eq!(all, ["В Ельце открыли каток", "Снегопад в регионе"]);
    // `retag` reads the same lead as a fetch.
    let (code, out, _) = app.svodka(&["retag"]).await;
    assert_eq!(code, 0);
    assert!(out.contains("retagged 2 items; 2 have topics"), "{out}");
    let (_, headline, _) = app.svodka(&["export", "--topic", "lipetsk"]).await;
    assert_eq!(titles(&headline), ["Снегопад в регионе"]);
}

#[tokio::test]
async fn trending_names_in_dictionary_form_with_agencies() {
    let o = Origin::start().await;
    o.route(
        "/a.xml",
        Route::ok(
            rss_with(
                "utf-8",
                &[
                    item("Ракетная опасность объявлена в Белгороде").guid("1"),
                    item("Школьников из Белгорода отправят в лагеря").guid("2"),
                ],
            ),
            "application/rss+xml",
        ),
    );
    o.route(
        "/b.xml",
        Route::ok(
            rss_with(
                "utf-8",
                &[item("Мэр Белгорода ответил на вопросы жителей").guid("9")],
            ),
            "application/rss+xml",
        ),
    );
    let app = App::new(&config(
        &[
            ("bel-pravda", o.url("/a.xml")),
            ("bel-news", o.url("/b.xml")),
        ],
        "",
    ));
    app.svodka(&["fetch"]).await;
    let (code, out, _) = app.svodka(&["trending", "--period", "day"]).await;
    assert_eq!(code, 0);
    assert!(
        out.contains("discovered in headlines (stories, agencies):"),
        "{out}"
    );
    assert!(out.contains("    3    2  Белгород\n"), "{out}");
    assert!(
        !out.contains("Белгороде") && !out.contains("Белгорода"),
        "{out}"
    );
}

#[tokio::test]
async fn a_dateline_in_every_lead_is_learned_and_tags_nothing() {
    // An agency opens every text with its dateline, in the same paragraph as the news: the
    // lead of an item about Елец names Липецк. Learned from the fetch as boilerplate, it goes
    // before topics are matched.
    let o = Origin::start().await;
    let towns = [
        (
            "Ельце",
            "В Ельце открыли каток на площади Победы",
            "Каток работает до марта, вход бесплатный.",
        ),
        (
            "Грязях",
            "В Грязях отремонтировали вокзал",
            "Ремонт обошёлся в 40 млн рублей.",
        ),
        (
            "Данкове",
            "В Данкове открылась новая поликлиника",
            "Принимать будут 300 человек в смену.",
        ),
        (
            "Усмани",
            "В Усмани высадили сто лип",
            "Деревья появились на улице Ленина.",
        ),
        (
            "Лебедяни",
            "В Лебедяни прошёл турнир по мини-футболу",
            "Победила команда местного колледжа.",
        ),
        (
            "Липецке",
            "В Липецке выпал первый снег",
            "Снегоуборочная техника вышла на улицы.",
        ),
    ];
    let items: Vec<_> = towns
        .iter()
        .enumerate()
        .map(|(i, (_, title, body))| {
            item(title).guid(&i.to_string()).desc(&format!(
                "<p>ЛИПЕЦК, {} декабря — ИА «Липецк-Информ». {body}</p>",
                i + 1
            ))
        })
        .collect();
    o.route(
        "/feed.xml",
        Route::ok(rss_with("utf-8", &items), "application/rss+xml"),
    );
    let extra = "[[topic]]\nname = \"lipetsk\"\ntitle = \"Липецк\"\nkeywords = [\"Липецк\"]\n";
    let app = App::new(&config(&[("lipetsk-inform", o.url("/feed.xml"))], extra));
    app.svodka(&["fetch"]).await;
    let (_, feed, _) = app.svodka(&["export", "--topic", "lipetsk"]).await;
    assert_eq!(titles(&feed), ["В Липецке выпал первый снег"]);
}
