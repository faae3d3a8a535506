//! `[server]` (where svodka answers and for how long it waits) and `[publish]` (static files
//! written beside it).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;
use url::Url;

use super::{ConfigError, Origin};

/// Where the server listens unless `listen` says otherwise.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";
const DEFAULT_HEADER_TIMEOUT_SECS: u64 = 5;
const DEFAULT_IDLE_TIMEOUT_SECS: u64 = 60;
const DEFAULT_REQUEST_TIMEOUT_SECS: u64 = 30;
const DEFAULT_MAX_CONNECTIONS: usize = 10_000;
const DEFAULT_TIMEZONE: &str = "Europe/Moscow";

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

/// `[publish]`: static files beside the server.
#[derive(Debug, Clone, Default)]
pub struct Publish {
    /// Write every feed and page here after each change (resolved against the config's folder).
    pub dir: Option<PathBuf>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(super) struct RawServer {
    listen: String,
    base_url: Option<String>,
    header_timeout_secs: u64,
    idle_timeout_secs: u64,
    request_timeout_secs: u64,
    max_connections: usize,
    websub_hub: Option<String>,
    timezone: String,
}

impl Default for RawServer {
    fn default() -> Self {
        RawServer {
            listen: DEFAULT_LISTEN.into(),
            base_url: None,
            header_timeout_secs: DEFAULT_HEADER_TIMEOUT_SECS,
            idle_timeout_secs: DEFAULT_IDLE_TIMEOUT_SECS,
            request_timeout_secs: DEFAULT_REQUEST_TIMEOUT_SECS,
            max_connections: DEFAULT_MAX_CONNECTIONS,
            websub_hub: None,
            timezone: DEFAULT_TIMEZONE.into(),
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawPublish {
    dir: Option<String>,
}

/// `[server]`: the address, the public base URL (derived from the address when not given),
/// the hub, the time zone and the connection limits.
pub(super) fn parse(raw: RawServer, o: &Origin) -> Result<Server, ConfigError> {
    let listen: SocketAddr = raw
        .listen
        .parse()
        .map_err(|e| o.err("server.listen", format!("not an address:port: {e}")))?;
    let base_url_from_listen = raw.base_url.is_none();
    let base_url = match raw.base_url {
        Some(u) => o
            .http_url("server.base_url", &u)?
            .as_str()
            .trim_end_matches('/')
            .to_string(),
        None => format!("http://{listen}"),
    };
    let websub_hub = match raw.websub_hub {
        Some(u) => Some(o.http_url("server.websub_hub", u.trim())?),
        None => None,
    };
    let timezone: chrono_tz::Tz = raw.timezone.trim().parse().map_err(|_| {
        o.err(
            "server.timezone",
            format!(
                "unknown time zone {:?}: an IANA name such as \"Europe/Moscow\", \"Asia/Yekaterinburg\" or \"UTC\"",
                raw.timezone
            ),
        )
    })?;
    let secs = |key: &str, v: u64, max: u64| {
        if (1..=max).contains(&v) {
            Ok(Duration::from_secs(v))
        } else {
            Err(o.err(key, format!("must be between 1 and {max} seconds")))
        }
    };
    let header_timeout = secs("server.header_timeout_secs", raw.header_timeout_secs, 300)?;
    let idle_timeout = secs("server.idle_timeout_secs", raw.idle_timeout_secs, 3600)?;
    let request_timeout = secs(
        "server.request_timeout_secs",
        raw.request_timeout_secs,
        3600,
    )?;
    if !(1..=1_000_000).contains(&raw.max_connections) {
        return Err(o.err("server.max_connections", "must be between 1 and 1000000"));
    }
    Ok(Server {
        listen,
        base_url,
        base_url_from_listen,
        header_timeout,
        idle_timeout,
        request_timeout,
        max_connections: raw.max_connections,
        websub_hub,
        timezone,
    })
}

/// `[publish]`: the folder static copies go to, against the config's folder.
pub(super) fn publish(raw: RawPublish, o: &Origin) -> Result<Publish, ConfigError> {
    let dir = match raw.dir {
        Some(d) => Some(o.path("publish.dir", &d)?),
        None => None,
    };
    Ok(Publish { dir })
}
