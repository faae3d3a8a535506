//! The threads that do the pipeline's heavy work, apart from the runtime that answers readers:
//! parsing (decoding, repair, parse, boilerplate, fingerprints, topics) on as many threads as
//! cores, and the single writer (the story engine and SQLite) on one. Both run at a lower
//! priority than the server (`nice`), the writer above parsing: a cold cycle's CPU then goes to
//! readers first, to the writer (the stage every fetch waits for) second, and to parsing with
//! what is left. With parsing on the shared blocking pool at the writer's priority, the writer
//! was off its core a third of the time it held the write lock; with the writer beside the
//! runtime's workers at the same priority, readers' p99 during a cold cycle was several times
//! the target. (Nice weights: the server's 1024 against the writer's 423 and parsing's 137;
//! with nobody reading, the writer and parsing share the CPU as before.)

use std::sync::OnceLock;

use tokio::runtime::Runtime;
use tokio::task::JoinHandle;

/// Which threads.
#[derive(Debug, Clone, Copy)]
pub enum Pool {
    /// As many as cores, `nice` +9.
    Parse,
    /// One at a time (there is one writer connection), `nice` +4.
    Write,
}

/// Runs `f` on `pool`'s threads (on the shared blocking pool if that pool could not start).
pub fn spawn<R: Send + 'static>(
    pool: Pool,
    f: impl FnOnce() -> R + Send + 'static,
) -> JoinHandle<R> {
    static PARSE: OnceLock<Option<Runtime>> = OnceLock::new();
    static WRITE: OnceLock<Option<Runtime>> = OnceLock::new();
    let rt = match pool {
        Pool::Parse => PARSE.get_or_init(|| {
            let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
            build("svodka-parse", cores, 9)
        }),
        // Two threads: a writer call and a short one (a fetch state) may wait on the lock
        // together without a thread of their own to wait on.
        Pool::Write => WRITE.get_or_init(|| build("svodka-write", 2, 4)),
    };
    match rt {
        Some(rt) => rt.spawn_blocking(f),
        None => tokio::task::spawn_blocking(f),
    }
}

fn build(name: &'static str, threads: usize, nice: i32) -> Option<Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .max_blocking_threads(threads)
        .thread_name(name)
        .on_thread_start(move || {
            // On Linux the nice value is per thread; raising it needs no privilege. A failure
            // leaves the thread at the usual priority, which is only slower.
            // SAFETY: setpriority on the calling thread (who = 0) with a plain integer.
            unsafe {
                libc::setpriority(libc::PRIO_PROCESS, 0, nice);
            }
        })
        .build()
        .map_err(|e| tracing::warn!("{name} on the shared threads: {e}"))
        .ok()
}
