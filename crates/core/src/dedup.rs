//! The content hash of a report: whether a source's item changed since it was stored (an edit),
//! and the key of an item that has neither guid nor link. Which reports are copies or one story
//! across sources is the story engine's business (`stories`).

use std::hash::Hasher;

use siphasher::sip128::{Hasher128, SipHasher13};

use crate::text::{fold_into, raw_words};

/// A stable hash of the normalized title and text. The keys are fixed so stored hashes stay
/// valid across versions of svodka and of the hasher crate.
pub fn content_hash(title: &str, text: &str) -> String {
    let mut h = SipHasher13::new_with_keys(0x7376_6f64_6b61_0001, 0x6964_656e_7469_7479);
    // A long body decides alone, since agencies retitle a release they copy word for word;
    // a short one is too common («Подробности позже») to identify an item without its title.
    let long_body = raw_words(text).nth(15).is_some();
    // One buffer for every folded word: a report has hundreds.
    let mut folded = String::new();
    let mut write = |h: &mut SipHasher13, text: &str| {
        for w in raw_words(text) {
            folded.clear();
            fold_into(w, &mut folded);
            h.write(folded.as_bytes());
            h.write_u8(b' ');
        }
    };
    if !long_body {
        write(&mut h, title);
        h.write_u8(b'|');
    }
    write(&mut h, text);
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
    fn stored_hashes_stay_valid() {
        // Values written by earlier versions: a change here would make every stored report
        // look edited on its next fetch.
        assert_eq!(
            content_hash("На ремонт дорог направят 4,2 млрд", "В Липецке ЁЛКА"),
            "5fbcb0d00af41cdec33e5332921781a0"
        );
        let long = "Один два три четыре пять шесть семь восемь девять десять одиннадцать \
                    двенадцать тринадцать четырнадцать пятнадцать шестнадцать Ёж";
        assert_eq!(content_hash("x", long), "a704b551bd9d0449012a3123864f2968");
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
