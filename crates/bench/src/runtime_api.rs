//! A stand-in for the Lambda Runtime API, enough to drive a real function binary through one
//! invocation: it hands out the queued event on `GET /invocation/next` and returns what the
//! function posts back. The function's next `/invocation/next` is left waiting, so the
//! process stays alive (and measurable) until it is killed.
//!
//! <https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html>

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use tokio::sync::{Mutex, mpsc};
use tokio::task::JoinHandle;

/// The Runtime API's base path.
const BASE: &str = "/2018-06-01/runtime";

/// What the function answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// `POST /invocation/{id}/response`: the body.
    Response(String),
    /// `POST /invocation/{id}/error`: the body.
    Error(String),
    /// `POST /init/error`: the body.
    InitError(String),
}

struct Shared {
    function_arn: String,
    events: Mutex<mpsc::UnboundedReceiver<(String, String)>>,
    answers: mpsc::UnboundedSender<Answer>,
    /// When the function first asked for an event.
    first_next: std::sync::Mutex<Option<Instant>>,
}

/// The fixture server of one function; stops when dropped.
#[derive(Debug)]
pub struct RuntimeApi {
    addr: SocketAddr,
    events: mpsc::UnboundedSender<(String, String)>,
    answers: mpsc::UnboundedReceiver<Answer>,
    shared: Arc<Shared>,
    server: JoinHandle<()>,
}

impl std::fmt::Debug for Shared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Shared")
            .field("function_arn", &self.function_arn)
            .finish_non_exhaustive()
    }
}

impl RuntimeApi {
    /// Serves on a free loopback port for the function `function_name`.
    pub async fn start(function_name: &str) -> std::io::Result<Self> {
        let (events_tx, events_rx) = mpsc::unbounded_channel();
        let (answers_tx, answers_rx) = mpsc::unbounded_channel();
        let shared = Arc::new(Shared {
            function_arn: format!("arn:aws:lambda:us-east-1:111122223333:function:{function_name}"),
            events: Mutex::new(events_rx),
            answers: answers_tx,
            first_next: std::sync::Mutex::new(None),
        });
        let app = Router::new()
            .route(&format!("{BASE}/invocation/next"), get(next))
            .route(
                &format!("{BASE}/invocation/{{id}}/response"),
                post(response),
            )
            .route(
                &format!("{BASE}/invocation/{{id}}/error"),
                post(invocation_error),
            )
            .route(&format!("{BASE}/init/error"), post(init_error))
            .with_state(Arc::clone(&shared));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let server = tokio::spawn(async move {
            if let Err(error) = axum::serve(listener, app).await {
                tracing::warn!(%error, "the Runtime API fixture stopped");
            }
        });
        Ok(Self {
            addr,
            events: events_tx,
            answers: answers_rx,
            shared,
            server,
        })
    }

    /// `host:port`: the value of `AWS_LAMBDA_RUNTIME_API`.
    pub fn address(&self) -> String {
        self.addr.to_string()
    }

    /// When the function first called `/invocation/next` (its init was over), if it did.
    pub fn first_next_at(&self) -> Option<Instant> {
        *self
            .shared
            .first_next
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Hands `payload` to the function as invocation `request_id` and waits up to `wait` for
    /// its answer (or an init error).
    pub async fn invoke(
        &mut self,
        request_id: &str,
        payload: &serde_json::Value,
        wait: Duration,
    ) -> Option<Answer> {
        self.events
            .send((request_id.to_owned(), payload.to_string()))
            .ok()?;
        tokio::time::timeout(wait, self.answers.recv())
            .await
            .ok()
            .flatten()
    }
}

impl Drop for RuntimeApi {
    fn drop(&mut self) {
        self.server.abort();
    }
}

async fn next(State(shared): State<Arc<Shared>>) -> Response {
    shared
        .first_next
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .get_or_insert_with(Instant::now);
    let Some((request_id, payload)) = shared.events.lock().await.recv().await else {
        return StatusCode::GONE.into_response();
    };
    let deadline_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis())
        + 120_000;
    let mut headers = HeaderMap::new();
    for (name, value) in [
        ("Lambda-Runtime-Aws-Request-Id", request_id),
        ("Lambda-Runtime-Deadline-Ms", deadline_ms.to_string()),
        (
            "Lambda-Runtime-Invoked-Function-Arn",
            shared.function_arn.clone(),
        ),
        (
            "Lambda-Runtime-Trace-Id",
            "Root=1-66fab3c0-5759e988bd862e3fe1be46a9;Parent=53995c3f42cd8ad8;Sampled=0".to_owned(),
        ),
        ("Content-Type", "application/json".to_owned()),
    ] {
        if let Ok(value) = HeaderValue::from_str(&value) {
            headers.insert(name, value);
        }
    }
    (StatusCode::OK, headers, payload).into_response()
}

fn text(body: &Bytes) -> String {
    String::from_utf8_lossy(body).into_owned()
}

async fn response(
    State(shared): State<Arc<Shared>>,
    Path(_id): Path<String>,
    body: Bytes,
) -> StatusCode {
    let _ = shared.answers.send(Answer::Response(text(&body)));
    StatusCode::ACCEPTED
}

async fn invocation_error(
    State(shared): State<Arc<Shared>>,
    Path(_id): Path<String>,
    body: Bytes,
) -> StatusCode {
    let _ = shared.answers.send(Answer::Error(text(&body)));
    StatusCode::ACCEPTED
}

async fn init_error(State(shared): State<Arc<Shared>>, body: Bytes) -> StatusCode {
    let _ = shared.answers.send(Answer::InitError(text(&body)));
    StatusCode::ACCEPTED
}
