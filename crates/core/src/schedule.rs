//! Cron schedules with crontab semantics, and the pure arithmetic of when a source is due.
//!
//! We use croner rather than the `cron` crate the design names: `cron` wants 6–7 fields and reads
//! day-of-week Quartz-style (1 = Sunday), so a user's `0 9 * * 1` would silently mean Sunday.
//! croner reads the classic 5-field crontab (0 and 7 = Sunday, names, day-of-month OR
//! day-of-week), an optional leading seconds field and an optional trailing year.

use std::fmt;

use chrono::{DateTime, Duration, Utc};
use croner::Cron;
use croner::parser::{CronParser, Seconds};

#[derive(Clone)]
pub struct Schedule {
    text: String,
    cron: Cron,
}

impl fmt::Debug for Schedule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Schedule({:?})", self.text)
    }
}

impl Schedule {
    /// Parses a 5-field crontab expression, a 6-field one with seconds first, or a 7-field one
    /// with seconds first and a year last.
    pub fn parse(text: &str) -> Result<Schedule, String> {
        let expanded = nickname(text.trim())?;
        let expr = expanded.unwrap_or(text);
        let fields: Vec<&str> = expr.split_whitespace().collect();
        if !(5..=7).contains(&fields.len()) {
            return Err(format!(
                "bad cron expression {text:?}: expected 5 fields (minute hour day month weekday), \
                 6 with seconds first, or 7 with seconds first and a year last, or one of \
                 {NICKNAMES}; got {}",
                fields.len()
            ));
        }
        check_ranges(&fields).map_err(|e| format!("bad cron expression {text:?}: {e}"))?;
        let parser = CronParser::builder().seconds(Seconds::Optional).build();
        let cron = parser
            .parse(expr)
            .map_err(|e| format!("bad cron expression {text:?}: {e}"))?;
        // Reject expressions that never fire (`0 0 31 2 *`), which would stall a source forever.
        cron.find_next_occurrence(&Utc::now(), false)
            .map_err(|e| format!("bad cron expression {text:?}: it never fires ({e})"))?;
        Ok(Schedule {
            text: text.to_string(),
            cron,
        })
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The first tick strictly after `now`, read in the machine's local time zone (`TZ`), as
    /// crontab reads it: `0 9 * * 1` is nine o'clock where the server is.
    pub fn next_after(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.next_after_in(now.with_timezone(&chrono::Local))
            .map(|t| t.with_timezone(&Utc))
    }

    /// The last tick at or before `now`, read in local time as [`Schedule::next_after`] reads.
    pub fn last_at_or_before(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.cron
            .find_previous_occurrence(&now.with_timezone(&chrono::Local), true)
            .ok()
            .map(|t| t.with_timezone(&Utc))
    }

    /// The first tick strictly after `now`, in `now`'s time zone.
    pub fn next_after_in<Tz: chrono::TimeZone>(&self, now: DateTime<Tz>) -> Option<DateTime<Tz>> {
        self.cron.find_next_occurrence(&now, false).ok()
    }

    /// The usual gap between two ticks around `now`, used to size the jitter window and to
    /// tell whether stored data is stale.
    pub fn period_near(&self, now: DateTime<Utc>) -> Duration {
        match self
            .next_after(now)
            .and_then(|a| self.next_after(a).map(|b| (a, b)))
        {
            Some((a, b)) => b - a,
            None => Duration::hours(1),
        }
    }
}

/// The crontab nicknames accepted, for messages.
const NICKNAMES: &str = "@hourly, @daily (@midnight), @weekly, @monthly, @yearly (@annually)";

/// A crontab nickname as the five fields it stands for; `None` for a plain expression.
fn nickname(text: &str) -> Result<Option<&'static str>, String> {
    if !text.starts_with('@') {
        return Ok(None);
    }
    Ok(Some(match text.to_ascii_lowercase().as_str() {
        "@hourly" => "0 * * * *",
        "@daily" | "@midnight" => "0 0 * * *",
        "@weekly" => "0 0 * * 0",
        "@monthly" => "0 0 1 * *",
        "@yearly" | "@annually" => "0 0 1 1 *",
        "@reboot" => {
            return Err(format!(
                "bad cron expression {text:?}: svodka has no boot to run at (it fetches stale \
                 sources at every start); use a schedule such as @hourly"
            ));
        }
        _ => {
            return Err(format!(
                "bad cron expression {text:?}: unknown nickname; use one of {NICKNAMES}"
            ));
        }
    }))
}

/// Each field's numbers within its range, named as a person reads the expression
/// (`minute 61: must be 0–59`); croner's own message says only "Number out of bounds".
fn check_ranges(fields: &[&str]) -> Result<(), String> {
    const SECOND: (&str, u32, u32) = ("second", 0, 59);
    const FIVE: [(&str, u32, u32); 5] = [
        ("minute", 0, 59),
        ("hour", 0, 23),
        ("day of month", 1, 31),
        ("month", 1, 12),
        ("day of week", 0, 7),
    ];
    let mut names: Vec<(&str, u32, u32)> = Vec::new();
    if fields.len() >= 6 {
        names.push(SECOND);
    }
    names.extend(FIVE);
    for (field, (name, lo, hi)) in fields.iter().zip(names) {
        for part in field.split(',') {
            let (range, step) = match part.split_once('/') {
                Some((r, s)) => (r, Some(s)),
                None => (part, None),
            };
            if let Some(step) = step
                && step.parse::<u32>().is_ok_and(|n| n == 0 || n > hi)
            {
                return Err(format!("{name} step {step}: must be 1–{hi}"));
            }
            // Names (mon, jan), `*`, `?` and croner's L, W and # are croner's to judge.
            for n in range.split('-') {
                if let Ok(v) = n.parse::<u32>()
                    && !(lo..=hi).contains(&v)
                {
                    return Err(format!("{name} {v}: must be {lo}–{hi}"));
                }
            }
        }
    }
    Ok(())
}

/// Where in a tick's jitter window a source starts: a stable offset from its name, at most a
/// quarter of the period and at most 60 s, so that the sources of one minute do not all hit
/// their hosts in the same second, and a source keeps its place from tick to tick.
pub fn jitter(name: &str, period: Duration) -> Duration {
    use std::hash::Hasher;
    let window_ms = (period.num_milliseconds() / 4).clamp(0, 60_000);
    if window_ms == 0 {
        return Duration::zero();
    }
    let mut h = siphasher::sip::SipHasher13::new_with_keys(7, 11);
    h.write(name.as_bytes());
    Duration::milliseconds((h.finish() % window_ms as u64) as i64)
}

/// Exponential backoff after `streak` consecutive failures: 1, 2, 4 … minutes, capped at 6
/// hours, plus up to a quarter more. The jitter comes from the source's name and the streak, so
/// sources that failed together (one host down) do not all retry in the same second, and a
/// given source's wait is reproducible.
pub fn backoff(name: &str, streak: u32) -> Duration {
    use std::hash::Hasher;
    let minutes = 1i64 << streak.saturating_sub(1).min(9);
    let base = Duration::minutes(minutes).min(Duration::hours(6));
    let mut h = siphasher::sip::SipHasher13::new_with_keys(13, 17);
    h.write(name.as_bytes());
    h.write_u32(streak);
    let quarter_ms = (base.num_milliseconds() / 4).max(1) as u64;
    base + Duration::milliseconds((h.finish() % quarter_ms) as i64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, mo, d, h, mi, 0).unwrap()
    }

    fn check(expr: &str, now: DateTime<Utc>, expected: DateTime<Utc>) {
        let s = Schedule::parse(expr).unwrap();
        assert_eq!(s.next_after_in(now), Some(expected), "{expr}");
    }

    #[test]
    fn ticks_are_read_in_the_given_zone() {
        let msk = chrono::FixedOffset::east_opt(3 * 3600).unwrap();
        let s = Schedule::parse("0 9 * * *").unwrap();
        let now = msk.with_ymd_and_hms(2026, 11, 28, 8, 0, 0).unwrap();
        let next = s.next_after_in(now).unwrap();
        assert_eq!(next.to_rfc3339(), "2026-11-28T09:00:00+03:00");
        // The UTC entry point agrees with the local zone, whatever TZ the tests run under.
        let utc_now = now.with_timezone(&Utc);
        let local_next = s
            .next_after_in(utc_now.with_timezone(&chrono::Local))
            .unwrap();
        assert_eq!(s.next_after(utc_now), Some(local_next.with_timezone(&Utc)));
    }

    #[test]
    fn classic_five_fields() {
        check(
            "*/15 * * * *",
            at(2026, 11, 28, 10, 7),
            at(2026, 11, 28, 10, 15),
        );
        check(
            "*/15 * * * *",
            at(2026, 11, 28, 10, 15),
            at(2026, 11, 28, 10, 30),
        );
    }

    #[test]
    fn weekday_one_is_monday_and_zero_and_seven_are_sunday() {
        // 2026-11-28 is a Saturday.
        check("0 9 * * 1", at(2026, 11, 28, 12, 0), at(2026, 11, 30, 9, 0));
        check(
            "0 9 * * mon",
            at(2026, 11, 28, 12, 0),
            at(2026, 11, 30, 9, 0),
        );
        check("0 9 * * 0", at(2026, 11, 28, 12, 0), at(2026, 11, 29, 9, 0));
        check("0 9 * * 7", at(2026, 11, 28, 12, 0), at(2026, 11, 29, 9, 0));
    }

    #[test]
    fn day_of_month_or_day_of_week_like_crontab() {
        // «the 1st, or any Monday»: crontab fires on Monday 30th before December 1st.
        check("0 9 1 * 1", at(2026, 11, 28, 12, 0), at(2026, 11, 30, 9, 0));
    }

    #[test]
    fn six_fields_have_seconds_first() {
        let now = Utc.with_ymd_and_hms(2026, 11, 28, 10, 0, 7).unwrap();
        let next = Utc.with_ymd_and_hms(2026, 11, 28, 10, 0, 10).unwrap();
        check("*/5 * * * * *", now, next);
    }

    #[test]
    fn seven_fields_add_a_year() {
        // The first Monday 09:00 of 2027: 4 January.
        check(
            "0 0 9 * * 1 2027",
            at(2026, 11, 28, 12, 0),
            at(2027, 1, 4, 9, 0),
        );
    }

    #[test]
    fn bad_expressions_say_why() {
        for bad in [
            "* * * *",
            "61 * * * *",
            "every hour",
            "0 0 31 2 *",
            "* * * * * * * *",
        ] {
            let e = Schedule::parse(bad).unwrap_err();
            assert!(e.contains("bad cron expression"), "{bad}: {e}");
        }
    }

    #[test]
    fn a_number_out_of_range_names_its_field_and_range() {
        let cases = [
            ("61 * * * *", "minute 61: must be 0–59"),
            ("0 24 * * *", "hour 24: must be 0–23"),
            ("0 9 0 * *", "day of month 0: must be 1–31"),
            ("0 9 * 13 *", "month 13: must be 1–12"),
            ("0 9 * * 1-8", "day of week 8: must be 0–7"),
            ("60 0 9 * * *", "second 60: must be 0–59"),
            ("*/0 * * * *", "minute step 0: must be 1–59"),
            ("@reboot", "no boot to run at"),
            ("@often", "unknown nickname; use one of @hourly"),
        ];
        for (expr, said) in cases {
            let e = Schedule::parse(expr).unwrap_err();
            assert!(e.contains(said), "{expr}: {e}");
        }
    }

    #[test]
    fn crontab_nicknames_are_their_five_fields() {
        let now = at(2026, 3, 4, 10, 20);
        check("@hourly", now, at(2026, 3, 4, 11, 0));
        check("@daily", now, at(2026, 3, 5, 0, 0));
        check("@MIDNIGHT", now, at(2026, 3, 5, 0, 0));
        check("@monthly", now, at(2026, 4, 1, 0, 0));
        check("@yearly", now, at(2027, 1, 1, 0, 0));
        // 2026-03-04 is a Wednesday; @weekly is Sunday midnight.
        check("@weekly", now, at(2026, 3, 8, 0, 0));
        assert_eq!(Schedule::parse("@hourly").unwrap().as_str(), "@hourly");
    }

    #[test]
    fn jitter_is_stable_and_inside_the_window() {
        let p = Duration::minutes(15);
        assert_eq!(jitter("lipetsk", p), jitter("lipetsk", p));
        for name in ["a", "b", "voronezh", "tambov"] {
            assert!(jitter(name, p) < Duration::seconds(60));
        }
        assert!(jitter("x", Duration::seconds(1)) < Duration::milliseconds(250));
    }

    #[test]
    fn backoff_grows_with_jitter_and_caps() {
        let within = |d: Duration, base: Duration| d >= base && d < base + base / 4;
        assert!(within(backoff("a", 1), Duration::minutes(1)));
        assert!(within(backoff("a", 3), Duration::minutes(4)));
        assert!(within(backoff("a", 40), Duration::hours(6)));
        // Two sources of one failing host do not retry together.
        assert_ne!(backoff("lipetsk", 5), backoff("voronezh", 5));
    }
}
