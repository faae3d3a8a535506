//! HTTP: one conditional GET of one feed, within limits (time, size, redirects, concurrency).
//!
//! Only this module knows the HTTP client. Redirects are followed by hand so that a permanent
//! one (301/308) can be reported and stored, the hop count stays bounded, and each hop is
//! checked against where it leads (`redirects`).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use reqwest::StatusCode;
use reqwest::header::{self, HeaderMap, HeaderValue};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use url::Url;

use crate::config::Fetch as FetchConfig;
use crate::redirects::{self, Own, Refused, without_credentials};
use crate::sync::Recover;

const MAX_REDIRECTS: usize = 5;

/// The validators of the last successful fetch.
#[derive(Debug, Clone, Default)]
pub struct Validators {
    pub etag: Option<String>,
    pub last_modified: Option<String>,
}

#[derive(Debug)]
pub enum FetchOutcome {
    /// 304: the feed has not changed since the validators were stored.
    NotModified {
        permanent_redirect: Option<Url>,
    },
    Fetched(Box<Fetched>),
}

#[derive(Debug)]
pub struct Fetched {
    pub status: u16,
    pub final_url: Url,
    pub body: Vec<u8>,
    pub content_type: Option<String>,
    pub validators: Validators,
    /// The URL a 301/308 pointed to, when the chain started with one.
    pub permanent_redirect: Option<Url>,
    /// A permit of the `fetch.concurrency` semaphore, held while this body exists: a fetched
    /// feed keeps it through parsing and storing, so a slow writer applies back-pressure to
    /// fetching and the feeds in memory at once are bounded by the concurrency, not by the
    /// number of sources. Drop it when the feed is stored.
    pub permit: ConcurrencyPermit,
}

/// A permit of the global `fetch.concurrency` semaphore; released when dropped.
#[derive(Debug)]
pub struct ConcurrencyPermit(#[allow(dead_code)] OwnedSemaphorePermit);

#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error("timed out after {0:?}")]
    Timeout(Duration),
    #[error("body larger than {0} bytes")]
    TooLarge(u64),
    #[error("HTTP {status}")]
    Status {
        status: u16,
        /// Seconds the server asked us to wait (429/503 Retry-After).
        retry_after: Option<u64>,
    },
    #[error("410 Gone: the feed was removed")]
    Gone,
    #[error("more than {MAX_REDIRECTS} redirects")]
    TooManyRedirects,
    #[error("bad redirect: {0}")]
    BadRedirect(String),
    #[error("{0}")]
    Refused(#[from] Refused),
    /// A connection, TLS or protocol failure. `message` already names the causes (reqwest's
    /// own message is generic), so print it with `{}`, not with its chain.
    #[error("{message}")]
    Network {
        message: String,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
}

impl FetchError {
    fn network(message: String, source: impl std::error::Error + Send + Sync + 'static) -> Self {
        FetchError::Network {
            message,
            source: Box::new(source),
        }
    }

    pub fn status(&self) -> Option<u16> {
        match self {
            FetchError::Status { status, .. } => Some(*status),
            FetchError::Gone => Some(410),
            _ => None,
        }
    }
}

/// A client with the global and per-host limits of the config.
pub struct Fetcher {
    client: reqwest::Client,
    /// The same client whose resolver answers only with public addresses: it follows the
    /// redirects of a source that answered from a public address.
    public_only: reqwest::Client,
    allow_private_redirects: bool,
    own: Own,
    timeout: Duration,
    max_body: u64,
    global: Arc<Semaphore>,
    per_host_limit: usize,
    hosts: Mutex<HashMap<String, Arc<Semaphore>>>,
}

/// rustls needs a process-wide crypto provider before the first client is built.
pub fn install_crypto_provider() {
    // Err only means one is installed already, which is what we want.
    let _ = rustls::crypto::ring::default_provider().install_default();
}

impl Fetcher {
    pub fn new(cfg: &FetchConfig) -> anyhow::Result<Fetcher> {
        install_crypto_provider();
        let builder = || {
            reqwest::Client::builder()
                .user_agent(cfg.user_agent.clone())
                .redirect(reqwest::redirect::Policy::none())
                .connect_timeout(cfg.timeout.min(Duration::from_secs(10)))
                .pool_max_idle_per_host(cfg.per_host)
        };
        Ok(Fetcher {
            client: builder().build()?,
            public_only: builder().dns_resolver(Arc::new(PublicOnly)).build()?,
            allow_private_redirects: cfg.allow_private_redirects,
            own: cfg.own.clone(),
            timeout: cfg.timeout,
            max_body: cfg.max_body_bytes,
            global: Arc::new(Semaphore::new(cfg.concurrency)),
            per_host_limit: cfg.per_host,
            hosts: Mutex::new(HashMap::new()),
        })
    }

    fn host_semaphore(&self, host: &str) -> Arc<Semaphore> {
        let mut hosts = self.hosts.lock_or_recover();
        hosts
            .entry(host.to_string())
            .or_insert_with(|| Arc::new(Semaphore::new(self.per_host_limit)))
            .clone()
    }

    /// Forgets a host's semaphore when no fetch holds or awaits it, so the map holds only the
    /// hosts in use rather than every host ever fetched (sources come and go with reloads,
    /// redirects point to new hosts). Clones are only made under the map's lock, so a count of
    /// two (the map's and the caller's) means nobody else can be waiting on it.
    fn release_host(&self, host: &str, sem: Arc<Semaphore>) {
        let mut hosts = self.hosts.lock_or_recover();
        if Arc::strong_count(&sem) == 2 {
            hosts.remove(host);
        }
    }

    /// How many hosts have a semaphore now (those with fetches running or waiting).
    pub fn hosts_tracked(&self) -> usize {
        self.hosts.lock_or_recover().len()
    }

    /// Fetches `url`, conditionally when `validators` are given. Waiting for the host's and the
    /// concurrency permits does not count against the timeout; everything after (connect,
    /// redirects, body) does.
    pub async fn fetch(
        &self,
        url: &Url,
        validators: &Validators,
    ) -> Result<FetchOutcome, FetchError> {
        let host = host_key(url);
        let sem = self.host_semaphore(&host);
        let result = self.fetch_on(&sem, url, validators).await;
        self.release_host(&host, sem);
        result
    }

    async fn fetch_on(
        &self,
        host: &Semaphore,
        url: &Url,
        validators: &Validators,
    ) -> Result<FetchOutcome, FetchError> {
        let _host_permit = host
            .acquire()
            .await
            .map_err(|e| FetchError::network(e.to_string(), e))?;
        let permit = self
            .global
            .clone()
            .acquire_owned()
            .await
            .map_err(|e| FetchError::network(e.to_string(), e))?;
        match tokio::time::timeout(self.timeout, self.fetch_inner(url, validators, permit)).await {
            Ok(r) => r,
            Err(_) => Err(FetchError::Timeout(self.timeout)),
        }
    }

    async fn fetch_inner(
        &self,
        url: &Url,
        validators: &Validators,
        permit: OwnedSemaphorePermit,
    ) -> Result<FetchOutcome, FetchError> {
        let mut current = url.clone();
        let mut permanent: Option<Url> = None;
        let mut only_permanent = true;
        // Whether the source's own URL answered from a public address; known after the first
        // answer. Its redirects may not lead inside then.
        let mut origin_public = None;
        for _ in 0..=MAX_REDIRECTS {
            let client = match origin_public {
                Some(true) if !self.allow_private_redirects => &self.public_only,
                _ => &self.client,
            };
            let mut req = client.get(current.clone()).header(
                header::ACCEPT,
                "application/rss+xml, application/atom+xml, application/feed+json, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5",
            );
            if let Some(e) = &validators.etag {
                req = req.header(header::IF_NONE_MATCH, e);
            }
            if let Some(m) = &validators.last_modified {
                req = req.header(header::IF_MODIFIED_SINCE, m);
            }
            let resp = req.send().await.map_err(network_error)?;
            // No address known (never with a direct connection): judged as public, the
            // stricter case.
            origin_public.get_or_insert_with(|| {
                resp.remote_addr()
                    .is_none_or(|a| redirects::is_public(a.ip()))
            });
            let status = resp.status();
            if status.is_redirection() && status != StatusCode::NOT_MODIFIED {
                let loc = resp
                    .headers()
                    .get(header::LOCATION)
                    .and_then(|v| v.to_str().ok())
                    .ok_or_else(|| FetchError::BadRedirect(format!("{status} without Location")))?;
                let next = current
                    .join(loc)
                    .map_err(|e| FetchError::BadRedirect(format!("{loc:?}: {e}")))?;
                if !matches!(next.scheme(), "http" | "https") {
                    return Err(FetchError::BadRedirect(format!(
                        "to {}",
                        without_credentials(&next)
                    )));
                }
                if !self.allow_private_redirects {
                    let addrs = addresses(&next).await;
                    redirects::check(&next, &addrs, origin_public == Some(true), &self.own)?;
                }
                let is_permanent = matches!(
                    status,
                    StatusCode::MOVED_PERMANENTLY | StatusCode::PERMANENT_REDIRECT
                );
                // An https feed that redirects to plain http is followed this time, but never
                // recorded as its new home: that would downgrade every later fetch.
                let is_permanent =
                    is_permanent && !(current.scheme() == "https" && next.scheme() == "http");
                only_permanent &= is_permanent;
                // The feed has moved for good only if every hop so far said so. A new home
                // with a password in it is followed each time but never stored.
                if only_permanent && !redirects::has_credentials(&next) {
                    permanent = Some(next.clone());
                }
                current = next;
                continue;
            }
            if status == StatusCode::NOT_MODIFIED {
                return Ok(FetchOutcome::NotModified {
                    permanent_redirect: permanent,
                });
            }
            if status == StatusCode::GONE {
                return Err(FetchError::Gone);
            }
            if !status.is_success() {
                return Err(FetchError::Status {
                    status: status.as_u16(),
                    retry_after: retry_after(resp.headers()),
                });
            }
            let headers = resp.headers().clone();
            let body = self.read_body(resp).await?;
            return Ok(FetchOutcome::Fetched(Box::new(Fetched {
                status: status.as_u16(),
                // Items' relative links resolve against it: a password must not reach them.
                final_url: without_credentials(&current),
                body,
                content_type: header_str(&headers, header::CONTENT_TYPE),
                validators: Validators {
                    etag: header_str(&headers, header::ETAG),
                    last_modified: header_str(&headers, header::LAST_MODIFIED),
                },
                permanent_redirect: permanent,
                permit: ConcurrencyPermit(permit),
            })));
        }
        Err(FetchError::TooManyRedirects)
    }

    /// Reads the body chunk by chunk and stops at the cap. With gzip/brotli decoding on, the
    /// chunks are decompressed bytes, so the same count stops a compression bomb.
    async fn read_body(&self, mut resp: reqwest::Response) -> Result<Vec<u8>, FetchError> {
        if resp.content_length().is_some_and(|n| n > self.max_body) {
            return Err(FetchError::TooLarge(self.max_body));
        }
        let mut body = Vec::new();
        while let Some(chunk) = resp.chunk().await.map_err(network_error)? {
            if (body.len() + chunk.len()) as u64 > self.max_body {
                return Err(FetchError::TooLarge(self.max_body));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    }
}

fn header_str(h: &HeaderMap, name: header::HeaderName) -> Option<String> {
    h.get(name)
        .and_then(|v: &HeaderValue| v.to_str().ok())
        .map(str::to_string)
}

fn retry_after(h: &HeaderMap) -> Option<u64> {
    let v = h.get(header::RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(secs);
    }
    let when = httpdate::parse_http_date(v).ok()?;
    Some(
        when.duration_since(std::time::SystemTime::now())
            .map_or(0, |d| d.as_secs()),
    )
}

/// The addresses a redirect's host resolves to (itself, when written as an address); none
/// when it does not resolve, and then the request fails on its own.
async fn addresses(url: &Url) -> Vec<std::net::IpAddr> {
    if let Some(ip) = redirects::literal(url) {
        return vec![ip];
    }
    let (Some(host), Some(port)) = (url.host_str(), url.port_or_known_default()) else {
        return Vec::new();
    };
    tokio::net::lookup_host((host, port))
        .await
        .map(|addrs| addrs.map(|a| a.ip()).collect())
        .unwrap_or_default()
}

fn network_error(mut e: reqwest::Error) -> FetchError {
    use std::error::Error;
    // reqwest names the URL in its message: without the password it may carry.
    if let Some(u) = e.url_mut() {
        *u = without_credentials(u);
    }
    // reqwest's top-level message is generic ("error sending request"); the cause says why.
    let mut msg = e.to_string();
    let mut src = e.source();
    while let Some(s) = src {
        msg = format!("{msg}: {s}");
        src = s.source();
    }
    FetchError::network(msg, e)
}

/// svodka's own outbound notifications (WebSub pings): a form POST, no redirects followed,
/// one overall timeout. Kept here so this module stays the only one that knows the client.
pub struct Poster {
    client: reqwest::Client,
    timeout: Duration,
}

impl Poster {
    pub fn new(user_agent: &str, timeout: Duration) -> anyhow::Result<Poster> {
        install_crypto_provider();
        let client = reqwest::Client::builder()
            .user_agent(user_agent.to_string())
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(timeout.min(Duration::from_secs(10)))
            .build()?;
        Ok(Poster { client, timeout })
    }

    /// POSTs a JSON body with extra headers (an alert's webhook, Telegram's Bot API); a 2xx
    /// answer is success.
    pub async fn post_json(
        &self,
        url: &Url,
        body: Vec<u8>,
        headers: &[(&'static str, String)],
    ) -> Result<u16, FetchError> {
        let mut req = self
            .client
            .post(url.clone())
            .header(header::CONTENT_TYPE, "application/json");
        for (k, v) in headers {
            req = req.header(*k, v);
        }
        self.answer(req.body(body).send()).await
    }

    async fn answer(
        &self,
        send: impl std::future::Future<Output = reqwest::Result<reqwest::Response>>,
    ) -> Result<u16, FetchError> {
        let resp = match tokio::time::timeout(self.timeout, send).await {
            Ok(Ok(r)) => r,
            Ok(Err(e)) if e.is_timeout() => return Err(FetchError::Timeout(self.timeout)),
            // The kept error goes without its URL, which may carry a token (Telegram's).
            Ok(Err(e)) => return Err(FetchError::network(e.to_string(), e.without_url())),
            Err(_) => return Err(FetchError::Timeout(self.timeout)),
        };
        let status = resp.status().as_u16();
        if resp.status().is_success() {
            Ok(status)
        } else {
            Err(FetchError::Status {
                status,
                retry_after: None,
            })
        }
    }

    /// POSTs `fields` as `application/x-www-form-urlencoded`; a 2xx answer is success.
    pub async fn post_form(&self, url: &Url, fields: &[(&str, &str)]) -> Result<u16, FetchError> {
        let body = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(fields)
            .finish();
        let send = self
            .client
            .post(url.clone())
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(body)
            .send();
        self.answer(send).await
    }
}

/// The host a URL counts against in `fetch.per_host` (the scheduler's per-host share of tasks
/// uses the same key): its name in lower case, the port aside.
pub fn host_key(url: &Url) -> String {
    url.host_str().unwrap_or("").to_ascii_lowercase()
}

/// The resolver of the client that follows redirects from a public origin: it answers only
/// with public addresses, so what was checked before a hop is what is connected to.
pub struct PublicOnly;

impl reqwest::dns::Resolve for PublicOnly {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let host = name.as_str().to_string();
        Box::pin(async move {
            let addrs: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            if let Some(private) = addrs.iter().find(|a| !redirects::is_public(a.ip())) {
                return Err(format!(
                    "{host} resolves to a private address ({}); a redirect from a public address may not lead there",
                    private.ip()
                )
                .into());
            }
            Ok(Box::new(addrs.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_network_error_keeps_its_cause() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
        let addr = listener.local_addr().expect("its address");
        drop(listener);
        let cfg = crate::config::Config::parse("", std::path::Path::new("(defaults)"))
            .expect("the defaults");
        let fetcher = Fetcher::new(&cfg.fetch).expect("a client");
        let url = Url::parse(&format!("http://{addr}/feed.xml")).expect("a URL");
        let err = fetcher
            .fetch(&url, &Validators::default())
            .await
            .expect_err("nothing listens there");
        assert!(matches!(err, FetchError::Network { .. }), "{err:?}");
        let source = std::error::Error::source(&err).expect("the cause is kept");
        let reqwest = source.downcast_ref::<reqwest::Error>();
        assert!(
            reqwest.is_some_and(reqwest::Error::is_connect),
            "{source:?}"
        );
        // The message people read names the cause itself.
        assert!(err.to_string().starts_with(&source.to_string()), "{err}");
    }
}
