//! The lead of an item: its first paragraph, where a headline topic is looked for beside the
//! title. An agency's footer («© ИА «Липецк-Информ», Липецк») or a list of related links is
//! never in it.

use crate::parse::normalize::{collapse_whitespace, html_to_text};

/// A lead longer than this is a whole text without paragraphs: it is cut after the last
/// sentence that ends within it.
const MAX_CHARS: usize = 400;

/// The lead of an item: the first paragraph with text of its summary (a feed's description is
/// most often the lead itself), else of its content, else the first sentences of its plain
/// text; at most `MAX_CHARS`, cut at a sentence end. Pass text with the source's boilerplate
/// already removed when there is such text.
pub fn lead(summary: Option<&str>, content: Option<&str>, text: &str) -> String {
    let para = [summary, content]
        .into_iter()
        .flatten()
        .find_map(first_paragraph)
        .unwrap_or_else(|| collapse_whitespace(text));
    cap(&para)
}

/// Where a paragraph ends: block tags, two line breaks in a row, a blank line in plain text.
/// One pass over the text, looking at each `<` and line break, with no lowercased copy: the
/// lead is taken for every report. Tags are matched without regard to ASCII case.
fn breaks(html: &str) -> Vec<(usize, usize)> {
    const TAGS: [&str; 10] = [
        "<p>", "<p ", "</p>", "<div", "</div>", "</li>", "</h1>", "</h2>", "</h3>", "<hr",
    ];
    let bytes = html.as_bytes();
    let at = |i: usize, pat: &str| {
        bytes
            .get(i..i + pat.len())
            .is_some_and(|b| b.eq_ignore_ascii_case(pat.as_bytes()))
    };
    let mut out = Vec::new();
    // A run of line breaks counts in pairs, as a search for "\n\n" finds them: each break
    // ends where the next may begin.
    let (mut lf_from, mut crlf_from) = (0, 0);
    let mut last_br: Option<usize> = None;
    for (i, c) in html.match_indices(['<', '\n', '\r']) {
        match c {
            "<" => {
                if TAGS.iter().any(|t| at(i, t)) {
                    // The break ends with its tag: `<p style="…">` or `<div class="…">` must
                    // not leave its attributes as the paragraph's first words.
                    out.push((i, tag_end(html, i)));
                }
                if at(i, "<br") {
                    // `<br>` twice, with only whitespace between.
                    if let Some(prev) = last_br
                        && let Some(gt) = html[prev..].find('>').map(|g| prev + g + 1)
                        && gt <= i
                        && html[gt..i].trim().is_empty()
                    {
                        out.push((prev, i));
                    }
                    last_br = Some(i);
                }
            }
            "\n" if i >= lf_from && at(i, "\n\n") => {
                out.push((i, i + 2));
                lf_from = i + 2;
            }
            "\r" if i >= crlf_from && at(i, "\r\n\r\n") => {
                out.push((i, i + 4));
                crlf_from = i + 4;
            }
            _ => {}
        }
    }
    out.sort_unstable();
    out
}

/// Where the tag opening at `i` ends: after its `>`, or at the end of a text cut inside it.
fn tag_end(html: &str, i: usize) -> usize {
    html[i..].find('>').map_or(html.len(), |g| i + g + 1)
}

/// The text of the first paragraph that has any, or `None` for markup without text.
fn first_paragraph(html: &str) -> Option<String> {
    let mut from = 0;
    for (start, end) in breaks(html).into_iter().chain([(html.len(), html.len())]) {
        if start < from {
            continue;
        }
        let text = html_to_text(&html[from..start]);
        if !text.trim().is_empty() {
            return Some(text);
        }
        from = end;
    }
    None
}

fn cap(text: &str) -> String {
    let text = text.trim();
    let Some((limit, _)) = text.char_indices().nth(MAX_CHARS) else {
        return text.to_string();
    };
    let head = &text[..limit];
    let sentence_end = head
        .rmatch_indices(['.', '!', '?', '…'])
        .map(|(i, m)| i + m.len())
        .find(|&e| head[e..].starts_with(char::is_whitespace));
    match sentence_end {
        Some(e) if e > MAX_CHARS / 5 => head[..e].to_string(),
        _ => head
            .rfind(char::is_whitespace)
            .map_or(head, |i| &head[..i])
            .to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The breaks as a plain search per kind over a lowercased copy finds them: the reference
    /// implementation the one-pass `breaks` must agree with.
    fn breaks_by_search(html: &str) -> Vec<(usize, usize)> {
        let lower = html.to_ascii_lowercase();
        let mut out = Vec::new();
        for pat in [
            "<p>", "<p ", "</p>", "<div", "</div>", "</li>", "</h1>", "</h2>", "</h3>", "\n\n",
            "\r\n\r\n", "<hr",
        ] {
            out.extend(lower.match_indices(pat).map(|(i, _)| {
                let end = if pat.starts_with('<') {
                    tag_end(html, i)
                } else {
                    i + pat.len()
                };
                (i, end)
            }));
        }
        // `<br>` twice, with only whitespace between: one scan over every `<br`.
        let brs: Vec<usize> = lower.match_indices("<br").map(|(i, _)| i).collect();
        for pair in brs.windows(2) {
            let Some(gt) = lower[pair[0]..].find('>').map(|g| pair[0] + g + 1) else {
                continue;
            };
            if gt <= pair[1] && lower[gt..pair[1]].trim().is_empty() {
                out.push((pair[0], pair[1]));
            }
        }
        out.sort_unstable();
        out
    }

    proptest::proptest! {
        #[test]
        fn one_pass_finds_the_breaks_a_search_per_kind_finds(
            parts in proptest::collection::vec(
                proptest::sample::select(vec![
                    "<p>", "<P class=\"x\">", "</p>", "<div>", "</DIV>", "</li>", "</h1>",
                    "</h2>", "</h3>", "<hr/>", "<br>", "<BR/>", "<br />", " ", "\n", "\r\n",
                    "\r", "Липецк", "текст", ">", "<", "<b>", "<pre>", ".",
                ]),
                0..40,
            ),
        ) {
            let html = parts.concat();
            proptest::prop_assert_eq!(breaks(&html), breaks_by_search(&html), "{:?}", html);
        }
    }

    #[test]
    fn the_first_paragraph_of_the_summary_or_the_content() {
        let html = "<p>В Липецке открыли мост через Воронеж.</p>\n<p>Мост строили два года.</p>\
                    <p>© ИА «Липецк-Информ», Липецк</p>";
        assert_eq!(
            lead(Some(html), None, ""),
            "В Липецке открыли мост через Воронеж."
        );
        assert_eq!(
            lead(Some("<p> </p>"), Some(html), ""),
            "В Липецке открыли мост через Воронеж."
        );
        assert_eq!(
            lead(
                Some("Снег в Ельце.<br/>\n<br />Подробнее на сайте"),
                None,
                ""
            ),
            "Снег в Ельце."
        );
        assert_eq!(
            lead(Some("Первая строка\n\nВторая"), None, ""),
            "Первая строка"
        );
        // Attributes are the tag's, not the paragraph's first words; a lead-only item whose
        // first block is a photo has its lead in the next one.
        assert_eq!(
            lead(
                Some(
                    "<P STYLE=\"text-align: justify;\"><STRONG>ЛИПЕЦК, 1 дек — РИА «Липецк».\
                     </STRONG> В Грязях закрыли мост.</P>\r\n\r\n<P>Объезд через Казинку.</P>"
                ),
                None,
                ""
            ),
            "ЛИПЕЦК, 1 дек — РИА «Липецк». В Грязях закрыли мост."
        );
        assert_eq!(
            lead(
                None,
                Some("<div class=\"detail\"><img src=\"/a.jpg\"/></div><div>Только лид.</div>"),
                ""
            ),
            "Только лид."
        );
        // No summary, no content: the first sentences of the plain text.
        assert_eq!(lead(None, None, "  Просто текст. "), "Просто текст.");
    }

    #[test]
    fn a_text_without_paragraphs_is_cut_at_a_sentence() {
        let sentence = "В Курске отремонтировали ещё один участок улицы Ленина. ";
        let long = sentence.repeat(20) + "Курские новости, Курск";
        let l = lead(None, None, &long);
        assert!(l.ends_with("Ленина."), "{l}");
        assert!(
            l.chars().count() <= MAX_CHARS && l.chars().count() > 300,
            "{l}"
        );
        assert!(!l.contains("Курские новости"));
        let words = "слово ".repeat(200);
        let l = lead(None, None, &words);
        assert!(
            l.chars().count() <= MAX_CHARS && l.ends_with("слово"),
            "{l}"
        );
    }
}
