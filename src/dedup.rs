//! Identity keys: when two entries are the same item.
//!
//! An entry is the same item as a stored one when it has the same source+guid, the same
//! canonical link (from any source), or the same normalized content (title + text). The last
//! key catches the press release that five agencies republish word for word under their own
//! links. The store applies these keys in that order.
//!
//! Items that are not the same but say the same thing in near-identical words (an agency that
//! edits two words of a release) form one *story*: a MinHash signature over word 3-shingles
//! estimates how much two texts share, and LSH bands find the candidates without comparing
//! every pair. Written here because the crates are thin or heavy (CRATES.md): this is ~60 lines
//! with a fixed-key hash, so signatures stored in the database stay valid across versions.

use std::hash::Hasher;

use siphasher::sip128::{Hasher128, SipHasher13};

pub use crate::text::words;

/// A stable hash of the normalized title and text. The keys are fixed so stored hashes stay
/// valid across versions of svodka and of the hasher crate.
pub fn content_hash(title: &str, text: &str) -> String {
    let mut h = SipHasher13::new_with_keys(0x7376_6f64_6b61_0001, 0x6964_656e_7469_7479);
    // A long body decides alone, since agencies retitle a release they copy word for word;
    // a short one is too common («Подробности позже») to identify an item without its title.
    let long_body = words(text).nth(15).is_some();
    if !long_body {
        for w in words(title) {
            h.write(w.as_bytes());
            h.write_u8(b' ');
        }
        h.write_u8(b'|');
    }
    for w in words(text) {
        h.write(w.as_bytes());
        h.write_u8(b' ');
    }
    let v = h.finish128();
    format!("{:016x}{:016x}", v.h1, v.h2)
}

/// Hashes per signature; 16 bands of 4 rows each.
pub const SIGNATURE_LEN: usize = 64;
pub const BANDS: usize = 16;
const ROWS: usize = SIGNATURE_LEN / BANDS;
/// Texts shorter than this say too little to tell a story from a coincidence.
const MIN_WORDS: usize = 20;
/// The estimated share of common shingles above which two texts are one story. Two edited
/// words in a hundred change about six shingles in a hundred (similarity ~0.9); a different
/// story on the same subject shares well under a third.
pub const STORY_SIMILARITY: f64 = 0.6;

/// A MinHash signature: per hash function, the least hash of any shingle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signature(pub [u32; SIGNATURE_LEN]);

/// splitmix64: a cheap, well-mixed permutation to derive the 64 hash functions from one.
fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

/// The signature of a text, or `None` when it is too short to compare.
pub fn signature(text: &str) -> Option<Signature> {
    let ws: Vec<String> = words(text).collect();
    if ws.len() < MIN_WORDS {
        return None;
    }
    let mut sig = [u32::MAX; SIGNATURE_LEN];
    for shingle in ws.windows(3) {
        let mut h =
            siphasher::sip::SipHasher13::new_with_keys(0x5348_494e_474c_4531, 0x7374_6f72_7931);
        for w in shingle {
            h.write(w.as_bytes());
            h.write_u8(b' ');
        }
        let base = h.finish();
        for (i, slot) in sig.iter_mut().enumerate() {
            let v = (mix(base ^ (i as u64).wrapping_mul(0x2545_f491_4f6c_dd1d)) >> 32) as u32;
            *slot = (*slot).min(v);
        }
    }
    Some(Signature(sig))
}

impl Signature {
    /// The estimated Jaccard similarity of the two texts' shingle sets.
    pub fn similarity(&self, other: &Signature) -> f64 {
        let same = self
            .0
            .iter()
            .zip(other.0.iter())
            .filter(|(a, b)| a == b)
            .count();
        same as f64 / SIGNATURE_LEN as f64
    }

    /// One key per band: texts that agree on all rows of any band are candidates.
    pub fn band_keys(&self) -> [i64; BANDS] {
        let mut keys = [0i64; BANDS];
        for (b, key) in keys.iter_mut().enumerate() {
            let mut h = siphasher::sip::SipHasher13::new_with_keys(b as u64, 0x6261_6e64);
            for v in &self.0[b * ROWS..(b + 1) * ROWS] {
                h.write_u32(*v);
            }
            *key = h.finish() as i64;
        }
        keys
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        self.0.iter().flat_map(|v| v.to_le_bytes()).collect()
    }

    /// `None` for a blob of the wrong size (a damaged or foreign row).
    pub fn from_bytes(b: &[u8]) -> Option<Signature> {
        if b.len() != SIGNATURE_LEN * 4 {
            return None;
        }
        let mut sig = [0u32; SIGNATURE_LEN];
        for (slot, chunk) in sig.iter_mut().zip(b.chunks_exact(4)) {
            *slot = u32::from_le_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]);
        }
        Some(Signature(sig))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RELEASE: &str = "В 2027 году на ремонт региональных дорог Липецкой области направят 4,2 млрд рублей, \
        сообщила пресс-служба администрации области. Работы пройдут на 48 участках общей протяжённостью \
        более 230 километров.";

    #[test]
    fn the_same_release_with_other_typography_hashes_the_same() {
        let a = content_hash("На ремонт дорог направят 4,2 млрд", RELEASE);
        let retyped = RELEASE.replace("ё", "е").replace(", ", " ,  ");
        let b = content_hash(
            "Дороги: 4,2 млрд рублей на ремонт",
            &format!("  {retyped}\u{a0}"),
        );
        assert_eq!(a, b);
    }

    #[test]
    fn different_texts_differ() {
        let a = content_hash("t", RELEASE);
        let b = content_hash("t", &RELEASE.replace("48", "49"));
        assert_ne!(a, b);
        // Two short items are told apart by title.
        assert_ne!(
            content_hash("ДТП на трассе М-4", "Подробности позже"),
            content_hash("Погода", "Подробности позже")
        );
    }

    const CORRECTED: &str = "Губернатор Липецкой области подписал распоряжение о выделении 4,2 млрд рублей \
        на ремонт региональных дорог в 2027 году. Работы пройдут на 48 участках общей протяжённостью \
        более 230 километров, включая трассу Липецк — Грязи и подъезды к четырнадцати сельским школам. \
        Подрядчиков определят на торгах до первого марта, а сами работы начнутся сразу после схода снега, \
        сообщила пресс-служба администрации области.";

    #[test]
    fn two_edited_words_are_one_story_and_another_story_is_not() {
        let a = signature(CORRECTED).unwrap();
        let edited = CORRECTED
            .replace("сообщила пресс-служба", "рассказали в пресс-службе")
            .replace("первого марта", "1 марта");
        let b = signature(&edited).unwrap();
        assert!(a.similarity(&b) >= STORY_SIMILARITY, "{}", a.similarity(&b));
        let shared_bands = a
            .band_keys()
            .iter()
            .zip(b.band_keys())
            .filter(|(x, y)| *x == y)
            .count();
        assert!(shared_bands > 0);
        let other = signature(
            "В Липецкой области стартовал ремонт школ: к сентябрю 2027 года обновят кровлю и окна \
             в двадцати шести зданиях, а на оборудование кабинетов физики и химии направят 300 млн \
             рублей, сообщили в управлении образования и науки региона на заседании правительства.",
        )
        .unwrap();
        assert!(a.similarity(&other) < 0.2, "{}", a.similarity(&other));
    }

    #[test]
    fn short_texts_have_no_signature_and_blobs_round_trip() {
        assert!(signature("ДТП на трассе М-4, подробности позже").is_none());
        let a = signature(CORRECTED).unwrap();
        assert_eq!(Signature::from_bytes(&a.to_bytes()), Some(a));
        assert_eq!(Signature::from_bytes(b"short"), None);
    }
}
