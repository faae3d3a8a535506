//! Feed throughput and p99 latency under `wrk`'s readers with 5,000 idle kept-alive connections
//! held open beside them, against the same daemon without them, measured in the same run:
//! without, with, without again.
//!
//!     cargo bench --bench door
//!
//! The daemon is the real binary (`svodka demo`: the bundled agencies, fetched at start). The
//! idle connections each ask for `/healthz` once and then hold their connection, as a careless
//! crawler or an attacker does. Needs `wrk` (`apt-get install wrk`); without it the bench says
//! so and exits.

use std::net::SocketAddr;
use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::process::Command;
use tokio::task::JoinSet;

const IDLE: usize = 5_000;
const SECONDS: u32 = 10;
const WRK_CONNECTIONS: u32 = 64;

/// What one `wrk` run reports.
#[derive(Debug, Clone, Copy)]
struct Run {
    requests_per_sec: f64,
    p50_ms: f64,
    p99_ms: f64,
    errors: u64,
}

#[tokio::main]
async fn main() {
    if std::process::Command::new("wrk")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("door bench skipped: `wrk` is not installed (apt-get install -y wrk)");
        return;
    }
    // This process holds the idle connections itself.
    let _ = rlimit::increase_nofile_limit(u64::MAX);
    svodka::fetch::install_crypto_provider();

    let mut daemon = Command::new(env!("CARGO_BIN_EXE_svodka"));
    daemon
        .args(["demo", "--listen", "127.0.0.1:0"])
        .env("RUST_LOG", "warn,svodka::daemon=info,svodka::server=info")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    let mut daemon = daemon.spawn().expect("cannot start svodka demo");
    let mut log = BufReader::new(daemon.stderr.take().expect("stderr is piped")).lines();
    let mut addr: Option<SocketAddr> = None;
    while let Ok(Some(l)) = log.next_line().await {
        if l.contains("open files limit") || l.contains("serving at most") {
            eprintln!("daemon: {}", l.split_once("  ").map_or(l.as_str(), |x| x.1));
        }
        if let Some(rest) = l.split("serving on http://").nth(1) {
            addr = rest.split_whitespace().next().and_then(|a| a.parse().ok());
        }
        if addr.is_some() && l.contains("serving at most") {
            break;
        }
    }
    tokio::spawn(async move { while let Ok(Some(_)) = log.next_line().await {} });
    let addr = addr.expect("svodka demo did not say where it serves");
    let url = format!("http://{addr}/feeds/all.rss");
    wait_for_items(&url).await;

    let before = wrk(&url).await;
    let idle = idle_connections(addr, IDLE).await;
    eprintln!("{} idle connections open", idle.len());
    let with = wrk(&url).await;
    let still = still_open(&idle);
    drop(idle);
    let after = wrk(&url).await;

    let reference = Run {
        requests_per_sec: (before.requests_per_sec + after.requests_per_sec) / 2.0,
        p50_ms: (before.p50_ms + after.p50_ms) / 2.0,
        p99_ms: (before.p99_ms + after.p99_ms) / 2.0,
        errors: before.errors + after.errors,
    };
    println!(
        "wrk -t2 -c{WRK_CONNECTIONS} -d{SECONDS}s on /feeds/all.rss (gzip), {IDLE} idle kept-alive connections beside it"
    );
    println!("| run | requests/s | p50 | p99 | errors |");
    println!("| --- | ---: | ---: | ---: | ---: |");
    for (name, r) in [
        ("without idle connections", before),
        (&*format!("with {IDLE} idle connections"), with),
        ("without, again", after),
    ] {
        println!(
            "| {name} | {:.0} | {:.2} ms | {:.2} ms | {} |",
            r.requests_per_sec, r.p50_ms, r.p99_ms, r.errors
        );
    }
    println!(
        "with / without (mean of both): throughput {:.2}×, p50 {:.2}×, p99 {:.2}×; idle connections still open after the run: {still} of {IDLE}",
        with.requests_per_sec / reference.requests_per_sec,
        with.p50_ms / reference.p50_ms,
        with.p99_ms / reference.p99_ms,
    );
    if reference.errors + with.errors > 0 {
        println!("wrk counted errors: see the table");
    }
    let _ = daemon.start_kill();
}

/// Polls the merged feed until the demo's agencies have been fetched into it.
async fn wait_for_items(url: &str) {
    let client = reqwest::Client::new();
    for _ in 0..300 {
        if let Ok(r) = client.get(url).send().await
            && r.status() == 200
            && let Ok(body) = r.text().await
            && body.contains("<item>")
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{url} never showed items");
}

/// One `wrk` run with its latency distribution.
async fn wrk(url: &str) -> Run {
    let out = Command::new("wrk")
        .args([
            "-t2",
            &format!("-c{WRK_CONNECTIONS}"),
            &format!("-d{SECONDS}s"),
            "--latency",
            "-H",
            "Accept-Encoding: gzip",
            url,
        ])
        .output()
        .await
        .expect("wrk did not run");
    let text = String::from_utf8_lossy(&out.stdout);
    parse_wrk(&text).unwrap_or_else(|| panic!("cannot read wrk's report:\n{text}"))
}

fn parse_wrk(text: &str) -> Option<Run> {
    let field = |prefix: &str| {
        text.lines()
            .map(str::trim)
            .find_map(|l| l.strip_prefix(prefix))
            .map(str::trim)
    };
    let requests_per_sec = field("Requests/sec:")?.parse().ok()?;
    let p50_ms = millis(field("50%")?)?;
    let p99_ms = millis(field("99%")?)?;
    let mut errors = 0;
    if let Some(e) = field("Socket errors:") {
        // "connect 0, read 0, write 0, timeout 0"
        errors += e
            .split(',')
            .filter_map(|p| p.split_whitespace().last()?.parse::<u64>().ok())
            .sum::<u64>();
    }
    if let Some(e) = field("Non-2xx or 3xx responses:") {
        errors += e.parse::<u64>().ok()?;
    }
    Some(Run {
        requests_per_sec,
        p50_ms,
        p99_ms,
        errors,
    })
}

/// wrk's durations: `812.00us`, `3.21ms`, `1.02s`.
fn millis(s: &str) -> Option<f64> {
    let (num, factor) = if let Some(n) = s.strip_suffix("us") {
        (n, 0.001)
    } else if let Some(n) = s.strip_suffix("ms") {
        (n, 1.0)
    } else if let Some(n) = s.strip_suffix('s') {
        (n, 1000.0)
    } else {
        return None;
    };
    Some(num.parse::<f64>().ok()? * factor)
}

/// `n` connections that each ask for `/healthz`, read the answer, and stay open.
async fn idle_connections(addr: SocketAddr, n: usize) -> Vec<TcpStream> {
    let mut set = JoinSet::new();
    let gate = std::sync::Arc::new(tokio::sync::Semaphore::new(256));
    for _ in 0..n {
        let gate = gate.clone();
        set.spawn(async move {
            let _turn = gate.acquire_owned().await.ok()?;
            let mut s = TcpStream::connect(addr).await.ok()?;
            s.write_all(b"GET /healthz HTTP/1.1\r\nHost: bench.test\r\n\r\n")
                .await
                .ok()?;
            let mut got = Vec::new();
            let mut buf = [0u8; 512];
            while !got.ends_with(b"ok\n") {
                let k = s.read(&mut buf).await.ok()?;
                if k == 0 {
                    return None;
                }
                got.extend_from_slice(&buf[..k]);
            }
            Some(s)
        });
    }
    let mut open = Vec::with_capacity(n);
    while let Some(r) = set.join_next().await {
        if let Ok(Some(s)) = r {
            open.push(s);
        }
    }
    open
}

fn still_open(conns: &[TcpStream]) -> usize {
    let mut buf = [0u8; 16];
    conns
        .iter()
        .filter(|s| {
            matches!(s.try_read(&mut buf), Err(e) if e.kind() == std::io::ErrorKind::WouldBlock)
        })
        .count()
}
