//! Bytes in, normalized items out: decode (bytes → UTF-8), recover and rawhtml (broken XML), feed
//! (feed-rs → items), normalize (links, titles, HTML, dates). Pure: no I/O, `now` is a parameter.

pub mod atom03;
pub mod decode;
pub mod feed;
pub mod html_page;
pub mod lenient;
pub mod limits;
pub mod mojibake;
pub mod namespaces;
pub mod normalize;
pub mod rawhtml;
pub mod recover;

pub use feed::{ParseError, Parsed, parse_feed};
