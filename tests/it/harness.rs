//! The test harness: a local origin that serves feeds the tests build and records what it was
//! asked, a temp dir with a config and a fresh SQLite file, and the real `svodka` binary.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;

/// What the origin answers on one path.
#[derive(Clone, Default)]
pub struct Route {
    pub status: u16,
    pub body: Vec<u8>,
    pub headers: Vec<(String, String)>,
    /// Answer 304 when the request's If-None-Match equals this ETag (sent as `ETag` too).
    pub etag: Option<String>,
    /// Wait this long before answering (a hanging server).
    pub delay: Option<Duration>,
}

impl Route {
    pub fn ok(body: impl Into<Vec<u8>>, content_type: &str) -> Route {
        Route {
            status: 200,
            body: body.into(),
            headers: vec![("content-type".into(), content_type.into())],
            ..Route::default()
        }
    }

    pub fn status(status: u16) -> Route {
        Route {
            status,
            ..Route::default()
        }
    }

    pub fn header(mut self, name: &str, value: &str) -> Route {
        self.headers.push((name.into(), value.into()));
        self
    }

    pub fn etag(mut self, etag: &str) -> Route {
        self.etag = Some(etag.into());
        self
    }

    pub fn delay(mut self, d: Duration) -> Route {
        self.delay = Some(d);
        self
    }
}

/// One request the origin got.
#[derive(Clone, Debug)]
pub struct Seen {
    pub path: String,
    pub headers: HeaderMap,
}

#[derive(Clone, Default)]
struct OriginState {
    routes: Arc<Mutex<HashMap<String, Route>>>,
    seen: Arc<Mutex<Vec<Seen>>>,
    in_flight: Arc<AtomicUsize>,
    max_in_flight: Arc<AtomicUsize>,
}

/// A feed server on 127.0.0.1:0.
pub struct Origin {
    pub addr: SocketAddr,
    state: OriginState,
}

impl Origin {
    pub async fn start() -> Origin {
        let state = OriginState::default();
        let app = Router::new().fallback(answer).with_state(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });
        Origin { addr, state }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub fn route(&self, path: &str, route: Route) {
        self.state
            .routes
            .lock()
            .unwrap()
            .insert(path.to_string(), route);
    }

    pub fn seen(&self, path: &str) -> Vec<Seen> {
        self.state
            .seen
            .lock()
            .unwrap()
            .iter()
            .filter(|s| s.path == path)
            .cloned()
            .collect()
    }

    pub fn max_in_flight(&self) -> usize {
        self.state.max_in_flight.load(Ordering::SeqCst)
    }
}

async fn answer(State(st): State<OriginState>, req: Request) -> Response {
    let path = req.uri().path().to_string();
    st.seen.lock().unwrap().push(Seen {
        path: path.clone(),
        headers: req.headers().clone(),
    });
    let now = st.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
    st.max_in_flight.fetch_max(now, Ordering::SeqCst);
    let route = st.routes.lock().unwrap().get(&path).cloned();
    let resp = match route {
        None => Response::builder()
            .status(404)
            .body(Body::from("not here"))
            .unwrap(),
        Some(r) => {
            if let Some(d) = r.delay {
                tokio::time::sleep(d).await;
            } else {
                // Long enough that concurrent requests overlap and the per-host cap shows.
                tokio::time::sleep(Duration::from_millis(30)).await;
            }
            let inm = req
                .headers()
                .get("if-none-match")
                .and_then(|v| v.to_str().ok());
            let mut b = Response::builder();
            for (k, v) in &r.headers {
                b = b.header(k, v);
            }
            if let Some(e) = &r.etag {
                b = b.header("etag", e);
            }
            if r.etag.is_some() && inm == r.etag.as_deref() {
                b.status(304).body(Body::empty()).unwrap()
            } else {
                b.status(StatusCode::from_u16(r.status).unwrap())
                    .body(Body::from(r.body))
                    .unwrap()
            }
        }
    };
    st.in_flight.fetch_sub(1, Ordering::SeqCst);
    resp
}

/// A temp dir with `svodka.toml` and, after a fetch, `svodka.db`.
pub struct App {
    pub dir: tempfile::TempDir,
}

impl App {
    pub fn new(config: &str) -> App {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("svodka.toml"), config).unwrap();
        App { dir }
    }

    pub fn config_path(&self) -> PathBuf {
        self.dir.path().join("svodka.toml")
    }

    /// Runs the real binary with `--config` and returns (exit code, stdout, stderr).
    pub async fn svodka(&self, args: &[&str]) -> (i32, String, String) {
        run_svodka(Some(&self.config_path()), args).await
    }
}

pub async fn run_svodka(config: Option<&Path>, args: &[&str]) -> (i32, String, String) {
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_svodka"));
    cmd.args(args)
        .env_remove("SVODKA_CONFIG")
        .env_remove("RUST_LOG");
    if let Some(c) = config {
        cmd.arg("--config").arg(c);
    }
    let out = tokio::time::timeout(Duration::from_secs(60), cmd.output())
        .await
        .expect("svodka did not finish within 60 s")
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A config with the given `[[source]]`s (name, url) plus extra TOML, storage in the temp dir.
pub fn config(sources: &[(&str, String)], extra: &str) -> String {
    let mut c = String::from(
        "[server]\nlisten = \"127.0.0.1:0\"\nbase_url = \"http://news.test\"\n\n[storage]\npath = \"svodka.db\"\n\n[fetch]\ntimeout_secs = 2\n\n",
    );
    for (name, url) in sources {
        c.push_str(&format!(
            "[[source]]\nname = \"{name}\"\nurl = \"{url}\"\n\n"
        ));
    }
    c.push_str(extra);
    if !extra.contains("[[feed]]") {
        c.push_str("\n[[feed]]\nname = \"all\"\ntitle = \"Все новости\"\n");
    }
    c
}

/// The titles of an RSS document's items, in order.
pub fn titles(rss: &str) -> Vec<String> {
    let ch = rss::Channel::read_from(rss.as_bytes()).expect("svodka's output must be valid RSS");
    ch.items()
        .iter()
        .map(|i| i.title().unwrap_or("").to_string())
        .collect()
}

pub fn channel(rss: &str) -> rss::Channel {
    rss::Channel::read_from(rss.as_bytes()).expect("svodka's output must be valid RSS")
}

/// `svodka run` over the app's config, logging at info to a pipe, killed with the test.
pub fn run_command(app: &App) -> tokio::process::Command {
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_svodka"));
    cmd.arg("run")
        .arg("--config")
        .arg(app.config_path())
        .env_remove("SVODKA_CONFIG")
        .env("RUST_LOG", "info")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true);
    cmd
}

/// Starts `cmd` (the real binary, with its log piped) and reads what it writes all along, so
/// the child never blocks on a full pipe. Returns the child, the base URL of its «serving on»
/// line, and the log lines that follow.
pub async fn start_serving(
    mut cmd: tokio::process::Command,
) -> (
    tokio::process::Child,
    String,
    tokio::sync::mpsc::UnboundedReceiver<String>,
) {
    use tokio::io::{AsyncBufReadExt, BufReader};
    let mut child = cmd.spawn().unwrap();
    let (tx, mut log) = tokio::sync::mpsc::unbounded_channel();
    let streams: Vec<Box<dyn tokio::io::AsyncRead + Unpin + Send>> = [
        child
            .stdout
            .take()
            .map(|s| Box::new(s) as Box<dyn tokio::io::AsyncRead + Unpin + Send>),
        child
            .stderr
            .take()
            .map(|s| Box::new(s) as Box<dyn tokio::io::AsyncRead + Unpin + Send>),
    ]
    .into_iter()
    .flatten()
    .collect();
    for stream in streams {
        let tx = tx.clone();
        tokio::spawn(async move {
            let mut lines = BufReader::new(stream).lines();
            while let Ok(Some(l)) = lines.next_line().await {
                let _ = tx.send(l);
            }
        });
    }
    let base = tokio::time::timeout(Duration::from_secs(30), async {
        loop {
            let l = log.recv().await.expect("svodka exited before serving");
            // Logs to a pipe (the journal, a file) are plain text.
            assert!(
                !l.contains('\u{1b}'),
                "colour codes in a log that is not a terminal: {l:?}"
            );
            if let Some(rest) = l.split("serving on ").nth(1) {
                return rest.split_whitespace().next().unwrap().to_string();
            }
        }
    })
    .await
    .expect("svodka did not start serving");
    (child, base, log)
}

/// A port nothing listens on now (bound, then let go), for a daemon whose address a test must
/// know before it starts.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}
