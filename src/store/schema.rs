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
    // 3: each source's item count kept on its row, so the index page and `svodka sources` read
    // one row per source instead of counting its references on every request. Triggers keep
    // it exact through saves, retention (the cascade from `items`) and other writers.
    r#"
    ALTER TABLE sources ADD COLUMN items INTEGER NOT NULL DEFAULT 0;
    UPDATE sources SET items = (SELECT count(*) FROM item_refs r WHERE r.source = sources.name);
    CREATE TRIGGER item_refs_counted AFTER INSERT ON item_refs BEGIN
        UPDATE sources SET items = items + 1 WHERE name = NEW.source;
    END;
    CREATE TRIGGER item_refs_uncounted AFTER DELETE ON item_refs BEGIN
        UPDATE sources SET items = items - 1 WHERE name = OLD.source;
    END;
    "#,
];

/// Applies the migrations not yet applied, each in its own IMMEDIATE transaction that reads the
/// version again first: two processes upgrading at once apply each migration once. Upgrading
/// to 2 also indexes recent items for stories, in the same transaction, so that step cannot be
/// skipped by a failure between the two.
pub fn migrate(conn: &mut Connection) -> rusqlite::Result<()> {
    for (i, sql) in MIGRATIONS.iter().enumerate() {
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let current: i64 = tx.pragma_query_value(None, "user_version", |r| r.get(0))?;
        if usize::try_from(current).unwrap_or(0) > i {
            continue;
        }
        tx.execute_batch(sql)?;
        if i + 1 == 2 {
            let since = chrono::Utc::now().timestamp() - super::stories::SIGNATURE_DAYS * 86_400;
            super::stories::backfill_signatures(&tx, since)?;
        }
        tx.pragma_update(None, "user_version", (i + 1) as i64)?;
        tx.commit()?;
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
}
