//! `svodka run` and `svodka demo`: the daemon on a config, or on sample agencies served locally.

use std::net::SocketAddr;
use std::path::Path;

use anyhow::Context;
use tokio_util::sync::CancellationToken;

use super::{Result, load};
use crate::config::Config;
use crate::{daemon, demo};

pub async fn run(path: &Path) -> Result<()> {
    let cfg = load(path)?;
    let listener = daemon::bind(&cfg).await?;
    let shutdown = CancellationToken::new();
    let reload =
        daemon::wire_signals(shutdown.clone()).context("cannot install signal handlers")?;
    daemon::run(path.to_path_buf(), cfg, listener, shutdown, reload).await?;
    Ok(())
}

pub async fn demo(listen: Option<SocketAddr>) -> Result<()> {
    let workdir = demo::workdir()?;
    let dir = workdir.path().to_path_buf();
    let origin = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .context("cannot bind the sample agencies' server")?;
    let origin_addr = origin.local_addr().context("no local address")?;
    // The demo should start even when 8080 is taken: then any free port will do. An address
    // the user asked for is theirs: if it is busy, say so and stop.
    let listener = match listen {
        Some(addr) => tokio::net::TcpListener::bind(addr)
            .await
            .with_context(|| format!("cannot listen on {addr}"))?,
        None => match tokio::net::TcpListener::bind(crate::config::DEFAULT_LISTEN).await {
            Ok(l) => l,
            Err(e) => {
                tracing::warn!(
                    "cannot listen on {} ({e}); using a free port",
                    crate::config::DEFAULT_LISTEN
                );
                tokio::net::TcpListener::bind("127.0.0.1:0")
                    .await
                    .context("cannot bind")?
            }
        },
    };
    let addr = listener.local_addr().context("no local address")?;
    let config_path = demo::write_config(&dir, origin_addr, addr)?;
    let cfg = Config::load(&config_path)?;
    let shutdown = CancellationToken::new();
    let reload =
        daemon::wire_signals(shutdown.clone()).context("cannot install signal handlers")?;
    tokio::spawn(demo::serve_samples(origin, shutdown.clone()));
    outln!(
        "svodka demo: sample agencies on http://{origin_addr}/, config and database in {}",
        dir.display()
    );
    outln!("merged feed:  http://{addr}/feeds/all.rss");
    outln!("headlines:    http://{addr}/feeds/headlines.rss");
    outln!("bulletin:     http://{addr}/");
    outln!("stop with Ctrl-C");
    let result = daemon::run(config_path, cfg, listener, shutdown, reload).await;
    // The demo's database is sample data: a clean exit leaves nothing behind.
    if result.is_ok() && workdir.close().is_ok() {
        outln!("removed {}", dir.display());
    }
    result?;
    Ok(())
}
