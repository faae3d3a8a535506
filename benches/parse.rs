//! decode + parse + normalize throughput on a realistic 100-item Cyrillic feed in windows-1251,
//! beside a raw quick-xml scan of the same bytes (the XML tokenizer's own limit) and feed-rs
//! alone on the UTF-8 form, all measured in the same run.
//!
//!     cargo bench --bench parse
//!
//! With `SVODKA_BENCH_DUMP=/tmp/feed.xml` it also writes the feed, for `benches/feedparser_ref.py`.

use std::hint::black_box;

use chrono::Utc;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

const LEADS: [&str; 5] = [
    "В Липецкой области стартовал сезон ремонта региональных дорог: в 2027 году подрядчики обновят покрытие на 48 участках общей протяжённостью более 230 километров, сообщила пресс-служба администрации области.",
    "Воронежские аграрии собрали рекордный урожай сахарной свёклы — более 7 млн тонн. По словам министра сельского хозяйства региона, средняя урожайность превысила 520 центнеров с гектара.",
    "В Тамбове управляющие компании заявили о кризисе неплатежей: долг жителей за отопление превысил 1,2 млрд рублей. В мэрии пообещали провести проверку и разработать график реструктуризации.",
    "Курские медики вернулись из гуманитарной миссии в Сирии, где в течение месяца принимали пациентов в полевом госпитале под Дамаском. За это время они провели более 300 операций.",
    "В Белгороде выпал первый снег: ночью высота покрова достигла 5 сантиметров, на дорогах гололедица. Коммунальщики вывели на улицы 80 единиц техники и 200 дворников.",
];

/// A feed like a regional agency's: 100 items, HTML descriptions with «ёлочки» and entities,
/// guids, RFC 822 dates in Moscow time, tracking parameters in links, in windows-1251.
fn feed_cp1251() -> (Vec<u8>, String) {
    let mut s = String::from(
        "<?xml version=\"1.0\" encoding=\"windows-1251\"?>\n<rss version=\"2.0\">\n<channel>\n<title>Курьер Придонья — новости Воронежа</title>\n<link>https://voronezh-courier.example/</link>\n<description>Новости Воронежа и области</description>\n<language>ru</language>\n",
    );
    for i in 0..100 {
        let lead = LEADS[i % LEADS.len()];
        s.push_str(&format!(
            "<item>\n<title>Новость №{i}: «{}»</title>\n<link>https://voronezh-courier.example/news/{i}.html?utm_source=rss&amp;utm_medium=feed</link>\n<guid isPermaLink=\"false\">voronezh-courier:{}</guid>\n<pubDate>Fri, 27 Nov 2026 {:02}:{:02}:00 +0300</pubDate>\n<category>Регион</category>\n<description><![CDATA[<p>{lead}</p><p>Подробности — в материале нашего корреспондента. <a href=\"/news/{i}.html\">Читать далее&nbsp;→</a></p>]]></description>\n</item>\n",
            &lead[..lead.char_indices().nth(60).map_or(lead.len(), |(b, _)| b)],
            40000 + i,
            8 + i / 60,
            i % 60
        ));
    }
    s.push_str("</channel>\n</rss>\n");
    let (bytes, _, _) = encoding_rs::WINDOWS_1251.encode(&s);
    let utf8 = s.replacen("windows-1251", "utf-8", 1);
    (bytes.into_owned(), utf8)
}

fn bench(c: &mut Criterion) {
    let (bytes, utf8) = feed_cp1251();
    // `benches/feedparser_ref.py` measures Python's feedparser on these very bytes.
    if let Ok(path) = std::env::var("SVODKA_BENCH_DUMP") {
        std::fs::write(&path, &bytes).expect("cannot write the bench feed");
    }
    let base = url::Url::parse("https://voronezh-courier.example/rss/").ok();
    let mut g = c.benchmark_group("100-item windows-1251 feed");
    g.throughput(Throughput::Bytes(bytes.len() as u64));
    let scan = |xml: &[u8]| {
        let mut r = quick_xml::Reader::from_reader(xml);
        let mut buf = Vec::new();
        let mut n = 0u32;
        loop {
            match r.read_event_into(&mut buf) {
                Ok(quick_xml::events::Event::Eof) => break n,
                Err(e) => panic!("the bench feed must scan whole: {e}"),
                Ok(_) => n += 1,
            }
            buf.clear();
        }
    };
    assert!(scan(utf8.as_bytes()) > 1000);
    g.bench_function("quick-xml raw scan of the UTF-8 form (reference)", |b| {
        b.iter(|| {
            let mut r = quick_xml::Reader::from_reader(black_box(utf8.as_bytes()));
            let mut buf = Vec::new();
            let mut n = 0u32;
            loop {
                match r.read_event_into(&mut buf) {
                    Ok(quick_xml::events::Event::Eof) | Err(_) => break,
                    Ok(_) => n += 1,
                }
                buf.clear();
            }
            n
        })
    });
    g.bench_function("feed-rs alone on UTF-8 (reference)", |b| {
        b.iter(|| feed_rs::parser::parse(black_box(utf8.as_bytes())).map(|f| f.entries.len()))
    });
    g.bench_function("svodka decode+parse+normalize", |b| {
        b.iter(|| {
            svodka::parse::parse_feed(black_box(&bytes), None, None, base.as_ref(), Utc::now())
                .map(|p| p.feed.items.len())
        })
    });
    // The fallback readings on the same items: the whole feed in the UserLand default namespace
    // (read again with namespaces normalised), and its items after `</channel>` (read item by
    // item): what a feed that needs the fallback costs.
    let cp1251 = |s: &str| encoding_rs::WINDOWS_1251.encode(s).0.into_owned();
    let text = encoding_rs::WINDOWS_1251.decode(&bytes).0.into_owned();
    let namespaced = cp1251(&text.replacen(
        "<rss version=\"2.0\">",
        "<rss version=\"2.0\" xmlns=\"http://backend.userland.com/rss2\">",
        1,
    ));
    let siblings = cp1251(&text.replacen("<item>", "</channel>\n<item>", 1).replacen(
        "</channel>\n</rss>",
        "</rss>",
        1,
    ));
    for (name, feed) in [
        (
            "svodka on it in a default namespace (fallback: namespaces)",
            &namespaced,
        ),
        (
            "svodka on it with items after </channel> (fallback: item by item)",
            &siblings,
        ),
    ] {
        let n = svodka::parse::parse_feed(feed, None, None, base.as_ref(), Utc::now())
            .map(|p| p.feed.items.len());
        assert_eq!(n.ok(), Some(100), "{name} must read every item");
        g.bench_function(name, |b| {
            b.iter(|| {
                svodka::parse::parse_feed(black_box(feed), None, None, base.as_ref(), Utc::now())
                    .map(|p| p.feed.items.len())
            })
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
