//! OPML 2.0 listing every published feed, so a reader subscribes to all of them in one step.

use crate::config::Config;

use super::{Target, xml_safe};

/// Every configured feed and every topic feed, in RSS form.
pub fn render_opml(cfg: &Config) -> String {
    let attr = |s: &str| html_escape::encode_double_quoted_attribute(&xml_safe(s)).into_owned();
    let base = &cfg.server.base_url;
    let mut out = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<opml version=\"2.0\">\n<head><title>svodka</title></head>\n<body>\n",
    );
    let groups = [
        (
            "Ленты",
            cfg.feeds
                .iter()
                .map(|f| (Target::Feed(f.name.clone()), f.title.as_str()))
                .collect::<Vec<_>>(),
        ),
        (
            "Темы",
            cfg.topics
                .iter()
                .map(|t| (Target::Topic(t.name.clone()), t.title.as_str()))
                .collect(),
        ),
    ];
    for (group, targets) in groups {
        if targets.is_empty() {
            continue;
        }
        out.push_str(&format!("<outline text=\"{group}\">\n"));
        for (t, title) in targets {
            out.push_str(&format!(
                "  <outline type=\"rss\" text=\"{}\" title=\"{}\" xmlUrl=\"{}\" htmlUrl=\"{}\"/>\n",
                attr(title),
                attr(title),
                attr(&format!("{base}{}", t.path("rss"))),
                attr(&format!("{base}/"))
            ));
        }
        out.push_str("</outline>\n");
    }
    out.push_str("</body>\n</opml>\n");
    out
}
