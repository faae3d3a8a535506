//! Mailing editions through `[smtp]`: multipart (plain text and HTML), a Russian subject
//! encoded as RFC 2047 asks, a `List-Unsubscribe` header. The daemon's mailer task sends each
//! stored edition that is to be mailed and was not; a failure is recorded on the edition and
//! retried with backoff. Delivery is at-least-once: an unreachable server delays mail but loses
//! none, and a restart never mails an edition already marked sent.

use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result, anyhow};
use chrono::Utc;
use lettre::message::header::{
    ContentTransferEncoding, ContentType, Header, HeaderName, HeaderValue,
};
use lettre::message::{Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use tokio::sync::{Notify, watch};
use tokio_util::sync::CancellationToken;

use super::config::{Password, Security, Smtp};
use super::{Edition, render};
use crate::config::Config;
use crate::metrics::Metrics;
use crate::store::Db;

/// `List-Unsubscribe` (RFC 2369): where a recipient asks to be taken off.
#[derive(Debug, Clone)]
struct ListUnsubscribe(String);

impl Header for ListUnsubscribe {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("List-Unsubscribe")
    }

    fn parse(s: &str) -> std::result::Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(ListUnsubscribe(s.to_string()))
    }

    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), self.0.clone())
    }
}

/// The mail of one edition to `to` (one address a line).
pub fn message(cfg: &Config, smtp: &Smtp, e: &Edition, to: &str) -> Result<Message> {
    let (base, tz) = (cfg.server.base_url.as_str(), cfg.server.timezone);
    let from: Mailbox = smtp.from.parse().context("smtp.from")?;
    let mut b = Message::builder()
        .from(from.clone())
        .subject(render::headline(tz, e))
        .header(ListUnsubscribe(format!(
            "<mailto:{}?subject=unsubscribe%20{}>, <{base}/digests/{}>",
            from.email, e.digest, e.digest
        )));
    for a in to.lines().filter(|l| !l.trim().is_empty()) {
        b = b.to(a.parse().with_context(|| format!("address {a:?}"))?);
    }
    // Base64 both parts: long Cyrillic lines pass any relay unchanged.
    let plain = SinglePart::builder()
        .header(ContentType::TEXT_PLAIN)
        .header(ContentTransferEncoding::Base64)
        .body(render::text(tz, e, base));
    let html = SinglePart::builder()
        .header(ContentType::TEXT_HTML)
        .header(ContentTransferEncoding::Base64)
        .body(render::document(tz, e, base));
    b.multipart(MultiPart::alternative().singlepart(plain).singlepart(html))
        .context("cannot build the mail")
}

fn password(p: &Password) -> Result<String> {
    let raw = match p {
        Password::File(f) => std::fs::read_to_string(f)
            .with_context(|| format!("cannot read smtp.password_file {}", f.display()))?,
        Password::Env(v) => {
            std::env::var(v).map_err(|_| anyhow!("smtp.password_env: ${v} is not set"))?
        }
    };
    Ok(raw.trim_end_matches(['\r', '\n']).to_string())
}

fn transport(smtp: &Smtp) -> Result<AsyncSmtpTransport<Tokio1Executor>> {
    let b = match smtp.security {
        Security::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(&smtp.host)?,
        Security::StartTls => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&smtp.host)?,
        Security::None => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&smtp.host),
    };
    let mut b = b.port(smtp.port).timeout(Some(Duration::from_secs(30)));
    if let (Some(user), Some(p)) = (&smtp.user, &smtp.password) {
        b = b.credentials(Credentials::new(user.clone(), password(p)?));
    }
    Ok(b.build())
}

/// Sends one mail.
pub async fn send(smtp: &Smtp, m: Message) -> Result<()> {
    transport(smtp)?
        .send(m)
        .await
        .map(|_| ())
        .map_err(|e| anyhow!("{}: {e}", smtp.host))
}

/// The wait before the next attempt after `attempts` failed ones: 5 s, 10 s, 20 s … an hour.
pub fn backoff(attempts: u32) -> Duration {
    Duration::from_secs(5u64 << attempts.saturating_sub(1).min(10)).min(Duration::from_secs(3600))
}

/// Mails the editions that are to be mailed, until `shutdown`; `wake` says a new one is stored.
pub async fn mailer(
    db: Db,
    mut config: watch::Receiver<Arc<Config>>,
    metrics: Arc<Metrics>,
    wake: Arc<Notify>,
    shutdown: CancellationToken,
) {
    loop {
        let cfg = config.borrow_and_update().clone();
        let mut next: Option<i64> = None;
        if let Some(smtp) = &cfg.delivery.smtp {
            let unsent = match db.read(|c| crate::store::unsent(c)).await {
                Ok(Ok(u)) => u,
                _ => Vec::new(),
            };
            for u in unsent {
                let now = Utc::now().timestamp();
                if let Some(t) = u.next_try.filter(|t| *t > now) {
                    next = Some(next.map_or(t, |n| n.min(t)));
                    continue;
                }
                let (name, tick) = (u.digest.clone(), u.tick);
                let row = match db
                    .read(move |c| crate::store::edition_at(c, &name, tick))
                    .await
                {
                    Ok(Ok(Some(r))) => r,
                    _ => continue,
                };
                let (Some(e), Some(to)) = (super::from_row(&row), row.mail_to.as_deref()) else {
                    continue;
                };
                let sent = match message(&cfg, smtp, &e, to) {
                    Ok(m) => send(smtp, m).await,
                    Err(e) => Err(e),
                };
                metrics.mailed(sent.is_ok());
                let (name, now) = (u.digest.clone(), Utc::now().timestamp());
                match sent {
                    Ok(()) => {
                        tracing::info!("digest {}: edition {} mailed", u.digest, e.key);
                        let _ = db
                            .call(move |c| crate::store::mark_sent(c, &name, tick, now))
                            .await;
                    }
                    Err(err) => {
                        let wait = backoff(u.attempts + 1).as_secs() as i64;
                        let text = format!("{err:#}");
                        tracing::warn!(
                            "digest {}: edition {} not mailed (attempt {}), again in {wait} s: {text}",
                            u.digest,
                            e.key,
                            u.attempts + 1
                        );
                        let _ = db
                            .call(move |c| {
                                crate::store::mark_failed(c, &name, tick, &text, now + wait)
                            })
                            .await;
                        next = Some(next.map_or(now + wait, |n| n.min(now + wait)));
                    }
                }
            }
        }
        let wait = next.map_or(Duration::from_secs(3600), |t| {
            Duration::from_secs((t - Utc::now().timestamp()).max(0) as u64)
        });
        tokio::select! {
            () = shutdown.cancelled() => return,
            () = wake.notified() => {}
            changed = config.changed() => if changed.is_err() { return },
            () = tokio::time::sleep(wait) => {}
        }
    }
}
