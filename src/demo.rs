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

/// Serves the sample feeds at `http://ADDR/NAME.xml` until `shutdown`.
pub async fn serve_samples(
    listener: TcpListener,
    shutdown: CancellationToken,
) -> std::io::Result<()> {
    let mut app = Router::new();
    for (name, bytes, ctype) in FEEDS {
        app = app.route(
            &format!("/{name}"),
            get(move || async move { ([(header::CONTENT_TYPE, *ctype)], *bytes) }),
        );
    }
    axum::serve(listener, app)
        .with_graceful_shutdown(async move { shutdown.cancelled().await })
        .await
}

/// The demo's config text: the four agencies at `origin`, topics, and three feeds.
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
