//! Applying the configured topics to stored reports, a page at a time: `svodka retag`, and the
//! daemon in the background after a reload adds or changes a topic.

use std::collections::HashMap;
use std::sync::Arc;

use anyhow::{Context, Result};

use crate::stories::Boilerplate;
use crate::topics::Matcher;
use crate::writer::{Retagged, Writer};

/// Reports per transaction: a writer beside it (the daemon's fetches, or the daemon itself)
/// waits for one page at most, never for the whole store.
pub const PAGE: usize = 500;

/// Where a retag has got to, and what it found.
pub struct Retagger {
    matcher: Arc<Matcher>,
    /// Each source's learned boilerplate, read once: topics are matched as at ingest
    /// (`cycle::tag`), on the text without it.
    learned: HashMap<String, Boilerplate>,
    after: i64,
    /// Also read each report's names for the storyline again (`svodka retag`: a store from
    /// before they were kept gets them); a reload's retag leaves them, they follow no config.
    pub names: bool,
    pub seen: usize,
    pub tagged: usize,
}

impl Retagger {
    pub fn new(matcher: Arc<Matcher>) -> Retagger {
        Retagger {
            matcher,
            learned: HashMap::new(),
            after: 0,
            names: false,
            seen: 0,
            tagged: 0,
        }
    }

    /// Tags the next page of reports and saves it in one transaction; `false` once none are
    /// left. Matching runs before the transaction, so the write lock is held for the writes.
    pub fn page(&mut self, store: &mut dyn Writer) -> Result<bool> {
        let items = store
            .items_for_retag(self.after, PAGE)
            .context("cannot read the items")?;
        let Some(last) = items.last().map(|r| r.id) else {
            return Ok(false);
        };
        let mut page = Vec::with_capacity(items.len());
        for r in &items {
            if !self.learned.contains_key(&r.source) {
                let b = store
                    .boilerplate(&r.source)
                    .context("cannot read the learned boilerplate")?;
                self.learned.insert(r.source.clone(), b);
            }
            let boilerplate = &self.learned[&r.source];
            let body = boilerplate.strip(&r.text);
            let tagged = crate::cycle::tag(
                &self.matcher,
                boilerplate,
                &r.title,
                r.summary.as_deref(),
                r.content.as_deref(),
                &body,
            );
            self.tagged += usize::from(!tagged.topics.is_empty());
            let names = self
                .names
                .then(|| crate::storyline::entities(&r.title, &tagged.lead));
            page.push(Retagged {
                id: r.id,
                topics: tagged.topics,
                names,
            });
        }
        store.save_retagged(&page).context("cannot save topics")?;
        self.seen += items.len();
        self.after = last;
        Ok(true)
    }
}
