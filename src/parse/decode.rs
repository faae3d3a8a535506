//! TEMPORARY
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DecodedBy {
    Override,
    Bom,
    HttpCharset,
    Prolog,
    Detected,
    Default,
}
#[derive(Debug, Clone)]
pub struct Decoded {
    pub text: String,
    pub encoding: &'static encoding_rs::Encoding,
    pub by: DecodedBy,
}
pub fn lookup(label: &str) -> Option<&'static encoding_rs::Encoding> {
    encoding_rs::Encoding::for_label(label.as_bytes())
}
pub fn charset_param(content_type: &str) -> Option<&str> {
    content_type
        .split("charset=")
        .nth(1)
        .map(|s| s.trim_matches('"'))
}
pub fn decode(bytes: &[u8], http_charset: Option<&str>, override_label: Option<&str>) -> Decoded {
    let enc = override_label
        .and_then(lookup)
        .or_else(|| http_charset.and_then(lookup))
        .unwrap_or(encoding_rs::UTF_8);
    let (t, _, _) = enc.decode(bytes);
    let text = t
        .replace("windows-1251", "UTF-8")
        .replace("koi8-r", "UTF-8")
        .replace("KOI8-R", "UTF-8");
    Decoded {
        text,
        encoding: enc,
        by: DecodedBy::Default,
    }
}
