//! The labelled search set (`labelled.tsv`): recall@20 over its queries and the share of the
//! first ten results that lack a query's lemmas, printed by
//! `cargo test -p svodka-store search_labelled -- --nocapture` with each miss named.

use std::collections::BTreeSet;

use svodka_core::config::Config;
use svodka_core::search::{Lemmatizer, Query, Term, Wanted, run};
use svodka_core::text::{fold, raw_words};

use crate as store;

const SET: &str = include_str!("search_labelled.tsv");
const MIN_RECALL: f64 = 0.95;

struct Labelled {
    kind: &'static str,
    query: &'static str,
    relevant: BTreeSet<i64>,
}

/// A report of the set: (id, source, title, text).
type Item = (i64, &'static str, &'static str, &'static str);

fn read() -> (Vec<Item>, Vec<Labelled>) {
    let (mut items, mut queries) = (Vec::new(), Vec::new());
    for (n, line) in SET.lines().enumerate() {
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let f: Vec<&str> = line.split('\t').collect();
        match f[0] {
            "item" => {
                assert_eq!(f.len(), 5, "line {}", n + 1);
                items.push((f[1].parse().expect("an id"), f[2], f[3], f[4]));
            }
            "query" => {
                assert_eq!(f.len(), 4, "line {}", n + 1);
                queries.push(Labelled {
                    kind: f[1],
                    query: f[2],
                    relevant: f[3]
                        .split_whitespace()
                        .map(|i| i.parse().expect("an id"))
                        .collect(),
                });
            }
            other => panic!("line {}: {other}", n + 1),
        }
    }
    (items, queries)
}

/// Whether a text holds what the query asks for: every word (a phrase's words) by one of its
/// lemmas, a prefix's start, and none of the excluded words.
fn holds(q: &Query, text: &str, lem: &Lemmatizer) -> bool {
    let words: Vec<(String, Vec<String>)> =
        raw_words(text).map(|w| (fold(w), lem.lemmas(w))).collect();
    let has = |want: &Wanted| words.iter().any(|(f, l)| want.matches(f, l));
    let term = |t: &Term| match t {
        Term::Word(l) => has(&Wanted::Lemmas(l.clone())),
        Term::Prefix(p) => has(&Wanted::Prefix(p.clone())),
        Term::Phrase(ws) => ws.iter().all(|l| has(&Wanted::Lemmas(l.clone()))),
    };
    q.include.iter().all(term) && !q.exclude.iter().any(term)
}

#[test]
fn recall_at_20_and_results_without_the_querys_lemmas() {
    let (items, queries) = read();
    assert!(queries.len() >= 100, "{} queries", queries.len());
    let dir = tempfile::tempdir().expect("a temporary folder");
    let conn = store::open(&dir.path().join("svodka.db")).expect("a database");
    let lem = Lemmatizer::new();
    let now = chrono::Utc::now().timestamp();
    let mut sources = BTreeSet::new();
    for (id, source, title, text) in &items {
        sources.insert(*source);
        let at = now - id * 600;
        conn.execute(
            "INSERT INTO items (id, source, key, content_hash, title, text, published, first_seen,
                                updated, story_id, copy_id)
             VALUES (?1, ?2, ?1, '', ?3, ?4, ?5, ?5, ?5, ?1, ?1)",
            rusqlite::params![id, source, title, text, at],
        )
        .expect("an item");
        conn.execute(
            "INSERT INTO stories (id, guid, lead, published, first_seen, updated)
             VALUES (?1, ?1, ?1, ?2, ?2, ?2)",
            rusqlite::params![id, at],
        )
        .expect("a story");
        store::search::index(&conn, *id, &lem.terms(title, text), true).expect("indexed");
    }
    let cfg_text: String = sources
        .iter()
        .map(|s| format!("[[source]]\nname = \"{s}\"\nurl = \"http://127.0.0.1:1/{s}\"\n"))
        .collect();
    let cfg = Config::parse(&cfg_text, std::path::Path::new("t.toml")).expect("a config");
    let text_of = |id: i64| {
        items
            .iter()
            .find(|i| i.0 == id)
            .map(|i| format!("{} {}", i.2, i.3))
            .unwrap_or_default()
    };
    let (mut wanted, mut found, mut shown, mut lacking) = (0usize, 0usize, 0usize, 0usize);
    let mut by_kind: std::collections::BTreeMap<&str, (usize, usize)> = Default::default();
    for l in &queries {
        let r = run(&cfg, &conn, l.query, 20, false, now).expect(l.query);
        let got: Vec<i64> = r.stories.iter().map(|f| f.entry.id).collect();
        let hit = l.relevant.iter().filter(|i| got.contains(i)).count();
        wanted += l.relevant.len();
        found += hit;
        let k = by_kind.entry(l.kind).or_default();
        k.0 += l.relevant.len();
        k.1 += hit;
        if hit < l.relevant.len() {
            let missed: Vec<&i64> = l.relevant.iter().filter(|i| !got.contains(i)).collect();
            println!("missed: {:?} → {missed:?} (found {got:?})", l.query);
        }
        for id in got.iter().take(10) {
            shown += 1;
            if !holds(&r.query, &text_of(*id), &lem) {
                lacking += 1;
                println!("lacks the query's lemmas: {:?} → {id}", l.query);
            }
        }
    }
    let recall = found as f64 / wanted as f64;
    println!(
        "search, labelled set: {} queries over {} reports: recall@20 {recall:.3} ({found} of {wanted}); \
         first ten without the query's lemmas: {lacking} of {shown}",
        queries.len(),
        items.len()
    );
    for (kind, (w, f)) in &by_kind {
        println!("  {kind}: recall {:.3} ({f} of {w})", *f as f64 / *w as f64);
    }
    assert!(recall >= MIN_RECALL, "recall@20 {recall:.3}");
    assert_eq!(lacking, 0);
}
