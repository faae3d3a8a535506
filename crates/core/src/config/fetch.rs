//! `[schedule]` (when every source is fetched) and `[fetch]` (how: time and size limits,
//! concurrency, the User-Agent, the redirect policy).

use std::time::Duration;

use serde::Deserialize;

use super::{ConfigError, Origin, Server};
use crate::schedule::Schedule;

const DEFAULT_CRON: &str = "*/15 * * * *";
const DEFAULT_TIMEOUT_SECS: u64 = 30;
const DEFAULT_MAX_BODY_BYTES: u64 = 10 * 1024 * 1024;
const DEFAULT_CONCURRENCY: usize = 32;
const DEFAULT_PER_HOST: usize = 2;

/// `fetch.user_agent` when none is given: the version and where the operator's site is.
pub(super) fn default_user_agent(base_url: &str) -> String {
    format!("svodka/{} (+{base_url})", env!("CARGO_PKG_VERSION"))
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

#[derive(Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(super) struct RawSchedule {
    cron: String,
}

impl Default for RawSchedule {
    fn default() -> Self {
        RawSchedule {
            cron: DEFAULT_CRON.into(),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(super) struct RawFetch {
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
            timeout_secs: DEFAULT_TIMEOUT_SECS,
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            concurrency: DEFAULT_CONCURRENCY,
            per_host: DEFAULT_PER_HOST,
            user_agent: None,
            allow_private_redirects: false,
        }
    }
}

pub(super) fn schedule(raw: RawSchedule, o: &Origin) -> Result<Schedule, ConfigError> {
    Schedule::parse(&raw.cron).map_err(|e| o.err("schedule.cron", e))
}

/// `[fetch]`; the default User-Agent and svodka's own address come from `server`.
pub(super) fn parse(f: RawFetch, server: &Server, o: &Origin) -> Result<Fetch, ConfigError> {
    if f.timeout_secs == 0 {
        return Err(o.err("fetch.timeout_secs", "must be at least 1"));
    }
    if f.concurrency == 0 {
        return Err(o.err("fetch.concurrency", "must be at least 1"));
    }
    if f.per_host == 0 {
        return Err(o.err("fetch.per_host", "must be at least 1"));
    }
    if f.max_body_bytes < 1024 {
        return Err(o.err("fetch.max_body_bytes", "must be at least 1024"));
    }
    if let Some(ua) = &f.user_agent
        && (ua.trim().is_empty() || ua.chars().any(|c| c.is_control() || !c.is_ascii()))
    {
        return Err(o.err(
            "fetch.user_agent",
            "must be non-empty printable ASCII (it is an HTTP header)",
        ));
    }
    let user_agent_from_base = f.user_agent.is_none();
    let user_agent = f
        .user_agent
        .unwrap_or_else(|| default_user_agent(&server.base_url));
    Ok(Fetch {
        timeout: Duration::from_secs(f.timeout_secs),
        max_body_bytes: f.max_body_bytes,
        concurrency: f.concurrency,
        per_host: f.per_host,
        user_agent,
        allow_private_redirects: f.allow_private_redirects,
        own: crate::redirects::Own::new(server.listen, &server.base_url),
        user_agent_from_base,
    })
}
