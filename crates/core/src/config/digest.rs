//! `[[digest]]`, `[[alert]]` and `[smtp]`: raw serde structs and their validation, apart from
//! `config.rs` so the sections that deliver news stay together.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use url::Url;

use crate::config::{ConfigError, Source, Topic};
use crate::schedule::Schedule;

/// What a digest or an alert watches. `sources` and `regions` widen each other, as a feed's
/// do; `topics` and `query` (a search, checked with the rest of the config) narrow. `all` says
/// that matching everything is meant.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    pub sources: Vec<String>,
    pub regions: Vec<String>,
    pub topics: Vec<String>,
    pub query: Option<String>,
    pub all: bool,
}

impl Filter {
    /// The sources it names (`None`: every source), regions resolved against the config.
    pub fn source_names(&self, sources: &[Source]) -> Option<Vec<String>> {
        if self.sources.is_empty() && self.regions.is_empty() {
            return None;
        }
        Some(
            sources
                .iter()
                .filter(|s| {
                    self.sources.contains(&s.name)
                        || s.region.as_ref().is_some_and(|r| self.regions.contains(r))
                })
                .map(|s| s.name.clone())
                .collect(),
        )
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Period {
    Day,
    Week,
}

impl Period {
    pub fn seconds(self) -> i64 {
        match self {
            Period::Day => 86_400,
            Period::Week => 7 * 86_400,
        }
    }

    pub fn trending(self) -> crate::model::Period {
        match self {
            Period::Day => crate::model::Period::Day,
            Period::Week => crate::model::Period::Week,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Digest {
    pub name: String,
    pub title: String,
    pub cron: Schedule,
    pub period: Period,
    pub filter: Filter,
    pub stories: usize,
    /// Email addresses, checked; empty when the digest is only published.
    pub to: Vec<String>,
}

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

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Security {
    /// Plain SMTP upgraded with STARTTLS (port 587).
    StartTls,
    /// TLS from the first byte (port 465).
    Tls,
    /// Neither: only for a relay on the same machine.
    None,
}

#[derive(Debug, Clone)]
pub enum Password {
    File(PathBuf),
    Env(String),
}

#[derive(Debug, Clone)]
pub struct Smtp {
    pub host: String,
    pub port: u16,
    pub security: Security,
    pub user: Option<String>,
    pub password: Option<Password>,
    pub from: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawDigest {
    name: String,
    title: Option<String>,
    cron: String,
    #[serde(default)]
    period: Option<String>,
    #[serde(default)]
    sources: Vec<String>,
    #[serde(default)]
    regions: Vec<String>,
    #[serde(default)]
    topics: Vec<String>,
    query: Option<String>,
    #[serde(default)]
    all: bool,
    #[serde(default = "default_stories")]
    stories: usize,
    #[serde(default)]
    to: Vec<String>,
}

fn default_stories() -> usize {
    15
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawTelegram {
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
    #[serde(default = "one")]
    min_agencies: u32,
    webhook: Option<String>,
    secret_file: Option<String>,
    /// Refused with a reason, like a token.
    secret: Option<toml::Value>,
    telegram: Option<RawTelegram>,
}

fn one() -> u32 {
    1
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawSmtp {
    host: String,
    port: Option<u16>,
    #[serde(default)]
    starttls: Option<bool>,
    #[serde(default)]
    tls: Option<bool>,
    user: Option<String>,
    password_file: Option<String>,
    password_env: Option<String>,
    /// Refused with a reason: a password belongs in a file or the environment.
    password: Option<toml::Value>,
    from: String,
}

/// Everything these sections became.
#[derive(Debug, Clone, Default)]
pub struct Delivery {
    pub smtp: Option<Smtp>,
    pub digests: Vec<Digest>,
    pub alerts: Vec<Alert>,
}

/// What validation needs from the rest of the config.
pub(crate) struct Ctx<'a> {
    pub file: &'a Path,
    pub base_dir: &'a Path,
    pub sources: &'a [Source],
    pub topics: &'a [Topic],
}

impl Ctx<'_> {
    fn err(&self, key: &str, reason: impl Into<String>) -> ConfigError {
        ConfigError {
            file: self.file.to_path_buf(),
            key: key.to_string(),
            reason: reason.into(),
        }
    }

    fn filter(
        &self,
        key: &dyn Fn(&str) -> String,
        sources: Vec<String>,
        regions: Vec<String>,
        topics: Vec<String>,
        query: Option<String>,
        all: bool,
    ) -> Result<Filter, ConfigError> {
        for s in &sources {
            if !self.sources.iter().any(|src| &src.name == s) {
                return Err(self.err(&key("sources"), format!("unknown source {s:?}")));
            }
        }
        for r in &regions {
            if !self
                .sources
                .iter()
                .any(|s| s.region.as_deref() == Some(r.as_str()))
            {
                return Err(self.err(&key("regions"), format!("no source has region {r:?}")));
            }
        }
        for t in &topics {
            if !self.topics.iter().any(|tp| &tp.name == t) {
                return Err(self.err(&key("topics"), format!("unknown topic {t:?}")));
            }
        }
        if query.as_deref().is_some_and(|q| q.trim().is_empty()) {
            return Err(self.err(&key("query"), "is empty"));
        }
        let empty =
            sources.is_empty() && regions.is_empty() && topics.is_empty() && query.is_none();
        if empty && !all {
            return Err(self.err(
                &key("topics"),
                "no filter: it would match every story; name sources, regions, topics or a \
                 query, or say `all = true`",
            ));
        }
        if !empty && all {
            return Err(self.err(&key("all"), "`all = true` with a filter: choose one"));
        }
        Ok(Filter {
            sources,
            regions,
            topics,
            query,
            all,
        })
    }

    fn file_path(&self, key: &str, p: &str) -> Result<PathBuf, ConfigError> {
        if p.trim().is_empty() {
            return Err(self.err(key, "is empty"));
        }
        Ok(self.base_dir.join(p))
    }
}

pub(crate) fn validate(
    cx: &Ctx,
    smtp: Option<RawSmtp>,
    digests: Vec<RawDigest>,
    alerts: Vec<RawAlert>,
) -> Result<Delivery, ConfigError> {
    let smtp = smtp.map(|s| validate_smtp(cx, s)).transpose()?;
    let mut out = Delivery {
        smtp,
        ..Delivery::default()
    };
    let mut seen = HashSet::new();
    for (i, d) in digests.into_iter().enumerate() {
        let key = |k: &str| format!("digest[{i}].{k}");
        crate::config::check_slug(&d.name).map_err(|r| cx.err(&key("name"), r))?;
        if !seen.insert(d.name.clone()) {
            return Err(cx.err(&key("name"), format!("duplicate digest name {:?}", d.name)));
        }
        let cron = Schedule::parse(&d.cron).map_err(|e| cx.err(&key("cron"), e))?;
        let period = match d.period.as_deref() {
            None | Some("day") => Period::Day,
            Some("week") => Period::Week,
            Some(other) => {
                return Err(cx.err(
                    &key("period"),
                    format!("must be \"day\" or \"week\", not {other:?}"),
                ));
            }
        };
        if !(1..=200).contains(&d.stories) {
            return Err(cx.err(&key("stories"), "must be between 1 and 200"));
        }
        let filter = cx.filter(&key, d.sources, d.regions, d.topics, d.query, d.all)?;
        for a in &d.to {
            check_address(a).map_err(|r| cx.err(&key("to"), r))?;
        }
        if !d.to.is_empty() && out.smtp.is_none() {
            return Err(cx.err(
                &key("to"),
                "addresses given but no [smtp] section to send through",
            ));
        }
        out.digests.push(Digest {
            title: d.title.unwrap_or_else(|| d.name.clone()),
            name: d.name,
            cron,
            period,
            filter,
            stories: d.stories,
            to: d.to,
        });
    }
    let mut seen = HashSet::new();
    for (i, a) in alerts.into_iter().enumerate() {
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
            Some(u) => {
                let url = Url::parse(u.trim())
                    .map_err(|e| cx.err(&key("webhook"), format!("not a URL: {e}")))?;
                if !matches!(url.scheme(), "http" | "https") {
                    return Err(cx.err(&key("webhook"), "must be an http(s) URL"));
                }
                Some(url)
            }
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
                let api_url = match t.api_url.as_deref() {
                    None => Url::parse("https://api.telegram.org")
                        .map_err(|e| cx.err(&key("telegram.api_url"), format!("not a URL: {e}")))?,
                    Some(u) => {
                        let url = Url::parse(u.trim()).map_err(|e| {
                            cx.err(&key("telegram.api_url"), format!("not a URL: {e}"))
                        })?;
                        if !matches!(url.scheme(), "http" | "https") {
                            return Err(cx.err(&key("telegram.api_url"), "must be an http(s) URL"));
                        }
                        url
                    }
                };
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
        out.alerts.push(Alert {
            name: a.name,
            filter,
            min_agencies: a.min_agencies,
            webhook,
            secret_file,
            telegram,
        });
    }
    Ok(out)
}

fn validate_smtp(cx: &Ctx, s: RawSmtp) -> Result<Smtp, ConfigError> {
    if s.password.is_some() {
        return Err(cx.err(
            "smtp.password",
            "a password is not written in the config: use `password_file` or `password_env`",
        ));
    }
    if s.host.trim().is_empty() || s.host.contains(char::is_whitespace) {
        return Err(cx.err("smtp.host", "must be a host name or address"));
    }
    let security = match (s.starttls, s.tls) {
        (Some(true), Some(true)) => {
            return Err(cx.err("smtp.tls", "`tls` and `starttls` both set: choose one"));
        }
        (_, Some(true)) => Security::Tls,
        (Some(false), _) => Security::None,
        _ => Security::StartTls,
    };
    let port = s.port.unwrap_or(match security {
        Security::Tls => 465,
        Security::StartTls => 587,
        Security::None => 25,
    });
    if port == 0 {
        return Err(cx.err("smtp.port", "must be between 1 and 65535"));
    }
    let password = match (s.password_file, s.password_env) {
        (Some(_), Some(_)) => {
            return Err(cx.err(
                "smtp.password_env",
                "`password_file` and `password_env` both set: choose one",
            ));
        }
        (Some(f), None) => Some(Password::File(cx.file_path("smtp.password_file", &f)?)),
        (None, Some(e)) if e.trim().is_empty() => {
            return Err(cx.err("smtp.password_env", "is empty"));
        }
        (None, Some(e)) => Some(Password::Env(e)),
        (None, None) => None,
    };
    if password.is_some() && s.user.is_none() {
        return Err(cx.err("smtp.user", "a password is given but no user"));
    }
    check_address(&s.from).map_err(|r| cx.err("smtp.from", r))?;
    Ok(Smtp {
        host: s.host,
        port,
        security,
        user: s.user,
        password,
        from: s.from,
    })
}

/// An address as mail servers accept it: `local@domain`, or `Name <local@domain>`.
pub fn check_address(a: &str) -> Result<(), String> {
    a.parse::<lettre::message::Mailbox>()
        .map(|_| ())
        .map_err(|e| format!("{a:?} is not an email address: {e}"))
}

#[cfg(test)]
mod tests {
    use crate::config::Config;
    use std::path::Path;

    const BASE: &str = "[[source]]\nname = \"vesti\"\nurl = \"https://vesti.example/rss\"\nregion = \"lipetsk\"\n\n[[topic]]\nname = \"fire\"\nkeywords = [\"пожар\"]\n\n";
    const SMTP: &str = "[smtp]\nhost = \"smtp.example.org\"\nuser = \"svodka\"\npassword_file = \"smtp.secret\"\nfrom = \"Сводка <svodka@example.org>\"\n\n";

    fn parse(extra: &str) -> Result<Config, String> {
        Config::parse(
            &format!("{BASE}{extra}"),
            Path::new("/etc/svodka/svodka.toml"),
        )
        .map_err(|e| e.to_string())
    }

    fn refused(extra: &str, key: &str, why: &str) {
        let e = parse(extra).unwrap_err();
        assert!(
            e.contains(key) && e.contains(why),
            "{e:?} should name {key:?}: {why:?}"
        );
    }

    #[test]
    fn a_digest_and_an_alert_are_read_with_their_defaults() {
        let c = parse(&format!(
            "{SMTP}[[digest]]\nname = \"morning\"\ncron = \"0 8 * * *\"\nregions = [\"lipetsk\"]\nto = [\"press@example.org\"]\n\n[[alert]]\nname = \"fires\"\ntopics = [\"fire\"]\nmin_agencies = 2\nwebhook = \"https://hooks.example/x\"\nsecret_file = \"hook.secret\"\ntelegram = {{ token_file = \"bot.token\", chat_id = -100123 }}\n"
        ))
        .unwrap();
        let d = &c.delivery.digests[0];
        assert_eq!((d.stories, d.period), (15, super::Period::Day));
        assert_eq!(d.title, "morning");
        let smtp = c.delivery.smtp.as_ref().unwrap();
        assert_eq!((smtp.port, smtp.security), (587, super::Security::StartTls));
        let a = &c.delivery.alerts[0];
        assert_eq!(a.telegram.as_ref().unwrap().chat_id, "-100123");
        assert_eq!(
            a.secret_file.as_deref(),
            Some(Path::new("/etc/svodka/hook.secret"))
        );
    }

    #[test]
    fn bad_digests_alerts_and_smtp_are_refused_at_check() {
        refused(
            "[[digest]]\nname = \"m\"\ncron = \"0 8 * * *\"\n",
            "digest[0].topics",
            "no filter",
        );
        refused(
            "[[digest]]\nname = \"m\"\ncron = \"0 8 * * *\"\nall = true\nfrequency = 1\n",
            "frequency",
            "unknown field",
        );
        refused(
            &format!(
                "{SMTP}[[digest]]\nname = \"m\"\ncron = \"0 8 * * *\"\nall = true\nto = [\"press at example\"]\n"
            ),
            "digest[0].to",
            "not an email address",
        );
        refused(
            "[[digest]]\nname = \"m\"\ncron = \"0 8 * * *\"\nall = true\nto = [\"a@example.org\"]\n",
            "digest[0].to",
            "no [smtp]",
        );
        refused(
            "[[digest]]\nname = \"m\"\ncron = \"0 8 * *\"\nall = true\n",
            "digest[0].cron",
            "cron",
        );
        refused(
            "[[digest]]\nname = \"m\"\ncron = \"0 8 * * *\"\nperiod = \"month\"\nall = true\n",
            "digest[0].period",
            "\"day\" or \"week\"",
        );
        refused(
            &SMTP.replace("password_file = \"smtp.secret\"", "password = \"hunter2\""),
            "smtp.password",
            "not written in the config",
        );
        refused(
            &SMTP.replace("Сводка <svodka@example.org>", "svodka"),
            "smtp.from",
            "not an email address",
        );
        refused(
            "[[alert]]\nname = \"f\"\ntopics = [\"fire\"]\ntelegram = { token = \"123:abc\", chat_id = 1 }\n",
            "alert[0].telegram.token",
            "token_file",
        );
        refused(
            "[[alert]]\nname = \"f\"\nwebhook = \"https://hooks.example/x\"\n",
            "alert[0].topics",
            "no filter",
        );
        refused(
            "[[alert]]\nname = \"f\"\ntopics = [\"fire\"]\nwebhook = \"hooks.example\"\n",
            "alert[0].webhook",
            "not a URL",
        );
        refused(
            "[[alert]]\nname = \"f\"\ntopics = [\"fire\"]\n",
            "alert[0].webhook",
            "somewhere to go",
        );
        refused(
            "[[alert]]\nname = \"f\"\ntopics = [\"flood\"]\nwebhook = \"https://h.example/\"\n",
            "alert[0].topics",
            "unknown topic",
        );
    }
}
