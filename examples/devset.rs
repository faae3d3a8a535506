//! The story engine on real news: the labelled pairs of `tests/data/real/pairs.tsv` (judged by
//! reading both articles, rules in `tests/data/real/RULES.md`) over the articles of the
//! ParaPhraser news set, which stays outside the project (`../shared/data/`, or the path in
//! `SVODKA_DEVSET`).
//!
//!     cargo run --release --example devset            # pairs, then the stream
//!     cargo run --release --example devset -- pairs -v # and every wrong decision
//!     cargo build --release && cargo run --release --example devset -- binary
//!                                                      # the stream through `svodka fetch`
//!     … -- binary-pairs                                # and each pair alone (~10 minutes)
//!     … -- feats                                       # per pair, JSON: the tagged title and
//!                                                      # lead, the score (for choosing rules)
//!     … -- cost                                        # what a fingerprint costs here
//!
//! Every figure is printed for the whole and for two halves by pair id: rules are chosen on
//! the even ids (development) and kept when the odd ids (check) agree.
//!
//! - **pairs**: each labelled pair alone in a fresh engine, the second article decided against
//!   the first, as two agencies' reports in a fresh database.
//! - **stream**: every article of the labelled pairs as one day's news from 20 agencies, in the
//!   order their dates give, fetched in batches of up to 50 per agency (so boilerplate is learned
//!   as a fetch learns it); each labelled pair scored by whether both ended up in one story.
//!
//! The labels: `same` (one event), `affair` (the same affair, another event), `other`.
//! A merge of anything but `same` is a false merge.

#[path = "common/realnews.rs"]
mod realnews;

use std::collections::HashMap;
use std::path::PathBuf;

use realnews::{Article, Label, Pair, day_of, label, load_labels};

use svodka::stories::{Boilerplate, Decision, Engine, Fingerprint, Report, Tune};

/// The engine as configured, or with the rules and threshold the environment names
/// (`SVODKA_TUNE=similarity,member_share,per_day`) for comparing them.
fn engine() -> Engine {
    let e = Engine::new(72 * 3600);
    let Ok(t) = std::env::var("SVODKA_TUNE") else {
        return e;
    };
    let v: Vec<f32> = t.split(',').filter_map(|x| x.parse().ok()).collect();
    let (sim, member_share, per_day, act_penalty) = match v[..] {
        [a, b, c] => (a, b, c, Tune::default().act_penalty),
        [a, b, c, d] => (a, b, c, d),
        _ => panic!("SVODKA_TUNE: three or four numbers"),
    };
    e.with_story_similarity(sim).with_tune(Tune {
        member_share,
        per_day,
        act_penalty,
    })
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let verbose = args.iter().any(|a| a == "-v");
    let mode = args
        .iter()
        .find(|a| !a.starts_with('-'))
        .map(String::as_str)
        .unwrap_or("both");
    let root = realnews::root();
    let labels = load_labels(&root.join("tests/data/real/pairs.tsv"))?;
    let across = load_across(&root.join("tests/data/real/articles.tsv"))?;
    let pairs: Vec<(Pair, Label)> = realnews::load_pairs(&realnews::data_path())?
        .into_iter()
        .filter_map(|p| labels.get(&p.id).map(|&l| (p, l)))
        .collect();
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
    if mode == "binary" || mode == "binary-pairs" {
        through_binary(&pairs, &across, mode == "binary-pairs");
    }
    if mode == "dump" {
        dump(&pairs);
    }
    if mode == "cost" {
        cost(&pairs);
    }
    if mode == "feats" {
        feats(&pairs, &across);
    }
    if mode == "stream" || mode == "both" {
        stream(&pairs, &across, verbose);
    }
    Ok(())
}

/// The second article of a pair decided against the first in a fresh engine: two agencies'
/// reports, the first at noon of its day, the second at one o'clock of its own.
fn decide_pair(a: &Fingerprint, b: &Fingerprint, day_a: i64, day_b: i64) -> Decision {
    let mut engine = engine();
    let at_a = day_a + 12 * 3600;
    engine.insert(1, "a", at_a, at_a, 1, 1, a);
    engine.decide(&Report {
        source: "b",
        published: day_b + 13 * 3600,
        fp: b,
    })
}

fn count(pairs: &[(Pair, Label)], l: Label) -> usize {
    pairs.iter().filter(|(_, x)| *x == l).count()
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

/// The half an across pair falls in: its first article's id.
fn across_key(a: &str) -> u64 {
    a.parse().unwrap_or(0)
}

fn fingerprint(title: &str, text: &str) -> Fingerprint {
    let (_, mut out) =
        svodka::stories::prepare(&Boilerplate::default(), [(title, text)].into_iter());
    out.remove(0).1
}

/// The labels split in two by pair id (an across pair by its first article's id): rules are
/// chosen looking at the even half (development) and kept only if the odd half (check) agrees.
#[derive(Default, Clone, Copy)]
struct Score {
    half: [Counts; 2],
}

impl Score {
    fn add(&mut self, key: u64, label: Label, merged: bool) {
        self.half[(key % 2) as usize].add(label, merged);
    }

    fn print(&self, what: &str) {
        let mut whole = self.half[0];
        whole.merge(&self.half[1]);
        whole.print(what);
        self.half[0].print("    development (even ids)");
        self.half[1].print("    check (odd ids)");
    }
}

#[derive(Default, Clone, Copy)]
struct Counts {
    tp: usize,
    fp: usize,
    fn_: usize,
    merged_affair: usize,
    merged_other: usize,
}

impl Counts {
    fn merge(&mut self, o: &Counts) {
        self.tp += o.tp;
        self.fp += o.fp;
        self.fn_ += o.fn_;
        self.merged_affair += o.merged_affair;
        self.merged_other += o.merged_other;
    }

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
        let decision = decide_pair(&a, &b, day_a, day_b);
        let merged = decision.story() == Some(1);
        score.add(p.id as u64, *label, merged);
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

/// Every article of the pairs, by id.
fn article_texts(pairs: &[(Pair, Label)]) -> HashMap<&str, Article> {
    let mut articles: HashMap<&str, Article> = HashMap::new();
    for (p, _) in pairs {
        for (id, first) in [(&p.id_1, true), (&p.id_2, false)] {
            articles.entry(id).or_insert_with(|| Article::of(p, first));
        }
    }
    articles
}

type Day<'a> = (Vec<&'a str>, HashMap<&'a str, u64>, HashMap<&'a str, i64>);

/// A day's news: the articles in the order of their dates (an undated one beside the article
/// it is paired with), spread evenly over 24 hours from 0, each with its agency.
fn day_of_news<'a>(pairs: &'a [(Pair, Label)], articles: &HashMap<&'a str, Article>) -> Day<'a> {
    let mut agency: HashMap<&str, u64> = HashMap::new();
    let hash = |s: &str| {
        s.bytes().fold(1469598103934665603u64, |h, b| {
            (h ^ b as u64).wrapping_mul(1099511628211)
        })
    };
    for (p, _) in pairs {
        let a = *agency.entry(&p.id_1).or_insert(hash(&p.id_1) % AGENCIES);
        if !agency.contains_key(p.id_2.as_str()) {
            let mut b = hash(&p.id_2) % AGENCIES;
            if b == a {
                b = (b + 1) % AGENCIES;
            }
            agency.insert(&p.id_2, b);
        }
    }
    let mut order: Vec<&str> = articles.keys().copied().collect();
    let key = |id: &str| {
        (
            articles[id].day.unwrap_or(i64::MAX),
            id.parse::<u64>().unwrap_or(0),
        )
    };
    order.sort_by_key(|id| key(id));
    let step = 86_400 / order.len().max(1) as i64;
    let at = order
        .iter()
        .enumerate()
        .map(|(n, id)| (*id, n as i64 * step))
        .collect();
    (order, agency, at)
}

fn stream(pairs: &[(Pair, Label)], across: &[(String, String, Label)], verbose: bool) {
    let articles = article_texts(pairs);
    let (order, agency, at) = day_of_news(pairs, &articles);
    let start = 1_765_000_000i64;
    let at: HashMap<&str, i64> = at.into_iter().map(|(id, t)| (id, start + t)).collect();
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
        score.add(p.id as u64, *label, merged);
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
        score.add(across_key(a), *label, x == y);
        all.add(across_key(a), *label, x == y);
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

/// What a fingerprint costs on these articles, and the share of it the predicates' dictionary
/// lookups take (the same lookups done apart, on a fresh thread's cache).
fn cost(pairs: &[(Pair, Label)]) {
    let articles = article_texts(pairs);
    let texts: Vec<(String, String)> = articles
        .values()
        .map(|a| (a.title.clone(), a.text.clone()))
        .collect();
    let _ = svodka::morph::dictionary();
    let n = texts.len() as f64;
    let (fp, lookups) = std::thread::spawn(move || {
        let t = std::time::Instant::now();
        for chunk in texts.chunks(50) {
            let _ = svodka::stories::prepare(
                &Boilerplate::default(),
                chunk.iter().map(|(a, b)| (a.as_str(), b.as_str())),
            );
        }
        let fp = t.elapsed().as_secs_f64();
        let d = svodka::morph::dictionary().expect("dictionary");
        let t = std::time::Instant::now();
        let mut found = 0usize;
        for (title, text) in &texts {
            let lead = svodka::stories::boilerplate::sentences(text).take(2);
            for s in std::iter::once(title.as_str()).chain(lead) {
                for w in svodka::text::raw_words(s) {
                    found += svodka::morph::readings_cached(d, w).map_or(0, |r| r.len());
                }
            }
        }
        std::hint::black_box(found);
        (fp, t.elapsed().as_secs_f64())
    })
    .join()
    .expect("thread");
    println!(
        "{n} articles: fingerprint {:.1} µs each (dictionary lookups of title and lead, warm: {:.1} µs)",
        fp / n * 1e6,
        lookups / n * 1e6
    );
}

/// The words of a text with their most likely dictionary reading (lemma, tag), one JSON array.
fn tagged(text: &str) -> serde_json::Value {
    let d = svodka::morph::dictionary().expect("dictionary");
    let mut out = Vec::new();
    for w in svodka::text::raw_words(text) {
        let mut a = d.analyze(w);
        a.sort_by(|x, y| y.prob.total_cmp(&x.prob));
        let (lemma, tag) = a
            .first()
            .map(|a| {
                (
                    a.lemma.to_lowercase(),
                    a.tag.and_then(|t| d.tag(t)).unwrap_or("").to_string(),
                )
            })
            .unwrap_or_default();
        out.push(serde_json::json!([w, lemma, tag]));
    }
    serde_json::Value::Array(out)
}

/// Per labelled pair (and across pair) the decision alone and the tagged title and lead, for
/// choosing rules by measuring (JSON lines).
fn feats(pairs: &[(Pair, Label)], across: &[(String, String, Label)]) {
    let articles = article_texts(pairs);
    let mut rows: Vec<(String, Label, &str, &str)> = pairs
        .iter()
        .map(|(p, l)| (p.id.to_string(), *l, p.id_1.as_str(), p.id_2.as_str()))
        .collect();
    for (a, b, l) in across {
        if articles.contains_key(a.as_str()) && articles.contains_key(b.as_str()) {
            rows.push((format!("{a}:{b}"), *l, a.as_str(), b.as_str()));
        }
    }
    for (id, label, x, y) in rows {
        let (ax, ay) = (&articles[x], &articles[y]);
        let a = fingerprint(&ax.title, &ax.text);
        let b = fingerprint(&ay.title, &ay.text);
        let day_a = ax.day.unwrap_or(0);
        let day_b = ay.day.unwrap_or(day_a);
        let mut engine = engine();
        let at_a = day_a + 12 * 3600;
        engine.insert(1, "a", at_a, at_a, 1, 1, &a);
        let decision = engine.decide(&Report {
            source: "b",
            published: day_b + 13 * 3600,
            fp: &b,
        });
        let score = match decision {
            Decision::Story { score, .. } => score,
            Decision::Copy { .. } => 9.0,
            Decision::New => 0.0,
        };
        let lead = |t: &str| {
            svodka::stories::boilerplate::sentences(t)
                .filter(|s| s.trim().len() > 1)
                .take(2)
                .collect::<Vec<_>>()
                .join(" ")
        };
        let (sim_c, sim) = engine.similarity(&a, &b);
        // The score with no threshold: what any threshold would be compared with.
        let mut open = Engine::new(72 * 3600)
            .with_story_similarity(-10.0)
            .with_tune(Tune {
                member_share: 1.0,
                per_day: 0.0,
                act_penalty: 0.0,
            });
        open.insert(1, "a", at_a, at_a, 1, 1, &a);
        let avg = match open.decide(&Report {
            source: "b",
            published: day_b + 13 * 3600,
            fp: &b,
        }) {
            Decision::Story { score, .. } => Some(score),
            Decision::Copy { .. } => Some(9.0),
            Decision::New => None,
        };
        let shared = a.names.iter().filter(|n| b.names.contains(n)).count();
        let (_, tcos) = engine.similarity(&fingerprint(&ax.title, ""), &fingerprint(&ay.title, ""));
        let (_, lcos) = engine.similarity(
            &fingerprint(&ax.title, &lead(&ax.text)),
            &fingerprint(&ay.title, &lead(&ay.text)),
        );
        let apart =
            !a.acts.is_empty() && !b.acts.is_empty() && !a.acts.iter().any(|x| b.acts.contains(x));
        println!(
            "{}",
            serde_json::json!({
                "id": id, "label": format!("{label:?}"), "merged": decision.story() == Some(1),
                "score": score, "cos": sim, "avg": avg, "tcos": tcos, "lcos": lcos, "apart": apart, "shared": shared,
                "names": [a.names.len(), b.names.len()], "secs": (day_b + 13 * 3600) - at_a, "cont": sim_c, "days": (day_a - day_b).abs() / 86400,
                "t1": tagged(&ax.title), "t2": tagged(&ay.title),
                "l1": tagged(&lead(&ax.text)), "l2": tagged(&lead(&ay.text)),
                "title1": ax.title, "title2": ay.title,
            })
        );
    }
}

/// A feed origin on 127.0.0.1: serves whatever `feeds` holds under a path, one request per
/// connection (all `svodka fetch` needs).
fn origin(feeds: std::sync::Arc<std::sync::Mutex<HashMap<String, String>>>) -> String {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
    let addr = listener.local_addr().expect("local address");
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(mut conn) = conn else { continue };
            let feeds = feeds.clone();
            std::thread::spawn(move || {
                let mut head = Vec::new();
                let mut buf = [0u8; 4096];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    match conn.read(&mut buf) {
                        Ok(0) | Err(_) => return,
                        Ok(n) => head.extend_from_slice(&buf[..n]),
                    }
                }
                let head = String::from_utf8_lossy(&head);
                let path = head.split_whitespace().nth(1).unwrap_or("/").to_string();
                let body = feeds.lock().map(|f| f.get(&path).cloned()).ok().flatten();
                let reply = match body {
                    Some(b) => format!(
                        "HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{b}",
                        b.len()
                    ),
                    None => {
                        "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                            .into()
                    }
                };
                let _ = conn.write_all(reply.as_bytes());
            });
        }
    });
    format!("http://{addr}")
}

/// An agency's feed of the given articles: (article id, title, text, published).
fn rss(agency: &str, items: &[(&str, &str, &str, i64)]) -> String {
    let esc = |s: &str| {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
    };
    let mut out = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss version=\"2.0\"><channel><title>{agency}</title><link>https://{agency}.example/</link><description>{agency}</description>\n"
    );
    for (id, title, text, at) in items {
        let html: String = text
            .split('\n')
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(|p| format!("<p>{}</p>", esc(p)))
            .collect();
        let date = chrono::DateTime::from_timestamp(*at, 0)
            .map(|d| d.to_rfc2822())
            .unwrap_or_default();
        out.push_str(&format!(
            "<item><title>{}</title><link>https://{agency}.example/news/{id}</link><guid>https://{agency}.example/news/{id}</guid><pubDate>{date}</pubDate><description>{}</description></item>\n",
            esc(title),
            esc(&html)
        ));
    }
    out.push_str("</channel></rss>\n");
    out
}

/// Runs `svodka fetch` with a config of the given agencies on `origin`, in `dir`.
fn fetch(bin: &std::path::Path, dir: &std::path::Path, origin: &str, agencies: &[String]) {
    let mut config = String::from("[storage]\npath = \"svodka.db\"\n\n");
    for a in agencies {
        config.push_str(&format!(
            "[[source]]\nname = \"{a}\"\nurl = \"{origin}/{a}.xml\"\n\n"
        ));
    }
    config.push_str("[[feed]]\nname = \"all\"\ntitle = \"all\"\n");
    let path = dir.join("svodka.toml");
    std::fs::write(&path, config).expect("write the config");
    let out = std::process::Command::new(bin)
        .arg("fetch")
        .arg("--config")
        .arg(&path)
        .output()
        .expect("run svodka");
    assert!(
        out.status.success(),
        "svodka fetch: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Each stored report's story, by the article id in its link.
fn stories_in(db: &std::path::Path) -> HashMap<String, i64> {
    let conn = rusqlite::Connection::open(db).expect("open the database");
    let mut stmt = conn
        .prepare("SELECT link, story_id FROM items")
        .expect("query");
    stmt.query_map([], |r| {
        let link: String = r.get(0)?;
        let story: Option<i64> = r.get(1)?;
        Ok((link, story))
    })
    .expect("rows")
    .filter_map(Result::ok)
    .filter_map(|(link, story)| Some((link.rsplit('/').next()?.to_string(), story?)))
    .collect()
}

fn binary_path() -> PathBuf {
    std::env::var_os("SVODKA_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/release/svodka"))
}

/// The pairs and the stream through the real binary: feeds on a local origin, `svodka fetch`,
/// the stories read back from the database.
fn through_binary(pairs: &[(Pair, Label)], across: &[(String, String, Label)], alone: bool) {
    let bin = binary_path();
    assert!(
        bin.exists(),
        "{}: build it first (cargo build --release) or set SVODKA_BIN",
        bin.display()
    );
    let feeds = std::sync::Arc::new(std::sync::Mutex::new(HashMap::new()));
    let base = origin(feeds.clone());
    let now = chrono::Utc::now().timestamp();
    if alone {
        let mut score = Score::default();
        for (p, label) in pairs {
            let dir = tempfile::tempdir().expect("temp dir");
            let day_a = day_of(&p.url_1).unwrap_or(0);
            let day_b = day_of(&p.url_2).unwrap_or(day_a);
            // Dated as their addresses say, moved to end an hour ago.
            let shift = now - 3600 - (day_a.max(day_b) + 13 * 3600);
            let agencies = vec!["a".to_string(), "b".to_string()];
            let a = (
                p.id_1.as_str(),
                p.title_1.as_str(),
                p.text_1.as_str(),
                day_a + 12 * 3600 + shift,
            );
            let b = (
                p.id_2.as_str(),
                p.title_2.as_str(),
                p.text_2.as_str(),
                day_b + 13 * 3600 + shift,
            );
            {
                let mut f = feeds.lock().expect("feeds");
                f.insert("/a.xml".to_string(), rss("a", &[a]));
                f.insert("/b.xml".to_string(), rss("b", &[]));
            }
            fetch(&bin, dir.path(), &base, &agencies);
            feeds
                .lock()
                .expect("feeds")
                .insert("/b.xml".to_string(), rss("b", &[b]));
            fetch(&bin, dir.path(), &base, &agencies);
            let s = stories_in(&dir.path().join("svodka.db"));
            let (Some(x), Some(y)) = (s.get(p.id_1.as_str()), s.get(p.id_2.as_str())) else {
                continue;
            };
            score.add(p.id as u64, *label, x == y);
        }
        score.print("through the binary, pairs each alone");
    }
    // The stream: the day of `stream`, fetched every hour from 20 agencies.
    let articles = article_texts(pairs);
    let (order, agency, at) = day_of_news(pairs, &articles);
    let dir = tempfile::tempdir().expect("temp dir");
    let agencies: Vec<String> = (0..AGENCIES).map(|a| format!("agency-{a}")).collect();
    let start = now - 25 * 3600;
    for hour in 1..=25 {
        let until = start + hour * 3600;
        {
            let mut f = feeds.lock().expect("feeds");
            for (n, name) in agencies.iter().enumerate() {
                let mine: Vec<(&str, &str, &str, i64)> = order
                    .iter()
                    .filter(|id| agency[*id] == n as u64)
                    .map(|id| (*id, at[id] + start))
                    .filter(|(_, t)| *t <= until && *t > until - 3 * 3600)
                    .map(|(id, t)| {
                        (
                            id,
                            articles[id].title.as_str(),
                            articles[id].text.as_str(),
                            t,
                        )
                    })
                    .collect();
                f.insert(format!("/{name}.xml"), rss(name, &mine));
            }
        }
        fetch(&bin, dir.path(), &base, &agencies);
    }
    let story = stories_in(&dir.path().join("svodka.db"));
    let mut score = Score::default();
    for (p, label) in pairs {
        if let (Some(x), Some(y)) = (story.get(p.id_1.as_str()), story.get(p.id_2.as_str())) {
            score.add(p.id as u64, *label, x == y);
        }
    }
    score.print(&format!(
        "through the binary, the stream of {} stored",
        story.len()
    ));
    for (a, b, label) in across {
        if let (Some(x), Some(y)) = (story.get(a.as_str()), story.get(b.as_str())) {
            score.add(across_key(a), *label, x == y);
        }
    }
    score.print("  every labelled pair");
}
