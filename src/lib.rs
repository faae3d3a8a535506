//! svodka: a regional news wire. Crate map, in the order data flows:
//!
//! - [`config`]: TOML → validated, typed `Config`.
//! - [`schedule`]: cron schedules (crontab semantics), jitter, backoff.
//! - [`fetch`]: conditional GET within limits (the only module that knows the HTTP client);
//!   [`redirects`]: where a redirect may lead.
//! - [`parse`]: bytes → UTF-8 → feed-rs → normalized [`model::Item`]s (pure).
//! - [`text`]: words, folding, stems (shared by dedup, topics, trending); [`morph`]: the
//!   Russian dictionary (lemmas).
//! - [`dedup`]: identity keys (source+guid, canonical link, content hash).
//! - [`stories`]: the story engine: copies and stories, learned boilerplate (pure).
//! - [`topics`]: keyword matching on lemmas; [`trending`]: headline topics of a period;
//!   [`storyline`]: the names of a report, and which stories of one affair are related.
//! - [`search`]: full-text search on lemmas: index terms, queries, snippets.
//! - [`store`]: SQLite (the only module that knows SQL).
//! - [`cycle`]: one source's fetch → parse → tag → store; [`ingest`]: the runner of many at
//!   once, for `svodka fetch` and the daemon; [`retag`]: topics applied to stored reports.
//! - [`publish`]: selecting items for a feed and rendering RSS.
//! - [`server`]: HTTP routes (the only module that knows HTTP responses); [`metrics`] counters.
//! - [`digest`]: the сводка: scheduled editions of the period's biggest stories, mailed.
//! - [`daemon`]: scheduler + server + signals.
//! - [`demo`]: the bundled sample agencies.
//! - [`cli`]: what each command does; `main.rs` only parses arguments.

pub mod cli;
pub mod cycle;
pub mod daemon;
pub mod demo;
pub mod digest;
pub mod export;
pub mod fetch;
pub mod ingest;
pub mod metrics;
pub mod retag;
pub mod server;
pub mod websub;

pub use svodka_core::{
    archive, config, dedup, model, morph, pages, parse, publish, redirects, schedule, search,
    stories, storyline, sync, text, topics, trending,
};
pub use svodka_store as store;
pub use svodka_store::background;
