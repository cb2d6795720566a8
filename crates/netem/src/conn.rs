//! Client connections: the accept loop, and a socket wrapper that closes (FIN) or resets (RST via
//! `SO_LINGER` 0) its connection when a fault decides so.

use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinSet;

use crate::proxy::Proxy;

/// What becomes of a client connection; set by a fault, carried out by [`FateIo`].
///
/// Closing and resetting mid-body wait for hyper's next flush: by then every byte hyper took from
/// the body has been written, so the client receives exactly the prefix the fault allows.
#[derive(Debug, Default)]
pub struct Fate(AtomicU8);

const CLOSE_AFTER_FLUSH: u8 = 1;
const RESET_AFTER_FLUSH: u8 = 2;
const RESET_NOW: u8 = 3;

impl Fate {
    /// Close (FIN) once what hyper buffered so far is written.
    pub fn close_after_flush(&self) {
        self.0.store(CLOSE_AFTER_FLUSH, Ordering::SeqCst);
    }

    /// Reset (RST) once what hyper buffered so far is written.
    pub fn reset_after_flush(&self) {
        self.0.store(RESET_AFTER_FLUSH, Ordering::SeqCst);
    }

    /// Reset (RST) at the next read, write or flush; nothing more is written.
    pub fn reset_now(&self) {
        self.0.store(RESET_NOW, Ordering::SeqCst);
    }

    fn get(&self) -> u8 {
        self.0.load(Ordering::SeqCst)
    }
}

/// A client socket that carries out its connection's [`Fate`]: once it is decided, every later
/// operation fails (hyper then drops the connection), a reset drops with `SO_LINGER` 0 (RST), a
/// close shuts the write side down first (FIN).
struct FateIo {
    inner: TcpStream,
    fate: Arc<Fate>,
}

impl FateIo {
    fn reset(&self) -> io::Error {
        let _ = socket2::SockRef::from(&self.inner).set_linger(Some(Duration::ZERO));
        io::Error::new(io::ErrorKind::ConnectionReset, "netem: injected reset")
    }

    fn now(&self) -> io::Result<()> {
        if self.fate.get() == RESET_NOW {
            return Err(self.reset());
        }
        Ok(())
    }

    /// After a successful flush: carry out a close or reset that waited for it.
    fn after_flush(&self) -> io::Result<()> {
        match self.fate.get() {
            CLOSE_AFTER_FLUSH => {
                let _ = socket2::SockRef::from(&self.inner).shutdown(std::net::Shutdown::Write);
                Err(io::Error::new(io::ErrorKind::ConnectionAborted, "netem: injected drop"))
            }
            RESET_AFTER_FLUSH | RESET_NOW => Err(self.reset()),
            _ => Ok(()),
        }
    }
}

impl Drop for FateIo {
    fn drop(&mut self) {
        if matches!(self.fate.get(), RESET_AFTER_FLUSH | RESET_NOW) {
            let _ = self.reset();
        }
    }
}

impl AsyncRead for FateIo {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        self.now()?;
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl AsyncWrite for FateIo {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        self.now()?;
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.now()?;
        std::task::ready!(Pin::new(&mut self.inner).poll_flush(cx))?;
        Poll::Ready(self.after_flush())
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.now()?;
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// Accepts connections until the task is dropped; each connection is served by hyper (HTTP/1.1,
/// keep-alive) in a task owned by this loop, so dropping the loop ends them all.
pub async fn accept_loop(listener: TcpListener, proxy: Arc<Proxy>) {
    let mut conns = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else { continue };
                let _ = stream.set_nodelay(true);
                let fate = Arc::new(Fate::default());
                let io = TokioIo::new(FateIo { inner: stream, fate: fate.clone() });
                let proxy = proxy.clone();
                conns.spawn(async move {
                    let service = service_fn(move |req| {
                        let proxy = proxy.clone();
                        let fate = fate.clone();
                        async move { Ok::<_, std::convert::Infallible>(proxy.handle(req, fate).await) }
                    });
                    let _ = http1::Builder::new().keep_alive(true).serve_connection(io, service).await;
                });
            }
            Some(_) = conns.join_next(), if !conns.is_empty() => {}
        }
    }
}
