//! The transport for `http://` endpoints (the emulator, a local gateway): HTTP/1.1 written
//! and read by the caller's own task on a tokio socket (client/http1.rs), with kept-alive
//! connections reused. `https://` endpoints go through reqwest (TLS by rustls), as before.
//!
//! Why (issue 17, BENCHMARKS.md "Call latency"): reqwest runs each connection in a task of
//! its own, so every call hands the request to that task and the answer back, a thread
//! wake-up each way when the caller is not on the same worker; hyper's client connection,
//! driven in the caller's task, still parses the request line as a URI, keeps headers in a
//! map and passes the request and answer through its dispatcher's channels. Here a call is
//! one buffer written with one system call, and the answer read until its length is in.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use tokio::net::TcpStream;

use super::http1::{self, Framing};
use crate::error::Error;
use crate::sync::lock;

/// Idle connections kept for reuse; more are closed once their call ends.
const MAX_IDLE: usize = 32;

/// How long a connection must have been idle before it is checked for a close by the
/// server ([`Conn::closed_by_peer`]).
const PEEK_AFTER: Duration = Duration::from_millis(1);

/// The read buffer a connection starts with, and keeps between calls (a larger one, grown
/// for a large answer, is let go once the answer is read).
const BUFFER: usize = 8 * 1024;

/// The largest answer head (status line and headers) read.
const MAX_HEAD: usize = 1024 * 1024;

/// One HTTP/1.1 connection, idle between calls.
struct Conn {
    stream: TcpStream,
    /// Read buffer: `buf[..filled]` holds bytes read and not yet used.
    buf: Vec<u8>,
    filled: usize,
    /// A second handle on the socket, to see whether the server closed it while it was
    /// idle (`None` if the handle could not be made).
    peer: Option<std::net::TcpStream>,
    /// When its last answer was read.
    idle_since: Instant,
}

/// How a request failed: before any byte of it was written (it may go again on another
/// connection), or after.
enum Failure {
    NotSent(String),
    Sent(String),
}

impl Conn {
    /// Whether the server closed this idle connection (or sent something unasked): a peek
    /// that does not wait. The runtime notices a close only once it has read the socket's
    /// readiness, which a runtime that sat idle since the last call has not, and a request
    /// written then is lost with the connection, not known unsent.
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

    /// Writes `request`, reads the whole answer: its status and body, and whether the
    /// connection may be used again.
    async fn send(&mut self, request: &[u8]) -> Result<(u16, Vec<u8>, bool), Failure> {
        self.write(request).await?;
        self.filled = 0;
        let head = loop {
            match http1::parse_head(&self.buf[..self.filled]).map_err(Failure::Sent)? {
                // An interim answer (100 Continue and the like): the real one follows.
                Some(head) if (100..200).contains(&head.status) && head.status != 101 => {
                    self.consume(head.length);
                }
                Some(head) if head.status == 101 => {
                    return Err(Failure::Sent("the server switched protocols".to_string()))
                }
                Some(head) => break head,
                None if self.filled >= MAX_HEAD => {
                    return Err(Failure::Sent(format!(
                        "the answer's head is larger than {MAX_HEAD} bytes"
                    )))
                }
                None => {
                    self.read_some().await.map_err(Failure::Sent)?;
                }
            }
        };
        self.consume(head.length);
        let mut keep_alive = head.keep_alive;
        let body = match head.framing {
            Framing::Empty => Vec::new(),
            Framing::Length(length) => {
                let length = usize::try_from(length).map_err(|_| {
                    Failure::Sent("the answer's Content-Length is too large".to_string())
                })?;
                while self.filled < length {
                    self.read_some().await.map_err(Failure::Sent)?;
                }
                let body = self.buf[..length].to_vec();
                self.consume(length);
                body
            }
            Framing::Chunked => {
                let mut body = Vec::new();
                loop {
                    let (taken, last) = http1::chunks(&self.buf[..self.filled], &mut body)
                        .map_err(Failure::Sent)?;
                    self.consume(taken);
                    if last {
                        break body;
                    }
                    self.read_some().await.map_err(Failure::Sent)?;
                }
            }
            Framing::UntilClose => loop {
                match self.read().await {
                    Ok(0) => {
                        let body = self.buf[..self.filled].to_vec();
                        self.filled = 0;
                        break body;
                    }
                    Ok(_) => {}
                    Err(e) => return Err(Failure::Sent(format!("reading the answer: {e}"))),
                }
            },
        };
        // Bytes past the answer were never asked for: the connection is not reused.
        keep_alive &= self.filled == 0;
        if self.buf.len() > BUFFER {
            self.buf = vec![0; BUFFER];
        }
        Ok((head.status, body, keep_alive))
    }

    /// Writes all of `request`; a failure before its first byte is `NotSent`.
    async fn write(&mut self, request: &[u8]) -> Result<(), Failure> {
        let mut written = 0;
        let fail = |written: usize, message: String| {
            if written == 0 {
                Failure::NotSent(message)
            } else {
                Failure::Sent(message)
            }
        };
        while written < request.len() {
            match self.stream.try_write(&request[written..]) {
                Ok(0) => {
                    return Err(fail(
                        written,
                        "the connection closed while the request was written".to_string(),
                    ))
                }
                Ok(n) => written += n,
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                    if let Err(e) = self.stream.writable().await {
                        return Err(fail(written, format!("writing the request: {e}")));
                    }
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(fail(written, format!("writing the request: {e}"))),
            }
        }
        Ok(())
    }

    /// Reads more of the answer; the end of the connection is an error here.
    async fn read_some(&mut self) -> Result<(), String> {
        match self.read().await {
            Ok(0) => Err("the connection closed before the answer was complete".to_string()),
            Ok(_) => Ok(()),
            Err(e) => Err(format!("reading the answer: {e}")),
        }
    }

    /// Reads what the socket has (waiting for something) after `buf[..filled]`, growing
    /// the buffer when it is full; 0 at the end of the connection.
    async fn read(&mut self) -> std::io::Result<usize> {
        if self.filled == self.buf.len() {
            let grown = (self.buf.len() * 2).max(BUFFER);
            self.buf.resize(grown, 0);
        }
        loop {
            match self.stream.try_read(&mut self.buf[self.filled..]) {
                Ok(n) => {
                    self.filled += n;
                    return Ok(n);
                }
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                    self.stream.readable().await?;
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }

    /// Drops the first `n` bytes read, keeping what follows them.
    fn consume(&mut self, n: usize) {
        self.buf.copy_within(n..self.filled, 0);
        self.filled -= n;
    }
}

/// Connections to one `http://` endpoint.
pub(crate) struct Plain {
    /// `host:port`, as connected to.
    authority: String,
    /// The `Host` header: the endpoint's host as given.
    host: String,
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
        if authority.is_empty() || !http1::is_header_value(authority) {
            return Err(format!("the host {authority:?} cannot be a Host header"));
        }
        let host = authority.to_string();
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
    ) -> Result<(u16, Vec<u8>), Error> {
        let request = self.request(query, headers, body)?;
        match tokio::time::timeout(timeout, self.exchange(&request)).await {
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
    ) -> Result<Vec<u8>, Error> {
        let mut request =
            Vec::with_capacity(256 + self.path.len() + query.map_or(0, str::len) + body.len());
        http1::write_request(
            &mut request,
            &self.path,
            query,
            &self.host,
            headers,
            body.as_bytes(),
        )
        .map_err(|what| Error::Refused(format!("the request cannot be made: {what}")))?;
        Ok(request)
    }

    /// Sends on an idle connection, or a new one; a request an idle connection could not
    /// take (it had closed meanwhile) goes once more on a new connection.
    async fn exchange(&self, request: &[u8]) -> Result<(u16, Vec<u8>), Error> {
        loop {
            let idle = lock(&self.idle).pop();
            let (mut conn, reused) = match idle {
                // Closed while idle: dropped, nothing written on it.
                Some(conn) if conn.closed_by_peer() => continue,
                Some(conn) => (conn, true),
                None => (self.connect().await?, false),
            };
            match conn.send(request).await {
                Ok((status, body, keep_alive)) => {
                    if keep_alive {
                        conn.idle_since = Instant::now();
                        let mut idle = lock(&self.idle);
                        if idle.len() < MAX_IDLE {
                            idle.push(conn);
                        }
                    }
                    return Ok((status, body));
                }
                // The idle connection was gone; nothing was written on it.
                Err(Failure::NotSent(_)) if reused => {}
                Err(Failure::NotSent(message)) => {
                    return Err(Error::Transport {
                        message,
                        may_have_been_sent: false,
                    })
                }
                Err(Failure::Sent(message)) => {
                    return Err(Error::Transport {
                        message,
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
        Ok(Conn {
            stream,
            buf: vec![0; BUFFER],
            filled: 0,
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
    fn post(plain: &Plain) -> Result<(u16, Vec<u8>), Error> {
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

    /// A server on 127.0.0.1 that answers each request with the next of `script` (bytes
    /// written in two pieces, to be read in parts), closing the connection after those
    /// marked so; counts connections accepted.
    fn scripted(script: Vec<(&'static [u8], bool)>) -> (String, Arc<AtomicUsize>) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        let accepted = Arc::new(AtomicUsize::new(0));
        let counted = accepted.clone();
        std::thread::spawn(move || {
            let mut script = script.into_iter();
            for stream in listener.incoming() {
                let Ok(stream) = stream else { return };
                counted.fetch_add(1, Ordering::SeqCst);
                stream
                    .set_read_timeout(Some(Duration::from_secs(5)))
                    .unwrap();
                let mut writer = stream.try_clone().unwrap();
                let mut reader = BufReader::new(stream);
                loop {
                    let mut head = String::new();
                    while !head.ends_with("\r\n\r\n") {
                        if reader.read_line(&mut head).unwrap_or(0) == 0 {
                            break;
                        }
                    }
                    // Every request of `post` carries `a=1`.
                    let mut body = [0; 3];
                    if reader.read_exact(&mut body).is_err() {
                        break;
                    }
                    let Some((answer, close)) = script.next() else {
                        return;
                    };
                    let (first, second) = answer.split_at(answer.len() / 2);
                    writer.write_all(first).unwrap();
                    std::thread::sleep(Duration::from_millis(5));
                    writer.write_all(second).unwrap();
                    if close {
                        break;
                    }
                }
            }
        });
        (addr, accepted)
    }

    #[test]
    fn answers_framed_every_way_are_read_whole() {
        let (addr, accepted) = scripted(vec![
            (
                b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n1\r\n \r\n0\r\n\r\n",
                false,
            ),
            (
                b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\n[]",
                true,
            ),
            (b"HTTP/1.1 503 Busy\r\n\r\n{\"a\":1}", true),
            (b"HTTP/1.1 204 No Content\r\n\r\n", false),
            (b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n{}", true),
        ]);
        let plain = Plain::new(&addr, "/", Duration::from_secs(5)).unwrap();
        assert_eq!(post(&plain).unwrap(), (200, b"{} ".to_vec()));
        // Kept alive: the next request goes on the same connection.
        assert_eq!(post(&plain).unwrap(), (200, b"[]".to_vec()));
        assert_eq!(accepted.load(Ordering::SeqCst), 1);
        // `Connection: close` was heeded: a new connection, whose answer runs to its end.
        assert_eq!(post(&plain).unwrap(), (503, b"{\"a\":1}".to_vec()));
        assert_eq!(post(&plain).unwrap(), (204, Vec::new()));
        assert_eq!(accepted.load(Ordering::SeqCst), 3);
        // Fewer bytes than promised, then the end: sent, and the answer is lost.
        match post(&plain) {
            Err(Error::Transport {
                may_have_been_sent: true,
                message,
            }) => assert!(
                message.contains("before the answer was complete"),
                "{message}"
            ),
            other => panic!("{other:?}"),
        }
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
