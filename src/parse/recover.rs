//! TEMPORARY
pub fn clean(xml: &str) -> std::borrow::Cow<'_, str> {
    std::borrow::Cow::Borrowed(xml)
}
pub fn close_truncated(_xml: &str) -> Option<String> {
    None
}
