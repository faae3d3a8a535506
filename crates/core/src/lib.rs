//! svodka's core: the values the wire is made of and the decisions over them, with no I/O
//! runtime and no SQL (the workspace's manifests keep tokio, reqwest and rusqlite out).
//!
//! - [`model`]: a parsed report, a published entry, grouping; [`config`]: TOML → `Config`;
//!   [`schedule`]: cron schedules, jitter, backoff.
//! - [`parse`]: bytes → UTF-8 → feed-rs → normalized reports; [`redirects`]: where a URL may
//!   lead, and its credentials.
//! - [`text`]: words, folding, stems; [`morph`]: the Russian dictionary's lemmas.
//! - [`dedup`]: identity keys; [`identity`]: which stored report an incoming one is;
//!   [`stories`]: the story engine; [`storyline`]: related stories.
//! - [`topics`]: keyword topics on lemmas; [`trending`]: a period's headline topics.
//! - [`query`]: the search language, a report's index terms, snippets; [`search`]: a query run
//!   over an [`archive`] (what the read side asks of a store); [`writer`]: what the write side
//!   asks.
//! - [`publish`], [`pages`], [`digest`]: feeds, HTML pages and editions rendered from values.

pub mod archive;
pub mod config;
pub mod dedup;
pub mod digest;
pub mod identity;
pub mod model;
pub mod morph;
pub mod pages;
pub mod parse;
pub mod publish;
pub mod query;
pub mod redirects;
pub mod schedule;
pub mod search;
pub mod stories;
pub mod storyline;
pub mod sync;
pub mod text;
pub mod topics;
pub mod trending;
pub mod writer;
