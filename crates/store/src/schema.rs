//! The schema as an ordered list of migrations; `PRAGMA user_version` counts those applied.
//!
//! Each migration runs in its own transaction with the version bump, so a kill mid-migration
//! leaves the previous version intact. Append new migrations; never edit an applied one.

use rusqlite::Connection;

pub(super) const MIGRATIONS: &[&str] = &[
    // 1: sources with fetch state and health; items; the (source, guid) pairs that carried each
    // item; item topics.
    r#"
    CREATE TABLE sources (
        name          TEXT PRIMARY KEY,
        url           TEXT NOT NULL,
        etag          TEXT,
        last_modified TEXT,
        last_fetch    INTEGER,
        last_success  INTEGER,
        last_status   INTEGER,
        last_error    TEXT,
        error_streak  INTEGER NOT NULL DEFAULT 0,
        next_due      INTEGER,
        moved_to      TEXT,
        gone          INTEGER NOT NULL DEFAULT 0
    );
    CREATE TABLE items (
        id            INTEGER PRIMARY KEY,
        source        TEXT NOT NULL,
        link          TEXT,
        content_hash  TEXT NOT NULL,
        title         TEXT NOT NULL,
        summary       TEXT,
        content       TEXT,
        text          TEXT NOT NULL,
        author        TEXT,
        image         TEXT,
        published     INTEGER NOT NULL,
        first_seen    INTEGER NOT NULL,
        updated       INTEGER NOT NULL
    );
    CREATE INDEX items_link ON items(link) WHERE link IS NOT NULL;
    CREATE INDEX items_hash ON items(content_hash);
    CREATE INDEX items_published ON items(published DESC, id DESC);
    CREATE TABLE item_refs (
        source        TEXT NOT NULL,
        key           TEXT NOT NULL,
        item_id       INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,
        link          TEXT,
        first_seen    INTEGER NOT NULL,
        PRIMARY KEY (source, key)
    ) WITHOUT ROWID;
    CREATE INDEX item_refs_item ON item_refs(item_id);
    CREATE TABLE item_topics (
        item_id       INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,
        topic         TEXT NOT NULL,
        PRIMARY KEY (item_id, topic)
    ) WITHOUT ROWID;
    CREATE INDEX item_topics_topic ON item_topics(topic, item_id);
    "#,
    // 2: stories. An item's story is the id of the story's first item; `minhash` is its
    // signature and `item_bands` the LSH index that finds candidates.
    r#"
    ALTER TABLE items ADD COLUMN story_id INTEGER;
    ALTER TABLE items ADD COLUMN minhash BLOB;
    UPDATE items SET story_id = id;
    CREATE INDEX items_story ON items(story_id);
    CREATE INDEX items_story_first ON items(published DESC, id DESC) WHERE story_id = id;
    CREATE TABLE item_bands (
        band          INTEGER NOT NULL,
        key           INTEGER NOT NULL,
        item_id       INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,
        PRIMARY KEY (band, key, item_id)
    ) WITHOUT ROWID;
    CREATE INDEX item_bands_item ON item_bands(item_id);
    "#,
    // 3: every report its own row. `key` is the source's own key (guid, else link); `copy_id`
    // the first report of its copy group; `fp` the story engine's fingerprint. A story has its
    // own row with a GUID minted once and a lead report that may change. Boilerplate learned
    // per source. The rows of `item_refs` become reports (their agencies' own titles and dates
    // were never stored: they take the first report's), in `upgrade_to_reports`.
    r#"
    ALTER TABLE items ADD COLUMN key TEXT;
    ALTER TABLE items ADD COLUMN copy_id INTEGER;
    ALTER TABLE items ADD COLUMN fp BLOB;
    ALTER TABLE sources ADD COLUMN priority INTEGER NOT NULL DEFAULT 0;
    CREATE TABLE stories (
        id            INTEGER PRIMARY KEY,
        guid          TEXT NOT NULL,
        lead          INTEGER NOT NULL,
        published     INTEGER NOT NULL,
        first_seen    INTEGER NOT NULL,
        updated       INTEGER NOT NULL
    );
    CREATE INDEX stories_published ON stories(published DESC, id DESC);
    CREATE INDEX stories_lead ON stories(lead);
    CREATE TABLE boilerplate (
        source        TEXT PRIMARY KEY,
        units         BLOB NOT NULL,
        updated       INTEGER NOT NULL
    );
    "#,
    // 4: each source's report count kept on its row, so the index page and `svodka sources`
    // read one row per source instead of counting its reports on every request. Triggers keep
    // it exact through saves, retention and other writers.
    r#"
    ALTER TABLE sources ADD COLUMN items INTEGER NOT NULL DEFAULT 0;
    UPDATE sources SET items = (SELECT count(*) FROM items i WHERE i.source = sources.name);
    CREATE TRIGGER items_counted AFTER INSERT ON items BEGIN
        UPDATE sources SET items = items + 1 WHERE name = NEW.source;
    END;
    CREATE TRIGGER items_uncounted AFTER DELETE ON items BEGIN
        UPDATE sources SET items = items - 1 WHERE name = OLD.source;
    END;
    "#,
    // 5: the storyline. The names (people, places, organisations) of each report's title and
    // lead (`title`: named in the title), and how many reports name each, kept by triggers so rarity is one lookup. The
    // reports' rows cascade to theirs, so retention removes them with the report.
    r#"
    CREATE TABLE item_entities (
        item_id       INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,
        entity        TEXT NOT NULL,
        kind          INTEGER NOT NULL,
        title         INTEGER NOT NULL,
        PRIMARY KEY (item_id, entity)
    ) WITHOUT ROWID;
    CREATE INDEX item_entities_entity ON item_entities(entity, item_id);
    CREATE TABLE entities (
        entity        TEXT PRIMARY KEY,
        reports       INTEGER NOT NULL
    ) WITHOUT ROWID;
    CREATE TRIGGER item_entities_counted AFTER INSERT ON item_entities BEGIN
        INSERT INTO entities (entity, reports) VALUES (NEW.entity, 1)
            ON CONFLICT (entity) DO UPDATE SET reports = reports + 1;
    END;
    CREATE TRIGGER item_entities_uncounted AFTER DELETE ON item_entities BEGIN
        UPDATE entities SET reports = reports - 1 WHERE entity = OLD.entity;
        DELETE FROM entities WHERE entity = OLD.entity AND reports <= 0;
    END;
    "#,
    // 6: digests and alerts. `digest_watch` is when the daemon first scheduled a digest (an
    // edition due before that was never missed); `editions` holds each edition once, by its
    // cron tick, as the JSON it was made as, with its mailing state.
    r#"
    CREATE TABLE digest_watch (
        digest        TEXT PRIMARY KEY,
        since         INTEGER NOT NULL
    );
    CREATE TABLE editions (
        digest        TEXT NOT NULL,
        tick          INTEGER NOT NULL,
        key           TEXT NOT NULL,
        since         INTEGER NOT NULL,
        until         INTEGER NOT NULL,
        made          INTEGER NOT NULL,
        body          TEXT NOT NULL,
        mail_to       TEXT,
        sent          INTEGER,
        attempts      INTEGER NOT NULL DEFAULT 0,
        next_try      INTEGER,
        error         TEXT,
        PRIMARY KEY (digest, tick)
    );
    CREATE UNIQUE INDEX editions_key ON editions(digest, key);
    CREATE INDEX editions_unsent ON editions(next_try) WHERE sent IS NULL AND mail_to IS NOT NULL;
    -- Alerts: each (alert, story, event) claimed once, so a restart never alerts twice; the
    -- cursor is the last report the alerts looked at.
    CREATE TABLE alert_events (
        alert         TEXT NOT NULL,
        story         INTEGER NOT NULL,
        event         TEXT NOT NULL,
        at            INTEGER NOT NULL,
        PRIMARY KEY (alert, story, event)
    ) WITHOUT ROWID;
    CREATE TABLE alert_cursor (
        id            INTEGER PRIMARY KEY CHECK (id = 1),
        item          INTEGER NOT NULL
    );
    "#,
    // 7: full-text search. One row per report (rowid = its id) holding its lemmas, written
    // with it (`store::search::index`), dropped with it by a trigger. Contentless: the text is
    // in `items`, the index keeps only terms and positions. The terms are folded lemmas joined
    // by spaces, so the `ascii` tokenizer (bytes past ASCII are letters) only splits them,
    // where `unicode61` would fold them again. `search_backfill` is how far the daemon has
    // indexed the reports stored before this version (`done` up to `upto`).
    r#"
    CREATE VIRTUAL TABLE search USING fts5(
        title, body, more,
        content = '', contentless_delete = 1,
        tokenize = 'ascii'
    );
    CREATE TRIGGER items_unsearched AFTER DELETE ON items BEGIN
        DELETE FROM search WHERE rowid = OLD.id;
    END;
    CREATE TABLE search_backfill (done INTEGER NOT NULL, upto INTEGER NOT NULL);
    INSERT INTO search_backfill SELECT 0, coalesce(max(id), 0) FROM items;
    "#,
    // 8: FTS5 merges a level's segments once sixteen wait there, not four. Each fetch writes
    // one small segment, and every merge level rewrites all of a segment's postings: with a
    // fan-in of 16 a posting is rewritten about half as often as with 4, while a query reads a
    // few more segments.
    r#"
    INSERT INTO search (search, rank) VALUES ('automerge', 16);
    "#,
    // 9: a fetch counts its names once each (`related::NewNames`) instead of a trigger firing
    // for every row, and the title words (kind 5: looked up by story, never by name) leave the
    // index by name, of whose rows they were seven in ten.
    r#"
    DROP TRIGGER item_entities_counted;
    DROP INDEX item_entities_entity;
    CREATE INDEX item_entities_entity ON item_entities(entity, item_id) WHERE kind <> 5;
    "#,
];

/// A database whose `user_version` is past every migration this build has: a newer svodka
/// wrote it, and reading it as ours would misread (or damage) what that version added.
#[derive(Debug, thiserror::Error)]
#[error(
    "this database was written by a newer svodka (schema {found}, this build knows up to {known})"
)]
pub struct NewerSchema {
    pub found: i64,
    pub known: usize,
}

/// SQLite's `data_version`: it moves when another connection (another process) commits to the
/// database, which is how the daemon learns that `svodka fetch` or `svodka retag` wrote.
pub fn data_version(conn: &Connection) -> svodka_core::archive::Result<i64> {
    conn.query_row("PRAGMA data_version", [], |r| r.get(0))
        .map_err(crate::error::sql)
}

/// Refuses a database from a newer svodka; any older (or new, empty) one is ours to migrate.
pub fn refuse_newer(conn: &Connection) -> anyhow::Result<()> {
    let found: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    if found > MIGRATIONS.len() as i64 {
        return Err(NewerSchema {
            found,
            known: MIGRATIONS.len(),
        }
        .into());
    }
    Ok(())
}

/// Applies the migrations not yet applied, each in its own IMMEDIATE transaction that reads the
/// version again first: two processes upgrading at once apply each migration once. Upgrading
/// to 3 also turns references into reports, in the same transaction, so that step cannot be
/// skipped by a failure between the two.
pub fn migrate(conn: &mut Connection) -> rusqlite::Result<()> {
    for (i, sql) in MIGRATIONS.iter().enumerate() {
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let current: i64 = tx.pragma_query_value(None, "user_version", |r| r.get(0))?;
        if usize::try_from(current).unwrap_or(0) > i {
            continue;
        }
        tx.execute_batch(sql)?;
        if i + 1 == 3 {
            upgrade_to_reports(&tx)?;
        }
        tx.pragma_update(None, "user_version", (i + 1) as i64)?;
        tx.commit()?;
    }
    Ok(())
}

/// Version 2 stored one row per story item and a reference row per other agency that carried
/// it. Each reference becomes a report of its own (with its own link; the title, text and date
/// are the first agency's, as that is all that was kept), in the first report's copy group and
/// story. Each story gets its row, its GUID the one its feed entry already had.
fn upgrade_to_reports(tx: &rusqlite::Transaction) -> rusqlite::Result<()> {
    tx.execute_batch(
        "UPDATE items SET story_id = id WHERE story_id IS NULL;
         UPDATE items SET key = (SELECT r.key FROM item_refs r
                                 WHERE r.item_id = items.id AND r.source = items.source
                                 ORDER BY r.first_seen, r.key LIMIT 1);
         UPDATE items SET key = 'id:' || id WHERE key IS NULL;
         UPDATE items SET copy_id = id;
         INSERT INTO items (source, key, link, content_hash, title, summary, content, text, author,
                            image, published, first_seen, updated, story_id, copy_id)
           SELECT r.source, r.key, coalesce(r.link, i.link), i.content_hash, i.title, i.summary,
                  i.content, i.text, i.author, i.image, i.published, r.first_seen, r.first_seen,
                  i.story_id, i.id
           FROM item_refs r JOIN items i ON i.id = r.item_id
           WHERE r.source <> i.source;
         INSERT OR IGNORE INTO item_topics (item_id, topic)
           SELECT n.id, t.topic FROM items n JOIN item_topics t ON t.item_id = n.copy_id
           WHERE n.copy_id <> n.id;
         DROP TABLE item_refs;
         DROP TABLE item_bands;
         DROP INDEX items_hash;
         DROP INDEX items_story_first;
         ALTER TABLE items DROP COLUMN minhash;
         CREATE UNIQUE INDEX items_source_key ON items(source, key);
         CREATE INDEX items_copy ON items(copy_id);",
    )?;
    let heads: Vec<(i64, String, String, i64, i64, i64)> = {
        let mut stmt = tx.prepare(
            "SELECT id, source, key, published, first_seen, updated FROM items WHERE story_id = id",
        )?;
        stmt.query_map([], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
            ))
        })?
        .collect::<rusqlite::Result<_>>()?
    };
    let mut insert = tx.prepare(
        "INSERT INTO stories (id, guid, lead, published, first_seen, updated)
         VALUES (?1, ?2, ?1, ?3, ?4, ?5)",
    )?;
    for (id, source, key, published, first_seen, updated) in heads {
        let guid = super::stories::public_id(&source, &key);
        insert.execute(rusqlite::params![id, guid, published, first_seen, updated])?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrating_twice_is_a_no_op() {
        let mut c = Connection::open_in_memory().unwrap();
        migrate(&mut c).unwrap();
        migrate(&mut c).unwrap();
        let v: i64 = c
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .unwrap();
        assert_eq!(v as usize, MIGRATIONS.len());
    }

    #[test]
    fn data_version_moves_when_another_connection_commits() {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let path = dir.path().join("svodka.db");
        let daemon = crate::open(&path).expect("the database");
        let other = crate::open(&path).expect("the database again");
        let before = data_version(&daemon).expect("the version");
        other
            .execute_batch("CREATE TABLE scratch (x)")
            .expect("a commit");
        assert_ne!(data_version(&daemon).expect("the version"), before);
        // Its own commits do not move it: the daemon knows of those already.
        let before = data_version(&daemon).expect("the version");
        daemon
            .execute_batch("DROP TABLE scratch")
            .expect("a commit");
        assert_eq!(data_version(&daemon).expect("the version"), before);
    }
}
