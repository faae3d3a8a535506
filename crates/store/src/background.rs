//! The threads that do the pipeline's heavy work, apart from the runtime that answers readers:
//! parsing (decoding, repair, parse, boilerplate, fingerprints, topics) on as many threads as
//! cores, and the single writer (the story engine and SQLite) on one. Both run at a lower
//! priority than the server (`nice`), the writer above parsing: under load the CPU goes to
//! readers first, to the writer (the stage every fetch waits for) second, and to parsing with
//! what is left. Parsing at the writer's priority would take the writer off its core while it
//! holds the write lock, and a writer at the server's priority would cost readers their tail
//! latency. With nobody reading, the writer and parsing share the CPU.

use std::sync::OnceLock;

use tokio::runtime::Runtime;
use tokio::task::JoinHandle;

/// Which threads.
#[derive(Debug, Clone, Copy)]
pub enum Pool {
    /// As many as cores, `nice` +15.
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
            build("svodka-parse", cores, 15)
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

/// Hands the allocator's free pages back to the kernel, at most every few seconds. The story
/// engine forgets reports as fast as it takes new ones in, and glibc keeps the pages those
/// leave free inside its heaps, scattered
/// between live allocations, where they count as the process's memory until something else
/// reuses them. `malloc_trim` returns every whole free page (`MADV_DONTNEED`), not only the top
/// of the heap. It locks each heap while it walks it, so it runs rarely, and on a parse thread:
/// the writer, who calls this after a write, is the stage every fetch waits for.
pub fn trim_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        use std::sync::atomic::{AtomicU64, Ordering};
        static LAST: AtomicU64 = AtomicU64::new(0);
        const EVERY_MS: u64 = 2_000;
        static START: OnceLock<std::time::Instant> = OnceLock::new();
        let now = START
            .get_or_init(std::time::Instant::now)
            .elapsed()
            .as_millis() as u64;
        let last = LAST.load(Ordering::Relaxed);
        if now.saturating_sub(last) < EVERY_MS
            || LAST
                .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
                .is_err()
        {
            return;
        }
        drop(spawn(Pool::Parse, || {
            // SAFETY: malloc_trim takes a plain integer and touches only the allocator's state.
            unsafe {
                libc::malloc_trim(0);
            }
        }));
    }
}
