//! `[search]` and the check of every query the config holds (a feed's, a digest's, an
//! alert's) against the rest of it.

use serde::Deserialize;

use super::{Config, ConfigError, Origin};

/// `[search]`: whether reports are indexed for search (`index`). Off saves the lemmas' CPU at
/// ingest for an operator who never searches; searches then say that search is off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Search {
    pub index: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(super) struct RawSearch {
    index: bool,
}

impl Default for RawSearch {
    fn default() -> Self {
        RawSearch { index: true }
    }
}

pub(super) fn parse(raw: RawSearch) -> Search {
    Search { index: raw.index }
}

/// A query is checked as a reader's would be, against the config's sources and topics, so a
/// typo fails `svodka check` rather than leaving a feed empty. Without the index a query
/// would find nothing, which is refused too.
pub(super) fn check_queries(config: &Config, o: &Origin) -> Result<(), ConfigError> {
    let queries: Vec<(String, &str)> = (config.feeds.iter().enumerate())
        .filter_map(|(i, f)| Some((format!("feed[{i}].query"), f.query.as_deref()?)))
        .chain(
            (config.delivery.digests.iter().enumerate()).filter_map(|(i, d)| {
                Some((format!("digest[{i}].query"), d.filter.query.as_deref()?))
            }),
        )
        .chain(
            (config.delivery.alerts.iter().enumerate()).filter_map(|(i, a)| {
                Some((format!("alert[{i}].query"), a.filter.query.as_deref()?))
            }),
        )
        .collect();
    if let Some((key, _)) = queries.first()
        && !config.search.index
    {
        return Err(o.err(
            key,
            "a search, but `[search] index = false`: reports are not indexed, so it \
             would find nothing; remove the query or turn the index on",
        ));
    }
    if !queries.is_empty() {
        let lem = crate::query::Lemmatizer::new();
        for (key, q) in &queries {
            if let Err(e) = crate::query::Query::parse(q, config, &lem) {
                return Err(o.err(key, e.to_string()));
            }
        }
    }
    Ok(())
}
