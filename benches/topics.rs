//! The cost of topic matching per item, on the labelled set's 185 headlines and leads with its 19
//! topics, beside two references measured in the same run: splitting the same words and
//! stemming each with Snowball (the work the matcher did before the dictionary), and the
//! matcher without the dictionary. Also the one-time cost of checking the built-in dictionary.
//!
//!     cargo bench --bench topics

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use svodka::config::{Topic, TopicScope};
use svodka::text::{Stems, words};
use svodka::topics::Matcher;

const SET: &str = include_str!("../crates/core/src/topics/labelled.tsv");

fn set() -> (Vec<Topic>, Vec<(String, String)>) {
    let mut topics = Vec::new();
    let mut items = Vec::new();
    for line in SET.lines().filter(|l| !l.is_empty() && !l.starts_with('#')) {
        let f: Vec<&str> = line.split('\t').collect();
        match (f[0].strip_prefix('@'), f.len()) {
            (Some(name), 2) => topics.push(Topic {
                name: name.into(),
                title: name.into(),
                keywords: f[1].split(';').map(|k| k.trim().to_string()).collect(),
                exclude: Vec::new(),
                scope: TopicScope::Headline,
            }),
            (None, 3) => items.push((f[1].to_string(), f[2].to_string())),
            _ => panic!("bad line in the labelled set: {line}"),
        }
    }
    (topics, items)
}

fn bench(c: &mut Criterion) {
    let (topics, items) = set();
    let mut g = c.benchmark_group("topics");
    g.throughput(Throughput::Elements(items.len() as u64));
    let stems = Stems::new();
    g.bench_function("reference: split + Snowball every word", |b| {
        b.iter(|| {
            for (title, lead) in &items {
                for w in words(title).chain(words(lead)) {
                    black_box(stems.stem_folded(&w));
                }
            }
        })
    });
    let snowball = Matcher::snowball_only(&topics);
    g.bench_function("tag, Snowball and guard only", |b| {
        b.iter(|| {
            for (title, lead) in &items {
                black_box(snowball.tag(title, lead, ""));
            }
        })
    });
    let m = Matcher::new(&topics);
    g.bench_function("tag, dictionary", |b| {
        b.iter(|| {
            for (title, lead) in &items {
                black_box(m.tag(title, lead, ""));
            }
        })
    });
    g.finish();
    let mut g = c.benchmark_group("dictionary");
    g.sample_size(20);
    g.bench_function("load and check the built-in dictionary", |b| {
        b.iter(|| black_box(svodka::morph::load().map(|d| d.word_count())))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
