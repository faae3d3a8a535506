//! The сводка through the real binary: editions made on a per-second schedule, served as pages
//! and feeds, printed by `svodka digest`, made once across restarts, and mailed to a small SMTP
//! server the test runs.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine as _;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

use crate::daemon::{install_crypto, spawn, until};
use crate::feeds::{It, item, rss};
use crate::harness::{App, Origin, Route, config};

const STORY: &str = "Губернатор открыл новый мост через Воронеж";
const OTHER: &str = "В Липецке прошёл фестиваль уличной еды";

/// Two agencies carrying the same press release (one story, two agencies) and one of them a
/// second story.
fn origin_routes(o: &Origin) {
    let release = "Мост длиной 400 метров соединил два района города. Движение открыто с утра.";
    let a = rss(&[
        item(STORY)
            .guid("a1")
            .link("https://gov.test/news/most")
            .desc(release),
        item(OTHER)
            .guid("a2")
            .link("https://a.test/food")
            .desc("Фестиваль собрал три тысячи гостей на набережной."),
    ]);
    let b = rss(&[item(STORY)
        .guid("b1")
        .link("https://gov.test/news/most")
        .desc(release)]);
    o.route("/a.xml", Route::ok(a, "application/rss+xml"));
    o.route("/b.xml", Route::ok(b, "application/rss+xml"));
}

/// The bridge story carried by agency `a` alone, another story by `b`: the story an alert
/// watches reaches its second agency when a test adds it to `b.xml`. Returns the story's item.
fn one_agency_each(o: &Origin) -> It {
    let release = "Мост длиной 400 метров соединил два района города. Движение открыто с утра.";
    let story = item(STORY)
        .guid("a1")
        .link("https://gov.test/news/most")
        .desc(release);
    o.route(
        "/a.xml",
        Route::ok(rss(std::slice::from_ref(&story)), "application/rss+xml"),
    );
    o.route(
        "/b.xml",
        Route::ok(
            rss(&[item(OTHER).guid("b0").link("https://b.test/food")]),
            "application/rss+xml",
        ),
    );
    story
}

const TOPICS: &str = "[[topic]]\nname = \"bridge\"\ntitle = \"Мосты\"\nkeywords = [\"мост\"]\n\n[[topic]]\nname = \"fire\"\ntitle = \"Пожары\"\nkeywords = [\"пожар\"]\n\n";

fn digest_config(o: &Origin, extra: &str) -> String {
    config(
        &[("vesti", o.url("/a.xml")), ("gorod", o.url("/b.xml"))],
        &format!(
            "{TOPICS}[[digest]]\nname = \"morning\"\ntitle = \"Утренняя сводка\"\ncron = \"*/2 * * * * *\"\nperiod = \"day\"\nall = true\n{extra}\n\n[[digest]]\nname = \"quiet\"\ntitle = \"Пожары за сутки\"\ncron = \"*/2 * * * * *\"\ntopics = [\"fire\"]\n"
        ),
    )
}

/// The editions of a digest straight from the database: (tick, key, since, until, body).
fn stored(app: &App, digest: &str) -> Vec<(i64, String, i64, i64, serde_json::Value)> {
    let c = rusqlite::Connection::open(app.dir.path().join("svodka.db")).unwrap();
    let mut st = c
        .prepare(
            "SELECT tick, key, since, until, body FROM editions WHERE digest = ?1 ORDER BY tick",
        )
        .unwrap();
    st.query_map([digest], |r| {
        let body: String = r.get(4)?;
        Ok((
            r.get(0)?,
            r.get(1)?,
            r.get(2)?,
            r.get(3)?,
            serde_json::from_str(&body).unwrap(),
        ))
    })
    .unwrap()
    .collect::<Result<_, _>>()
    .unwrap()
}

#[tokio::test]
async fn a_digest_is_made_on_schedule_and_served_in_every_format() {
    install_crypto();
    let o = Origin::start().await;
    origin_routes(&o);
    let app = App::new(&digest_config(&o, ""));
    let d = spawn(&["run"], Some(&app)).await;
    let base = d.base.clone();

    // An edition made after both agencies were fetched leads with their story.
    let rss_text = until(&format!("{base}/digests/morning.rss"), |b| {
        b.contains(STORY)
    })
    .await;
    let ch = crate::harness::channel(&rss_text);
    let item = ch
        .items()
        .iter()
        .find(|i| i.content().is_some_and(|c| c.contains(STORY)))
        .expect("an edition with the story");
    assert!(item.title().unwrap().starts_with("Утренняя сводка — "));
    let link = item.link().unwrap().to_string();
    let key = link.rsplit('/').next().unwrap().to_string();
    assert!(
        link.starts_with("http://news.test/digests/morning/"),
        "{link}"
    );
    let content = item.content().unwrap();
    assert!(content.contains("2 агентства"), "{content}");
    assert!(content.contains("Мосты"), "its topic: {content}");
    assert!(content.contains("http://news.test/stories/"), "{content}");

    // The edition's page, by key and by date; the archive lists it.
    let page = reqwest::get(format!("{base}/digests/morning/{key}"))
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let page = page.text().await.unwrap();
    assert!(page.contains(STORY) && page.contains(OTHER), "{page}");
    assert!(page.contains("Главные темы"), "{page}");
    let by_date = reqwest::get(format!("{base}/digests/morning/{}", &key[..10]))
        .await
        .unwrap();
    assert_eq!(by_date.status(), 200);
    let archive = reqwest::get(format!("{base}/digests/morning"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(archive.contains(&format!("/digests/morning/{key}")));
    let missing = reqwest::get(format!("{base}/digests/nope.rss"))
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);

    // Atom and JSON Feed carry the same editions.
    let atom = reqwest::get(format!("{base}/digests/morning.atom"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(atom.contains("<feed") && atom.contains(&link), "{atom}");
    let json: serde_json::Value = serde_json::from_str(
        &reqwest::get(format!("{base}/digests/morning.json"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap(),
    )
    .unwrap();
    let items = json["items"].as_array().unwrap();
    assert!(
        items
            .iter()
            .any(|i| i["content_html"].as_str().unwrap().contains(STORY))
    );

    // Validators, as every feed has them.
    let client = reqwest::Client::new();
    let r = client
        .get(format!("{base}/digests/morning.rss"))
        .send()
        .await
        .unwrap();
    let etag = r.headers()["etag"].to_str().unwrap().to_string();
    assert!(r.headers().contains_key("last-modified"));
    let body = r.text().await.unwrap();
    let again = client
        .get(format!("{base}/digests/morning.rss"))
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    // A new edition may land between the two requests (one every two seconds); then the tag
    // moved with the bytes.
    if again.status() == 200 {
        assert_ne!(again.text().await.unwrap(), body);
    } else {
        assert_eq!(again.status(), 304);
    }

    // A period with nothing for a digest gives a short edition that says so.
    let quiet = until(&format!("{base}/digests/quiet.rss"), |b| {
        b.contains("<item>")
    })
    .await;
    assert!(
        quiet.contains("нет ни одного сюжета"),
        "the empty edition says so: {quiet}"
    );

    // The command line prints an edition in each format.
    let (code, text, err) = app.svodka(&["digest", "morning", "--date", &key]).await;
    assert_eq!(code, 0, "{err}");
    assert!(text.starts_with("Утренняя сводка — "), "{text}");
    assert!(text.contains(&format!("1. {STORY}")), "{text}");
    assert!(text.contains("2 агентства, 2 сообщения: "), "{text}");
    let (code, md, _) = app
        .svodka(&["digest", "morning", "--date", &key, "--format", "md"])
        .await;
    assert_eq!(code, 0);
    assert!(md.starts_with("# Утренняя сводка"), "{md}");
    assert!(
        md.contains(&format!("1. [{STORY}](http://news.test/stories/")),
        "{md}"
    );
    let (code, html, _) = app
        .svodka(&["digest", "morning", "--date", &key, "--format", "html"])
        .await;
    assert_eq!(code, 0);
    assert!(
        html.starts_with("<!DOCTYPE html>") && html.contains(STORY),
        "{html}"
    );
    let (code, _, err) = app.svodka(&["digest", "evening"]).await;
    assert_ne!(code, 0);
    assert!(err.contains("no digest named \"evening\""), "{err}");

    // Each tick made once.
    let ticks: Vec<i64> = stored(&app, "morning").iter().map(|e| e.0).collect();
    let mut unique = ticks.clone();
    unique.dedup();
    assert_eq!(ticks, unique);

    // The static export has the digest too.
    let out = app.dir.path().join("site");
    let (code, _, err) = app
        .svodka(&["export", "--all", out.to_str().unwrap()])
        .await;
    assert_eq!(code, 0, "{err}");
    assert!(out.join("digests/morning.rss").exists());
    assert!(out.join("digests/morning/index.html").exists());
    assert!(
        out.join(format!("digests/morning/{key}/index.html"))
            .exists()
    );
    d.stop().await;
}

#[tokio::test]
async fn a_restart_neither_repeats_nor_loses_an_edition() {
    install_crypto();
    let o = Origin::start().await;
    origin_routes(&o);
    let app = App::new(&digest_config(&o, ""));
    let mut d = spawn(&["run"], Some(&app)).await;
    d.wait_log("digest morning: edition").await;
    d.stop().await;
    let before = stored(&app, "morning");
    assert!(!before.is_empty());
    assert!(
        before.iter().all(|e| e.4["late"].is_null()),
        "on time while running"
    );
    // Down for longer than two ticks.
    tokio::time::sleep(Duration::from_secs(5)).await;

    let mut d = spawn(&["run"], Some(&app)).await;
    d.wait_log("late, standing for").await;
    d.stop().await;
    let after = stored(&app, "morning");
    let last_before = before.last().unwrap();
    let new: Vec<_> = after.iter().filter(|e| e.0 > last_before.0).collect();
    assert!(!new.is_empty());
    // The first edition after the restart is the late one, for the missed ticks, and covers
    // the time since the last edition.
    let late = new[0];
    assert!(
        late.4["late"]["missed"].as_u64().unwrap() >= 1,
        "{:?}",
        late.4
    );
    assert!(
        late.2 <= last_before.3,
        "it covers the time the daemon was down"
    );
    // Nothing made before the restart was made again.
    assert_eq!(after.len(), before.len() + new.len());
    let keys: std::collections::HashSet<&String> = after.iter().map(|e| &e.1).collect();
    assert_eq!(keys.len(), after.len(), "each key once");
    let (code, text, _) = app.svodka(&["digest", "morning", "--date", &late.1]).await;
    assert_eq!(code, 0);
    assert!(text.contains("Выпуск запоздал"), "{text}");
}

/// A small SMTP server: answers what a client says in order and keeps each message's data.
struct Smtp {
    port: u16,
    mails: Arc<Mutex<Vec<String>>>,
}

impl Smtp {
    async fn start_on(listener: tokio::net::TcpListener) -> Smtp {
        let port = listener.local_addr().unwrap().port();
        let mails: Arc<Mutex<Vec<String>>> = Arc::default();
        let keep = mails.clone();
        tokio::spawn(async move {
            loop {
                let Ok((sock, _)) = listener.accept().await else {
                    return;
                };
                let keep = keep.clone();
                tokio::spawn(async move {
                    let (r, mut w) = sock.into_split();
                    let mut lines = BufReader::new(r).lines();
                    let _ = w.write_all(b"220 smtp.test ESMTP\r\n").await;
                    let mut data: Option<String> = None;
                    while let Ok(Some(l)) = lines.next_line().await {
                        if let Some(d) = data.as_mut() {
                            if l == "." {
                                keep.lock().unwrap().push(std::mem::take(d));
                                data = None;
                                let _ = w.write_all(b"250 queued\r\n").await;
                            } else {
                                d.push_str(&l);
                                d.push('\n');
                            }
                            continue;
                        }
                        let verb = l.split_whitespace().next().unwrap_or("").to_uppercase();
                        let answer: &[u8] = match verb.as_str() {
                            "EHLO" => b"250-smtp.test\r\n250 8BITMIME\r\n",
                            "DATA" => {
                                data = Some(String::new());
                                b"354 go on\r\n"
                            }
                            "QUIT" => {
                                let _ = w.write_all(b"221 bye\r\n").await;
                                return;
                            }
                            _ => b"250 ok\r\n",
                        };
                        let _ = w.write_all(answer).await;
                    }
                });
            }
        });
        Smtp { port, mails }
    }

    fn mails(&self) -> Vec<String> {
        self.mails.lock().unwrap().clone()
    }
}

/// A header's value, folded lines joined.
fn header(mail: &str, name: &str) -> Option<String> {
    let head = mail.split("\n\n").next()?;
    let mut out: Option<String> = None;
    for l in head.lines() {
        if let Some(v) = out.as_mut() {
            if l.starts_with([' ', '\t']) {
                v.push_str(l.trim_start());
                continue;
            }
            break;
        }
        if let Some((k, v)) = l.split_once(':')
            && k.eq_ignore_ascii_case(name)
        {
            out = Some(v.trim().to_string());
        }
    }
    out
}

/// RFC 2047 encoded words (`=?utf-8?b?…?=`) decoded; the space between two encoded words is
/// not text, any other is.
fn decode_words(v: &str) -> String {
    let mut out = String::new();
    let mut prev_encoded = None;
    for w in v.split_whitespace() {
        let inner = w
            .strip_prefix("=?utf-8?b?")
            .or_else(|| w.strip_prefix("=?UTF-8?B?"))
            .and_then(|w| w.strip_suffix("?="));
        if prev_encoded.is_some_and(|p: bool| !(p && inner.is_some())) {
            out.push(' ');
        }
        prev_encoded = Some(inner.is_some());
        match inner {
            Some(b) => out.push_str(
                &String::from_utf8(base64::engine::general_purpose::STANDARD.decode(b).unwrap())
                    .unwrap(),
            ),
            None => out.push_str(w),
        }
    }
    out
}

/// The decoded body of the part with this content type.
fn part(mail: &str, content_type: &str) -> String {
    let at = mail
        .find(&format!("Content-Type: {content_type}"))
        .unwrap_or_else(|| panic!("no {content_type} part in {mail}"));
    let rest = &mail[at..];
    let body_at = rest.find("\n\n").unwrap() + 2;
    let b64: String = rest[body_at..]
        .lines()
        .take_while(|l| !l.starts_with("--") && !l.is_empty())
        .collect();
    String::from_utf8(
        base64::engine::general_purpose::STANDARD
            .decode(b64.trim())
            .unwrap(),
    )
    .unwrap()
}

#[tokio::test]
async fn an_edition_is_mailed_in_russian_after_the_server_comes_back() {
    install_crypto();
    let o = Origin::start().await;
    origin_routes(&o);
    // A port nothing listens on yet: the first attempts fail.
    let port = crate::harness::free_port();
    let smtp = format!(
        "[smtp]\nhost = \"127.0.0.1\"\nport = {port}\nstarttls = false\nfrom = \"Сводка <svodka@news.test>\"\n\n"
    );
    let text = digest_config(&o, "to = [\"press@example.org\"]")
        .replace(TOPICS, &format!("{smtp}{TOPICS}"));
    let app = App::new(&text);
    let mut d = spawn(&["run"], Some(&app)).await;
    d.wait_log("not mailed (attempt 1)").await;
    let (code, out, _) = app.svodka(&["digests"]).await;
    assert_eq!(code, 0);
    assert!(out.contains("unsent "), "{out}");
    assert!(out.contains("1 attempts, last error:"), "{out}");
    let metrics = until(&format!("{}/metrics", d.base), |m| {
        m.contains("svodka_emails_total{outcome=\"failed\"}")
            && !m.contains("svodka_emails_total{outcome=\"failed\"} 0")
    })
    .await;
    assert!(metrics.contains("svodka_emails_total{outcome=\"sent\"} 0"));
    let page = until(&format!("{}/sources", d.base), |b| {
        b.contains("сводка morning (почта)")
    })
    .await;
    assert!(page.contains("не отправлено выпусков: "), "{page}");

    // The server comes up on that port; the retry delivers what waited.
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .unwrap();
    let server = Smtp::start_on(listener).await;
    assert_eq!(server.port, port);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    let mail = loop {
        if let Some(m) = server.mails().into_iter().find(|m| {
            let p = part(m, "text/plain");
            p.contains(STORY)
        }) {
            break m;
        }
        assert!(tokio::time::Instant::now() < deadline, "no mail arrived");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let subject = decode_words(&header(&mail, "Subject").unwrap());
    assert!(subject.starts_with("Утренняя сводка — "), "{subject}");
    assert!(
        header(&mail, "Subject").unwrap().contains("=?utf-8?b?"),
        "RFC 2047"
    );
    assert_eq!(header(&mail, "To").as_deref(), Some("press@example.org"));
    let unsub = header(&mail, "List-Unsubscribe").unwrap();
    assert!(unsub.contains("mailto:svodka@news.test"), "{unsub}");
    assert!(unsub.contains("/digests/morning>"), "{unsub}");
    assert!(mail.contains("multipart/alternative"));
    let plain = part(&mail, "text/plain");
    assert!(plain.contains("2 агентства, 2 сообщения: "), "{plain}");
    let html = part(&mail, "text/html");
    assert!(html.contains(&format!(">{STORY}</a>")), "{html}");
    let metrics = until(&format!("{}/metrics", d.base), |m| {
        !m.contains("svodka_emails_total{outcome=\"sent\"} 0")
    })
    .await;
    assert!(metrics.contains("svodka_digest_editions_total"));
    // The editions that failed are retried after their backoff and leave the unsent list.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(40);
    loop {
        let (_, out, _) = app.svodka(&["digests"]).await;
        if out.contains("last mailed") && !out.contains("last error") {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the failed editions were never mailed: {out}"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    d.stop().await;
}

/// What the webhook and the Bot API stand-in received: (path, headers, body).
type Received = Arc<Mutex<Vec<(String, axum::http::HeaderMap, Vec<u8>)>>>;

/// A receiver for webhooks and a Telegram Bot API stand-in on 127.0.0.1:0: it answers 500
/// to the first `fail_first` requests to `/hook`, then 200, and keeps every request.
async fn receiver(fail_first: usize) -> (String, Received) {
    use axum::extract::{Request, State};
    let got: Received = Arc::default();
    let failures = Arc::new(std::sync::atomic::AtomicUsize::new(fail_first));
    let app = axum::Router::new()
        .fallback(
            |State((got, failures)): State<(Received, Arc<std::sync::atomic::AtomicUsize>)>,
             req: Request| async move {
                let path = req.uri().path().to_string();
                let headers = req.headers().clone();
                let body = axum::body::to_bytes(req.into_body(), 1 << 20)
                    .await
                    .unwrap()
                    .to_vec();
                got.lock().unwrap().push((path.clone(), headers, body));
                let fail = path == "/hook"
                    && failures
                        .fetch_update(
                            std::sync::atomic::Ordering::SeqCst,
                            std::sync::atomic::Ordering::SeqCst,
                            |n| n.checked_sub(1),
                        )
                        .is_ok();
                if fail {
                    (axum::http::StatusCode::INTERNAL_SERVER_ERROR, "down")
                } else {
                    (axum::http::StatusCode::OK, "{\"ok\":true}")
                }
            },
        )
        .with_state((got.clone(), failures));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("http://{addr}"), got)
}

async fn wait_for<T>(what: &str, mut f: impl FnMut() -> Option<T>) -> T {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(40);
    loop {
        if let Some(t) = f() {
            return t;
        }
        assert!(tokio::time::Instant::now() < deadline, "never: {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn alerts_reach_a_signed_webhook_after_retries_and_telegram_once_per_story() {
    use hmac::Mac;
    install_crypto();
    let o = Origin::start().await;
    let story = one_agency_each(&o);
    let (hooks, got) = receiver(3).await;
    let app_dir = tempfile::tempdir().unwrap();
    std::fs::write(app_dir.path().join("hook.secret"), "s3cret\n").unwrap();
    std::fs::write(app_dir.path().join("bot.token"), "123:ABC\n").unwrap();
    let extra = format!(
        "[schedule]\ncron = \"* * * * * *\"\n\n{TOPICS}[[alert]]\nname = \"bridges\"\ntopics = [\"bridge\"]\nmin_agencies = 2\nwebhook = \"{hooks}/hook\"\nsecret_file = \"{dir}/hook.secret\"\n\n[[alert]]\nname = \"bridges-tg\"\ntopics = [\"bridge\"]\ntelegram = {{ token_file = \"{dir}/bot.token\", chat_id = 42, api_url = \"{hooks}\" }}\n",
        dir = app_dir.path().display()
    );
    let app = App::new(&config(
        &[("vesti", o.url("/a.xml")), ("gorod", o.url("/b.xml"))],
        &extra,
    ));
    let d = spawn(&["run"], Some(&app)).await;

    // The first attempts fail; ingest goes on meanwhile: a new report is fetched and served.
    wait_for("a failed webhook attempt", || {
        got.lock()
            .unwrap()
            .iter()
            .any(|r| r.0 == "/hook")
            .then_some(())
    })
    .await;
    let fresh = "Синоптики обещают снег к выходным";
    o.route(
        "/a.xml",
        Route::ok(
            rss(&[
                story.clone(),
                item(fresh).guid("a2").link("https://a.test/snow"),
            ]),
            "application/rss+xml",
        ),
    );
    until(&format!("{}/feeds/all.rss", d.base), |b| b.contains(fresh)).await;
    let metrics = until(&format!("{}/metrics", d.base), |m| {
        m.contains("svodka_alert_target_failing{target=\"bridges/webhook\"}")
    })
    .await;
    assert!(
        !metrics.contains("svodka_alert_target_failing{target=\"bridges/webhook\"} 0"),
        "a failing target shows: {metrics}"
    );
    let page = until(&format!("{}/sources", d.base), |b| {
        b.contains("оповещение bridges/webhook")
    })
    .await;
    assert!(page.contains("неудачных попыток: "), "{page}");

    // The fourth attempt is delivered, signed.
    let hook = |event: &str| {
        got.lock()
            .unwrap()
            .iter()
            .filter(|r| r.0 == "/hook")
            .filter(|r| r.1.get("x-svodka-event").unwrap().to_str().unwrap() == event)
            .map(|r| (r.1.clone(), r.2.clone()))
            .collect::<Vec<_>>()
    };
    wait_for("the new story delivered", || {
        (hook("new").len() >= 4).then_some(())
    })
    .await;
    let (headers, body) = hook("new").pop().unwrap();
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(b"s3cret").unwrap();
    mac.update(&body);
    let expected: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(
        headers["x-hub-signature-256"].to_str().unwrap(),
        format!("sha256={expected}")
    );
    let p: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(p["alert"], "bridges");
    assert_eq!(p["story"]["title"], STORY);
    assert_eq!(p["agencies"], serde_json::json!(["vesti"]));
    assert_eq!(p["reports"][0]["link"], "https://gov.test/news/most");

    // A second agency carries it: the webhook hears once more, Telegram does not.
    o.route(
        "/b.xml",
        Route::ok(
            rss(&[
                item(OTHER).guid("b0").link("https://b.test/food"),
                story.clone().guid("b1"),
            ]),
            "application/rss+xml",
        ),
    );
    wait_for("the story reaching two agencies", || {
        (!hook("agencies").is_empty()).then_some(())
    })
    .await;
    let (_, body) = hook("agencies").pop().unwrap();
    let p: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(p["agencies"].as_array().unwrap().len(), 2);
    tokio::time::sleep(Duration::from_secs(2)).await;
    let telegram: Vec<serde_json::Value> = got
        .lock()
        .unwrap()
        .iter()
        .filter(|r| r.0 == "/bot123:ABC/sendMessage")
        .map(|r| serde_json::from_slice(&r.2).unwrap())
        .collect();
    assert_eq!(telegram.len(), 1, "one message per story: {telegram:?}");
    assert_eq!(telegram[0]["chat_id"], "42");
    let text = telegram[0]["text"].as_str().unwrap();
    assert!(
        text.contains(STORY) && text.contains("http://news.test/stories/"),
        "{text}"
    );
    assert_eq!(
        hook("new").len(),
        4,
        "three failures and one delivery, no repeats"
    );
    assert_eq!(hook("agencies").len(), 1);
    d.stop().await;
}

#[tokio::test]
async fn check_refuses_a_digest_without_filters_and_a_token_in_the_config() {
    let cases = [
        (
            "[[digest]]\nname = \"m\"\ncron = \"0 8 * * *\"\n",
            "digest[0].topics",
            "all = true",
        ),
        (
            "[[alert]]\nname = \"f\"\nall = true\ntelegram = { token = \"123:ABC\", chat_id = 1 }\n",
            "alert[0].telegram.token",
            "token_file",
        ),
        (
            "[smtp]\nhost = \"smtp.example.org\"\nfrom = \"not an address\"\n",
            "smtp.from",
            "not an email address",
        ),
        (
            "[[digest]]\nname = \"m\"\ncron = \"0 8 * * *\"\nall = true\nsend_to = [\"a@b.example\"]\n",
            "send_to",
            "unknown field",
        ),
    ];
    for (extra, key, why) in cases {
        let app = App::new(&config(&[("a", "http://127.0.0.1:9/a.xml".into())], extra));
        let (code, _, err) = app.svodka(&["check"]).await;
        assert_eq!(code, 2, "{extra}: {err}");
        assert!(err.contains(key) && err.contains(why), "{extra}: {err}");
    }
    let app = App::new(&config(
        &[("a", "http://127.0.0.1:9/a.xml".into())],
        "[[digest]]\nname = \"m\"\ncron = \"0 8 * * *\"\nall = true\n",
    ));
    let (code, out, err) = app.svodka(&["check"]).await;
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("1 digest"), "{out}");
}

#[tokio::test]
async fn a_restart_does_not_alert_a_story_again() {
    install_crypto();
    let o = Origin::start().await;
    let story = one_agency_each(&o);
    let (hooks, got) = receiver(0).await;
    let extra = format!(
        "[schedule]\ncron = \"* * * * * *\"\n\n{TOPICS}[[alert]]\nname = \"bridges\"\ntopics = [\"bridge\"]\nwebhook = \"{hooks}/hook\"\n"
    );
    let app = App::new(&config(
        &[("vesti", o.url("/a.xml")), ("gorod", o.url("/b.xml"))],
        &extra,
    ));
    let hooks_seen = || {
        got.lock()
            .unwrap()
            .iter()
            .filter(|r| r.0 == "/hook")
            .count()
    };
    let d = spawn(&["run"], Some(&app)).await;
    wait_for("the first alert", || (hooks_seen() == 1).then_some(())).await;
    d.stop().await;

    // After a restart a second agency carries the story: it is the same story, alerted before.
    o.route(
        "/b.xml",
        Route::ok(
            rss(&[
                item(OTHER).guid("b0").link("https://b.test/food"),
                story.clone().guid("b1"),
            ]),
            "application/rss+xml",
        ),
    );
    let d = spawn(&["run"], Some(&app)).await;
    // The feed entry of the story lists the second agency's report once it joined.
    until(&format!("{}/feeds/all.rss", d.base), |b| {
        b.contains("Также сообщили")
    })
    .await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(hooks_seen(), 1, "alerted once across the restart");
    d.stop().await;
}

#[tokio::test]
async fn a_digest_and_an_alert_with_a_query_take_only_the_stories_it_finds() {
    install_crypto();
    let o = Origin::start().await;
    origin_routes(&o);
    let (hooks, got) = receiver(0).await;
    // «мостов» is not written in either report: the search finds «мост» by its lemma. A query
    // alone is a filter: no `all = true`.
    let extra = format!(
        "[schedule]\ncron = \"* * * * * *\"\n\n[[digest]]\nname = \"bridges\"\ntitle = \"Мосты за сутки\"\ncron = \"*/2 * * * * *\"\nquery = \"мостов\"\n\n[[alert]]\nname = \"bridges\"\nquery = \"мостов\"\nwebhook = \"{hooks}/hook\"\n"
    );
    let app = App::new(&config(
        &[("vesti", o.url("/a.xml")), ("gorod", o.url("/b.xml"))],
        &extra,
    ));
    let (code, _, err) = app.svodka(&["check"]).await;
    assert_eq!(code, 0, "{err}");
    let d = spawn(&["run"], Some(&app)).await;

    let edition = until(&format!("{}/digests/bridges.rss", d.base), |b| {
        b.contains(STORY)
    })
    .await;
    assert!(
        !edition.contains(OTHER),
        "only what the query finds: {edition}"
    );
    // Both stories were stored by one fetch; the other is in the feeds, not in the digest.
    let all = until(&format!("{}/feeds/all.rss", d.base), |b| b.contains(OTHER)).await;
    assert!(all.contains(STORY));

    let hooked = || {
        got.lock()
            .unwrap()
            .iter()
            .filter(|r| r.0 == "/hook")
            .map(|r| serde_json::from_slice::<serde_json::Value>(&r.2).unwrap())
            .map(|p| p["story"]["title"].as_str().unwrap_or_default().to_string())
            .collect::<Vec<_>>()
    };
    wait_for("the alert for the story found", || {
        (!hooked().is_empty()).then_some(())
    })
    .await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(hooked(), vec![STORY.to_string()], "not the other story");
    d.stop().await;
}

#[tokio::test]
async fn check_refuses_a_digest_or_alert_query_that_does_not_parse_or_finds_nothing_indexed() {
    let cases = [
        (
            "[[topic]]\nname = \"fire\"\nkeywords = [\"пожар\"]\n\n[[digest]]\nname = \"m\"\ncron = \"0 8 * * *\"\nquery = \"мост topic:nothing\"\n".to_string(),
            "digest[0].query",
            "нет темы «nothing»",
        ),
        (
            "[[alert]]\nname = \"f\"\nquery = \"\\\"мост\"\nwebhook = \"http://127.0.0.1:9/hook\"\n".to_string(),
            "alert[0].query",
            "кавыч",
        ),
        (
            "[search]\nindex = false\n\n[[alert]]\nname = \"f\"\nquery = \"мост\"\nwebhook = \"http://127.0.0.1:9/hook\"\n".to_string(),
            "alert[0].query",
            "index = false",
        ),
    ];
    for (extra, key, why) in cases {
        let app = App::new(&config(&[("a", "http://127.0.0.1:9/a.xml".into())], &extra));
        let (code, _, err) = app.svodka(&["check"]).await;
        assert_eq!(code, 2, "{extra}: {err}");
        assert!(err.contains(key) && err.contains(why), "{extra}: {err}");
    }
}
