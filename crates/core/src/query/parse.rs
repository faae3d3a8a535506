//! A search query as a reader types it, parsed: words in any form, `"a phrase"`, `-word`,
//! `word*`, filters (`source:`, `region:`, `topic:`, `since:`, `until:`, `sort:date`), and the
//! FTS5 expression it becomes. Pure: the config and the dictionary are its only inputs.

use chrono::{NaiveDate, TimeZone};

use super::Names;
use super::terms::Lemmatizer;
use crate::text::{fold, raw_words};

/// The longest query taken, in bytes.
pub const MAX_QUERY_BYTES: usize = 512;
/// The most words and phrases one query may hold: each is a lookup in the index.
const MAX_TERMS: usize = 24;
/// The most spellings one phrase is looked for in (each word's readings multiply them).
const MAX_PHRASE_FORMS: usize = 48;
/// The shortest prefix (`гу*` would be half the index).
const MIN_PREFIX_CHARS: usize = 3;

/// Why a query cannot be run; its text is what the reader sees.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QueryError {
    #[error("запрос длиннее {MAX_QUERY_BYTES} байт")]
    TooLong,
    #[error("кавычка не закрыта: фраза пишется в двух кавычках, \"как здесь\"")]
    UnclosedQuote,
    #[error("неизвестный фильтр «{0}:»; есть source:, region:, topic:, since:, until:, sort:date")]
    UnknownFilter(String),
    #[error("у фильтра «{0}:» нет значения")]
    EmptyFilter(String),
    #[error("нет источника «{0}»")]
    UnknownSource(String),
    #[error("нет региона «{0}»")]
    UnknownRegion(String),
    #[error("нет темы «{0}»")]
    UnknownTopic(String),
    #[error("дата «{0}» не в виде 2026-12-01")]
    BadDate(String),
    #[error("sort: бывает только sort:date (по времени) или sort:rank (по смыслу)")]
    BadSort,
    #[error("звёздочка ставится в конце слова не короче трёх букв: губерн*")]
    BadPrefix,
    #[error(
        "в запросе нет слов: фильтры и -слова только сужают поиск, а предлоги, союзы и \
         местоимения не ищутся"
    )]
    NothingToFind,
    #[error("слишком много слов: не больше {MAX_TERMS}")]
    TooManyTerms,
}

/// One thing to look for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Term {
    /// A word: any of its lemmas.
    Word(Vec<String>),
    /// Words in a row: each word's lemmas.
    Phrase(Vec<Vec<String>>),
    /// A folded prefix of a term.
    Prefix(String),
}

/// A parsed query, its filters resolved against the config.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Query {
    pub include: Vec<Term>,
    pub exclude: Vec<Term>,
    /// Reports of these sources only (`source:` and `region:` widen each other, as in feeds);
    /// `None`: every source.
    pub sources: Option<Vec<String>>,
    /// Reports tagged with one of these topics; empty: any.
    pub topics: Vec<String>,
    /// Unix seconds: published at or after.
    pub since: Option<i64>,
    /// Unix seconds: published before.
    pub until: Option<i64>,
    /// Newest first instead of by relevance.
    pub by_date: bool,
}

/// The start of a day in the time zone the pages show dates in (`server.timezone`).
fn day_start(value: &str, tz: chrono_tz::Tz) -> Result<i64, QueryError> {
    let date = NaiveDate::parse_from_str(value, "%Y-%m-%d")
        .map_err(|_| QueryError::BadDate(value.to_string()))?;
    let midnight = date
        .and_hms_opt(0, 0, 0)
        .ok_or_else(|| QueryError::BadDate(value.to_string()))?;
    tz.from_local_datetime(&midnight)
        .earliest()
        .map(|t| t.timestamp())
        .ok_or_else(|| QueryError::BadDate(value.to_string()))
}

/// Splits a query into its pieces: (excluded, text, quoted). Quotes group a phrase; anything
/// else is split on whitespace.
fn pieces(q: &str) -> Result<Vec<(bool, String, bool)>, QueryError> {
    let mut out = Vec::new();
    let mut chars = q.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        let Some(&c) = chars.peek() else { break };
        let mut minus = false;
        if c == '-' {
            chars.next();
            minus = true;
        }
        if matches!(chars.peek(), Some('"' | '«' | '“')) {
            let open = chars.next().unwrap_or('"');
            let close = match open {
                '«' => '»',
                '“' => '”',
                _ => '"',
            };
            let mut text = String::new();
            let mut closed = false;
            for c in chars.by_ref() {
                if c == close {
                    closed = true;
                    break;
                }
                text.push(c);
            }
            if !closed {
                return Err(QueryError::UnclosedQuote);
            }
            out.push((minus, text, true));
            continue;
        }
        let mut text = String::new();
        while let Some(&c) = chars.peek() {
            if c.is_whitespace() {
                break;
            }
            if matches!(c, '"' | '«' | '»' | '“' | '”') {
                // A quote inside a word opens nothing: «Химки"» is a typo, not a phrase.
                if text.is_empty() {
                    break;
                }
                chars.next();
                if c == '"' || c == '«' || c == '“' {
                    return Err(QueryError::UnclosedQuote);
                }
                continue;
            }
            text.push(c);
            chars.next();
        }
        if !text.is_empty() || minus {
            out.push((minus, text, false));
        }
    }
    Ok(out)
}

impl Query {
    /// Parses `q`, checking its filters against `cfg`.
    pub fn parse(q: &str, cfg: &dyn Names, lem: &Lemmatizer) -> Result<Query, QueryError> {
        if q.len() > MAX_QUERY_BYTES {
            return Err(QueryError::TooLong);
        }
        let mut query = Query::default();
        let mut sources: Vec<String> = Vec::new();
        let mut regions: Vec<String> = Vec::new();
        for (minus, text, quoted) in pieces(q)? {
            if !quoted && let Some((key, value)) = filter(&text) {
                let value = value.to_string();
                if value.is_empty() {
                    return Err(QueryError::EmptyFilter(key.to_string()));
                }
                match key.to_ascii_lowercase().as_str() {
                    "source" => {
                        if !cfg.sources().any(|(name, _)| name == value) {
                            return Err(QueryError::UnknownSource(value));
                        }
                        sources.push(value);
                    }
                    "region" => {
                        if !cfg.sources().any(|(_, region)| region == Some(&value)) {
                            return Err(QueryError::UnknownRegion(value));
                        }
                        regions.push(value);
                    }
                    "topic" => {
                        if !cfg.has_topic(&value) {
                            return Err(QueryError::UnknownTopic(value));
                        }
                        query.topics.push(value);
                    }
                    "since" => query.since = Some(day_start(&value, cfg.timezone())?),
                    "until" => query.until = Some(day_start(&value, cfg.timezone())? + 86_400),
                    "sort" => match value.as_str() {
                        "date" => query.by_date = true,
                        "rank" => query.by_date = false,
                        _ => return Err(QueryError::BadSort),
                    },
                    _ => return Err(QueryError::UnknownFilter(key.to_string())),
                }
                continue;
            }
            let term = if quoted {
                phrase(&text, lem)
            } else {
                word(&text, lem)?
            };
            let Some(term) = term else { continue };
            if minus {
                query.exclude.push(term);
            } else {
                query.include.push(term);
            }
        }
        if query.include.is_empty() {
            return Err(QueryError::NothingToFind);
        }
        if query.include.len() + query.exclude.len() > MAX_TERMS {
            return Err(QueryError::TooManyTerms);
        }
        if !sources.is_empty() || !regions.is_empty() {
            query.sources = Some(
                cfg.sources()
                    .filter(|(name, region)| {
                        sources.iter().any(|s| s == name)
                            || region.is_some_and(|r| regions.iter().any(|x| x == r))
                    })
                    .map(|(name, _)| name.to_string())
                    .collect(),
            );
        }
        Ok(query)
    }

    /// The FTS5 MATCH expression. Every term is quoted (lemmas are letters and digits only), so
    /// nothing a reader types reaches FTS5's own syntax.
    pub fn fts(&self) -> String {
        let include: Vec<String> = self.include.iter().map(fts_term).collect();
        let mut e = format!("({})", include.join(" AND "));
        if !self.exclude.is_empty() {
            let exclude: Vec<String> = self.exclude.iter().map(fts_term).collect();
            e.push_str(&format!(" NOT ({})", exclude.join(" OR ")));
        }
        e
    }

    /// Every lemma and prefix the query looks for (for highlighting and for checking results).
    pub fn wanted(&self) -> Vec<Vec<Wanted>> {
        self.include
            .iter()
            .map(|t| match t {
                Term::Word(l) => vec![Wanted::Lemmas(l.clone())],
                Term::Phrase(words) => words.iter().map(|l| Wanted::Lemmas(l.clone())).collect(),
                Term::Prefix(p) => vec![Wanted::Prefix(p.clone())],
            })
            .collect()
    }
}

/// What a word of a text must be to count as found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Wanted {
    Lemmas(Vec<String>),
    Prefix(String),
}

impl Wanted {
    /// Whether a word with these lemmas (and this folded spelling) is what is wanted.
    pub fn matches(&self, folded: &str, lemmas: &[String]) -> bool {
        match self {
            Wanted::Lemmas(want) => lemmas.iter().any(|l| want.contains(l)),
            Wanted::Prefix(p) => {
                folded.starts_with(p.as_str()) || lemmas.iter().any(|l| l.starts_with(p.as_str()))
            }
        }
    }
}

/// `key:value` when `key` is a word of Latin letters (a time such as 10:30 is no filter).
fn filter(text: &str) -> Option<(&str, &str)> {
    let (key, value) = text.split_once(':')?;
    (!key.is_empty() && key.chars().all(|c| c.is_ascii_alphabetic())).then_some((key, value))
}

/// An unquoted piece: a word, a prefix, or a hyphenated name («Ростов-на-Дону»), which is a
/// phrase of its parts. `None` for punctuation alone.
fn word(text: &str, lem: &Lemmatizer) -> Result<Option<Term>, QueryError> {
    if let Some(stem) = text.strip_suffix('*') {
        let words: Vec<&str> = raw_words(stem).collect();
        let whole = words.len() == 1 && words[0].len() == stem.len();
        if !whole || words[0].chars().count() < MIN_PREFIX_CHARS {
            return Err(QueryError::BadPrefix);
        }
        return Ok(Some(Term::Prefix(fold(words[0]))));
    }
    if text.contains('*') {
        return Err(QueryError::BadPrefix);
    }
    Ok(phrase(text, lem))
}

/// The words of `text` as one term: a word, or a phrase of several.
fn phrase(text: &str, lem: &Lemmatizer) -> Option<Term> {
    // Left out as the index leaves them out (see `terms::is_stop`).
    let words: Vec<&str> = raw_words(text)
        .filter(|w| {
            !lem.lemmas(w)
                .first()
                .is_some_and(|l| super::terms::is_stop(l))
        })
        .collect();
    match words.len() {
        0 => None,
        1 => Some(Term::Word(lem.lemmas(words[0]))),
        _ => Some(Term::Phrase(
            words.iter().map(|w| lem.phrase_lemmas(w)).collect(),
        )),
    }
}

fn quoted(s: &str) -> String {
    format!("\"{}\"", s.replace('"', ""))
}

fn fts_term(t: &Term) -> String {
    match t {
        Term::Word(lemmas) => {
            let alts: Vec<String> = lemmas.iter().map(|l| quoted(l)).collect();
            format!("({})", alts.join(" OR "))
        }
        Term::Prefix(p) => format!("{}*", quoted(p)),
        Term::Phrase(words) => {
            // Each word's readings make the phrase's spellings: the text holds one lemma per
            // word, the likeliest of its form, which is one of the query's form's readings.
            let mut forms: Vec<Vec<&str>> = vec![Vec::new()];
            for w in words {
                let mut next = Vec::new();
                // The likeliest reading of every word comes first and is always kept.
                'readings: for l in w {
                    for f in &forms {
                        if next.len() >= MAX_PHRASE_FORMS {
                            break 'readings;
                        }
                        let mut g = f.clone();
                        g.push(l.as_str());
                        next.push(g);
                    }
                }
                forms = next;
            }
            let alts: Vec<String> = forms.iter().map(|f| quoted(&f.join(" "))).collect();
            // A phrase is in the title or the text, never across the extra readings.
            format!("({{title body}} : ({}))", alts.join(" OR "))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    fn cfg() -> Config {
        Config::parse(
            r#"
[[source]]
name = "lipetsk-news"
url = "http://127.0.0.1:1/a.xml"
region = "lipetsk"

[[source]]
name = "other"
url = "http://127.0.0.1:1/b.xml"

[[topic]]
name = "fires"
title = "Пожары"
keywords = ["пожар"]
"#,
            std::path::Path::new("t.toml"),
        )
        .expect("config")
    }

    fn check(q: &str) -> Result<Query, QueryError> {
        Query::parse(q, &cfg(), &Lemmatizer::new())
    }

    #[test]
    fn words_phrases_exclusions_prefixes_and_filters() {
        let q = check(
            "губернатора \"новую школу\" -пожар губерн* region:lipetsk since:2026-12-01 sort:date",
        )
        .expect("parses");
        assert_eq!(q.include.len(), 3);
        assert!(matches!(&q.include[1], Term::Phrase(w) if w.len() == 2));
        assert_eq!(q.include[2], Term::Prefix("губерн".into()));
        assert_eq!(q.exclude.len(), 1);
        assert_eq!(q.sources, Some(vec!["lipetsk-news".to_string()]));
        assert!(q.by_date);
        assert_eq!(q.since, Some(1_796_072_400)); // 2026-12-01 00:00 Moscow time
        let fts = q.fts();
        assert!(fts.contains("\"губернатор\""), "{fts}");
        assert!(fts.contains(" NOT "), "{fts}");
        // A hyphenated name is a phrase of its parts, «на» left out as the index leaves it.
        let r = check("Ростов-на-Дону").expect("parses");
        assert!(matches!(&r.include[0], Term::Phrase(w) if w.len() == 2));
        assert_eq!(check("в на"), Err(QueryError::NothingToFind));
    }

    #[test]
    fn bad_queries_say_why() {
        assert_eq!(check("\"в Химках"), Err(QueryError::UnclosedQuote));
        assert_eq!(
            check("foo:bar Химки"),
            Err(QueryError::UnknownFilter("foo".into()))
        );
        assert_eq!(check("*"), Err(QueryError::BadPrefix));
        assert_eq!(check("г*"), Err(QueryError::BadPrefix));
        assert_eq!(check("-пожар"), Err(QueryError::NothingToFind));
        assert_eq!(
            check("source:nope пожар"),
            Err(QueryError::UnknownSource("nope".into()))
        );
        assert_eq!(
            check("since:вчера пожар"),
            Err(QueryError::BadDate("вчера".into()))
        );
        assert_eq!(check(&"а".repeat(300)), Err(QueryError::TooLong));
        // A time is words, not a filter.
        assert!(check("10:30 пожар").is_ok());
        // Nothing a reader types reaches FTS5's syntax.
        let q = check("NEAR(пожар) OR AND ^ {title}").expect("parses");
        assert!(!q.fts().contains("NEAR("), "{}", q.fts());
    }
}
