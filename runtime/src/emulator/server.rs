//! The HTTP side: a hyper 1 server on its own thread and tokio runtime, so the emulator
//! runs the same under a test's runtime, another runtime, or none, and stops on drop.

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Bytes;
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

/// Why a connection is dropped without an answer (an injected fault).
#[derive(Debug)]
struct Dropped;

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
    let service = service_fn(move |request| {
        let shared = shared.clone();
        let control = control.clone();
        async move { handle(shared, control, request).await }
    });
    let _ = hyper::server::conn::http1::Builder::new()
        .max_buf_size(MAX_HEAD_BYTES)
        .serve_connection(TokioIo::new(stream), service)
        .await;
}

type Body = Full<Bytes>;

async fn handle(
    shared: Arc<Shared>,
    control: Arc<Mutex<Option<socket2::Socket>>>,
    request: hyper::Request<hyper::body::Incoming>,
) -> Result<Response<Body>, Dropped> {
    let received_at = SystemTime::now();
    let seq = shared.next_seq();
    let (parts, body) = request.into_parts();
    let headers: Vec<(String, String)> = parts
        .headers
        .iter()
        .map(|(name, value)| {
            (
                name.as_str().to_ascii_lowercase(),
                String::from_utf8_lossy(value.as_bytes()).into_owned(),
            )
        })
        .collect();
    let host_id = headers
        .iter()
        .find(|(n, _)| n == "host")
        .map_or_else(|| "127.0.0.1".to_string(), |(_, v)| v.clone());
    let raw_query = parts.uri.query().unwrap_or("").to_string();
    let (body, too_large) = match Limited::new(body, MAX_BODY_BYTES).collect().await {
        Ok(collected) => (collected.to_bytes().to_vec(), false),
        Err(_) => (Vec::new(), true),
    };
    let incoming = Incoming {
        method: parts.method.as_str().to_string(),
        raw_query,
        body,
        headers,
    };
    let params = gateway::decode(&incoming);
    let action = params
        .as_ref()
        .ok()
        .and_then(|p| incoming.action(p))
        .map(str::to_string);
    let request_id = uuid::Uuid::new_v4().to_string().to_ascii_uppercase();
    let fault = lock(&shared.faults).take(action.as_deref());

    let mut dropped = None;
    let answer = match fault {
        Some(Fault::Reset) | Some(Fault::Close) => {
            let reset = fault == Some(Fault::Reset);
            if let Some(socket) = lock(&control).take() {
                if reset {
                    let _ = socket.set_linger(Some(Duration::ZERO));
                } else {
                    let _ = socket.shutdown(std::net::Shutdown::Both);
                }
            }
            dropped = Some(reset);
            None
        }
        Some(Fault::Throttle) => Some(answer::refusal(&request_id, &host_id, Refusal::throttled())),
        Some(Fault::Status(status)) => {
            let (code, message) = match status {
                503 => (
                    "ServiceUnavailable",
                    "The request has failed due to a temporary failure of the server.",
                ),
                500 => (
                    "InternalError",
                    "The request processing has failed due to some unknown error.",
                ),
                _ => ("InjectedFault", "An error injected by the test."),
            };
            Some(answer::refusal(
                &request_id,
                &host_id,
                Refusal::gateway(status, code, message),
            ))
        }
        Some(Fault::MalformedJson) => Some(Answer {
            status: 200,
            body: format!("{{\"RequestId\":\"{request_id}\",\"Success\":tru"),
            code: None,
        }),
        Some(Fault::Delay(delay)) => {
            tokio::time::sleep(delay).await;
            None
        }
        None => None,
    };
    let answer = match (answer, dropped) {
        (Some(answer), _) => Some(answer),
        (None, Some(_)) => None,
        (None, None) => {
            Some(if too_large {
                answer::refusal(
                    &request_id,
                    &host_id,
                    Refusal::gateway(
                        413,
                        "RequestEntityTooLarge",
                        format!("The body is larger than {MAX_BODY_BYTES} bytes."),
                    ),
                )
            } else if parts.uri.path() != "/" {
                answer::refusal(
                &request_id,
                &host_id,
                Refusal::gateway(404, "InvalidAction.NotFound", format!("Specified api is not found, please check your url and method. (path `{}`)", parts.uri.path())),
            )
            } else {
                let result = match &params {
                    Ok(params) => gateway::handle(&shared, &incoming, params).await,
                    Err(refusal) => Err(refusal.clone()),
                };
                match result {
                    Ok(success) => answer::success(&request_id, success),
                    Err(refusal) => answer::refusal(&request_id, &host_id, refusal),
                }
            })
        }
    };

    let outcome = match &answer {
        Some(answer) => Outcome::Answered {
            status: answer.status,
            request_id: request_id.clone(),
            code: answer.code.clone(),
        },
        None => Outcome::Dropped {
            reset: dropped.unwrap_or(false),
        },
    };
    lock(&shared.requests).push(RecordedRequest {
        seq,
        received_at,
        method: incoming.method.clone(),
        action,
        params: params.map(|p| p.into_pairs()).unwrap_or_default(),
        raw_query: incoming.raw_query.clone(),
        raw_body: String::from_utf8_lossy(&incoming.body).into_owned(),
        headers: incoming.headers.clone(),
        outcome,
    });

    let Some(answer) = answer else {
        return Err(Dropped);
    };
    let mut response = Response::new(Full::new(Bytes::from(answer.body)));
    *response.status_mut() =
        StatusCode::from_u16(answer.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    response.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("application/json;charset=utf-8"),
    );
    Ok(response)
}
