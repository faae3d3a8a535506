//! `Config::parse` on whole config texts: what each section becomes, and the errors users see.

use std::path::Path;
use std::time::Duration;

use url::Url;

use super::*;

const GOOD: &str = r#"
[server]
listen = "127.0.0.1:9090"
base_url = "https://news.example.org/"

[storage]
path = "data/svodka.db"

[schedule]
cron = "*/15 * * * *"

[[source]]
name = "lipetsk-vesti"
title = "Липецкие вести"
url = "https://lipetsk-vesti.example/rss.xml"
region = "lipetsk"
encoding = "windows-1251"
cron = "0 */5 * * * *"

[[topic]]
name = "syria"
title = "Сирия"
keywords = ["Сирия", "Дамаск"]

[[feed]]
name = "all"
title = "Все новости"
regions = ["lipetsk"]
topics = ["syria"]
"#;

fn check_err(text: &str, key: &str, reason_part: &str) {
    let e = Config::parse(text, Path::new("/etc/svodka/svodka.toml")).unwrap_err();
    let shown = e.to_string();
    assert!(shown.starts_with("/etc/svodka/svodka.toml"), "{shown}");
    assert!(shown.contains(key), "{shown:?} should name {key:?}");
    assert!(
        shown.contains(reason_part),
        "{shown:?} should say {reason_part:?}"
    );
}

#[test]
fn good_config_is_typed_and_paths_resolve_against_the_file() {
    let c = Config::parse(GOOD, Path::new("/etc/svodka/svodka.toml")).unwrap();
    assert_eq!(c.server.base_url, "https://news.example.org");
    assert_eq!(c.storage.path, Path::new("/etc/svodka/data/svodka.db"));
    assert_eq!(c.storage.retention_days, 90);
    assert_eq!(c.fetch.concurrency, 32);
    assert!(c.fetch.user_agent.starts_with("svodka/"));
    assert_eq!(c.sources[0].title, "Липецкие вести");
    assert!(c.sources[0].cron.is_some());
    assert_eq!(c.feeds[0].limit, 100);
}

#[test]
fn the_story_engines_memory_is_48_mb_unless_set_and_too_little_is_refused() {
    let c = Config::parse(GOOD, Path::new("/etc/svodka/svodka.toml")).unwrap();
    assert_eq!(c.stories.memory_bytes(), 48 << 20);
    let set = format!("{GOOD}\n[stories]\nmemory_mb = 512\n");
    let c = Config::parse(&set, Path::new("/etc/svodka/svodka.toml")).unwrap();
    assert_eq!(c.stories.memory_bytes(), 512 << 20);
    check_err(
        &format!("{GOOD}\n[stories]\nmemory_mb = 2\n"),
        "stories.memory_mb",
        "between 8 and",
    );
}

#[test]
fn unknown_key_in_a_source_is_named() {
    let text = GOOD.replace("url = \"https://lipetsk", "urll = \"https://lipetsk");
    check_err(&text, "urll", "unknown field");
}

#[test]
fn bad_cron_names_the_key() {
    check_err(
        &GOOD.replace("*/15 * * * *", "*/15 * * *"),
        "schedule.cron",
        "cron",
    );
    check_err(
        &GOOD.replace("0 */5 * * * *", "every five minutes"),
        "source[0].cron",
        "cron",
    );
}

#[test]
fn duplicate_names_and_unknown_references_are_refused() {
    let dup =
        format!("{GOOD}\n[[source]]\nname = \"lipetsk-vesti\"\nurl = \"https://x.example/\"\n");
    check_err(&dup, "source[1].name", "duplicate");
    check_err(
        &GOOD.replace("topics = [\"syria\"]", "topics = [\"siria\"]"),
        "feed[0].topics",
        "unknown topic",
    );
    check_err(
        &GOOD.replace("regions = [\"lipetsk\"]", "regions = [\"tambov\"]"),
        "feed[0].regions",
        "tambov",
    );
    check_err(
        &GOOD.replace("https://lipetsk-vesti.example/rss.xml", "lipetsk-vesti/rss"),
        "source[0].url",
        "not a URL",
    );
    check_err(
        &GOOD.replace("\"windows-1251\"", "\"win-9999\""),
        "source[0].encoding",
        "unknown encoding",
    );
    check_err(
        &GOOD.replace("127.0.0.1:9090", "localhost"),
        "server.listen",
        "address",
    );
}

#[test]
fn values_that_would_fail_later_are_refused_now() {
    check_err(
        &format!("{GOOD}\n[fetch]\nuser_agent = \"a\\nb\"\n"),
        "fetch.user_agent",
        "ASCII",
    );
    check_err(
        &GOOD.replace(
            "path = \"data/svodka.db\"",
            "path = \"x.db\"\nretention_days = 0",
        ),
        "storage.retention_days",
        "between",
    );
    let c = Config::parse(
        &GOOD.replace(
            "\"https://news.example.org/\"",
            "\" https://news.example.org/ \"",
        ),
        Path::new("/etc/svodka/svodka.toml"),
    )
    .unwrap();
    assert_eq!(c.server.base_url, "https://news.example.org");
}

#[test]
fn topic_scope_is_headline_unless_text() {
    let c = Config::parse(GOOD, Path::new("svodka.toml")).unwrap();
    assert_eq!(c.topics[0].scope, TopicScope::Headline);
    let c = Config::parse(
        &GOOD.replace("\"Дамаск\"]", "\"Дамаск\"]\nscope = \"text\""),
        Path::new("svodka.toml"),
    )
    .unwrap();
    assert_eq!(c.topics[0].scope, TopicScope::Text);
    check_err(
        &GOOD.replace("\"Дамаск\"]", "\"Дамаск\"]\nscope = \"body\""),
        "topic[0].scope",
        "unknown scope \"body\"",
    );
}

#[test]
fn search_is_indexed_unless_turned_off_and_then_no_query_is_taken() {
    let c = Config::parse(GOOD, Path::new("svodka.toml")).unwrap();
    assert!(c.search.index);
    let off = format!("[search]\nindex = false\n{GOOD}");
    let c = Config::parse(&off, Path::new("svodka.toml")).unwrap();
    assert!(!c.search.index);
    let digest = "\n[[digest]]\nname = \"d\"\ncron = \"0 8 * * *\"\nquery = \"мост\"\n";
    let c = Config::parse(&format!("{GOOD}{digest}"), Path::new("svodka.toml")).unwrap();
    assert_eq!(c.delivery.digests[0].filter.query.as_deref(), Some("мост"));
    check_err(
        &format!("{off}{digest}"),
        "digest[0].query",
        "index = false",
    );
    check_err(
        &format!("{GOOD}{}", digest.replace("\"мост\"", "\" \"")),
        "digest[0].query",
        "is empty",
    );
}

#[test]
fn a_blank_keyword_is_refused() {
    check_err(
        &GOOD.replace("\"Дамаск\"", "\"  \""),
        "topic[0].keywords",
        "blank",
    );
}

#[test]
fn websub_hub_and_publish_dir() {
    let c = Config::parse(
        &GOOD.replace(
            "[storage]",
            "websub_hub = \"https://hub.example/\"\n\n[publish]\ndir = \"public\"\n\n[storage]",
        ),
        Path::new("/etc/svodka/svodka.toml"),
    )
    .unwrap();
    assert_eq!(
        c.server.websub_hub.as_ref().map(Url::as_str),
        Some("https://hub.example/")
    );
    assert_eq!(
        c.publish.dir.as_deref(),
        Some(Path::new("/etc/svodka/public"))
    );
    check_err(
        &GOOD.replace("[storage]", "websub_hub = \"hub.example\"\n[storage]"),
        "server.websub_hub",
        "not a URL",
    );
    check_err(
        &format!("{GOOD}\n[publish]\ndirr = \"x\"\n"),
        "dirr",
        "unknown field",
    );
}

#[test]
fn defaults_fill_an_almost_empty_config() {
    let c = Config::parse("", Path::new("svodka.toml")).unwrap();
    assert_eq!(c.server.listen.to_string(), "127.0.0.1:8080");
    assert_eq!(c.server.base_url, "http://127.0.0.1:8080");
    assert_eq!(c.fetch.timeout, Duration::from_secs(30));
    assert_eq!(c.fetch.max_body_bytes, 10_485_760);
    assert_eq!(c.fetch.per_host, 2);
    assert_eq!(c.schedule.as_str(), "*/15 * * * *");
    assert_eq!(c.server.header_timeout, Duration::from_secs(5));
    assert_eq!(c.server.idle_timeout, Duration::from_secs(60));
    assert_eq!(c.server.request_timeout, Duration::from_secs(30));
    assert_eq!(c.server.max_connections, 10_000);
}

#[test]
fn server_limits_are_read_and_checked() {
    let with = |extra: &str| GOOD.replace("[storage]", &format!("{extra}\n\n[storage]"));
    let c = Config::parse(
        &with("header_timeout_secs = 2\nidle_timeout_secs = 15\nrequest_timeout_secs = 10\nmax_connections = 500"),
        Path::new("/etc/svodka/svodka.toml"),
    )
    .unwrap();
    assert_eq!(c.server.header_timeout, Duration::from_secs(2));
    assert_eq!(c.server.idle_timeout, Duration::from_secs(15));
    assert_eq!(c.server.request_timeout, Duration::from_secs(10));
    assert_eq!(c.server.max_connections, 500);
    check_err(
        &with("header_timeout_secs = 0"),
        "server.header_timeout_secs",
        "between 1 and 300",
    );
    check_err(
        &with("idle_timeout_secs = 86400"),
        "server.idle_timeout_secs",
        "between 1 and 3600",
    );
    check_err(
        &with("request_timeout_secs = 0"),
        "server.request_timeout_secs",
        "between",
    );
    check_err(
        &with("max_connections = 0"),
        "server.max_connections",
        "between 1 and",
    );
    check_err(
        &with("header_timeout_secs = -1"),
        "header_timeout_secs",
        "invalid value",
    );
    check_err(
        &with("keepalive_secs = 5"),
        "keepalive_secs",
        "unknown field",
    );
}
