//! The storyline on real news: which stories of one affair end up related («Развитие сюжета»),
//! measured on the labelled pairs of `tests/data/real/pairs.tsv` (rules in
//! `tests/data/real/RULES.md`) over the articles of the ParaPhraser news set, which stays outside
//! the project (`../shared/data/`, or the path in `SVODKA_DEVSET`).
//!
//!     cargo run --release --example storyline            # the day's stream, then every article
//!     cargo run --release --example storyline -- stream -v  # and every wrong or missed link
//!
//! The articles go through the real store (a fresh SQLite file): each saved by `save_fetch` as
//! one agency's report, with its names from its title and lead, the story engine deciding
//! merges; then each story's related stories are read as its page reads them.
//!
//! - **stream**: the articles of the labelled pairs as one day's news from 20 agencies, as
//!   `examples/devset.rs` builds it.
//! - **all**: every article of the set (11,180) at the dates their addresses give (2013–2015,
//!   one a day for the undated beside their pair), from 20 agencies: the rarity of names and
//!   the candidates a story meets are those of two years of national news.
//!
//! Scored on the labelled pairs the engine did not merge: an `affair` pair is found when either
//! story's page lists the other; a link between an `other` pair is wrong.

#[path = "common/realnews.rs"]
mod realnews;

use std::collections::{HashMap, HashSet};

use realnews::{Article, Label, Pair, day_of, load_labels, load_pairs};

use chrono::{DateTime, Utc};
use svodka::model::FetchState;
use svodka::store::{Db, Incoming};
use svodka::stories::{Boilerplate, Fingerprint};

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let verbose = args.iter().any(|a| a == "-v");
    let mode = args
        .iter()
        .find(|a| !a.starts_with('-'))
        .map(String::as_str)
        .unwrap_or("both");
    let labels = load_labels(&realnews::root().join("tests/data/real/pairs.tsv"))?;
    let all = load_pairs(&realnews::data_path())?;
    let labelled: Vec<(&Pair, Label)> = all
        .iter()
        .filter_map(|p| labels.get(&p.id).map(|l| (p, *l)))
        .collect();
    println!(
        "{} labelled pairs: {} same, {} affair, {} other",
        labelled.len(),
        labelled.iter().filter(|(_, l)| *l == Label::Same).count(),
        labelled.iter().filter(|(_, l)| *l == Label::Affair).count(),
        labelled.iter().filter(|(_, l)| *l == Label::Other).count(),
    );
    if mode == "stream" || mode == "both" {
        let pairs: Vec<&Pair> = labelled.iter().map(|(p, _)| *p).collect();
        let (articles, at) = one_day(&pairs);
        run(
            "stream (one day, labelled pairs' articles)",
            &articles,
            &at,
            &labelled,
            verbose,
        )?;
    }
    if mode == "all" || mode == "both" {
        let pairs: Vec<&Pair> = all.iter().collect();
        let (articles, at) = real_dates(&pairs);
        run(
            "all articles at their own dates",
            &articles,
            &at,
            &labelled,
            verbose,
        )?;
    }
    Ok(())
}

const AGENCIES: u64 = 20;

fn hash(s: &str) -> u64 {
    s.bytes().fold(1469598103934665603u64, |h, b| {
        (h ^ b as u64).wrapping_mul(1099511628211)
    })
}

/// Every article of the pairs, and its agency: an article keeps one agency, and the second
/// article of a pair never has the first's (an agency's own reports are never compared).
fn articles_of<'a>(pairs: &[&'a Pair]) -> HashMap<&'a str, (Article, u64)> {
    let mut out: HashMap<&str, (Article, u64)> = HashMap::new();
    for p in pairs {
        let a = out
            .entry(&p.id_1)
            .or_insert_with(|| (Article::of(p, true), hash(&p.id_1) % AGENCIES))
            .1;
        out.entry(&p.id_2).or_insert_with(|| {
            let mut b = hash(&p.id_2) % AGENCIES;
            if b == a {
                b = (b + 1) % AGENCIES;
            }
            (
                Article {
                    title: p.title_2.clone(),
                    text: p.text_2.clone(),
                    day: day_of(&p.url_2).or(day_of(&p.url_1)),
                },
                b,
            )
        });
    }
    out
}

type Arrivals<'a> = (HashMap<&'a str, (Article, u64)>, Vec<(&'a str, i64)>);

/// A day's news (as `examples/devset.rs`): the articles in the order of their dates, spread
/// evenly over 24 hours.
fn one_day<'a>(pairs: &[&'a Pair]) -> Arrivals<'a> {
    let articles = articles_of(pairs);
    let mut order: Vec<&str> = articles.keys().copied().collect();
    order.sort_by_key(|id| {
        (
            articles[id].0.day.unwrap_or(i64::MAX),
            id.parse::<u64>().unwrap_or(0),
        )
    });
    let start = 1_765_000_000i64;
    let step = 86_400 / order.len().max(1) as i64;
    let at = order
        .iter()
        .enumerate()
        .map(|(n, id)| (*id, start + n as i64 * step))
        .collect();
    (articles, at)
}

/// Every article at its own date, spread over its day in the order of its number.
fn real_dates<'a>(pairs: &[&'a Pair]) -> Arrivals<'a> {
    let articles = articles_of(pairs);
    let mut order: Vec<(&str, i64)> = articles
        .iter()
        .filter_map(|(id, (a, _))| Some((*id, a.day?)))
        .collect();
    order.sort_by_key(|(id, day)| (*day, id.parse::<u64>().unwrap_or(0)));
    let mut per_day: HashMap<i64, i64> = HashMap::new();
    let at = order
        .into_iter()
        .map(|(id, day)| {
            let n = per_day.entry(day).or_default();
            *n += 1;
            // Between 06:00 and 23:00, a few minutes apart.
            (id, day + 6 * 3600 + (*n * 300).min(17 * 3600))
        })
        .collect();
    (articles, at)
}

fn run(
    what: &str,
    articles: &HashMap<&str, (Article, u64)>,
    at: &[(&str, i64)],
    labelled: &[(&Pair, Label)],
    verbose: bool,
) -> anyhow::Result<()> {
    let started = std::time::Instant::now();
    let dir = tempfile::tempdir()?;
    let db = Db::open(&dir.path().join("storyline.db"))?;
    // Each agency's boilerplate learned from its articles in batches of 50, as fetches learn it.
    let mut prepared: HashMap<&str, (String, Fingerprint)> = HashMap::new();
    for ag in 0..AGENCIES {
        let mine: Vec<&str> = at
            .iter()
            .map(|(id, _)| *id)
            .filter(|id| articles[id].1 == ag)
            .collect();
        let mut learned = Boilerplate::default();
        for batch in mine.chunks(50) {
            let (next, out) = svodka::stories::prepare(
                &learned,
                batch
                    .iter()
                    .map(|id| (articles[id].0.title.as_str(), articles[id].0.text.as_str())),
            );
            learned = next;
            for (id, p) in batch.iter().zip(out) {
                prepared.insert(id, p);
            }
        }
    }
    let mut naming = std::time::Duration::ZERO;
    for (id, t) in at {
        let (a, ag) = &articles[id];
        let Some((body, fp)) = prepared.remove(id) else {
            continue;
        };
        let lead = svodka::topics::lead(None, None, &body);
        let when = DateTime::<Utc>::from_timestamp(*t, 0).unwrap_or_default();
        let item = svodka::model::Item {
            guid: Some(id.to_string()),
            link: None,
            title: a.title.clone(),
            summary: None,
            content: None,
            text: a.text.clone(),
            author: None,
            image: None,
            published: when,
            date_from_first_seen: false,
            link_shared: false,
        };
        let mut incoming = Incoming::with_fingerprint(item, vec![], fp);
        let named = std::time::Instant::now();
        incoming.entities = svodka::storyline::entities(&a.title, &lead);
        naming += named.elapsed();
        let source = format!("agency-{ag}");
        let state = FetchState::default();
        db.with_engine(|c, e| {
            svodka::store::save_fetch(c, e, &source, &[incoming], None, &state, when)
        })?;
    }
    let saved = std::time::Instant::now();
    if let Some(path) = std::env::var_os("SVODKA_STORYLINE_DUMP") {
        // Each report's story and names, with how many reports name each (to try rules on).
        let rows: Vec<String> = db.with(|c| {
            c.prepare(
                "SELECT i.key, i.story_id, i.title, e.entity, e.kind, e.title, n.reports
                 FROM items i JOIN item_entities e ON e.item_id = i.id
                 JOIN entities n ON n.entity = e.entity",
            )?
            .query_map([], |r| {
                Ok(format!(
                    "{}\t{}\t{}\t{}\t{}\t{}\t{}",
                    r.get::<_, String>(0)?,
                    r.get::<_, i64>(1)?,
                    r.get::<_, String>(2)?.replace('\t', " "),
                    r.get::<_, String>(3)?,
                    r.get::<_, i64>(4)?,
                    r.get::<_, i64>(5)?,
                    r.get::<_, i64>(6)?
                ))
            })?
            .collect::<rusqlite::Result<_>>()
        })?;
        std::fs::write(path, rows.join("\n"))?;
    }
    // Each article's story, and each story's related stories as its page lists them.
    let story_of: HashMap<String, i64> = db.with(|c| {
        c.prepare("SELECT key, story_id FROM items")?
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<_>>()
    })?;
    let stories: Vec<i64> = {
        let mut s: Vec<i64> = story_of.values().copied().collect();
        s.sort_unstable();
        s.dedup();
        s
    };
    let mut related: HashMap<i64, Vec<i64>> = HashMap::new();
    let mut titles: HashMap<i64, String> = HashMap::new();
    let mut why: HashMap<(i64, i64), Vec<String>> = HashMap::new();
    db.with(|c| -> Result<(), svodka::archive::StoreError> {
        for &s in &stories {
            let r = svodka::store::related(c, s)?;
            for x in &r {
                titles.insert(x.story, x.title.clone());
                why.insert((s.min(x.story), s.max(x.story)), x.names.clone());
            }
            related.insert(s, r.into_iter().map(|x| x.story).collect());
        }
        Ok(())
    })?;
    let read = std::time::Instant::now();
    let linked = |a: i64, b: i64| related[&a].contains(&b) || related[&b].contains(&a);
    #[derive(Default)]
    struct Tally {
        apart: usize,
        linked: usize,
    }
    let mut tally: HashMap<&str, Tally> = HashMap::new();
    let mut labelled_links: HashSet<(i64, i64)> = HashSet::new();
    for (p, label) in labelled {
        let (Some(&a), Some(&b)) = (story_of.get(&p.id_1), story_of.get(&p.id_2)) else {
            continue;
        };
        if a == b {
            continue;
        }
        let name = match label {
            Label::Same => "same",
            Label::Affair => "affair",
            Label::Other => "other",
        };
        let t = tally.entry(name).or_default();
        t.apart += 1;
        let l = linked(a, b);
        if l {
            t.linked += 1;
            labelled_links.insert((a.min(b), a.max(b)));
        }
        if verbose && (l == (*label == Label::Other)) {
            println!(
                "  {} {label:?} linked {l} {:?}\n    A {}\n    B {}",
                p.id,
                why.get(&(a.min(b), a.max(b))),
                p.title_1,
                p.title_2
            );
        }
    }
    // Every labelled pair judged as if the engine had kept its two articles apart, each a
    // story of its own: the rule alone, whatever the engine merges.
    let names_of = |key: &str| -> rusqlite::Result<HashMap<String, (i64, bool, u64)>> {
        db.with(|c| {
            c.prepare(
                "SELECT e.entity, e.kind, e.title, coalesce(n.reports, 0) FROM items i
                 JOIN item_entities e ON e.item_id = i.id
                 LEFT JOIN entities n ON n.entity = e.entity WHERE i.key = ?1",
            )?
            .query_map([key], |r| {
                Ok((
                    r.get(0)?,
                    (r.get(1)?, r.get(2)?, r.get::<_, i64>(3)? as u64),
                ))
            })?
            .collect()
        })
    };
    let total = at.len() as u64;
    let mut rule: HashMap<Label, (usize, usize)> = HashMap::new();
    for (p, label) in labelled {
        let (a, b) = (names_of(&p.id_1)?, names_of(&p.id_2)?);
        if a.is_empty() && b.is_empty() && !story_of.contains_key(&p.id_1) {
            continue;
        }
        let shared: Vec<svodka::storyline::Shared> = a
            .iter()
            .filter_map(|(n, (kind, title, reports))| {
                let (_, other_title, _) = b.get(n)?;
                Some(svodka::storyline::Shared {
                    kind: svodka::storyline::Kind::from_code(*kind),
                    reports: *reports,
                    titles: u8::from(*title) + u8::from(*other_title),
                })
            })
            .collect();
        let r = rule.entry(*label).or_default();
        r.1 += 1;
        if svodka::storyline::related(&shared, total).is_some() {
            r.0 += 1;
        }
    }
    for l in [Label::Same, Label::Affair, Label::Other] {
        let (k, n) = rule.get(&l).copied().unwrap_or_default();
        println!(
            "  the rule alone, every {l:?} pair apart: {k} of {n} related ({:.2})",
            k as f64 / n.max(1) as f64
        );
    }
    let t = |n: &str| tally.get(n).map_or((0, 0), |t| (t.linked, t.apart));
    let (aff_l, aff_n) = t("affair");
    let (oth_l, oth_n) = t("other");
    let (same_l, same_n) = t("same");
    let links_judged = aff_l + oth_l + same_l;
    println!("{what}: {} articles, {} stories", at.len(), stories.len());
    println!(
        "  affair pairs not merged: {aff_l} of {aff_n} linked ({:.2})",
        aff_l as f64 / aff_n.max(1) as f64
    );
    println!(
        "  other pairs not merged: {oth_l} of {oth_n} linked; wrong links among the labelled: {oth_l} of {links_judged} ({:.2})",
        oth_l as f64 / links_judged.max(1) as f64
    );
    println!("  same pairs not merged: {same_l} of {same_n} linked");
    let all_links: HashSet<(i64, i64)> = related
        .iter()
        .flat_map(|(a, rs)| rs.iter().map(move |b| (*a.min(b), *a.max(b))))
        .collect();
    let with = related.values().filter(|r| !r.is_empty()).count();
    println!(
        "  {} links in all ({} between labelled pairs); {with} stories of {} show «Развитие сюжета», {:.2} stories each on average, at most {}",
        all_links.len(),
        labelled_links.len(),
        stories.len(),
        related.values().map(Vec::len).sum::<usize>() as f64 / with.max(1) as f64,
        related.values().map(Vec::len).max().unwrap_or(0),
    );
    println!(
        "  names read in {:.1} µs a report; saved in {:.1} s, related read for every story in {:.1} s ({:.2} ms a story)",
        naming.as_secs_f64() * 1e6 / at.len().max(1) as f64,
        (saved - started).as_secs_f64(),
        (read - saved).as_secs_f64(),
        (read - saved).as_secs_f64() * 1000.0 / stories.len().max(1) as f64
    );
    if verbose {
        // A sample of the links no label covers, to read.
        let mut sample: Vec<&(i64, i64)> = all_links.difference(&labelled_links).collect();
        sample.sort_by_key(|(a, b)| hash(&format!("{a}-{b}")));
        let title = |s: &i64| -> String {
            titles.get(s).cloned().unwrap_or_else(|| {
                db.with(|c| {
                    c.query_row(
                        "SELECT i.title FROM stories s JOIN items i ON i.id = s.lead WHERE s.id = ?1",
                        [s],
                        |r| r.get(0),
                    )
                })
                .unwrap_or_default()
            })
        };
        for (a, b) in sample.into_iter().take(40) {
            println!(
                "  unlabelled link {:?}\n    {}\n    {}",
                why.get(&(*a, *b)),
                title(a),
                title(b)
            );
        }
    }
    Ok(())
}
