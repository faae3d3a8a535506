//! The storyline: stories of one affair (an arrest, then the verdict) stay two stories and are
//! linked as related — on the story pages («Развитие сюжета»), the static export, Atom
//! (`link rel="related"`) and JSON Feed (`_svodka.related`); a story that shares only a town
//! is not.

use scraper::{Html, Selector};

use crate::feeds::{item, rss};
use crate::harness::{App, Origin, Route};

fn hours_ago(h: i64) -> String {
    (chrono::Utc::now() - chrono::Duration::hours(h)).to_rfc2822()
}

const ARREST_A: &str = "Сотрудники УФСБ по Липецкой области задержали директора МУП «Липецкий \
    пассажирский транспорт» Олега Шатохина. По данным следствия, он получил от подрядчика взятку в \
    2,4 млн рублей за победу в конкурсе на поставку 30 автобусов. Возбуждено уголовное дело, \
    сообщили в региональном управлении СК.";
const ARREST_B: &str = "Директор МУП «Липецкий пассажирский транспорт» Олег Шатохин задержан в \
    Липецке. Как рассказали в УФСБ, руководитель предприятия потребовал деньги у поставщика \
    автобусов и был задержан с поличным при передаче последней части суммы.";
const VERDICT_A: &str = "Советский районный суд Липецка вынес приговор бывшему директору МУП \
    «Липецкий пассажирский транспорт» Олегу Шатохину. Он признал вину и заключил досудебное \
    соглашение; дело рассмотрено в особом порядке. Экс-чиновник проведёт семь лет в колонии \
    строгого режима и выплатит штраф 12 млн рублей.";
const VERDICT_B: &str = "Бывший руководитель МУП «Липецкий пассажирский транспорт» Олег Шатохин \
    приговорён к семи годам лишения свободы. Суд также запретил ему пять лет занимать должности \
    на муниципальной службе. Адвокат осуждённого сообщил, что обжаловать приговор они не будут.";
const RINK: &str = "На площади Петра Великого в Липецке открылся бесплатный каток. Лёд будут \
    заливать каждый вечер, а по выходным для горожан устроят дискотеки. Прокат коньков работает \
    с 10:00 до 22:00.";

/// The stories (id and lead headline) of a JSON feed, from each item's `_svodka.story_url`.
fn stories_of(json: &serde_json::Value) -> Vec<(i64, String)> {
    json["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|it| {
            let url = it["_svodka"]["story_url"].as_str()?;
            let id = url.rsplit('/').next()?.parse().ok()?;
            Some((id, it["title"].as_str()?.to_string()))
        })
        .collect()
}

/// The «Развитие сюжета» of a story page: (headline, link, agencies) of each story listed.
fn storyline(html: &str) -> Vec<(String, String, String)> {
    let page = Html::parse_document(html);
    let heading = Selector::parse("#storyline h2").unwrap();
    let Some(h) = page.select(&heading).next() else {
        return Vec::new();
    };
    assert_eq!(h.text().collect::<String>(), "Развитие сюжета");
    let story = Selector::parse("#storyline article.story").unwrap();
    let link = Selector::parse("h3 a").unwrap();
    let agencies = Selector::parse(".agencies").unwrap();
    page.select(&story)
        .map(|s| {
            let a = s.select(&link).next().unwrap();
            (
                a.text().collect(),
                a.value().attr("href").unwrap().to_string(),
                s.select(&agencies)
                    .next()
                    .map(|x| x.text().collect())
                    .unwrap_or_default(),
            )
        })
        .collect()
}

#[tokio::test]
async fn an_arrest_and_its_verdict_are_two_stories_of_one_affair_and_a_town_alone_links_nothing() {
    let o = Origin::start().await;
    o.route(
        "/vesti.xml",
        Route::ok(
            rss(&[
                item("В Липецке задержан директор МУП «Липецкий пассажирский транспорт» Шатохин")
                    .guid("v-1")
                    .link("https://vesti48.test/1")
                    .desc(ARREST_A)
                    .date(&hours_ago(30)),
                item("Суд приговорил бывшего директора МУП «ЛПТ» Олега Шатохина к 7 годам колонии")
                    .guid("v-2")
                    .link("https://vesti48.test/2")
                    .desc(VERDICT_A)
                    .date(&hours_ago(5)),
                item("В Липецке открылся бесплатный каток")
                    .guid("v-3")
                    .link("https://vesti48.test/3")
                    .desc(RINK)
                    .date(&hours_ago(3)),
            ]),
            "application/rss+xml",
        ),
    );
    o.route(
        "/gorod.xml",
        Route::ok(
            rss(&[
                item("Главу МУП «Липецкий пассажирский транспорт» Шатохина задержали за взятку")
                    .guid("g-1")
                    .link("https://gorod48.test/1")
                    .desc(ARREST_B)
                    .date(&hours_ago(29)),
                item("Экс-директору МУП «Липецкий пассажирский транспорт» Шатохину дали 7 лет")
                    .guid("g-2")
                    .link("https://gorod48.test/2")
                    .desc(VERDICT_B)
                    .date(&hours_ago(4)),
            ]),
            "application/rss+xml",
        ),
    );
    let app = App::new(&format!(
        "[server]\nlisten = \"127.0.0.1:0\"\nbase_url = \"http://news.test\"\n\n\
         [storage]\npath = \"svodka.db\"\n\n[fetch]\ntimeout_secs = 2\n\n\
         [[source]]\nname = \"vesti\"\ntitle = \"Липецкие вести\"\nurl = \"{}\"\n\n\
         [[source]]\nname = \"gorod\"\ntitle = \"Город48\"\nurl = \"{}\"\n\n\
         [[feed]]\nname = \"all\"\ntitle = \"Все новости\"\n",
        o.url("/vesti.xml"),
        o.url("/gorod.xml")
    ));
    let (code, out, err) = app.svodka(&["fetch"]).await;
    assert_eq!(code, 0, "{out}{err}");

    // Three stories: the arrest and the verdict, each from both agencies, and the rink.
    let (_, json, _) = app
        .svodka(&["export", "--feed", "all", "--format", "json"])
        .await;
    let feed: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(feed["items"].as_array().unwrap().len(), 3, "{json}");
    let stories = stories_of(&feed);
    let find = |word: &str| {
        stories
            .iter()
            .find(|(_, t)| t.contains(word))
            .unwrap_or_else(|| panic!("no story with «{word}»: {json}"))
            .0
    };
    let (arrest, verdict) = (find("задержан"), find("приговорил"));
    assert_ne!(arrest, verdict);

    // JSON Feed: each of the two lists the other under `_svodka.related`; the rink nothing.
    for it in feed["items"].as_array().unwrap() {
        let title = it["title"].as_str().unwrap();
        let related: Vec<&str> = it["_svodka"]["related"]
            .as_array()
            .map(|r| r.iter().filter_map(|x| x["url"].as_str()).collect())
            .unwrap_or_default();
        let expected = if title.contains("задержан") {
            vec![format!("http://news.test/stories/{verdict}")]
        } else if title.contains("приговорил") {
            vec![format!("http://news.test/stories/{arrest}")]
        } else {
            vec![]
        };
        assert_eq!(related, expected, "{title}: {json}");
        if !expected.is_empty() {
            let r = &it["_svodka"]["related"][0];
            assert!(r["id"].as_str().unwrap().starts_with("tag:svodka"), "{r}");
            assert_eq!(r["agencies"].as_array().unwrap().len(), 2, "{r}");
        }
    }

    // Atom: the related story's page as `link rel="related"`.
    let (_, atom, _) = app
        .svodka(&["export", "--feed", "all", "--format", "atom"])
        .await;
    let doc = atom_syndication::Feed::read_from(atom.as_bytes()).unwrap();
    let related_of = |word: &str| -> Vec<String> {
        let e = doc
            .entries()
            .iter()
            .find(|e| e.title().as_str().contains(word))
            .unwrap();
        e.links()
            .iter()
            .filter(|l| l.rel() == "related" && l.href().contains("/stories/"))
            .map(|l| l.href().to_string())
            .collect()
    };
    assert_eq!(
        related_of("задержан"),
        [format!("http://news.test/stories/{verdict}")]
    );
    assert_eq!(
        related_of("приговорил"),
        [format!("http://news.test/stories/{arrest}")]
    );
    assert!(related_of("каток").is_empty());

    // The story pages of the static export: «Развитие сюжета» lists the other stage, with both
    // agencies and a link; the rink's page has no such section.
    let dir = app.dir.path().join("public");
    let (code, _, err) = app
        .svodka(&["export", "--all", dir.to_str().unwrap()])
        .await;
    assert_eq!(code, 0, "{err}");
    let page = |id: i64| {
        std::fs::read_to_string(dir.join(format!("stories/{id}/index.html")))
            .unwrap_or_else(|e| panic!("story {id}: {e}"))
    };
    let on_arrest = storyline(&page(arrest));
    assert_eq!(on_arrest.len(), 1, "{on_arrest:?}");
    assert!(on_arrest[0].0.contains("Шатохин"), "{on_arrest:?}");
    assert_eq!(on_arrest[0].1, format!("/stories/{verdict}"));
    assert_eq!(on_arrest[0].2, "Липецкие вести, Город48");
    let on_verdict = storyline(&page(verdict));
    assert_eq!(on_verdict.len(), 1, "{on_verdict:?}");
    assert_eq!(on_verdict[0].1, format!("/stories/{arrest}"));
    // The rink's story (alone, it has no `_svodka` in JSON): from the front page's link.
    let front = Html::parse_document(&std::fs::read_to_string(dir.join("index.html")).unwrap());
    let rink = front
        .select(&Selector::parse("article.story h3 a").unwrap())
        .find(|a| a.text().collect::<String>().contains("каток"))
        .and_then(|a| a.value().attr("href"))
        .expect("the rink on the front page")
        .to_string();
    let rink = std::fs::read_to_string(dir.join(format!("{}/index.html", &rink[1..]))).unwrap();
    assert!(rink.contains("каток"));
    assert_eq!(storyline(&rink), vec![]);

    // The daemon serves the same page.
    crate::daemon::install_crypto();
    let d = crate::daemon::spawn(&["run"], Some(&app)).await;
    let served = crate::daemon::until(&format!("{}/stories/{verdict}", d.base), |b| {
        b.contains("Развитие сюжета")
    })
    .await;
    assert_eq!(storyline(&served), on_verdict);
}
