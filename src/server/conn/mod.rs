//! The serving loop: connections accepted within a cap and held to their timeouts, so hostile
//! and careless clients (half-sent requests, floods of idle connections, huge heads) cannot lock
//! readers out or take the file descriptors that fetching and SQLite need.
//!
//! axum's `serve` sets no timeout and no cap, and hyper's own header timeout starts when it
//! begins to wait for a head, which includes a kept-alive connection's idle wait. So each
//! connection carries a small record of its phase and since when it is in it: hyper's reads
//! (through `Watched`) and the answers (through `Guarded`) move it along, a watchdog in the
//! connection's task closes it when its phase's time is up, and the accept loop reads the
//! records to choose which connection to close when the cap is reached.

use std::convert::Infallible;
use std::future::{Future, poll_fn};
use std::io;
use std::net::SocketAddr;
use std::pin::pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::Poll;
use std::time::Duration;

use axum::Router;
use axum::http::{Request, StatusCode};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::TokioIo;
use tokio::net::{TcpListener, TcpStream};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::config::Config;
use crate::sync::Recover;

mod limits;
mod registry;
mod watch;

pub use limits::{
    Limits, MAX_HEAD_BYTES, MAX_HEADERS, MAX_URL_BYTES, connection_cap, reserved_fds,
};
use limits::{RETRY_AFTER_SECS, plain};
use registry::{ConnState, Phase, Registry};
use watch::{Guarded, Watched};

/// Connections refused with a 503 at the same time; past this, a refused one is closed at once.
const MAX_REFUSING: usize = 32;
/// Pressure is logged at most this often, so a flood does not flood the journal too.
const LOG_EVERY: Duration = Duration::from_secs(10);

/// What the accept loop did lately, logged at most every [`LOG_EVERY`].
struct Pressure {
    closed: u64,
    refused: u64,
    errors: u64,
    last_log: Option<Instant>,
}

impl Pressure {
    fn maybe_log(&mut self, cap: usize, last_error: Option<&io::Error>) {
        let now = Instant::now();
        if self.last_log.is_some_and(|t| now < t + LOG_EVERY) {
            return;
        }
        if self.closed + self.refused > 0 {
            tracing::warn!(
                "at the cap of {cap} connections: closed {} waiting connections, refused {} with 503",
                self.closed,
                self.refused
            );
        }
        if let Some(e) = last_error {
            tracing::warn!("cannot accept connections ({} times): {e}", self.errors);
        }
        self.closed = 0;
        self.refused = 0;
        self.errors = 0;
        self.last_log = Some(now);
    }
}

/// The soft limit on open files right now (the daemon raised it at start).
fn soft_nofile() -> u64 {
    rlimit::getrlimit(rlimit::Resource::NOFILE).map_or(1024, |(soft, _)| soft)
}

/// Serves `router` on `listener` until `shutdown` is cancelled, then lets the answers in
/// flight finish (each within its request timeout) and returns. `config` is read for each
/// accepted connection.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    config: impl Fn() -> Arc<Config>,
    shutdown: CancellationToken,
) -> io::Result<()> {
    let soft = soft_nofile();
    let first = Limits::new(&config(), soft);
    tracing::info!(
        "serving at most {} connections at once (open files limit {soft}, {} kept for fetching and the database)",
        first.max_connections,
        reserved_fds(config().fetch.concurrency)
    );
    let registry = Arc::new(Mutex::new(Registry::default()));
    let tracker = TaskTracker::new();
    let refusing = Arc::new(AtomicUsize::new(0));
    let mut pressure = Pressure {
        closed: 0,
        refused: 0,
        errors: 0,
        last_log: None,
    };
    loop {
        let accepted = tokio::select! {
            () = shutdown.cancelled() => break,
            r = listener.accept() => r,
        };
        let limits = Limits::new(&config(), soft);
        let (stream, remote) = match accepted {
            Ok(a) => a,
            Err(e) if is_per_connection(&e) => continue,
            Err(e) => {
                // Out of descriptors or memory: waiting a moment beats spinning, and the
                // connections that time out meanwhile give some back.
                pressure.errors += 1;
                pressure.maybe_log(limits.max_connections, Some(&e));
                tokio::select! {
                    () = shutdown.cancelled() => break,
                    () = tokio::time::sleep(Duration::from_millis(50)) => continue,
                }
            }
        };
        let admitted = registry
            .lock_or_recover()
            .admit(limits.max_connections, Instant::now());
        match admitted {
            Some((id, state, closed)) => {
                pressure.closed += closed as u64;
                tracker.spawn(serve_one(
                    stream,
                    remote,
                    router.clone(),
                    Connection {
                        id,
                        state,
                        registry: registry.clone(),
                    },
                    limits,
                    shutdown.clone(),
                ));
            }
            None => {
                pressure.refused += 1;
                // Refusing takes a task and a descriptor for a moment, so only a few at once;
                // past them the connection is simply closed.
                if refusing.fetch_add(1, Ordering::AcqRel) < MAX_REFUSING {
                    let refusing = refusing.clone();
                    tracker.spawn(async move {
                        refuse(stream).await;
                        refusing.fetch_sub(1, Ordering::AcqRel);
                    });
                } else {
                    refusing.fetch_sub(1, Ordering::AcqRel);
                }
            }
        }
        if pressure.closed + pressure.refused > 0 {
            pressure.maybe_log(limits.max_connections, None);
        }
    }
    drop(listener);
    tracker.close();
    tracker.wait().await;
    Ok(())
}

/// Errors that concern one connection only (it was reset before we took it).
fn is_per_connection(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
    )
}

/// A served connection's place in the registry; it leaves when the task ends.
struct Connection {
    id: u64,
    state: Arc<ConnState>,
    registry: Arc<Mutex<Registry>>,
}

impl Drop for Connection {
    fn drop(&mut self) {
        self.registry.lock_or_recover().leave(self.id);
    }
}

/// Why a connection ended, for the debug log.
enum End {
    Done(Result<(), hyper::Error>),
    MadeRoom,
    TimedOut(Phase),
}

async fn serve_one(
    stream: TcpStream,
    remote: SocketAddr,
    router: Router,
    conn: Connection,
    limits: Limits,
    shutdown: CancellationToken,
) {
    // Feeds are written whole; Nagle's delay would only hold back their last segment.
    let _ = stream.set_nodelay(true);
    let state = conn.state.clone();
    let io = TokioIo::new(Watched {
        inner: stream,
        state: state.clone(),
    });
    let service = Guarded {
        router,
        state: state.clone(),
        remote,
    };
    let mut builder = http1::Builder::new();
    builder
        .keep_alive(true)
        .max_headers(MAX_HEADERS)
        .max_header_size(MAX_HEAD_BYTES)
        // The watchdog below keeps the time; hyper's timer would also cut idle connections.
        .header_read_timeout(None);
    let mut http = pin!(builder.serve_connection(io, service));
    let mut made_room = pin!(state.close.cancelled());
    let mut stopping = pin!(shutdown.cancelled());
    let (phase, since) = state.get();
    let mut timer = pin!(tokio::time::sleep_until(since + limits.time_for(phase)));
    let mut graceful = false;
    let end = poll_fn(|cx| {
        if !graceful && stopping.as_mut().poll(cx).is_ready() {
            // An idle connection closes now; a busy one after its answer.
            graceful = true;
            http.as_mut().graceful_shutdown();
        }
        if let Poll::Ready(r) = http.as_mut().poll(cx) {
            return Poll::Ready(End::Done(r));
        }
        if made_room.as_mut().poll(cx).is_ready() {
            return Poll::Ready(End::MadeRoom);
        }
        // Reads and answers move the phase while hyper is polled, in this task, so the
        // deadline is brought up to date right after.
        let (phase, since) = state.get();
        let deadline = since + limits.time_for(phase);
        if timer.deadline() != deadline {
            timer.as_mut().reset(deadline);
        }
        if timer.as_mut().poll(cx).is_ready() {
            return Poll::Ready(End::TimedOut(phase));
        }
        Poll::Pending
    })
    .await;
    match end {
        End::Done(Ok(())) => {}
        End::Done(Err(e)) => tracing::debug!("connection from {remote}: {e}"),
        End::MadeRoom => tracing::debug!("closed the connection from {remote} to make room"),
        End::TimedOut(phase) => {
            tracing::debug!("closed the connection from {remote}: timed out ({phase:?})")
        }
    }
    drop(conn);
}

/// The answer past the cap, when every connection is busy: 503 with `Retry-After`, through
/// hyper so the request is read first (a client whose request was not read may see a reset
/// instead of the answer).
async fn refuse(stream: TcpStream) {
    let service = hyper::service::service_fn(|_req: Request<Incoming>| async {
        Ok::<_, Infallible>(plain(
            StatusCode::SERVICE_UNAVAILABLE,
            "too many connections; try again in a few seconds\n",
        ))
    });
    let mut builder = http1::Builder::new();
    builder
        .keep_alive(false)
        .max_headers(MAX_HEADERS)
        .max_header_size(MAX_HEAD_BYTES)
        .header_read_timeout(None);
    let http = builder.serve_connection(TokioIo::new(stream), service);
    let _ = tokio::time::timeout(Duration::from_secs(RETRY_AFTER_SECS), http).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `conn::serve` on 127.0.0.1:0 with `[server]` keys, in front of a router with a handler
    /// that never finishes (a wedged render) and one that answers at once.
    async fn serving(server_keys: &str) -> (SocketAddr, CancellationToken) {
        let cfg = Config::parse(
            &format!("[server]\n{server_keys}\n"),
            std::path::Path::new("svodka.toml"),
        )
        .unwrap();
        let cfg = Arc::new(cfg);
        let router = Router::new()
            .route(
                "/stuck",
                axum::routing::get(std::future::pending::<&'static str>),
            )
            .route("/healthz", axum::routing::get(|| async { "ok\n" }));
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let stop = CancellationToken::new();
        tokio::spawn(serve(listener, router, move || cfg.clone(), stop.clone()));
        (addr, stop)
    }

    async fn ask(addr: SocketAddr, path: &str) -> (TcpStream, Instant) {
        use tokio::io::AsyncWriteExt;
        let mut s = TcpStream::connect(addr).await.unwrap();
        s.write_all(format!("GET {path} HTTP/1.1\r\nHost: news.test\r\n\r\n").as_bytes())
            .await
            .unwrap();
        (s, Instant::now())
    }

    /// Everything the server sends until it closes the connection (within 10 s).
    async fn until_closed(s: &mut TcpStream) -> String {
        use tokio::io::AsyncReadExt;
        let mut all = Vec::new();
        let read = tokio::time::timeout(Duration::from_secs(10), s.read_to_end(&mut all)).await;
        assert!(read.is_ok(), "the connection was held open for 10 s");
        String::from_utf8_lossy(&all).into_owned()
    }

    #[tokio::test]
    async fn an_answer_that_takes_too_long_closes_its_connection() {
        let (addr, stop) = serving("request_timeout_secs = 1").await;
        let (mut s, asked) = ask(addr, "/stuck").await;
        assert_eq!(until_closed(&mut s).await, "");
        assert!(asked.elapsed() >= Duration::from_millis(900));
        stop.cancel();
    }

    #[tokio::test]
    async fn past_the_cap_with_every_connection_busy_comes_a_503_with_retry_after() {
        let (addr, stop) = serving("max_connections = 1\nrequest_timeout_secs = 3").await;
        // Busy (or, if not read yet, new): either way it is not closed to make room.
        let (mut busy, _) = ask(addr, "/stuck").await;
        let (mut s, _) = ask(addr, "/healthz").await;
        let answer = until_closed(&mut s).await;
        assert!(answer.starts_with("HTTP/1.1 503"), "{answer}");
        assert!(answer.contains("retry-after: 5\r\n"), "{answer}");
        // Once the stuck one is closed by its timeout, there is room again.
        assert_eq!(until_closed(&mut busy).await, "");
        let (mut s, _) = ask(addr, "/healthz").await;
        let mut buf = [0u8; 12];
        tokio::io::AsyncReadExt::read_exact(&mut s, &mut buf)
            .await
            .unwrap();
        assert_eq!(&buf, b"HTTP/1.1 200");
        stop.cancel();
    }
}
