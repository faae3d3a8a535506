//! The labelled topic set (`labelled.tsv`): precision and recall of the matcher over every
//! (item, topic) pair, printed by `cargo test --lib labelled -- --nocapture`, with each miss
//! and each false tag named.

use std::collections::BTreeSet;

use super::Matcher;
use crate::config::{Topic, TopicScope};

const SET: &str = include_str!("labelled.tsv");
const MIN_PRECISION: f64 = 0.98;
const MIN_RECALL: f64 = 0.95;

struct Labelled<'a> {
    topics: BTreeSet<&'a str>,
    title: &'a str,
    lead: &'a str,
}

fn read() -> (Vec<Topic>, Vec<Labelled<'static>>) {
    let mut topics = Vec::new();
    let mut items = Vec::new();
    for (n, line) in SET.lines().enumerate() {
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let fields: Vec<&str> = line.split('\t').collect();
        if let Some(name) = fields[0].strip_prefix('@') {
            assert_eq!(fields.len(), 2, "line {}: @name<TAB>keywords", n + 1);
            topics.push(Topic {
                name: name.into(),
                title: name.into(),
                keywords: fields[1].split(';').map(|k| k.trim().to_string()).collect(),
                exclude: Vec::new(),
                scope: TopicScope::Headline,
            });
            continue;
        }
        assert_eq!(fields.len(), 3, "line {}: labels<TAB>title<TAB>lead", n + 1);
        let labels: BTreeSet<&str> = fields[0].split(',').filter(|l| *l != "-").collect();
        for l in &labels {
            assert!(
                topics.iter().any(|t| t.name == *l),
                "line {}: unknown topic {l}",
                n + 1
            );
        }
        items.push(Labelled {
            topics: labels,
            title: fields[1],
            lead: fields[2],
        });
    }
    (topics, items)
}

/// Precision and recall of one matcher over the set, naming each error when `show`.
fn score(m: &Matcher, items: &[Labelled], show: bool) -> (f64, f64, u32, u32, u32) {
    let (mut tp, mut fp, mut fn_) = (0u32, 0u32, 0u32);
    for it in items {
        let tagged = m.tag(it.title, it.lead, "");
        let tagged: BTreeSet<&str> = tagged.iter().map(String::as_str).collect();
        for t in tagged.union(&it.topics) {
            match (tagged.contains(t), it.topics.contains(t)) {
                (true, true) => tp += 1,
                (true, false) => {
                    fp += 1;
                    if show {
                        println!("false tag {t}: {} / {}", it.title, it.lead);
                    }
                }
                (false, true) => {
                    fn_ += 1;
                    if show {
                        println!("missed {t}: {} / {}", it.title, it.lead);
                    }
                }
                (false, false) => {}
            }
        }
    }
    let precision = f64::from(tp) / f64::from(tp + fp);
    let recall = f64::from(tp) / f64::from(tp + fn_);
    (precision, recall, tp, fp, fn_)
}

#[test]
fn labelled_set_precision_and_recall() {
    let (topics, items) = read();
    assert!(items.len() >= 150, "only {} items", items.len());
    // The baseline: the Snowball stems and their guard alone, without the dictionary.
    let (p, r, ..) = score(&Matcher::snowball_only(&topics), &items, false);
    println!("Snowball and guard alone: precision {p:.3}, recall {r:.3}");
    let (precision, recall, tp, fp, fn_) = score(&Matcher::new(&topics), &items, true);
    println!(
        "labelled topic set: {} items, {} topics; precision {precision:.3} ({tp} of {}), recall {recall:.3} ({tp} of {})",
        items.len(),
        topics.len(),
        tp + fp,
        tp + fn_
    );
    assert!(precision >= MIN_PRECISION, "precision {precision:.3}");
    assert!(recall >= MIN_RECALL, "recall {recall:.3}");
}
