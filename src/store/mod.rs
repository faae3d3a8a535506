//! The only place that knows SQL: the SQLite handle, the schema and its migrations, and the
//! queries by table (`sources`, `items`, `stories`).
//!
//! Functions take `&Connection` and are synchronous; the async side goes through `Db`, which
//! owns one connection behind a mutex and runs work on tokio's blocking pool.

mod items;
mod schema;
mod sources;
mod stories;

pub use stories::{SIGNATURE_DAYS, forget_old_signatures};

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use anyhow::{Context, Result};
use rusqlite::Connection;

pub use items::{
    Counts, StoredItem, headlines_since, item_count, items_for_retag, prune, save_fetch,
    save_state, select_items, set_topics, topic_story_counts,
};
pub use sources::{
    FetchState, SourceHealth, gauges, load_fetch_state, load_fetch_states, source_health,
    sync_sources,
};

/// Opens (creating if needed) the database and brings its schema up to date.
pub fn open(path: &Path) -> Result<Connection> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot create the database folder {}", dir.display()))?;
    }
    let mut conn = Connection::open(path)
        .with_context(|| format!("cannot open the database {}", path.display()))?;
    // WAL lets the server's reader read while a fetch writes; NORMAL is durable across a kill
    // (only a power loss can drop the last commits) and ~6× cheaper per commit than FULL.
    conn.pragma_update(None, "journal_mode", "WAL")
        .and_then(|_| conn.pragma_update(None, "synchronous", "NORMAL"))
        .and_then(|_| conn.pragma_update(None, "foreign_keys", "ON"))
        // A REPLACE into `item_refs` then fires its delete trigger too, so the item counts
        // kept on `sources` stay exact.
        .and_then(|_| conn.pragma_update(None, "recursive_triggers", "ON"))
        // 64 MiB of page cache: the story index (item_bands) is written at random keys, and
        // a cache that holds its hot pages saves a read per band per new item.
        .and_then(|_| conn.pragma_update(None, "cache_size", -65_536))
        .and_then(|_| conn.busy_timeout(std::time::Duration::from_secs(10)))
        .with_context(|| format!("cannot set up the database {}", path.display()))?;
    schema::migrate(&mut conn)
        .with_context(|| format!("cannot migrate the database {}", path.display()))?;
    Ok(conn)
}

/// A shared handle: a writer connection, a read-only connection for the server (WAL lets it
/// read while a fetch writes), and a counter that moves whenever stored items change, so
/// rendered feeds know when they are stale.
#[derive(Clone)]
pub struct Db {
    conn: Arc<Mutex<Connection>>,
    reader: Arc<Mutex<Connection>>,
    version: Arc<AtomicU64>,
}

impl Db {
    /// Opens the database (creating and migrating it) with its two connections.
    pub fn open(path: &Path) -> Result<Db> {
        let conn = open(path)?;
        let reader = Connection::open_with_flags(
            path,
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .and_then(|r| {
            r.busy_timeout(std::time::Duration::from_secs(10))
                .map(|()| r)
        })
        .with_context(|| format!("cannot open the database {} for reading", path.display()))?;
        Ok(Db {
            conn: Arc::new(Mutex::new(conn)),
            reader: Arc::new(Mutex::new(reader)),
            version: Arc::new(AtomicU64::new(1)),
        })
    }

    /// Runs `f` on the writer connection, on the calling thread.
    pub fn with<R>(&self, f: impl FnOnce(&mut Connection) -> R) -> R {
        // A panic while holding the lock cannot leave a half-done transaction behind (rusqlite
        // rolls back on drop), so a poisoned lock is still a usable connection.
        let mut guard = self.conn.lock().unwrap_or_else(|p| p.into_inner());
        f(&mut guard)
    }

    /// Runs `f` on the writer connection on the blocking pool, so the async side never waits
    /// on SQLite.
    pub async fn call<R: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Connection) -> R + Send + 'static,
    ) -> Result<R> {
        let db = self.clone();
        tokio::task::spawn_blocking(move || db.with(f))
            .await
            .context("database task failed")
    }

    /// Runs `f` on the read-only connection on the blocking pool: the server's queries never
    /// wait for a fetch's write.
    pub async fn read<R: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Connection) -> R + Send + 'static,
    ) -> Result<R> {
        let reader = self.reader.clone();
        tokio::task::spawn_blocking(move || {
            let mut guard = reader.lock().unwrap_or_else(|p| p.into_inner());
            f(&mut guard)
        })
        .await
        .context("database task failed")
    }

    pub fn version(&self) -> u64 {
        self.version.load(Ordering::Acquire)
    }

    pub fn bump(&self) {
        self.version.fetch_add(1, Ordering::AcqRel);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "Отопительный сезон в Воронеже начнётся 5 октября: соответствующее постановление \
        подписал глава города. В первую очередь тепло подадут в детские сады, школы и больницы, затем \
        в жилые дома. Управляющие компании должны завершить промывку систем до конца сентября.";

    #[test]
    fn upgrading_a_first_version_database_lets_recent_items_join_stories() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("v1.db");
        let now = chrono::Utc::now().timestamp();
        {
            let c = Connection::open(&path).unwrap();
            c.execute_batch(schema::MIGRATIONS[0]).unwrap();
            c.pragma_update(None, "user_version", 1).unwrap();
            c.execute(
                "INSERT INTO items (source, content_hash, title, text, published, first_seen, updated)
                 VALUES ('a', 'h', 'Отопление дадут 5 октября', ?1, ?2, ?2, ?2)",
                rusqlite::params![TEXT, now],
            )
            .unwrap();
        }
        let mut conn = open(&path).unwrap();
        let bands: i64 = conn
            .query_row("SELECT count(*) FROM item_bands", [], |r| r.get(0))
            .unwrap();
        assert_eq!(bands, 16);
        let copy = crate::model::Item {
            guid: Some("b1".into()),
            link: Some("https://b.test/1".into()),
            title: "Тепло дадут пятого октября".into(),
            summary: None,
            content: None,
            text: TEXT.replace("5 октября", "пятого октября"),
            author: None,
            image: None,
            published: chrono::Utc::now(),
            date_from_first_seen: false,
        };
        let counts = save_fetch(
            &mut conn,
            "b",
            &[(copy, vec![])],
            &FetchState::default(),
            chrono::Utc::now(),
        )
        .unwrap();
        assert_eq!(counts.merged, 1);
    }
}
