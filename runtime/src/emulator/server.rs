//! The HTTP side: a hyper 1 server on its own thread and tokio runtime, so the emulator
//! runs the same under a test's runtime, another runtime, or none, and stops on drop.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, SystemTime};

use http_body_util::{BodyExt, Limited};
use hyper::body::{Bytes, Frame, SizeHint};
use hyper::header::{HeaderValue, CONTENT_TYPE};
use hyper::service::service_fn;
use hyper::{Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use tokio::task::JoinSet;

use super::answer::{self, Answer, Refusal};
use super::faults::Fault;
use super::gateway::{self, Incoming};
use super::record::{Outcome, RecordedRequest};
use super::state::{lock, Shared};

/// The largest body read: a 256 KB BatchPub message in base64 plus the other parameters,
/// with room to spare.
const MAX_BODY_BYTES: usize = 2 * 1024 * 1024;

/// The largest request head (URL and headers): the SDKs send every parameter in the query,
/// so a 256 KB BatchPub makes a URL of about 350 KB.
const MAX_HEAD_BYTES: usize = 2 * 1024 * 1024;

/// A running server: its thread and how to stop it.
pub(crate) struct Server {
    stop: Option<oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Server {
    /// Serves `listener` (already bound) until stopped.
    pub(crate) fn spawn(
        listener: std::net::TcpListener,
        shared: Arc<Shared>,
    ) -> std::io::Result<Server> {
        listener.set_nonblocking(true)?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("tsl-emulator")
            .enable_all()
            .build()?;
        let (stop, stopped) = oneshot::channel();
        let thread = std::thread::Builder::new()
            .name("tsl-emulator".to_string())
            .spawn(move || {
                runtime.block_on(serve(listener, shared, stopped));
                // Device answers still running in the background are cancelled.
                runtime.shutdown_timeout(Duration::from_secs(1));
            })?;
        Ok(Server {
            stop: Some(stop),
            thread: Some(thread),
        })
    }

    /// Stops accepting, drops every open connection and waits for the thread.
    pub(crate) fn stop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
    }
}

async fn serve(
    listener: std::net::TcpListener,
    shared: Arc<Shared>,
    mut stopped: oneshot::Receiver<()>,
) {
    let Ok(listener) = TcpListener::from_std(listener) else {
        return;
    };
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            _ = &mut stopped => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    connections.spawn(connection(stream, shared.clone()));
                }
                // Out of descriptors or similar: wait rather than spin.
                Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
    connections.abort_all();
}

/// Why a connection is dropped without an answer, or an answer breaks off (an injected
/// fault).
#[derive(Debug)]
pub(crate) struct Dropped;

impl std::fmt::Display for Dropped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection dropped by an injected fault")
    }
}

impl std::error::Error for Dropped {}

async fn connection(stream: TcpStream, shared: Arc<Shared>) {
    let _ = stream.set_nodelay(true);
    // A second descriptor of the socket, so an injected reset can set `SO_LINGER 0` before
    // hyper closes the stream.
    let control = Arc::new(Mutex::new(socket2::SockRef::from(&stream).try_clone().ok()));
    let history = shared.clone();
    let service = service_fn(move |request| {
        let shared = shared.clone();
        let control = control.clone();
        async move { handle(shared, control, request).await }
    });
    let mut serving = std::pin::pin!(hyper::server::conn::http1::Builder::new()
        .max_buf_size(MAX_HEAD_BYTES)
        .serve_connection(TokioIo::new(stream), service));
    // hyper writes an answer in the same poll that produced it; what the histories got
    // meanwhile is compacted after that poll, while the client reads its answer.
    let _ = std::future::poll_fn(|cx| {
        let polled = serving.as_mut().poll(cx);
        history.settle_history();
        polled
    })
    .await;
}

async fn handle(
    shared: Arc<Shared>,
    control: Arc<Mutex<Option<socket2::Socket>>>,
    request: hyper::Request<hyper::body::Incoming>,
) -> Result<Response<AnswerBody>, Dropped> {
    let received_at = SystemTime::now();
    let seq = shared.next_seq();
    let (parts, body) = request.into_parts();
    let headers: Vec<(String, String)> = parts
        .headers
        .iter()
        .map(|(name, value)| {
            // `HeaderName`s are lower case already.
            (
                name.as_str().to_string(),
                String::from_utf8_lossy(value.as_bytes()).into_owned(),
            )
        })
        .collect();
    let raw_query = parts.uri.query().unwrap_or("").to_string();
    // A request without a body (a signed call's parameters travel in its query) skips the
    // collecting machinery.
    let (body, too_large) = if hyper::body::Body::is_end_stream(&body) {
        (Vec::new(), false)
    } else {
        match Limited::new(body, MAX_BODY_BYTES).collect().await {
            Ok(collected) => (collected.to_bytes().to_vec(), false),
            Err(_) => (Vec::new(), true),
        }
    };
    let incoming = Incoming {
        method: parts.method.as_str().to_string(),
        raw_query,
        body,
        headers,
    };
    let host_id = incoming.header("host").unwrap_or("127.0.0.1");
    let params = gateway::decode(&incoming);
    let action = params
        .as_ref()
        .ok()
        .and_then(|p| incoming.action(p))
        .map(str::to_string);
    let request_id = shared.next_request_id();
    let fault = lock(&shared.faults).take(action.as_deref());
    // A fault answers instead of acting, or (`Fault::After`) once the request has acted.
    let (before, after) = match &fault {
        Some(Fault::After(inner)) => (None, Some(&**inner)),
        other => (other.as_ref(), None),
    };

    if let Some(Fault::Delay(delay)) = before {
        tokio::time::sleep(*delay).await;
    }
    let mut reached = Vec::new();
    let mut acted = false;
    let spoiled = before.and_then(|fault| spoil(fault, None, &request_id, host_id));
    let reply = match spoiled {
        Some(reply) => reply,
        None => {
            let answer = if too_large {
                answer::refusal(
                    &request_id,
                    host_id,
                    Refusal::gateway(
                        413,
                        "RequestEntityTooLarge",
                        format!("The body is larger than {MAX_BODY_BYTES} bytes."),
                    ),
                )
            } else if parts.uri.path() != "/" {
                answer::refusal(
                    &request_id,
                    host_id,
                    Refusal::gateway(
                        404,
                        "InvalidAction.NotFound",
                        format!(
                            "Specified api is not found, please check your url and method. (path `{}`)",
                            parts.uri.path()
                        ),
                    ),
                )
            } else {
                let result = match &params {
                    Ok(params) => gateway::handle(&shared, &incoming, params, &mut reached).await,
                    Err(refusal) => Err(refusal.clone()),
                };
                acted = result.is_ok() || !reached.is_empty();
                match result {
                    Ok(success) => answer::success(&request_id, success),
                    Err(refusal) => answer::refusal(&request_id, host_id, refusal),
                }
            };
            Reply::answer(answer, &request_id)
        }
    };
    let reply = match after {
        Some(fault) => spoil(fault, Some(&reply), &request_id, host_id).unwrap_or(reply),
        None => reply,
    };

    // One event per request (docs/observability.md); parameters are not recorded, as they
    // hold the caller's signature.
    match &reply {
        Reply::Send { status, code, .. } => tracing::debug!(
            target: "tsl_runtime::emulator",
            seq,
            action = action.as_deref().unwrap_or(""),
            request_id = request_id.as_str(),
            status = *status,
            code = code.as_deref().unwrap_or(""),
            acted,
            fault = fault.is_some(),
            "emulator answered"
        ),
        Reply::Drop { reset } => tracing::debug!(
            target: "tsl_runtime::emulator",
            seq,
            action = action.as_deref().unwrap_or(""),
            request_id = request_id.as_str(),
            reset = *reset,
            "emulator dropped the connection (fault)"
        ),
    }
    if shared.keep_history || shared.observer.is_some() {
        let outcome = match &reply {
            Reply::Send {
                status,
                request_id,
                code,
                ..
            } => Outcome::Answered {
                status: *status,
                request_id: request_id.clone(),
                code: code.clone(),
            },
            Reply::Drop { reset } => Outcome::Dropped { reset: *reset },
        };
        let decoded = params.is_ok();
        // Moved in: the compact form the history keeps later drops them, and decodes them
        // again when read (record.rs `Kept`).
        let params = params.map(|p| p.into_pairs()).unwrap_or_default();
        let recorded = RecordedRequest {
            seq,
            received_at,
            method: incoming.method,
            action,
            params,
            raw_query: incoming.raw_query,
            raw_body: String::from_utf8_lossy(&incoming.body).into_owned(),
            headers: incoming.headers,
            outcome,
            acted,
            device_names: reached,
            fault: fault.clone(),
        };
        if let Some(observer) = &shared.observer {
            observer(&recorded);
        }
        if shared.keep_history {
            shared.keep_request(recorded, decoded);
        }
    }

    // A stall after acting: the request is on record, the answer comes late (past the
    // client's timeout, when the test sets it so).
    if let Some(Fault::Delay(delay)) = after {
        tokio::time::sleep(*delay).await;
    }
    match reply {
        Reply::Drop { reset } => {
            if let Some(socket) = lock(&control).take() {
                if reset {
                    let _ = socket.set_linger(Some(Duration::ZERO));
                } else {
                    let _ = socket.shutdown(std::net::Shutdown::Both);
                }
            }
            Err(Dropped)
        }
        Reply::Send {
            status, body, cut, ..
        } => {
            let mut response = Response::new(AnswerBody::new(body, cut));
            *response.status_mut() =
                StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            response.headers_mut().insert(
                CONTENT_TYPE,
                HeaderValue::from_static("application/json;charset=utf-8"),
            );
            Ok(response)
        }
    }
}

/// What goes back on the connection.
enum Reply {
    /// An HTTP answer; `cut`: only half of `body` is sent, then the connection is aborted.
    Send {
        status: u16,
        body: Bytes,
        /// The error code, for the record.
        code: Option<String>,
        /// The `RequestId` the body carries (empty when it carries none).
        request_id: String,
        cut: bool,
    },
    /// No answer: the connection is reset or closed.
    Drop { reset: bool },
}

impl Reply {
    fn answer(answer: Answer, request_id: &str) -> Reply {
        Reply::Send {
            status: answer.status,
            body: Bytes::from(answer.body),
            code: answer.code,
            request_id: request_id.to_string(),
            cut: false,
        }
    }
}

/// The reply a fault gives instead of `real` (the request's own answer when it acted
/// first; `None` before acting). `None` for a delay, which changes when, not what.
fn spoil(fault: &Fault, real: Option<&Reply>, request_id: &str, host_id: &str) -> Option<Reply> {
    let gateway = |status: u16, code: &str, message: &str| {
        Reply::answer(
            answer::refusal(request_id, host_id, Refusal::gateway(status, code, message)),
            request_id,
        )
    };
    // The real answer with its body cut in half (`cut`: the connection breaks off too).
    let halved = |cut: bool| match real {
        Some(Reply::Send {
            status,
            body,
            code,
            request_id,
            ..
        }) => Some(Reply::Send {
            status: *status,
            body: body.slice(..body.len() / 2),
            code: code.clone(),
            request_id: request_id.clone(),
            cut,
        }),
        _ => None,
    };
    Some(match fault {
        Fault::Delay(_) => return None,
        Fault::After(inner) => return spoil(inner, real, request_id, host_id),
        Fault::Reset => Reply::Drop { reset: true },
        Fault::Close => Reply::Drop { reset: false },
        Fault::Throttle => Reply::answer(
            answer::refusal(request_id, host_id, Refusal::throttled()),
            request_id,
        ),
        Fault::Status(status) => {
            let (code, message) = match status {
                503 => (
                    "ServiceUnavailable",
                    "The request has failed due to a temporary failure of the server.",
                ),
                500 => (
                    "InternalError",
                    "The request processing has failed due to some unknown error.",
                ),
                502 => ("BadGateway", "The gateway got no valid answer upstream."),
                _ => ("InjectedFault", "An error injected by the test."),
            };
            gateway(*status, code, message)
        }
        Fault::MalformedJson => halved(false).unwrap_or_else(|| Reply::Send {
            status: 200,
            body: Bytes::from(format!("{{\"RequestId\":\"{request_id}\",\"Success\":tru")),
            code: None,
            request_id: request_id.to_string(),
            cut: false,
        }),
        Fault::Truncated => halved(true).unwrap_or_else(|| {
            match gateway(
                503,
                "ServiceUnavailable",
                "The request has failed due to a temporary failure of the server.",
            ) {
                Reply::Send {
                    status,
                    body,
                    code,
                    request_id,
                    ..
                } => Reply::Send {
                    status,
                    body,
                    code,
                    request_id,
                    cut: true,
                },
                drop => drop,
            }
        }),
        Fault::Business { code, message } => Reply::answer(
            answer::refusal(
                request_id,
                host_id,
                Refusal::business(code.clone(), message.clone()),
            ),
            request_id,
        ),
        Fault::Raw { status, body } => Reply::Send {
            status: *status,
            body: Bytes::from(body.clone()),
            code: None,
            request_id: raw_request_id(body),
            cut: false,
        },
    })
}

/// The `RequestId` of a raw body, when it is a JSON object with one.
fn raw_request_id(body: &[u8]) -> String {
    serde_json::from_slice::<serde_json::Value>(body)
        .ok()
        .and_then(|v| v.get("RequestId")?.as_str().map(str::to_string))
        .unwrap_or_default()
}

/// An answer's body: whole, or cut. A cut body (half of an answer) promises more than it
/// has (`Content-Length` of the whole answer or a byte more), sends what it has, waits a
/// moment so that leaves the socket, then fails, and hyper aborts the connection.
pub(crate) struct AnswerBody {
    data: Option<Bytes>,
    length: u64,
    cut: Option<Pin<Box<tokio::time::Sleep>>>,
}

impl AnswerBody {
    fn new(body: Bytes, cut: bool) -> AnswerBody {
        let length = if cut {
            body.len() as u64 * 2 + 1
        } else {
            body.len() as u64
        };
        AnswerBody {
            data: (!body.is_empty()).then_some(body),
            length,
            cut: cut.then(|| Box::pin(tokio::time::sleep(Duration::from_millis(20)))),
        }
    }
}

impl hyper::body::Body for AnswerBody {
    type Data = Bytes;
    type Error = Dropped;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Dropped>>> {
        if let Some(data) = self.data.take() {
            return Poll::Ready(Some(Ok(Frame::data(data))));
        }
        match self.cut.as_mut() {
            None => Poll::Ready(None),
            Some(pause) => {
                if pause.as_mut().poll(cx).is_pending() {
                    return Poll::Pending;
                }
                self.cut = None;
                Poll::Ready(Some(Err(Dropped)))
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.data.is_none() && self.cut.is_none()
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.length)
    }
}
