//! Real-world feeds through a whole fetch cycle: what a person sees in a browser comes out of
//! every one of them, and unsafe HTML never reaches a reader.

use crate::feeds::{item, rss, rss_with, to_encoding};
use crate::harness::{App, Origin, Route, channel, config, titles};

#[tokio::test]
async fn lying_and_missing_charsets_come_out_right() {
    let o = Origin::start().await;
    // windows-1251 declared nowhere at all.
    let undeclared = rss_with(
        "windows-1251",
        &[item("Липецкие металлурги выплавили рекордную партию стали").guid("1")],
    )
    .replace(" encoding=\"windows-1251\"", "");
    o.route(
        "/undeclared.xml",
        Route::ok(to_encoding(&undeclared, "windows-1251"), "text/xml"),
    );
    // The server says UTF-8; the bytes are windows-1251 (and so says the prolog).
    let lying = rss_with(
        "windows-1251",
        &[item("В Тамбове открыли новый ледовый дворец").guid("2")],
    );
    o.route(
        "/lying.xml",
        Route::ok(
            to_encoding(&lying, "windows-1251"),
            "application/rss+xml; charset=utf-8",
        ),
    );
    // The prolog says windows-1251; the bytes are UTF-8 (a CMS that converted the body only).
    let converted = rss_with(
        "windows-1251",
        &[item("Курские школьники победили на олимпиаде по физике").guid("3")],
    );
    o.route(
        "/converted.xml",
        Route::ok(converted.into_bytes(), "text/xml"),
    );
    // Everything lies; the per-source override knows better.
    let koi = rss_with(
        "utf-8",
        &[item("Белгородские пограничники задержали нарушителя").guid("4")],
    );
    o.route(
        "/override.xml",
        Route::ok(to_encoding(&koi, "koi8-r"), "text/xml; charset=utf-8"),
    );
    let mut cfg = config(
        &[
            ("undeclared", o.url("/undeclared.xml")),
            ("lying", o.url("/lying.xml")),
            ("converted", o.url("/converted.xml")),
            ("override", o.url("/override.xml")),
        ],
        "",
    );
    cfg = cfg.replace(
        &format!("url = \"{}\"\n", o.url("/override.xml")),
        &format!(
            "url = \"{}\"\nencoding = \"koi8-r\"\n",
            o.url("/override.xml")
        ),
    );
    let app = App::new(&cfg);
    let (_, out, _) = app.svodka(&["fetch"]).await;
    assert_eq!(out.matches(": 1 new").count(), 4, "{out}");
    let (_, feed, _) = app.svodka(&["export", "--feed", "all"]).await;
    let mut got = titles(&feed);
    got.sort();
    assert_eq!(
        got,
        [
            "Белгородские пограничники задержали нарушителя",
            "В Тамбове открыли новый ледовый дворец",
            "Курские школьники победили на олимпиаде по физике",
            "Липецкие металлурги выплавили рекордную партию стали",
        ]
    );
}

#[tokio::test]
async fn broken_xml_yields_every_complete_item() {
    let o = Origin::start().await;
    let broken = "\u{feff}Warning: mysql_connect() in /var/www/rss.php on line 12\n<?xml version=\"1.0\" encoding=\"utf-8\"?>\n\
        <rss version=\"2.0\"><channel><title>Вести &laquo;Черноземья&raquo;</title><link>https://chr.test/</link>\
        <item><title>Цены на бензин&nbsp;&mdash; без изменений</title><guid>1</guid><link>https://chr.test/1?a=1&b=2</link>\
        <description>Газпром & Ко<br>продолжают\u{1}работу</description></item>\
        <item><title>Второй материал</title><guid>2</guid><description><img src=\"/2.jpg\">Фото</description></item>\
        <item><title>Оборванный</title><guid>3</guid><description>Текст без конца";
    o.route("/broken.xml", Route::ok(broken, "application/rss+xml"));
    let app = App::new(&config(&[("chr", o.url("/broken.xml"))], ""));
    let (_, out, _) = app.svodka(&["fetch"]).await;
    assert!(out.contains("chr: 2 new"), "{out}");
    let (_, feed, _) = app.svodka(&["export", "--feed", "all"]).await;
    let ch = channel(&feed);
    let first = ch
        .items()
        .iter()
        .find(|i| i.title() == Some("Цены на бензин — без изменений"))
        .unwrap();
    assert_eq!(first.link(), Some("https://chr.test/1?a=1&b=2"));
    let d = first.description().unwrap();
    assert!(d.contains("Газпром &amp; Ко<br>продолжаютработу"), "{d}");
    assert!(titles(&feed).contains(&"Второй материал".to_string()));
}

#[tokio::test]
async fn nothing_unsafe_is_ever_served() {
    let o = Origin::start().await;
    let evil = "<p onclick=\"steal()\">Новость</p><script>alert('x')</script><style>body{display:none}</style>\
        <a href=\"javascript:alert(1)\">ссылка</a><iframe src=\"https://evil.test\"></iframe>\
        <ul><li>пункт</li></ul><img src=\"/photo.jpg\" onerror=\"x()\"><a href=\"/full\">подробнее</a>";
    o.route(
        "/feed.xml",
        Route::ok(
            rss(&[item("Опасная вёрстка\u{8} в ленте").guid("1").desc(evil)]),
            "application/rss+xml",
        ),
    );
    let app = App::new(&config(&[("evil", o.url("/feed.xml"))], ""));
    app.svodka(&["fetch"]).await;
    let (_, feed, _) = app.svodka(&["export", "--feed", "all"]).await;
    for bad in [
        "<script",
        "onclick",
        "onerror",
        "javascript:",
        "<style",
        "<iframe",
        "\u{8}",
    ] {
        assert!(!feed.contains(bad), "{bad} served:\n{feed}");
    }
    let ch = channel(&feed);
    let it = &ch.items()[0];
    assert_eq!(it.title(), Some("Опасная вёрстка в ленте"));
    let d = it.description().unwrap();
    for good in [
        "<p>Новость</p>",
        "<li>пункт</li>",
        &format!("src=\"{}\"", o.url("/photo.jpg")),
        &format!("href=\"{}\"", o.url("/full")),
    ] {
        assert!(d.contains(good), "{good} lost: {d}");
    }
}
