//! The feed shapes that once read as nothing, and what a person sees when a feed's items cannot
//! be read: every shape through a real fetch cycle, the failure in `fetch`, `sources`,
//! `inspect`, `/metrics` and `/`; identity for items without a guid that share a link.

use crate::daemon::{spawn, until};
use crate::feeds::{
    blogger_atom03, harvard_ns, item, rss, rss091_siblings, to_encoding, userland_yandex,
};
use crate::harness::{App, Origin, Route, channel, config, run_svodka, titles};

/// The line `svodka fetch` printed for `source`.
fn line<'a>(out: &'a str, source: &str) -> &'a str {
    out.lines()
        .find(|l| l.starts_with(&format!("{source}: ")))
        .unwrap_or_else(|| panic!("no line for {source} in\n{out}"))
}

#[tokio::test]
async fn the_shapes_that_read_as_nothing_read_through_a_fetch() {
    let o = Origin::start().await;
    let userland = userland_yandex(&[
        item("В Ржеве после реставрации открыли мемориальный комплекс")
            .link("http://vvinform.test/news/society/14702.html")
            .desc("Работы продолжались полтора года. На открытии присутствовали ветераны и школьники Ржевского района."),
        item("Тверские энергетики восстановили свет в 40 деревнях после снегопада")
            .link("http://vvinform.test/news/incident/14699.html")
            .desc("Без электричества ночью оставались около трёх тысяч жителей. На линиях работали 56 бригад."),
    ]);
    o.route(
        "/yandex.php",
        Route::ok(to_encoding(&userland, "windows-1251"), "text/xml"),
    );
    o.route(
        "/rss/",
        Route::ok(
            harvard_ns(&[
                item("Ключевская сопка выбросила пепел на высоту 7 километров")
                    .guid("https://poluostrov41.test/news/klyuchevskaya/")
                    .link("https://poluostrov41.test/news/klyuchevskaya/")
                    .desc("Авиакомпаниям присвоен оранжевый код опасности."),
                item("В Петропавловске-Камчатском продлили режим ЧС из-за циклона")
                    .guid("https://poluostrov41.test/news/ciklon/")
                    .link("https://poluostrov41.test/news/ciklon/"),
            ]),
            "application/rss+xml; charset=utf-8",
        ),
    );
    o.route(
        "/feeds/posts/default",
        Route::ok(
            blogger_atom03(&[
                item("Купеческий дом на улице Ленина: «что осталось»")
                    .guid("tag:blogger.com,1999:blog-7312.post-116489")
                    .link("http://oskol-kraeved.blogspot.com/2026/11/blog-post_30.html")
                    .desc("Дом купца Мухина построен в 1896 году. Сейчас в нём аптека."),
                item("Где стояла Оскольская крепость")
                    .guid("tag:blogger.com,1999:blog-7312.post-116455")
                    .link("http://oskol-kraeved.blogspot.com/2026/11/blog-post_27.html")
                    .desc("Следы валов видны у Казанской церкви."),
            ]),
            "application/atom+xml; charset=UTF-8",
        ),
    );
    let amur = rss091_siblings(&[
        item("В Благовещенске завершили ремонт моста через Зею")
            .link("http://vestnik-amur.test/news.php?id=5521")
            .desc("Движение по мосту открыто в обе стороны. Подрядчик уложился в срок."),
        item("Амурские пограничники задержали браконьеров на Бурее")
            .link("http://vestnik-amur.test/news.php?id=5519")
            .desc("Изъято более 200 килограммов рыбы."),
        item("Уровень воды в Амуре у Благовещенска опустился ниже нуля")
            .link("http://vestnik-amur.test/news.php?id=5514"),
    ]);
    o.route(
        "/rss.php",
        Route::ok(to_encoding(&amur, "windows-1251"), "text/xml"),
    );
    let app = App::new(&config(
        &[
            ("verhnevolzhye", o.url("/yandex.php")),
            ("poluostrov", o.url("/rss/")),
            ("kraeved", o.url("/feeds/posts/default")),
            ("vestnik-amur", o.url("/rss.php")),
        ],
        "",
    ));
    let (code, out, _) = app.svodka(&["fetch"]).await;
    assert_eq!(code, 0, "{out}");
    for (source, n) in [
        ("verhnevolzhye", 2),
        ("poluostrov", 2),
        ("kraeved", 2),
        ("vestnik-amur", 3),
    ] {
        assert_eq!(
            line(&out, source),
            format!("{source}: {n} new, 0 updated, 0 unchanged, 0 merged")
        );
    }
    let (_, feed, _) = app.svodka(&["export", "--feed", "all"]).await;
    let mut got = titles(&feed);
    got.sort();
    assert_eq!(
        got,
        [
            "Амурские пограничники задержали браконьеров на Бурее",
            "В Благовещенске завершили ремонт моста через Зею",
            "В Петропавловске-Камчатском продлили режим ЧС из-за циклона",
            "В Ржеве после реставрации открыли мемориальный комплекс",
            "Где стояла Оскольская крепость",
            "Ключевская сопка выбросила пепел на высоту 7 километров",
            "Купеческий дом на улице Ленина: «что осталось»",
            "Тверские энергетики восстановили свет в 40 деревнях после снегопада",
            "Уровень воды в Амуре у Благовещенска опустился ниже нуля",
        ]
    );
    let ch = channel(&feed);
    let body = |title: &str| {
        let it = ch
            .items()
            .iter()
            .find(|i| i.title() == Some(title))
            .unwrap();
        format!(
            "{} {}",
            it.description().unwrap_or_default(),
            it.content().unwrap_or_default()
        )
    };
    // The Yandex full text, not only the one-sentence description.
    assert!(
        body("В Ржеве после реставрации открыли мемориальный комплекс")
            .contains("ветераны и школьники")
    );
    // The description left open ends with its item, and the next item is whole.
    assert!(
        body("В Благовещенске завершили ремонт моста через Зею")
            .contains("Подрядчик уложился в срок.")
    );
    assert!(
        body("Амурские пограничники задержали браконьеров на Бурее").contains("Изъято более 200")
    );
    assert!(body("Купеческий дом на улице Ленина: «что осталось»").contains("Сейчас в нём аптека"));
}

/// A CMS template that ran with an empty query: three items in plain sight, nothing in them.
fn unreadable() -> String {
    let empty =
        "<item><title></title><link></link><description></description><pubDate></pubDate></item>\n";
    format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<rss version=\"2.0\"><channel><title>Губернские ведомости</title><link>https://gubved.test/</link>\n{}</channel></rss>\n",
        empty.repeat(3)
    )
}

#[tokio::test]
async fn items_that_cannot_be_read_fail_the_source_in_fetch_sources_and_inspect() {
    let o = Origin::start().await;
    o.route(
        "/gubved.xml",
        Route::ok(unreadable(), "application/rss+xml"),
    );
    // Cut off by the server in its third item: two kept, one skipped, and said so.
    let cut = rss(&[
        item("Тамбовские аграры начали сев озимых").guid("t1"),
        item("В Мичуринске открыли новую поликлинику").guid("t2"),
        item("Областная дума приняла бюджет на 2027 год")
            .guid("t3")
            .desc("Документ принят в первом чтении"),
    ]);
    let cut = &cut[..cut.find("Документ").unwrap()];
    o.route("/tambov.xml", Route::ok(cut, "application/rss+xml"));
    let app = App::new(&config(
        &[
            ("gubved", o.url("/gubved.xml")),
            ("tambov", o.url("/tambov.xml")),
        ],
        "",
    ));
    let (code, out, _) = app.svodka(&["fetch"]).await;
    assert_eq!(code, 0, "one failing source does not fail the cycle: {out}");
    assert_eq!(
        line(&out, "gubved"),
        "gubved: error: parsed 0 of 3 items: entry without id has neither title nor text"
    );
    assert_eq!(
        line(&out, "tambov"),
        "tambov: 2 new, 0 updated, 0 unchanged, 0 merged, 1 skipped: item 3: the document is cut off inside this item"
    );

    let (_, sources, _) = app.svodka(&["sources"]).await;
    let gubved = sources.split("\ntambov").next().unwrap();
    assert!(gubved.contains("error streak: 1"), "{sources}");
    assert!(
        gubved.contains("error: parsed 0 of 3 items: entry without id has neither title nor text"),
        "{sources}"
    );

    let (code, out, err) = run_svodka(None, &["inspect", &o.url("/gubved.xml")]).await;
    assert_ne!(code, 0, "{out}");
    assert!(out.contains("# items: 0 (of 3 in the document)"), "{out}");
    assert!(
        out.contains("# warning: parsed 0 of 3 items: entry without id has neither title nor text"),
        "{out}"
    );
    assert!(err.contains("parsed 0 of 3 items"), "{err}");
    let (code, out, _) = run_svodka(None, &["inspect", &o.url("/tambov.xml")]).await;
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("# warning: 1 skipped: item 3: the document is cut off inside this item"),
        "{out}"
    );
}

#[tokio::test]
async fn a_source_whose_items_cannot_be_read_shows_as_failing_in_metrics_and_on_the_index() {
    crate::daemon::install_crypto();
    let o = Origin::start().await;
    o.route(
        "/gubved.xml",
        Route::ok(unreadable(), "application/rss+xml"),
    );
    o.route(
        "/lipetsk.xml",
        Route::ok(
            rss(&[item("Липецкие металлурги выплавили рекордную партию стали").guid("1")]),
            "application/rss+xml",
        ),
    );
    let app = App::new(&config(
        &[
            ("gubved", o.url("/gubved.xml")),
            ("lipetsk", o.url("/lipetsk.xml")),
        ],
        "",
    ));
    let d = spawn(&["run"], Some(&app)).await;
    // The two sources are fetched in their own tasks: wait for both.
    let metrics = until(&format!("{}/metrics", d.base), |b| {
        b.contains("svodka_sources{state=\"failing\"} 1")
            && b.contains("svodka_sources{state=\"ok\"} 1")
    })
    .await;
    assert!(
        metrics.contains("svodka_sources{state=\"ok\"} 1"),
        "{metrics}"
    );
    let index = until(&format!("{}/", d.base), |b| {
        b.contains("новости в ленте не читаются")
    })
    .await;
    assert!(
        index.contains(r#"<li class="failing" title=""#)
            && index.contains(r#"gubved — ошибка<span class="why">новости в ленте не читаются"#),
        "the index marks the source: {index}"
    );
    // The detail stays on /sources.
    let sources = until(&format!("{}/sources", d.base), |b| {
        b.contains("parsed 0 of 3 items")
    })
    .await;
    assert!(sources.contains("gubved"), "{sources}");
    assert_eq!(d.stop().await, 0);
}

#[tokio::test]
async fn one_redirect_link_for_two_stories_and_a_live_blog_that_keeps_its_link() {
    let o = Origin::start().await;
    let redir = "http://vyatka-vesti.test/redir.asp?id=2736";
    let governor = item("Губернатор провёл приём граждан в Слободском")
        .link(redir)
        .desc("На приём записались 28 жителей района, большинство вопросов касалось дорог.");
    let road = item("На трассе Киров — Котельнич ограничат движение большегрузов")
        .link(redir)
        .desc("Ограничение продлится до 15 декабря из-за ремонта путепровода.");
    o.route(
        "/vyatka.xml",
        Route::ok(
            rss(&[governor.clone(), road.clone()]),
            "application/rss+xml",
        ),
    );
    let live = "https://primamedia.test/online/ussuriysk-flood/";
    o.route(
        "/prima.xml",
        Route::ok(
            rss(&[item("Паводок в Уссурийске: вода прибывает — онлайн")
                .link(live)
                .desc("Уровень Раздольной поднялся на 40 сантиметров за ночь.")]),
            "application/rss+xml",
        ),
    );
    let app = App::new(&config(
        &[
            ("vyatka", o.url("/vyatka.xml")),
            ("prima", o.url("/prima.xml")),
        ],
        "",
    ));
    let (_, out, _) = app.svodka(&["fetch"]).await;
    assert!(line(&out, "vyatka").starts_with("vyatka: 2 new,"), "{out}");
    assert!(line(&out, "prima").starts_with("prima: 1 new,"), "{out}");

    // Next fetch: the same two, and a third on the same redirect link; the live blog retitled.
    let skating = item("В Кирове открылся новогодний каток на Театральной площади")
        .link(redir)
        .desc("Вход свободный, прокат коньков — 200 рублей в час.");
    o.route(
        "/vyatka.xml",
        Route::ok(rss(&[skating, governor, road]), "application/rss+xml"),
    );
    o.route(
        "/prima.xml",
        Route::ok(
            rss(&[item("Паводок в Уссурийске: эвакуированы 300 человек — онлайн")
                .link(live)
                .desc("Уровень Раздольной поднялся на 40 сантиметров за ночь. Из подтопленных домов эвакуированы 300 человек.")]),
            "application/rss+xml",
        ),
    );
    let (_, out, _) = app.svodka(&["fetch"]).await;
    assert_eq!(
        line(&out, "vyatka"),
        "vyatka: 1 new, 0 updated, 2 unchanged, 0 merged"
    );
    assert_eq!(
        line(&out, "prima"),
        "prima: 0 new, 1 updated, 0 unchanged, 0 merged"
    );
    let (_, feed, _) = app.svodka(&["export", "--feed", "all"]).await;
    let mut got = titles(&feed);
    got.sort();
    assert_eq!(
        got,
        [
            "В Кирове открылся новогодний каток на Театральной площади",
            "Губернатор провёл приём граждан в Слободском",
            "На трассе Киров — Котельнич ограничат движение большегрузов",
            "Паводок в Уссурийске: эвакуированы 300 человек — онлайн",
        ]
    );

    // The live blog's link now carries a second item: the one stored stays one item.
    o.route(
        "/prima.xml",
        Route::ok(
            rss(&[
                item("Паводок в Уссурийске: вода уходит — онлайн")
                    .link(live)
                    .desc("Вода начала уходить из микрорайона Семь ветров."),
                item("Паводок в Уссурийске: эвакуированы 300 человек — онлайн")
                    .link(live)
                    .desc("Уровень Раздольной поднялся на 40 сантиметров за ночь. Из подтопленных домов эвакуированы 300 человек."),
            ]),
            "application/rss+xml",
        ),
    );
    let (_, out, _) = app.svodka(&["fetch", "--source", "prima"]).await;
    assert_eq!(
        line(&out, "prima"),
        "prima: 1 new, 0 updated, 1 unchanged, 0 merged"
    );
}
