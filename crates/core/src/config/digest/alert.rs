//! `[[alert]]`: a story that reaches enough agencies, sent to a webhook or a Telegram chat as
//! soon as it does.

use std::collections::HashSet;
use std::path::PathBuf;

use serde::Deserialize;
use url::Url;

use super::{Ctx, Filter};
use crate::config::ConfigError;

/// How many agencies a story needs before an alert fires, unless `min_agencies` says more.
const DEFAULT_MIN_AGENCIES: u32 = 1;

/// The Bot API's base URL unless `telegram.api_url` names a stand-in.
const TELEGRAM_API: &str = "https://api.telegram.org";

#[derive(Debug, Clone)]
pub struct Telegram {
    pub token_file: PathBuf,
    pub chat_id: String,
    /// The Bot API's base URL (`https://api.telegram.org`); tests point it at a stand-in.
    pub api_url: Url,
}

#[derive(Debug, Clone)]
pub struct Alert {
    pub name: String,
    pub filter: Filter,
    pub min_agencies: u32,
    pub webhook: Option<Url>,
    pub secret_file: Option<PathBuf>,
    pub telegram: Option<Telegram>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawTelegram {
    token_file: Option<String>,
    chat_id: Option<toml::Value>,
    api_url: Option<String>,
    /// Refused with a reason: a token belongs in a file, not in the config.
    token: Option<toml::Value>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawAlert {
    name: String,
    #[serde(default)]
    sources: Vec<String>,
    #[serde(default)]
    regions: Vec<String>,
    #[serde(default)]
    topics: Vec<String>,
    query: Option<String>,
    #[serde(default)]
    all: bool,
    #[serde(default = "default_min_agencies")]
    min_agencies: u32,
    webhook: Option<String>,
    secret_file: Option<String>,
    /// Refused with a reason, like a token.
    secret: Option<toml::Value>,
    telegram: Option<RawTelegram>,
}

fn default_min_agencies() -> u32 {
    DEFAULT_MIN_AGENCIES
}

/// Each alert's name is a unique slug, its filter names what the config has, and it has
/// somewhere to go; secrets and tokens are only ever named by file.
pub(super) fn parse(cx: &Ctx, raw: Vec<RawAlert>) -> Result<Vec<Alert>, ConfigError> {
    let mut alerts = Vec::new();
    let mut seen = HashSet::new();
    for (i, a) in raw.into_iter().enumerate() {
        let key = |k: &str| format!("alert[{i}].{k}");
        crate::config::check_slug(&a.name).map_err(|r| cx.err(&key("name"), r))?;
        if !seen.insert(a.name.clone()) {
            return Err(cx.err(&key("name"), format!("duplicate alert name {:?}", a.name)));
        }
        let filter = cx.filter(&key, a.sources, a.regions, a.topics, a.query, a.all)?;
        if !(1..=1000).contains(&a.min_agencies) {
            return Err(cx.err(&key("min_agencies"), "must be between 1 and 1000"));
        }
        if a.secret.is_some() {
            return Err(cx.err(
                &key("secret"),
                "a secret is not written in the config: put it in a file and name it \
                 with `secret_file`",
            ));
        }
        let webhook = match a.webhook {
            Some(u) => Some(cx.origin.http_url(&key("webhook"), u.trim())?),
            None => None,
        };
        let secret_file = match a.secret_file {
            Some(p) => {
                if webhook.is_none() {
                    return Err(cx.err(&key("secret_file"), "signs webhooks: give a `webhook`"));
                }
                Some(cx.file_path(&key("secret_file"), &p)?)
            }
            None => None,
        };
        let telegram = match a.telegram {
            Some(t) => {
                if t.token.is_some() {
                    return Err(cx.err(
                        &key("telegram.token"),
                        "a bot token is not written in the config: put it in a file and \
                         name it with `token_file`",
                    ));
                }
                let token_file = t
                    .token_file
                    .ok_or_else(|| cx.err(&key("telegram.token_file"), "is missing"))?;
                let chat_id = match t.chat_id {
                    Some(toml::Value::String(s)) if !s.trim().is_empty() => s,
                    Some(toml::Value::Integer(n)) => n.to_string(),
                    _ => {
                        return Err(cx.err(
                            &key("telegram.chat_id"),
                            "is missing (a number, or \"@channel\")",
                        ));
                    }
                };
                let api_url = cx.origin.http_url(
                    &key("telegram.api_url"),
                    t.api_url.as_deref().map_or(TELEGRAM_API, str::trim),
                )?;
                Some(Telegram {
                    api_url,
                    token_file: cx.file_path(&key("telegram.token_file"), &token_file)?,
                    chat_id,
                })
            }
            None => None,
        };
        if webhook.is_none() && telegram.is_none() {
            return Err(cx.err(
                &key("webhook"),
                "an alert needs somewhere to go: a `webhook`, a `telegram`, or both",
            ));
        }
        alerts.push(Alert {
            name: a.name,
            filter,
            min_agencies: a.min_agencies,
            webhook,
            secret_file,
            telegram,
        });
    }
    Ok(alerts)
}
