//! The HTTP server: DRS REST-JSON routes, the `/_sim/` admin API, request logging, and the
//! background tasks (settling due side effects on time, delivering events).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{DefaultBodyLimit, Path, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use tokio::net::TcpListener;
use tokio::sync::{Notify, mpsc, watch};
use tokio::task::JoinHandle;

use crate::admin;
use crate::clock::ClockError;
use crate::error::DrsError;
use crate::events::{self, DeliveryStats, EventRecord, OutgoingEvent};
use crate::identity::{self, Caller, Credential};
use crate::operations::{self, Operation, OperationInput, Reply};
use crate::scenario::Scenario;
use crate::world::World;

/// How to run the emulator.
#[derive(Debug, Clone)]
pub struct SimConfig {
    /// Address to listen on (port 0 picks a free port).
    pub listen: SocketAddr,
    /// The scenario to serve.
    pub scenario: Scenario,
}

impl SimConfig {
    /// `127.0.0.1:0` with `scenario`.
    pub fn local(scenario: Scenario) -> SimConfig {
        SimConfig {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            scenario,
        }
    }
}

/// Errors starting or stopping the server.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// The listen address could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// Why.
        source: std::io::Error,
    },
    /// The server stopped with an I/O error.
    #[error("server error: {0}")]
    Io(#[from] std::io::Error),
    /// A background task panicked.
    #[error("background task failed: {0}")]
    Task(#[from] tokio::task::JoinError),
}

/// State shared by the handlers and the background tasks.
#[derive(Debug)]
pub(crate) struct Shared {
    world: Mutex<World>,
    sts_cache: Mutex<HashMap<String, String>>,
    events: mpsc::UnboundedSender<OutgoingEvent>,
    pub(crate) stats: Arc<DeliveryStats>,
    wake: Notify,
    request_ids: AtomicU64,
}

impl Shared {
    /// The world; a panic in another request does not make it unusable.
    pub(crate) fn world(&self) -> MutexGuard<'_, World> {
        self.world
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Hands events to the delivery task.
    pub(crate) fn dispatch(&self, events: Vec<OutgoingEvent>) {
        for event in events {
            // The receiver only goes away at shutdown; events after that are moot.
            let _ = self.events.send(event);
        }
    }

    /// Wakes the settling task (new job, clock moved, scenario changed).
    pub(crate) fn wake(&self) {
        self.wake.notify_one();
    }

    /// Settles due side effects now and delivers their events.
    pub(crate) fn settle(&self) {
        let events = self.world().settle();
        self.dispatch(events);
    }

    async fn account_for(
        &self,
        credential: &Credential,
        session_token: Option<&str>,
    ) -> Result<String, DrsError> {
        let (exact, sts, wildcard) = {
            let world = self.world();
            let scenario = world.scenario();
            (
                scenario
                    .account_for_access_key(&credential.access_key)
                    .map(|a| a.id.clone()),
                scenario.sts_endpoint.clone(),
                scenario.wildcard_account().map(|a| a.id.clone()),
            )
        };
        if let Some(account) = exact {
            return Ok(account);
        }
        if let Some(endpoint) = sts {
            let cached = self
                .sts_cache
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .get(&credential.access_key)
                .cloned();
            if let Some(account) = cached {
                return Ok(account);
            }
            let account = identity::sts_account(&endpoint, credential, session_token).await?;
            self.sts_cache
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .insert(credential.access_key.clone(), account.clone());
            return Ok(account);
        }
        wildcard.ok_or_else(|| DrsError::UnrecognizedClient {
            message: format!(
                "The security token included in the request is invalid: access key {} belongs to no account of the scenario",
                credential.access_key
            ),
        })
    }

    fn next_request_id(&self) -> String {
        let n = self.request_ids.fetch_add(1, Ordering::Relaxed);
        format!("d5000000-0000-4000-8000-{n:012x}")
    }
}

/// A running emulator. Dropping it does not stop it; call [`RunningSim::shutdown`].
#[derive(Debug)]
pub struct RunningSim {
    addr: SocketAddr,
    shared: Arc<Shared>,
    shutdown: watch::Sender<bool>,
    server: JoinHandle<std::io::Result<()>>,
    ticker: JoinHandle<()>,
    delivery: JoinHandle<()>,
}

impl RunningSim {
    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT`: the `endpoint_url` for clients.
    pub fn endpoint_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// In-process access to the admin functions (same as the `/_sim/` API).
    pub fn control(&self) -> SimControl {
        SimControl {
            shared: Arc::clone(&self.shared),
        }
    }

    /// Stops accepting requests, lets in-flight ones finish, delivers queued events, stops.
    pub async fn shutdown(self) -> Result<(), ServeError> {
        let _ = self.shutdown.send(true);
        let mut server = self.server;
        let served = match tokio::time::timeout(Duration::from_secs(5), &mut server).await {
            Ok(joined) => joined?.map_err(ServeError::Io),
            Err(_) => {
                server.abort();
                Ok(())
            }
        };
        self.ticker.await?;
        let mut delivery = self.delivery;
        if tokio::time::timeout(Duration::from_secs(10), &mut delivery)
            .await
            .is_err()
        {
            delivery.abort();
        }
        served
    }
}

/// In-process control of a running emulator: what the `/_sim/` admin API does, without HTTP.
#[derive(Debug, Clone)]
pub struct SimControl {
    shared: Arc<Shared>,
}

impl SimControl {
    /// Back to the scenario's initial state (no jobs, clock restarted, counters zero).
    pub fn reset(&self) {
        admin::reset(&self.shared);
    }

    /// Replaces the scenario and resets.
    pub fn load_scenario(&self, scenario: Scenario) {
        admin::load(&self.shared, scenario);
    }

    /// Advances a manual clock by `seconds`; returns the new simulated time.
    pub fn advance_clock(&self, seconds: f64) -> Result<jiff::Timestamp, ClockError> {
        admin::advance(&self.shared, seconds)
    }

    /// The current simulated time.
    pub fn now(&self) -> jiff::Timestamp {
        let world = self.shared.world();
        world.clock().timestamp(world.clock().now())
    }

    /// `GET /_sim/counters`.
    pub fn counters(&self) -> serde_json::Value {
        admin::counters(&self.shared)
    }

    /// `GET /_sim/jobs`.
    pub fn jobs(&self) -> serde_json::Value {
        self.shared.settle();
        self.shared.world().jobs_overview()
    }

    /// `GET /_sim/events`.
    pub fn events(&self) -> Vec<EventRecord> {
        self.shared.settle();
        self.shared.world().event_records().to_vec()
    }
}

/// Starts the emulator on `config.listen`; returns once it accepts connections.
pub async fn serve(config: SimConfig) -> Result<RunningSim, ServeError> {
    let listener = TcpListener::bind(config.listen)
        .await
        .map_err(|source| ServeError::Bind {
            addr: config.listen,
            source,
        })?;
    let addr = listener.local_addr()?;
    let (events_tx, events_rx) = mpsc::unbounded_channel();
    let (shutdown_tx, shutdown_rx) = watch::channel(false);
    let stats = Arc::new(DeliveryStats::default());
    let shared = Arc::new(Shared {
        world: Mutex::new(World::new(config.scenario)),
        sts_cache: Mutex::new(HashMap::new()),
        events: events_tx,
        stats: Arc::clone(&stats),
        wake: Notify::new(),
        request_ids: AtomicU64::new(1),
    });
    let delivery = tokio::spawn(events::deliver(events_rx, stats, shutdown_rx.clone()));
    let ticker = tokio::spawn(settle_on_time(Arc::clone(&shared), shutdown_rx.clone()));
    let app = router(Arc::clone(&shared));
    let mut stop = shutdown_rx;
    let server = tokio::spawn(async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(async move { events::until_true(&mut stop).await })
            .await
    });
    Ok(RunningSim {
        addr,
        shared,
        shutdown: shutdown_tx,
        server,
        ticker,
        delivery,
    })
}

/// Applies side effects when their simulated time comes, so events go out on time even when
/// nobody calls the API.
async fn settle_on_time(shared: Arc<Shared>, mut shutdown: watch::Receiver<bool>) {
    loop {
        let delay = {
            let mut world = shared.world();
            let events = world.settle();
            shared.dispatch(events);
            world.next_due_delay()
        };
        let sleep_for = delay
            .map(|d| d.min(Duration::from_secs(1)) + Duration::from_millis(1))
            .unwrap_or(Duration::from_secs(1));
        tokio::select! {
            _ = tokio::time::sleep(sleep_for) => {}
            _ = shared.wake.notified() => {}
            () = events::until_true(&mut shutdown) => return,
        }
    }
}

fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route(
            "/tags/{*resource_arn}",
            get(list_tags).post(tag_resource).delete(untag_resource),
        )
        .route("/_sim/reset", post(admin::reset_handler))
        .route("/_sim/scenario", post(admin::scenario_handler))
        .route("/_sim/clock", get(admin::clock_handler))
        .route("/_sim/clock/advance", post(admin::advance_handler))
        .route("/_sim/counters", get(admin::counters_handler))
        .route("/_sim/jobs", get(admin::jobs_handler))
        .route("/_sim/events", get(admin::events_handler))
        .fallback(post_operation)
        .layer(DefaultBodyLimit::max(32 * 1024 * 1024))
        .layer(middleware::from_fn(log_request))
        .with_state(shared)
}

async fn log_request(request: Request, next: Next) -> Response {
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let started = Instant::now();
    let response = next.run(request).await;
    let error = response
        .headers()
        .get("x-amzn-errortype")
        .and_then(|v| v.to_str().ok());
    tracing::info!(
        %method,
        path,
        status = response.status().as_u16(),
        error,
        latency_us = started.elapsed().as_micros() as u64,
        "request"
    );
    response
}

async fn post_operation(
    State(shared): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let operation = match (method, Operation::from_post_path(uri.path())) {
        (Method::POST, Some(operation)) => operation,
        (method, _) => {
            let error = DrsError::UnknownOperation {
                message: format!(
                    "{method} {} is not an operation this emulator serves",
                    uri.path()
                ),
            };
            return respond(&shared, "Unknown", Err(error));
        }
    };
    let input = OperationInput {
        body: body.to_vec(),
        ..OperationInput::default()
    };
    let result = run(&shared, operation, &headers, input).await;
    respond(&shared, operation.name(), result)
}

async fn list_tags(
    State(shared): State<Arc<Shared>>,
    Path(resource_arn): Path<String>,
    headers: HeaderMap,
) -> Response {
    let input = OperationInput {
        resource_arn: Some(resource_arn),
        ..OperationInput::default()
    };
    let result = run(&shared, Operation::ListTagsForResource, &headers, input).await;
    respond(&shared, Operation::ListTagsForResource.name(), result)
}

async fn tag_resource(
    State(shared): State<Arc<Shared>>,
    Path(resource_arn): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let input = OperationInput {
        body: body.to_vec(),
        resource_arn: Some(resource_arn),
        ..OperationInput::default()
    };
    let result = run(&shared, Operation::TagResource, &headers, input).await;
    respond(&shared, Operation::TagResource.name(), result)
}

async fn untag_resource(
    State(shared): State<Arc<Shared>>,
    Path(resource_arn): Path<String>,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let tag_keys = uri
        .query()
        .unwrap_or("")
        .split('&')
        .filter_map(|pair| pair.split_once('=').or(Some((pair, ""))))
        .filter(|(key, _)| percent_decode(key) == "tagKeys")
        .map(|(_, value)| percent_decode(value))
        .collect();
    let input = OperationInput {
        resource_arn: Some(resource_arn),
        tag_keys,
        ..OperationInput::default()
    };
    let result = run(&shared, Operation::UntagResource, &headers, input).await;
    respond(&shared, Operation::UntagResource.name(), result)
}

/// Authenticates, throttles, settles due side effects, then runs the operation.
async fn run(
    shared: &Shared,
    operation: Operation,
    headers: &HeaderMap,
    input: OperationInput,
) -> Result<Reply, DrsError> {
    shared.world().count_request(operation.name());
    let authorization = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    let credential = identity::parse_authorization(authorization)?;
    let session_token = headers
        .get("x-amz-security-token")
        .and_then(|v| v.to_str().ok());
    let account = shared.account_for(&credential, session_token).await?;
    let caller = Caller {
        access_key: credential.access_key,
        account,
        region: credential.region,
    };
    let mut world = shared.world();
    world.throttle(&caller)?;
    let events = world.settle();
    shared.dispatch(events);
    let reply = operations::execute(&mut world, &caller, operation, input)?;
    if matches!(
        operation,
        Operation::StartRecovery | Operation::TerminateRecoveryInstances
    ) {
        shared.wake();
    }
    Ok(reply)
}

fn respond(shared: &Shared, operation: &str, result: Result<Reply, DrsError>) -> Response {
    let mut response = match result {
        Ok(reply) => {
            let status = StatusCode::from_u16(reply.status).unwrap_or(StatusCode::OK);
            match reply.body {
                Some(body) => (
                    status,
                    [(header::CONTENT_TYPE, "application/json")],
                    Body::from(body),
                )
                    .into_response(),
                None => status.into_response(),
            }
        }
        Err(error) => {
            shared.world().count_error(&error);
            tracing::debug!(operation, error = %error, "operation failed");
            error.into_response()
        }
    };
    if let Ok(value) = HeaderValue::from_str(&shared.next_request_id()) {
        response.headers_mut().insert("x-amzn-requestid", value);
    }
    response
}

/// Decodes `%XX` escapes and `+` (form encoding) of a query component.
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok();
                match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    Some(byte) => {
                        out.push(byte);
                        i += 3;
                    }
                    None => {
                        out.push(b'%');
                        i += 1;
                    }
                }
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            byte => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_components_are_decoded() {
        assert_eq!(percent_decode("a%20b+c"), "a b c");
        assert_eq!(percent_decode("App%3ATier"), "App:Tier");
        assert_eq!(percent_decode("100%"), "100%");
        assert_eq!(percent_decode("%zz"), "%zz");
    }
}
