//! The transport for `http://` endpoints (the emulator, a local gateway): HTTP/1.1 on
//! hyper's client connection, driven in the caller's own task, with kept-alive connections
//! reused. `https://` endpoints go through reqwest (TLS by rustls), as before.
//!
//! Why (issue 17, BENCHMARKS.md "Call latency"): reqwest runs each connection in a task of
//! its own, so every call hands the request to that task and the answer back, a thread
//! wake-up each way when the caller is not on the same worker; it also parses the URL
//! (IDNA included) on every call and goes through its tower layers. Here the caller's task
//! polls the connection itself while its request is out, and the request line is the
//! signed query as built.

use std::future::Future;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::client::conn::http1::{self, Connection, SendRequest};
use hyper::header::{HeaderName, HeaderValue, ACCEPT, HOST, USER_AGENT};
use hyper::{Request, Uri};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

use super::describe;
use crate::error::Error;
use crate::sync::lock;

/// Idle connections kept for reuse; more are closed once their call ends.
const MAX_IDLE: usize = 32;

/// How long a connection must have been idle before it is checked for a close by the
/// server ([`Conn::closed_by_peer`]).
const PEEK_AFTER: Duration = Duration::from_millis(1);

const AGENT: &str = concat!("tsl-rs/", env!("CARGO_PKG_VERSION"));

type Body = Full<Bytes>;

/// One HTTP/1.1 connection: the sending half and the connection future, which must be
/// polled for anything to move. `None` once the connection has ended.
struct Conn {
    sender: SendRequest<Body>,
    connection: Option<Connection<TokioIo<TcpStream>, Body>>,
    /// A second handle on the socket, to see whether the server closed it while it was
    /// idle (`None` if the handle could not be made).
    peer: Option<std::net::TcpStream>,
    /// When its last answer was read.
    idle_since: Instant,
}

impl Conn {
    /// Whether the server closed this idle connection (or sent something unasked): a peek
    /// that does not wait. hyper notices a close only once the runtime has read the
    /// socket's readiness, which a runtime that sat idle since the last call has not, and
    /// a request written then is lost with the connection, not known unsent.
    ///
    /// A connection taken again within [`PEEK_AFTER`] of its last answer is not looked at:
    /// the peek is a system call, a visible part of a call's cost to a local server
    /// (BENCHMARKS.md "Call latency"), and a close sent that soon races the request anyway.
    fn closed_by_peer(&self) -> bool {
        let Some(peer) = &self.peer else {
            return false;
        };
        if self.idle_since.elapsed() < PEEK_AFTER {
            return false;
        }
        match peer.peek(&mut [0u8; 1]) {
            Err(e) => e.kind() != std::io::ErrorKind::WouldBlock,
            // 0: the server's FIN; more: bytes no request asked for. Either way unusable.
            Ok(_) => true,
        }
    }
}

/// Connections to one `http://` endpoint.
pub(crate) struct Plain {
    /// `host:port`, as connected to and sent in `Host`.
    authority: String,
    host: HeaderValue,
    /// The endpoint's path (`/`), which every request line starts with.
    path: String,
    connect_timeout: Duration,
    idle: Mutex<Vec<Conn>>,
}

impl Plain {
    /// `authority` is `host[:port]` (port 80 when absent).
    pub(crate) fn new(
        authority: &str,
        path: &str,
        connect_timeout: Duration,
    ) -> Result<Plain, String> {
        let host = HeaderValue::from_str(authority)
            .map_err(|_| format!("the host {authority:?} cannot be a Host header"))?;
        let authority = if authority
            .rsplit_once(':')
            .is_some_and(|(_, port)| !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()))
        {
            authority.to_string()
        } else {
            format!("{authority}:80")
        };
        Ok(Plain {
            authority,
            host,
            path: path.to_string(),
            connect_timeout,
            idle: Mutex::new(Vec::new()),
        })
    }

    /// POSTs `body` with `query` (already encoded) and `headers`; the status and body of
    /// the answer. The whole exchange is bounded by `timeout`.
    pub(crate) async fn post(
        &self,
        query: Option<&str>,
        headers: &[(String, String)],
        body: String,
        timeout: Duration,
    ) -> Result<(u16, Bytes), Error> {
        let request = self.request(query, headers, body)?;
        match tokio::time::timeout(timeout, self.exchange(request)).await {
            Ok(result) => result,
            // The request's connection is dropped with the future: it is closed, never reused.
            Err(_) => Err(Error::Timeout(timeout)),
        }
    }

    fn request(
        &self,
        query: Option<&str>,
        headers: &[(String, String)],
        body: String,
    ) -> Result<Request<Body>, Error> {
        let refused = |what: &str| Error::Refused(format!("the request cannot be made: {what}"));
        let mut target = String::with_capacity(self.path.len() + 1 + query.map_or(0, str::len));
        target.push_str(&self.path);
        if let Some(query) = query {
            target.push('?');
            target.push_str(query);
        }
        let uri = Uri::try_from(target).map_err(|_| refused("the query is not a valid URI"))?;
        let mut request = Request::post(uri)
            .body(Full::new(Bytes::from(body)))
            .map_err(|_| refused("the request line is invalid"))?;
        let map = request.headers_mut();
        map.insert(HOST, self.host.clone());
        map.insert(ACCEPT, HeaderValue::from_static("application/json"));
        map.insert(USER_AGENT, HeaderValue::from_static(AGENT));
        for (name, value) in headers {
            let name = HeaderName::from_bytes(name.as_bytes())
                .map_err(|_| refused(&format!("`{name}` is not a header name")))?;
            let value = HeaderValue::from_str(value)
                .map_err(|_| refused(&format!("the value of `{name}` is not a header value")))?;
            map.insert(name, value);
        }
        Ok(request)
    }

    /// Sends on an idle connection, or a new one; a request an idle connection could not
    /// take (it had closed meanwhile) goes once more on a new connection.
    async fn exchange(&self, request: Request<Body>) -> Result<(u16, Bytes), Error> {
        let mut request = request;
        loop {
            let idle = lock(&self.idle).pop();
            let (mut conn, reused) = match idle {
                // Closed while idle: dropped, nothing written on it.
                Some(conn) if conn.closed_by_peer() => continue,
                Some(conn) => (conn, true),
                None => (self.connect().await?, false),
            };
            match send(&mut conn, request).await {
                Ok(answer) => {
                    if conn.connection.is_some() && !conn.sender.is_closed() {
                        conn.idle_since = Instant::now();
                        let mut idle = lock(&self.idle);
                        if idle.len() < MAX_IDLE {
                            idle.push(conn);
                        }
                    }
                    return Ok(answer);
                }
                Err(Failure::NotSent(again, _)) if reused => {
                    // The idle connection was gone; nothing was written on it.
                    request = *again;
                }
                Err(Failure::NotSent(_, error)) => {
                    return Err(Error::Transport {
                        message: describe(&error),
                        may_have_been_sent: false,
                    })
                }
                Err(Failure::Sent(error)) => {
                    return Err(Error::Transport {
                        message: describe(&error),
                        may_have_been_sent: true,
                    })
                }
            }
        }
    }

    async fn connect(&self) -> Result<Conn, Error> {
        let not_sent = |message: String| Error::Transport {
            message,
            may_have_been_sent: false,
        };
        let stream = tokio::time::timeout(
            self.connect_timeout,
            TcpStream::connect(self.authority.as_str()),
        )
        .await
        .map_err(|_| {
            not_sent(format!(
                "connecting to {} timed out after {:?}",
                self.authority, self.connect_timeout
            ))
        })?
        .map_err(|e| not_sent(format!("cannot connect to {}: {e}", self.authority)))?;
        // One small request, one small answer: never wait to fill a segment.
        let _ = stream.set_nodelay(true);
        // A duplicate of the socket for `Conn::closed_by_peer`; it shares the socket's
        // non-blocking mode, so its peek never waits.
        let peer = socket_handle(&stream);
        let (sender, connection) = http1::handshake(TokioIo::new(stream))
            .await
            .map_err(|e| not_sent(describe(&e)))?;
        Ok(Conn {
            sender,
            connection: Some(connection),
            peer,
            idle_since: Instant::now(),
        })
    }
}

/// A second handle on `stream`'s socket (a duplicated descriptor).
#[cfg(unix)]
fn socket_handle(stream: &TcpStream) -> Option<std::net::TcpStream> {
    use std::os::fd::AsFd;
    let fd = stream.as_fd().try_clone_to_owned().ok()?;
    Some(std::net::TcpStream::from(fd))
}

/// A second handle on `stream`'s socket (a duplicated handle).
#[cfg(windows)]
fn socket_handle(stream: &TcpStream) -> Option<std::net::TcpStream> {
    use std::os::windows::io::AsSocket;
    let socket = stream.as_socket().try_clone_to_owned().ok()?;
    Some(std::net::TcpStream::from(socket))
}

/// No second handle elsewhere: a close while idle is then noticed as before.
#[cfg(not(any(unix, windows)))]
fn socket_handle(_: &TcpStream) -> Option<std::net::TcpStream> {
    None
}

/// How a request failed: before anything was written (the request comes back), or after.
enum Failure {
    NotSent(Box<Request<Body>>, hyper::Error),
    Sent(hyper::Error),
}

/// One request and its whole answer on `conn`, polling the connection meanwhile.
async fn send(conn: &mut Conn, request: Request<Body>) -> Result<(u16, Bytes), Failure> {
    let Conn {
        sender, connection, ..
    } = conn;
    if let Err(error) = drive(connection, sender.ready()).await {
        return Err(Failure::NotSent(Box::new(request), error));
    }
    let response = match drive(connection, sender.try_send_request(request)).await {
        Ok(response) => response,
        Err(mut error) => {
            return Err(match error.take_message() {
                Some(request) => Failure::NotSent(Box::new(request), error.into_error()),
                None => Failure::Sent(error.into_error()),
            })
        }
    };
    let status = response.status().as_u16();
    let body: Incoming = response.into_body();
    match drive(connection, body.collect()).await {
        Ok(collected) => Ok((status, collected.to_bytes())),
        Err(error) => Err(Failure::Sent(error)),
    }
}

/// Runs `work` while polling the connection, so hyper's dispatcher makes progress in this
/// task. Once the connection ends it is dropped, which fails what is still waiting on it.
async fn drive<F: Future>(
    connection: &mut Option<Connection<TokioIo<TcpStream>, Body>>,
    work: F,
) -> F::Output {
    let mut work = std::pin::pin!(work);
    loop {
        let Some(open) = connection.as_mut() else {
            return work.await;
        };
        tokio::select! {
            biased;
            output = &mut work => return output,
            _ = open => {}
        }
        *connection = None;
    }
}

#[cfg(test)]
mod tests {
    use std::io::{BufRead, BufReader, Read, Write};
    use std::net::TcpListener;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    use super::*;

    /// A server on 127.0.0.1 that answers `{}` to each request and counts connections
    /// accepted and closed; with `close`, it closes each connection after one answer.
    /// Serves until `connections` connections have been accepted.
    fn server(connections: usize, close: bool) -> (String, Arc<AtomicUsize>, Arc<AtomicUsize>) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        let accepted = Arc::new(AtomicUsize::new(0));
        let closed = Arc::new(AtomicUsize::new(0));
        let (counted, ended) = (accepted.clone(), closed.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming().take(connections) {
                let Ok(stream) = stream else { return };
                counted.fetch_add(1, Ordering::SeqCst);
                let ended = ended.clone();
                std::thread::spawn(move || {
                    answer_each(stream, close);
                    ended.fetch_add(1, Ordering::SeqCst);
                });
            }
        });
        (addr, accepted, closed)
    }

    fn answer_each(stream: std::net::TcpStream, close: bool) {
        stream
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        let mut writer = stream.try_clone().unwrap();
        let mut reader = BufReader::new(stream);
        loop {
            let mut length = 0;
            let mut line = String::new();
            loop {
                line.clear();
                if reader.read_line(&mut line).unwrap_or(0) == 0 {
                    return;
                }
                if line == "\r\n" {
                    break;
                }
                if let Some(value) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                    length = value.trim().parse().unwrap();
                }
            }
            let mut body = vec![0; length];
            reader.read_exact(&mut body).unwrap();
            let _ = writer.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n{}");
            if close {
                return;
            }
        }
    }

    /// One POST on `plain`, on one runtime for the whole test: a connection belongs to the
    /// runtime that opened it.
    fn post(plain: &Plain) -> Result<(u16, Bytes), Error> {
        thread_local! {
            static RUNTIME: tokio::runtime::Runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
        }
        RUNTIME.with(|runtime| {
            runtime.block_on(plain.post(
                Some("Action=X&A=%2F"),
                &[("x-acs-action".to_string(), "X".to_string())],
                "a=1".to_string(),
                Duration::from_secs(5),
            ))
        })
    }

    #[test]
    fn sequential_calls_reuse_one_connection() {
        let (addr, accepted, _) = server(10, false);
        let plain = Plain::new(&addr, "/", Duration::from_secs(5)).unwrap();
        for _ in 0..3 {
            let (status, body) = post(&plain).unwrap();
            assert_eq!((status, &body[..]), (200, &b"{}"[..]));
        }
        assert_eq!(accepted.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn a_connection_the_server_closed_is_replaced_without_an_error() {
        let (addr, accepted, closed) = server(10, true);
        let plain = Plain::new(&addr, "/", Duration::from_secs(5)).unwrap();
        post(&plain).unwrap();
        // Until the server has closed the first connection (a fixed 50 ms was sometimes
        // too short on a loaded machine: the second request then went out before the
        // close and was lost with it, which is a different case), then the FIN's way back.
        for _ in 0..500 {
            if closed.load(Ordering::SeqCst) == 1 {
                break;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        assert_eq!(closed.load(Ordering::SeqCst), 1, "the server closed");
        std::thread::sleep(Duration::from_millis(50));
        post(&plain).unwrap();
        assert_eq!(accepted.load(Ordering::SeqCst), 2);
    }

    #[test]
    fn no_server_is_an_error_before_sending() {
        let port = {
            let listener = TcpListener::bind("127.0.0.1:0").unwrap();
            listener.local_addr().unwrap().port()
        };
        let plain = Plain::new(&format!("127.0.0.1:{port}"), "/", Duration::from_secs(5)).unwrap();
        match post(&plain) {
            Err(Error::Transport {
                may_have_been_sent: false,
                message,
            }) => assert!(message.contains("cannot connect"), "{message}"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn bad_headers_are_refused_before_sending() {
        let plain = Plain::new("127.0.0.1:9", "/", Duration::from_secs(5)).unwrap();
        let error = plain
            .request(None, &[("bad name".into(), "v".into())], String::new())
            .unwrap_err();
        assert!(matches!(error, Error::Refused(_)), "{error:?}");
        assert_eq!(
            Plain::new("example.com", "/", Duration::from_secs(1))
                .unwrap()
                .authority,
            "example.com:80"
        );
    }
}
