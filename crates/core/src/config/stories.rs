//! `[stories]`: how far apart the reports of one story may be, and what the story engine may
//! hold in memory.

use serde::Deserialize;

use super::{ConfigError, Origin};

/// How far apart the reports of one story may be, by default: three days.
pub const DEFAULT_WINDOW_HOURS: u32 = 72;
/// What the story engine may hold by default, in MiB (BENCHMARKS.md gives a report's bytes).
pub const DEFAULT_MEMORY_MB: u32 = 48;

/// `[stories]`: how far apart the reports of one story may be, and what the engine that groups
/// them may hold in memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stories {
    pub window_hours: u32,
    pub memory_mb: u32,
}

impl Stories {
    pub fn window_secs(&self) -> i64 {
        i64::from(self.window_hours) * 3600
    }

    pub fn memory_bytes(&self) -> usize {
        (self.memory_mb as usize) << 20
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(super) struct RawStories {
    window_hours: u32,
    memory_mb: u32,
}

impl Default for RawStories {
    fn default() -> Self {
        RawStories {
            window_hours: DEFAULT_WINDOW_HOURS,
            memory_mb: DEFAULT_MEMORY_MB,
        }
    }
}

pub(super) fn parse(raw: RawStories, o: &Origin) -> Result<Stories, ConfigError> {
    if !(1..=720).contains(&raw.window_hours) {
        return Err(o.err(
            "stories.window_hours",
            "must be between 1 and 720 (thirty days)",
        ));
    }
    if !(8..=1_048_576).contains(&raw.memory_mb) {
        return Err(o.err(
            "stories.memory_mb",
            "must be between 8 and 1048576 (a terabyte)",
        ));
    }
    Ok(Stories {
        window_hours: raw.window_hours,
        memory_mb: raw.memory_mb,
    })
}
