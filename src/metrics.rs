//! Counters for `/metrics`, in the Prometheus text format.
//!
//! A handful of atomics and one render function: the metrics crates bring exporters, registries
//! and (by default) a TLS stack for pushing, none of which a pull endpoint needs.

use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::cycle::Outcome;

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
}

/// What the database says at scrape time.
#[derive(Debug, Default, Clone, Copy)]
pub struct Gauges {
    pub sources_ok: u64,
    pub sources_failing: u64,
    pub sources_gone: u64,
    pub sources_never: u64,
    pub items: u64,
    pub stories: u64,
    /// Renderings held in memory (feed × format); bounded by the configured feeds.
    pub rendered: u64,
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
    use crate::store::Counts;

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
