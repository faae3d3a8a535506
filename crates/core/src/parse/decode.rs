//! Turns raw feed bytes into UTF-8 text, deciding which encoding to believe among the HTTP header, the BOM, the XML prolog and statistical detection.

use std::ops::Range;

use chardetng::{EncodingDetector, Iso2022JpDetection, Utf8Detection};
use encoding_rs::{Encoding, IBM866, ISO_8859_5, KOI8_R, KOI8_U, UTF_8, UTF_16BE, UTF_16LE};
use encoding_rs::{WINDOWS_1251, WINDOWS_1252, X_MAC_CYRILLIC};

/// Which source of truth picked the encoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DecodedBy {
    Override,
    Bom,
    HttpCharset,
    Prolog,
    Detected,
    Default,
}

/// Feed text decoded to UTF-8, with the encoding used and why it was chosen.
#[derive(Debug, Clone)]
pub struct Decoded {
    pub text: String,
    pub encoding: &'static Encoding,
    pub by: DecodedBy,
}

/// How far into the document the XML declaration is looked for; PHP warnings printed before it can take a few kilobytes.
const PROLOG_WINDOW: usize = 16 * 1024;
/// Detection needs only a sample; feeding a whole multi-megabyte dump would cost time without changing the guess.
const DETECT_WINDOW: usize = 1024 * 1024;

/// Looks up an encoding label, with aliases encoding_rs does not know (koi8r, win-1251, cp-1251, windows1251, maccyrillic, cp866 etc).
pub fn lookup(label: &str) -> Option<&'static Encoding> {
    let label = label.trim().trim_matches(|c| c == '"' || c == '\'').trim();
    if label.is_empty() {
        return None;
    }
    if let Some(enc) = Encoding::for_label(label.as_bytes()) {
        // The WHATWG "replacement" encoding turns a whole document into one U+FFFD, which is never what a feed means.
        return (enc != encoding_rs::REPLACEMENT).then_some(enc);
    }
    // Servers write the same label in many spellings, so compare with separators dropped and case folded.
    let squashed: String = label
        .chars()
        .filter(|c| !matches!(c, '-' | '_' | ' ' | '.'))
        .map(|c| c.to_ascii_lowercase())
        .collect();
    let enc = match squashed.as_str() {
        "win1251" | "windows1251" | "cp1251" | "xcp1251" | "cpwin1251" | "1251" | "ms1251" => {
            WINDOWS_1251
        }
        "win1252" | "windows1252" | "cp1252" | "1252" | "latin1" | "iso88591" => WINDOWS_1252,
        "koi8" | "koi8r" | "cskoi8r" | "koi" => KOI8_R,
        "koi8u" | "koi8ru" => KOI8_U,
        "cp866" | "ibm866" | "866" | "dos866" | "csibm866" | "alt" | "dosrussian" => IBM866,
        "iso88595" | "cyrillic" | "isoir144" | "iso885951988" => ISO_8859_5,
        "maccyrillic" | "xmaccyrillic" | "maccyr" | "macukrainian" | "cp10007" => X_MAC_CYRILLIC,
        "utf8" | "unicode11utf8" => UTF_8,
        "utf16" | "utf16le" | "unicode" | "ucs2" => UTF_16LE,
        "utf16be" | "unicodefffe" => UTF_16BE,
        _ => return None,
    };
    Some(enc)
}

/// The charset parameter of a Content-Type header value, if any (`text/xml; charset="windows-1251"`).
pub fn charset_param(content_type: &str) -> Option<&str> {
    content_type.split(';').skip(1).find_map(|param| {
        let (name, value) = param.split_once('=')?;
        if !name.trim().eq_ignore_ascii_case("charset") {
            return None;
        }
        let value = value.trim().trim_matches(|c| c == '"' || c == '\'').trim();
        (!value.is_empty()).then_some(value)
    })
}

/// Decode feed bytes. Order of trust: override (wins always, if it is a known label), BOM, HTTP charset, XML prolog `encoding=`, detection (chardetng with tld hint b"ru"), UTF-8 default.
pub fn decode(bytes: &[u8], http_charset: Option<&str>, override_label: Option<&str>) -> Decoded {
    let sniffed16 = sniff_utf16(bytes);
    let (text, encoding, by) = if let Some(enc) = override_label.and_then(lookup) {
        // A generic "utf-16" override says nothing about byte order, so the BOM or the sniffed pattern settles it.
        let bom = Encoding::for_bom(bytes);
        let enc = match (is_utf16(enc), bom, sniffed16) {
            (true, Some((b, _)), _) if is_utf16(b) => b,
            (true, None, Some(s)) => s,
            _ => enc,
        };
        let skip = bom.filter(|(b, _)| *b == enc).map_or(0, |(_, len)| len);
        let skipped = bytes.get(skip..).unwrap_or_default();
        (lossy(enc, skipped), enc, DecodedBy::Override)
    } else if let Some((enc, len)) = Encoding::for_bom(bytes) {
        let skipped = bytes.get(len..).unwrap_or_default();
        (lossy(enc, skipped), enc, DecodedBy::Bom)
    } else {
        // An HTTP value may be a whole Content-Type header rather than a bare label, so accept both.
        let http = http_charset.map(|h| charset_param(h).unwrap_or(h));
        let declared = [
            (http.and_then(lookup), DecodedBy::HttpCharset),
            (prolog_label(bytes).and_then(lookup), DecodedBy::Prolog),
        ];
        declared
            .into_iter()
            .find_map(|(enc, by)| {
                let enc = enc?;
                believe(enc, bytes, sniffed16).map(|(text, enc)| (text, enc, by))
            })
            .unwrap_or_else(|| {
                let (enc, by) = detect(bytes, sniffed16);
                (lossy(enc, bytes), enc, by)
            })
    };
    let mut text = text;
    // A stray BOM character left at the start (an override, or a BOM twice) would sit before the prolog and break strict parsers.
    if text.starts_with('\u{feff}') {
        text.drain(..'\u{feff}'.len_utf8());
    }
    rewrite_prolog(&mut text);
    Decoded { text, encoding, by }
}

/// Whether the bytes read plausibly in `label`'s encoding, judged as a declared charset is
/// (a KOI8-R text forced through windows-1251 is not): `None` when they do, else the encoding
/// that undeclared detection would use, for a warning. An unknown label is not judged.
pub fn doubt(bytes: &[u8], label: &str) -> Option<&'static Encoding> {
    let enc = lookup(label)?;
    let text = bytes
        .strip_prefix(b"\xef\xbb\xbf".as_slice())
        .unwrap_or(bytes);
    if believe(enc, text, sniff_utf16(bytes)).is_some() {
        return None;
    }
    Some(decode(bytes, None, None).encoding)
}

fn is_utf16(enc: &'static Encoding) -> bool {
    enc == UTF_16LE || enc == UTF_16BE
}

fn lossy(enc: &'static Encoding, bytes: &[u8]) -> String {
    enc.decode_without_bom_handling(bytes).0.into_owned()
}

/// Decodes with a declared encoding only when the bytes are consistent with it, because servers and CMSes often declare the wrong one.
fn believe(
    enc: &'static Encoding,
    bytes: &[u8],
    sniffed16: Option<&'static Encoding>,
) -> Option<(String, &'static Encoding)> {
    let enc = if is_utf16(enc) {
        // Any even-length byte string decodes "cleanly" as UTF-16, so the declaration is only trusted with the `<\0` pattern behind it.
        sniffed16?
    } else {
        // ASCII-compatible encodings cannot produce the NUL-interleaved bytes of UTF-16.
        if sniffed16.is_some() {
            return None;
        }
        // Single-byte encodings accept every byte, so a claim of cp1251 over bytes that form valid multibyte UTF-8 is a server lying.
        if enc != UTF_8 && !bytes.is_ascii() && std::str::from_utf8(bytes).is_ok() {
            return None;
        }
        enc
    };
    let text = enc.decode_without_bom_handling_and_without_replacement(bytes)?;
    // Every Cyrillic single-byte encoding decodes every other one "cleanly", so a cp1251/KOI8-R mix-up shows only in which letters come out.
    if CYRILLIC_SINGLE_BYTE.contains(&enc) && !reads_as_cyrillic(&text) {
        return None;
    }
    Some((text.into_owned(), enc))
}

const CYRILLIC_SINGLE_BYTE: [&Encoding; 6] = [
    WINDOWS_1251,
    KOI8_R,
    KOI8_U,
    IBM866,
    ISO_8859_5,
    X_MAC_CYRILLIC,
];

/// False when Cyrillic text was clearly decoded with the wrong Cyrillic table. The ten most frequent Russian letters (о е а и н т с р в л, in either case) make up about two thirds of the letters of real Russian or Ukrainian text, and under half when cp1251 and KOI8-R are swapped; short texts are given the benefit of the doubt.
fn reads_as_cyrillic(text: &str) -> bool {
    const ENOUGH: usize = 64;
    // Two thousand letters tell the tables apart with a wide margin; counting a whole feed
    // would cost more than decoding it.
    const SAMPLE: usize = 2_000;
    let (mut letters, mut common) = (0usize, 0usize);
    for c in text.chars().filter(|c| matches!(c, 'А'..='я')).take(SAMPLE) {
        letters += 1;
        common += usize::from(matches!(
            c,
            'о' | 'е'
                | 'а'
                | 'и'
                | 'н'
                | 'т'
                | 'с'
                | 'р'
                | 'в'
                | 'л'
                | 'О'
                | 'Е'
                | 'А'
                | 'И'
                | 'Н'
                | 'Т'
                | 'С'
                | 'Р'
                | 'В'
                | 'Л'
        ));
    }
    letters < ENOUGH || common * 2 >= letters
}

/// Recognises BOM-less UTF-16 from the ASCII markup every XML document starts with (`<\0?\0` or `\0<\0?`).
fn sniff_utf16(bytes: &[u8]) -> Option<&'static Encoding> {
    let head = bytes.get(..bytes.len().min(16))?;
    let units = head.len() / 2;
    if units < 2 {
        return None;
    }
    [(UTF_16LE, 0usize), (UTF_16BE, 1usize)]
        .into_iter()
        .find(|&(_, low)| {
            let ascii = head.chunks_exact(2).all(|u| {
                let (lo, hi) = (u[low], u[1 - low]);
                hi == 0 && lo != 0 && lo < 0x80
            });
            let first = head
                .chunks_exact(2)
                .map(|u| u[low])
                .find(|b| !b.is_ascii_whitespace());
            ascii && first == Some(b'<')
        })
        .map(|(enc, _)| enc)
}

/// Guesses the encoding when nothing declared is believable.
fn detect(bytes: &[u8], sniffed16: Option<&'static Encoding>) -> (&'static Encoding, DecodedBy) {
    if let Some(enc) = sniffed16 {
        return (enc, DecodedBy::Detected);
    }
    if bytes.is_ascii() {
        return (UTF_8, DecodedBy::Default);
    }
    if mostly_utf8(bytes) {
        return (UTF_8, DecodedBy::Detected);
    }
    let sample = bytes.get(..DETECT_WINDOW).unwrap_or(bytes);
    let mut detector = EncodingDetector::new(Iso2022JpDetection::Deny);
    detector.feed(sample, true);
    (
        detector.guess(Some(b"ru"), Utf8Detection::Deny),
        DecodedBy::Detected,
    )
}

/// True for UTF-8 text with at most a few broken bytes (a truncated download, one stray cp1251 letter), which is better read as UTF-8 with replacements than re-read wholesale as a legacy encoding.
fn mostly_utf8(bytes: &[u8]) -> bool {
    let (mut multibyte, mut errors, mut rest) = (0usize, 0usize, bytes);
    loop {
        match std::str::from_utf8(rest) {
            Ok(valid) => {
                multibyte += count_leads(valid.as_bytes());
                break;
            }
            Err(e) => {
                let (valid, after) = rest.split_at(e.valid_up_to());
                multibyte += count_leads(valid);
                errors += 1;
                match e.error_len() {
                    Some(len) => rest = after.get(len..).unwrap_or_default(),
                    None => break,
                }
            }
        }
    }
    // Legacy Cyrillic text almost never forms valid UTF-8 sequences, so genuine UTF-8 shows many more of them than errors.
    multibyte >= 2 && multibyte >= errors * 2
}

fn count_leads(valid: &[u8]) -> usize {
    valid.iter().filter(|&&b| b >= 0xC0).count()
}

/// The byte range of the XML declaration `<?xml ... ?>`, which may follow junk such as whitespace or server warnings.
fn find_decl(bytes: &[u8]) -> Option<Range<usize>> {
    let window = bytes.get(..bytes.len().min(PROLOG_WINDOW)).unwrap_or(bytes);
    let start = window
        .windows(6)
        .position(|w| w.starts_with(b"<?xml") && (w[5].is_ascii_whitespace() || w[5] == b'?'))?;
    let end = bytes
        .get(start..)?
        .windows(2)
        .take(512)
        .position(|w| w == b"?>")?;
    Some(start..start + end + 2)
}

/// The byte range of the `encoding` pseudo-attribute's value inside the XML declaration, if declared.
fn encoding_range(bytes: &[u8]) -> Option<Range<usize>> {
    let decl = find_decl(bytes)?;
    let mut i = decl.start + 5;
    // Pseudo-attributes are parsed in order so that a value such as version="encoding" cannot be mistaken for the name.
    while i < decl.end {
        while bytes.get(i).is_some_and(|b| b.is_ascii_whitespace()) {
            i += 1;
        }
        let name_start = i;
        while bytes
            .get(i)
            .is_some_and(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b':'))
        {
            i += 1;
        }
        let name = bytes.get(name_start..i)?;
        while bytes.get(i).is_some_and(|b| b.is_ascii_whitespace()) {
            i += 1;
        }
        if name.is_empty() || bytes.get(i) != Some(&b'=') {
            return None;
        }
        i += 1;
        while bytes.get(i).is_some_and(|b| b.is_ascii_whitespace()) {
            i += 1;
        }
        let quote = *bytes.get(i).filter(|q| matches!(q, b'"' | b'\''))?;
        let value_start = i + 1;
        let len = bytes
            .get(value_start..decl.end)?
            .iter()
            .position(|&b| b == quote)?;
        if name.eq_ignore_ascii_case(b"encoding") {
            return Some(value_start..value_start + len);
        }
        i = value_start + len + 1;
    }
    None
}

/// The encoding label written in the XML declaration, read from the raw bytes (labels are ASCII in every ASCII-compatible encoding).
fn prolog_label(bytes: &[u8]) -> Option<&str> {
    let range = encoding_range(bytes)?;
    std::str::from_utf8(bytes.get(range)?).ok()
}

/// Makes the declaration say UTF-8, because feed-rs honours the prolog and would otherwise re-decode our UTF-8 text as cp1251.
fn rewrite_prolog(text: &mut String) {
    if let Some(range) = encoding_range(text.as_bytes())
        && text.get(range.clone()) != Some("UTF-8")
        && text.is_char_boundary(range.start)
        && text.is_char_boundary(range.end)
    {
        text.replace_range(range, "UTF-8");
    }
}

#[cfg(test)]
mod tests;
