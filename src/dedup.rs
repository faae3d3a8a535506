//! Identity keys: when two entries are the same item.
//!
//! An entry is the same item as a stored one when it has the same source+guid, the same
//! canonical link (from any source), or the same normalized content (title + text). The last
//! key catches the press release that five agencies republish word for word under their own
//! links. The store applies these keys in that order.

use std::hash::Hasher;

use siphasher::sip128::{Hasher128, SipHasher13};

/// Lowercased words of letters and digits, `ё` folded to `е`: what two copies of one text
/// share after each agency's typography (quotes, dashes, non-breaking spaces) is removed.
pub fn words(text: &str) -> impl Iterator<Item = String> + '_ {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| w.to_lowercase().replace('ё', "е"))
}

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
}
