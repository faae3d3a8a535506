//! Hostile and careless clients against the real `svodka run`, started with a low file limit
//! (256, as a small container or an old init gives): half-sent requests, floods of idle
//! kept-alive connections, oversized requests, and fetching while a flood is on.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::process::Child;
use tokio::task::JoinSet;
use tokio::time::Instant;

use crate::feeds::{item, rss};
use crate::harness::{App, Origin, Route, config, titles};

/// The file limit the daemon runs under in these tests: it leaves room for 96 readers.
const NOFILE: u64 = 256;
/// More connections than the daemon may hold under [`NOFILE`] descriptors.
const FLOOD: usize = 400;

struct Daemon {
    child: Child,
    addr: SocketAddr,
    base: String,
    log: tokio::sync::mpsc::UnboundedReceiver<String>,
}

/// `svodka run` with `RLIMIT_NOFILE` set to [`NOFILE`] (soft and hard) in the child.
async fn start(app: &App) -> Daemon {
    // The test process holds the flood's sockets itself.
    let _ = rlimit::increase_nofile_limit(u64::MAX);
    let mut cmd = crate::harness::run_command(app);
    // SAFETY: between fork and exec the closure only makes the setrlimit system call, which is
    // async-signal-safe, and allocates nothing.
    unsafe {
        cmd.pre_exec(|| rlimit::setrlimit(rlimit::Resource::NOFILE, NOFILE, NOFILE));
    }
    let (child, base, log) = crate::harness::start_serving(cmd).await;
    let addr = base.trim_start_matches("http://").parse().unwrap();
    Daemon {
        child,
        addr,
        base,
        log,
    }
}

impl Daemon {
    fn feed(&self) -> String {
        format!("{}/feeds/all.rss", self.base)
    }

    /// Waits for a log line containing `needle`, within 20 s.
    async fn wait_log(&mut self, needle: &str) -> String {
        tokio::time::timeout(Duration::from_secs(20), async {
            loop {
                let l = self.log.recv().await.expect("svodka exited");
                if l.contains(needle) {
                    return l;
                }
            }
        })
        .await
        .unwrap_or_else(|_| panic!("no log line with {needle:?}"))
    }

    /// SIGTERM, and the exit status.
    async fn stop(mut self) -> i32 {
        let pid = self.child.id().unwrap().to_string();
        assert!(
            std::process::Command::new("kill")
                .args(["-TERM", &pid])
                .status()
                .unwrap()
                .success()
        );
        let st = tokio::time::timeout(Duration::from_secs(15), self.child.wait())
            .await
            .expect("svodka did not stop after SIGTERM")
            .unwrap();
        st.code().unwrap_or(-1)
    }
}

/// An agency with two stories, and a config pointing at it with `server` keys added.
async fn agency(server: &str, extra: &str) -> (Origin, App) {
    svodka::fetch::install_crypto_provider();
    let o = Origin::start().await;
    o.route(
        "/rss.xml",
        Route::ok(
            rss(&[
                item("В Липецке открыли мост через Воронеж после ремонта").guid("lv-1041"),
                item("Грипп в регионе: карантин в школах продлён до понедельника").guid("lv-1042"),
            ]),
            "application/rss+xml; charset=utf-8",
        ),
    );
    let text = config(&[("lipetsk-vesti", o.url("/rss.xml"))], extra).replacen(
        "[server]\n",
        &format!("[server]\n{server}\n"),
        1,
    );
    (o, App::new(&text))
}

/// A reader on a connection of its own: the feed's titles, or why not.
async fn read_feed(url: &str) -> Result<Vec<String>, String> {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .pool_max_idle_per_host(0)
        .user_agent("NewsBlur Feed Fetcher - 4 subscribers")
        .build()
        .unwrap();
    let r = client.get(url).send().await.map_err(|e| format!("{e:?}"))?;
    if r.status() != 200 {
        return Err(format!("status {}", r.status()));
    }
    Ok(titles(&r.text().await.map_err(|e| e.to_string())?))
}

/// Reads until the feed shows `title`, each time on a fresh connection, within 20 s.
async fn until_title(url: &str, title: &str) -> Vec<String> {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let got = read_feed(url).await;
        if let Ok(t) = &got
            && t.iter().any(|t| t == title)
        {
            return t.clone();
        }
        assert!(Instant::now() < deadline, "{title:?} never served: {got:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Ten readers one after another, each must get the feed.
async fn readers_are_served(d: &Daemon) {
    for i in 0..10 {
        let got = read_feed(&d.feed()).await;
        assert!(
            got.as_ref()
                .is_ok_and(|t| t.iter().any(|t| t.contains("мост через Воронеж"))),
            "reader {i} was not served: {got:?}"
        );
    }
}

/// `n` clients that each ask for `/healthz`, read the answer and keep the connection open, as a
/// careless crawler or an attacker does. The connections that were answered are returned.
async fn idle_flood(addr: SocketAddr, n: usize) -> Vec<TcpStream> {
    let mut set = JoinSet::new();
    for _ in 0..n {
        set.spawn(async move {
            let mut s = TcpStream::connect(addr).await.ok()?;
            s.write_all(b"GET /healthz HTTP/1.1\r\nHost: news.test\r\nUser-Agent: python-requests/2.31.0\r\n\r\n")
                .await
                .ok()?;
            let mut got = Vec::new();
            let mut buf = [0u8; 1024];
            let answered = tokio::time::timeout(Duration::from_secs(10), async {
                while !got.ends_with(b"ok\n") {
                    match s.read(&mut buf).await {
                        Ok(0) | Err(_) => return false,
                        Ok(k) => got.extend_from_slice(&buf[..k]),
                    }
                }
                true
            })
            .await;
            matches!(answered, Ok(true)).then_some(s)
        });
    }
    let mut open = Vec::new();
    while let Some(r) = set.join_next().await {
        if let Some(s) = r.unwrap() {
            open.push(s);
        }
    }
    open
}

/// How many of `conns` the server has not closed (a read would block rather than see the end).
fn still_open(conns: &[TcpStream]) -> usize {
    let mut buf = [0u8; 64];
    conns
        .iter()
        .filter(|s| matches!(s.try_read(&mut buf), Err(e) if e.kind() == std::io::ErrorKind::WouldBlock))
        .count()
}

/// Waits until the server closes `s` (an end of stream or a reset), within `limit`.
async fn closed_within(s: &mut tokio::net::tcp::OwnedReadHalf, limit: Duration) -> bool {
    let mut buf = [0u8; 1024];
    tokio::time::timeout(limit, async {
        loop {
            match s.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    })
    .await
    .is_ok()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn half_sent_requests_are_closed_after_the_header_timeout_and_readers_are_served() {
    let (_o, app) = agency("header_timeout_secs = 2", "").await;
    let d = start(&app).await;
    until_title(
        &d.feed(),
        "В Липецке открыли мост через Воронеж после ремонта",
    )
    .await;

    // Slowloris: more connections than the server may hold, each sending a request line and
    // then one more header every 400 ms, never the blank line that ends the head.
    let mut attackers = JoinSet::new();
    let (sent_tx, mut sent_rx) = tokio::sync::mpsc::channel(FLOOD);
    for _ in 0..300 {
        let (addr, sent) = (d.addr, sent_tx.clone());
        attackers.spawn(async move {
            let s = TcpStream::connect(addr).await.unwrap();
            let opened = Instant::now();
            let (mut rd, mut wr) = s.into_split();
            wr.write_all(b"GET /feeds/all.rss HTTP/1.1\r\nHost: news.test\r\nUser-Agent: Mozilla/5.0 (X11; Linux x86_64)\r\n")
                .await
                .unwrap();
            sent.send(()).await.unwrap();
            let trickle = tokio::spawn(async move {
                for n in 0.. {
                    tokio::time::sleep(Duration::from_millis(400)).await;
                    if wr.write_all(format!("X-Wait-{n}: 1\r\n").as_bytes()).await.is_err() {
                        return;
                    }
                }
            });
            let closed = closed_within(&mut rd, Duration::from_secs(15)).await;
            trickle.abort();
            closed.then(|| opened.elapsed())
        });
    }
    drop(sent_tx);
    for _ in 0..300 {
        sent_rx.recv().await.unwrap();
    }
    readers_are_served(&d).await;

    let mut held = Vec::new();
    while let Some(r) = attackers.join_next().await {
        let lived = r
            .unwrap()
            .expect("a half-sent request was held open for 15 s");
        held.push(lived);
    }
    // The ones the server had room for lived until the header timeout, trickle or not, and no
    // longer than it (plus a margin for a loaded machine).
    let at_timeout = held
        .iter()
        .filter(|t| **t >= Duration::from_millis(1900))
        .count();
    assert!(at_timeout >= 50, "only {at_timeout} waited for the timeout");
    assert!(held.iter().all(|t| *t < Duration::from_secs(8)), "{held:?}");
    assert_eq!(d.stop().await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_of_idle_connections_past_the_cap_leaves_readers_served() {
    let (_o, app) = agency("", "").await;
    let mut d = start(&app).await;
    // The operator sees the limits the daemon works within.
    d.wait_log("serving at most 96 connections at once (open files limit 256")
        .await;
    until_title(
        &d.feed(),
        "В Липецке открыли мост через Воронеж после ремонта",
    )
    .await;

    let flood = idle_flood(d.addr, FLOOD).await;
    assert!(!flood.is_empty(), "no flood connection was answered");
    readers_are_served(&d).await;
    // The server closed the longest idle to make room: what it holds stays under its cap
    // (256 descriptors less the reserve), whatever the flood opened.
    let open = still_open(&flood);
    assert!(
        open <= 96,
        "{open} idle connections held under a limit of {NOFILE} files"
    );
    // Idle connections do not hold up a shutdown.
    assert_eq!(d.stop().await, 0);
    drop(flood);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_kept_alive_connections_are_closed_after_the_idle_timeout() {
    let (_o, app) = agency("idle_timeout_secs = 2", "").await;
    let d = start(&app).await;
    until_title(
        &d.feed(),
        "В Липецке открыли мост через Воронеж после ремонта",
    )
    .await;

    let s = TcpStream::connect(d.addr).await.unwrap();
    let (mut rd, mut wr) = s.into_split();
    let ask =
        b"HEAD /feeds/all.rss HTTP/1.1\r\nHost: news.test\r\nUser-Agent: Liferea/1.15\r\n\r\n";
    // Two requests on one connection: keeping alive still works, and the second one starts
    // the idle clock again.
    for _ in 0..2 {
        wr.write_all(ask).await.unwrap();
        let mut head = Vec::new();
        let mut buf = [0u8; 1024];
        while !head.windows(4).any(|w| w == b"\r\n\r\n") {
            let k = rd.read(&mut buf).await.unwrap();
            assert!(k > 0, "closed before answering");
            head.extend_from_slice(&buf[..k]);
        }
        assert!(
            head.starts_with(b"HTTP/1.1 200"),
            "{:?}",
            String::from_utf8_lossy(&head)
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let idle = Instant::now();
    assert!(
        closed_within(&mut rd, Duration::from_secs(10)).await,
        "an idle connection was kept open for 10 s"
    );
    assert!(
        idle.elapsed() >= Duration::from_millis(1400),
        "{:?}",
        idle.elapsed()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_and_unexpected_requests_get_a_clear_status() {
    let (_o, app) = agency("", "").await;
    let d = start(&app).await;
    until_title(
        &d.feed(),
        "В Липецке открыли мост через Воронеж после ремонта",
    )
    .await;
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    let url = d.feed();

    // A tracker's cookie jar of 20 KiB.
    let jar: String = (0..800)
        .map(|i| format!("_ym_uid{i}=16{i:08}4321; "))
        .collect();
    let r = client
        .get(&url)
        .header("cookie", &jar)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 431);
    // A hundred header fields.
    let mut req = client.get(&url);
    for i in 0..100 {
        req = req.header(format!("x-forwarded-hop-{i}"), "10.0.0.1");
    }
    assert_eq!(req.send().await.unwrap().status(), 431);
    // A search query pasted into the address, 3 KB of Cyrillic percent-encoded.
    let q = "%D0%BB%D0%B8%D0%BF%D0%B5%D1%86%D0%BA".repeat(85);
    let r = client.get(format!("{url}?q={q}")).send().await.unwrap();
    assert_eq!(r.status(), 414);
    // A body where none belongs.
    let r = client
        .get(&url)
        .body("{\"subscribe\": true}")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 413);
    let r = client.post(&url).body("title=x").send().await.unwrap();
    assert_eq!(r.status(), 405);
    assert!(r.headers()["allow"].to_str().unwrap().contains("GET"));
    // A sane request still gets the feed.
    let r = client.get(&url).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.text().await.unwrap().contains("мост через Воронеж"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fetching_completes_its_cycle_while_a_flood_is_on() {
    // Every two seconds, so the next cycle runs while the flood holds its connections.
    let (o, app) = agency("", "[schedule]\ncron = \"*/2 * * * * *\"\n").await;
    let mut d = start(&app).await;
    until_title(
        &d.feed(),
        "В Липецке открыли мост через Воронеж после ремонта",
    )
    .await;

    let flood = idle_flood(d.addr, FLOOD).await;
    o.route(
        "/rss.xml",
        Route::ok(
            rss(&[
                item("Под Ельцом сошёл с рельсов грузовой поезд: движение восстановлено")
                    .guid("lv-1043"),
                item("В Липецке открыли мост через Воронеж после ремонта").guid("lv-1041"),
                item("Грипп в регионе: карантин в школах продлён до понедельника").guid("lv-1042"),
            ]),
            "application/rss+xml; charset=utf-8",
        ),
    );
    // The cycle ends with the new story stored, flood or not.
    d.wait_log("lipetsk-vesti: 1 new").await;
    let got = until_title(
        &d.feed(),
        "Под Ельцом сошёл с рельсов грузовой поезд: движение восстановлено",
    )
    .await;
    assert_eq!(got.len(), 3, "{got:?}");
    assert!(
        still_open(&flood) > 0,
        "the flood ended before the fetch could be tried under it"
    );
    drop(flood);
}
