//! Normalization of one entry's fields: canonical links, clean titles, safe HTML, plain text, dates.

use chrono::{DateTime, Duration, FixedOffset, NaiveDate, NaiveDateTime, TimeZone, Utc};
use url::Url;

/// Query parameters that only track who clicked where; two agencies linking the same article
/// with different campaign tags link one article.
fn is_tracking_param(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    n.starts_with("utm_")
        || matches!(
            n.as_str(),
            "yclid"
                | "fbclid"
                | "gclid"
                | "dclid"
                | "msclkid"
                | "_openstat"
                | "from_rss"
                | "rss"
                | "ref_src"
                | "mc_cid"
                | "mc_eid"
                | "igshid"
                | "_ga"
                | "yrwinfo"
        )
}

/// An absolute, canonical http(s) link: resolved against `base`, host lowercased, default port,
/// fragment and tracking parameters dropped. `None` for anything that is not http(s).
pub fn canonical_link(href: &str, base: Option<&Url>) -> Option<String> {
    let href = href.trim();
    if href.is_empty() {
        return None;
    }
    let mut url = match base {
        Some(b) => b.join(href).ok()?,
        None => Url::parse(href).ok()?,
    };
    if !matches!(url.scheme(), "http" | "https") {
        return None;
    }
    url.set_fragment(None);
    // A link is published to every reader: never with the password it may have been given.
    if crate::redirects::has_credentials(&url) {
        url = crate::redirects::without_credentials(&url);
    }
    if let Some(q) = url.query() {
        // Rebuild from the raw segments, and only when something is dropped: re-encoding a
        // query (`?12345` → `?12345=`, `%20` → `+`) breaks links on some CMSs.
        let is_tracking = |seg: &&str| is_tracking_param(seg.split('=').next().unwrap_or(""));
        if q.split('&').any(|seg| is_tracking(&seg)) {
            let kept: Vec<&str> = q
                .split('&')
                .filter(|seg| !seg.is_empty() && !is_tracking(seg))
                .collect();
            let kept = kept.join("&");
            url.set_query(if kept.is_empty() { None } else { Some(&kept) });
        }
    }
    Some(url.to_string())
}

/// A title as a person reads it: tags dropped, entities decoded (feeds often escape twice),
/// whitespace collapsed, mojibake repaired.
pub fn clean_title(raw: &str) -> String {
    // Decoding `&lt;img …&gt;` reveals a tag; strip again until nothing is revealed, so no
    // markup ever reaches a title (readers may render titles as HTML).
    let mut text = html_to_text(raw);
    // Only decoded entities can reveal a tag; text without `<` and `&` is final.
    for _ in 0..3 {
        if !text.contains('<') && !text.contains('&') {
            break;
        }
        let again = html_to_text(&text);
        if again == text {
            break;
        }
        text = again;
    }
    let text = super::mojibake::repair(&text).into_owned();
    collapse_whitespace(&text)
}

pub fn collapse_whitespace(s: &str) -> String {
    // Most text is already tidy: then a copy is all it takes.
    let tidy = !s.starts_with(char::is_whitespace)
        && !s.ends_with(char::is_whitespace)
        && !s.char_indices().any(|(i, c)| {
            c.is_whitespace() && (c != ' ' || s[i + 1..].starts_with(char::is_whitespace))
        });
    if tidy {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    for w in s.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(w);
    }
    out
}

/// The HTML policy, built once per feed: ammonia's safe defaults (no scripts, styles, event
/// handlers or `javascript:` URLs), relative links resolved against `base`.
pub fn sanitizer(base: Option<&Url>) -> ammonia::Builder<'static> {
    let mut b = ammonia::Builder::default();
    b.link_rel(Some("noopener noreferrer nofollow"))
        .add_tags(["figure", "figcaption"])
        .rm_tags(["map", "area"]);
    match base {
        Some(base) => b.url_relative(ammonia::UrlRelative::RewriteWithBase(base.clone())),
        None => b.url_relative(ammonia::UrlRelative::Deny),
    };
    b
}

/// Sanitised HTML, safe to republish.
pub fn sanitize_html(policy: &ammonia::Builder, html: &str) -> String {
    if html.trim().is_empty() {
        return String::new();
    }
    policy.clean(html).to_string().trim().to_string()
}

/// Plain text of an HTML fragment, for matching and dedup: tags become spaces (so
/// `<p>один</p><p>два</p>` stays two words), `script`/`style` content is dropped, entities are
/// decoded (twice: feeds escape twice), whitespace collapsed. Written by hand because the text
/// is only read by svodka itself (what readers get is ammonia's sanitised HTML), and a second
/// html5ever parse per item would cost more than all the rest of normalizing.
pub fn html_to_text(html: &str) -> String {
    if !html.contains('<') && !html.contains('&') {
        return collapse_whitespace(html);
    }
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(lt) = rest.find('<') {
        out.push_str(&rest[..lt]);
        let tag = &rest[lt + 1..];
        let starts_tag = tag
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || matches!(c, '/' | '!' | '?'));
        if !starts_tag {
            // A `<` that starts no tag is text («цена < 100»).
            out.push('<');
            rest = tag;
            continue;
        }
        let Some(gt) = tag.find('>') else {
            // No `>` anywhere after: the rest is text (and scanning on would be quadratic).
            out.push('<');
            rest = tag;
            break;
        };
        out.push(' ');
        let name: String = tag
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .map(|c| c.to_ascii_lowercase())
            .collect();
        rest = &tag[gt + 1..];
        if name == "script" || name == "style" {
            rest = match find_close_tag(rest, &name) {
                Some(end) => rest[end..].find('>').map_or("", |g| &rest[end + g + 1..]),
                None => "",
            };
        }
    }
    out.push_str(rest);
    let once = html_escape::decode_html_entities(&out);
    let twice = if once.contains('&') {
        html_escape::decode_html_entities(&once).into_owned()
    } else {
        once.into_owned()
    };
    // split_whitespace already treats U+00A0 (`&nbsp;`) as a space.
    collapse_whitespace(&twice)
}

/// Where `</name` starts in `s`, matched without regard to ASCII case and without copying.
fn find_close_tag(s: &str, name: &str) -> Option<usize> {
    s.match_indices("</").map(|(i, _)| i).find(|&i| {
        s.as_bytes()
            .get(i + 2..i + 2 + name.len())
            .is_some_and(|b| b.eq_ignore_ascii_case(name.as_bytes()))
    })
}

/// Moscow time: what a Russian regional feed means when it names no zone.
fn msk() -> FixedOffset {
    FixedOffset::east_opt(3 * 3600).expect("+03:00 is a valid offset")
}

const MONTHS_RU: [&str; 12] = [
    "янв", "фев", "мар", "апр", "ма", "июн", "июл", "авг", "сен", "окт", "ноя", "дек",
];
const MONTHS_EN: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// Parses the dates real feeds carry: RFC 822/2822 and RFC 3339, and the sloppy forms:
/// named zones (MSK, GMT+3), missing seconds, `2026-01-12 10:00:00`, `12.01.2026 10:00`,
/// Russian month and weekday names. A date with no zone is taken as Moscow time.
pub fn parse_date(raw: &str) -> Option<DateTime<Utc>> {
    let s = collapse_whitespace(raw.trim());
    if s.is_empty() {
        return None;
    }
    if let Ok(d) = DateTime::parse_from_rfc2822(&s) {
        return Some(d.with_timezone(&Utc));
    }
    if let Ok(d) = DateTime::parse_from_rfc3339(&s) {
        return Some(d.with_timezone(&Utc));
    }
    parse_formats(&s).or_else(|| parse_formats(&rewrite_sloppy(&s)))
}

fn parse_formats(s: &str) -> Option<DateTime<Utc>> {
    if let Ok(d) = DateTime::parse_from_rfc2822(s) {
        return Some(d.with_timezone(&Utc));
    }
    for fmt in [
        "%d %b %Y %H:%M:%S %z",
        "%d %b %Y %H:%M %z",
        "%Y-%m-%dT%H:%M:%S%.f%z",
        "%Y-%m-%d %H:%M:%S%.f%z",
        "%Y-%m-%dT%H:%M%z",
    ] {
        if let Ok(d) = DateTime::parse_from_str(s, fmt) {
            return Some(d.with_timezone(&Utc));
        }
    }
    for fmt in [
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
        "%d.%m.%Y %H:%M:%S",
        "%d.%m.%Y %H:%M",
        "%d %b %Y %H:%M:%S",
        "%d %b %Y %H:%M",
    ] {
        if let Ok(n) = NaiveDateTime::parse_from_str(s, fmt) {
            return msk()
                .from_local_datetime(&n)
                .single()
                .map(|d| d.with_timezone(&Utc));
        }
    }
    for fmt in ["%Y-%m-%d", "%d.%m.%Y", "%d %b %Y"] {
        if let Ok(d) = NaiveDate::parse_from_str(s, fmt) {
            let n = d.and_hms_opt(0, 0, 0)?;
            return msk()
                .from_local_datetime(&n)
                .single()
                .map(|d| d.with_timezone(&Utc));
        }
    }
    None
}

/// Turns sloppy date text into something chrono reads: drops weekday names (which feeds get
/// wrong anyway), maps Russian month names and named zones to RFC 2822 spellings, adds missing
/// seconds.
fn rewrite_sloppy(s: &str) -> String {
    let lower = s.to_lowercase().replace('ё', "е");
    let mut words: Vec<String> = Vec::new();
    for w in lower.split([' ', ',']).filter(|w| !w.is_empty()) {
        let w = w.trim_end_matches('.');
        if let Some(i) = MONTHS_RU
            .iter()
            .position(|m| w.starts_with(m) && w.chars().all(char::is_alphabetic))
        {
            // «мая»/«май»/«марта»: "ма" alone is May; "мар" is March and matched first.
            let i = if w.starts_with("мар") { 2 } else { i };
            words.push(MONTHS_EN[i].to_string());
            continue;
        }
        if w.chars().all(char::is_alphabetic) && is_weekday(w) {
            continue;
        }
        let zone = match w {
            "msk" | "мск" => Some("+0300"),
            "gmt" | "ut" | "utc" | "z" => Some("+0000"),
            _ => None,
        };
        if let Some(z) = zone {
            words.push(z.to_string());
            continue;
        }
        if let Some(off) = w.strip_prefix("gmt").or_else(|| w.strip_prefix("utc"))
            && let Some(z) = offset_from_hours(off)
        {
            words.push(z);
            continue;
        }
        if let Some(m) = MONTHS_EN.iter().find(|m| m.eq_ignore_ascii_case(w)) {
            words.push(m.to_string());
            continue;
        }
        words.push(w.to_string());
    }
    // "10:00" → "10:00:00" so the RFC 2822 parser accepts it.
    for w in &mut words {
        if w.len() == 5
            && w.as_bytes()[2] == b':'
            && w.bytes().filter(u8::is_ascii_digit).count() == 4
        {
            w.push_str(":00");
        }
    }
    words.join(" ")
}

fn is_weekday(w: &str) -> bool {
    const DAYS: [&str; 14] = [
        "пн",
        "вт",
        "ср",
        "чт",
        "пт",
        "сб",
        "вс",
        "понед",
        "вторн",
        "сред",
        "четв",
        "пятн",
        "суб",
        "воскр",
    ];
    const EN: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
    DAYS.iter().any(|d| w.starts_with(d)) || EN.iter().any(|d| w.starts_with(d))
}

fn offset_from_hours(s: &str) -> Option<String> {
    let (sign, rest) = match s.as_bytes().first()? {
        b'+' => ('+', &s[1..]),
        b'-' => ('-', &s[1..]),
        _ => return None,
    };
    let (h, m) = match rest.split_once(':') {
        Some((h, m)) => (h.parse::<u32>().ok()?, m.parse::<u32>().ok()?),
        None => (rest.parse::<u32>().ok()?, 0),
    };
    (h <= 14 && m < 60).then(|| format!("{sign}{h:02}{m:02}"))
}

/// The date to publish: the feed's own, but never in the future (a misconfigured server clock
/// would pin an item to the top for days), and the first-seen time when there is none.
pub fn settle_date(parsed: Option<DateTime<Utc>>, now: DateTime<Utc>) -> (DateTime<Utc>, bool) {
    // A date before 1970 is a placeholder («01.01.0001») or garbage, and years before 1 AD
    // cannot even be written as RFC 822: treat it as missing.
    let parsed = parsed.filter(|d| d.timestamp() >= 0);
    match parsed {
        Some(d) if d > now + Duration::minutes(5) => (now, false),
        Some(d) => (d, false),
        None => (now, true),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_link(href: &str, base: Option<&str>, expected: Option<&str>) {
        let base = base.map(|b| Url::parse(b).unwrap());
        assert_eq!(
            canonical_link(href, base.as_ref()).as_deref(),
            expected,
            "{href}"
        );
    }

    #[test]
    fn links_are_absolute_and_canonical() {
        check_link(
            "/news/123?utm_source=rss&utm_medium=feed",
            Some("https://lipetsk-vesti.example/rss.xml"),
            Some("https://lipetsk-vesti.example/news/123"),
        );
        check_link(
            "HTTPS://Lipetsk-Vesti.EXAMPLE:443/news/1?id=5&yclid=99&fbclid=x#comments",
            None,
            Some("https://lipetsk-vesti.example/news/1?id=5"),
        );
        check_link(
            "https://a.test/news.php?12345&q=a%20b&utm_source=x&path=a/b;c",
            None,
            Some("https://a.test/news.php?12345&q=a%20b&path=a/b;c"),
        );
        check_link(
            "https://a.test/news.php?12345",
            None,
            Some("https://a.test/news.php?12345"),
        );
        check_link("javascript:alert(1)", None, None);
        check_link("", None, None);
    }

    #[test]
    fn titles_are_decoded_and_collapsed() {
        assert_eq!(
            clean_title("  Губернатор&amp;nbsp;открыл \n\t &laquo;Школу&raquo;  "),
            "Губернатор открыл «Школу»"
        );
        assert_eq!(
            clean_title("Цены &amp;quot;выросли&amp;quot;"),
            "Цены \"выросли\""
        );
        assert_eq!(clean_title("<b>Срочно:</b> ДТП"), "Срочно: ДТП");
        assert_eq!(
            clean_title("&lt;img src=x onerror=alert(1)&gt;Срочно"),
            "Срочно"
        );
        assert_eq!(clean_title("&amp;lt;b&amp;gt;Срочно"), "Срочно");
        assert_eq!(clean_title("Цена &lt; 100 рублей"), "Цена < 100 рублей");
    }

    #[test]
    fn html_is_sanitised_and_links_resolved() {
        let base = Url::parse("https://kursk.example/rss").unwrap();
        let out = sanitize_html(
            &sanitizer(Some(&base)),
            r#"<p onclick="x()">Текст <a href="/news/1">ссылка</a></p><script>alert(1)</script><style>p{}</style><a href="javascript:alert(1)">x</a><img src="/i.jpg">"#,
        );
        assert!(out.contains("<p>Текст"), "{out}");
        assert!(
            out.contains("href=\"https://kursk.example/news/1\""),
            "{out}"
        );
        assert!(out.contains("src=\"https://kursk.example/i.jpg\""), "{out}");
        for bad in ["script", "onclick", "javascript:", "style", "alert"] {
            assert!(!out.contains(bad), "{bad} survived: {out}");
        }
    }

    #[test]
    fn text_keeps_words_apart() {
        assert_eq!(
            html_to_text("<p>один</p><p>два&nbsp;три</p>"),
            "один два три"
        );
        assert_eq!(html_to_text("a &lt; b"), "a < b");
        assert_eq!(collapse_whitespace(" a  b\tc\n"), "a b c");
        assert_eq!(collapse_whitespace("a b\u{a0}c"), "a b c");
        assert_eq!(collapse_whitespace("уже ровно"), "уже ровно");
        assert_eq!(html_to_text("цена < 100 <b>руб</b>"), "цена < 100 руб");
        assert_eq!(
            html_to_text("до<script>var x = '<p>';</script>после<STYLE>p{}</STYLE>!"),
            "до после !"
        );
        assert_eq!(html_to_text("обрыв <a href"), "обрыв <a href");
        // Many tag starts and no `>`: linear, or this test would not finish.
        let many = "<a".repeat(200_000);
        assert_eq!(html_to_text(&many).len(), many.len());
    }

    fn check_date(raw: &str, expected: &str) {
        let want = DateTime::parse_from_rfc3339(expected)
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(parse_date(raw), Some(want), "{raw}");
    }

    #[test]
    fn dates_real_feeds_carry() {
        check_date("Sat, 28 Nov 2026 10:15:00 +0300", "2026-11-28T07:15:00Z");
        check_date("2026-11-28T10:15:00+03:00", "2026-11-28T07:15:00Z");
        check_date("Sat, 28 Nov 2026 10:15:00 MSK", "2026-11-28T07:15:00Z");
        check_date("Sat, 28 Nov 2026 10:15 +0300", "2026-11-28T07:15:00Z");
        check_date("28 Nov 2026 10:15:00 GMT+3", "2026-11-28T07:15:00Z");
        check_date("2026-11-28 10:15:00", "2026-11-28T07:15:00Z");
        check_date("28.11.2026 10:15", "2026-11-28T07:15:00Z");
        check_date("Сб, 28 ноября 2026 10:15:00 +0300", "2026-11-28T07:15:00Z");
        check_date("28 мая 2026 10:15", "2026-05-28T07:15:00Z");
        check_date("28 марта 2026 10:15", "2026-03-28T07:15:00Z");
        check_date("2026-11-28T10:15:00+0300", "2026-11-28T07:15:00Z");
        check_date("2026-11-28T10:15:00.000+0300", "2026-11-28T07:15:00Z");
        check_date("2026-11-28T10:15:00", "2026-11-28T07:15:00Z");
        check_date("2026-11-28T10:15", "2026-11-28T07:15:00Z");
        assert_eq!(parse_date("вчера"), None);
        assert_eq!(parse_date(""), None);
    }

    #[test]
    fn future_dates_are_clamped_and_missing_ones_are_first_seen() {
        let now = Utc.with_ymd_and_hms(2026, 11, 28, 12, 0, 0).unwrap();
        let future = now + Duration::days(2);
        assert_eq!(settle_date(Some(future), now), (now, false));
        assert_eq!(settle_date(None, now), (now, true));
        let ancient = parse_date("01.01.0000 00:00");
        assert!(ancient.is_some());
        assert_eq!(settle_date(ancient, now), (now, true));
        let past = now - Duration::hours(3);
        assert_eq!(settle_date(Some(past), now), (past, false));
    }
}
