//! The pages a person opens: the bulletin at `/` over the demo's agencies, the pages behind
//! it, and the whole site exported as static files. Pages are checked as HTML (parsed with
//! `scraper`), by what a reader sees on them.

use std::time::Duration;

use scraper::{Html, Selector};

use crate::daemon::{install_crypto, spawn, until};
use crate::feeds::{item, rss};
use crate::harness::{App, Origin, Route, config};

fn sel(s: &str) -> Selector {
    Selector::parse(s).unwrap()
}

fn text(el: scraper::ElementRef<'_>) -> String {
    el.text()
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// The road-repair press release, under whichever agency's headline leads it («…направит
/// 4,2 млрд рублей на ремонт дорог…», «…увеличит финансирование ремонта дорог…»).
fn is_release(text: &str) -> bool {
    text.contains("Липецкая область") && text.contains("ремонт") && text.contains("дорог")
}

/// The four sample agencies of `svodka demo` (their dates moved to this week, as the demo
/// does), and a fifth whose server answers 502 with nginx's error page.
async fn demo_agencies() -> (Origin, App) {
    let o = Origin::start().await;
    let days = svodka::demo::days_behind(chrono::Utc::now());
    for (name, bytes, ctype) in svodka::demo::FEEDS {
        o.route(
            &format!("/{name}"),
            Route::ok(svodka::demo::freshen(bytes, days), ctype),
        );
    }
    o.route(
        "/belgorod-pravda.xml",
        Route {
            status: 502,
            body: b"<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>".to_vec(),
            headers: vec![("content-type".into(), "text/html".into())],
            ..Route::default()
        },
    );
    let mut cfg = svodka::demo::config_text(o.addr, "127.0.0.1:0".parse().unwrap());
    cfg.push_str(&format!(
        "\n[[source]]\nname = \"belgorod-pravda\"\ntitle = \"Белгородская правда\"\nurl = \"{}\"\nregion = \"belgorod\"\n",
        o.url("/belgorod-pravda.xml")
    ));
    (o, App::new(&cfg))
}

#[tokio::test]
async fn the_bulletin_shows_the_weeks_topics_merged_stories_and_a_failing_source() {
    install_crypto();
    let (_o, app) = demo_agencies().await;
    let d = spawn(&["run"], Some(&app)).await;
    // Ready when every source has been tried and the press release carries all four agencies.
    let body = until(&format!("{}/", d.base), |b| {
        !b.contains("class=\"never\"") && b.matches("Курьер Придонья").count() >= 2
    })
    .await;
    let page = Html::parse_document(&body);
    let html = page.select(&sel("html")).next().unwrap();
    assert_eq!(html.value().attr("lang"), Some("ru"));
    assert_eq!(page.select(&sel("script")).count(), 0, "no JavaScript");
    assert_eq!(
        page.select(&sel("head style")).count(),
        1,
        "one stylesheet in the page"
    );

    // «Главные темы»: the configured topics the week's stories carry, each linked to its page.
    let themes: Vec<(String, String)> = page
        .select(&sel("#themes li.topic a"))
        .map(|a| (text(a), a.value().attr("href").unwrap().to_string()))
        .collect();
    for (title, name) in [("Сирия", "syria"), ("Кризис", "crisis"), ("ИГИЛ", "isis")]
    {
        assert!(
            themes.contains(&(title.to_string(), format!("/topics/{name}"))),
            "{title} among {themes:?}"
        );
    }
    // Names found in the week's headlines stand beside them (МЧС is in two stories).
    let names: Vec<String> = page.select(&sel("#themes li.name")).map(text).collect();
    assert!(!names.is_empty(), "discovered names: {names:?}");

    // The press release four agencies carried is one story, naming all four, in «Главное».
    let release = page
        .select(&sel("#top article.story"))
        .find(|a| is_release(&text(*a)))
        .expect("the merged press release is on the page");
    let agencies = text(release.select(&sel(".agencies")).next().unwrap());
    for a in [
        "Липецкий телеграф",
        "Курьер Придонья",
        "Тамбовский перекрёсток",
        "Черноземный обозреватель",
    ] {
        assert!(agencies.contains(a), "{a} in {agencies:?}");
    }
    assert_eq!(
        page.select(&sel("article.story"))
            .filter(|a| is_release(&text(*a)))
            .count(),
        1,
        "the release is listed once"
    );
    // «Главное» opens with it: no other story of the week was carried by four agencies.
    let top = page
        .select(&sel("#top article.story"))
        .next()
        .map(text)
        .expect("the week's most carried stories");
    assert!(is_release(&top) && top.contains("4 агентства"), "{top}");
    let tags: Vec<String> = release.select(&sel(".tags a")).map(text).collect();
    assert_eq!(tags, ["Дороги"]);
    let link = release
        .select(&sel("h3 a"))
        .next()
        .unwrap()
        .value()
        .attr("href")
        .unwrap()
        .to_string();
    assert!(link.starts_with("/stories/"), "{link}");

    // The failing source stands out, with its error; the working ones do not.
    let failing: Vec<String> = page.select(&sel("#health li.failing")).map(text).collect();
    assert_eq!(failing.len(), 1, "{failing:?}");
    assert!(failing[0].contains("Белгородская правда"), "{failing:?}");
    assert!(
        failing[0].contains("ошибка на сервере (502)"),
        "the error is shown in a few Russian words: {failing:?}"
    );
    assert_eq!(page.select(&sel("#health li.ok")).count(), 4);

    // Autodiscovery: 3 feeds and 4 topics, each in RSS, Atom and JSON Feed.
    let alternates: Vec<&str> = page
        .select(&sel("link[rel=alternate]"))
        .filter_map(|l| l.value().attr("href"))
        .collect();
    assert_eq!(alternates.len(), 21, "{alternates:#?}");
    assert!(alternates.iter().any(|h| h.ends_with("/topics/syria.json")));

    // The story's page: every agency that carried it, with its link.
    let story = reqwest::get(format!("{}{link}", d.base)).await.unwrap();
    assert_eq!(story.status(), 200);
    let story = Html::parse_document(&story.text().await.unwrap());
    let rows: Vec<String> = story.select(&sel("#reports tbody tr")).map(text).collect();
    assert_eq!(rows.len(), 4, "{rows:#?}");
    let links: Vec<&str> = story
        .select(&sel("#reports tbody a"))
        .filter_map(|a| a.value().attr("href"))
        .collect();
    assert!(
        links.contains(&"https://voronezh-courier.example/news/region/2026/11/26/40852.html"),
        "{links:?}"
    );
    // The agency whose report leads wrote its own headline; it is shown as written.
    assert!(rows.iter().any(|r| is_release(r)), "{rows:#?}");

    // The topic's page lists only its stories, and links its feeds.
    let topic = until(&format!("{}/topics/syria", d.base), |_| true).await;
    let topic = Html::parse_document(&topic);
    let titles: Vec<String> = topic.select(&sel("article.story h3")).map(text).collect();
    assert!(titles.len() >= 3, "{titles:#?}");
    assert!(
        topic.select(&sel("article.story")).all(|a| a
            .select(&sel(".tags a[href='/topics/syria']"))
            .next()
            .is_some()),
        "every story on the page carries the topic"
    );
    assert!(!titles.iter().any(|t| t.contains("сирена")), "{titles:#?}");
    assert!(
        topic
            .select(&sel("a[href$='/topics/syria.rss']"))
            .next()
            .is_some()
    );

    // The sources page: the failing source's row says why.
    let sources = until(&format!("{}/sources", d.base), |_| true).await;
    let sources = Html::parse_document(&sources);
    let row = sources
        .select(&sel("#sources tr.failing"))
        .next()
        .map(text)
        .expect("a failing row");
    assert!(
        row.contains("Белгородская правда") && row.contains("HTTP 502"),
        "{row}"
    );

    for missing in ["/stories/999999", "/stories/abc", "/topics/sport"] {
        let r = reqwest::get(format!("{}{missing}", d.base)).await.unwrap();
        assert_eq!(r.status(), 404, "{missing}");
    }
    assert_eq!(d.stop().await, 0);
}

fn mtime(p: &std::path::Path) -> std::time::SystemTime {
    std::fs::metadata(p)
        .unwrap_or_else(|e| panic!("{}: {e}", p.display()))
        .modified()
        .unwrap()
}

fn gunzip(p: &std::path::Path) -> Vec<u8> {
    let mut out = Vec::new();
    std::io::Read::read_to_end(
        &mut flate2::read::GzDecoder::new(&std::fs::read(p).unwrap()[..]),
        &mut out,
    )
    .unwrap();
    out
}

#[tokio::test]
async fn export_all_writes_the_site_and_leaves_unchanged_files_alone() {
    install_crypto();
    let o = Origin::start().await;
    o.route(
        "/rss.xml",
        Route::ok(
            rss(&[
                item("В Дамаске открылся российский культурный центр")
                    .guid("vrn-1")
                    .link("https://voronezh.test/news/1"),
                item("Снегопад осложнил движение на трассе М-4 «Дон»")
                    .guid("vrn-2")
                    .link("https://voronezh.test/news/2"),
            ]),
            "application/rss+xml",
        ),
    );
    let app = App::new(&config(
        &[("voronezh", o.url("/rss.xml"))],
        "[[topic]]\nname = \"syria\"\ntitle = \"Сирия\"\nkeywords = [\"Сирия\", \"Дамаск\"]\n",
    ));
    let (code, _, err) = app.svodka(&["fetch"]).await;
    assert_eq!(code, 0, "{err}");
    let out_dir = app.dir.path().join("public");
    let dir = out_dir.to_str().unwrap();
    let (code, out, err) = app.svodka(&["export", "--all", dir]).await;
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("unchanged"), "{out}");
    let mut expected: Vec<String> = ["rss", "atom", "json"]
        .iter()
        .flat_map(|e| [format!("feeds/all.{e}"), format!("topics/syria.{e}")])
        .collect();
    expected.extend(
        [
            "index.html",
            "topics/syria/index.html",
            "sources/index.html",
            "opml",
        ]
        .map(String::from),
    );
    for f in &expected {
        let plain = std::fs::read(out_dir.join(f)).unwrap_or_else(|e| panic!("{f}: {e}"));
        assert_eq!(gunzip(&out_dir.join(format!("{f}.gz"))), plain, "{f}.gz");
    }
    // The exported feed is the one the server would send.
    let (_, exported, _) = app.svodka(&["export", "--feed", "all"]).await;
    assert_eq!(
        std::fs::read_to_string(out_dir.join("feeds/all.rss")).unwrap(),
        exported
    );
    // Every story the front page links to has its page.
    let index = std::fs::read_to_string(out_dir.join("index.html")).unwrap();
    let front = Html::parse_document(&index);
    let links: Vec<String> = front
        .select(&sel("#stories h3 a"))
        .map(|a| a.value().attr("href").unwrap().to_string())
        .collect();
    assert_eq!(links.len(), 2, "{links:?}");
    for l in &links {
        let page = out_dir.join(format!("{}/index.html", l.trim_start_matches('/')));
        let html = std::fs::read_to_string(&page).unwrap();
        assert!(
            html.contains("Курьер") || html.contains("voronezh"),
            "{html}"
        );
    }

    // Nothing changed: nothing is rewritten.
    let all: Vec<std::path::PathBuf> = expected
        .iter()
        .flat_map(|f| [out_dir.join(f), out_dir.join(format!("{f}.gz"))])
        .collect();
    let before: Vec<_> = all.iter().map(|p| mtime(p)).collect();
    tokio::time::sleep(Duration::from_millis(50)).await;
    let (code, out, err) = app.svodka(&["export", "--all", dir]).await;
    assert_eq!(code, 0, "{err}");
    assert!(out.contains(": 0 files written"), "{out}");
    let after: Vec<_> = all.iter().map(|p| mtime(p)).collect();
    assert_eq!(before, after);

    // A new story: the feeds it is in and the front page change; the topic's feed does not.
    o.route(
        "/rss.xml",
        Route::ok(
            rss(&[
                item("В Дамаске открылся российский культурный центр")
                    .guid("vrn-1")
                    .link("https://voronezh.test/news/1"),
                item("Снегопад осложнил движение на трассе М-4 «Дон»")
                    .guid("vrn-2")
                    .link("https://voronezh.test/news/2"),
                item("Воронежский «Факел» сыграл вничью с «Уралом»")
                    .guid("vrn-3")
                    .link("https://voronezh.test/news/3"),
            ]),
            "application/rss+xml",
        ),
    );
    let (code, _, err) = app.svodka(&["fetch"]).await;
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = app.svodka(&["export", "--all", dir]).await;
    assert_eq!(code, 0, "{err}");
    assert_ne!(mtime(&out_dir.join("feeds/all.rss")), before[0]);
    assert!(
        std::fs::read_to_string(out_dir.join("index.html"))
            .unwrap()
            .contains("«Факел»")
    );
    let syria = expected
        .iter()
        .position(|f| f == "topics/syria.rss")
        .unwrap();
    assert_eq!(mtime(&out_dir.join("topics/syria.rss")), before[syria * 2]);
}

/// Waits until the file at `path` exists and `ok(text)` holds; the daemon writes on its own
/// clock.
async fn until_file(path: &std::path::Path, ok: impl Fn(&str) -> bool) -> String {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        if let Ok(text) = std::fs::read_to_string(path)
            && ok(&text)
        {
            return text;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{} never became ready",
            path.display()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn the_daemon_publishes_the_site_after_each_change() {
    install_crypto();
    let o = Origin::start().await;
    let first = item("Липецкий «Металлург» вышел в финал Кубка Черноземья")
        .guid("lp-10")
        .link("https://lipetsk.test/sport/10");
    o.route(
        "/rss.xml",
        Route::ok(rss(std::slice::from_ref(&first)), "application/rss+xml"),
    );
    let app = App::new(&config(
        &[("lipetsk", o.url("/rss.xml"))],
        "[publish]\ndir = \"public\"\n\n[schedule]\ncron = \"* * * * * *\"\n",
    ));
    let d = spawn(&["run"], Some(&app)).await;
    let public = app.dir.path().join("public");
    until_file(&public.join("feeds/all.rss"), |t| t.contains("«Металлург»")).await;
    until_file(&public.join("index.html"), |t| t.contains("«Металлург»")).await;

    o.route(
        "/rss.xml",
        Route::ok(
            rss(&[
                first,
                item("В Ельце отремонтируют мост через Быструю Сосну")
                    .guid("lp-11")
                    .link("https://lipetsk.test/city/11"),
            ]),
            "application/rss+xml",
        ),
    );
    let feed = until_file(&public.join("feeds/all.rss"), |t| {
        t.contains("Быструю Сосну")
    })
    .await;
    until_file(&public.join("index.html"), |t| t.contains("Быструю Сосну")).await;
    // The .gz beside it follows (it is written right after the plain file).
    let gz = public.join("feeds/all.rss.gz");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while gunzip(&gz) != feed.as_bytes() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the .gz never caught up"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // What the daemon published is what it serves.
    let served = reqwest::get(format!("{}/feeds/all.rss", d.base))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(served, feed);
    assert_eq!(d.stop().await, 0);
}

/// Chromium, when this machine has it (Debian's `chromium`); CI runs without a browser.
fn chromium() -> Option<std::path::PathBuf> {
    ["chromium", "chromium-browser"].iter().find_map(|name| {
        std::env::var_os("PATH")?
            .to_str()?
            .split(':')
            .map(|dir| std::path::Path::new(dir).join(name))
            .find(|p| p.is_file())
    })
}

#[tokio::test]
async fn a_browser_renders_the_bulletin() {
    let Some(browser) = chromium() else {
        eprintln!("skipped: no chromium on PATH (apt-get install -y chromium)");
        return;
    };
    install_crypto();
    let (_o, app) = demo_agencies().await;
    let d = spawn(&["run"], Some(&app)).await;
    until(&format!("{}/", d.base), |b| b.contains("id=\"top\"")).await;
    let profile = tempfile::tempdir().unwrap();
    let out = tokio::process::Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--window-size=390,1200",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg("--dump-dom")
        .arg(format!("{}/", d.base))
        .output();
    let out = tokio::time::timeout(Duration::from_secs(60), out)
        .await
        .expect("chromium did not finish")
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The DOM the browser built (not the bytes sent): the sections a reader sees are there.
    let dom = Html::parse_document(&String::from_utf8_lossy(&out.stdout));
    let top = dom.select(&sel("#top article.story")).next().map(text);
    assert!(top.as_deref().is_some_and(is_release), "{top:?}");
    assert!(dom.select(&sel("#themes li.topic")).count() >= 3);
    assert!(dom.select(&sel("#health li.failing")).next().is_some());
    assert_eq!(d.stop().await, 0);
}
