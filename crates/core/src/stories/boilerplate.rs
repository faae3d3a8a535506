//! Boilerplate learned per source: the sentences an agency puts around every text (its footer,
//! «Подписывайтесь на наш канал», a copyright paragraph, a photo credit), found because they
//! recur in a large share of that agency's own items. Nothing is hard-coded: an agency is
//! compared only with itself.
//!
//! The unit is the word 3-shingle (a short sentence of one or two words counts as one unit).
//! A unit is boilerplate when it occurs in at least `SHARE` of the items of one fetch (a feed
//! lists an agency's recent items, so one fetch is the sample to learn from). A sentence is
//! removed when most of its units are boilerplate: a real sentence that merely shares a phrase
//! with the footer («в Липецкой области») keeps its own words and stays.

use std::collections::{HashMap, HashSet};

use crate::text::words;

/// Share of a fetch's items a unit must recur in to be boilerplate.
const SHARE: f64 = 0.3;
/// Fewer items than this teach nothing: three items sharing a sentence may share a story.
const MIN_ITEMS: usize = 5;
/// A unit must recur in at least this many items.
const MIN_COUNT: usize = 3;
/// With this many items a fetch replaces what was learned before (an agency changes its
/// footer); smaller fetches only add to it.
const REPLACE_ITEMS: usize = 8;
/// A sentence whose units are boilerplate at least this much is dropped.
const SENTENCE_SHARE: f64 = 0.7;
/// At most this many units are kept per source.
const MAX_UNITS: usize = 1024;

/// What one source's items carry around their texts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Boilerplate {
    units: HashSet<u64>,
}

/// The sentences of a text: split at line breaks and after `.`, `!`, `?`, `…` followed by a
/// space. Each keeps its original characters.
pub fn sentences(text: &str) -> impl Iterator<Item = &str> + '_ {
    text.split('\n').flat_map(|line| {
        let mut out = Vec::new();
        let mut start = 0;
        let mut prev_end = false;
        for (i, c) in line.char_indices() {
            if prev_end && c.is_whitespace() {
                out.push(&line[start..i]);
                start = i;
            }
            prev_end = matches!(c, '.' | '!' | '?' | '…');
        }
        out.push(&line[start..]);
        out.into_iter()
            .map(str::trim)
            .filter(|s| s.chars().any(crate::text::is_word_char))
    })
}

/// The units of one sentence. Numbers count as one word whatever their value, so a dateline
/// («ЛИПЕЦК, 18 ноября — ИА …») recurs although its date changes.
fn units(sentence: &str) -> Vec<u64> {
    let ws: Vec<String> = words(sentence)
        .map(|w| {
            if w.chars().all(|c| c.is_ascii_digit()) {
                "#".to_string()
            } else {
                w
            }
        })
        .collect();
    if ws.len() < 3 {
        return vec![hash_words(&ws)];
    }
    ws.windows(3).map(hash_words).collect()
}

fn hash_words(ws: &[String]) -> u64 {
    use std::hash::Hasher;
    let mut h = siphasher::sip::SipHasher13::new_with_keys(0x626f_696c_6572, 0x0070_6c61_7465);
    for w in ws {
        h.write(w.as_bytes());
        h.write_u8(b' ');
    }
    h.finish()
}

impl Boilerplate {
    /// What a fetch of `bodies` (the plain texts of the items a feed listed) teaches, on top of
    /// what was learned before.
    pub fn learn(&self, bodies: &[&str]) -> Boilerplate {
        if bodies.len() < MIN_ITEMS {
            return self.clone();
        }
        let mut counts: HashMap<u64, usize> = HashMap::new();
        for body in bodies {
            let mut seen: HashSet<u64> = HashSet::new();
            for s in sentences(body) {
                seen.extend(units(s));
            }
            for u in seen {
                *counts.entry(u).or_default() += 1;
            }
        }
        let need = MIN_COUNT.max((SHARE * bodies.len() as f64).ceil() as usize);
        let mut frequent: Vec<(usize, u64)> = counts
            .into_iter()
            .filter(|(_, n)| *n >= need)
            .map(|(u, n)| (n, u))
            .collect();
        frequent.sort_unstable_by(|a, b| b.cmp(a));
        let mut units: HashSet<u64> = frequent
            .into_iter()
            .take(MAX_UNITS)
            .map(|(_, u)| u)
            .collect();
        if bodies.len() < REPLACE_ITEMS {
            units.extend(self.units.iter().copied().take(MAX_UNITS));
        }
        Boilerplate { units }
    }

    /// The text without its boilerplate sentences, sentences joined by spaces and paragraphs
    /// by line breaks.
    pub fn strip(&self, text: &str) -> String {
        let mut out = String::with_capacity(text.len());
        for para in text.split('\n') {
            let mut kept = String::new();
            for s in sentences(para) {
                if self.is_boilerplate(s) {
                    continue;
                }
                if !kept.is_empty() {
                    kept.push(' ');
                }
                kept.push_str(s);
            }
            if !kept.is_empty() {
                if !out.is_empty() {
                    out.push('\n');
                }
                out.push_str(&kept);
            }
        }
        out
    }

    fn is_boilerplate(&self, sentence: &str) -> bool {
        if self.units.is_empty() {
            return false;
        }
        let us = units(sentence);
        let hits = us.iter().filter(|u| self.units.contains(u)).count();
        hits as f64 >= SENTENCE_SHARE * us.len() as f64
    }

    pub fn is_empty(&self) -> bool {
        self.units.is_empty()
    }

    /// Stored form: the units as little-endian u64s, sorted (so equal sets store equal bytes).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut v: Vec<u64> = self.units.iter().copied().collect();
        v.sort_unstable();
        v.iter().flat_map(|u| u.to_le_bytes()).collect()
    }

    /// The stored form read back; a damaged blob teaches nothing rather than failing a fetch.
    pub fn from_bytes(b: &[u8]) -> Boilerplate {
        Boilerplate {
            units: b
                .chunks_exact(8)
                .map(|c| u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]))
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NEWS: [&str; 6] = [
        "В Липецке на улице Гагарина отремонтируют теплотрассу. Работы продлятся до пятницы.",
        "Липецкие полицейские задержали подозреваемого в краже кабеля с подстанции.",
        "В Грязях открылась новая поликлиника на 300 посещений в смену.",
        "Губернатор Липецкой области провёл совещание о подготовке к зиме.",
        "В Ельце завершили реставрацию Вознесенского собора, работы шли три года.",
        "На трассе Липецк — Данков ограничат движение из-за ремонта моста.",
    ];

    fn with_footer(i: usize, body: &str) -> String {
        format!(
            "ЛИПЕЦК, {} ноября — ИА «Липецк-Информ».\n{body}\nЧитайте также: новость номер {i}.\n\
             Подписывайтесь на наш канал в Telegram, чтобы первыми узнавать новости региона.\n\
             © 2026 ИА «Липецк-Информ». Все права защищены. При использовании материалов ссылка \
             на сайт обязательна.",
            10 + i
        )
    }

    #[test]
    fn a_footer_that_recurs_is_learned_and_stripped_and_the_news_stays() {
        let texts: Vec<String> = NEWS
            .iter()
            .enumerate()
            .map(|(i, b)| with_footer(i, b))
            .collect();
        let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
        let b = Boilerplate::default().learn(&refs);
        let stripped = b.strip(&texts[0]);
        assert!(stripped.contains("отремонтируют теплотрассу"), "{stripped}");
        assert!(stripped.contains("до пятницы"), "{stripped}");
        assert!(!stripped.contains("Подписывайтесь"), "{stripped}");
        assert!(!stripped.contains("права защищены"), "{stripped}");
        // The dateline changes its date but keeps the agency's words; most of it goes.
        assert!(!stripped.contains("ИА «Липецк-Информ»"), "{stripped}");
        // Another agency's text quoting a phrase of the footer keeps its sentence.
        let other = "Губернатор Липецкой области поручил проверить все теплотрассы.";
        assert_eq!(b.strip(other), other);
        // Round trip through the stored form.
        assert_eq!(Boilerplate::from_bytes(&b.to_bytes()), b);
    }

    #[test]
    fn too_few_items_teach_nothing_and_small_fetches_keep_what_was_learned() {
        let texts: Vec<String> = NEWS
            .iter()
            .enumerate()
            .map(|(i, b)| with_footer(i, b))
            .collect();
        let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
        assert!(Boilerplate::default().learn(&refs[..3]).is_empty());
        let learned = Boilerplate::default().learn(&refs);
        // A later fetch of five items without the footer keeps the footer learned before.
        let later = learned.learn(&NEWS[..5]);
        assert!(!later.strip(&texts[1]).contains("Подписывайтесь"));
    }

    #[test]
    fn sentences_split_at_ends_and_lines() {
        let s: Vec<&str> =
            sentences("Первое. Второе! Третье?\nЧетвёртое… пятое 4,2 млрд.").collect();
        assert_eq!(
            s,
            [
                "Первое.",
                "Второе!",
                "Третье?",
                "Четвёртое…",
                "пятое 4,2 млрд."
            ]
        );
    }
}
