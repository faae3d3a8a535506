//! The cache of costly pages (the bulletin, `/trending.json`), stale-while-revalidate with a
//! single-flight lock: a page that takes seconds to make is made by one task at a time, never
//! by every reader at once, while readers are served the last one made.

use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::negotiate::Page;
use crate::sync::Recover;

/// A page stays fresh for this many times what it took to make, whatever came in meanwhile
/// (each new item is a new data version): the server spends at most a tenth of its time
/// remaking it.
const FRESH_TIMES: u32 = 10;
/// A stale page that took this long or more to make is served while one task remakes it; a
/// cheaper one is remade for the reader who asked, who gets it fresh.
const IN_BACKGROUND_FROM: Duration = Duration::from_millis(100);

/// The last page made and what it was made from, served stale-while-revalidate behind a
/// single-flight lock. A reader with no close page (the first, or after a config change)
/// waits for one.
pub(crate) struct StaleWhileRevalidate<K, T = Page> {
    last: Mutex<Option<Made<K, T>>>,
    /// The single-flight lock: one make at a time.
    flight: Arc<tokio::sync::Mutex<()>>,
}

struct Made<K, T> {
    key: K,
    page: T,
    at: Instant,
    took: Duration,
}

impl<K, T> Default for StaleWhileRevalidate<K, T> {
    fn default() -> Self {
        StaleWhileRevalidate {
            last: Mutex::new(None),
            flight: Arc::default(),
        }
    }
}

impl<K, T> StaleWhileRevalidate<K, T>
where
    K: PartialEq + Clone + Send + Sync + 'static,
    T: Clone + Send + Sync + 'static,
{
    /// The page for `key`: the last one made when it is for `key` or for a key `close` to it
    /// (revalidated in the background once it is stale); else made by `make` now.
    pub(crate) async fn get<E, F>(
        self: &Arc<Self>,
        key: K,
        close: impl Fn(&K, &K) -> bool,
        make: F,
    ) -> Result<T, E>
    where
        F: Future<Output = Result<T, E>> + Send + 'static,
        E: Send + 'static,
    {
        // (the page, whether it is stale, whether it costs enough to revalidate in the background).
        let last = |key: &K| {
            let last = self.last.lock_or_recover();
            last.as_ref().and_then(|m| {
                if m.key == *key {
                    Some((m.page.clone(), false, false))
                } else if close(&m.key, key) {
                    let stale = m.at.elapsed() >= m.took * FRESH_TIMES;
                    Some((m.page.clone(), stale, m.took >= IN_BACKGROUND_FROM))
                } else {
                    None
                }
            })
        };
        match last(&key) {
            Some((page, false, _)) => return Ok(page),
            Some((page, true, true)) => {
                // Revalidated in the background, unless a make is in flight already.
                if let Ok(flight) = self.flight.clone().try_lock_owned() {
                    let this = self.clone();
                    tokio::spawn(async move {
                        let _flight = flight;
                        // A failure keeps the stale page; the next reader tries again.
                        let _ = this.make(key, make).await;
                    });
                }
                return Ok(page);
            }
            Some((_, true, false)) | None => {}
        }
        let _flight = self.flight.lock().await;
        // Made while this reader waited for the lock.
        if let Some((page, false, _)) = last(&key) {
            return Ok(page);
        }
        self.make(key, make).await
    }

    async fn make<E>(&self, key: K, make: impl Future<Output = Result<T, E>>) -> Result<T, E> {
        let started = Instant::now();
        let page = make.await?;
        *self.last.lock_or_recover() = Some(Made {
            key,
            page: page.clone(),
            at: Instant::now(),
            took: started.elapsed(),
        });
        Ok(page)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_costly_page_is_made_once_at_a_time_and_not_for_every_new_item() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        let page: Arc<StaleWhileRevalidate<(u64, u64), String>> = Arc::default();
        let made = Arc::new(AtomicUsize::new(0));
        let make = |label: &'static str, ms: u64| {
            let made = made.clone();
            async move {
                made.fetch_add(1, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(ms)).await;
                Ok::<_, ()>(label.to_string())
            }
        };
        let same_config = |a: &(u64, u64), b: &(u64, u64)| a.1 == b.1;
        // Until the last page made is stale: ten times what it took (as measured, on a busy
        // machine more than the sleep asked for).
        let until_stale = |page: &StaleWhileRevalidate<(u64, u64), String>| {
            let last = page.last.lock_or_recover();
            let took = last.as_ref().map_or(Duration::ZERO, |m| m.took);
            took * FRESH_TIMES + Duration::from_millis(20)
        };
        // (data version, config generation). The first takes 200 ms to make.
        let first = page.get((1, 0), same_config, make("v1", 200)).await;
        assert_eq!(first, Ok("v1".to_string()));
        // New items came in: within ten times what it took, the page made stays.
        let again = page.get((2, 0), same_config, make("v2", 200)).await;
        assert_eq!(again, Ok("v1".to_string()));
        assert_eq!(made.load(Ordering::SeqCst), 1);
        // A new config is never served the old page: this reader waits for its own.
        let reloaded = page.get((2, 1), same_config, make("c1", 10)).await;
        assert_eq!(reloaded, Ok("c1".to_string()));
        // It took 10 ms: 100 ms later it is stale, and new items have it remade for the reader
        // who asked (cheap enough to wait for).
        tokio::time::sleep(until_stale(&page)).await;
        let cheap = page.get((3, 1), same_config, make("v3", 10)).await;
        assert_eq!(cheap, Ok("v3".to_string()));
        assert_eq!(made.load(Ordering::SeqCst), 3);
        // A page that took 150 ms is revalidated in the background: the reader who found it
        // stale and the readers meanwhile get the stale one at once, and none makes another.
        let costly = page.get((4, 2), same_config, make("s1", 150)).await;
        assert_eq!(costly, Ok("s1".to_string()));
        tokio::time::sleep(until_stale(&page)).await;
        let t = Instant::now();
        let stale = page.get((5, 2), same_config, make("s2", 300)).await;
        assert_eq!(stale, Ok("s1".to_string()));
        let meanwhile = page.get((5, 2), same_config, make("never", 0)).await;
        assert_eq!(meanwhile, Ok("s1".to_string()));
        assert!(
            t.elapsed() < Duration::from_millis(250),
            "{:?}",
            t.elapsed()
        );
        tokio::time::sleep(Duration::from_millis(1_000)).await;
        let revalidated = page.get((5, 2), same_config, make("never", 0)).await;
        assert_eq!(revalidated, Ok("s2".to_string()));
        assert_eq!(made.load(Ordering::SeqCst), 5);
        // A page that failed to be made is not kept.
        let failed = page.get((6, 3), same_config, async { Err(()) }).await;
        assert_eq!(failed, Err(()));
        let next = page.get((6, 3), same_config, make("c2", 0)).await;
        assert_eq!(next, Ok("c2".to_string()));
    }

    #[tokio::test]
    async fn readers_arriving_together_get_one_page_made_once() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        let page: Arc<StaleWhileRevalidate<u64, String>> = Arc::default();
        let made = Arc::new(AtomicUsize::new(0));
        let make = || {
            let made = made.clone();
            async move {
                let n = made.fetch_add(1, Ordering::SeqCst) + 1;
                tokio::time::sleep(Duration::from_millis(50)).await;
                Ok::<_, ()>(format!("page {n}"))
            }
        };
        let same = |a: &u64, b: &u64| a == b;
        let (a, b, c) = tokio::join!(
            page.get(1, same, make()),
            page.get(1, same, make()),
            page.get(1, same, make()),
        );
        assert_eq!(made.load(Ordering::SeqCst), 1);
        for got in [a, b, c] {
            assert_eq!(got, Ok("page 1".to_string()));
        }
    }
}
