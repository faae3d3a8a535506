//! Storing fetched items: svodka's `save_fetch` (identity lookup, the report's row with its
//! fingerprint, topics, the story engine's decision and its in-memory indexes, the story row,
//! validators, one IMMEDIATE transaction per 50-item fetch) beside the plain
//! reference: 50 bare INSERTs per transaction into a table of the same width, same pragmas, same
//! run.
//!
//!     cargo bench --bench store

use std::hint::black_box;

use chrono::{Duration, Utc};
use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use svodka::model::Item;
use svodka::store;

const WORDS: [&str; 24] = [
    "администрация",
    "области",
    "сообщила",
    "ремонт",
    "дорог",
    "губернатор",
    "подписал",
    "соглашение",
    "школ",
    "больниц",
    "строительство",
    "рублей",
    "миллиона",
    "жителей",
    "района",
    "города",
    "сезон",
    "отопительный",
    "управляющие",
    "компании",
    "проверка",
    "заседание",
    "правительства",
    "региона",
];

/// Fifty distinct items of ~60 words, as one agency's feed.
fn fetch(batch: u64) -> Vec<(Item, Vec<String>)> {
    (0..50u64)
        .map(|i| {
            let n = batch * 50 + i;
            // Common words with item-specific ones between them, as in real news: items share
            // vocabulary, not long runs of it.
            let text: Vec<String> = (0..60u64)
                .map(|w| {
                    let h = (n.wrapping_mul(0x9e37_79b9_7f4a_7c15)
                        ^ w.wrapping_mul(0xbf58_476d_1ce4_e5b9))
                        >> 40;
                    if w.is_multiple_of(3) {
                        WORDS[(h % 24) as usize].to_string()
                    } else {
                        format!("слово{}", h % 20_000)
                    }
                })
                .collect();
            let item = Item {
                guid: Some(format!("agency:{n}")),
                link: Some(format!("https://agency.example/news/{n}")),
                title: format!("Новость номер {n}"),
                summary: Some(format!("<p>{}</p>", text.join(" "))),
                content: None,
                text: format!("{n} {}", text.join(" ")),
                author: None,
                image: None,
                published: Utc::now() - Duration::minutes(n as i64 % 600),
                date_from_first_seen: false,
                link_shared: false,
            };
            (
                item,
                if n.is_multiple_of(5) {
                    vec!["crisis".to_string()]
                } else {
                    Vec::new()
                },
            )
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("one 50-item fetch per transaction");
    g.throughput(Throughput::Elements(50));
    g.sample_size(30);

    let dir = tempfile::tempdir().expect("temp dir");
    let cfg = svodka::config::Config::parse(
        "[[source]]\nname = \"agency\"\nurl = \"https://agency.example/rss\"\n",
        &dir.path().join("svodka.toml"),
    )
    .expect("config");
    let db = store::Db::open(&cfg.storage.path).expect("database");
    db.with(|c| store::sync_sources(c, &cfg.sources))
        .expect("sources");
    let mut batch = 0u64;
    g.bench_function(
        "svodka save_fetch (identity, topics, stories, validators)",
        |b| {
            b.iter_batched(
                || {
                    batch += 1;
                    // Fingerprints are taken in the fetch's parsing task, beside the writer.
                    fetch(batch)
                        .into_iter()
                        .map(|(item, topics)| store::Incoming::new(item, topics))
                        .collect::<Vec<_>>()
                },
                |items| {
                    db.with_engine(|c, e| {
                        let state = store::load_fetch_state(c, "agency")?;
                        store::save_fetch(
                            c,
                            e,
                            "agency",
                            black_box(&items),
                            None,
                            &state,
                            Utc::now(),
                        )
                    })
                    .expect("save")
                },
                BatchSize::SmallInput,
            )
        },
    );

    let plain = rusqlite::Connection::open(dir.path().join("plain.db")).expect("plain database");
    plain
        .execute_batch(
            "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;
             CREATE TABLE items (id INTEGER PRIMARY KEY, source TEXT, link TEXT, title TEXT,
                                 summary TEXT, text TEXT, published INTEGER);",
        )
        .expect("plain schema");
    let mut batch = 0u64;
    g.bench_function("plain INSERT x50 (reference)", |b| {
        b.iter_batched(
            || {
                batch += 1;
                fetch(batch)
            },
            |items| {
                let tx = plain.unchecked_transaction().expect("tx");
                {
                    let mut stmt = tx
                        .prepare_cached("INSERT INTO items (source, link, title, summary, text, published) VALUES (?1, ?2, ?3, ?4, ?5, ?6)")
                        .expect("prepare");
                    for (it, _) in &items {
                        stmt.execute(rusqlite::params!["agency", it.link, it.title, it.summary, it.text, it.published.timestamp()])
                            .expect("insert");
                    }
                }
                tx.commit().expect("commit")
            },
            BatchSize::SmallInput,
        )
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
