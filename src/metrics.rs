//! Counters for `/metrics`, in the Prometheus text format.
//!
//! A handful of atomics and one render function: the metrics crates bring exporters, registries
//! and (by default) a TLS stack for pushing, none of which a pull endpoint needs.

use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::model::{Gauges, Outcome};
use crate::sync::Recover;

#[derive(Default)]
pub struct Metrics {
    saved: AtomicU64,
    not_modified: AtomicU64,
    skipped: AtomicU64,
    failed: AtomicU64,
    items_new: AtomicU64,
    items_updated: AtomicU64,
    items_merged: AtomicU64,
    items_skipped: AtomicU64,
    items_shortened: AtomicU64,
    responses_200: AtomicU64,
    responses_304: AtomicU64,
    renders: AtomicU64,
    mail_sent: AtomicU64,
    mail_failed: AtomicU64,
    editions: AtomicU64,
    /// Alert targets by name (`ALERT/webhook`, `ALERT/telegram`).
    targets: std::sync::Mutex<std::collections::BTreeMap<String, Target>>,
}

/// One alert target's deliveries.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Target {
    pub sent: u64,
    /// Attempts that failed (each retry counts).
    pub failed: u64,
    /// Alerts given up on after every retry, or left out because its queue was full.
    pub lost: u64,
    /// Failed attempts since the last success.
    pub streak: u64,
    pub last_error: Option<String>,
}

fn add(c: &AtomicU64, n: u64) {
    c.fetch_add(n, Ordering::Relaxed);
}

impl Metrics {
    pub fn fetched(&self, outcome: &Outcome) {
        match outcome {
            Outcome::Saved(c, skips) => {
                add(&self.saved, 1);
                add(&self.items_skipped, skips.count as u64);
                add(&self.items_shortened, skips.shortened as u64);
                add(&self.items_new, u64::from(c.new));
                add(&self.items_updated, u64::from(c.updated));
                add(&self.items_merged, u64::from(c.merged));
            }
            Outcome::NotModified => add(&self.not_modified, 1),
            Outcome::Skipped(_) => add(&self.skipped, 1),
            Outcome::Failed(_) => add(&self.failed, 1),
        }
    }

    pub fn served(&self, not_modified: bool) {
        add(
            if not_modified {
                &self.responses_304
            } else {
                &self.responses_200
            },
            1,
        );
    }

    pub fn rendered(&self) {
        add(&self.renders, 1);
    }

    /// A digest's edition mailed (`true`) or an attempt that failed.
    pub fn mailed(&self, ok: bool) {
        add(
            if ok {
                &self.mail_sent
            } else {
                &self.mail_failed
            },
            1,
        );
    }

    /// An alert target's attempt: `Ok` delivered, `Err` failed (it may be retried).
    pub fn target(&self, name: &str, outcome: Result<(), String>) {
        let mut t = self.targets.lock_or_recover();
        let t = t.entry(name.to_string()).or_default();
        match outcome {
            Ok(()) => {
                t.sent += 1;
                t.streak = 0;
            }
            Err(e) => {
                t.failed += 1;
                t.streak += 1;
                t.last_error = Some(e);
            }
        }
    }

    /// An alert that will not reach `name`: retries spent, or its queue full.
    pub fn target_lost(&self, name: &str, why: &str) {
        let mut t = self.targets.lock_or_recover();
        let t = t.entry(name.to_string()).or_default();
        t.lost += 1;
        t.last_error = Some(why.to_string());
    }

    /// Every alert target that has been used, by name.
    pub fn targets(&self) -> Vec<(String, Target)> {
        let t = self.targets.lock_or_recover();
        t.iter().map(|(k, v)| (k.clone(), v.clone())).collect()
    }

    pub fn edition_made(&self) {
        add(&self.editions, 1);
    }

    pub fn render(&self, g: Gauges) -> String {
        let v = |c: &AtomicU64| c.load(Ordering::Relaxed);
        let mut out = String::new();
        let mut family = |name: &str, kind: &str, help: &str, rows: &[(&str, u64)]| {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
            for (labels, value) in rows {
                let _ = writeln!(out, "{name}{labels} {value}");
            }
        };
        family(
            "svodka_fetches_total",
            "counter",
            "Source fetches by outcome.",
            &[
                ("{outcome=\"saved\"}", v(&self.saved)),
                ("{outcome=\"not_modified\"}", v(&self.not_modified)),
                ("{outcome=\"skipped\"}", v(&self.skipped)),
                ("{outcome=\"failed\"}", v(&self.failed)),
            ],
        );
        family(
            "svodka_items_saved_total",
            "counter",
            "Fetched items by what they did to the store.",
            &[
                ("{kind=\"new\"}", v(&self.items_new)),
                ("{kind=\"updated\"}", v(&self.items_updated)),
                ("{kind=\"merged\"}", v(&self.items_merged)),
            ],
        );
        family(
            "svodka_items_skipped_total",
            "counter",
            "Entries of fetched feeds that could not be read or used.",
            &[("", v(&self.items_skipped))],
        );
        family(
            "svodka_items_shortened_total",
            "counter",
            "Fetched items stored with a field cut to its size limit.",
            &[("", v(&self.items_shortened))],
        );
        family(
            "svodka_feed_responses_total",
            "counter",
            "Feed responses by status.",
            &[
                ("{status=\"200\"}", v(&self.responses_200)),
                ("{status=\"304\"}", v(&self.responses_304)),
            ],
        );
        family(
            "svodka_feed_renders_total",
            "counter",
            "Feeds rendered (once per change).",
            &[("", v(&self.renders))],
        );
        family(
            "svodka_digest_editions_total",
            "counter",
            "Digest editions made.",
            &[("", v(&self.editions))],
        );
        family(
            "svodka_emails_total",
            "counter",
            "Digest emails by outcome (a failed attempt is retried with backoff).",
            &[
                ("{outcome=\"sent\"}", v(&self.mail_sent)),
                ("{outcome=\"failed\"}", v(&self.mail_failed)),
            ],
        );
        let targets = self.targets();
        let label =
            |t: &str, extra: &str| format!("{{target=\"{}\"{extra}}}", t.replace(['"', '\\'], "_"));
        let rows: Vec<(String, u64)> = targets
            .iter()
            .flat_map(|(n, t)| {
                [
                    (label(n, ",outcome=\"sent\""), t.sent),
                    (label(n, ",outcome=\"failed\""), t.failed),
                    (label(n, ",outcome=\"lost\""), t.lost),
                ]
            })
            .collect();
        let rows: Vec<(&str, u64)> = rows.iter().map(|(l, v)| (l.as_str(), *v)).collect();
        family(
            "svodka_alert_deliveries_total",
            "counter",
            "Alert deliveries by target and outcome (failed: attempts; lost: given up).",
            &rows,
        );
        let streaks: Vec<(String, u64)> = targets
            .iter()
            .map(|(n, t)| (label(n, ""), t.streak))
            .collect();
        let streaks: Vec<(&str, u64)> = streaks.iter().map(|(l, v)| (l.as_str(), *v)).collect();
        family(
            "svodka_alert_target_failing",
            "gauge",
            "Failed attempts in a row per alert target (0: its last delivery succeeded).",
            &streaks,
        );
        family(
            "svodka_sources",
            "gauge",
            "Sources known to the database, by health.",
            &[
                ("{state=\"ok\"}", g.sources_ok),
                ("{state=\"failing\"}", g.sources_failing),
                ("{state=\"gone\"}", g.sources_gone),
                ("{state=\"never_fetched\"}", g.sources_never),
            ],
        );
        family("svodka_items", "gauge", "Items stored.", &[("", g.items)]);
        family(
            "svodka_stories",
            "gauge",
            "Stories stored (items grouped across agencies).",
            &[("", g.stories)],
        );
        family(
            "svodka_rendered_feeds",
            "gauge",
            "Rendered feeds held in memory (feed or topic × format).",
            &[("", g.rendered)],
        );
        let version = format!("{{version=\"{}\"}}", env!("CARGO_PKG_VERSION"));
        family(
            "svodka_build_info",
            "gauge",
            "The running version.",
            &[(&version, 1)],
        );
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Counts;

    #[test]
    fn counters_and_gauges_in_text_format() {
        let m = Metrics::default();
        m.fetched(&Outcome::Saved(
            Counts {
                new: 3,
                updated: 1,
                unchanged: 5,
                merged: 2,
            },
            crate::cycle::Skips {
                count: 2,
                first: Some("item 4: cut off".into()),
                shortened: 1,
            },
        ));
        m.fetched(&Outcome::Failed("HTTP 500".into()));
        m.served(true);
        let text = m.render(Gauges {
            sources_ok: 1,
            sources_failing: 1,
            items: 4,
            stories: 3,
            ..Gauges::default()
        });
        for line in [
            "# TYPE svodka_fetches_total counter",
            "svodka_fetches_total{outcome=\"saved\"} 1",
            "svodka_fetches_total{outcome=\"failed\"} 1",
            "svodka_items_saved_total{kind=\"new\"} 3",
            "svodka_items_saved_total{kind=\"merged\"} 2",
            "svodka_items_skipped_total 2",
            "svodka_items_shortened_total 1",
            "svodka_feed_responses_total{status=\"304\"} 1",
            "svodka_sources{state=\"failing\"} 1",
            "svodka_items 4",
            "svodka_stories 3",
        ] {
            assert!(
                text.lines().any(|l| l == line),
                "{line} missing from\n{text}"
            );
        }
    }
}
