//! The storyline in SQL: each report's names (`item_entities`, written with the report), how many
//! reports name each (`entities`, counted once a transaction, uncounted by a trigger), and the
//! stories related to a story — those whose reports within [`RELATED_DAYS`] share specific names
//! with it (the rule is [`svodka_core::storyline::related`]).

use std::collections::HashMap;
use svodka_core::archive::StoreError;

use rusqlite::{Connection, OptionalExtension, params};
use svodka_core::model::RelatedStory;

use svodka_core::storyline::{Entity, Kind, Shared};

use crate::error::in_sql;

/// How far apart in time two related stories' reports may be.
pub const RELATED_DAYS: i64 = 30;
/// Related stories listed per story: the strongest, shown newest first.
pub const RELATED_LISTED: usize = 10;
/// A story's names looked for candidates, the rarest first.
const NAMES_LOOKED_UP: usize = 16;
/// Reports read per name, the newest first: a specific name is named by few reports, and this
/// bounds the work for the one that is not.
const POSTINGS: i64 = 500;

/// A name's reports in a span of time, outside one story, the newest first. `kind <> 5` (not a
/// title word) as the index's own WHERE says it: SQLite reads a partial index only for a query
/// whose terms imply its condition, which a bound parameter would not.
const POSTINGS_SQL: &str = "SELECT i.story_id, e.title FROM item_entities e
     JOIN items i ON i.id = e.item_id
     WHERE e.entity = ?1 AND e.kind <> 5 AND i.published BETWEEN ?2 AND ?3 AND i.story_id <> ?4
     ORDER BY e.item_id DESC LIMIT ?5";

/// The names written in one transaction, counted in `entities` once each at its end: a fetch's
/// reports share their region's and their agency's names, and one upsert a name is far
/// cheaper than one a row.
#[derive(Default)]
pub(crate) struct NewNames(HashMap<String, i64>);

impl NewNames {
    /// Adds a new report's names.
    pub(crate) fn add(
        &mut self,
        conn: &Connection,
        id: i64,
        entities: &[Entity],
    ) -> rusqlite::Result<()> {
        let mut insert = conn.prepare_cached(
            "INSERT OR IGNORE INTO item_entities (item_id, entity, kind, title)
             VALUES (?1, ?2, ?3, ?4)",
        )?;
        for e in entities {
            if insert.execute(params![id, e.name, e.kind.code(), e.title])? == 1 {
                *self.0.entry(e.name.clone()).or_default() += 1;
            }
        }
        Ok(())
    }

    /// Replaces a report's names (an edit, `svodka retag`); the trigger uncounts the old ones.
    pub(crate) fn replace(
        &mut self,
        conn: &Connection,
        id: i64,
        entities: &[Entity],
    ) -> rusqlite::Result<()> {
        conn.prepare_cached("DELETE FROM item_entities WHERE item_id = ?1")?
            .execute([id])?;
        self.add(conn, id, entities)
    }

    /// Counts the names added; before the transaction commits.
    pub(crate) fn count(self, conn: &Connection) -> rusqlite::Result<()> {
        let mut upsert = conn.prepare_cached(
            "INSERT INTO entities (entity, reports) VALUES (?1, ?2)
             ON CONFLICT (entity) DO UPDATE SET reports = reports + excluded.reports",
        )?;
        for (entity, n) in self.0 {
            upsert.execute(params![entity, n])?;
        }
        Ok(())
    }
}

/// Replaces a report's names (an edit, `svodka retag`).
pub fn set_entities(conn: &Connection, id: i64, entities: &[Entity]) -> Result<(), StoreError> {
    in_sql(|| {
        let mut names = NewNames::default();
        names.replace(conn, id, entities)?;
        names.count(conn)
    })
}

/// How many reports the store holds: the per-source counts the triggers keep, or a count when
/// the reports' sources have no rows (a database written by tools).
fn total_reports(conn: &Connection) -> rusqlite::Result<u64> {
    let kept: i64 = conn
        .prepare_cached("SELECT coalesce(sum(items), 0) FROM sources")?
        .query_row([], |r| r.get(0))?;
    if kept > 0 {
        return Ok(kept as u64);
    }
    let counted: i64 = conn
        .prepare_cached("SELECT count(*) FROM items")?
        .query_row([], |r| r.get(0))?;
    Ok(counted.max(0) as u64)
}

/// The stories related to `story`, newest first (at most [`RELATED_LISTED`]: the strongest).
pub fn related(conn: &Connection, story: i64) -> Result<Vec<RelatedStory>, StoreError> {
    in_sql(|| {
        let total = total_reports(conn)?;
        related_with(conn, story, total)
    })
}

/// The related stories of each of `stories` (a feed's entries), keyed by story.
pub fn related_many(
    conn: &Connection,
    stories: &[i64],
) -> Result<HashMap<i64, Vec<RelatedStory>>, StoreError> {
    in_sql(|| {
        let total = total_reports(conn)?;
        let mut out = HashMap::new();
        for &s in stories {
            if let std::collections::hash_map::Entry::Vacant(e) = out.entry(s) {
                e.insert(related_with(conn, s, total)?);
            }
        }
        Ok(out)
    })
}

fn related_with(conn: &Connection, story: i64, total: u64) -> rusqlite::Result<Vec<RelatedStory>> {
    let Some(at) = conn
        .prepare_cached("SELECT published FROM stories WHERE id = ?1")?
        .query_row([story], |r| r.get::<_, i64>(0))
        .optional()?
    else {
        return Ok(Vec::new());
    };
    // The story's names over all its reports, with how many reports name each. A name one
    // report reads as a person and another as a place counts as the person.
    let mut names: Vec<(String, Shared)> = conn
        .prepare_cached(
            "SELECT e.entity, min(e.kind), coalesce(n.reports, 0), max(e.title) FROM items i
             JOIN item_entities e ON e.item_id = i.id
             LEFT JOIN entities n ON n.entity = e.entity
             WHERE i.story_id = ?1 GROUP BY e.entity",
        )?
        .query_map([story], |r| {
            Ok((
                r.get::<_, String>(0)?,
                Shared {
                    kind: Kind::from_code(r.get(1)?),
                    reports: r.get::<_, i64>(2)?.max(0) as u64,
                    titles: u8::from(r.get::<_, bool>(3)?),
                },
            ))
        })?
        .collect::<rusqlite::Result<_>>()?;
    names.retain(|(_, s)| svodka_core::storyline::specific(s.reports, total));
    // The title words are not looked up: a candidate must share a name first.
    let (words, mut names): (Vec<_>, Vec<_>) =
        names.into_iter().partition(|(_, s)| s.kind == Kind::Word);
    names.sort_by_key(|(_, s)| s.reports);
    names.truncate(NAMES_LOOKED_UP);
    let span = RELATED_DAYS * 86_400;
    // Candidate story → (the story's name, whether the candidate's title has it).
    let mut shared: HashMap<i64, Vec<(usize, bool)>> = HashMap::new();
    {
        let mut postings = conn.prepare_cached(POSTINGS_SQL)?;
        for (n, (name, _)) in names.iter().enumerate() {
            let rows = postings
                .query_map(params![name, at - span, at + span, story, POSTINGS], |r| {
                    Ok((r.get::<_, Option<i64>>(0)?, r.get::<_, bool>(1)?))
                })?;
            for row in rows {
                let (Some(s), title) = row? else { continue };
                let found = shared.entry(s).or_default();
                match found.last_mut() {
                    Some((m, t)) if *m == n => *t |= title,
                    _ => found.push((n, title)),
                }
            }
        }
    }
    let mut linked: Vec<(i64, f64, Vec<usize>)> = Vec::new();
    let mut words_of = conn.prepare_cached(
        "SELECT DISTINCT e.entity FROM items i JOIN item_entities e ON e.item_id = i.id
         WHERE i.story_id = ?1 AND e.kind = ?2",
    )?;
    for (s, found) in shared {
        let mut of: Vec<Shared> = Vec::new();
        let mut first_words: Vec<&str> = Vec::new();
        for &(n, title) in &found {
            // «мид рф» and «мид россия» are one name told two ways.
            let first = names[n].0.split(' ').next().unwrap_or_default();
            if first_words.contains(&first) {
                continue;
            }
            first_words.push(first);
            of.push(Shared {
                titles: names[n].1.titles + u8::from(title),
                ..names[n].1
            });
        }
        if !svodka_core::storyline::names_relate(&of, total)
            && !svodka_core::storyline::place_anchor(&of, total)
        {
            continue;
        }
        let theirs: Vec<String> = words_of
            .query_map(params![s, Kind::Word.code()], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        of.extend(
            words
                .iter()
                .filter(|(w, _)| theirs.contains(w))
                .map(|(_, w)| Shared { titles: 2, ..*w }),
        );
        if let Some(strength) = svodka_core::storyline::related(&of, total) {
            linked.push((s, strength, found.into_iter().map(|(n, _)| n).collect()));
        }
    }
    linked.sort_by(|a, b| b.1.total_cmp(&a.1).then(b.0.cmp(&a.0)));
    linked.truncate(RELATED_LISTED);
    let mut out = Vec::with_capacity(linked.len());
    for (s, strength, found) in linked {
        let head = conn
            .prepare_cached(
                "SELECT s.guid, i.title, s.published, i.source FROM stories s
                 JOIN items i ON i.id = s.lead WHERE s.id = ?1",
            )?
            .query_row([s], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, i64>(2)?,
                    r.get::<_, String>(3)?,
                ))
            })
            .optional()?;
        let Some((guid, title, published, lead)) = head else {
            continue;
        };
        let mut sources = vec![lead];
        let others = conn
            .prepare_cached(
                "SELECT source FROM items WHERE story_id = ?1
                 GROUP BY source ORDER BY min(published), source",
            )?
            .query_map([s], |r| r.get::<_, String>(0))?
            .collect::<rusqlite::Result<Vec<String>>>()?;
        for o in others {
            if !sources.contains(&o) {
                sources.push(o);
            }
        }
        out.push(RelatedStory {
            story: s,
            guid,
            title,
            published,
            sources,
            strength,
            names: found.iter().map(|&n| names[n].0.clone()).collect(),
        });
    }
    out.sort_by(|a, b| b.published.cmp(&a.published).then(b.story.cmp(&a.story)));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use crate::{Db, Incoming, prune, save_fetch};
    use svodka_core::model::FetchState;

    fn count(db: &Db, sql: &str) -> i64 {
        db.with(|c| c.query_row(sql, [], |r| r.get(0))).unwrap()
    }

    #[test]
    fn names_are_counted_with_their_reports_and_go_with_them() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(&dir.path().join("s.db")).unwrap();
        let long_ago = chrono::Utc::now() - chrono::Duration::days(200);
        let item = svodka_core::model::Item {
            guid: Some("1".into()),
            link: Some("https://a.test/1".into()),
            title: "В Липецке задержан директор МУП Шатохин".into(),
            summary: None,
            content: None,
            text: "Директора МУП Олега Шатохина задержали в Липецке.".into(),
            author: None,
            image: None,
            published: long_ago,
            date_from_first_seen: false,
            link_shared: false,
        };
        let mut incoming = Incoming::new(item.clone(), vec![]);
        incoming.entities = svodka_core::storyline::entities(&item.title, &item.text);
        assert!(incoming.entities.iter().any(|e| e.name == "шатохин"));
        let state = FetchState::default();
        db.with_engine(|c, e| save_fetch(c, e, "a", &[incoming], None, &state, long_ago))
            .unwrap();
        assert_eq!(
            count(&db, "SELECT reports FROM entities WHERE entity = 'шатохин'"),
            1
        );
        let n = db
            .with(|c| {
                prune(
                    c,
                    None,
                    chrono::Utc::now() - chrono::Duration::days(90),
                    500,
                )
            })
            .unwrap();
        assert_eq!(n, 1);
        assert_eq!(count(&db, "SELECT count(*) FROM item_entities"), 0);
        assert_eq!(count(&db, "SELECT count(*) FROM entities"), 0);
    }

    fn report(n: u32, title: &str, text: &str) -> Incoming {
        let item =
            crate::testing::item(&n.to_string(), &format!("https://a.test/{n}"), title, text);
        let mut incoming = Incoming::new(item.clone(), vec![]);
        incoming.entities = svodka_core::storyline::entities(&item.title, &item.text);
        incoming
    }

    #[test]
    fn a_fetch_counts_each_name_once_per_report_and_an_edit_recounts() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(&dir.path().join("s.db")).unwrap();
        let state = FetchState::default();
        let save = |reports: Vec<Incoming>| {
            db.with_engine(|c, e| save_fetch(c, e, "a", &reports, None, &state, chrono::Utc::now()))
                .unwrap()
        };
        save(vec![
            report(
                1,
                "Мэр Ельца Шатохин открыл школу",
                "Школу на 800 мест открыли в Ельце.",
            ),
            report(
                2,
                "Мэр Шатохин проверил ремонт моста",
                "Глава Ельца осмотрел мост через Сосну.",
            ),
        ]);
        let reports = |name: &str| {
            count(
                &db,
                &format!("SELECT coalesce(sum(reports), 0) FROM entities WHERE entity = '{name}'"),
            )
        };
        assert_eq!(reports("шатохин"), 2);
        assert_eq!(reports("=школ"), 1);
        // The second report, edited: the mayor no longer named, the bridge still.
        let counts = save(vec![report(
            2,
            "В Ельце проверили ремонт моста",
            "Комиссия осмотрела мост через Сосну.",
        )]);
        assert_eq!(counts.updated, 1);
        assert_eq!(reports("шатохин"), 1);
        assert_eq!(reports("=мост"), 1);
        // Names are read by name through the index; title words (kind 5) never are.
        assert_eq!(svodka_core::storyline::Kind::Word.code(), 5);
        let plan: String = db
            .with(|c| {
                c.query_row(
                    &format!("EXPLAIN QUERY PLAN {}", super::POSTINGS_SQL),
                    rusqlite::params!["шатохин", 0, i64::MAX, 0, 10],
                    |r| r.get(3),
                )
            })
            .unwrap();
        assert!(plan.contains("item_entities_entity"), "{plan}");
    }

    #[test]
    fn a_retag_that_reads_names_again_recounts_them() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(&dir.path().join("s.db")).unwrap();
        let state = FetchState::default();
        let first = report(
            1,
            "Мэр Ельца Шатохин открыл школу",
            "Школу открыли в Ельце.",
        );
        let second = report(2, "Глава Ельца Шатохин принял отчёт", "Отчёт принят.");
        db.with_engine(|c, e| {
            save_fetch(
                c,
                e,
                "a",
                &[first, second],
                None,
                &state,
                chrono::Utc::now(),
            )
        })
        .unwrap();
        let reports = |name: &str| {
            count(
                &db,
                &format!("SELECT coalesce(sum(reports), 0) FROM entities WHERE entity = '{name}'"),
            )
        };
        assert_eq!(reports("шатохин"), 2);
        assert_eq!(reports("елец"), 1, "the first report's lead");
        // The first report read again under another rule: the mayor is gone from its names,
        // a bridge has come, the town stays.
        let names = svodka_core::storyline::entities("В Ельце открыли мост", "Мост открыли.");
        let page = [svodka_core::writer::Retagged {
            id: 1,
            topics: vec![],
            names: Some(names),
        }];
        db.with(|c| crate::save_retagged(c, &page)).unwrap();
        assert_eq!(reports("шатохин"), 1);
        assert_eq!(reports("=мост"), 1);
        assert_eq!(reports("елец"), 1, "a name kept is not counted twice");
    }
}
