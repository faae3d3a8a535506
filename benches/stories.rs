//! The story engine at 10k, 100k and 1M reports: assignment (decide + insert) per report, the
//! index's memory per report held in the window, and the process's peak memory, beside a plain
//! SQLite insert of the same rows (one transaction per 50, WAL, synchronous=NORMAL) in the same
//! run.
//!
//!     cargo bench --bench stories
//!     SVODKA_BENCH_SIZES=10000,100000 cargo bench --bench stories
//!
//! The reports are generated: 1,000 agencies; ~90 words each from a 60,000-word vocabulary with
//! a few hundred common words; a third are copies of a recent report from another agency (a
//! sentence dropped, a word changed), a tenth retell a recent report in other words with its
//! names. They arrive at a steady rate such that the 72-hour window holds ~100k of them, so
//! the 1M run is ten windows long: the cost per report must not grow with the reports behind.

use std::time::Instant;

use svodka::stories::fingerprint::Terms;
use svodka::stories::{Decision, Engine, Fingerprint, Report};
use svodka::text::Stems;

#[path = "common/rng.rs"]
mod rng;
use rng::Rng;

const WINDOW: i64 = 72 * 3600;
/// Seconds between two reports: 100k reports per window.
const STEP_MS: i64 = WINDOW * 1000 / 100_000;

const COMMON: [&str; 16] = [
    "области",
    "сообщили",
    "жителей",
    "района",
    "администрации",
    "губернатор",
    "рублей",
    "году",
    "города",
    "работы",
    "начнутся",
    "после",
    "региона",
    "также",
    "более",
    "человек",
];

fn word(rng: &mut Rng) -> String {
    if rng.below(4) == 0 {
        COMMON[rng.below(16) as usize].to_string()
    } else {
        // Zipf-ish: most words from a small head, some from the long tail.
        let n = if rng.below(3) == 0 {
            rng.below(60_000)
        } else {
            rng.below(3_000)
        };
        format!("слово{n}")
    }
}

fn name(rng: &mut Rng) -> String {
    format!("Имя{}", rng.below(20_000))
}

struct Generated {
    source: String,
    title: String,
    text: String,
}

fn generate(n: usize) -> Vec<Generated> {
    let mut rng = Rng(7);
    let mut out: Vec<Generated> = Vec::with_capacity(n);
    for i in 0..n {
        let source = format!("agency-{}", rng.below(1_000));
        let roll = rng.below(10);
        let recent = (i > 50).then(|| i - 1 - rng.below(50.min(i as u64 - 1)) as usize);
        let g = match (roll, recent) {
            // A copy: another agency's text with a sentence dropped and a word changed.
            (0..=2, Some(j)) => {
                let orig = &out[j];
                let mut sentences: Vec<&str> = orig.text.split(". ").collect();
                if sentences.len() > 2 {
                    sentences.pop();
                }
                let text = sentences.join(". ").replacen("области", "региона", 1);
                Generated {
                    source,
                    title: format!("{} {}", name(&mut rng), word(&mut rng)),
                    text,
                }
            }
            // The same event in other words: its names and a few of its words.
            (3, Some(j)) => {
                let orig = &out[j];
                let names: Vec<&str> = orig
                    .text
                    .split_whitespace()
                    .filter(|w| w.starts_with("Имя"))
                    .take(3)
                    .collect();
                let mut text = String::new();
                for k in 0..90 {
                    if k % 15 == 0 {
                        text.push_str(
                            names
                                .get(k / 15 % names.len().max(1))
                                .copied()
                                .unwrap_or("Имя0"),
                        );
                    } else {
                        text.push_str(&word(&mut rng));
                    }
                    text.push_str(if k % 12 == 11 { ". " } else { " " });
                }
                Generated {
                    source,
                    title: orig.title.clone(),
                    text,
                }
            }
            _ => {
                let mut text = String::new();
                for k in 0..90 {
                    if k % 15 == 0 {
                        text.push_str(&name(&mut rng));
                    } else {
                        text.push_str(&word(&mut rng));
                    }
                    text.push_str(if k % 12 == 11 { ". " } else { " " });
                }
                Generated {
                    source,
                    title: format!("{} {} {}", name(&mut rng), word(&mut rng), word(&mut rng)),
                    text,
                }
            }
        };
        out.push(g);
    }
    out
}

/// Peak resident memory of this process so far, in KiB (`VmHWM`).
fn peak_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1).and_then(|v| v.parse().ok()))
        })
        .unwrap_or(0)
}

/// The plain reference: the same rows into SQLite, 50 per transaction.
fn plain_insert(reports: &[Generated]) -> f64 {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let mut conn = rusqlite::Connection::open(dir.path().join("plain.db")).expect("sqlite");
    conn.pragma_update(None, "journal_mode", "WAL")
        .expect("wal");
    conn.pragma_update(None, "synchronous", "NORMAL")
        .expect("normal");
    conn.execute_batch(
        "CREATE TABLE items (id INTEGER PRIMARY KEY, source TEXT NOT NULL, title TEXT NOT NULL,
                             text TEXT NOT NULL, published INTEGER NOT NULL)",
    )
    .expect("table");
    let started = Instant::now();
    for (c, chunk) in reports.chunks(50).enumerate() {
        let tx = conn.transaction().expect("tx");
        {
            let mut stmt = tx
                .prepare_cached(
                    "INSERT INTO items (source, title, text, published) VALUES (?1, ?2, ?3, ?4)",
                )
                .expect("stmt");
            for (k, r) in chunk.iter().enumerate() {
                stmt.execute(rusqlite::params![
                    r.source,
                    r.title,
                    r.text,
                    (c * 50 + k) as i64
                ])
                .expect("insert");
            }
        }
        tx.commit().expect("commit");
    }
    started.elapsed().as_secs_f64()
}

fn main() {
    // `cargo bench` passes `--bench`; nothing else to parse.
    let sizes: Vec<usize> = std::env::var("SVODKA_BENCH_SIZES")
        .unwrap_or_else(|_| "10000,100000,1000000".into())
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    println!(
        "| reports | fingerprint µs/report | assign µs/report (all) | assign µs/report (last 10k) | reports/s assigned | plain insert µs/row | assign vs insert | held in window | index bytes/report held | the budget's count of them | peak RSS MiB | copies | stories joined |"
    );
    println!("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
    let stems = Stems::new();
    for n in sizes {
        let reports = generate(n);
        let started = Instant::now();
        // One term cache per 50 reports, as one per fetch in svodka.
        let fps: Vec<Fingerprint> = reports
            .chunks(50)
            .flat_map(|fetch| {
                let mut terms = Terms::new(&stems);
                fetch
                    .iter()
                    .map(|r| Fingerprint::with_terms(&r.title, &r.text, &mut terms))
                    .collect::<Vec<_>>()
            })
            .collect();
        let fp_secs = started.elapsed().as_secs_f64();
        let mut engine = Engine::new(WINDOW);
        let (mut copies, mut joined) = (0u64, 0u64);
        let started = Instant::now();
        let mut last_10k = Instant::now();
        for (i, (r, fp)) in reports.iter().zip(&fps).enumerate() {
            if i + 10_000 == n {
                last_10k = Instant::now();
            }
            let at = i as i64 * STEP_MS / 1000;
            let id = i as i64 + 1;
            let d = engine.decide(&Report {
                source: &r.source,
                published: at,
                fp,
            });
            let (copy, story) = match d {
                Decision::Copy { copy, story, .. } => {
                    copies += 1;
                    (copy, story)
                }
                Decision::Story { story, .. } => {
                    joined += 1;
                    (id, story)
                }
                Decision::New => (id, id),
            };
            engine.insert(id, &r.source, at, at, story, copy, fp);
        }
        let assign_secs = started.elapsed().as_secs_f64();
        let tail_secs = last_10k.elapsed().as_secs_f64();
        let plain_secs = plain_insert(&reports);
        let per = |secs: f64, k: usize| secs * 1e6 / k as f64;
        println!(
            "| {n} | {:.1} | {:.1} | {:.1} | {:.0} | {:.1} | {:.2}× | {} | {} | {} | {} | {copies} | {joined} |",
            per(fp_secs, n),
            per(assign_secs, n),
            per(tail_secs, n.min(10_000)),
            n as f64 / assign_secs,
            per(plain_secs, n),
            assign_secs / plain_secs,
            engine.len(),
            engine.memory_estimate() / engine.len().max(1),
            engine.held_bytes() / engine.len().max(1),
            peak_kib() / 1024,
        );
    }
}
