//! `svodka check` and `svodka retag`: the config and database checked before a start, and
//! stored items tagged again after the topics change.

use std::path::Path;

use super::{Result, load, open_db};
use crate::store;
use crate::topics::Matcher;

pub fn check(path: &Path) -> Result<()> {
    let cfg = load(path)?;
    // An existing database is read as `run` would read it (a missing one is created by `run`):
    // a damaged file or one from a newer svodka fails here, before systemd starts the service
    // into a restart loop. A large one is checked for at most a few seconds.
    let mut note = String::new();
    if cfg.storage.path.exists()
        && store::check_file(&cfg.storage.path, CHECK_BUDGET)? == store::FileCheck::Unfinished
    {
        note = format!(
            " (database readable; its full check stopped after {} s)",
            CHECK_BUDGET.as_secs()
        );
    }
    outln!("{}{note}", cfg.summary());
    for w in cfg.warnings() {
        eprintln!("svodka: warning: {}: {w}", cfg.file.display());
    }
    Ok(())
}

/// How long `svodka check` spends on an existing database's `quick_check`.
const CHECK_BUDGET: std::time::Duration = std::time::Duration::from_secs(10);

pub fn retag(path: &Path) -> Result<()> {
    let cfg = load(path)?;
    let mut conn = open_db(&cfg)?;
    let mut retag = crate::retag::Retagger::new(std::sync::Arc::new(Matcher::new(&cfg.topics)));
    retag.names = true;
    while retag.page(&mut conn)? {}
    let (seen, tagged) = (retag.seen, retag.tagged);
    outln!(
        "retagged {}; {tagged} {} topics",
        crate::text::counted(seen, "item", "items"),
        if tagged == 1 { "has" } else { "have" }
    );
    Ok(())
}
