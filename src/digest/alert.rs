//! Alerts: a story that matches an `[[alert]]` is announced once, when it first matches, and
//! once more when it reaches `min_agencies` (when that is more than one), to a webhook (JSON,
//! signed with HMAC-SHA256 as GitHub signs its own) and/or a Telegram chat.
//!
//! `watch` follows the reports as they are stored (a cursor on report ids, kept in the
//! database) and claims each (alert, story, event) in the database before it queues it:
//! delivery is at-most-once, so a restart never alerts twice. Delivery runs apart: one task per
//! target, each with a bounded queue, one request at a time, retries with backoff, at most one
//! message a second to a Telegram chat. A full queue or a target that keeps failing is counted
//! in `/metrics` and shown on `/sources`; nothing of this ever waits on ingest or serving, or
//! they on it.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use hmac::{Hmac, Mac};
use serde::Serialize;
use sha2::Sha256;
use tokio::sync::{mpsc, watch};
use tokio_util::sync::CancellationToken;

use super::config::Alert;
use crate::archive::StoreError;
use crate::config::Config;
use crate::fetch::Poster;
use crate::metrics::Metrics;
use crate::model::Entry;
use crate::store::Db;

/// Reports looked at per pass.
const BATCH: usize = 2_000;
/// Alerts waiting per target; past it new ones are counted as lost.
const QUEUE: usize = 256;
/// Attempts per alert, and the first wait between them (doubling).
const ATTEMPTS: u32 = 5;
const FIRST_RETRY: Duration = Duration::from_secs(1);

#[derive(Debug, Clone, Serialize)]
pub struct Payload {
    pub alert: String,
    /// `new`: the story first matched; `agencies`: it reached `min_agencies`.
    pub event: &'static str,
    pub story: StoryJson,
    pub agencies: Vec<String>,
    pub reports: Vec<ReportJson>,
}

#[derive(Debug, Clone, Serialize)]
pub struct StoryJson {
    pub id: i64,
    pub guid: String,
    pub title: String,
    /// Its page on this server.
    pub url: String,
    pub topics: Vec<String>,
    pub published: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct ReportJson {
    pub source: String,
    pub agency: String,
    pub title: String,
    pub link: Option<String>,
    pub published: String,
}

fn rfc3339(ts: i64) -> String {
    chrono::DateTime::<Utc>::from_timestamp(ts, 0)
        .unwrap_or_default()
        .to_rfc3339()
}

/// The distinct sources of a story's reports, the lead's first.
fn sources_of(s: &Entry) -> Vec<&str> {
    let mut out = vec![s.source.as_str()];
    for o in &s.others {
        if !out.contains(&o.source.as_str()) {
            out.push(&o.source);
        }
    }
    out
}

/// Whether a story matches an alert's filter.
pub fn matches(cfg: &Config, a: &Alert, s: &Entry) -> bool {
    if let Some(names) = a.filter.source_names(&cfg.sources)
        && !sources_of(s)
            .iter()
            .any(|src| names.iter().any(|n| n == src))
    {
        return false;
    }
    a.filter.topics.is_empty() || s.topics.iter().any(|t| a.filter.topics.contains(t))
}

/// The events a story calls for now, given those already claimed: `new` at its first match,
/// `agencies` once it has `min_agencies` (only when that is more than one, and folded into
/// `new` when it has them at its first match).
pub fn due_events(a: &Alert, agencies: usize, claimed: &[String]) -> Vec<&'static str> {
    let reached = a.min_agencies > 1 && agencies >= a.min_agencies as usize;
    let has = |e: &str| claimed.iter().any(|c| c == e);
    if !has("new") {
        if reached {
            // One message, not two: it is new and already big.
            return vec!["new", "agencies"];
        }
        return vec!["new"];
    }
    if reached && !has("agencies") {
        return vec!["agencies"];
    }
    Vec::new()
}

pub fn payload(cfg: &Config, alert: &str, event: &'static str, s: &Entry) -> Payload {
    let agency = |n: &str| cfg.source(n).map_or(n, |s| s.title.as_str()).to_string();
    let lead = std::iter::once((&s.source, &s.title, &s.link, s.published));
    let others = s
        .others
        .iter()
        .map(|o| (&o.source, &o.title, &o.link, o.published));
    Payload {
        alert: alert.to_string(),
        event,
        story: StoryJson {
            id: s.story,
            guid: s.guid.clone(),
            title: s.title.clone(),
            url: format!("{}/stories/{}", cfg.server.base_url, s.story),
            topics: s.topics.clone(),
            published: rfc3339(s.published),
        },
        agencies: sources_of(s).into_iter().map(agency).collect(),
        reports: lead
            .chain(others)
            .map(|(src, title, link, published)| ReportJson {
                source: src.clone(),
                agency: agency(src),
                title: title.clone(),
                link: link.clone(),
                published: rfc3339(published),
            })
            .collect(),
    }
}

/// The Telegram message: the headline, the agencies, the link (HTML parse mode).
pub fn telegram_text(p: &Payload) -> String {
    let esc = |s: &str| html_escape::encode_text(s).into_owned();
    let n = p.agencies.len();
    let head = if p.event == "agencies" {
        format!(
            "Уже {n} {}: ",
            crate::text::plural(n as u64, ["агентство", "агентства", "агентств"])
        )
    } else {
        String::new()
    };
    format!(
        "<b>{}{}</b>\n{}\n{}",
        esc(&head),
        esc(&p.story.title),
        esc(&p.agencies.join(", ")),
        esc(&p.story.url)
    )
}

/// GitHub's form: `sha256=` and the hex HMAC-SHA256 of the body under the secret.
pub fn signature(secret: &[u8], body: &[u8]) -> String {
    let mut mac = match Hmac::<Sha256>::new_from_slice(secret) {
        Ok(m) => m,
        // HMAC takes a key of any length; this cannot fail.
        Err(_) => return String::new(),
    };
    mac.update(body);
    let bytes = mac.finalize().into_bytes();
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256={hex}")
}

/// Where one alert goes.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Dest {
    Webhook {
        url: url::Url,
        secret_file: Option<std::path::PathBuf>,
    },
    Telegram {
        api: url::Url,
        token_file: std::path::PathBuf,
        chat: String,
    },
}

struct Job {
    payload: Payload,
}

/// A target's worker: its queue and its name in `/metrics`.
struct Worker {
    tx: mpsc::Sender<Job>,
}

fn read_secret(path: &std::path::Path) -> Result<String, String> {
    std::fs::read_to_string(path)
        .map(|s| s.trim_end_matches(['\r', '\n']).to_string())
        .map_err(|e| format!("cannot read {}: {e}", path.display()))
}

async fn deliver(poster: &Poster, dest: &Dest, p: &Payload) -> Result<(), String> {
    match dest {
        Dest::Webhook { url, secret_file } => {
            let body = serde_json::to_vec(p).map_err(|e| e.to_string())?;
            let mut headers = vec![("x-svodka-event", p.event.to_string())];
            if let Some(f) = secret_file {
                let secret = read_secret(f)?;
                headers.push(("x-hub-signature-256", signature(secret.as_bytes(), &body)));
            }
            poster
                .post_json(url, body, &headers)
                .await
                .map(|_| ())
                .map_err(|e| e.to_string())
        }
        Dest::Telegram {
            api,
            token_file,
            chat,
        } => {
            let token = read_secret(token_file)?;
            let base = api.as_str().trim_end_matches('/');
            let url = url::Url::parse(&format!("{base}/bot{token}/sendMessage"))
                .map_err(|e| format!("bad Bot API URL: {e}"))?;
            let body = serde_json::json!({
                "chat_id": chat,
                "text": telegram_text(p),
                "parse_mode": "HTML",
                "disable_web_page_preview": true,
            });
            poster
                .post_json(&url, body.to_string().into_bytes(), &[])
                .await
                .map(|_| ())
                // The token is in the URL: errors name the chat, never the URL.
                .map_err(|e| format!("chat {chat}: {}", e.to_string().replace(&token, "…")))
        }
    }
}

fn spawn_worker(
    name: String,
    dest: Dest,
    poster: Arc<Poster>,
    metrics: Arc<Metrics>,
    shutdown: CancellationToken,
) -> Worker {
    let (tx, mut rx) = mpsc::channel::<Job>(QUEUE);
    let gap = match dest {
        // The Bot API allows about one message a second to one chat.
        Dest::Telegram { .. } => Duration::from_secs(1),
        Dest::Webhook { .. } => Duration::ZERO,
    };
    tokio::spawn(async move {
        while let Some(job) = tokio::select! {
            () = shutdown.cancelled() => None,
            j = rx.recv() => j,
        } {
            let mut wait = FIRST_RETRY;
            for attempt in 1..=ATTEMPTS {
                let outcome = deliver(&poster, &dest, &job.payload).await;
                let ok = outcome.is_ok();
                if let Err(e) = &outcome {
                    tracing::warn!(
                        "alert {}: story {} not delivered (attempt {attempt} of {ATTEMPTS}): {e}",
                        name,
                        job.payload.story.id
                    );
                }
                metrics.target(&name, outcome.clone());
                if ok {
                    tracing::info!("alert {}: story {} delivered", name, job.payload.story.id);
                    break;
                }
                if attempt == ATTEMPTS {
                    metrics.target_lost(&name, "every retry failed");
                    break;
                }
                tokio::select! {
                    () = shutdown.cancelled() => return,
                    () = tokio::time::sleep(wait) => {}
                }
                wait *= 2;
            }
            if !gap.is_zero() {
                tokio::time::sleep(gap).await;
            }
        }
    });
    Worker { tx }
}

/// The daemon's alert task: follows stored reports, claims and queues alerts, until
/// `shutdown`.
pub async fn watch(
    db: Db,
    mut config: watch::Receiver<Arc<Config>>,
    metrics: Arc<Metrics>,
    shutdown: CancellationToken,
) {
    let mut workers: HashMap<(String, Dest), Worker> = HashMap::new();
    let mut poster: Option<Arc<Poster>> = None;
    let mut seen_version = None;
    loop {
        let cfg = config.borrow_and_update().clone();
        let version = db.version();
        if !cfg.delivery.alerts.is_empty() && seen_version != Some(version) {
            seen_version = Some(version);
            if poster.is_none() {
                match Poster::new(&cfg.fetch.user_agent, Duration::from_secs(15)) {
                    Ok(p) => poster = Some(Arc::new(p)),
                    Err(e) => tracing::error!("alerts: cannot start the HTTP client: {e:#}"),
                }
            }
            if let Some(poster) = &poster {
                pass(&db, &cfg, &metrics, poster, &mut workers, &shutdown).await;
            }
        }
        tokio::select! {
            () = shutdown.cancelled() => return,
            changed = config.changed() => if changed.is_err() { return },
            () = tokio::time::sleep(Duration::from_millis(500)) => {}
        }
    }
}

/// An alert's `query`, parsed.
enum Search {
    None,
    Query(crate::search::Query),
    /// Checked with the config, yet no longer parses: it finds nothing (and the log says so).
    Broken,
}

fn searches(cfg: &Config) -> Vec<Search> {
    let lem = crate::search::Lemmatizer::new();
    cfg.delivery
        .alerts
        .iter()
        .map(|a| {
            let Some(q) = a.filter.query.as_deref() else {
                return Search::None;
            };
            match crate::search::Query::parse(q, cfg, &lem) {
                Ok(query) => Search::Query(query),
                Err(e) => {
                    tracing::warn!("alert {}: its query {q:?} no longer parses: {e}", a.name);
                    Search::Broken
                }
            }
        })
        .collect()
}

/// Looks at the reports stored since the cursor and queues what they call for.
async fn pass(
    db: &Db,
    cfg: &Arc<Config>,
    metrics: &Arc<Metrics>,
    poster: &Arc<Poster>,
    workers: &mut HashMap<(String, Dest), Worker>,
    shutdown: &CancellationToken,
) {
    loop {
        let cursor = match db.call(|c| crate::store::alert_cursor(c)).await {
            Ok(Ok(c)) => c,
            other => {
                tracing::error!("alerts: cannot read the cursor: {other:?}");
                return;
            }
        };
        let searches = searches(cfg);
        let found = db
            .read(move |c| {
                let (ids, last) = crate::store::stories_after(c, cursor, BATCH)?;
                let mut stories = Vec::new();
                for id in ids {
                    if let Some(s) = crate::store::story(c, id)? {
                        // Which alerts' searches find it (`None`: an alert without one).
                        let mut found = Vec::with_capacity(searches.len());
                        for q in &searches {
                            found.push(match q {
                                Search::None => true,
                                Search::Query(q) => crate::search::finds_story(c, q, s.story)?,
                                Search::Broken => false,
                            });
                        }
                        stories.push((s, found));
                    }
                }
                Ok::<_, crate::archive::StoreError>((stories, last))
            })
            .await;
        let (stories, last) = match found {
            Ok(Ok(f)) => f,
            other => {
                tracing::error!("alerts: cannot read new stories: {other:?}");
                return;
            }
        };
        if last == cursor {
            return;
        }
        let mut queued = Vec::new();
        for (s, found) in &stories {
            let alerts = cfg.delivery.alerts.iter().zip(found);
            for a in alerts
                .filter(|(a, f)| **f && matches(cfg, a, s))
                .map(|(a, _)| a)
            {
                let agencies = sources_of(s).len();
                let (name, id, c2) = (a.name.clone(), s.story, a.clone());
                let now = Utc::now().timestamp();
                let claimed = db
                    .call(move |c| {
                        let before = crate::store::alert_events(c, &name, id)?;
                        let due = due_events(&c2, agencies, &before);
                        let mut got = Vec::new();
                        for e in due {
                            if crate::store::claim_alert(c, &name, id, e, now)? {
                                got.push(e);
                            }
                        }
                        Ok::<_, StoreError>(got)
                    })
                    .await;
                let events = match claimed {
                    Ok(Ok(e)) => e,
                    other => {
                        tracing::error!("alert {}: cannot claim: {other:?}", a.name);
                        continue;
                    }
                };
                // `new` and `agencies` together are one message.
                let Some(event) = events.first().copied() else {
                    continue;
                };
                queued.push((a.clone(), payload(cfg, &a.name, event, s)));
            }
        }
        for (a, p) in queued {
            let mut dests = Vec::new();
            if let Some(url) = &a.webhook {
                dests.push((
                    format!("{}/webhook", a.name),
                    Dest::Webhook {
                        url: url.clone(),
                        secret_file: a.secret_file.clone(),
                    },
                ));
            }
            if let Some(t) = &a.telegram {
                dests.push((
                    format!("{}/telegram", a.name),
                    Dest::Telegram {
                        api: t.api_url.clone(),
                        token_file: t.token_file.clone(),
                        chat: t.chat_id.clone(),
                    },
                ));
            }
            for (name, dest) in dests {
                let w = workers
                    .entry((name.clone(), dest.clone()))
                    .or_insert_with(|| {
                        spawn_worker(
                            name.clone(),
                            dest,
                            poster.clone(),
                            metrics.clone(),
                            shutdown.clone(),
                        )
                    });
                if w.tx.try_send(Job { payload: p.clone() }).is_err() {
                    tracing::warn!("alert {name}: queue full, story {} left out", p.story.id);
                    metrics.target_lost(&name, "queue full");
                }
            }
        }
        let _ = db
            .call(move |c| crate::store::set_alert_cursor(c, last))
            .await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alert(min: u32) -> Alert {
        Alert {
            name: "fires".into(),
            filter: super::super::config::Filter {
                topics: vec!["fire".into()],
                ..Default::default()
            },
            min_agencies: min,
            webhook: None,
            secret_file: None,
            telegram: None,
        }
    }

    #[test]
    fn a_story_is_alerted_once_then_once_more_when_it_reaches_min_agencies() {
        let a = alert(3);
        assert_eq!(due_events(&a, 1, &[]), ["new"]);
        let new = vec!["new".to_string()];
        assert!(due_events(&a, 2, &new).is_empty());
        assert_eq!(due_events(&a, 3, &new), ["agencies"]);
        let both = vec!["new".to_string(), "agencies".to_string()];
        assert!(due_events(&a, 5, &both).is_empty());
        // Big at its first match: one message.
        assert_eq!(due_events(&a, 4, &[]), ["new", "agencies"]);
        // min_agencies = 1: every new story, once.
        assert_eq!(due_events(&alert(1), 7, &[]), ["new"]);
        assert!(due_events(&alert(1), 9, &new).is_empty());
    }

    #[test]
    fn the_signature_is_githubs() {
        // GitHub's documented example: secret "It's a Secret to Everybody", body "Hello, World!".
        assert_eq!(
            signature(b"It's a Secret to Everybody", b"Hello, World!"),
            "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
        );
    }
}
