//! `svodka demo`: the bundled sample agencies served on loopback, and a config that points the
//! whole daemon at them, so a newcomer sees merged feeds at once.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use axum::Router;
use axum::http::header;
use axum::routing::get;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

/// The sample feeds: file name, bytes, Content-Type as the agency's server sends it.
pub const FEEDS: &[(&str, &[u8], &str)] = &[
    (
        "lipetsk-vesti.xml",
        include_bytes!("../examples/feeds/lipetsk-vesti.xml"),
        "application/rss+xml; charset=utf-8",
    ),
    (
        // Like many regional sites: windows-1251 bytes, said only in the XML prolog.
        "voronezh-courier.xml",
        include_bytes!("../examples/feeds/voronezh-courier.xml"),
        "text/xml",
    ),
    (
        "tambov-online.xml",
        include_bytes!("../examples/feeds/tambov-online.xml"),
        "application/atom+xml",
    ),
    (
        "chernozemye-info.xml",
        include_bytes!("../examples/feeds/chernozemye-info.xml"),
        "application/rss+xml",
    ),
];

/// Serves the sample feeds at `http://ADDR/NAME.xml` until `shutdown`, their dates moved
/// forward by whole days (`freshen`) so the demo always shows this week's news.
pub async fn serve_samples(
    listener: TcpListener,
    shutdown: CancellationToken,
) -> std::io::Result<()> {
    let days = days_behind(chrono::Utc::now());
    let mut app = Router::new();
    for (name, bytes, ctype) in FEEDS {
        let body = axum::body::Bytes::from(freshen(bytes, days));
        app = app.route(
            &format!("/{name}"),
            get(move || async move { ([(header::CONTENT_TYPE, *ctype)], body) }),
        );
    }
    axum::serve(listener, app)
        .with_graceful_shutdown(async move { shutdown.cancelled().await })
        .await
}

/// The date elements of the sample feeds (RSS dates are RFC 822, Atom's RFC 3339).
const DATE_TAGS: &[&str] = &["pubDate", "lastBuildDate", "published", "updated"];

/// Each date in `bytes`: the byte range of its text and its value. Dates are ASCII, so this
/// works on the windows-1251 sample as well.
fn sample_dates(
    bytes: &[u8],
) -> Vec<(
    std::ops::Range<usize>,
    chrono::DateTime<chrono::FixedOffset>,
)> {
    let mut found = Vec::new();
    for tag in DATE_TAGS {
        let open = format!("<{tag}>");
        let close = format!("</{tag}>");
        let mut from = 0;
        while let Some(i) = find(&bytes[from..], open.as_bytes()) {
            let start = from + i + open.len();
            let Some(len) = find(&bytes[start..], close.as_bytes()) else {
                break;
            };
            let text = String::from_utf8_lossy(&bytes[start..start + len]);
            let text = text.trim();
            if let Ok(d) = chrono::DateTime::parse_from_rfc2822(text)
                .or_else(|_| chrono::DateTime::parse_from_rfc3339(text))
            {
                found.push((start..start + len, d));
            }
            from = start + len;
        }
    }
    found.sort_by_key(|(r, _)| r.start);
    found
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Whole days between the newest sample date and `now` (0 before it).
pub fn days_behind(now: chrono::DateTime<chrono::Utc>) -> i64 {
    let newest = FEEDS
        .iter()
        .flat_map(|(_, bytes, _)| sample_dates(bytes))
        .map(|(_, d)| d.timestamp())
        .max()
        .unwrap_or(now.timestamp());
    ((now.timestamp() - newest) / 86_400).max(0)
}

/// The feed with every date `days` later, written in the form it had: the samples keep
/// their weekdays, hours and offsets, and the newest lands within the last day.
pub fn freshen(bytes: &[u8], days: i64) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len());
    let mut at = 0;
    for (range, d) in sample_dates(bytes) {
        out.extend_from_slice(&bytes[at..range.start]);
        let moved = d + chrono::Duration::days(days);
        let text = String::from_utf8_lossy(&bytes[range.clone()]);
        let shown = if text.trim_start().starts_with(|c: char| c.is_ascii_digit()) {
            moved.to_rfc3339()
        } else {
            moved.to_rfc2822()
        };
        out.extend_from_slice(shown.as_bytes());
        at = range.end;
    }
    out.extend_from_slice(&bytes[at..]);
    out
}

/// The demo's config text: the four agencies at `origin`, topics, three feeds and a digest.
pub fn config_text(origin: SocketAddr, listen: SocketAddr) -> String {
    format!(
        r#"# Written by `svodka demo`: the sample agencies served on {origin}.
[server]
listen = "{listen}"
base_url = "http://{listen}"

[storage]
path = "svodka.db"
# The sample items carry fixed dates; keep them however long ago those were.
retention_days = 36500

[schedule]
cron = "*/5 * * * *"

[[source]]
name = "lipetsk-vesti"
title = "Липецкий телеграф"
url = "http://{origin}/lipetsk-vesti.xml"
region = "lipetsk"

[[source]]
name = "voronezh-courier"
title = "Курьер Придонья"
url = "http://{origin}/voronezh-courier.xml"
region = "voronezh"

[[source]]
name = "tambov-online"
title = "Тамбовский перекрёсток"
url = "http://{origin}/tambov-online.xml"
region = "tambov"

[[source]]
name = "chernozemye-info"
title = "Черноземный обозреватель"
url = "http://{origin}/chernozemye-info.xml"
region = "chernozemye"

[[topic]]
name = "syria"
title = "Сирия"
keywords = ["Сирия", "сирийский", "Дамаск"]

[[topic]]
name = "isis"
title = "ИГИЛ"
keywords = ["ИГИЛ"]

[[topic]]
name = "crisis"
title = "Кризис"
keywords = ["кризис"]

[[topic]]
name = "roads"
title = "Дороги"
keywords = ["ремонт дорог", "ДТП", "трасса"]

[[feed]]
name = "all"
title = "Все новости регионов"
limit = 100

[[feed]]
name = "lipetsk"
title = "Липецкая область"
regions = ["lipetsk"]

[[feed]]
name = "headlines"
title = "Главные темы: Сирия, ИГИЛ, Кризис"
topics = ["syria", "isis", "crisis"]

# The сводка of the week, made every minute so a newcomer sees one soon (a real one: "0 8 * * *").
[[digest]]
name = "week"
title = "Сводка недели"
cron = "0 * * * * *"
period = "week"
all = true
stories = 10
"#
    )
}

/// A fresh folder of the demo's own for its config and database (a new, private name each
/// run; never a folder that was already there). Removed when the value is dropped.
pub fn workdir() -> Result<tempfile::TempDir> {
    tempfile::Builder::new()
        .prefix("svodka-demo-")
        .tempdir()
        .context("cannot create the demo's temporary folder")
}

/// Writes the demo config into `dir` and returns its path.
pub fn write_config(dir: &Path, origin: SocketAddr, listen: SocketAddr) -> Result<PathBuf> {
    let path = dir.join("svodka.toml");
    std::fs::write(&path, config_text(origin, listen))
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sample_dates_move_by_whole_days_in_their_own_form() {
        let rss = "<item><pubDate>Sat, 28 Nov 2026 10:00:00 +0300</pubDate></item>";
        let atom = "<entry><published>2026-11-26T09:00:00+03:00</published></entry>";
        let moved = String::from_utf8(freshen(rss.as_bytes(), 5)).unwrap();
        assert_eq!(
            moved,
            "<item><pubDate>Thu, 3 Dec 2026 10:00:00 +0300</pubDate></item>"
        );
        let moved = String::from_utf8(freshen(atom.as_bytes(), 5)).unwrap();
        assert_eq!(
            moved,
            "<entry><published>2026-12-01T09:00:00+03:00</published></entry>"
        );
        // Every sample keeps its bytes around the dates, and its dates' values.
        for (name, bytes, _) in FEEDS {
            let moved = freshen(bytes, 0);
            let before = sample_dates(bytes);
            let after = sample_dates(&moved);
            assert_eq!(before.len(), after.len(), "{name}");
            assert!(before.iter().zip(&after).all(|(a, b)| a.1 == b.1), "{name}");
            let first = before[0].0.start;
            assert!(moved[..first] == bytes[..first], "{name}");
        }
        let now = chrono::DateTime::parse_from_rfc3339("2027-03-01T12:00:00Z")
            .unwrap()
            .with_timezone(&chrono::Utc);
        let days = days_behind(now);
        assert!((92..=93).contains(&days), "{days}");
    }
}
