//! svodka: a regional news wire. This crate is the shell: what does I/O and runs over time. The
//! values and the decisions over them are `svodka-core`'s, SQLite is `svodka-store`'s; both are
//! re-exported here under their module names (`svodka::config`, `svodka::store`, …).
//!
//! - [`fetch`]: conditional GET within limits (the only module that knows the HTTP client).
//! - [`cycle`]: one source's fetch → parse → tag → store; [`ingest`]: the runner of many at
//!   once, for `svodka fetch` and the daemon; [`retag`]: topics applied to stored reports.
//! - [`daemon`]: the scheduler, reload, upkeep beside the fetches, signals, systemd.
//! - [`server`]: HTTP routes and the connections under them (the only module that builds HTTP
//!   responses); [`metrics`]: counters; [`export`]: the site as files; [`websub`]: pings.
//! - [`digest`]: editions made on time, mailed, and alerts.
//! - [`demo`]: the bundled sample agencies; [`cli`]: what each command does (`main.rs` only
//!   parses arguments).

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
    archive, config, dedup, identity, model, morph, pages, parse, publish, query, redirects,
    schedule, search, stories, storyline, sync, text, topics, trending, writer,
};
pub use svodka_store as store;
pub use svodka_store::background;
