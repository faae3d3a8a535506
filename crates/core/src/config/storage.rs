//! `[storage]`: the database file and how long reports are kept.

use std::path::PathBuf;

use serde::Deserialize;

use super::{ConfigError, Origin};

const DEFAULT_PATH: &str = "svodka.db";
const DEFAULT_RETENTION_DAYS: u32 = 90;

#[derive(Debug, Clone)]
pub struct Storage {
    pub path: PathBuf,
    pub retention_days: u32,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(super) struct RawStorage {
    path: String,
    retention_days: u32,
}

impl Default for RawStorage {
    fn default() -> Self {
        RawStorage {
            path: DEFAULT_PATH.into(),
            retention_days: DEFAULT_RETENTION_DAYS,
        }
    }
}

/// The path resolves against the config's folder, so a service finds the same file whatever
/// its working directory.
pub(super) fn parse(raw: RawStorage, o: &Origin) -> Result<Storage, ConfigError> {
    if !(1..=36_500).contains(&raw.retention_days) {
        return Err(o.err(
            "storage.retention_days",
            "must be between 1 and 36500 (a hundred years)",
        ));
    }
    Ok(Storage {
        path: o.base_dir.join(&raw.path),
        retention_days: raw.retention_days,
    })
}
