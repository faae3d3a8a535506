//! Applying the configured topics to stored reports, a page at a time: `svodka retag`, and the
//! daemon in the background after a reload adds or changes a topic.

use std::collections::HashMap;
use std::sync::Arc;

use anyhow::{Context, Result};
use rusqlite::Connection;

use crate::store;
use crate::stories::Boilerplate;
use crate::topics::Matcher;

/// Reports per transaction: a writer beside it (the daemon's fetches, or the daemon itself)
/// waits for one page at most, never for the whole store.
pub const PAGE: usize = 500;

/// Where a retag has got to, and what it found.
pub struct Retagger {
    matcher: Arc<Matcher>,
    /// Topics are matched as at ingest: on the text without its source's boilerplate.
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

    /// Tags the next page of reports in one transaction; `false` once none are left.
    pub fn page(&mut self, conn: &mut Connection) -> Result<bool> {
        let items =
            store::items_for_retag(conn, self.after, PAGE).context("cannot read the items")?;
        let Some(last) = items.last().map(|r| r.id) else {
            return Ok(false);
        };
        let tx = conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .context("cannot start a transaction")?;
        for r in &items {
            if !self.learned.contains_key(&r.source) {
                let b = store::load_boilerplate(&tx, &r.source)
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
            store::set_topics(&tx, r.id, &tagged.topics).context("cannot save topics")?;
            if self.names {
                let names = crate::storyline::entities(&r.title, &tagged.lead);
                store::set_entities(&tx, r.id, &names).context("cannot save names")?;
            }
        }
        tx.commit().context("cannot save topics")?;
        self.seen += items.len();
        self.after = last;
        Ok(true)
    }
}
