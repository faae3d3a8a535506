//! What each command does, one file per group of commands; here what they share (the config
//! loaded and checked, the database opened, stdout). `main.rs` maps `Failure` to exit codes.

use std::path::Path;

use anyhow::Context;
use chrono::{DateTime, Utc};

use crate::config::{Config, ConfigError};
use crate::store;

/// `print!` that ends the process quietly when the reader went away (`svodka export | head`):
/// a closed pipe is the reader's choice, not an error, and `print!` would panic on it.
macro_rules! out {
    ($($arg:tt)*) => {
        $crate::cli::write_stdout(&format!($($arg)*))
    };
}

macro_rules! outln {
    ($($arg:tt)*) => {
        $crate::cli::write_stdout(&format!("{}\n", format!($($arg)*)))
    };
}

#[doc(hidden)]
pub fn write_stdout(text: &str) {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    if let Err(e) = stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
        eprintln!("svodka: cannot write to stdout: {e}");
        std::process::exit(1);
    }
}

mod admin;
mod digest;
mod fetch;
mod read;
mod serve;

pub use admin::{check, retag};
pub use digest::{digest, digests};
pub use fetch::{fetch, inspect};
pub use read::{export, export_all, search, sources, stories, trending};
pub use serve::{demo, run};

/// Why a command failed: a refused config (exit 2) or anything else (exit 1).
#[derive(Debug)]
pub enum Failure {
    Config(ConfigError),
    Other(anyhow::Error),
}

impl From<ConfigError> for Failure {
    fn from(e: ConfigError) -> Self {
        Failure::Config(e)
    }
}

impl From<anyhow::Error> for Failure {
    fn from(e: anyhow::Error) -> Self {
        Failure::Other(e)
    }
}

pub type Result<T> = std::result::Result<T, Failure>;

/// Logs to stderr (the journal, under systemd); `RUST_LOG` overrides `default`.
pub fn init_logging(default: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    // Colours only for a person at a terminal: the journal and log files get plain text.
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr())
        && std::env::var_os("NO_COLOR").is_none();
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(ansi)
        .try_init();
}

/// The config, refused as `check` refuses it, with the database folder checked too: a folder
/// this user cannot write in is named with its reason before SQLite says only "unable to open
/// database file".
fn load(path: &Path) -> Result<Config> {
    let cfg = Config::load(path)?;
    check_storage_folder(&cfg)?;
    Ok(cfg)
}

/// The database's folder exists, or can be created: its nearest existing ancestor is a folder
/// this user can write in (tried with a file created and removed at once, since mode bits do
/// not say what this user may do). Checked by `check` (systemd's ExecStartPre), so a bad path
/// fails before the service starts rather than after.
fn check_storage_folder(cfg: &Config) -> std::result::Result<(), ConfigError> {
    let folder = match cfg.storage.path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    // Under systemd (`StateDirectory=`), the one folder the sandbox lets the service write:
    // a path outside it is the usual cause, and the fix is to name it.
    let state_hint = std::env::var_os("STATE_DIRECTORY")
        .and_then(|dirs| {
            std::env::split_paths(&dirs)
                .next()
                .filter(|d| !cfg.storage.path.starts_with(d))
        })
        .map(|d| {
            format!(
                "; the service's state folder is {0}: set [storage] path = \"{0}/svodka.db\"",
                d.display()
            )
        })
        .unwrap_or_default();
    let refuse = |reason: String| ConfigError {
        file: cfg.file.clone(),
        key: "storage.path".into(),
        reason: format!("{reason}{state_hint}"),
    };
    let mut probe = folder;
    loop {
        match std::fs::metadata(probe) {
            Ok(m) if !m.is_dir() => {
                return Err(refuse(format!("{} is not a folder", probe.display())));
            }
            Ok(_) => {
                let trial = probe.join(format!(".svodka-check-{}", std::process::id()));
                return match std::fs::OpenOptions::new()
                    .write(true)
                    .create_new(true)
                    .open(&trial)
                {
                    Ok(_) => {
                        let _ = std::fs::remove_file(&trial);
                        Ok(())
                    }
                    Err(e) => Err(refuse(format!(
                        "cannot create the database in {}: {} is not writable ({e})",
                        folder.display(),
                        probe.display()
                    ))),
                };
            }
            Err(_) => match probe.parent() {
                Some(p) if !p.as_os_str().is_empty() => probe = p,
                _ => return Ok(()),
            },
        }
    }
}

fn open_db(cfg: &Config) -> Result<store::Sqlite> {
    let conn = store::open(&cfg.storage.path)?;
    store::sync_sources(&conn, &cfg.sources).context("cannot record the configured sources")?;
    Ok(conn)
}

/// A time as the CLI prints it: in the configured zone (`server.timezone`), as the pages do.
fn when(ts: Option<i64>, tz: chrono_tz::Tz) -> String {
    ts.and_then(|t| DateTime::<Utc>::from_timestamp(t, 0))
        .map_or_else(
            || "never".to_string(),
            |d| {
                d.with_timezone(&tz)
                    .format("%Y-%m-%d %H:%M:%S %Z")
                    .to_string()
            },
        )
}
