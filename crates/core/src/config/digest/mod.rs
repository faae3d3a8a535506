//! `[[digest]]`, `[[alert]]` (`alert.rs`) and `[smtp]` (`smtp.rs`): raw serde structs and
//! their validation, together because they deliver news and share the filter a digest and an
//! alert watch by.

mod alert;
mod smtp;

pub(crate) use self::alert::RawAlert;
pub use self::alert::{Alert, Telegram};
pub(crate) use self::smtp::RawSmtp;
pub use self::smtp::{Password, Security, Smtp, check_address};

use std::collections::HashSet;
use std::path::PathBuf;

use serde::Deserialize;

use crate::config::{ConfigError, Origin, Source, Topic, check_names};
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

/// The stories an edition lists unless `stories` says otherwise.
const DEFAULT_STORIES: usize = 15;

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
    DEFAULT_STORIES
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
    pub origin: &'a Origin<'a>,
    pub sources: &'a [Source],
    pub topics: &'a [Topic],
}

impl Ctx<'_> {
    fn err(&self, key: &str, reason: impl Into<String>) -> ConfigError {
        self.origin.err(key, reason)
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
        check_names(
            self.origin,
            key,
            self.sources,
            self.topics,
            &sources,
            &regions,
            &topics,
        )?;
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
        self.origin.path(key, p)
    }
}

/// `[smtp]` first, since a digest with addresses needs it, then the digests and the alerts.
pub(crate) fn validate(
    cx: &Ctx,
    smtp: Option<RawSmtp>,
    digests: Vec<RawDigest>,
    alerts: Vec<RawAlert>,
) -> Result<Delivery, ConfigError> {
    let smtp = smtp.map(|s| smtp::parse(cx, s)).transpose()?;
    let digests = parse_digests(cx, digests, smtp.as_ref())?;
    let alerts = alert::parse(cx, alerts)?;
    Ok(Delivery {
        smtp,
        digests,
        alerts,
    })
}

/// Each digest's name is a unique slug, its cron and filter valid, and its addresses real
/// ones with an `[smtp]` to send through.
fn parse_digests(
    cx: &Ctx,
    raw: Vec<RawDigest>,
    smtp: Option<&Smtp>,
) -> Result<Vec<Digest>, ConfigError> {
    let mut digests = Vec::new();
    let mut seen = HashSet::new();
    for (i, d) in raw.into_iter().enumerate() {
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
        if !d.to.is_empty() && smtp.is_none() {
            return Err(cx.err(
                &key("to"),
                "addresses given but no [smtp] section to send through",
            ));
        }
        digests.push(Digest {
            title: d.title.unwrap_or_else(|| d.name.clone()),
            name: d.name,
            cron,
            period,
            filter,
            stories: d.stories,
            to: d.to,
        });
    }
    Ok(digests)
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
