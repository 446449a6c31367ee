//! The `/_sim/` admin API (no DRS path starts with it): reset, load a scenario, read and
//! advance the clock, counters, every job, every launch result event.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::clock::ClockError;
use crate::scenario::Scenario;
use crate::server::Shared;
use crate::wire::iso_datetime;

pub(crate) fn reset(shared: &Shared) {
    shared.world().reset();
    shared.stats.reset();
    shared.wake();
}

pub(crate) fn load(shared: &Shared, scenario: Scenario) {
    shared.world().load(scenario);
    shared.stats.reset();
    shared.wake();
}

pub(crate) fn advance(shared: &Shared, seconds: f64) -> Result<jiff::Timestamp, ClockError> {
    let now = {
        let mut world = shared.world();
        let now = world.clock_mut().advance(seconds)?;
        world.clock().timestamp(now)
    };
    shared.settle();
    shared.wake();
    Ok(now)
}

pub(crate) fn counters(shared: &Shared) -> Value {
    shared.settle();
    let sent = shared.stats.sent.load(Ordering::Relaxed);
    let failed = shared.stats.failed.load(Ordering::Relaxed);
    shared.world().counters(sent, failed)
}

fn clock_json(shared: &Shared) -> Value {
    let world = shared.world();
    let clock = world.clock();
    let now = clock.now();
    json!({
        "mode": if clock.is_manual() { "manual" } else { "scaled" },
        "time_scale": clock.time_scale(),
        "now": iso_datetime(clock.timestamp(now)),
        "start": iso_datetime(clock.origin()),
        "elapsed_seconds": now.as_millis() as f64 / 1000.0,
    })
}

fn bad_request(status: StatusCode, message: String) -> Response {
    (status, Json(json!({ "message": message }))).into_response()
}

/// `POST /_sim/reset`.
pub(crate) async fn reset_handler(State(shared): State<Arc<Shared>>) -> Response {
    reset(&shared);
    Json(json!({ "status": "reset" })).into_response()
}

/// `POST /_sim/scenario` with a YAML body.
pub(crate) async fn scenario_handler(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    let Ok(text) = std::str::from_utf8(&body) else {
        return bad_request(
            StatusCode::BAD_REQUEST,
            "the scenario must be UTF-8 YAML".into(),
        );
    };
    match Scenario::from_yaml_str(text, "scenario") {
        Ok(scenario) => {
            let servers = scenario.servers.len();
            let accounts: Vec<&str> = scenario.accounts.iter().map(|a| a.id.as_str()).collect();
            let summary = json!({ "status": "loaded", "servers": servers, "accounts": accounts });
            load(&shared, scenario);
            Json(summary).into_response()
        }
        Err(errors) => {
            let list: Vec<Value> = errors
                .errors
                .iter()
                .map(|e| {
                    json!({"line": e.line, "column": e.column, "path": e.path, "message": e.message})
                })
                .collect();
            (
                StatusCode::BAD_REQUEST,
                Json(json!({
                    "message": format!("invalid scenario: {} error(s)", list.len()),
                    "errors": list,
                    "lines": errors.lines(),
                })),
            )
                .into_response()
        }
    }
}

/// `GET /_sim/clock`.
pub(crate) async fn clock_handler(State(shared): State<Arc<Shared>>) -> Response {
    Json(clock_json(&shared)).into_response()
}

/// `POST /_sim/clock/advance` with `{"seconds": N}`.
pub(crate) async fn advance_handler(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    let seconds = serde_json::from_slice::<Value>(&body)
        .ok()
        .and_then(|v| v.get("seconds").and_then(Value::as_f64));
    let Some(seconds) = seconds else {
        return bad_request(
            StatusCode::BAD_REQUEST,
            "expected a JSON body {\"seconds\": N}".into(),
        );
    };
    match advance(&shared, seconds) {
        Ok(_) => Json(clock_json(&shared)).into_response(),
        Err(err @ ClockError::NotManual) => bad_request(StatusCode::CONFLICT, err.to_string()),
        Err(err) => bad_request(StatusCode::BAD_REQUEST, err.to_string()),
    }
}

/// `GET /_sim/counters`.
pub(crate) async fn counters_handler(State(shared): State<Arc<Shared>>) -> Response {
    Json(counters(&shared)).into_response()
}

/// `GET /_sim/jobs`.
pub(crate) async fn jobs_handler(State(shared): State<Arc<Shared>>) -> Response {
    shared.settle();
    Json(shared.world().jobs_overview()).into_response()
}

/// `GET /_sim/events`.
pub(crate) async fn events_handler(State(shared): State<Arc<Shared>>) -> Response {
    shared.settle();
    let events = shared.world().event_records().to_vec();
    Json(json!({ "events": events })).into_response()
}
