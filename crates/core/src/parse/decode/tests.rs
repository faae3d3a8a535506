//! Tests for the decode module: every source of truth, lying declarations, and feed-rs reading the result.
use super::*;

const TITLE: &str = "Главное: в Курске открыли мост";

fn feed(encoding_decl: Option<&str>) -> String {
    let prolog = encoding_decl
        .map(|e| format!("<?xml version=\"1.0\" encoding=\"{e}\"?>\n"))
        .unwrap_or_default();
    format!(
        "{prolog}<rss version=\"2.0\"><channel><title>Лента</title>\
         <item><title>{TITLE}</title><description>Ёжик и ёлочки</description></item>\
         </channel></rss>"
    )
}

fn enc(e: &'static Encoding, s: &str) -> Vec<u8> {
    let (bytes, _, had_errors) = e.encode(s);
    assert!(!had_errors);
    bytes.into_owned()
}

fn first_title(text: &str) -> String {
    let parsed = feed_rs::parser::parse(text.as_bytes()).expect("feed-rs parses decoded text");
    parsed.entries[0]
        .title
        .as_ref()
        .map(|t| t.content.clone())
        .unwrap_or_default()
}

#[test]
fn lookup_knows_aliases() {
    for (label, want) in [
        ("koi8r", KOI8_R),
        ("KOI8-R", KOI8_R),
        ("win-1251", WINDOWS_1251),
        ("cp-1251", WINDOWS_1251),
        ("windows1251", WINDOWS_1251),
        ("\"Windows-1251\"", WINDOWS_1251),
        ("maccyrillic", X_MAC_CYRILLIC),
        ("cp866", IBM866),
        ("iso_8859-5", ISO_8859_5),
        ("utf8", UTF_8),
    ] {
        assert_eq!(lookup(label), Some(want), "{label}");
    }
    assert_eq!(lookup("no-such-charset"), None);
    assert_eq!(lookup(""), None);
    assert_eq!(
        lookup("iso-2022-kr"),
        None,
        "replacement encoding is refused"
    );
}

#[test]
fn charset_param_parses_header() {
    assert_eq!(
        charset_param("text/xml; charset=\"windows-1251\""),
        Some("windows-1251")
    );
    assert_eq!(
        charset_param("text/xml;CHARSET=koi8-r ; q=1"),
        Some("koi8-r")
    );
    assert_eq!(charset_param("text/xml"), None);
    assert_eq!(charset_param("text/xml; charset="), None);
}

#[test]
fn cp1251_via_http_charset_and_feed_rs_reads_it() {
    let bytes = enc(WINDOWS_1251, &feed(Some("windows-1251")));
    let d = decode(&bytes, Some("text/xml; charset=windows-1251"), None);
    assert_eq!((d.encoding, d.by), (WINDOWS_1251, DecodedBy::HttpCharset));
    assert!(
        d.text
            .starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>")
    );
    assert_eq!(first_title(&d.text), TITLE);
}

#[test]
fn koi8_cp866_iso8859_5_via_prolog() {
    for (e, label) in [
        (KOI8_R, "koi8-r"),
        (IBM866, "cp866"),
        (ISO_8859_5, "iso-8859-5"),
    ] {
        let d = decode(&enc(e, &feed(Some(label))), None, None);
        assert_eq!((d.encoding, d.by), (e, DecodedBy::Prolog), "{label}");
        assert_eq!(first_title(&d.text), TITLE, "{label}");
    }
}

#[test]
fn undeclared_legacy_encodings_are_detected() {
    let d = decode(&enc(WINDOWS_1251, &feed(None)), None, None);
    assert_eq!((d.encoding, d.by), (WINDOWS_1251, DecodedBy::Detected));
    assert_eq!(first_title(&d.text), TITLE);
    // chardetng reports KOI8-U for Russian KOI8 text; the Russian letters are identical.
    let d = decode(&enc(KOI8_R, &feed(None)), None, None);
    assert!(d.encoding == KOI8_U || d.encoding == KOI8_R);
    assert_eq!(first_title(&d.text), TITLE);
    let d = decode(&enc(IBM866, &feed(None)), None, None);
    assert_eq!(d.encoding, IBM866);
    assert_eq!(first_title(&d.text), TITLE);
}

#[test]
fn short_undeclared_cyrillic_is_cp1251() {
    let d = decode(&enc(WINDOWS_1251, "Привет, мир"), None, None);
    assert_eq!(d.text, "Привет, мир");
    assert_eq!(d.by, DecodedBy::Detected);
}

#[test]
fn header_says_utf8_but_bytes_are_cp1251() {
    let bytes = enc(WINDOWS_1251, &feed(None));
    let d = decode(&bytes, Some("utf-8"), None);
    assert_eq!((d.encoding, d.by), (WINDOWS_1251, DecodedBy::Detected));
    assert_eq!(first_title(&d.text), TITLE);
}

#[test]
fn prolog_says_utf8_but_bytes_are_cp1251() {
    let d = decode(&enc(WINDOWS_1251, &feed(Some("utf-8"))), None, None);
    assert_eq!((d.encoding, d.by), (WINDOWS_1251, DecodedBy::Detected));
    assert_eq!(first_title(&d.text), TITLE);
}

#[test]
fn header_says_cp1251_but_bytes_are_utf8() {
    let d = decode(
        feed(Some("windows-1251")).as_bytes(),
        Some("windows-1251"),
        None,
    );
    assert_eq!((d.encoding, d.by), (UTF_8, DecodedBy::Detected));
    assert_eq!(first_title(&d.text), TITLE);
}

/// Enough Russian text for letter statistics to speak.
const STORY: &str = "Губернатор области принял участие в церемонии открытия нового моста через реку. \
    Движение по мосту будет открыто с понедельника, сообщили в пресс-службе администрации региона.";

#[test]
fn header_says_cp1251_but_bytes_are_koi8() {
    let text = feed(None).replace("Ёжик и ёлочки", STORY);
    let d = decode(&enc(KOI8_R, &text), Some("windows-1251"), None);
    assert!(d.encoding == KOI8_U || d.encoding == KOI8_R);
    assert_eq!(d.by, DecodedBy::Detected);
    assert!(d.text.contains(STORY));
    // Capitals do not change letter statistics, so an all-caps feed keeps its declared encoding.
    let caps = feed(None).replace("Ёжик и ёлочки", &STORY.to_uppercase());
    let d = decode(&enc(WINDOWS_1251, &caps), Some("windows-1251"), None);
    assert_eq!((d.encoding, d.by), (WINDOWS_1251, DecodedBy::HttpCharset));
}

#[test]
fn lying_header_falls_back_to_truthful_prolog() {
    let bytes = enc(KOI8_R, &feed(Some("koi8-r")));
    let d = decode(&bytes, Some("utf-8"), None);
    assert_eq!((d.encoding, d.by), (KOI8_R, DecodedBy::Prolog));
}

#[test]
fn override_beats_lying_prolog_and_header() {
    let bytes = enc(KOI8_R, &feed(Some("windows-1251")));
    let d = decode(&bytes, Some("windows-1251"), Some("koi8r"));
    assert_eq!((d.encoding, d.by), (KOI8_R, DecodedBy::Override));
    assert_eq!(first_title(&d.text), TITLE);
    // An unknown override label is ignored rather than trusted.
    let d = decode(&bytes, None, Some("bogus"));
    assert_ne!(d.by, DecodedBy::Override);
}

#[test]
fn bom_wins_over_header_and_is_removed() {
    let mut bytes = vec![0xEF, 0xBB, 0xBF];
    bytes.extend_from_slice(feed(Some("windows-1251")).as_bytes());
    let d = decode(&bytes, Some("koi8-r"), None);
    assert_eq!((d.encoding, d.by), (UTF_8, DecodedBy::Bom));
    assert!(d.text.starts_with("<?xml"));
    assert_eq!(first_title(&d.text), TITLE);
}

#[test]
fn utf16_with_and_without_bom() {
    let text = feed(Some("UTF-16"));
    let le: Vec<u8> = text.encode_utf16().flat_map(u16::to_le_bytes).collect();
    let be: Vec<u8> = text.encode_utf16().flat_map(u16::to_be_bytes).collect();
    for (bytes, want) in [(le.clone(), UTF_16LE), (be.clone(), UTF_16BE)] {
        let d = decode(&bytes, None, None);
        assert_eq!((d.encoding, d.by), (want, DecodedBy::Detected));
        assert_eq!(first_title(&d.text), TITLE);
        // A header claiming an ASCII-compatible encoding cannot explain NUL-interleaved bytes.
        assert_eq!(decode(&bytes, Some("windows-1251"), None).encoding, want);
    }
    let with_bom: Vec<u8> = [0xFE, 0xFF].into_iter().chain(be).collect();
    let d = decode(&with_bom, None, None);
    assert_eq!((d.encoding, d.by), (UTF_16BE, DecodedBy::Bom));
    assert_eq!(first_title(&d.text), TITLE);
    assert_eq!(decode(&le, Some("utf-16"), None).by, DecodedBy::HttpCharset);
}

#[test]
fn junk_before_prolog_does_not_hide_encoding() {
    let text = format!(
        "\n\nWarning: mysql_connect() failed on line 12\n{}",
        feed(Some("koi8-r"))
    );
    let d = decode(&enc(KOI8_R, &text), None, None);
    assert_eq!((d.encoding, d.by), (KOI8_R, DecodedBy::Prolog));
    assert!(d.text.contains("encoding=\"UTF-8\""));
}

#[test]
fn ascii_defaults_to_utf8_and_garbage_never_panics() {
    let d = decode(b"<rss version=\"2.0\"/>", None, None);
    assert_eq!((d.encoding, d.by), (UTF_8, DecodedBy::Default));
    for junk in [
        &b""[..],
        b"<?xml",
        b"<?xml encoding=",
        b"<?xml version='1.0' encoding='x",
        b"\xff\xfe\x00",
    ] {
        let _ = decode(junk, Some(";charset"), Some(""));
    }
}

#[test]
fn mostly_utf8_with_one_broken_byte_stays_utf8() {
    let mut bytes = feed(Some("utf-8")).into_bytes();
    bytes.push(0xE9);
    let d = decode(&bytes, Some("utf-8"), None);
    assert_eq!((d.encoding, d.by), (UTF_8, DecodedBy::Detected));
    assert!(d.text.contains(TITLE));
}
