//! `[[topic]]`: the keyword lists items are tagged with.

use std::collections::HashSet;

use serde::Deserialize;

use super::{ConfigError, Origin, check_slug};

#[derive(Debug, Clone)]
pub struct Topic {
    pub name: String,
    pub title: String,
    pub keywords: Vec<String>,
    pub exclude: Vec<String>,
    pub scope: TopicScope,
}

/// Where a topic is looked for (`[[topic]] scope`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TopicScope {
    /// The title and the lead (the first paragraph): what the item is about.
    #[default]
    Headline,
    /// The title and the whole text.
    Text,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawTopic {
    name: String,
    title: Option<String>,
    keywords: Vec<String>,
    #[serde(default)]
    exclude: Vec<String>,
    scope: Option<String>,
}

/// A blank keyword would match every item, so it is refused with the empty list.
pub(super) fn parse(raw: Vec<RawTopic>, o: &Origin) -> Result<Vec<Topic>, ConfigError> {
    let mut topics = Vec::new();
    let mut seen = HashSet::new();
    for (i, t) in raw.into_iter().enumerate() {
        let key = |k: &str| format!("topic[{i}].{k}");
        check_slug(&t.name).map_err(|r| o.err(&key("name"), r))?;
        if !seen.insert(t.name.clone()) {
            return Err(o.err(&key("name"), format!("duplicate topic name {:?}", t.name)));
        }
        if t.keywords.is_empty() {
            return Err(o.err(&key("keywords"), "needs at least one keyword"));
        }
        if t.keywords
            .iter()
            .chain(&t.exclude)
            .any(|k| k.trim().is_empty())
        {
            return Err(o.err(&key("keywords"), "a keyword is blank"));
        }
        let scope = match t.scope.as_deref() {
            None | Some("headline") => TopicScope::Headline,
            Some("text") => TopicScope::Text,
            Some(other) => {
                return Err(o.err(
                    &key("scope"),
                    format!("unknown scope {other:?} (use \"headline\" or \"text\")"),
                ));
            }
        };
        topics.push(Topic {
            title: t.title.unwrap_or_else(|| t.name.clone()),
            name: t.name,
            keywords: t.keywords,
            exclude: t.exclude,
            scope,
        });
    }
    Ok(topics)
}
