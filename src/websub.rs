//! WebSub publishing: after a change, the hub named by `[server] websub_hub` is told which
//! feeds changed (`hub.mode=publish`, `hub.url=FEED`), so subscribers get them at once.
//!
//! Pings go through a bounded queue to one background task: ingest only enqueues (never
//! waits), a hub that is down costs retries in that task and nothing else, and a full queue
//! sheds the ping with a warning instead of applying back-pressure to ingest (the next change
//! pings again).

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use url::Url;

use crate::fetch::Poster;

/// Pings waiting at most; a burst of changes past this is dropped, not queued without end.
const QUEUE: usize = 1024;
/// Tries per ping, and the wait before the second (doubled after each failure).
const ATTEMPTS: u32 = 5;
const FIRST_RETRY: Duration = Duration::from_secs(1);
/// One POST's whole time.
const TIMEOUT: Duration = Duration::from_secs(10);

struct Ping {
    hub: Url,
    feed: String,
}

/// The handle ingest holds: cheap to clone, never blocks.
#[derive(Clone)]
pub struct Pinger {
    tx: mpsc::Sender<Ping>,
}

impl Pinger {
    /// Starts the background task; it ends when `shutdown` is cancelled.
    pub fn start(user_agent: &str, shutdown: CancellationToken) -> anyhow::Result<Pinger> {
        let poster = Poster::new(user_agent, TIMEOUT)?;
        let (tx, rx) = mpsc::channel(QUEUE);
        tokio::spawn(work(poster, rx, shutdown));
        Ok(Pinger { tx })
    }

    /// Queues one ping per feed URL; returns at once.
    pub fn publish(&self, hub: &Url, feeds: impl IntoIterator<Item = String>) {
        for feed in feeds {
            let ping = Ping {
                hub: hub.clone(),
                feed,
            };
            if let Err(e) = self.tx.try_send(ping) {
                let feed = match e {
                    mpsc::error::TrySendError::Full(p) | mpsc::error::TrySendError::Closed(p) => {
                        p.feed
                    }
                };
                tracing::warn!("WebSub: the ping queue is full; not pinging for {feed}");
            }
        }
    }
}

/// Sends the queued pings, a few at once, each retried with backoff on its own.
async fn work(poster: Poster, mut rx: mpsc::Receiver<Ping>, shutdown: CancellationToken) {
    let poster = std::sync::Arc::new(poster);
    // At most this many pings (and their retries) at once: bounded, and a slow hub does not
    // hold back the pings behind one that waits for its retry.
    let permits = std::sync::Arc::new(tokio::sync::Semaphore::new(4));
    loop {
        let ping = tokio::select! {
            () = shutdown.cancelled() => return,
            p = rx.recv() => match p { Some(p) => p, None => return },
        };
        let Ok(permit) = permits.clone().acquire_owned().await else {
            return;
        };
        let (poster, shutdown) = (poster.clone(), shutdown.clone());
        tokio::spawn(async move {
            let _permit = permit;
            tokio::select! {
                () = shutdown.cancelled() => {}
                () = send(&poster, &ping) => {}
            }
        });
    }
}

async fn send(poster: &Poster, ping: &Ping) {
    let mut wait = FIRST_RETRY;
    for attempt in 1..=ATTEMPTS {
        match poster
            .post_form(
                &ping.hub,
                &[("hub.mode", "publish"), ("hub.url", ping.feed.as_str())],
            )
            .await
        {
            Ok(_) => {
                tracing::debug!("WebSub: pinged {} for {}", ping.hub, ping.feed);
                return;
            }
            Err(e) if attempt < ATTEMPTS => {
                tracing::debug!(
                    "WebSub: {} for {}: {e}; again in {wait:?}",
                    ping.hub,
                    ping.feed
                );
                tokio::time::sleep(wait).await;
                wait *= 2;
            }
            Err(e) => tracing::warn!(
                "WebSub: gave up pinging {} for {} after {ATTEMPTS} tries: {e}",
                ping.hub,
                ping.feed
            ),
        }
    }
}

/// The feeds whose bytes differ between two renderings (URL → hash of the bytes): those to
/// ping for. A feed that appeared counts as changed; one that went away does not.
pub fn changed(before: &BTreeMap<String, u64>, after: &BTreeMap<String, u64>) -> BTreeSet<String> {
    after
        .iter()
        .filter(|(url, hash)| before.get(*url) != Some(*hash))
        .map(|(url, _)| url.clone())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_feeds_whose_bytes_moved_are_pinged() {
        let map = |pairs: &[(&str, u64)]| -> BTreeMap<String, u64> {
            pairs.iter().map(|(u, h)| (u.to_string(), *h)).collect()
        };
        let before = map(&[
            ("/feeds/all.rss", 1),
            ("/feeds/sport.rss", 2),
            ("/old.rss", 3),
        ]);
        let after = map(&[
            ("/feeds/all.rss", 9),
            ("/feeds/sport.rss", 2),
            ("/topics/new.rss", 4),
        ]);
        let got: Vec<String> = changed(&before, &after).into_iter().collect();
        assert_eq!(got, ["/feeds/all.rss", "/topics/new.rss"]);
    }
}
