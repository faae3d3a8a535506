//! The TOML configuration: raw serde structs, validated into typed values, one module a
//! section.
//!
//! `Config::parse` is pure (text in, `Config` out) so it is unit-tested without files;
//! `Config::load` only adds reading the file and resolving relative paths against its folder.
//! Each section's defaults are constants beside its raw struct, written once.

pub mod digest;
mod feeds;
mod fetch;
mod search;
mod server;
mod sources;
mod storage;
mod stories;
#[cfg(test)]
mod tests;
mod topics;

use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use url::Url;

use self::digest::{Delivery, Digest, RawAlert, RawDigest, RawSmtp};
use crate::schedule::Schedule;

pub(crate) use self::feeds::check_names;
pub use self::feeds::{DEFAULT_FEED_LIMIT, Feed};
pub use self::fetch::Fetch;
pub use self::search::Search;
pub use self::server::{DEFAULT_LISTEN, Publish, Server};
pub use self::sources::Source;
pub use self::storage::Storage;
pub use self::stories::{DEFAULT_MEMORY_MB, DEFAULT_WINDOW_HOURS, Stories};
pub use self::topics::{Topic, TopicScope};

/// A config that was refused: which file, which key, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    pub file: PathBuf,
    pub key: String,
    pub reason: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.key.is_empty() {
            write!(f, "{}: {}", self.file.display(), self.reason)
        } else {
            write!(
                f,
                "{}: `{}`: {}",
                self.file.display(),
                self.key,
                self.reason
            )
        }
    }
}

impl std::error::Error for ConfigError {}

#[derive(Debug, Clone)]
pub struct Config {
    /// The file this config was read from; relative paths inside resolve against its folder.
    pub file: PathBuf,
    pub server: Server,
    pub storage: Storage,
    pub publish: Publish,
    pub schedule: Schedule,
    pub fetch: Fetch,
    pub stories: Stories,
    pub sources: Vec<Source>,
    pub topics: Vec<Topic>,
    pub feeds: Vec<Feed>,
    pub search: Search,
    /// `[smtp]`, `[[digest]]` and `[[alert]]` (see `config::digest`).
    pub delivery: Delivery,
}

impl Config {
    pub fn source(&self, name: &str) -> Option<&Source> {
        self.sources.iter().find(|s| s.name == name)
    }

    pub fn topic(&self, name: &str) -> Option<&Topic> {
        self.topics.iter().find(|t| t.name == name)
    }

    pub fn feed(&self, name: &str) -> Option<&Feed> {
        self.feeds.iter().find(|f| f.name == name)
    }

    pub fn digest(&self, name: &str) -> Option<&Digest> {
        self.delivery.digests.iter().find(|d| d.name == name)
    }

    /// Keeps `listen` (the socket bound at start) in place of this config's, with the base URL
    /// and user agent derived from it, so links never point where nothing listens. Returns what
    /// was kept, for the log; empty when this config already had `listen`.
    pub fn keep_listen(&mut self, listen: SocketAddr) -> Vec<String> {
        if self.server.listen == listen {
            return Vec::new();
        }
        let mut kept = vec![format!(
            "server.listen {listen} (the new value {} needs a restart)",
            self.server.listen
        )];
        self.server.listen = listen;
        if self.server.base_url_from_listen {
            self.server.base_url = format!("http://{listen}");
            kept.push(format!(
                "server.base_url {} (derived from server.listen)",
                self.server.base_url
            ));
            if self.fetch.user_agent_from_base {
                self.fetch.user_agent = fetch::default_user_agent(&self.server.base_url);
            }
            self.fetch.own = crate::redirects::Own::new(listen, &self.server.base_url);
        }
        kept
    }

    /// Reads and validates a config file.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError {
            file: path.to_path_buf(),
            key: String::new(),
            reason: format!("cannot read config file: {e}"),
        })?;
        Config::parse(&text, path)
    }

    /// Validates config text; `file` names it in errors and anchors relative paths. Sections
    /// are checked in the order they depend on each other: fetch derives its User-Agent from
    /// the server, feeds and deliveries name sources and topics, queries need all of it.
    pub fn parse(text: &str, file: &Path) -> Result<Config, ConfigError> {
        let o = Origin {
            file,
            base_dir: file.parent().unwrap_or(Path::new(".")),
        };
        let raw: RawConfig = toml::from_str(text).map_err(|e| {
            // toml's message already names the line, the key and the reason
            // ("unknown field `urll`, expected one of ..."); keep it whole.
            o.err("", e.to_string().trim_end())
        })?;
        let server = server::parse(raw.server, &o)?;
        let publish = server::publish(raw.publish, &o)?;
        let storage = storage::parse(raw.storage, &o)?;
        let stories = stories::parse(raw.stories, &o)?;
        let schedule = fetch::schedule(raw.schedule, &o)?;
        let fetch = fetch::parse(raw.fetch, &server, &o)?;
        let sources = sources::parse(raw.source, &o)?;
        let topics = topics::parse(raw.topic, &o)?;
        let feeds = feeds::parse(raw.feed, &sources, &topics, &o)?;
        let delivery = digest::validate(
            &digest::Ctx {
                origin: &o,
                sources: &sources,
                topics: &topics,
            },
            raw.smtp,
            raw.digest,
            raw.alert,
        )?;
        let config = Config {
            file: file.to_path_buf(),
            server,
            storage,
            publish,
            schedule,
            fetch,
            stories,
            sources,
            topics,
            feeds,
            search: search::parse(raw.search),
            delivery,
        };
        search::check_queries(&config, &o)?;
        Ok(config)
    }

    /// One line for `svodka check`.
    pub fn summary(&self) -> String {
        use crate::text::counted;
        let enabled = self.sources.iter().filter(|s| s.enabled).count();
        // Digests and alerts are named only when there are some, so older configs read as before.
        let mut delivery = String::new();
        let (d, a) = (self.delivery.digests.len(), self.delivery.alerts.len());
        if d > 0 {
            delivery.push_str(&format!(", {}", counted(d, "digest", "digests")));
        }
        if a > 0 {
            delivery.push_str(&format!(", {}", counted(a, "alert", "alerts")));
        }
        format!(
            "{}: ok: {} ({enabled} enabled), {}, {}{delivery}, schedule {:?}, database {}",
            self.file.display(),
            counted(self.sources.len(), "source", "sources"),
            counted(self.topics.len(), "topic", "topics"),
            counted(self.feeds.len(), "feed", "feeds"),
            self.schedule.as_str(),
            self.storage.path.display()
        )
    }

    /// What a config allows but a person most likely did not mean: nothing to fetch, or
    /// nothing to publish. `check` prints these; they refuse nothing.
    pub fn warnings(&self) -> Vec<String> {
        let mut w = Vec::new();
        if self.sources.is_empty() {
            w.push("no [[source]]: nothing will be fetched".to_string());
        } else if !self.sources.iter().any(|s| s.enabled) {
            w.push("every [[source]] has enabled = false: nothing will be fetched".to_string());
        }
        if self.feeds.is_empty() {
            w.push(
                "no [[feed]]: nothing is published at /feeds/ (the pages and topic feeds still are)"
                    .to_string(),
            );
        }
        w
    }
}

impl crate::query::Names for Config {
    fn sources(&self) -> Box<dyn Iterator<Item = (&str, Option<&str>)> + '_> {
        Box::new(
            self.sources
                .iter()
                .map(|s| (s.name.as_str(), s.region.as_deref())),
        )
    }

    fn has_topic(&self, name: &str) -> bool {
        self.topic(name).is_some()
    }

    fn timezone(&self) -> chrono_tz::Tz {
        self.server.timezone
    }
}

/// Where config text came from: the file errors name, and the folder relative paths in it
/// resolve against.
pub(crate) struct Origin<'a> {
    pub file: &'a Path,
    pub base_dir: &'a Path,
}

impl Origin<'_> {
    pub(crate) fn err(&self, key: &str, reason: impl Into<String>) -> ConfigError {
        ConfigError {
            file: self.file.to_path_buf(),
            key: key.to_string(),
            reason: reason.into(),
        }
    }

    /// A path given in the config, against the config's folder; an empty one is refused.
    pub(crate) fn path(&self, key: &str, p: &str) -> Result<PathBuf, ConfigError> {
        if p.trim().is_empty() {
            return Err(self.err(key, "is empty"));
        }
        Ok(self.base_dir.join(p))
    }

    /// A URL svodka fetches or links to: only http and https.
    pub(crate) fn http_url(&self, key: &str, u: &str) -> Result<Url, ConfigError> {
        let url = Url::parse(u).map_err(|e| self.err(key, format!("not a URL: {e}")))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(self.err(key, "must be an http(s) URL"));
        }
        Ok(url)
    }
}

/// Names appear in URLs (`/feeds/NAME.rss`) and on the command line, so they are slugs.
pub(crate) fn check_slug(s: &str) -> Result<(), String> {
    let ok = !s.is_empty()
        && s.len() <= 64
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
    if ok {
        Ok(())
    } else {
        Err(format!(
            "{s:?} is not a slug (lowercase latin letters, digits, '-' and '_', at most 64)"
        ))
    }
}

/// The whole file as serde reads it; every section may be left out.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    #[serde(default)]
    server: server::RawServer,
    #[serde(default)]
    storage: storage::RawStorage,
    #[serde(default)]
    publish: server::RawPublish,
    #[serde(default)]
    schedule: fetch::RawSchedule,
    #[serde(default)]
    fetch: fetch::RawFetch,
    #[serde(default)]
    stories: stories::RawStories,
    #[serde(default)]
    source: Vec<sources::RawSource>,
    #[serde(default)]
    topic: Vec<topics::RawTopic>,
    #[serde(default)]
    feed: Vec<feeds::RawFeed>,
    #[serde(default)]
    search: search::RawSearch,
    smtp: Option<RawSmtp>,
    #[serde(default)]
    digest: Vec<RawDigest>,
    #[serde(default)]
    alert: Vec<RawAlert>,
}
