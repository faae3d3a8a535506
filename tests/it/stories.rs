//! The story engine scored on the team's labelled set (`tests/data/stories.jsonl`): pairwise
//! precision and recall for copies and for stories, printed, and held above the bars of issue 6.
//!
//! Each agency's items are first seen as one feed would list them (its boilerplate is learned
//! from them, as from a fetch), then every report reaches the engine in the order it was
//! published, as a daemon polling the agencies would see them.

use std::collections::HashMap;

use serde::Deserialize;
use svodka::stories::{Boilerplate, Decision, Engine, Report};

#[derive(Deserialize)]
struct Labelled {
    id: String,
    agency: String,
    published: String,
    title: String,
    text: String,
    copy: Option<String>,
    story: Option<String>,
}

struct Scores {
    tp: usize,
    fp: usize,
    fn_: usize,
}

impl Scores {
    fn precision(&self) -> f64 {
        self.tp as f64 / (self.tp + self.fp).max(1) as f64
    }
    fn recall(&self) -> f64 {
        self.tp as f64 / (self.tp + self.fn_).max(1) as f64
    }
}

fn load() -> Vec<Labelled> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/stories.jsonl");
    let text = std::fs::read_to_string(path).expect("the labelled set");
    let mut items: Vec<Labelled> = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).expect("a labelled item"))
        .collect();
    items.sort_by_key(|it| published(it));
    items
}

fn published(it: &Labelled) -> i64 {
    chrono::DateTime::parse_from_rfc3339(&it.published)
        .expect("an RFC 3339 date")
        .timestamp()
}

/// Runs the set through the engine: per item, its predicted (copy group, story), and a
/// function that tells how alike two items looked to the engine at the end.
fn run(
    items: &[Labelled],
    threshold: f32,
) -> (Vec<(i64, i64)>, impl Fn(usize, usize) -> (f64, f32)) {
    let mut learned: HashMap<&str, Boilerplate> = HashMap::new();
    for it in items {
        learned.entry(&it.agency).or_default();
    }
    let mut prepared = HashMap::new();
    for (agency, b) in &learned {
        let mine: Vec<&Labelled> = items.iter().filter(|i| i.agency == *agency).collect();
        let (_, out) =
            svodka::stories::prepare(b, mine.iter().map(|i| (i.title.as_str(), i.text.as_str())));
        for (it, fp) in mine.iter().zip(out) {
            prepared.insert(it.id.as_str(), fp.1);
        }
    }
    // A running store has seen the region's news for weeks: its IDF knows which words every
    // report uses. The set itself stands in for that history.
    let mut engine = Engine::new(72 * 3600).with_story_similarity(threshold);
    for fp in prepared.values() {
        engine.observe(fp);
    }
    let mut out = Vec::new();
    for (n, it) in items.iter().enumerate() {
        let id = n as i64 + 1;
        let fp = &prepared[it.id.as_str()];
        let at = published(it);
        let decision = engine.decide(&Report {
            source: &it.agency,
            published: at,
            fp,
        });
        if std::env::var("SVODKA_STORY_DEBUG").is_ok_and(|d| d == it.id) {
            println!(
                "{}: {decision:?} samples {} names {}",
                it.id,
                fp.samples.len(),
                fp.names.len()
            );
        }
        let (copy, story) = match decision {
            Decision::Copy { copy, story, .. } => (copy, story),
            Decision::Story { story, .. } => (id, story),
            Decision::New => (id, id),
        };
        engine.insert(id, &it.agency, at, at, story, copy, fp);
        out.push((copy, story));
    }
    let fps: Vec<_> = items
        .iter()
        .map(|it| prepared[it.id.as_str()].clone())
        .collect();
    (out, move |i: usize, j: usize| {
        engine.similarity(&fps[i], &fps[j])
    })
}

fn score(
    items: &[Labelled],
    same_label: impl Fn(usize, usize) -> bool,
    same_pred: impl Fn(usize, usize) -> bool,
) -> (Scores, Vec<(usize, usize, bool)>) {
    let mut s = Scores {
        tp: 0,
        fp: 0,
        fn_: 0,
    };
    let mut wrong = Vec::new();
    for i in 0..items.len() {
        for j in i + 1..items.len() {
            match (same_label(i, j), same_pred(i, j)) {
                (true, true) => s.tp += 1,
                (false, true) => {
                    s.fp += 1;
                    wrong.push((i, j, false));
                }
                (true, false) => {
                    s.fn_ += 1;
                    wrong.push((i, j, true));
                }
                (false, false) => {}
            }
        }
    }
    (s, wrong)
}

#[test]
fn the_engine_finds_copies_and_stories_in_the_labelled_set() {
    let items = load();
    if let Ok(sweep) = std::env::var("SVODKA_STORY_SWEEP") {
        for t in sweep.split(',').filter_map(|t| t.parse::<f32>().ok()) {
            let (pred, _) = run(&items, t);
            let (s, _) = score(
                &items,
                |i, j| {
                    let same = |a: &Option<String>, b: &Option<String>| a.is_some() && a == b;
                    same(&items[i].story, &items[j].story) || same(&items[i].copy, &items[j].copy)
                },
                |i, j| pred[i].1 == pred[j].1,
            );
            println!(
                "threshold {t:.2}: stories precision {:.3} recall {:.3}",
                s.precision(),
                s.recall()
            );
        }
    }
    let (pred, similarity) = run(&items, svodka::stories::STORY_SIMILARITY);
    let same = |a: &Option<String>, b: &Option<String>| a.is_some() && a == b;
    let (copies, copy_errors) = score(
        &items,
        |i, j| same(&items[i].copy, &items[j].copy),
        |i, j| pred[i].0 == pred[j].0,
    );
    let (stories, story_errors) = score(
        &items,
        |i, j| same(&items[i].story, &items[j].story) || same(&items[i].copy, &items[j].copy),
        |i, j| pred[i].1 == pred[j].1,
    );
    let show = |errors: &[(usize, usize, bool)]| {
        for (i, j, missed) in errors.iter().take(40) {
            let (c, cos) = similarity(*i, *j);
            println!(
                "  {} c={c:.2} cos={cos:.2} {} «{}» ~ {} «{}»",
                if *missed { "missed" } else { "FALSE " },
                items[*i].id,
                items[*i].title,
                items[*j].id,
                items[*j].title
            );
        }
    };
    println!(
        "copies:  precision {:.3}  recall {:.3}  ({} pairs found right, {} wrong, {} missed)",
        copies.precision(),
        copies.recall(),
        copies.tp,
        copies.fp,
        copies.fn_
    );
    show(&copy_errors);
    println!(
        "stories: precision {:.3}  recall {:.3}  ({} pairs found right, {} wrong, {} missed)",
        stories.precision(),
        stories.recall(),
        stories.tp,
        stories.fp,
        stories.fn_
    );
    show(&story_errors);
    assert!(
        copies.precision() >= 0.99,
        "copy precision {:.3}",
        copies.precision()
    );
    assert!(
        copies.recall() >= 0.95,
        "copy recall {:.3}",
        copies.recall()
    );
    assert!(
        stories.precision() >= 0.95,
        "story precision {:.3}",
        stories.precision()
    );
    assert!(
        stories.recall() >= 0.80,
        "story recall {:.3}",
        stories.recall()
    );
}
