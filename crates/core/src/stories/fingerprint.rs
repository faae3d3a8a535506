//! What the engine keeps of a report: sampled word shingles for copies, weighted terms for
//! stories, an exact hash for short texts. Computed once per report, from its title and its
//! text with the source's boilerplate removed, and stored beside the report so the in-memory
//! indexes can be rebuilt at start without stemming again.
//!
//! Shingles are sampled by value (Broder's mod-m sampling: every shingle whose hash is 0 mod
//! `SAMPLE_MOD`), not by rank as MinHash's bottom-k does: the same shingle is sampled in every
//! text that contains it, so the samples of a lead paragraph are a subset of the samples of its
//! full text, and containment estimated on samples is containment of the texts.

use std::hash::Hasher;

use siphasher::sip::SipHasher13;

use crate::text::{Stems, fold_into, raw_words};

/// The stored form's version: a fingerprint of another version is computed again.
pub const VERSION: u8 = 5;
/// One shingle in this many is sampled.
const SAMPLE_MOD: u64 = 4;
/// Samples kept per report, the first in text order (about 190 words): the beginning of a text
/// is what every copy of it keeps.
pub const MAX_SAMPLES: usize = 48;
/// The first samples in text order are the copy index's keys (a new report looks up all of
/// its samples): a lead paragraph and its full text share their beginning.
pub const INDEX_SAMPLES: usize = 16;
/// Terms kept per report.
pub const TERMS: usize = 24;
/// What one occurrence of a word weighs in the title, in the lead and after it.
const TITLE_WEIGHT: f32 = 3.0;
/// Names (capitalised past a sentence's start, abbreviations) and numbers count this much more.
const NAME_WEIGHT: f32 = 2.2;
/// The lead (the text's first sentences) states the news; what follows is often background
/// that the reports of a whole affair share (the arrest retold under the verdict).
const LEAD_WEIGHT: f32 = 2.0;
/// Sentences of the lead.
const LEAD_SENTENCES: usize = 3;
/// Chosen with the two above on real news pairs (tests/data/real/, BENCHMARKS.md).
const BACKGROUND_WEIGHT: f32 = 0.5;
/// Predicates kept per report.
const ACTS: usize = 32;

#[derive(Debug, Clone, PartialEq)]
pub struct Fingerprint {
    /// Sampled shingle hashes, in text order, without repeats.
    pub samples: Vec<u32>,
    /// Hash of the folded words of title and text: short texts are copies only when equal.
    pub exact: u64,
    /// Hash of the folded words of the title alone: a rubric («Погода на завтра») repeats it.
    pub title: u64,
    /// Words in the text (boilerplate removed).
    pub words: u32,
    /// Term hash → raw weight (term frequency with title and name boosts), highest first.
    pub terms: Vec<(u32, f32)>,
    /// The terms that are names (capitalised past a sentence's start, abbreviations) or
    /// numbers other than years: two reports of one event share at least one.
    pub names: Vec<u32>,
    /// What happened, by the title and the lead: the lemmas (hashed) of
    /// their verbs, short participles and gerunds («задержан», «признался», «потушили»). Two
    /// reports of one affair with the same actors but no predicate in common are most often
    /// two of its stages (the fire and the fire put out).
    pub acts: Vec<u32>,
}

fn shingle_hash(ws: &[&str]) -> u64 {
    let mut h = SipHasher13::new_with_keys(0x5348_494e_474c_4532, 0x636f_7069_6573);
    for w in ws {
        h.write(w.as_bytes());
        h.write_u8(b' ');
    }
    h.finish()
}

/// A fixed-key hash of a term (a stem), stable across versions: stored fingerprints stay valid.
pub fn term_hash(stem: &str) -> u32 {
    let mut h = SipHasher13::new_with_keys(0x7465_726d, 0x7374_656d);
    h.write(stem.as_bytes());
    (h.finish() >> 32) as u32
}

/// A fixed-key hash of a predicate's lemma, apart from the terms' hashes.
fn act_hash(lemma: &str) -> u32 {
    let mut h = SipHasher13::new_with_keys(0x0061_6374, 0x006c_656d_6d61);
    h.write(lemma.as_bytes());
    (h.finish() >> 32) as u32
}

/// Verbs of saying and being: who told the news, not what happened.
const SAYING: &[&str] = &[
    "сообщить",
    "сообщать",
    "сообщаться",
    "заявить",
    "заявлять",
    "рассказать",
    "рассказывать",
    "передать",
    "передавать",
    "говориться",
    "говорить",
    "сказать",
    "отметить",
    "отмечать",
    "уточнить",
    "уточнять",
    "пояснить",
    "добавить",
    "подчеркнуть",
    "быть",
    "стать",
    "являться",
    "мочь",
];

/// Whether a folded word may be a verb, a short participle or a gerund by its ending (the
/// dictionary is asked only then: most words of a text are nouns and adjectives).
fn may_be_predicate(w: &str) -> bool {
    const ENDINGS: &[&str] = &[
        "ть", "ти", "чь", "л", "ла", "ло", "ли", "ся", "сь", "т", "ем", "им", "шь", "те", "н",
        "на", "но", "ны", "та", "то", "ты", "в", "вши",
    ];
    w.chars()
        .next()
        .is_some_and(|c| ('а'..='я').contains(&c) || c == 'ё')
        && ENDINGS.iter().any(|e| w.ends_with(e))
}

/// The predicates of the title and the lead (see [`Fingerprint::acts`]): each
/// word's most likely dictionary reading, looked up once per thread. Empty without the
/// dictionary.
fn acts(title: &str, body: &str) -> Vec<u32> {
    let Some(dict) = crate::morph::dictionary() else {
        return Vec::new();
    };
    let lead = super::boilerplate::sentences(body)
        .filter(|s| s.trim().chars().count() > 1)
        .take(LEAD_SENTENCES);
    let mut out = Vec::new();
    let mut w = String::new();
    for text in std::iter::once(title).chain(lead) {
        // An aside in brackets («(организация запрещена в РФ)») is not what happened.
        let outside = if text.contains('(') {
            let mut depth = 0usize;
            let t: String = text
                .chars()
                .map(|c| {
                    match c {
                        '(' => depth += 1,
                        ')' => depth = depth.saturating_sub(1),
                        _ => {}
                    }
                    if depth > 0 { ' ' } else { c }
                })
                .collect();
            std::borrow::Cow::Owned(t)
        } else {
            std::borrow::Cow::Borrowed(text)
        };
        for (n, raw) in raw_words(&outside).enumerate() {
            // A capital past a sentence's first word is a name's.
            if n > 0 && raw.chars().next().is_some_and(char::is_uppercase) {
                continue;
            }
            w.clear();
            fold_into(raw, &mut w);
            if w.chars().count() < 3 || is_stop(&w) || !may_be_predicate(&w) {
                continue;
            }
            let Some(readings) = crate::morph::readings_cached(dict, raw) else {
                continue;
            };
            let best = readings.iter().max_by(|a, b| a.prob.total_cmp(&b.prob));
            if let Some(r) = best.filter(|r| r.predicate && !SAYING.contains(&r.lemma.as_str())) {
                let h = act_hash(&r.lemma);
                if !out.contains(&h) && out.len() < ACTS {
                    out.push(h);
                }
            }
        }
    }
    out
}

/// Words that tell nothing about which event a report is about: function words and the
/// vocabulary of every news item. They get no weight at all.
const STOP: &[&str] = &[
    "и",
    "в",
    "во",
    "на",
    "с",
    "со",
    "по",
    "к",
    "ко",
    "о",
    "об",
    "от",
    "до",
    "из",
    "за",
    "для",
    "при",
    "у",
    "не",
    "что",
    "как",
    "а",
    "но",
    "же",
    "бы",
    "ли",
    "то",
    "это",
    "этот",
    "эта",
    "эти",
    "этом",
    "этой",
    "так",
    "также",
    "так",
    "уже",
    "еще",
    "ещё",
    "его",
    "ее",
    "её",
    "их",
    "он",
    "она",
    "они",
    "оно",
    "мы",
    "вы",
    "я",
    "все",
    "всех",
    "был",
    "была",
    "были",
    "было",
    "будет",
    "будут",
    "быть",
    "есть",
    "который",
    "которая",
    "которые",
    "которых",
    "который",
    "году",
    "года",
    "год",
    "сообщили",
    "сообщает",
    "сообщил",
    "сообщила",
    "рассказали",
    "рассказал",
    "отметил",
    "отметила",
    "заявил",
    "заявила",
    "пресс",
    "служба",
    "службе",
    "службы",
    "также",
    "однако",
    "кроме",
    "того",
    "после",
    "более",
    "менее",
    "около",
    "между",
    "через",
    "под",
    "над",
    "без",
    "или",
    "если",
    "чтобы",
    "где",
    "когда",
    "тем",
    "том",
    "чем",
    "там",
    "тут",
    "здесь",
    "только",
    "можно",
    "нужно",
    "свои",
    "своих",
    "свой",
    "своей",
    "the",
    "a",
    "of",
    "to",
    "in",
    "and",
    "for",
    "on",
];

fn is_stop(w: &str) -> bool {
    // A set, not a scan of the list: every word of every report is asked.
    static SET: std::sync::LazyLock<rustc_hash::FxHashSet<&'static str>> =
        std::sync::LazyLock::new(|| STOP.iter().copied().collect());
    SET.contains(w)
}

/// Term hashes of folded words, memoized: an agency's fetch repeats its vocabulary, and the
/// Snowball stemmer is most of what a fingerprint costs. One per fetch (or per batch).
pub struct Terms<'a> {
    stems: &'a Stems,
    known: rustc_hash::FxHashMap<String, u32>,
}

impl<'a> Terms<'a> {
    pub fn new(stems: &'a Stems) -> Terms<'a> {
        Terms {
            stems,
            known: rustc_hash::FxHashMap::default(),
        }
    }

    /// The term of a folded word: its stem's hash, or a number's own.
    fn term(&mut self, folded: &str, numeric: bool) -> u32 {
        if let Some(t) = self.known.get(folded) {
            return *t;
        }
        let t = if numeric {
            term_hash(folded)
        } else {
            term_hash(&self.stems.stem_folded(folded))
        };
        self.known.insert(folded.to_string(), t);
        t
    }
}

impl Fingerprint {
    /// The fingerprint of a report: its title and its text with boilerplate removed.
    pub fn of(title: &str, body: &str, stems: &Stems) -> Fingerprint {
        Fingerprint::with_terms(title, body, &mut Terms::new(stems))
    }

    /// [`Fingerprint::of`], with the term cache of a fetch.
    pub fn with_terms(title: &str, body: &str, terms_of: &mut Terms) -> Fingerprint {
        // The folded body in one buffer and its words as slices of it, not a String a word: a
        // report has hundreds of words.
        let mut folded = String::with_capacity(body.len());
        let mut spans: Vec<(usize, usize)> = Vec::new();
        for raw in raw_words(body) {
            let start = folded.len();
            fold_into(raw, &mut folded);
            spans.push((start, folded.len()));
        }
        let body_words: Vec<&str> = spans.iter().map(|&(a, b)| &folded[a..b]).collect();
        let mut samples = Vec::new();
        for sh in body_words.windows(3) {
            let h = shingle_hash(sh);
            if h.is_multiple_of(SAMPLE_MOD) {
                let v = (h >> 32) as u32;
                if !samples.contains(&v) {
                    samples.push(v);
                }
                if samples.len() == MAX_SAMPLES {
                    break;
                }
            }
        }
        let mut exact = SipHasher13::new_with_keys(0x0065_7861_6374, 0x0073_686f_7274);
        let mut title_hash = SipHasher13::new_with_keys(0x0074_6974_6c65, 0x7275_6272_6963);
        let mut w = String::new();
        for raw in raw_words(title) {
            w.clear();
            fold_into(raw, &mut w);
            exact.write(w.as_bytes());
            exact.write_u8(b' ');
            title_hash.write(w.as_bytes());
            title_hash.write_u8(b' ');
        }
        exact.write_u8(b'|');
        for w in &body_words {
            exact.write(w.as_bytes());
            exact.write_u8(b' ');
        }
        let mut weights: rustc_hash::FxHashMap<u32, f32> = rustc_hash::FxHashMap::default();
        let mut names: Vec<u32> = Vec::new();
        let mut add = |text: &str, base: f32| {
            let mut sentence_start = true;
            for raw in raw_words(text) {
                // One buffer for every word of the report, not a string each.
                w.clear();
                fold_into(raw, &mut w);
                let w = w.as_str();
                let start = sentence_start;
                sentence_start = false;
                if is_stop(w) || (w.chars().count() < 3 && !w.chars().all(|c| c.is_ascii_digit())) {
                    continue;
                }
                let numeric = w.chars().all(|c| c.is_ascii_digit());
                let capital = raw.chars().next().is_some_and(char::is_uppercase);
                let abbreviation = raw.chars().count() >= 2 && raw.chars().all(char::is_uppercase);
                let boost = if numeric || abbreviation || (capital && !start) {
                    NAME_WEIGHT
                } else {
                    1.0
                };
                // Small numbers (a temperature, a day) and years are in every other report.
                let plain_number = numeric
                    && (w.len() < 3
                        || (w.len() == 4 && (w.starts_with("19") || w.starts_with("20"))));
                let term = terms_of.term(w, numeric);
                *weights.entry(term).or_default() += base * boost;
                if boost > 1.0 && !plain_number && !names.contains(&term) {
                    names.push(term);
                }
            }
        };
        add(title, TITLE_WEIGHT);
        for (n, s) in super::boilerplate::sentences(body).enumerate() {
            let base = if n < LEAD_SENTENCES {
                LEAD_WEIGHT
            } else {
                BACKGROUND_WEIGHT
            };
            add(s, base);
        }
        let mut terms: Vec<(u32, f32)> = weights
            .into_iter()
            // Sublinear frequency: a word said five times is not five times the topic.
            .map(|(t, w)| (t, 1.0 + w.ln_1p()))
            .collect();
        terms.sort_unstable_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        terms.truncate(TERMS);
        names.retain(|n| terms.iter().any(|(t, _)| t == n));
        Fingerprint {
            samples,
            exact: exact.finish(),
            title: title_hash.finish(),
            words: u32::try_from(body_words.len()).unwrap_or(u32::MAX),
            terms,
            names,
            acts: acts(title, body),
        }
    }

    /// Stored form: a version byte, the counts, then the values, little-endian.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut b = Vec::with_capacity(
            28 + 4 * self.samples.len()
                + 8 * self.terms.len()
                + 4 * (self.names.len() + self.acts.len()),
        );
        b.push(VERSION);
        b.extend_from_slice(&self.exact.to_le_bytes());
        b.extend_from_slice(&self.title.to_le_bytes());
        b.extend_from_slice(&self.words.to_le_bytes());
        b.extend_from_slice(&(self.samples.len() as u16).to_le_bytes());
        b.extend_from_slice(&(self.terms.len() as u16).to_le_bytes());
        b.extend_from_slice(&(self.names.len() as u16).to_le_bytes());
        b.extend_from_slice(&(self.acts.len() as u16).to_le_bytes());
        for s in &self.samples {
            b.extend_from_slice(&s.to_le_bytes());
        }
        for (t, w) in &self.terms {
            b.extend_from_slice(&t.to_le_bytes());
            b.extend_from_slice(&w.to_le_bytes());
        }
        for n in self.names.iter().chain(&self.acts) {
            b.extend_from_slice(&n.to_le_bytes());
        }
        b
    }

    /// `None` for a blob of another version or a damaged one (the report is fingerprinted again).
    pub fn from_bytes(b: &[u8]) -> Option<Fingerprint> {
        let (&version, rest) = b.split_first()?;
        if version != VERSION || rest.len() < 28 {
            return None;
        }
        let exact = u64::from_le_bytes(rest.get(0..8)?.try_into().ok()?);
        let title = u64::from_le_bytes(rest.get(8..16)?.try_into().ok()?);
        // From here on, offsets count from the title (as they did before it was stored).
        let rest = &rest[8..];
        let u32_at = |i: usize| -> Option<u32> {
            Some(u32::from_le_bytes(rest.get(i..i + 4)?.try_into().ok()?))
        };
        let words = u32_at(8)?;
        let ns = u16::from_le_bytes(rest.get(12..14)?.try_into().ok()?) as usize;
        let nt = u16::from_le_bytes(rest.get(14..16)?.try_into().ok()?) as usize;
        let nn = u16::from_le_bytes(rest.get(16..18)?.try_into().ok()?) as usize;
        let na = u16::from_le_bytes(rest.get(18..20)?.try_into().ok()?) as usize;
        if rest.len() != 20 + 4 * ns + 8 * nt + 4 * (nn + na) {
            return None;
        }
        let samples = (0..ns).map(|i| u32_at(20 + 4 * i)).collect::<Option<_>>()?;
        let base = 20 + 4 * ns;
        let terms = (0..nt)
            .map(|i| {
                let t = u32_at(base + 8 * i)?;
                let w = f32::from_bits(u32_at(base + 8 * i + 4)?);
                Some((t, w))
            })
            .collect::<Option<_>>()?;
        let base = base + 8 * nt;
        let names = (0..nn)
            .map(|i| u32_at(base + 4 * i))
            .collect::<Option<_>>()?;
        let base = base + 4 * nn;
        let acts = (0..na)
            .map(|i| u32_at(base + 4 * i))
            .collect::<Option<_>>()?;
        Some(Fingerprint {
            samples,
            exact,
            title,
            words,
            terms,
            names,
            acts,
        })
    }
}

/// The share of the smaller sample set found in the larger: 1.0 when one text contains the
/// other (a lead paragraph and its full text).
pub fn containment(a: &[u32], b: &[u32]) -> f64 {
    let (small, large) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    if small.is_empty() {
        return 0.0;
    }
    let common = if large.len() > 32 {
        let set: std::collections::HashSet<u32> = large.iter().copied().collect();
        small.iter().filter(|s| set.contains(s)).count()
    } else {
        small.iter().filter(|s| large.contains(s)).count()
    };
    common as f64 / small.len() as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    const FULL: &str = "Губернатор Липецкой области подписал распоряжение о выделении 4,2 млрд рублей \
        на ремонт региональных дорог в 2027 году. Работы пройдут на 48 участках общей протяжённостью \
        более 230 километров.\nВ список вошли трасса Липецк — Грязи и подъезды к четырнадцати сельским \
        школам. Подрядчиков определят на торгах до первого марта, а сами работы начнутся сразу после \
        схода снега.\nВ прошлом году в регионе отремонтировали 190 километров дорог, из них половину \
        — в рамках национального проекта.";

    #[test]
    fn a_lead_paragraph_is_contained_in_its_full_text() {
        let s = Stems::new();
        let full = Fingerprint::of("Дороги", FULL, &s);
        let lead = Fingerprint::of("Другой заголовок", FULL.split('\n').next().unwrap(), &s);
        assert!(!lead.samples.is_empty());
        assert_eq!(containment(&lead.samples, &full.samples), 1.0);
        let other = Fingerprint::of(
            "Школы",
            "В Липецкой области стартовал ремонт школ: к сентябрю 2027 года обновят кровлю и окна \
             в двадцати шести зданиях, а на оборудование кабинетов физики и химии направят 300 млн \
             рублей, сообщили в управлении образования и науки региона на заседании правительства.",
            &s,
        );
        assert!(containment(&other.samples, &full.samples) < 0.2);
    }

    #[test]
    fn blobs_round_trip_and_damage_is_refused() {
        let f = Fingerprint::of("Дороги Липецка", FULL, &Stems::new());
        assert_eq!(Fingerprint::from_bytes(&f.to_bytes()), Some(f.clone()));
        let b = f.to_bytes();
        assert_eq!(Fingerprint::from_bytes(&b[..b.len() - 1]), None);
        assert_eq!(Fingerprint::from_bytes(b"\x01abc"), None);
    }

    #[test]
    fn the_predicates_of_title_and_lead_say_what_happened() {
        let s = Stems::new();
        let fire = Fingerprint::of(
            "В Курске горит склад",
            "Пожар на складе на улице Ленина тушат пять расчётов. Людей эвакуировали.",
            &s,
        );
        let out = Fingerprint::of(
            "Пожар на складе в Курске потушен",
            "Пожарные ликвидировали возгорание на складе на улице Ленина.",
            &s,
        );
        let again = Fingerprint::of("Склад горит в Курске", "Пожар тушат пять расчётов.", &s);
        assert!(!fire.acts.is_empty() && !out.acts.is_empty());
        assert!(!fire.acts.iter().any(|a| out.acts.contains(a)));
        assert!(fire.acts.iter().any(|a| again.acts.contains(a)));
        // «пожар», «склад»: nouns say who and where, not what happened.
        assert!(Fingerprint::of("Пожар на складе", "", &s).acts.is_empty());
    }

    #[test]
    fn names_and_title_words_weigh_more_than_common_words() {
        let f = Fingerprint::of(
            "Пожар в Ельце",
            "Вечером в Ельце загорелся склад. На месте работали пожарные.",
            &Stems::new(),
        );
        let s = Stems::new();
        let weight = |w: &str| {
            f.terms
                .iter()
                .find(|(t, _)| *t == term_hash(&s.stem(w)))
                .map(|(_, w)| *w)
        };
        assert!(weight("Ельце").unwrap() > weight("склад").unwrap());
        assert_eq!(weight("на"), None);
    }
}
