//! Reading what feeds and pages publish: entries (one per story, per copy group or per report)
//! with the other reports they stand for.

use rusqlite::{Connection, params_from_iter};
use svodka_core::archive::Period;
use svodka_core::archive::StoreError;
use svodka_core::model::{Entry, OtherReport};

use super::stories::public_id;
use svodka_core::model::Grouping;

use crate::error::in_sql;

const COLUMNS: &str =
    "i.id, coalesce(i.story_id, i.id), i.source, i.key, i.link, i.title, i.summary,
    i.content, i.author, i.image, i.published, i.updated,
    CASE WHEN i.updated > i.first_seen THEN i.updated END";

fn row(r: &rusqlite::Row, guid: Option<String>) -> rusqlite::Result<Entry> {
    let source: String = r.get(2)?;
    let key: String = r.get(3)?;
    Ok(Entry {
        id: r.get(0)?,
        story: r.get(1)?,
        guid: guid.unwrap_or_else(|| public_id(&source, &key)),
        source,
        link: r.get(4)?,
        title: r.get(5)?,
        summary: r.get(6)?,
        content: r.get(7)?,
        author: r.get(8)?,
        image: r.get(9)?,
        published: r.get(10)?,
        updated: r.get(11)?,
        edited: r.get(12)?,
        topics: Vec::new(),
        others: Vec::new(),
        related: Vec::new(),
    })
}

/// Newest first, one entry per group: entries with a report carried by any of `sources` (all
/// when `None`) and a report tagged with any of `topics` (any when empty).
pub fn select_items(
    conn: &Connection,
    grouping: Grouping,
    sources: Option<&[String]>,
    topics: &[String],
    limit: usize,
) -> Result<Vec<Entry>, StoreError> {
    in_sql(|| {
        if sources.is_some_and(<[String]>::is_empty) {
            return Ok(Vec::new());
        }
        // `IN (subquery)` is evaluated once into an index; a correlated EXISTS would run per entry
        // and walk the whole table for a rare source.
        let (mut sql, group_col) = match grouping {
            Grouping::Story => (
                format!(
                    "SELECT {COLUMNS}, s.guid FROM stories s JOIN items i ON i.id = s.lead WHERE 1"
                ),
                "s.id",
            ),
            Grouping::Copy => (
                format!("SELECT {COLUMNS}, NULL FROM items i WHERE i.copy_id = i.id"),
                "i.copy_id",
            ),
            Grouping::None => (
                format!("SELECT {COLUMNS}, NULL FROM items i WHERE 1"),
                "i.id",
            ),
        };
        let member_col = match grouping {
            Grouping::Story => "m.story_id",
            Grouping::Copy => "m.copy_id",
            Grouping::None => "m.id",
        };
        let mut args: Vec<&str> = Vec::new();
        if let Some(sources) = sources {
            sql.push_str(&format!(
                " AND {group_col} IN (SELECT {member_col} FROM items m WHERE m.source IN ({}))",
                placeholders(args.len(), sources.len())
            ));
            args.extend(sources.iter().map(String::as_str));
        }
        if !topics.is_empty() {
            sql.push_str(&format!(
                " AND {group_col} IN (SELECT {member_col} FROM item_topics t JOIN items m
                                      ON m.id = t.item_id WHERE t.topic IN ({}))",
                placeholders(args.len(), topics.len())
            ));
            args.extend(topics.iter().map(String::as_str));
        }
        let order = match grouping {
            Grouping::Story => "s.published DESC, s.id DESC",
            _ => "i.published DESC, i.id DESC",
        };
        sql.push_str(&format!(" ORDER BY {order} LIMIT {limit}"));
        let mut stmt = conn.prepare_cached(&sql)?;
        let mut items: Vec<Entry> = stmt
            .query_map(params_from_iter(args.iter()), |r| row(r, r.get(13)?))?
            .collect::<rusqlite::Result<_>>()?;
        for it in &mut items {
            let group = match grouping {
                Grouping::Story => Some(it.story),
                Grouping::Copy => Some(it.id),
                Grouping::None => None,
            };
            fill(conn, it, grouping, group, OTHERS_LISTED)?;
        }
        Ok(items)
    })
}

/// Other reports a feed entry lists: a story that fifty agencies carried is one line of fifty
/// links, not a page of them (its page, `/stories/ID`, lists every report).
pub const OTHERS_LISTED: usize = 30;

/// Topics of all the entry's reports, and its other reports (at most `limit`, earliest first).
fn fill(
    conn: &Connection,
    it: &mut Entry,
    grouping: Grouping,
    group: Option<i64>,
    limit: usize,
) -> rusqlite::Result<()> {
    let (topics_sql, others_sql) = match grouping {
        Grouping::Story => (
            "SELECT DISTINCT t.topic FROM item_topics t JOIN items m ON m.id = t.item_id
             WHERE m.story_id = ?1 ORDER BY t.topic",
            "SELECT source, title, link, published FROM items
             WHERE story_id = ?1 AND id <> ?2 ORDER BY published, id LIMIT ?3",
        ),
        Grouping::Copy => (
            "SELECT DISTINCT t.topic FROM item_topics t JOIN items m ON m.id = t.item_id
             WHERE m.copy_id = ?1 ORDER BY t.topic",
            "SELECT source, title, link, published FROM items
             WHERE copy_id = ?1 AND id <> ?2 ORDER BY published, id LIMIT ?3",
        ),
        Grouping::None => (
            "SELECT topic FROM item_topics WHERE item_id = ?1 ORDER BY topic",
            "SELECT source, title, link, published FROM items WHERE 0 AND ?1 AND ?2 AND ?3",
        ),
    };
    let group = group.unwrap_or(it.id);
    it.topics = conn
        .prepare_cached(topics_sql)?
        .query_map([group], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    it.others = conn
        .prepare_cached(others_sql)?
        .query_map(
            [group, it.id, i64::try_from(limit).unwrap_or(i64::MAX)],
            |r| {
                Ok(OtherReport {
                    source: r.get(0)?,
                    title: r.get(1)?,
                    link: r.get(2)?,
                    published: r.get(3)?,
                })
            },
        )?
        .collect::<rusqlite::Result<_>>()?;
    Ok(())
}

/// One story with every report (`/stories/ID`), or `None` when there is no such story.
pub fn story(conn: &Connection, id: i64) -> Result<Option<Entry>, StoreError> {
    in_sql(|| {
        let sql = format!(
            "SELECT {COLUMNS}, s.guid FROM stories s JOIN items i ON i.id = s.lead WHERE s.id = ?1"
        );
        let mut stmt = conn.prepare_cached(&sql)?;
        let mut rows = stmt.query_map([id], |r| row(r, r.get(13)?))?;
        let Some(mut it) = rows.next().transpose()? else {
            return Ok(None);
        };
        fill(conn, &mut it, Grouping::Story, Some(id), usize::MAX)?;
        Ok(Some(it))
    })
}

/// Feed entries of these stories, in the order given (a search's order); a story that is
/// gone is left out.
pub fn story_entries(conn: &Connection, ids: &[i64]) -> Result<Vec<Entry>, StoreError> {
    in_sql(|| {
        let sql = format!(
            "SELECT {COLUMNS}, s.guid FROM stories s JOIN items i ON i.id = s.lead WHERE s.id = ?1"
        );
        let mut out = Vec::with_capacity(ids.len());
        for &id in ids {
            let mut stmt = conn.prepare_cached(&sql)?;
            let mut rows = stmt.query_map([id], |r| row(r, r.get(13)?))?;
            if let Some(mut it) = rows.next().transpose()? {
                fill(conn, &mut it, Grouping::Story, Some(id), OTHERS_LISTED)?;
                out.push(it);
            }
        }
        Ok(out)
    })
}

/// The biggest stories dated since `since`: (story, reports, agencies), most agencies first.
pub fn biggest_stories(
    conn: &Connection,
    since: i64,
    limit: usize,
) -> Result<Vec<(Entry, u64)>, StoreError> {
    let period = Period {
        since,
        until: i64::MAX,
        sources: None,
        topics: &[],
        min_reports: 2,
        stories: None,
    };
    biggest_stories_in(conn, &period, limit)
}

/// The biggest stories of a period, ranked by agencies, then reports, then the newest
/// report: (story with every report, agencies in the period).
pub fn biggest_stories_in(
    conn: &Connection,
    p: &Period,
    limit: usize,
) -> Result<Vec<(Entry, u64)>, StoreError> {
    let ids: Vec<(i64, i64)> = in_sql(|| {
        if p.sources.is_some_and(<[String]>::is_empty) || p.stories.is_some_and(<[i64]>::is_empty) {
            return Ok(Vec::new());
        }
        let mut sql = String::from(
            "SELECT story_id, count(DISTINCT source) AS agencies FROM items
             WHERE published >= ?1 AND published < ?2 AND story_id IS NOT NULL",
        );
        let mut args: Vec<rusqlite::types::Value> = vec![p.since.into(), p.until.into()];
        if let Some(sources) = p.sources {
            sql.push_str(&format!(
                " AND story_id IN (SELECT m.story_id FROM items m WHERE m.source IN ({}))",
                placeholders(args.len(), sources.len())
            ));
            args.extend(sources.iter().map(|s| s.clone().into()));
        }
        if !p.topics.is_empty() {
            sql.push_str(&format!(
                " AND story_id IN (SELECT m.story_id FROM item_topics t JOIN items m
                                   ON m.id = t.item_id WHERE t.topic IN ({}))",
                placeholders(args.len(), p.topics.len())
            ));
            args.extend(p.topics.iter().map(|s| s.clone().into()));
        }
        if let Some(stories) = p.stories {
            // Ids, not text: written into the statement, which a digest runs rarely.
            let ids: Vec<String> = stories.iter().map(i64::to_string).collect();
            sql.push_str(&format!(" AND story_id IN ({})", ids.join(",")));
        }
        sql.push_str(&format!(
            " GROUP BY story_id HAVING count(*) >= {}
              ORDER BY agencies DESC, count(*) DESC, max(published) DESC LIMIT {}",
            p.min_reports,
            i64::try_from(limit).unwrap_or(i64::MAX)
        ));
        conn.prepare_cached(&sql)?
            .query_map(params_from_iter(args.iter()), |r| {
                Ok((r.get(0)?, r.get(1)?))
            })?
            .collect::<rusqlite::Result<_>>()
    })?;
    let mut out = Vec::new();
    for (id, agencies) in ids {
        if let Some(s) = story(conn, id)? {
            out.push((s, agencies.max(0) as u64));
        }
    }
    Ok(out)
}

fn placeholders(start: usize, n: usize) -> String {
    (start + 1..=start + n)
        .map(|i| format!("?{i}"))
        .collect::<Vec<_>>()
        .join(",")
}
