//! One story's reports, for its page (`/stories/ID`): every agency that carried it, with its
//! own headline, link and time where the store keeps them.
//!
//! Written against today's model (a story is the id of its first item; an exact copy from
//! another agency is only a row in `item_refs`). The story model is being rewritten (every
//! report its own row): then this is the one query to swap.

use rusqlite::{Connection, OptionalExtension, params};

/// One agency's report of a story.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportRow {
    pub source: String,
    /// The agency's own headline; `None` for an exact copy, whose headline is not kept.
    pub title: Option<String>,
    pub link: Option<String>,
    /// The agency's date, or when svodka first saw a copy.
    pub published: i64,
}

/// A story: its lead report's headline and id, the topics of all its reports, and the reports
/// in the order they appeared.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoryRows {
    pub id: i64,
    pub title: String,
    pub topics: Vec<String>,
    pub reports: Vec<ReportRow>,
}

/// The story whose id is `id`, or `None` when there is none (or `id` is a member, not a story).
pub fn story_reports(conn: &Connection, id: i64) -> rusqlite::Result<Option<StoryRows>> {
    let title: Option<String> = conn
        .query_row(
            "SELECT title FROM items WHERE id = ?1 AND story_id = id",
            [id],
            |r| r.get(0),
        )
        .optional()?;
    let Some(title) = title else { return Ok(None) };
    let mut reports: Vec<ReportRow> = conn
        .prepare_cached(
            "SELECT source, title, link, published FROM items WHERE story_id = ?1
             ORDER BY published, id",
        )?
        .query_map([id], |r| {
            Ok(ReportRow {
                source: r.get(0)?,
                title: Some(r.get(1)?),
                link: r.get(2)?,
                published: r.get(3)?,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    let copies: Vec<ReportRow> = conn
        .prepare_cached(
            "SELECT r.source, r.link, r.first_seen FROM item_refs r JOIN items m ON m.id = r.item_id
             WHERE m.story_id = ?1 AND r.source <> m.source ORDER BY r.first_seen, r.source",
        )?
        .query_map([id], |r| {
            Ok(ReportRow {
                source: r.get(0)?,
                title: None,
                link: r.get(1)?,
                published: r.get(2)?,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    reports.extend(copies);
    let topics = conn
        .prepare_cached(
            "SELECT DISTINCT t.topic FROM item_topics t JOIN items m ON m.id = t.item_id
             WHERE m.story_id = ?1 ORDER BY t.topic",
        )?
        .query_map(params![id], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    Ok(Some(StoryRows {
        id,
        title,
        topics,
        reports,
    }))
}
