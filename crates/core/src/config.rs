//! The TOML configuration: raw serde structs, validated into typed values.
//!
//! `Config::parse` is pure (text in, `Config` out) so it is unit-tested without files;
//! `Config::load` only adds reading the file and resolving relative paths against its folder.

pub mod digest;

use std::collections::HashSet;
use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;
use url::Url;

use crate::schedule::Schedule;

/// `fetch.user_agent` when none is given: the version and where the operator's site is.
fn default_user_agent(base_url: &str) -> String {
    format!("svodka/{} (+{base_url})", env!("CARGO_PKG_VERSION"))
}

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
    /// `[smtp]`, `[[digest]]` and `[[alert]]` (see `digest::config`).
    pub delivery: self::digest::Delivery,
}

#[derive(Debug, Clone)]
pub struct Server {
    pub listen: SocketAddr,
    /// Without a trailing slash, so `format!("{base}/feeds/all.rss")` is right.
    pub base_url: String,
    /// `base_url` was not given and is `http://` + `listen`: it follows `listen`.
    pub base_url_from_listen: bool,
    /// From accepting a connection (or the first byte of a next request) to a whole request head.
    pub header_timeout: Duration,
    /// How long a kept-alive connection may wait for its next request.
    pub idle_timeout: Duration,
    /// From a whole request head to the last byte of its answer.
    pub request_timeout: Duration,
    /// Connections served at once; the file limit may lower it (see `server::conn`).
    pub max_connections: usize,
    /// A WebSub hub: announced in every feed (`rel="hub"`) and pinged after each change.
    pub websub_hub: Option<Url>,
    /// The zone times are shown in, on the pages and by the CLI.
    pub timezone: chrono_tz::Tz,
}

/// `[search]`: whether reports are indexed for search (`index`). Off saves the lemmas' CPU at
/// ingest for an operator who never searches; searches then say that search is off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Search {
    pub index: bool,
}

/// `[publish]`: static files beside the server.
#[derive(Debug, Clone, Default)]
pub struct Publish {
    /// Write every feed and page here after each change (resolved against the config's folder).
    pub dir: Option<PathBuf>,
}

#[derive(Debug, Clone)]
pub struct Storage {
    pub path: PathBuf,
    pub retention_days: u32,
}

/// `[stories]`: how far apart the reports of one story may be, and what the engine that groups
/// them may hold in memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stories {
    pub window_hours: u32,
    pub memory_mb: u32,
}

impl Stories {
    pub fn window_secs(&self) -> i64 {
        i64::from(self.window_hours) * 3600
    }

    pub fn memory_bytes(&self) -> usize {
        (self.memory_mb as usize) << 20
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fetch {
    pub timeout: Duration,
    pub max_body_bytes: u64,
    pub concurrency: usize,
    pub per_host: usize,
    pub user_agent: String,
    /// Follow redirects from a public address to a private one, or to svodka itself.
    pub allow_private_redirects: bool,
    /// Where svodka itself answers; the daemon sets the port it actually bound.
    pub own: crate::redirects::Own,
    /// `user_agent` was not given and names `base_url`: it follows `base_url`.
    pub user_agent_from_base: bool,
}

#[derive(Debug, Clone)]
pub struct Source {
    pub name: String,
    pub title: String,
    pub url: Url,
    pub region: Option<String>,
    /// A label `parse::decode::lookup` knows; checked at load time.
    pub encoding: Option<String>,
    /// Boxed: most sources have none, and a schedule inline made every source (and every copy
    /// of its config) 330 bytes bigger.
    pub cron: Option<Box<Schedule>>,
    pub enabled: bool,
    /// Leads the stories it carries over sources with a lower one (the original agency over
    /// re-publishers).
    pub priority: i64,
}

#[derive(Debug, Clone)]
pub struct Topic {
    pub name: String,
    pub title: String,
    pub keywords: Vec<String>,
    pub exclude: Vec<String>,
    pub scope: TopicScope,
}

/// Where a topic is looked for (`[[topic]] scope`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TopicScope {
    /// The title and the lead (the first paragraph): what the item is about.
    #[default]
    Headline,
    /// The title and the whole text.
    Text,
}

#[derive(Debug, Clone)]
pub struct Feed {
    pub name: String,
    pub title: String,
    pub sources: Vec<String>,
    pub regions: Vec<String>,
    pub topics: Vec<String>,
    pub limit: usize,
    pub group: crate::model::Grouping,
    /// A search (`query = "…"`): the feed is the stories it finds, newest first.
    pub query: Option<String>,
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

    pub fn digest(&self, name: &str) -> Option<&self::digest::Digest> {
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
                self.fetch.user_agent = default_user_agent(&self.server.base_url);
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

    /// Validates config text; `file` names it in errors and anchors relative paths.
    pub fn parse(text: &str, file: &Path) -> Result<Config, ConfigError> {
        let err = |key: &str, reason: String| ConfigError {
            file: file.to_path_buf(),
            key: key.to_string(),
            reason,
        };
        let raw: RawConfig = toml::from_str(text).map_err(|e| {
            // toml's message already names the line, the key and the reason
            // ("unknown field `urll`, expected one of ..."); keep it whole.
            err("", e.to_string().trim_end().to_string())
        })?;
        let base_dir = file.parent().unwrap_or(Path::new("."));

        let listen: SocketAddr = raw
            .server
            .listen
            .parse()
            .map_err(|e| err("server.listen", format!("not an address:port: {e}")))?;
        let base_url_from_listen = raw.server.base_url.is_none();
        let base_url = match raw.server.base_url {
            Some(u) => {
                let parsed = Url::parse(&u)
                    .map_err(|e| err("server.base_url", format!("not a URL: {e}")))?;
                if !matches!(parsed.scheme(), "http" | "https") {
                    return Err(err("server.base_url", "must be an http(s) URL".into()));
                }
                parsed.as_str().trim_end_matches('/').to_string()
            }
            None => format!("http://{listen}"),
        };
        let websub_hub = match raw.server.websub_hub {
            Some(u) => {
                let parsed = Url::parse(u.trim())
                    .map_err(|e| err("server.websub_hub", format!("not a URL: {e}")))?;
                if !matches!(parsed.scheme(), "http" | "https") {
                    return Err(err("server.websub_hub", "must be an http(s) URL".into()));
                }
                Some(parsed)
            }
            None => None,
        };
        let timezone: chrono_tz::Tz = raw.server.timezone.trim().parse().map_err(|_| {
            err(
                "server.timezone",
                format!(
                    "unknown time zone {:?}: an IANA name such as \"Europe/Moscow\", \"Asia/Yekaterinburg\" or \"UTC\"",
                    raw.server.timezone
                ),
            )
        })?;
        let publish = Publish {
            dir: match raw.publish.dir {
                Some(d) if d.trim().is_empty() => {
                    return Err(err("publish.dir", "is empty".into()));
                }
                Some(d) => Some(base_dir.join(d)),
                None => None,
            },
        };

        let secs = |key: &str, v: u64, max: u64| {
            if (1..=max).contains(&v) {
                Ok(Duration::from_secs(v))
            } else {
                Err(err(key, format!("must be between 1 and {max} seconds")))
            }
        };
        let header_timeout = secs(
            "server.header_timeout_secs",
            raw.server.header_timeout_secs,
            300,
        )?;
        let idle_timeout = secs(
            "server.idle_timeout_secs",
            raw.server.idle_timeout_secs,
            3600,
        )?;
        let request_timeout = secs(
            "server.request_timeout_secs",
            raw.server.request_timeout_secs,
            3600,
        )?;
        if !(1..=1_000_000).contains(&raw.server.max_connections) {
            return Err(err(
                "server.max_connections",
                "must be between 1 and 1000000".into(),
            ));
        }

        let storage_path = base_dir.join(&raw.storage.path);
        if !(1..=36_500).contains(&raw.storage.retention_days) {
            return Err(err(
                "storage.retention_days",
                "must be between 1 and 36500 (a hundred years)".into(),
            ));
        }
        if !(1..=720).contains(&raw.stories.window_hours) {
            return Err(err(
                "stories.window_hours",
                "must be between 1 and 720 (thirty days)".into(),
            ));
        }
        if !(8..=1_048_576).contains(&raw.stories.memory_mb) {
            return Err(err(
                "stories.memory_mb",
                "must be between 8 and 1048576 (a terabyte)".into(),
            ));
        }
        let schedule = Schedule::parse(&raw.schedule.cron).map_err(|e| err("schedule.cron", e))?;

        let f = raw.fetch;
        if f.timeout_secs == 0 {
            return Err(err("fetch.timeout_secs", "must be at least 1".into()));
        }
        if f.concurrency == 0 {
            return Err(err("fetch.concurrency", "must be at least 1".into()));
        }
        if f.per_host == 0 {
            return Err(err("fetch.per_host", "must be at least 1".into()));
        }
        if f.max_body_bytes < 1024 {
            return Err(err("fetch.max_body_bytes", "must be at least 1024".into()));
        }
        if let Some(ua) = &f.user_agent
            && (ua.trim().is_empty() || ua.chars().any(|c| c.is_control() || !c.is_ascii()))
        {
            return Err(err(
                "fetch.user_agent",
                "must be non-empty printable ASCII (it is an HTTP header)".into(),
            ));
        }
        let user_agent_from_base = f.user_agent.is_none();
        let user_agent = f
            .user_agent
            .unwrap_or_else(|| default_user_agent(&base_url));
        let fetch = Fetch {
            timeout: Duration::from_secs(f.timeout_secs),
            max_body_bytes: f.max_body_bytes,
            concurrency: f.concurrency,
            per_host: f.per_host,
            user_agent,
            allow_private_redirects: f.allow_private_redirects,
            own: crate::redirects::Own::new(listen, &base_url),
            user_agent_from_base,
        };

        let mut sources = Vec::new();
        let mut seen = HashSet::new();
        for (i, s) in raw.source.into_iter().enumerate() {
            let key = |k: &str| format!("source[{i}].{k}");
            check_slug(&s.name).map_err(|r| err(&key("name"), r))?;
            if !seen.insert(s.name.clone()) {
                return Err(err(
                    &key("name"),
                    format!("duplicate source name {:?}", s.name),
                ));
            }
            let url =
                Url::parse(&s.url).map_err(|e| err(&key("url"), format!("not a URL: {e}")))?;
            if !matches!(url.scheme(), "http" | "https") {
                return Err(err(&key("url"), "must be an http(s) URL".into()));
            }
            if let Some(label) = &s.encoding
                && crate::parse::decode::lookup(label).is_none()
            {
                return Err(err(&key("encoding"), format!("unknown encoding {label:?}")));
            }
            let cron = match &s.cron {
                Some(c) => Some(Box::new(
                    Schedule::parse(c).map_err(|e| err(&key("cron"), e))?,
                )),
                None => None,
            };
            if let Some(r) = &s.region {
                check_slug(r).map_err(|r| err(&key("region"), r))?;
            }
            sources.push(Source {
                title: s.title.unwrap_or_else(|| s.name.clone()),
                name: s.name,
                url,
                region: s.region,
                encoding: s.encoding,
                cron,
                enabled: s.enabled,
                priority: s.priority,
            });
        }

        let mut topics = Vec::new();
        let mut seen = HashSet::new();
        for (i, t) in raw.topic.into_iter().enumerate() {
            let key = |k: &str| format!("topic[{i}].{k}");
            check_slug(&t.name).map_err(|r| err(&key("name"), r))?;
            if !seen.insert(t.name.clone()) {
                return Err(err(
                    &key("name"),
                    format!("duplicate topic name {:?}", t.name),
                ));
            }
            if t.keywords.is_empty() {
                return Err(err(&key("keywords"), "needs at least one keyword".into()));
            }
            if t.keywords
                .iter()
                .chain(&t.exclude)
                .any(|k| k.trim().is_empty())
            {
                return Err(err(&key("keywords"), "a keyword is blank".into()));
            }
            let scope = match t.scope.as_deref() {
                None | Some("headline") => TopicScope::Headline,
                Some("text") => TopicScope::Text,
                Some(other) => {
                    return Err(err(
                        &key("scope"),
                        format!("unknown scope {other:?} (use \"headline\" or \"text\")"),
                    ));
                }
            };
            topics.push(Topic {
                title: t.title.unwrap_or_else(|| t.name.clone()),
                name: t.name,
                keywords: t.keywords,
                exclude: t.exclude,
                scope,
            });
        }

        let regions: HashSet<&str> = sources.iter().filter_map(|s| s.region.as_deref()).collect();
        let mut feeds = Vec::new();
        let mut seen = HashSet::new();
        for (i, f) in raw.feed.iter().enumerate() {
            let key = |k: &str| format!("feed[{i}].{k}");
            check_slug(&f.name).map_err(|r| err(&key("name"), r))?;
            if !seen.insert(f.name.clone()) {
                return Err(err(
                    &key("name"),
                    format!("duplicate feed name {:?}", f.name),
                ));
            }
            for s in &f.sources {
                if !sources.iter().any(|src| &src.name == s) {
                    return Err(err(&key("sources"), format!("unknown source {s:?}")));
                }
            }
            for r in &f.regions {
                if !regions.contains(r.as_str()) {
                    return Err(err(&key("regions"), format!("no source has region {r:?}")));
                }
            }
            for t in &f.topics {
                if !topics.iter().any(|tp: &Topic| &tp.name == t) {
                    return Err(err(&key("topics"), format!("unknown topic {t:?}")));
                }
            }
            if f.limit == 0 || f.limit > 10_000 {
                return Err(err(&key("limit"), "must be between 1 and 10000".into()));
            }
            let group = match f.group.as_deref() {
                None | Some("story") => crate::model::Grouping::Story,
                Some("copy") => crate::model::Grouping::Copy,
                Some("none") => crate::model::Grouping::None,
                Some(other) => {
                    return Err(err(
                        &key("group"),
                        format!("must be \"story\", \"copy\" or \"none\", not {other:?}"),
                    ));
                }
            };
            feeds.push(Feed {
                name: f.name.clone(),
                title: f.title.clone().unwrap_or_else(|| f.name.clone()),
                sources: f.sources.clone(),
                regions: f.regions.clone(),
                topics: f.topics.clone(),
                limit: f.limit,
                group,
                query: f.query.clone(),
            });
        }

        let delivery = self::digest::validate(
            &self::digest::Ctx {
                file,
                base_dir,
                sources: &sources,
                topics: &topics,
            },
            raw.smtp,
            raw.digest,
            raw.alert,
        )?;

        let config = Config {
            delivery,
            file: file.to_path_buf(),
            server: Server {
                listen,
                base_url,
                base_url_from_listen,
                header_timeout,
                idle_timeout,
                request_timeout,
                max_connections: raw.server.max_connections,
                websub_hub,
                timezone,
            },
            publish,
            storage: Storage {
                path: storage_path,
                retention_days: raw.storage.retention_days,
            },
            schedule,
            fetch,
            stories: Stories {
                window_hours: raw.stories.window_hours,
                memory_mb: raw.stories.memory_mb,
            },
            sources,
            topics,
            feeds,
            search: Search {
                index: raw.search.index,
            },
        };
        // A query (a feed's, a digest's, an alert's) is checked like a reader's, against the
        // sources and topics above.
        let queries: Vec<(String, &str)> = (config.feeds.iter().enumerate())
            .filter_map(|(i, f)| Some((format!("feed[{i}].query"), f.query.as_deref()?)))
            .chain(
                (config.delivery.digests.iter().enumerate()).filter_map(|(i, d)| {
                    Some((format!("digest[{i}].query"), d.filter.query.as_deref()?))
                }),
            )
            .chain(
                (config.delivery.alerts.iter().enumerate()).filter_map(|(i, a)| {
                    Some((format!("alert[{i}].query"), a.filter.query.as_deref()?))
                }),
            )
            .collect();
        if let Some((key, _)) = queries.first()
            && !config.search.index
        {
            return Err(err(
                key,
                "a search, but `[search] index = false`: reports are not indexed, so it \
                 would find nothing; remove the query or turn the index on"
                    .into(),
            ));
        }
        if !queries.is_empty() {
            let lem = crate::query::Lemmatizer::new();
            for (key, q) in &queries {
                if let Err(e) = crate::query::Query::parse(q, &config, &lem) {
                    return Err(err(key, e.to_string()));
                }
            }
        }
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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    #[serde(default)]
    server: RawServer,
    #[serde(default)]
    storage: RawStorage,
    #[serde(default)]
    publish: RawPublish,
    #[serde(default)]
    schedule: RawSchedule,
    #[serde(default)]
    fetch: RawFetch,
    #[serde(default)]
    stories: RawStories,
    #[serde(default)]
    source: Vec<RawSource>,
    #[serde(default)]
    topic: Vec<RawTopic>,
    #[serde(default)]
    feed: Vec<RawFeed>,
    #[serde(default)]
    search: RawSearch,
    smtp: Option<self::digest::RawSmtp>,
    #[serde(default)]
    digest: Vec<self::digest::RawDigest>,
    #[serde(default)]
    alert: Vec<self::digest::RawAlert>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, default)]
struct RawServer {
    listen: String,
    base_url: Option<String>,
    header_timeout_secs: u64,
    idle_timeout_secs: u64,
    request_timeout_secs: u64,
    max_connections: usize,
    websub_hub: Option<String>,
    timezone: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, default)]
struct RawSearch {
    index: bool,
}

impl Default for RawSearch {
    fn default() -> Self {
        RawSearch { index: true }
    }
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawPublish {
    dir: Option<String>,
}

impl Default for RawServer {
    fn default() -> Self {
        RawServer {
            listen: "127.0.0.1:8080".into(),
            base_url: None,
            header_timeout_secs: 5,
            idle_timeout_secs: 60,
            request_timeout_secs: 30,
            max_connections: 10_000,
            websub_hub: None,
            timezone: "Europe/Moscow".into(),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, default)]
struct RawStorage {
    path: String,
    retention_days: u32,
}

impl Default for RawStorage {
    fn default() -> Self {
        RawStorage {
            path: "svodka.db".into(),
            retention_days: 90,
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, default)]
struct RawSchedule {
    cron: String,
}

impl Default for RawSchedule {
    fn default() -> Self {
        RawSchedule {
            cron: "*/15 * * * *".into(),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, default)]
struct RawFetch {
    timeout_secs: u64,
    max_body_bytes: u64,
    concurrency: usize,
    per_host: usize,
    user_agent: Option<String>,
    allow_private_redirects: bool,
}

impl Default for RawFetch {
    fn default() -> Self {
        RawFetch {
            timeout_secs: 30,
            max_body_bytes: 10 * 1024 * 1024,
            concurrency: 32,
            per_host: 2,
            user_agent: None,
            allow_private_redirects: false,
        }
    }
}

/// How far apart the reports of one story may be, by default: three days.
pub const DEFAULT_WINDOW_HOURS: u32 = 72;
/// What the story engine may hold by default, in MiB (~62,000 reports).
pub const DEFAULT_MEMORY_MB: u32 = 48;

#[derive(Deserialize)]
#[serde(deny_unknown_fields, default)]
struct RawStories {
    window_hours: u32,
    memory_mb: u32,
}

impl Default for RawStories {
    fn default() -> Self {
        RawStories {
            window_hours: DEFAULT_WINDOW_HOURS,
            memory_mb: DEFAULT_MEMORY_MB,
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSource {
    name: String,
    title: Option<String>,
    url: String,
    region: Option<String>,
    encoding: Option<String>,
    cron: Option<String>,
    #[serde(default = "yes")]
    enabled: bool,
    #[serde(default)]
    priority: i64,
}

fn yes() -> bool {
    true
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTopic {
    name: String,
    title: Option<String>,
    keywords: Vec<String>,
    #[serde(default)]
    exclude: Vec<String>,
    scope: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFeed {
    name: String,
    title: Option<String>,
    #[serde(default)]
    sources: Vec<String>,
    #[serde(default)]
    regions: Vec<String>,
    #[serde(default)]
    topics: Vec<String>,
    #[serde(default = "default_limit")]
    limit: usize,
    group: Option<String>,
    query: Option<String>,
}

fn default_limit() -> usize {
    100
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

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
[server]
listen = "127.0.0.1:9090"
base_url = "https://news.example.org/"

[storage]
path = "data/svodka.db"

[schedule]
cron = "*/15 * * * *"

[[source]]
name = "lipetsk-vesti"
title = "Липецкие вести"
url = "https://lipetsk-vesti.example/rss.xml"
region = "lipetsk"
encoding = "windows-1251"
cron = "0 */5 * * * *"

[[topic]]
name = "syria"
title = "Сирия"
keywords = ["Сирия", "Дамаск"]

[[feed]]
name = "all"
title = "Все новости"
regions = ["lipetsk"]
topics = ["syria"]
"#;

    fn check_err(text: &str, key: &str, reason_part: &str) {
        let e = Config::parse(text, Path::new("/etc/svodka/svodka.toml")).unwrap_err();
        let shown = e.to_string();
        assert!(shown.starts_with("/etc/svodka/svodka.toml"), "{shown}");
        assert!(shown.contains(key), "{shown:?} should name {key:?}");
        assert!(
            shown.contains(reason_part),
            "{shown:?} should say {reason_part:?}"
        );
    }

    #[test]
    fn good_config_is_typed_and_paths_resolve_against_the_file() {
        let c = Config::parse(GOOD, Path::new("/etc/svodka/svodka.toml")).unwrap();
        assert_eq!(c.server.base_url, "https://news.example.org");
        assert_eq!(c.storage.path, Path::new("/etc/svodka/data/svodka.db"));
        assert_eq!(c.storage.retention_days, 90);
        assert_eq!(c.fetch.concurrency, 32);
        assert!(c.fetch.user_agent.starts_with("svodka/"));
        assert_eq!(c.sources[0].title, "Липецкие вести");
        assert!(c.sources[0].cron.is_some());
        assert_eq!(c.feeds[0].limit, 100);
    }

    #[test]
    fn the_story_engines_memory_is_48_mb_unless_set_and_too_little_is_refused() {
        let c = Config::parse(GOOD, Path::new("/etc/svodka/svodka.toml")).unwrap();
        assert_eq!(c.stories.memory_bytes(), 48 << 20);
        let set = format!("{GOOD}\n[stories]\nmemory_mb = 512\n");
        let c = Config::parse(&set, Path::new("/etc/svodka/svodka.toml")).unwrap();
        assert_eq!(c.stories.memory_bytes(), 512 << 20);
        check_err(
            &format!("{GOOD}\n[stories]\nmemory_mb = 2\n"),
            "stories.memory_mb",
            "between 8 and",
        );
    }

    #[test]
    fn unknown_key_in_a_source_is_named() {
        let text = GOOD.replace("url = \"https://lipetsk", "urll = \"https://lipetsk");
        check_err(&text, "urll", "unknown field");
    }

    #[test]
    fn bad_cron_names_the_key() {
        check_err(
            &GOOD.replace("*/15 * * * *", "*/15 * * *"),
            "schedule.cron",
            "cron",
        );
        check_err(
            &GOOD.replace("0 */5 * * * *", "every five minutes"),
            "source[0].cron",
            "cron",
        );
    }

    #[test]
    fn duplicate_names_and_unknown_references_are_refused() {
        let dup =
            format!("{GOOD}\n[[source]]\nname = \"lipetsk-vesti\"\nurl = \"https://x.example/\"\n");
        check_err(&dup, "source[1].name", "duplicate");
        check_err(
            &GOOD.replace("topics = [\"syria\"]", "topics = [\"siria\"]"),
            "feed[0].topics",
            "unknown topic",
        );
        check_err(
            &GOOD.replace("regions = [\"lipetsk\"]", "regions = [\"tambov\"]"),
            "feed[0].regions",
            "tambov",
        );
        check_err(
            &GOOD.replace("https://lipetsk-vesti.example/rss.xml", "lipetsk-vesti/rss"),
            "source[0].url",
            "not a URL",
        );
        check_err(
            &GOOD.replace("\"windows-1251\"", "\"win-9999\""),
            "source[0].encoding",
            "unknown encoding",
        );
        check_err(
            &GOOD.replace("127.0.0.1:9090", "localhost"),
            "server.listen",
            "address",
        );
    }

    #[test]
    fn values_that_would_fail_later_are_refused_now() {
        check_err(
            &format!("{GOOD}\n[fetch]\nuser_agent = \"a\\nb\"\n"),
            "fetch.user_agent",
            "ASCII",
        );
        check_err(
            &GOOD.replace(
                "path = \"data/svodka.db\"",
                "path = \"x.db\"\nretention_days = 0",
            ),
            "storage.retention_days",
            "between",
        );
        let c = Config::parse(
            &GOOD.replace(
                "\"https://news.example.org/\"",
                "\" https://news.example.org/ \"",
            ),
            Path::new("/etc/svodka/svodka.toml"),
        )
        .unwrap();
        assert_eq!(c.server.base_url, "https://news.example.org");
    }

    #[test]
    fn topic_scope_is_headline_unless_text() {
        let c = Config::parse(GOOD, Path::new("svodka.toml")).unwrap();
        assert_eq!(c.topics[0].scope, TopicScope::Headline);
        let c = Config::parse(
            &GOOD.replace("\"Дамаск\"]", "\"Дамаск\"]\nscope = \"text\""),
            Path::new("svodka.toml"),
        )
        .unwrap();
        assert_eq!(c.topics[0].scope, TopicScope::Text);
        check_err(
            &GOOD.replace("\"Дамаск\"]", "\"Дамаск\"]\nscope = \"body\""),
            "topic[0].scope",
            "unknown scope \"body\"",
        );
    }

    #[test]
    fn search_is_indexed_unless_turned_off_and_then_no_query_is_taken() {
        let c = Config::parse(GOOD, Path::new("svodka.toml")).unwrap();
        assert!(c.search.index);
        let off = format!("[search]\nindex = false\n{GOOD}");
        let c = Config::parse(&off, Path::new("svodka.toml")).unwrap();
        assert!(!c.search.index);
        let digest = "\n[[digest]]\nname = \"d\"\ncron = \"0 8 * * *\"\nquery = \"мост\"\n";
        let c = Config::parse(&format!("{GOOD}{digest}"), Path::new("svodka.toml")).unwrap();
        assert_eq!(c.delivery.digests[0].filter.query.as_deref(), Some("мост"));
        check_err(
            &format!("{off}{digest}"),
            "digest[0].query",
            "index = false",
        );
        check_err(
            &format!("{GOOD}{}", digest.replace("\"мост\"", "\" \"")),
            "digest[0].query",
            "is empty",
        );
    }

    #[test]
    fn a_blank_keyword_is_refused() {
        check_err(
            &GOOD.replace("\"Дамаск\"", "\"  \""),
            "topic[0].keywords",
            "blank",
        );
    }

    #[test]
    fn websub_hub_and_publish_dir() {
        let c = Config::parse(
            &GOOD.replace(
                "[storage]",
                "websub_hub = \"https://hub.example/\"\n\n[publish]\ndir = \"public\"\n\n[storage]",
            ),
            Path::new("/etc/svodka/svodka.toml"),
        )
        .unwrap();
        assert_eq!(
            c.server.websub_hub.as_ref().map(Url::as_str),
            Some("https://hub.example/")
        );
        assert_eq!(
            c.publish.dir.as_deref(),
            Some(Path::new("/etc/svodka/public"))
        );
        check_err(
            &GOOD.replace("[storage]", "websub_hub = \"hub.example\"\n[storage]"),
            "server.websub_hub",
            "not a URL",
        );
        check_err(
            &format!("{GOOD}\n[publish]\ndirr = \"x\"\n"),
            "dirr",
            "unknown field",
        );
    }

    #[test]
    fn defaults_fill_an_almost_empty_config() {
        let c = Config::parse("", Path::new("svodka.toml")).unwrap();
        assert_eq!(c.server.listen.to_string(), "127.0.0.1:8080");
        assert_eq!(c.server.base_url, "http://127.0.0.1:8080");
        assert_eq!(c.fetch.timeout, Duration::from_secs(30));
        assert_eq!(c.fetch.max_body_bytes, 10_485_760);
        assert_eq!(c.fetch.per_host, 2);
        assert_eq!(c.schedule.as_str(), "*/15 * * * *");
        assert_eq!(c.server.header_timeout, Duration::from_secs(5));
        assert_eq!(c.server.idle_timeout, Duration::from_secs(60));
        assert_eq!(c.server.request_timeout, Duration::from_secs(30));
        assert_eq!(c.server.max_connections, 10_000);
    }

    #[test]
    fn server_limits_are_read_and_checked() {
        let with = |extra: &str| GOOD.replace("[storage]", &format!("{extra}\n\n[storage]"));
        let c = Config::parse(
            &with("header_timeout_secs = 2\nidle_timeout_secs = 15\nrequest_timeout_secs = 10\nmax_connections = 500"),
            Path::new("/etc/svodka/svodka.toml"),
        )
        .unwrap();
        assert_eq!(c.server.header_timeout, Duration::from_secs(2));
        assert_eq!(c.server.idle_timeout, Duration::from_secs(15));
        assert_eq!(c.server.request_timeout, Duration::from_secs(10));
        assert_eq!(c.server.max_connections, 500);
        check_err(
            &with("header_timeout_secs = 0"),
            "server.header_timeout_secs",
            "between 1 and 300",
        );
        check_err(
            &with("idle_timeout_secs = 86400"),
            "server.idle_timeout_secs",
            "between 1 and 3600",
        );
        check_err(
            &with("request_timeout_secs = 0"),
            "server.request_timeout_secs",
            "between",
        );
        check_err(
            &with("max_connections = 0"),
            "server.max_connections",
            "between 1 and",
        );
        check_err(
            &with("header_timeout_secs = -1"),
            "header_timeout_secs",
            "invalid value",
        );
        check_err(
            &with("keepalive_secs = 5"),
            "keepalive_secs",
            "unknown field",
        );
    }
}
