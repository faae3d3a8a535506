//! The serving loop: connections accepted within a cap and held to their timeouts, so hostile
//! and careless clients (half-sent requests, floods of idle connections, huge heads) cannot lock
//! readers out or take the file descriptors that fetching and SQLite need.
//!
//! axum's `serve` sets no timeout and no cap, and hyper's own header timeout starts when it
//! begins to wait for a head, which includes a kept-alive connection's idle wait. So each
//! connection carries a small record of its phase and since when it is in it: hyper's reads
//! (through [`Watched`]) and the answers (through [`Guarded`]) move it along, a watchdog in the
//! connection's task closes it when its phase's time is up, and the accept loop reads the
//! records to choose which connection to close when the cap is reached.

use std::collections::HashMap;
use std::convert::Infallible;
use std::future::{Future, poll_fn};
use std::io;
use std::net::SocketAddr;
use std::pin::{Pin, pin};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::ConnectInfo;
use axum::http::{HeaderMap, HeaderValue, Method, Request, Response, StatusCode, Uri, header};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::config::Config;
use crate::sync::Recover;

/// A request head (request line and headers) longer than this is answered 431 by hyper. A
/// feed reader sends under 1 KiB; a browser with cookies a few KiB.
pub const MAX_HEAD_BYTES: usize = 16 * 1024;
/// More header fields than this: 431. Browsers send about twenty.
pub const MAX_HEADERS: usize = 64;
/// A request target (path and query) longer than this: 414. svodka's longest real target is a
/// feed name and a short query.
pub const MAX_URL_BYTES: usize = 2048;
/// Connections refused with a 503 at the same time; past this, a refused one is closed at once.
const MAX_REFUSING: usize = 32;
/// How long a refused client is asked to wait (`Retry-After`), and how long a refusal may take.
const RETRY_AFTER_SECS: u64 = 5;
/// Pressure is logged at most this often, so a flood does not flood the journal too.
const LOG_EVERY: Duration = Duration::from_secs(10);

/// Descriptors kept out of the readers' reach: the runtime, the log, the listener, SQLite's
/// files (two connections in WAL mode, temp files), the refusals in flight, and two sockets for
/// each fetch at once (one fetching, one kept alive in the client's pool).
pub fn reserved_fds(fetch_concurrency: usize) -> u64 {
    96 + 2 * fetch_concurrency as u64
}

/// The cap really used: the configured one, lowered so that readers can never take the
/// descriptors reserved for fetching and the database. A file limit too small to reserve
/// anything still leaves a quarter of it to readers.
pub fn connection_cap(configured: usize, soft_nofile: u64, reserved: u64) -> usize {
    let room = soft_nofile.saturating_sub(reserved);
    let room = if room < 8 {
        (soft_nofile / 4).max(1)
    } else {
        room
    };
    configured.min(usize::try_from(room).unwrap_or(usize::MAX))
}

/// The limits one connection is held to, read from the config when it is accepted (so a
/// SIGHUP applies to the connections that come after it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    pub header_timeout: Duration,
    pub idle_timeout: Duration,
    pub request_timeout: Duration,
    pub max_connections: usize,
}

impl Limits {
    pub fn new(cfg: &Config, soft_nofile: u64) -> Limits {
        let s = &cfg.server;
        Limits {
            header_timeout: s.header_timeout,
            idle_timeout: s.idle_timeout,
            request_timeout: s.request_timeout,
            max_connections: connection_cap(
                s.max_connections,
                soft_nofile,
                reserved_fds(cfg.fetch.concurrency),
            ),
        }
    }

    fn time_for(&self, phase: Phase) -> Duration {
        match phase {
            Phase::New | Phase::Head => self.header_timeout,
            Phase::Busy => self.request_timeout,
            Phase::Idle => self.idle_timeout,
        }
    }
}

/// Where a connection is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    /// Accepted and not read from yet. It has had no chance to send its request, so it is never
    /// closed to make room (a reader's fresh connection must not lose to an older flood).
    New,
    /// Waiting for, or reading, a request head: since it was accepted, or since the first byte
    /// of its next request.
    Head,
    /// A request is being answered: from its whole head to the last byte of the answer.
    Busy,
    /// Kept alive between requests.
    Idle,
}

/// One connection's record, shared by its task, its I/O, its answers and the accept loop.
struct Slot {
    state: Mutex<(Phase, Instant)>,
    /// Cancelled when the accept loop closes this connection to make room.
    close: CancellationToken,
}

impl Slot {
    fn new(now: Instant) -> Slot {
        Slot {
            state: Mutex::new((Phase::New, now)),
            close: CancellationToken::new(),
        }
    }

    fn get(&self) -> (Phase, Instant) {
        *self.state.lock_or_recover()
    }

    fn set(&self, phase: Phase) {
        *self.state.lock_or_recover() = (phase, Instant::now());
    }

    /// hyper read from the socket (`got`: and bytes came).
    fn on_read(&self, got: bool) {
        let mut st = self.state.lock_or_recover();
        match st.0 {
            // The header timeout still counts from the accept.
            Phase::New => st.0 = Phase::Head,
            Phase::Idle if got => *st = (Phase::Head, Instant::now()),
            _ => {}
        }
    }
}

/// The connections being served, by id.
#[derive(Default)]
struct Registry {
    next_id: u64,
    slots: HashMap<u64, Arc<Slot>>,
}

impl Registry {
    /// Makes room for one more connection under `cap` by closing waiting ones (see [`victim`]);
    /// `None` when every connection is busy answering.
    fn admit(&mut self, cap: usize, now: Instant) -> Option<(u64, Arc<Slot>, usize)> {
        let mut closed = 0;
        while self.slots.len() >= cap.max(1) {
            // A scan of every slot, but only at the cap; keeping an index ordered by a time that
            // changes on every request would cost every request instead.
            let id = victim(self.slots.iter().map(|(id, s)| (*id, s.get())))?;
            if let Some(slot) = self.slots.remove(&id) {
                slot.close.cancel();
                closed += 1;
            }
        }
        let id = self.next_id;
        self.next_id += 1;
        let slot = Arc::new(Slot::new(now));
        self.slots.insert(id, slot.clone());
        Some((id, slot, closed))
    }
}

/// The connection to close to make room: the one idle the longest between requests, else the
/// one waiting the longest for its request head. Busy ones are never chosen, nor new ones.
fn victim(slots: impl Iterator<Item = (u64, (Phase, Instant))>) -> Option<u64> {
    slots
        .filter_map(|(id, (phase, since))| {
            let rank = match phase {
                Phase::Idle => 0,
                Phase::Head => 1,
                Phase::New | Phase::Busy => return None,
            };
            Some(((rank, since), id))
        })
        .min()
        .map(|(_, id)| id)
}

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
            Some((id, slot, closed)) => {
                pressure.closed += closed as u64;
                tracker.spawn(serve_one(
                    stream,
                    remote,
                    router.clone(),
                    Connection {
                        id,
                        slot,
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
    slot: Arc<Slot>,
    registry: Arc<Mutex<Registry>>,
}

impl Drop for Connection {
    fn drop(&mut self) {
        self.registry.lock_or_recover().slots.remove(&self.id);
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
    let slot = conn.slot.clone();
    let io = TokioIo::new(Watched {
        inner: stream,
        slot: slot.clone(),
    });
    let service = Guarded {
        router,
        slot: slot.clone(),
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
    let mut made_room = pin!(slot.close.cancelled());
    let mut stopping = pin!(shutdown.cancelled());
    let (phase, since) = slot.get();
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
        let (phase, since) = slot.get();
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

fn plain(status: StatusCode, text: &'static str) -> Response<Body> {
    let mut r = Response::new(Body::from(text));
    *r.status_mut() = status;
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    if status == StatusCode::SERVICE_UNAVAILABLE {
        h.insert(header::RETRY_AFTER, HeaderValue::from(RETRY_AFTER_SECS));
    }
    r
}

/// A request svodka does not answer, with the status that says why: an HTTP/1.1 request
/// without exactly one `Host` (400, as RFC 9112 asks), a target too long (414), or a body on a
/// GET or HEAD (413). Other methods reach the router, which answers 405.
fn refusal(method: &Method, uri: &Uri, has_body: bool, one_host: bool) -> Option<Response<Body>> {
    if !one_host {
        return Some(plain(
            StatusCode::BAD_REQUEST,
            "an HTTP/1.1 request names its host once\n",
        ));
    }
    let target = uri.path_and_query().map_or(0, |pq| pq.as_str().len());
    if target > MAX_URL_BYTES {
        return Some(plain(StatusCode::URI_TOO_LONG, "the address is too long\n"));
    }
    if has_body && (method == Method::GET || method == Method::HEAD) {
        return Some(plain(
            StatusCode::PAYLOAD_TOO_LARGE,
            "requests to svodka carry no body\n",
        ));
    }
    None
}

/// Whether a request names its host as RFC 9112 asks: HTTP/1.1 exactly once; HTTP/1.0 at most
/// once (it may leave it out).
fn names_one_host(version: hyper::Version, h: &HeaderMap) -> bool {
    let hosts = h.get_all(header::HOST).iter().count();
    hosts == 1 || (hosts == 0 && version < hyper::Version::HTTP_11)
}

fn carries_body(h: &HeaderMap) -> bool {
    h.contains_key(header::TRANSFER_ENCODING)
        || h.get(header::CONTENT_LENGTH)
            .is_some_and(|v| v.as_bytes() != b"0")
}

/// The router behind the request limits; marks the connection busy while it answers.
struct Guarded {
    router: Router,
    slot: Arc<Slot>,
    remote: SocketAddr,
}

type Answer = Pin<Box<dyn Future<Output = Result<Response<Body>, Infallible>> + Send>>;

impl hyper::service::Service<Request<Incoming>> for Guarded {
    type Response = Response<Body>;
    type Error = Infallible;
    type Future = Answer;

    fn call(&self, req: Request<Incoming>) -> Answer {
        self.slot.set(Phase::Busy);
        let idle = IdleOnDrop(self.slot.clone());
        let has_body = carries_body(req.headers());
        // The body is never read: no route takes one.
        let (mut parts, _body) = req.into_parts();
        let one_host = names_one_host(parts.version, &parts.headers);
        let refused = refusal(&parts.method, &parts.uri, has_body, one_host);
        parts.extensions.insert(ConnectInfo(self.remote));
        let mut router = self.router.clone();
        Box::pin(async move {
            let mut resp = match refused {
                Some(r) => r,
                None => {
                    let req = Request::from_parts(parts, Body::empty());
                    match tower_service::Service::call(&mut router, req).await {
                        Ok(r) => r,
                        Err(never) => match never {},
                    }
                }
            };
            if has_body {
                // The unread body must not be taken for the next request.
                resp.headers_mut()
                    .insert(header::CONNECTION, HeaderValue::from_static("close"));
            }
            Ok(resp.map(|inner| Body::new(Tracked { inner, _idle: idle })))
        })
    }
}

/// Marks the connection idle when the answer's body is done (hyper drops it then).
struct IdleOnDrop(Arc<Slot>);

impl Drop for IdleOnDrop {
    fn drop(&mut self) {
        self.0.set(Phase::Idle);
    }
}

/// An answer's body, unchanged, carrying the mark above.
struct Tracked {
    inner: Body,
    _idle: IdleOnDrop,
}

impl http_body::Body for Tracked {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, axum::Error>>> {
        Pin::new(&mut self.get_mut().inner).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}

/// The socket, telling the connection's record when hyper reads from it.
struct Watched {
    inner: TcpStream,
    slot: Arc<Slot>,
}

impl AsyncRead for Watched {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let r = Pin::new(&mut this.inner).poll_read(cx, buf);
        this.slot.on_read(buf.filled().len() > before);
        r
    }
}

impl AsyncWrite for Watched {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cap_leaves_the_reserve_to_fetching_and_the_database() {
        // systemd's default soft limit, 32 fetches at once: readers get what is left.
        assert_eq!(connection_cap(10_000, 1024, reserved_fds(32)), 1024 - 160);
        // A generous limit: the configured cap wins.
        assert_eq!(connection_cap(10_000, 65_536, reserved_fds(32)), 10_000);
        // A limit too small to reserve anything still serves a few readers.
        assert_eq!(connection_cap(10_000, 100, reserved_fds(32)), 25);
        assert_eq!(connection_cap(10_000, 0, reserved_fds(32)), 1);
    }

    fn at(base: Instant, ms: u64) -> Instant {
        base + Duration::from_millis(ms)
    }

    #[test]
    fn the_longest_idle_goes_first_then_the_longest_waiting_for_a_head() {
        let t = Instant::now();
        let slots = [
            (1, (Phase::Head, at(t, 0))),
            (2, (Phase::Idle, at(t, 50))),
            (3, (Phase::Idle, at(t, 10))),
            (4, (Phase::Busy, at(t, 0))),
            (5, (Phase::New, at(t, 0))),
        ];
        assert_eq!(victim(slots.into_iter()), Some(3));
        assert_eq!(
            victim(slots.into_iter().filter(|(_, (p, _))| *p != Phase::Idle)),
            Some(1)
        );
        // Busy connections are answering and new ones have not spoken yet: neither is closed.
        assert_eq!(victim(slots.into_iter().filter(|(id, _)| *id >= 4)), None);
    }

    #[test]
    fn admitting_past_the_cap_closes_a_waiting_connection_or_refuses() {
        let t = Instant::now();
        let mut reg = Registry::default();
        let (_, idle, _) = reg.admit(2, t).unwrap();
        let (_, busy, _) = reg.admit(2, t).unwrap();
        idle.set(Phase::Idle);
        busy.set(Phase::Busy);
        let (_, third, closed) = reg.admit(2, t).unwrap();
        assert_eq!(closed, 1);
        assert!(idle.close.is_cancelled());
        assert!(!busy.close.is_cancelled());
        assert_eq!(reg.slots.len(), 2);
        // The newcomer has not been read from yet, the other is busy: nothing can go.
        assert!(reg.admit(2, t).is_none());
        third.on_read(false);
        assert_eq!(third.get().0, Phase::Head);
        assert!(reg.admit(2, t).is_some());
        assert!(third.close.is_cancelled());
    }

    #[test]
    fn a_next_request_restarts_the_header_clock_only_when_bytes_come() {
        let s = Slot::new(Instant::now());
        s.set(Phase::Idle);
        let (_, idle_since) = s.get();
        s.on_read(false);
        assert_eq!(s.get(), (Phase::Idle, idle_since));
        s.on_read(true);
        assert_eq!(s.get().0, Phase::Head);
    }

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

    #[test]
    fn requests_beyond_the_limits_get_their_status() {
        let long = format!(
            "/feeds/all.rss?q={}",
            "%D1%8F".repeat(MAX_URL_BYTES / 6 + 1)
        );
        let r = refusal(&Method::GET, &long.parse().unwrap(), false, true).unwrap();
        assert_eq!(r.status(), StatusCode::URI_TOO_LONG);
        let r = refusal(&Method::GET, &"/feeds/all.rss".parse().unwrap(), true, true).unwrap();
        assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
        let r = refusal(&Method::GET, &"/".parse().unwrap(), false, false).unwrap();
        assert_eq!(r.status(), StatusCode::BAD_REQUEST);
        assert!(
            refusal(
                &Method::HEAD,
                &"/feeds/all.rss".parse().unwrap(),
                false,
                true
            )
            .is_none()
        );
        // Other methods are the router's to answer (405 with `Allow`).
        assert!(
            refusal(
                &Method::POST,
                &"/feeds/all.rss".parse().unwrap(),
                true,
                true
            )
            .is_none()
        );
        // Host: once in HTTP/1.1; HTTP/1.0 may leave it out.
        let mut h = HeaderMap::new();
        assert!(!names_one_host(hyper::Version::HTTP_11, &h));
        assert!(names_one_host(hyper::Version::HTTP_10, &h));
        h.insert(header::HOST, HeaderValue::from_static("news.test"));
        assert!(names_one_host(hyper::Version::HTTP_11, &h));
        h.append(header::HOST, HeaderValue::from_static("other.test"));
        assert!(!names_one_host(hyper::Version::HTTP_11, &h));
        assert!(!names_one_host(hyper::Version::HTTP_10, &h));
        let mut h = HeaderMap::new();
        assert!(!carries_body(&h));
        h.insert(header::CONTENT_LENGTH, HeaderValue::from_static("0"));
        assert!(!carries_body(&h));
        h.insert(header::CONTENT_LENGTH, HeaderValue::from_static("12"));
        assert!(carries_body(&h));
        h.remove(header::CONTENT_LENGTH);
        h.insert(
            header::TRANSFER_ENCODING,
            HeaderValue::from_static("chunked"),
        );
        assert!(carries_body(&h));
    }
}
