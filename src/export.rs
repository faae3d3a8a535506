//! Static export: every feed in every format, each topic feed, the pages and OPML written as
//! files (with a `.gz` beside each) that nginx or a CDN can serve. `svodka export --all DIR`
//! does it once; with `[publish] dir` the daemon does it after each change, and pings the
//! WebSub hub for the feeds whose bytes changed.
//!
//! Writes are atomic (a temporary file in the same folder, then a rename), and a file whose
//! bytes did not change is not touched, so its mtime (and any ETag a server derives from it)
//! stays put.

use std::collections::{BTreeMap, BTreeSet};
use std::hash::Hasher;
use std::io::Write;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use crate::archive::Archive;
use anyhow::{Context, Result};
use chrono::{DateTime, Utc};
use tokio_util::sync::CancellationToken;

use crate::config::Config;
use crate::pages;
use crate::publish::{self, Format, Target};
use crate::store::Db;
use crate::websub::{self, Pinger};

/// One file of the site: its path under the export folder (`/`-separated), its bytes, and,
/// for a feed, the URL it is served at (what a WebSub ping names).
#[derive(Debug, Clone)]
pub struct File {
    pub path: String,
    pub bytes: Vec<u8>,
    pub feed_url: Option<String>,
}

/// What one export did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Written {
    pub written: usize,
    pub unchanged: usize,
}

/// Every file of the site as it is now. Pages live at `PATH/index.html` so that any static
/// server answers the same URLs as svodka (`/topics/syria` → `topics/syria/index.html`).
pub fn site_files(cfg: &Config, conn: &dyn Archive, now: DateTime<Utc>) -> Result<Vec<File>> {
    let hub = cfg.server.websub_hub.as_ref().map(|u| u.as_str());
    let mut files = Vec::new();
    let targets = cfg
        .feeds
        .iter()
        .map(|f| Target::Feed(f.name.clone()))
        .chain(cfg.topics.iter().map(|t| Target::Topic(t.name.clone())));
    for target in targets {
        for format in [Format::Rss, Format::Atom, Format::Json] {
            let Some(view) = publish::view(cfg, conn, &target, format.ext())? else {
                continue;
            };
            let path = target.path(format.ext());
            files.push(File {
                path: path.trim_start_matches('/').to_string(),
                bytes: format.render(&view, hub).into_bytes(),
                feed_url: Some(view.self_url.clone()),
            });
        }
    }
    let front = pages::front(cfg, conn, now)?;
    // The story pages the site links to: those on the front page (its most carried ones and
    // the latest) and on the topics' pages.
    let mut stories: BTreeSet<i64> = front
        .top
        .iter()
        .chain(&front.stories)
        .map(|s| s.id)
        .collect();
    files.push(page("index.html", pages::render_front(&front)));
    for t in &cfg.topics {
        if let Some(p) = pages::topic(cfg, conn, &t.name)? {
            stories.extend(p.stories.iter().map(|s| s.id));
            files.push(page(
                &format!("topics/{}/index.html", t.name),
                pages::render_topic(&p),
            ));
        }
    }
    // Then the stories those pages list under «Развитие сюжета» (one step: a page written
    // only for that may link on to a page that is not).
    let mut linked: BTreeSet<i64> = BTreeSet::new();
    for id in &stories {
        if let Some(p) = pages::story(cfg, conn, *id)? {
            linked.extend(p.related.iter().map(|r| r.id));
            files.push(page(
                &format!("stories/{id}/index.html"),
                pages::render_story(&p),
            ));
        }
    }
    for id in linked.difference(&stories) {
        if let Some(p) = pages::story(cfg, conn, *id)? {
            files.push(page(
                &format!("stories/{id}/index.html"),
                pages::render_story(&p),
            ));
        }
    }
    let sources = pages::sources(cfg, conn, now.timestamp())?;
    files.push(page("sources/index.html", pages::render_sources(&sources)));
    files.push(page("opml", publish::render_opml(cfg)));
    files.extend(digest_files(cfg, conn)?);
    Ok(files)
}

fn page(path: &str, html: String) -> File {
    File {
        path: path.to_string(),
        bytes: html.into_bytes(),
        feed_url: None,
    }
}

/// Writes `files` (and a `.gz` of each) under `dir`, leaving files whose bytes are the same.
pub fn write_dir(dir: &Path, files: &[File]) -> Result<Written> {
    let mut done = Written::default();
    for f in files {
        let path = dir.join(&f.path);
        let gz_path = dir.join(format!("{}.gz", f.path));
        for (target, bytes) in [(path, f.bytes.clone()), (gz_path, gzip(&f.bytes)?)] {
            if write_if_changed(&target, &bytes)? {
                done.written += 1;
            } else {
                done.unchanged += 1;
            }
        }
    }
    Ok(done)
}

/// gzip with a zero mtime in its header, so the same bytes always compress to the same bytes.
fn gzip(bytes: &[u8]) -> Result<Vec<u8>> {
    let mut e = flate2::GzBuilder::new()
        .mtime(0)
        .write(Vec::new(), flate2::Compression::best());
    e.write_all(bytes)?;
    Ok(e.finish()?)
}

/// Replaces `path` with `bytes` through a temporary file and a rename (a reader sees the old
/// file or the new one, never half of one); `false` when it already held exactly these bytes.
fn write_if_changed(path: &Path, bytes: &[u8]) -> Result<bool> {
    if std::fs::read(path).is_ok_and(|old| old == bytes) {
        return Ok(false);
    }
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let mut tmp = tempfile::Builder::new()
        .prefix(".svodka-")
        .tempfile_in(dir)
        .with_context(|| format!("cannot write in {}", dir.display()))?;
    tmp.write_all(bytes)
        .and_then(|()| tmp.as_file().sync_all())
        .with_context(|| format!("cannot write {}", path.display()))?;
    // Static servers read files as whoever they run as: world-readable, like a published page.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = tmp
            .as_file()
            .set_permissions(std::fs::Permissions::from_mode(0o644));
    }
    tmp.persist(path)
        .with_context(|| format!("cannot replace {}", path.display()))?;
    Ok(true)
}

/// A fixed-key hash of a feed's bytes, to tell which feeds changed between two exports.
fn hash(bytes: &[u8]) -> u64 {
    let mut h = siphasher::sip::SipHasher13::new_with_keys(3, 4);
    h.write(bytes);
    h.finish()
}

fn feed_hashes(files: &[File]) -> BTreeMap<String, u64> {
    files
        .iter()
        .filter_map(|f| f.feed_url.as_ref().map(|u| (u.clone(), hash(&f.bytes))))
        .collect()
}

/// How often the daemon re-renders even without new items: sources' health moves with time.
const REFRESH: Duration = Duration::from_secs(300);

/// The daemon's side: after each change of the data (or the config), render the site; write
/// it under `[publish] dir` when set; ping `[server] websub_hub` for each feed whose bytes
/// changed. Runs apart from ingest: a slow disk or a dead hub never delays a fetch.
pub async fn follow(
    db: Db,
    mut config: tokio::sync::watch::Receiver<Arc<Config>>,
    shutdown: CancellationToken,
) {
    let mut pinger: Option<Pinger> = None;
    // (data version, reloads seen): what the last rendering was made from.
    let mut reloads = 0u64;
    let mut seen: Option<(u64, u64)> = None;
    let mut last_run = tokio::time::Instant::now();
    let mut hashes: Option<BTreeMap<String, u64>> = None;
    loop {
        let cfg = config.borrow_and_update().clone();
        let wanted = cfg.publish.dir.is_some() || cfg.server.websub_hub.is_some();
        let now_seen = (db.version(), reloads);
        if wanted && (seen != Some(now_seen) || last_run.elapsed() >= REFRESH) {
            seen = Some(now_seen);
            last_run = tokio::time::Instant::now();
            let render = cfg.clone();
            let files = db
                .read(move |c| site_files(&render, c, Utc::now()))
                .await
                .and_then(|r| r);
            match files {
                Ok(files) => {
                    let next = feed_hashes(&files);
                    if let Some(dir) = cfg.publish.dir.clone() {
                        let shown = dir.display().to_string();
                        match tokio::task::spawn_blocking(move || write_dir(&dir, &files)).await {
                            Ok(Ok(w)) if w.written > 0 => {
                                tracing::info!("published {} files to {shown}", w.written)
                            }
                            Ok(Ok(_)) => {}
                            Ok(Err(e)) => tracing::error!("cannot publish to {shown}: {e:#}"),
                            Err(e) => tracing::error!("cannot publish to {shown}: {e}"),
                        }
                    }
                    if let (Some(hub), Some(before)) = (&cfg.server.websub_hub, &hashes) {
                        let changed = websub::changed(before, &next);
                        if !changed.is_empty() {
                            if pinger.is_none() {
                                match Pinger::start(&cfg.fetch.user_agent, shutdown.clone()) {
                                    Ok(p) => pinger = Some(p),
                                    Err(e) => tracing::error!("WebSub: cannot start: {e:#}"),
                                }
                            }
                            if let Some(p) = &pinger {
                                tracing::info!("WebSub: {} changed feeds to {hub}", changed.len());
                                p.publish(hub, changed);
                            }
                        }
                    }
                    // The first rendering after start only learns what the feeds are.
                    hashes = Some(next);
                }
                Err(e) => tracing::error!("cannot render the site for publishing: {e:#}"),
            }
        }
        tokio::select! {
            () = shutdown.cancelled() => return,
            changed = config.changed() => match changed {
                Ok(()) => reloads += 1,
                // The daemon is gone: nothing more will change.
                Err(_) => return,
            },
            () = tokio::time::sleep(Duration::from_secs(1)) => {}
        }
    }
}

/// Every digest's files: its archive page, each edition's page, its feeds.
pub fn digest_files(
    cfg: &Config,
    conn: &dyn svodka_core::archive::Archive,
) -> svodka_core::archive::Result<Vec<File>> {
    let mut files = Vec::new();
    let site = crate::pages::site(cfg);
    for d in &cfg.delivery.digests {
        let page = |path: String, html: String| File {
            path,
            bytes: html.into_bytes(),
            feed_url: None,
        };
        files.push(page(
            format!("digests/{}/index.html", d.name),
            crate::digest::archive_page(cfg, conn, d)?,
        ));
        for (_, e) in crate::digest::stored(conn, &d.name, crate::digest::LISTED)? {
            files.push(page(
                format!("digests/{}/{}/index.html", d.name, e.key),
                crate::digest::render::page(&e, &site),
            ));
        }
        for format in [
            crate::publish::Format::Rss,
            crate::publish::Format::Atom,
            crate::publish::Format::Json,
        ] {
            let path = format!("digests/{}.{}", d.name, format.ext());
            let url = format!("{}/{path}", cfg.server.base_url);
            files.push(File {
                path,
                bytes: crate::digest::feed(cfg, conn, d, format)?.0.into_bytes(),
                feed_url: Some(url),
            });
        }
    }
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(path: &str, text: &str) -> File {
        File {
            path: path.into(),
            bytes: text.as_bytes().to_vec(),
            feed_url: None,
        }
    }

    #[test]
    fn unchanged_files_are_not_touched_and_changed_ones_are_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let files = [
            file("index.html", "<!doctype html><p>Сводка</p>"),
            file("topics/syria/index.html", "<p>Сирия</p>"),
        ];
        let first = write_dir(dir.path(), &files).unwrap();
        assert_eq!(
            first,
            Written {
                written: 4,
                unchanged: 0
            }
        );
        let mtime = |p: &str| {
            std::fs::metadata(dir.path().join(p))
                .unwrap()
                .modified()
                .unwrap()
        };
        let before = (mtime("index.html"), mtime("index.html.gz"));
        // Old enough that a rewrite would show in the mtime on any file system.
        std::thread::sleep(Duration::from_millis(20));
        let again = write_dir(dir.path(), &files).unwrap();
        assert_eq!(
            again,
            Written {
                written: 0,
                unchanged: 4
            }
        );
        assert_eq!((mtime("index.html"), mtime("index.html.gz")), before);
        let changed = [
            file("index.html", "<!doctype html><p>Сводка: новое</p>"),
            files[1].clone(),
        ];
        let third = write_dir(dir.path(), &changed).unwrap();
        assert_eq!(
            third,
            Written {
                written: 2,
                unchanged: 2
            }
        );
        let gz = std::fs::read(dir.path().join("index.html.gz")).unwrap();
        let mut text = String::new();
        std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(&gz[..]), &mut text)
            .unwrap();
        assert_eq!(text, "<!doctype html><p>Сводка: новое</p>");
        // No temporary files are left behind.
        let names: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert!(
            names.iter().all(|n| !n.starts_with(".svodka-")),
            "{names:?}"
        );
    }
}
