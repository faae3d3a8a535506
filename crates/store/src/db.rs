//! `Db`, the shared handle: the writer connection and the story engine beside it, a read-only
//! connection for pages and feeds, one for searches, the WAL's checkpointer, and the versions
//! that tell rendered feeds when they are stale. One `Arc` over all of it.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicI64, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use anyhow::{Context, Result};
use rusqlite::Connection;
use svodka_core::archive::StoreError;

use svodka_core::stories::{Engine, Touched, Work};
use svodka_core::sync::Recover;

use crate::background::{self, Pool};
use crate::{DEFAULT_BUDGET, DEFAULT_WINDOW, Sqlite, load_engine, open};

/// WAL size after which a checkpoint runs beside the writer: 8,192 pages. SQLite's default is
/// 1,000; a checkpoint copies each page once however often it was written since the last.
const CHECKPOINT_BYTES: u64 = 32 << 20;

/// A shared handle: a writer connection, the story engine that goes with it, a read-only
/// connection for the server (WAL lets it read while a fetch writes), and a counter that moves
/// whenever stored items change, so rendered feeds know when they are stale.
#[derive(Clone)]
pub struct Db(Arc<Inner>);

struct Inner {
    conn: Mutex<Sqlite>,
    engine: EngineCell,
    reader: Mutex<Sqlite>,
    /// A read-only connection of the searches' own, opened on first use: a search that runs
    /// to its time limit holds it, not the connection every page and feed reads through.
    searcher: Mutex<Option<Sqlite>>,
    path: PathBuf,
    checkpointer: Checkpointer,
    versions: Versions,
}

/// The story engine's lifecycle: built from the window on the first write, dropped when a
/// write fails (it may then hold reports that were rolled back) and built again, and the
/// budget's cut logged at most once an hour.
struct EngineCell {
    engine: Mutex<Option<Engine>>,
    /// The story window in seconds (`[stories] window_hours`).
    window: AtomicI64,
    /// What the engine may hold, in bytes (`[stories] memory_mb`).
    budget: AtomicUsize,
    /// When the log last said the budget cut the window (Unix seconds).
    budget_said: AtomicI64,
}

impl EngineCell {
    fn new() -> EngineCell {
        EngineCell {
            engine: Mutex::new(None),
            window: AtomicI64::new(DEFAULT_WINDOW),
            budget: AtomicUsize::new(DEFAULT_BUDGET),
            budget_said: AtomicI64::new(i64::MIN),
        }
    }

    fn work(&self) -> Option<Work> {
        self.engine.lock_or_recover().as_ref().map(Engine::work)
    }

    fn set_limits(&self, window_secs: i64, budget_bytes: usize) {
        self.window.store(window_secs, Ordering::Release);
        self.budget.store(budget_bytes, Ordering::Release);
    }

    /// Runs `f` with the engine, built for the current window if it is not; keeps it only
    /// when `f` succeeds. The caller holds the writer connection.
    fn run<T>(
        &self,
        conn: &mut Sqlite,
        f: impl FnOnce(&mut Sqlite, &mut Engine) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let mut engine = self.engine.lock_or_recover();
        let window = self.window.load(Ordering::Acquire);
        let budget = self.budget.load(Ordering::Acquire);
        let now = chrono::Utc::now().timestamp();
        let mut e = match engine.take() {
            Some(e) if e.window() == window => e,
            _ => load_engine(conn, window, budget, now)?,
        };
        if e.budget() != budget {
            e.set_budget(budget);
        }
        let result = f(conn, &mut e);
        if let Some(held) = e.take_budget_cut() {
            self.say_cut(&e, held, window, budget, now);
        }
        if result.is_ok() {
            *engine = Some(e);
        }
        result
    }

    /// Once an hour at most: under a steady flow the budget cuts on every fetch.
    fn say_cut(&self, e: &Engine, held: i64, window: i64, budget: usize, now: i64) {
        let said = self.budget_said.load(Ordering::Relaxed);
        if now.saturating_sub(said) < 3600 {
            return;
        }
        self.budget_said.store(now, Ordering::Relaxed);
        tracing::warn!(
            window_hours = window / 3600,
            memory_mb = budget >> 20,
            "the story engine is at [stories] memory_mb: it holds {} reports, first seen \
             in the last {:.1} hours, not the whole window; raise memory_mb to group \
             stories further apart",
            e.len(),
            held as f64 / 3600.0
        );
    }
}

/// Copies the WAL into the database beside the writer, with a connection of its own opened
/// on first use (see [`Db::checkpoint_soon`]).
struct Checkpointer {
    db: PathBuf,
    wal: PathBuf,
    conn: Mutex<Option<Connection>>,
}

impl Checkpointer {
    fn new(path: &Path) -> Checkpointer {
        Checkpointer {
            db: path.to_path_buf(),
            wal: wal_path(path),
            conn: Mutex::new(None),
        }
    }

    fn due(&self) -> bool {
        std::fs::metadata(&self.wal).is_ok_and(|m| m.len() >= CHECKPOINT_BYTES)
    }

    /// A passive checkpoint: it never blocks the writer or readers.
    fn run(&self) {
        // One checkpoint at a time; one already running copies these pages too.
        let Ok(mut conn) = self.conn.try_lock() else {
            return;
        };
        if conn.is_none() {
            match Connection::open(&self.db).and_then(|c| {
                c.busy_timeout(std::time::Duration::from_secs(10))?;
                Ok(c)
            }) {
                Ok(c) => *conn = Some(c),
                Err(e) => {
                    tracing::warn!("cannot open the database to checkpoint it: {e}");
                    return;
                }
            }
        }
        if let Some(c) = conn.as_ref()
            && let Err(e) = c.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()))
        {
            // The writer's own checkpoints still bound the WAL.
            tracing::warn!("cannot checkpoint the database: {e}");
        }
    }
}

/// The WAL file of the database at `path`.
pub(crate) fn wal_path(path: &Path) -> PathBuf {
    let mut p = path.as_os_str().to_owned();
    p.push("-wal");
    p.into()
}

/// Where the data moved: the version of the last change that touched every feed, and per
/// source the version of the last change that touched its feeds. A feed of some sources is
/// stale only when one of them moved, not whenever any item anywhere arrived.
struct Versions {
    version: AtomicU64,
    changes: Mutex<Changes>,
}

#[derive(Default)]
struct Changes {
    floor: u64,
    by_source: HashMap<String, u64>,
}

/// A read-only connection to the database at `path`.
fn open_read_only(path: &Path) -> rusqlite::Result<Connection> {
    let c = Connection::open_with_flags(
        path,
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    c.busy_timeout(std::time::Duration::from_secs(10))?;
    Ok(c)
}

impl Db {
    /// Opens the database (creating and migrating it) with its two connections.
    pub fn open(path: &Path) -> Result<Db> {
        let conn = open(path)?;
        let reader = open_read_only(path)
            .with_context(|| format!("cannot open the database {} for reading", path.display()))?;
        Ok(Db(Arc::new(Inner {
            conn: Mutex::new(conn),
            engine: EngineCell::new(),
            reader: Mutex::new(Sqlite::new(reader)),
            searcher: Mutex::new(None),
            path: path.to_path_buf(),
            checkpointer: Checkpointer::new(path),
            versions: Versions {
                version: AtomicU64::new(1),
                changes: Mutex::new(Changes {
                    floor: 1,
                    by_source: HashMap::new(),
                }),
            },
        })))
    }

    /// Runs `f` on the writer connection, on the calling thread.
    pub fn with<R>(&self, f: impl FnOnce(&mut Sqlite) -> R) -> R {
        // A panic while holding the lock cannot leave a half-done transaction behind (rusqlite
        // rolls back on drop), so a poisoned lock is still a usable connection.
        let mut guard = self.0.conn.lock_or_recover();
        f(&mut guard)
    }

    /// What the story engine's decisions looked at since it was built (none before the first
    /// write): for diagnostics.
    pub fn engine_work(&self) -> Option<Work> {
        self.0.engine.work()
    }

    /// Sets the story window (the engine is rebuilt for it on the next write) and what the
    /// engine may hold in bytes (it forgets its first-seen reports down to it on the next write).
    pub fn set_story_limits(&self, window_secs: i64, budget_bytes: usize) {
        self.0.engine.set_limits(window_secs, budget_bytes);
    }

    /// Runs `f` on the writer connection and the story engine, on the calling thread. When `f`
    /// fails, the engine is dropped (it may hold what was rolled back) and rebuilt next time.
    pub fn with_engine<T>(
        &self,
        f: impl FnOnce(&mut Sqlite, &mut Engine) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let mut conn = self.0.conn.lock_or_recover();
        self.0.engine.run(&mut conn, f)
    }

    /// Once the WAL passes `CHECKPOINT_BYTES`, copies it into the database on a parse thread: a
    /// checkpoint beside the writer takes its copying and syncing off the writer's core.
    fn checkpoint_soon(&self) {
        if !self.0.checkpointer.due() {
            return;
        }
        let db = self.clone();
        drop(background::spawn(Pool::Parse, move || {
            db.0.checkpointer.run()
        }));
    }

    /// [`Db::with_engine`] on the blocking pool.
    pub async fn call_engine<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Sqlite, &mut Engine) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<Result<T, StoreError>> {
        let db = self.clone();
        background::spawn(Pool::Write, move || {
            let r = db.with_engine(f);
            db.checkpoint_soon();
            background::trim_memory();
            r
        })
        .await
        .context("database task failed")
    }

    /// Runs `f` on the writer connection on the blocking pool, so the async side never waits
    /// on SQLite.
    pub async fn call<R: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Sqlite) -> R + Send + 'static,
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
        f: impl FnOnce(&mut Sqlite) -> R + Send + 'static,
    ) -> Result<R> {
        let db = self.clone();
        tokio::task::spawn_blocking(move || {
            let mut guard = db.0.reader.lock_or_recover();
            f(&mut guard)
        })
        .await
        .context("database task failed")
    }

    /// Runs `f` on the searches' read-only connection on the blocking pool (see `searcher`):
    /// searches wait for each other, never for the pages or a fetch.
    pub async fn search<R: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Sqlite) -> R + Send + 'static,
    ) -> Result<R> {
        let db = self.clone();
        tokio::task::spawn_blocking(move || -> Result<R> {
            let mut guard = db.0.searcher.lock_or_recover();
            if guard.is_none() {
                let c = open_read_only(&db.0.path)
                    .and_then(|c| crate::search::map_searched(&c).map(|()| c))
                    .with_context(|| {
                        format!("cannot open the database {} to search", db.0.path.display())
                    })?;
                *guard = Some(Sqlite::new(c));
            }
            match guard.as_mut() {
                Some(c) => Ok(f(c)),
                None => anyhow::bail!("cannot open the database to search"),
            }
        })
        .await
        .context("database task failed")?
    }

    pub fn version(&self) -> u64 {
        self.0.versions.version.load(Ordering::Acquire)
    }

    /// The data moved in a way that may touch any feed (retention, retag, another process).
    pub fn bump(&self) {
        let v = &self.0.versions;
        let mut changes = v.changes.lock_or_recover();
        changes.floor = v.version.fetch_add(1, Ordering::AcqRel) + 1;
    }

    /// The data moved for the feeds of these sources only (see [`Engine::take_touched`]).
    pub fn bump_touched(&self, touched: &Touched) {
        match touched {
            Touched::All => self.bump(),
            Touched::Sources(names) => {
                let v = &self.0.versions;
                let mut changes = v.changes.lock_or_recover();
                let at = v.version.fetch_add(1, Ordering::AcqRel) + 1;
                for n in names {
                    match changes.by_source.get_mut(n) {
                        Some(seen) => *seen = at,
                        None => {
                            changes.by_source.insert(n.clone(), at);
                        }
                    }
                }
            }
        }
    }

    /// The version a feed of these sources was last touched at (`None`: of every source, so
    /// any change).
    pub fn version_of(&self, sources: Option<&[String]>) -> u64 {
        let Some(sources) = sources else {
            return self.version();
        };
        let changes = self.0.versions.changes.lock_or_recover();
        sources
            .iter()
            .filter_map(|s| changes.by_source.get(s))
            .fold(changes.floor, |a, b| a.max(*b))
    }
}
