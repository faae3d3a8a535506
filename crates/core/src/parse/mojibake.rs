//! Repairs double-encoded text: UTF-8 that was once read as windows-1251, windows-1252/Latin-1 or KOI8-R and stored again as UTF-8 («РЎРёСЂРёСЏ» → «Сирия»).

use std::borrow::Cow;
use std::sync::OnceLock;

use encoding_rs::{Encoding, KOI8_R, WINDOWS_1251, WINDOWS_1252};

/// Repeated repairs undo text that went through the wrong decoder more than once; three rounds is more than real feeds need.
const MAX_ROUNDS: usize = 3;

/// Returns the text with double encoding undone, or the input unchanged (borrowed) when it does not clearly look double-encoded.
pub fn repair(s: &str) -> Cow<'_, str> {
    let mut current = Cow::Borrowed(s);
    for _ in 0..MAX_ROUNDS {
        match repair_once(&current) {
            Some(fixed) => current = Cow::Owned(fixed),
            None => break,
        }
    }
    current
}

/// One wrong decoder that UTF-8 bytes may have gone through.
struct Path {
    encoding: &'static Encoding,
    /// Latin-1 readers turn bytes 0x80..=0xFF into the same code points, so those map straight back.
    latin1_identity: bool,
    /// What the wrong decoder made of the UTF-8 lead bytes 0xD0..=0xD3 that start every Cyrillic letter.
    leads: [char; 4],
    /// Guesses a continuation byte that the wrong decoder dropped (bytes it had no character for).
    guess: fn(lead: u8, next: Option<u8>) -> Option<u8>,
}

const PATHS: [Path; 3] = [
    Path {
        encoding: WINDOWS_1251,
        latin1_identity: false,
        leads: ['Р', 'С', 'Т', 'У'],
        // 0x98 is the one byte windows-1251 leaves undefined; after 0xD0 it can only have been «И».
        guess: |lead, _| (lead == 0xD0).then_some(0x98),
    },
    Path {
        encoding: WINDOWS_1252,
        latin1_identity: true,
        leads: ['Ð', 'Ñ', 'Ò', 'Ó'],
        guess: guess_1252,
    },
    Path {
        encoding: KOI8_R,
        latin1_identity: false,
        leads: ['п', 'я', 'р', 'с'],
        guess: |_, _| None,
    },
];

/// Windows-1252 has no characters for 0x81, 0x8D, 0x8F, 0x90 and 0x9D, so converters often drop them. The guess picks the most frequent Russian letter among the candidates: «А» after 0xD0, «я» at the end of a word and «с» inside one after 0xD1.
fn guess_1252(lead: u8, next: Option<u8>) -> Option<u8> {
    let word_goes_on = next.is_some_and(|b| b.is_ascii_alphanumeric() || b >= 0xC0);
    match lead {
        0xD0 => Some(0x90),
        0xD1 if word_goes_on => Some(0x81),
        0xD1 => Some(0x8F),
        _ => None,
    }
}

/// Maps characters back to the single byte the wrong decoder made them from; sorted by character for binary search.
fn table(path: &Path) -> &'static [(char, u8)] {
    static TABLES: [OnceLock<Vec<(char, u8)>>; 3] =
        [OnceLock::new(), OnceLock::new(), OnceLock::new()];
    let slot = PATHS
        .iter()
        .position(|p| p.encoding == path.encoding)
        .and_then(|i| TABLES.get(i));
    let Some(slot) = slot else { return &[] };
    slot.get_or_init(|| {
        let mut map: Vec<(char, u8)> = (0x80..=0xFFu8)
            .filter_map(|b| {
                let byte = [b];
                let (text, _) = path.encoding.decode_without_bom_handling(&byte);
                let mut chars = text.chars();
                match (chars.next(), chars.next()) {
                    (Some(c), None) if c != '\u{fffd}' => Some((c, b)),
                    _ => None,
                }
            })
            .collect();
        map.sort_unstable();
        map
    })
}

fn byte_of(path: &Path, map: &[(char, u8)], c: char) -> Option<u8> {
    if c.is_ascii() {
        return u8::try_from(c).ok();
    }
    if let Ok(i) = map.binary_search_by_key(&c, |&(k, _)| k) {
        return map.get(i).map(|&(_, b)| b);
    }
    if path.latin1_identity {
        return u8::try_from(u32::from(c)).ok();
    }
    None
}

fn repair_once(s: &str) -> Option<String> {
    if s.is_ascii() {
        return None;
    }
    // The telltale of double encoding is a lead character followed by one standing for a continuation byte (0x80..=0xBF); it is counted for every path in one pass, looking up the table only after a lead.
    let mut telltales = [0usize; PATHS.len()];
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        for (k, path) in PATHS.iter().enumerate() {
            if path.leads.contains(&c)
                && let Some(&next) = chars.peek()
                && byte_of(path, table(path), next).is_some_and(|b| (0x80..=0xBF).contains(&b))
                && let Some(t) = telltales.get_mut(k)
            {
                *t += 1;
            }
        }
    }
    PATHS
        .iter()
        .zip(telltales)
        .filter(|&(_, t)| t >= 2)
        .find_map(|(path, _)| try_path(path, s))
}

fn try_path(path: &Path, s: &str) -> Option<String> {
    let map = table(path);
    let bytes = s
        .chars()
        .map(|c| byte_of(path, map, c))
        .collect::<Option<Vec<u8>>>()?;
    // Text pipelines often turn U+00A0 into a plain space; for a «Р» (0xD0 0xA0 in UTF-8) that leaves the lead byte followed by a space, so the space is read back as the no-break space it was.
    let nbsp = byte_of(path, map, '\u{a0}');
    let (fixed, guessed) = to_utf8_with_guesses(&bytes, nbsp, path.guess)?;
    plausible(&fixed, guessed).then_some(fixed)
}

/// Reads the recovered bytes as UTF-8. The only damage tolerated is a lead byte whose continuation was lost (dropped, or a no-break space turned into a space); anything else means the text was not double-encoded (or only partly), and it is left alone.
fn to_utf8_with_guesses(
    bytes: &[u8],
    nbsp: Option<u8>,
    guess: fn(u8, Option<u8>) -> Option<u8>,
) -> Option<(String, usize)> {
    let mut out = Vec::with_capacity(bytes.len() + 4);
    let mut rest = bytes;
    let mut guessed = 0usize;
    loop {
        match std::str::from_utf8(rest) {
            Ok(_) => {
                out.extend_from_slice(rest);
                break;
            }
            Err(e) => {
                let (valid, after) = rest.split_at(e.valid_up_to());
                out.extend_from_slice(valid);
                let lone_lead = match e.error_len() {
                    Some(len) => len == 1,
                    None => after.len() == 1,
                };
                let lead = *after.first()?;
                if !lone_lead || !(0xC2..=0xDF).contains(&lead) {
                    return None;
                }
                let next = after.get(1).copied();
                out.push(lead);
                guessed += 1;
                if let (0xD0, Some(b' '), Some(nbsp)) = (lead, next, nbsp) {
                    out.push(nbsp);
                    rest = after.get(2..)?;
                } else {
                    out.push(guess(lead, next)?);
                    rest = after.get(1..)?;
                }
            }
        }
    }
    String::from_utf8(out).ok().map(|s| (s, guessed))
}

/// Accepts a repair only when the result reads as ordinary Cyrillic text, so that rare legitimate letter pairs never get rewritten into exotic characters.
fn plausible(fixed: &str, guessed: usize) -> bool {
    let (mut non_ascii, mut russian) = (0usize, 0usize);
    for c in fixed.chars().filter(|c| !c.is_ascii()) {
        non_ascii += 1;
        if matches!(c, 'А'..='я' | 'Ё' | 'ё') {
            russian += 1;
        }
        if !expected_char(c) {
            return false;
        }
    }
    let real = non_ascii.saturating_sub(guessed);
    russian >= 2 && russian * 2 >= non_ascii && real >= 2 && guessed <= real
}

/// Characters that turn up in Russian-language news: Cyrillic, Latin-1 and Latin Extended-A letters, punctuation, currency and letterlike signs (№, ™), arrows, maths, common symbols and emoji.
fn expected_char(c: char) -> bool {
    matches!(u32::from(c),
        0x00A0..=0x017F | 0x0400..=0x052F | 0x2000..=0x206F | 0x20A0..=0x20CF
        | 0x2100..=0x214F | 0x2190..=0x22FF | 0x2600..=0x27BF | 0xFE00..=0xFE0F
        | 0x1F000..=0x1FAFF)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Produces the mojibake a real pipeline would: UTF-8 bytes read with the wrong single-byte decoder.
    fn garble(s: &str, wrong: &'static Encoding) -> String {
        wrong
            .decode_without_bom_handling(s.as_bytes())
            .0
            .into_owned()
    }

    #[test]
    fn repairs_utf8_read_as_cp1251() {
        assert_eq!(repair("РЎРёСЂРёСЏ"), "Сирия");
        let title = "В Курске открыли «новый» мост — №5, ёлки и 😀";
        assert_eq!(repair(&garble(title, WINDOWS_1251)), title);
    }

    #[test]
    fn repairs_utf8_read_as_cp1252_or_latin1() {
        assert_eq!(repair("Ð¡Ð¸Ñ€Ð¸Ñ\u{8f}"), "Сирия");
        // Latin-1 readers produce C1 control characters instead of windows-1252 punctuation.
        assert_eq!(repair("Ð¡Ð¸Ñ\u{80}Ð¸Ñ\u{8f}"), "Сирия");
        let title = "Главное: Минфин — «рубль» ёлки";
        assert_eq!(repair(&garble(title, WINDOWS_1252)), title);
    }

    #[test]
    fn repairs_cp1252_with_dropped_undefined_bytes() {
        // Converters often drop U+008F and U+0081, which windows-1252 has no character for.
        assert_eq!(repair("Ð¡Ð¸Ñ€Ð¸Ñ"), "Сирия");
        assert_eq!(repair("ÐœÐ¾ÑÐºÐ²Ð°"), "Москва");
    }

    #[test]
    fn repairs_no_break_space_turned_into_space() {
        // «Р» is 0xD0 0xA0, and 0xA0 read as cp1251 is a no-break space that pipelines often normalise.
        assert_eq!(repair("Р РѕСЃСЃРёСЏ"), "Россия");
        assert_eq!(repair("Р’ Р РѕСЃСЃРёРё"), "В России");
        assert_eq!(repair("Ð Ð¾Ñ\u{81}Ñ\u{81}Ð¸Ñ\u{8f}"), "Россия");
    }

    #[test]
    fn repairs_utf8_read_as_koi8() {
        let title = "Новости Татарстана";
        assert_eq!(repair(&garble(title, KOI8_R)), title);
    }

    #[test]
    fn repairs_double_double_encoding() {
        let twice = garble(&garble("Сирия и Россия", WINDOWS_1251), WINDOWS_1251);
        assert_eq!(repair(&twice), "Сирия и Россия");
    }

    #[test]
    fn leaves_legitimate_text_borrowed() {
        for s in [
            "Сирия",
            "Привет, мир",
            "РСФСР",
            "Р. С. Петров",
            "Breaking news from Moscow",
            "Apple представила iPhone в Москве",
            "«ёлочки» и „лапки“",
            "Тёплый Сёмга",
            "Тё Сё",
            "В «СССР» — 😀🎉",
            "ESPAÑA, Ðóri",
            "",
        ] {
            assert!(matches!(repair(s), Cow::Borrowed(b) if b == s), "{s}");
        }
    }

    #[test]
    fn partially_garbled_text_is_left_alone() {
        let half = format!("Сирия: {}", garble("Россия", WINDOWS_1251));
        assert!(matches!(repair(&half), Cow::Borrowed(_)));
        let broken_tail = format!("{}�", garble("Россия", WINDOWS_1251));
        assert!(matches!(repair(&broken_tail), Cow::Borrowed(_)));
    }

    #[test]
    fn tables_round_trip_encoding_rs() {
        for path in &PATHS {
            let map = table(path);
            let leads = path.leads.map(|c| byte_of(path, map, c));
            assert_eq!(leads, [Some(0xD0), Some(0xD1), Some(0xD2), Some(0xD3)]);
            assert!(map.len() >= 120);
            for &(c, b) in map {
                assert_eq!(byte_of(path, map, c), Some(b));
            }
        }
    }

    proptest! {
        #[test]
        fn never_panics(s in any::<String>()) {
            let _ = repair(&s);
        }

        #[test]
        fn cyrillic_text_is_unchanged(s in "[а-яА-Я ]{0,64}") {
            prop_assert_eq!(repair(&s), s.as_str());
        }
    }
}
