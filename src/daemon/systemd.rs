//! What the daemon tells systemd: ready, reloading, stopping, a status line, and the
//! watchdog's pings; each a no-op when systemd did not start it.

use crate::config::Config;

/// systemd's watchdog, fed from the scheduler loop at half its interval; without
/// `WATCHDOG_USEC` it does nothing.
pub(super) struct Watchdog {
    every: Option<std::time::Duration>,
    next: tokio::time::Instant,
}

impl Watchdog {
    pub(super) fn new(interval: Option<std::time::Duration>) -> Watchdog {
        Watchdog {
            every: interval.map(|i| i / 2),
            next: tokio::time::Instant::now(),
        }
    }

    pub(super) fn feed(&mut self) {
        let Some(every) = self.every else { return };
        let now = tokio::time::Instant::now();
        if now >= self.next {
            notify(&[sd_notify::NotifyState::Watchdog]);
            self.next = now + every;
        }
    }

    /// How long the loop may sleep before the next ping is due.
    pub(super) fn until_next(&self) -> std::time::Duration {
        match self.every {
            Some(_) => self
                .next
                .saturating_duration_since(tokio::time::Instant::now()),
            None => std::time::Duration::MAX,
        }
    }
}

/// Tells systemd (when it started us with `NOTIFY_SOCKET`); elsewhere a no-op.
pub(super) fn notify(states: &[sd_notify::NotifyState]) {
    if let Err(e) = sd_notify::notify(states) {
        tracing::warn!("cannot notify systemd: {e}");
    }
}

pub(super) fn notify_status(cfg: &Config) {
    let status = format!(
        "serving {} and {} from {}",
        crate::text::counted(cfg.feeds.len(), "feed", "feeds"),
        crate::text::counted(cfg.topics.len(), "topic", "topics"),
        crate::text::counted(
            cfg.sources.iter().filter(|s| s.enabled).count(),
            "source",
            "sources"
        )
    );
    notify(&[sd_notify::NotifyState::Status(&status)]);
}
