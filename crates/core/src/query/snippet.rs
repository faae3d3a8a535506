//! The snippet of a found report: the stretch of its text with the most of the query's words,
//! those words marked. Found by lemmas, as the index found the report, so «в Химках» is marked
//! for a search of «Химки».

use super::parse::Wanted;
use super::terms::Lemmatizer;
use crate::text::{fold, raw_words};

/// Words a snippet shows.
const WINDOW: usize = 28;

/// A piece of a snippet: text, and whether it is one of the words looked for.
pub type Part = (String, bool);

/// Where a word lies in `text` (byte range).
fn span(text: &str, w: &str) -> (usize, usize) {
    let start = w.as_ptr() as usize - text.as_ptr() as usize;
    (start, start + w.len())
}

/// Which words of `text` are wanted: their byte ranges, in order, each with the index of the
/// query's term it belongs to.
fn found(text: &str, wanted: &[Vec<Wanted>], lem: &Lemmatizer) -> Vec<(usize, usize, bool)> {
    raw_words(text)
        .map(|w| {
            let (a, b) = span(text, w);
            let folded = fold(w);
            let lemmas = lem.lemmas(w);
            let hit = wanted
                .iter()
                .flatten()
                .any(|want| want.matches(&folded, &lemmas));
            (a, b, hit)
        })
        .collect()
}

/// The whole of a short text (a title) with the wanted words marked.
pub fn mark(text: &str, wanted: &[Vec<Wanted>], lem: &Lemmatizer) -> Vec<Part> {
    let words = found(text, wanted, lem);
    parts(text, &words, 0, text.len())
}

/// The best stretch of a long text, marked; an ellipsis where it was cut.
pub fn snippet(text: &str, wanted: &[Vec<Wanted>], lem: &Lemmatizer) -> Vec<Part> {
    let words = found(text, wanted, lem);
    if words.is_empty() {
        return Vec::new();
    }
    // The window with the most marked words, the earliest among equals.
    let hits: Vec<usize> = words.iter().map(|w| usize::from(w.2)).collect();
    let n = WINDOW.min(words.len());
    let mut sum: usize = hits[..n].iter().sum();
    let (mut best, mut best_at) = (sum, 0);
    for i in n..words.len() {
        sum = sum + hits[i] - hits[i - n];
        if sum > best {
            best = sum;
            best_at = i + 1 - n;
        }
    }
    // Start a few words before the first hit in the window, so it has some context.
    let first_hit = (best_at..best_at + n)
        .find(|&i| words[i].2)
        .unwrap_or(best_at);
    let start_word = first_hit.saturating_sub(4).max(best_at.saturating_sub(4));
    let end_word = (start_word + n).min(words.len());
    let start = if start_word == 0 {
        0
    } else {
        words[start_word].0
    };
    let end = if end_word == words.len() {
        text.len()
    } else {
        words[end_word - 1].1
    };
    let mut out = Vec::new();
    if start > 0 {
        out.push(("… ".to_string(), false));
    }
    out.extend(parts(text, &words[start_word..end_word], start, end));
    if end < text.len() {
        out.push((" …".to_string(), false));
    }
    out
}

fn parts(text: &str, words: &[(usize, usize, bool)], start: usize, end: usize) -> Vec<Part> {
    let mut out: Vec<Part> = Vec::new();
    let mut at = start;
    for &(a, b, hit) in words {
        if !hit {
            continue;
        }
        if a > at {
            out.push((text[at..a].to_string(), false));
        }
        out.push((text[a..b].to_string(), true));
        at = b;
    }
    if end > at {
        out.push((text[at..end].to_string(), false));
    }
    out
}

/// A snippet as plain text, the marked words in \[brackets\] (the command line's form).
pub fn plain(parts: &[Part]) -> String {
    parts
        .iter()
        .map(|(t, hit)| if *hit { format!("[{t}]") } else { t.clone() })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_forms_found_are_marked_in_their_stretch() {
        let lem = Lemmatizer::new();
        let want = vec![vec![Wanted::Lemmas(lem.lemmas("Химки"))]];
        let text = format!(
            "{} В Химках открыли новую школу. {}",
            "Начало текста без нужных слов. ".repeat(10),
            "Конец текста тоже длинный. ".repeat(10)
        );
        let s = plain(&snippet(&text, &want, &lem));
        assert!(s.contains("[Химках]"), "{s}");
        assert!(s.starts_with("… ") && s.ends_with(" …"), "{s}");
        assert_eq!(plain(&mark("Химки", &want, &lem)), "[Химки]");
    }
}
