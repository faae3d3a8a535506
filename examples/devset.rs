//! The story engine on real news: the labelled pairs of `tests/data/real/pairs.tsv` (judged by
//! reading both articles, rules in `tests/data/real/RULES.md`) over the articles of the
//! ParaPhraser news set, which stays outside the project (`../shared/data/`, or the path in
//! `SVODKA_DEVSET`).
//!
//!     cargo run --release --example devset            # pairs, then the stream
//!     cargo run --release --example devset -- pairs -v # and every wrong decision
//!
//! - **pairs**: each labelled pair alone in a fresh engine, the second article decided against
//!   the first, as two agencies' reports in a fresh database.
//! - **stream**: every article of the labelled pairs as one day's news from 20 agencies, in the
//!   order their dates give, fetched in batches of up to 50 per agency (so boilerplate is learned
//!   as a fetch learns it); each labelled pair scored by whether both ended up in one story.
//!
//! The labels: `same` (one event), `affair` (the same affair, another event), `other`.
//! A merge of anything but `same` is a false merge.

use std::collections::HashMap;
use std::io::BufRead;
use std::path::PathBuf;

use svodka::stories::{Boilerplate, Decision, Engine, Fingerprint, Report, Tune};

/// The engine as configured, or with the rules and threshold the environment names
/// (`SVODKA_TUNE=similarity,member_share,per_day`) for comparing them.
fn engine() -> Engine {
    let e = Engine::new(72 * 3600);
    let Ok(t) = std::env::var("SVODKA_TUNE") else {
        return e;
    };
    let v: Vec<f32> = t.split(',').filter_map(|x| x.parse().ok()).collect();
    let [sim, member_share, per_day] = v[..] else {
        panic!("SVODKA_TUNE: three numbers");
    };
    e.with_story_similarity(sim).with_tune(Tune {
        member_share,
        per_day,
    })
}

#[derive(serde::Deserialize)]
struct Pair {
    id: u32,
    id_1: String,
    id_2: String,
    title_1: String,
    title_2: String,
    text_1: String,
    text_2: String,
    url_1: String,
    url_2: String,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Label {
    Same,
    Affair,
    Other,
}

struct Article {
    title: String,
    text: String,
    /// The day its address gives, as seconds; None when it gives none.
    day: Option<i64>,
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let verbose = args.iter().any(|a| a == "-v");
    let mode = args
        .iter()
        .find(|a| !a.starts_with('-'))
        .map(String::as_str)
        .unwrap_or("both");
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let data = std::env::var_os("SVODKA_DEVSET")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("../shared/data/paraphraser-news.jsonl.gz"));
    let labels = load_labels(&root.join("tests/data/real/pairs.tsv"))?;
    let across = load_across(&root.join("tests/data/real/articles.tsv"))?;
    let pairs = load_pairs(&data, &labels)?;
    println!(
        "{} labelled pairs: {} same, {} affair, {} other",
        pairs.len(),
        count(&pairs, Label::Same),
        count(&pairs, Label::Affair),
        count(&pairs, Label::Other)
    );
    if mode == "pairs" || mode == "both" {
        pairs_alone(&pairs, verbose);
    }
    if mode == "dump" {
        dump(&pairs);
    }
    if mode == "stream" || mode == "both" {
        stream(&pairs, &across, verbose);
    }
    Ok(())
}

fn count(pairs: &[(Pair, Label)], l: Label) -> usize {
    pairs.iter().filter(|(_, x)| *x == l).count()
}

fn load_labels(path: &std::path::Path) -> anyhow::Result<HashMap<u32, Label>> {
    let mut out = HashMap::new();
    for line in std::fs::read_to_string(path)?.lines() {
        let mut f = line.split('\t');
        let (Some(id), Some(label)) = (f.next(), f.next()) else {
            anyhow::bail!("{}: bad line {line:?}", path.display());
        };
        out.insert(id.parse()?, self::label(label)?);
    }
    Ok(out)
}

fn label(s: &str) -> anyhow::Result<Label> {
    Ok(match s {
        "same" => Label::Same,
        "affair" => Label::Affair,
        "other" => Label::Other,
        _ => anyhow::bail!("bad label {s:?}"),
    })
}

/// Labelled pairs of articles from different dataset pairs (the stream's merges that no pair
/// covered, judged by reading): (article, article, label).
fn load_across(path: &std::path::Path) -> anyhow::Result<Vec<(String, String, Label)>> {
    let mut out = Vec::new();
    for line in std::fs::read_to_string(path)?.lines() {
        let f: Vec<&str> = line.split('\t').collect();
        let [a, b, l, ..] = f[..] else {
            anyhow::bail!("{}: bad line {line:?}", path.display());
        };
        out.push((a.to_string(), b.to_string(), label(l)?));
    }
    Ok(out)
}

fn load_pairs(
    path: &std::path::Path,
    labels: &HashMap<u32, Label>,
) -> anyhow::Result<Vec<(Pair, Label)>> {
    let file = std::fs::File::open(path).map_err(|e| {
        anyhow::anyhow!(
            "{}: {e} (the ParaPhraser news set: set SVODKA_DEVSET)",
            path.display()
        )
    })?;
    let reader = std::io::BufReader::new(flate2::read::GzDecoder::new(file));
    let mut out = Vec::new();
    for line in reader.lines() {
        let p: Pair = serde_json::from_str(&line?)?;
        if let Some(&l) = labels.get(&p.id) {
            out.push((p, l));
        }
    }
    out.sort_by_key(|(p, _)| p.id);
    Ok(out)
}

/// The day in a news address: `/2013/01/17/`, `/17/01/2013/` or `/20130117/`.
fn day_of(url: &str) -> Option<i64> {
    let parts: Vec<&str> = url.split('/').collect();
    let num = |s: &str| s.parse::<u32>().ok();
    let ymd = |y: u32, m: u32, d: u32| {
        chrono::NaiveDate::from_ymd_opt(y as i32, m, d)
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .map(|t| t.and_utc().timestamp())
    };
    for w in parts.windows(3) {
        if let (Some(a), Some(b), Some(c)) = (num(w[0]), num(w[1]), num(w[2])) {
            if w[0].len() == 4 && (2000..2100).contains(&a) {
                return ymd(a, b, c);
            }
            if w[2].len() == 4 && (2000..2100).contains(&c) {
                return ymd(c, b, a);
            }
        }
    }
    parts
        .iter()
        .find(|p| p.len() == 8 && p.starts_with("20") && num(p).is_some())
        .and_then(|p| ymd(num(&p[..4])?, num(&p[4..6])?, num(&p[6..])?))
}

fn fingerprint(title: &str, text: &str) -> Fingerprint {
    let (_, mut out) =
        svodka::stories::prepare(&Boilerplate::default(), [(title, text)].into_iter());
    out.remove(0).1
}

#[derive(Default, Clone, Copy)]
struct Score {
    tp: usize,
    fp: usize,
    fn_: usize,
    merged_affair: usize,
    merged_other: usize,
}

impl Score {
    fn add(&mut self, label: Label, merged: bool) {
        match (label, merged) {
            (Label::Same, true) => self.tp += 1,
            (Label::Same, false) => self.fn_ += 1,
            (Label::Affair, true) => {
                self.fp += 1;
                self.merged_affair += 1
            }
            (Label::Other, true) => {
                self.fp += 1;
                self.merged_other += 1
            }
            _ => {}
        }
    }

    fn print(&self, what: &str) {
        let p = self.tp as f64 / (self.tp + self.fp).max(1) as f64;
        let r = self.tp as f64 / (self.tp + self.fn_).max(1) as f64;
        println!(
            "{what}: precision {p:.3} recall {r:.3} ({} right merges, {} wrong: {} affair, {} other; {} missed)",
            self.tp, self.fp, self.merged_affair, self.merged_other, self.fn_
        );
    }
}

fn pairs_alone(pairs: &[(Pair, Label)], verbose: bool) {
    let mut score = Score::default();
    for (p, label) in pairs {
        let a = fingerprint(&p.title_1, &p.text_1);
        let b = fingerprint(&p.title_2, &p.text_2);
        let day_a = day_of(&p.url_1).unwrap_or(0);
        let day_b = day_of(&p.url_2).unwrap_or(day_a);
        let mut engine = engine();
        let at_a = day_a + 12 * 3600;
        engine.insert(1, "a", at_a, at_a, 1, 1, &a);
        let decision = engine.decide(&Report {
            source: "b",
            published: day_b + 13 * 3600,
            fp: &b,
        });
        let merged = decision.story() == Some(1);
        score.add(*label, merged);
        if verbose && (merged != (*label == Label::Same)) {
            println!(
                "  {} {:?} {decision:?}\n    A {}\n    B {}",
                p.id, label, p.title_1, p.title_2
            );
        }
    }
    score.print("pairs, each alone");
}

/// The agencies of the stream: an article keeps one agency; the second article of a pair never
/// has the first's (an agency's own reports are never compared).
const AGENCIES: u64 = 20;

fn stream(pairs: &[(Pair, Label)], across: &[(String, String, Label)], verbose: bool) {
    let mut articles: HashMap<&str, Article> = HashMap::new();
    let mut agency: HashMap<&str, u64> = HashMap::new();
    for (p, _) in pairs {
        for (id, title, text, url) in [
            (&p.id_1, &p.title_1, &p.text_1, &p.url_1),
            (&p.id_2, &p.title_2, &p.text_2, &p.url_2),
        ] {
            articles.entry(id).or_insert_with(|| Article {
                title: title.clone(),
                text: text.clone(),
                day: day_of(url),
            });
        }
        let hash = |s: &str| {
            s.bytes().fold(1469598103934665603u64, |h, b| {
                (h ^ b as u64).wrapping_mul(1099511628211)
            })
        };
        let a = *agency.entry(&p.id_1).or_insert(hash(&p.id_1) % AGENCIES);
        if !agency.contains_key(p.id_2.as_str()) {
            let mut b = hash(&p.id_2) % AGENCIES;
            if b == a {
                b = (b + 1) % AGENCIES;
            }
            agency.insert(&p.id_2, b);
        }
    }
    // A day's news: the articles in the order of their dates (an undated one beside the
    // article it is paired with), spread evenly over 24 hours.
    let mut order: Vec<&str> = articles.keys().copied().collect();
    let key = |id: &str| {
        (
            articles[id].day.unwrap_or(i64::MAX),
            id.parse::<u64>().unwrap_or(0),
        )
    };
    order.sort_by_key(|id| key(id));
    let start = 1_765_000_000i64;
    let step = 86_400 / order.len().max(1) as i64;
    let at: HashMap<&str, i64> = order
        .iter()
        .enumerate()
        .map(|(n, id)| (*id, start + n as i64 * step))
        .collect();
    // Fetches: each agency's articles in batches of up to 50, in arrival order.
    let mut fps: HashMap<&str, Fingerprint> = HashMap::new();
    let mut learned: HashMap<u64, Boilerplate> = HashMap::new();
    for ag in 0..AGENCIES {
        let mine: Vec<&str> = order
            .iter()
            .copied()
            .filter(|id| agency[id] == ag)
            .collect();
        for batch in mine.chunks(50) {
            let b = learned.entry(ag).or_default();
            let (next, out) = svodka::stories::prepare(
                b,
                batch
                    .iter()
                    .map(|id| (articles[id].title.as_str(), articles[id].text.as_str())),
            );
            *b = next;
            for (id, (_, fp)) in batch.iter().zip(out) {
                fps.insert(id, fp);
            }
        }
    }
    let mut engine = engine();
    let mut story: HashMap<&str, i64> = HashMap::new();
    for (n, id) in order.iter().enumerate() {
        let rid = n as i64 + 1;
        let source = format!("agency-{}", agency[id]);
        let decision = engine.decide(&Report {
            source: &source,
            published: at[id],
            fp: &fps[id],
        });
        let (copy, s) = match decision {
            Decision::Copy { copy, story, .. } => (copy, story),
            Decision::Story { story, .. } => (rid, story),
            Decision::New => (rid, rid),
        };
        engine.insert(rid, &source, at[id], at[id], s, copy, &fps[id]);
        story.insert(id, s);
    }
    let mut score = Score::default();
    for (p, label) in pairs {
        let merged = story[p.id_1.as_str()] == story[p.id_2.as_str()];
        score.add(*label, merged);
        if verbose && (merged != (*label == Label::Same)) {
            println!(
                "  {} {:?} merged {merged}\n    A {}\n    B {}",
                p.id, label, p.title_1, p.title_2
            );
        }
    }
    score.print(&format!(
        "stream of {} articles from {AGENCIES} agencies, the labelled pairs",
        order.len()
    ));
    let mut all = score;
    let mut score = Score::default();
    for (a, b, label) in across {
        let (Some(x), Some(y)) = (story.get(a.as_str()), story.get(b.as_str())) else {
            continue;
        };
        score.add(*label, x == y);
        all.add(*label, x == y);
        if verbose && x == y && *label != Label::Same {
            println!(
                "  across {a} {b} {label:?}\n    {}\n    {}",
                articles[a.as_str()].title,
                articles[b.as_str()].title
            );
        }
    }
    score.print("  the labelled pairs across dataset pairs");
    all.print("  every labelled pair");
    // Merges between articles of different pairs: no label says they are one event. The
    // biggest stories show what the engine joins beyond the pairs.
    let mut members: HashMap<i64, Vec<&str>> = HashMap::new();
    for (id, s) in &story {
        members.entry(*s).or_default().push(id);
    }
    let paired: std::collections::HashSet<(&str, &str)> = pairs
        .iter()
        .flat_map(|(p, _)| {
            [
                (p.id_1.as_str(), p.id_2.as_str()),
                (p.id_2.as_str(), p.id_1.as_str()),
            ]
        })
        .collect();
    let labelled: std::collections::HashSet<(&str, &str)> = across
        .iter()
        .flat_map(|(a, b, _)| [(a.as_str(), b.as_str()), (b.as_str(), a.as_str())])
        .collect();
    let mut unlabelled = 0;
    for m in members.values() {
        for (i, a) in m.iter().enumerate() {
            for b in &m[i + 1..] {
                if !paired.contains(&(*a, *b)) && !labelled.contains(&(*a, *b)) {
                    unlabelled += 1;
                    if verbose {
                        println!(
                            "  unlabelled merge\n    {a} {}\n    {b} {}",
                            articles[a].title, articles[b].title
                        );
                    }
                }
            }
        }
    }
    println!(
        "  {} stories of two or more; {unlabelled} merged article pairs that no label covers",
        members.values().filter(|m| m.len() > 1).count()
    );
}

/// One line a pair: its label and what the engine sees (for choosing rules by measuring).
fn dump(pairs: &[(Pair, Label)]) {
    for (p, label) in pairs {
        let a = fingerprint(&p.title_1, &p.text_1);
        let b = fingerprint(&p.title_2, &p.text_2);
        let ta = fingerprint(&p.title_1, "");
        let tb = fingerprint(&p.title_2, "");
        let engine = Engine::new(72 * 3600);
        let (c, cos) = engine.similarity(&a, &b);
        let (_, tcos) = engine.similarity(&ta, &tb);
        let lead = |t: &str| {
            t.split('\n')
                .find(|l| l.trim().len() > 40)
                .unwrap_or("")
                .to_string()
        };
        let la = fingerprint(&p.title_1, &lead(&p.text_1));
        let lb = fingerprint(&p.title_2, &lead(&p.text_2));
        let (_, lcos) = engine.similarity(&la, &lb);
        let shared = a.names.iter().filter(|n| b.names.contains(n)).count();
        let days = (day_of(&p.url_1).unwrap_or(0) - day_of(&p.url_2).unwrap_or(0)).abs() / 86_400;
        println!(
            "{}\t{:?}\t{c:.3}\t{cos:.3}\t{tcos:.3}\t{lcos:.3}\t{shared}\t{}\t{}\t{days}\t{}\t{}",
            p.id,
            label,
            a.names.len(),
            b.names.len(),
            p.title_1,
            p.title_2
        );
    }
}
