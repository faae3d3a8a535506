//! The ParaPhraser news set and its labels, shared by the examples that measure the story
//! engine on real news (`devset.rs`, `storyline.rs`). The texts stay outside the project
//! (`../shared/data/`, or the path in `SVODKA_DEVSET`); the labels are in `tests/data/real/`.

use std::collections::HashMap;
use std::io::BufRead;
use std::path::{Path, PathBuf};

#[derive(serde::Deserialize)]
pub struct Pair {
    pub id: u32,
    pub id_1: String,
    pub id_2: String,
    pub title_1: String,
    pub title_2: String,
    pub text_1: String,
    pub text_2: String,
    pub url_1: String,
    pub url_2: String,
}

/// One article of the set, as the examples feed it to the engine.
pub struct Article {
    pub title: String,
    pub text: String,
    /// The day its address gives, as seconds; None when it gives none.
    pub day: Option<i64>,
}

impl Article {
    /// The pair's first (`first`) or second article.
    pub fn of(p: &Pair, first: bool) -> Article {
        let (title, text, url) = if first {
            (&p.title_1, &p.text_1, &p.url_1)
        } else {
            (&p.title_2, &p.text_2, &p.url_2)
        };
        Article {
            title: title.clone(),
            text: text.clone(),
            day: day_of(url),
        }
    }
}

/// A pair's label: `same` (one event), `affair` (the same affair, another event), `other`.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum Label {
    Same,
    Affair,
    Other,
}

/// The project's folder, where `tests/data/real/` lies.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Where the texts are: `SVODKA_DEVSET`, else `../shared/data/`.
pub fn data_path() -> PathBuf {
    std::env::var_os("SVODKA_DEVSET")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("../shared/data/paraphraser-news.jsonl.gz"))
}

pub fn label(s: &str) -> anyhow::Result<Label> {
    Ok(match s {
        "same" => Label::Same,
        "affair" => Label::Affair,
        "other" => Label::Other,
        _ => anyhow::bail!("bad label {s:?}"),
    })
}

/// `tests/data/real/pairs.tsv`: pair id → label.
pub fn load_labels(path: &Path) -> anyhow::Result<HashMap<u32, Label>> {
    let mut out = HashMap::new();
    for line in std::fs::read_to_string(path)?.lines() {
        let mut f = line.split('\t');
        let (Some(id), Some(l)) = (f.next(), f.next()) else {
            anyhow::bail!("{}: bad line {line:?}", path.display());
        };
        out.insert(id.parse()?, label(l)?);
    }
    Ok(out)
}

/// Every pair of the set, by id.
pub fn load_pairs(path: &Path) -> anyhow::Result<Vec<Pair>> {
    let file = std::fs::File::open(path).map_err(|e| {
        anyhow::anyhow!(
            "{}: {e} (the ParaPhraser news set: set SVODKA_DEVSET)",
            path.display()
        )
    })?;
    let reader = std::io::BufReader::new(flate2::read::GzDecoder::new(file));
    let mut out = Vec::new();
    for line in reader.lines() {
        out.push(serde_json::from_str::<Pair>(&line?)?);
    }
    out.sort_by_key(|p| p.id);
    Ok(out)
}

/// The day in a news address: `/2013/01/17/`, `/17/01/2013/` or `/20130117/`.
pub fn day_of(url: &str) -> Option<i64> {
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
