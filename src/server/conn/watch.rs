//! The wrappers that record a connection's phase as hyper serves it: [`Watched`] around the
//! socket (a read starts a request head), [`Guarded`] around the router (busy from a whole head
//! to the answer's last byte, then idle), which also answers the requests past the limits.

use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::ConnectInfo;
use axum::http::{HeaderValue, Request, Response, header};
use hyper::body::Incoming;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

use super::limits::{carries_body, names_one_host, refusal};
use super::registry::{ConnState, Phase};

/// The router behind the request limits; marks the connection busy while it answers.
pub(super) struct Guarded {
    pub(super) router: Router,
    pub(super) state: Arc<ConnState>,
    pub(super) remote: SocketAddr,
}

type Answer = Pin<Box<dyn Future<Output = Result<Response<Body>, Infallible>> + Send>>;

impl hyper::service::Service<Request<Incoming>> for Guarded {
    type Response = Response<Body>;
    type Error = Infallible;
    type Future = Answer;

    fn call(&self, req: Request<Incoming>) -> Answer {
        self.state.set(Phase::Busy);
        let idle = IdleOnDrop(self.state.clone());
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
struct IdleOnDrop(Arc<ConnState>);

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
pub(super) struct Watched {
    pub(super) inner: TcpStream,
    pub(super) state: Arc<ConnState>,
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
        this.state.on_read(buf.filled().len() > before);
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
