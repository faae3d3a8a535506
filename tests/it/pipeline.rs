//! The whole pipeline through the real binary: fetch from a local origin into a fresh SQLite
//! file, then export the merged feed.

use crate::feeds::{atom, item, rss, rss_with, rss1, to_encoding};
use crate::harness::{App, Origin, Route, config, titles};

const RELEASE: &str = "В 2027 году на ремонт региональных дорог Липецкой области направят 4,2 млрд рублей, \
    сообщила пресс-служба администрации области. Работы пройдут на 48 участках общей протяжённостью \
    более 230 километров, в том числе на трассе Липецк — Грязи.";

#[tokio::test]
async fn every_encoding_and_format_arrives_with_cyrillic_intact() {
    let o = Origin::start().await;
    let cp1251 = rss_with(
        "windows-1251",
        &[item("Воронежские аграрии собрали рекордный урожай").guid("v1")],
    );
    o.route(
        "/cp1251.xml",
        Route::ok(to_encoding(&cp1251, "windows-1251"), "text/xml"),
    );
    let koi = rss_with(
        "koi8-r",
        &[item("Тамбовский хор \"Ёлочка\" стал лауреатом").guid("k1")],
    );
    o.route(
        "/koi8.xml",
        Route::ok(to_encoding(&koi, "koi8-r"), "application/rss+xml"),
    );
    o.route(
        "/utf8.xml",
        Route::ok(
            rss(&[item("Липецкий «Металлург» выиграл третий матч подряд").guid("u1")]),
            "application/rss+xml; charset=utf-8",
        ),
    );
    o.route(
        "/atom.xml",
        Route::ok(
            atom(
                &[item("Курская АЭС-2: второй энергоблок выведен на мощность")
                    .guid("tag:atom.test,2026:a1")
                    .link("https://atom.test/a1")],
            ),
            "application/atom+xml",
        ),
    );
    o.route(
        "/rdf.xml",
        Route::ok(
            rss1(&[
                item("Белгородские пасечники провели ярмарку мёда").link("https://rdf.test/med")
            ]),
            "application/rdf+xml",
        ),
    );
    let names = ["cp1251", "koi8", "utf8", "atom", "rdf"];
    let sources: Vec<(&str, String)> = names
        .iter()
        .map(|n| (*n, o.url(&format!("/{n}.xml"))))
        .collect();
    let app = App::new(&config(&sources, ""));

    let (code, out, err) = app.svodka(&["fetch"]).await;
    assert_eq!(code, 0, "{out}\n{err}");
    for n in names {
        assert!(out.contains(&format!("{n}: 1 new")), "{n} in:\n{out}");
    }
    let (code, feed, err) = app.svodka(&["export", "--feed", "all"]).await;
    assert_eq!(code, 0, "{err}");
    let got = titles(&feed);
    for want in [
        "Воронежские аграрии собрали рекордный урожай",
        "Тамбовский хор \"Ёлочка\" стал лауреатом",
        "Липецкий «Металлург» выиграл третий матч подряд",
        "Курская АЭС-2: второй энергоблок выведен на мощность",
        "Белгородские пасечники провели ярмарку мёда",
    ] {
        assert!(
            got.iter().any(|t| t == want),
            "{want:?} missing from {got:?}"
        );
    }
}

#[tokio::test]
async fn an_item_listed_twice_is_one_and_a_second_fetch_adds_nothing() {
    let o = Origin::start().await;
    let twice = rss(&[
        item("Снегопад в Липецке: коммунальщики вышли на улицы").guid("s1"),
        item("Снегопад в Липецке: коммунальщики вышли на улицы").guid("s1"),
        item("В Ельце открыли новый детский сад").guid("s2"),
    ]);
    o.route("/feed.xml", Route::ok(twice, "application/rss+xml"));
    let app = App::new(&config(&[("lipetsk", o.url("/feed.xml"))], ""));
    let (_, out, _) = app.svodka(&["fetch"]).await;
    assert!(
        out.contains("lipetsk: 2 new, 0 updated, 0 unchanged"),
        "{out}"
    );
    let (_, out, _) = app.svodka(&["fetch"]).await;
    assert!(
        out.contains("lipetsk: 0 new, 0 updated, 2 unchanged"),
        "{out}"
    );
    let (_, feed, _) = app.svodka(&["export", "--feed", "all"]).await;
    assert_eq!(titles(&feed).len(), 2);
}

#[tokio::test]
async fn two_items_of_one_source_sharing_a_link_stay_two() {
    let o = Origin::start().await;
    // A live-blog page: every update is its own item under the same link.
    let page = "https://lipetsk.test/online/vybory";
    o.route(
        "/feed.xml",
        Route::ok(
            rss(&[
                item("Выборы: явка к полудню 21%").guid("live-1").link(page),
                item("Выборы: явка к 18 часам 39%")
                    .guid("live-2")
                    .link(page),
            ]),
            "application/rss+xml",
        ),
    );
    let app = App::new(&config(&[("lipetsk", o.url("/feed.xml"))], ""));
    let (_, out, _) = app.svodka(&["fetch"]).await;
    assert!(out.contains("lipetsk: 2 new, 0 updated"), "{out}");
    let (_, out, _) = app.svodka(&["fetch"]).await;
    assert!(
        out.contains("lipetsk: 0 new, 0 updated, 2 unchanged"),
        "{out}"
    );
    let (_, feed, _) = app.svodka(&["export", "--feed", "all"]).await;
    assert_eq!(titles(&feed).len(), 2);
}

#[tokio::test]
async fn conditional_get_sends_the_stored_validators_and_a_304_changes_nothing() {
    let o = Origin::start().await;
    o.route(
        "/feed.xml",
        Route::ok(
            rss(&[item("Ремонт моста через Воронеж завершат к маю").guid("m1")]),
            "application/rss+xml",
        )
        .etag("\"v1\"")
        .header("last-modified", "Fri, 27 Nov 2026 07:00:00 GMT"),
    );
    let app = App::new(&config(&[("voronezh", o.url("/feed.xml"))], ""));
    app.svodka(&["fetch"]).await;
    let (code, out, _) = app.svodka(&["fetch"]).await;
    assert_eq!(code, 0);
    assert!(
        out.contains("voronezh: unchanged (304 Not Modified)"),
        "{out}"
    );
    let seen = o.seen("/feed.xml");
    assert_eq!(seen.len(), 2);
    assert!(seen[0].headers.get("if-none-match").is_none());
    assert_eq!(seen[1].headers["if-none-match"], "\"v1\"");
    assert_eq!(
        seen[1].headers["if-modified-since"],
        "Fri, 27 Nov 2026 07:00:00 GMT"
    );
    let ua = seen[0].headers["user-agent"].to_str().unwrap();
    assert!(ua.starts_with("svodka/"), "{ua}");
    let (_, feed, _) = app.svodka(&["export", "--feed", "all"]).await;
    assert_eq!(titles(&feed), ["Ремонт моста через Воронеж завершат к маю"]);
}

#[tokio::test]
async fn one_story_from_three_agencies_is_published_once_naming_the_others() {
    let o = Origin::start().await;
    let link = "https://lipetsk-vesti.test/news/remont-dorog";
    o.route(
        "/lipetsk.xml",
        Route::ok(
            rss(&[item("Липецкая область направит 4,2 млрд на дороги")
                .guid("l1")
                .link(link)
                .desc(RELEASE)]),
            "application/rss+xml",
        ),
    );
    // The same article, linked with a partner campaign tag.
    o.route(
        "/tambov.xml",
        Route::ok(
            rss(&[item("Соседи: 4,2 млрд на дороги")
                .guid("t1")
                .link(&format!("{link}?utm_source=tambov&utm_campaign=partner"))
                .desc("Коротко: соседи ремонтируют дороги.")]),
            "application/rss+xml",
        ),
    );
    // The same press release word for word, under the agency's own link and headline.
    o.route(
        "/voronezh.xml",
        Route::ok(
            rss(&[item("Липецк увеличит финансирование дорог")
                .guid("v1")
                .link("https://voronezh.test/40852.html")
                .desc(RELEASE)]),
            "application/rss+xml",
        ),
    );
    let app = App::new(&config(
        &[
            ("lipetsk", o.url("/lipetsk.xml")),
            ("tambov", o.url("/tambov.xml")),
            ("voronezh", o.url("/voronezh.xml")),
        ],
        "",
    ));
    app.svodka(&["fetch", "--source", "lipetsk"]).await;
    let (_, out, _) = app.svodka(&["fetch"]).await;
    assert!(
        out.contains("tambov: 0 new, 0 updated, 0 unchanged, 1 merged"),
        "{out}"
    );
    assert!(
        out.contains("voronezh: 0 new, 0 updated, 0 unchanged, 1 merged"),
        "{out}"
    );
    let (_, feed, _) = app.svodka(&["export", "--feed", "all"]).await;
    let ch = crate::harness::channel(&feed);
    assert_eq!(ch.items().len(), 1, "{feed}");
    let it = &ch.items()[0];
    assert_eq!(it.link(), Some(link));
    let desc = it.description().unwrap();
    // The other agencies' own reports, each with its own headline and link.
    assert!(desc.contains("Также сообщили:"), "{desc}");
    assert!(
        desc.contains("<a href=\"https://voronezh.test/40852.html\">voronezh — Липецк увеличит финансирование дорог</a>"),
        "{desc}"
    );
    assert!(desc.contains(">tambov — "), "{desc}");
}

#[tokio::test]
async fn topics_become_categories_and_filter_feeds() {
    let o = Origin::start().await;
    o.route(
        "/feed.xml",
        Route::ok(
            rss(&[
                item("Студенты из Сирии начали учёбу в Липецке").guid("1"),
                item("В Липецке прозвучала сирена гражданской обороны").guid("2"),
                item("Энергетический кризис: ТЭЦ перешла на резервное топливо").guid("3"),
            ]),
            "application/rss+xml",
        ),
    );
    let extra = r#"
[[topic]]
name = "syria"
title = "Сирия"
keywords = ["Сирия"]

[[topic]]
name = "crisis"
title = "Кризис"
keywords = ["кризис"]

[[feed]]
name = "all"
title = "Все"

[[feed]]
name = "syria-only"
title = "Только Сирия"
topics = ["syria"]
"#;
    let app = App::new(&config(&[("lipetsk", o.url("/feed.xml"))], extra));
    app.svodka(&["fetch"]).await;
    let (_, feed, _) = app.svodka(&["export", "--feed", "all"]).await;
    let ch = crate::harness::channel(&feed);
    let cats = |title: &str| -> Vec<String> {
        let it = ch
            .items()
            .iter()
            .find(|i| i.title() == Some(title))
            .unwrap();
        it.categories()
            .iter()
            .map(|c| c.name().to_string())
            .collect()
    };
    assert_eq!(cats("Студенты из Сирии начали учёбу в Липецке"), ["Сирия"]);
    assert!(cats("В Липецке прозвучала сирена гражданской обороны").is_empty());
    assert_eq!(
        cats("Энергетический кризис: ТЭЦ перешла на резервное топливо"),
        ["Кризис"]
    );
    let (_, only, _) = app.svodka(&["export", "--feed", "syria-only"]).await;
    assert_eq!(titles(&only), ["Студенты из Сирии начали учёбу в Липецке"]);
}

const HEATING: &str = "Отопительный сезон в Воронеже начнётся 5 октября: соответствующее постановление подписал \
    глава города. В первую очередь тепло подадут в детские сады, школы и больницы, затем в жилые дома. \
    Управляющие компании должны завершить промывку и опрессовку систем до конца сентября, иначе их \
    ждут штрафы, предупредили в городской администрации.";

#[tokio::test]
async fn near_identical_texts_from_two_agencies_are_one_story() {
    let o = Origin::start().await;
    o.route(
        "/voronezh.xml",
        Route::ok(
            rss(&[item("Отопление в Воронеже дадут 5 октября")
                .guid("v1")
                .link("https://vrn.test/1")
                .desc(HEATING)]),
            "application/rss+xml",
        ),
    );
    // The other agency edits a few words and writes its own headline.
    let edited = HEATING
        .replace("предупредили в городской администрации", "сообщили в мэрии")
        .replace("5 октября", "пятого октября");
    let other_story = "Воронежские коммунальщики завершили ремонт теплотрассы на улице Плехановской: \
        движение транспорта восстановлено в полном объёме, а жители двенадцати домов получили горячую \
        воду раньше срока, рассказали в пресс-службе теплоснабжающей компании города.";
    o.route(
        "/kurier.xml",
        Route::ok(
            rss(&[
                item("Тепло в дома воронежцев подадут пятого октября")
                    .guid("k1")
                    .link("https://kurier.test/1")
                    .desc(&edited),
                item("Теплотрассу на Плехановской отремонтировали")
                    .guid("k2")
                    .link("https://kurier.test/2")
                    .desc(other_story),
            ]),
            "application/rss+xml",
        ),
    );
    let extra = "[[topic]]\nname = \"mayor\"\ntitle = \"Мэрия\"\nkeywords = [\"мэрия\"]\n\n[[feed]]\nname = \"all\"\ntitle = \"Все\"\n\n[[feed]]\nname = \"mayor\"\ntitle = \"Мэрия\"\ntopics = [\"mayor\"]\n";
    let app = App::new(&config(
        &[
            ("voronezh", o.url("/voronezh.xml")),
            ("kurier", o.url("/kurier.xml")),
        ],
        extra,
    ));
    app.svodka(&["fetch", "--source", "voronezh"]).await;
    let (_, out, _) = app.svodka(&["fetch", "--source", "kurier"]).await;
    assert!(
        out.contains("kurier: 1 new, 0 updated, 0 unchanged, 1 merged"),
        "{out}"
    );
    let (_, feed, _) = app.svodka(&["export", "--feed", "all"]).await;
    let ch = crate::harness::channel(&feed);
    let mut got: Vec<_> = ch.items().iter().map(|i| i.title().unwrap_or("")).collect();
    got.sort();
    assert_eq!(
        got,
        [
            "Отопление в Воронеже дадут 5 октября",
            "Теплотрассу на Плехановской отремонтировали"
        ]
    );
    let story = ch
        .items()
        .iter()
        .find(|i| i.title() == Some("Отопление в Воронеже дадут 5 октября"))
        .unwrap();
    assert!(
        story
            .description()
            .unwrap()
            .contains("Также сообщили:</em> <a href=\"https://kurier.test/1\">kurier — "),
        "{feed}"
    );
    // Only the second agency's words carry the topic; the story is in the topic's feed all the same.
    let (_, mayor, _) = app.svodka(&["export", "--feed", "mayor"]).await;
    assert_eq!(titles(&mayor), ["Отопление в Воронеже дадут 5 октября"]);
}
