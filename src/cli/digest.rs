//! `svodka digest` and `svodka digests`: an edition printed, and each digest's editions and mail
//! queue listed.

use std::path::Path;

use anyhow::{Context, anyhow};
use chrono::Utc;

use super::{Result, load, open_db, when};
use crate::store;

/// `svodka digest NAME`: an edition (the newest, or that of `--date`) in html, text or md.
/// Before the first edition is made, a preview of the period up to now (not stored).
pub fn digest(path: &Path, name: &str, date: Option<&str>, format: &str) -> Result<()> {
    let cfg = load(path)?;
    let Some(d) = cfg.digest(name) else {
        let known: Vec<&str> = cfg
            .delivery
            .digests
            .iter()
            .map(|d| d.name.as_str())
            .collect();
        return Err(anyhow!(
            "no digest named {name:?} (configured: {})",
            if known.is_empty() {
                "none".to_string()
            } else {
                known.join(", ")
            }
        )
        .into());
    };
    let conn = open_db(&cfg)?;
    let stored = match date {
        Some(day) => store::edition(&conn, name, day).context("cannot read the editions")?,
        None => store::editions(&conn, name, 1)
            .context("cannot read the editions")?
            .into_iter()
            .next(),
    };
    let edition = match (stored, date) {
        (Some(row), _) => crate::digest::from_row(&row)
            .ok_or_else(|| anyhow!("edition {} cannot be read", row.key))?,
        (None, Some(day)) => {
            let known: Vec<String> = store::editions(&conn, name, 10)
                .context("cannot read the editions")?
                .into_iter()
                .map(|r| r.key)
                .collect();
            return Err(anyhow!(
                "digest {name:?} has no edition of {day:?} (latest: {})",
                if known.is_empty() {
                    "none yet".to_string()
                } else {
                    known.join(", ")
                }
            )
            .into());
        }
        (None, None) => {
            eprintln!("svodka: no edition of {name:?} made yet; a preview of the period up to now");
            let now = Utc::now();
            let plan = crate::digest::Plan {
                tick: now,
                since: now.timestamp() - d.period.seconds(),
                until: now.timestamp(),
                missed: 0,
                late: false,
            };
            crate::digest::gather(&cfg, &conn, d, &plan, now).context("cannot read the stories")?
        }
    };
    let (base, tz) = (&cfg.server.base_url, cfg.server.timezone);
    let text = match format {
        "html" => crate::digest::render::document(tz, &edition, base),
        "md" => crate::digest::render::markdown(tz, &edition, base),
        _ => crate::digest::render::text(tz, &edition, base),
    };
    out!("{text}");
    Ok(())
}

/// `svodka digests`: each digest with its editions and what is waiting to be mailed.
pub fn digests(path: &Path) -> Result<()> {
    let cfg = load(path)?;
    let conn = open_db(&cfg)?;
    if cfg.delivery.digests.is_empty() {
        outln!("no [[digest]] configured");
    }
    for d in &cfg.delivery.digests {
        let rows =
            store::editions(&conn, &d.name, usize::MAX).context("cannot read the editions")?;
        let next = d.cron.next_after(Utc::now()).map(|t| t.timestamp());
        outln!(
            "{}  {:?}  editions {}  last {}  next {}",
            d.name,
            d.cron.as_str(),
            rows.len(),
            rows.first().map_or("-".to_string(), |r| r.key.clone()),
            when(next, cfg.server.timezone)
        );
        for r in rows
            .iter()
            .filter(|r| r.mail_to.is_some() && r.sent.is_none())
        {
            outln!(
                "  unsent {}: {} attempts{}",
                r.key,
                r.attempts,
                r.error
                    .as_deref()
                    .map(|e| format!(", last error: {e}"))
                    .unwrap_or_default()
            );
        }
        if let Some(r) = rows.iter().find(|r| r.sent.is_some()) {
            outln!(
                "  last mailed {} at {}",
                r.key,
                when(r.sent, cfg.server.timezone)
            );
        }
    }
    Ok(())
}
