//! Handler latency, in wall-clock time, read from the pipeline's own tracing: every SQS record
//! is handled inside a `record` span (`pipeline::executor`, field `queue`), and the local
//! stack's event source mapping logs `batch handled` (`local_stack::esm`, debug, field
//! `queue`) right after [`pipeline::process_batch`] returns.
//!
//! - record latency: from the span's creation to its close (decode, loads, decisions, saves,
//!   DRS calls and sends of one record);
//! - batch latency (one Lambda invocation): from the first record span of a batch to the
//!   `batch handled` event. With one poller per queue (the local stack's default) the batches
//!   of a queue never overlap, so this is the time `process_batch` took.
//!
//! Both include the latency of moto (DynamoDB, SQS) and drs-sim, which run on the same machine.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::Layer;
use tracing_subscriber::filter::Targets;
use tracing_subscriber::layer::Context;
use tracing_subscriber::registry::LookupSpan;

/// The span the handlers open per record.
const RECORD_SPAN: &str = "record";
/// The target of the event source mapping's log lines.
const ESM_TARGET: &str = "local_stack::esm";
/// Its message after each batch.
const BATCH_HANDLED: &str = "batch handled";

/// Latencies in milliseconds, per queue (`start`, `check`, `advance`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Latencies {
    /// Per record.
    pub records: BTreeMap<String, Vec<f64>>,
    /// Per batch (handler invocation).
    pub batches: BTreeMap<String, Vec<f64>>,
}

#[derive(Debug, Default)]
struct State {
    latencies: Latencies,
    batch_started: BTreeMap<String, Instant>,
}

/// Collects the latencies; [`HandlerTimings::layer`] feeds it. Cloning shares it.
#[derive(Debug, Clone, Default)]
pub struct HandlerTimings {
    state: Arc<Mutex<State>>,
}

impl HandlerTimings {
    /// The tracing layer that measures, filtered to the spans and events it needs.
    pub fn layer<S>(&self) -> impl Layer<S> + use<S>
    where
        S: Subscriber + for<'a> LookupSpan<'a>,
    {
        let filter = Targets::new()
            .with_target("pipeline", Level::INFO)
            .with_target(ESM_TARGET, Level::DEBUG);
        TimingLayer {
            timings: self.clone(),
        }
        .with_filter(filter)
    }

    /// The latencies measured since the last take, and a fresh start.
    pub fn take(&self) -> Latencies {
        let mut state = self.lock();
        state.batch_started.clear();
        std::mem::take(&mut state.latencies)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn record_opened(&self, queue: &str, at: Instant) {
        self.lock()
            .batch_started
            .entry(queue.to_owned())
            .or_insert(at);
    }

    fn record_closed(&self, queue: &str, opened: Instant) {
        let millis = opened.elapsed().as_secs_f64() * 1000.0;
        self.lock()
            .latencies
            .records
            .entry(queue.to_owned())
            .or_default()
            .push(millis);
    }

    fn batch_handled(&self, queue: &str) {
        let mut state = self.lock();
        if let Some(started) = state.batch_started.remove(queue) {
            let millis = started.elapsed().as_secs_f64() * 1000.0;
            state
                .latencies
                .batches
                .entry(queue.to_owned())
                .or_default()
                .push(millis);
        }
    }
}

struct TimingLayer {
    timings: HandlerTimings,
}

/// Stored in a record span's extensions.
struct Opened {
    queue: String,
    at: Instant,
}

impl<S> Layer<S> for TimingLayer
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        if attrs.metadata().name() != RECORD_SPAN {
            return;
        }
        let mut fields = Fields::default();
        attrs.record(&mut fields);
        let (Some(queue), Some(span)) = (fields.queue, ctx.span(id)) else {
            return;
        };
        let at = Instant::now();
        self.timings.record_opened(&queue, at);
        span.extensions_mut().insert(Opened { queue, at });
    }

    fn on_close(&self, id: Id, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(&id) else {
            return;
        };
        if let Some(opened) = span.extensions().get::<Opened>() {
            self.timings.record_closed(&opened.queue, opened.at);
        }
    }

    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        if event.metadata().target() != ESM_TARGET {
            return;
        }
        let mut fields = Fields::default();
        event.record(&mut fields);
        if fields.message.as_deref() == Some(BATCH_HANDLED) {
            if let Some(queue) = fields.queue {
                self.timings.batch_handled(&queue);
            }
        }
    }
}

/// The `queue` and `message` fields of a span or event.
#[derive(Default)]
struct Fields {
    queue: Option<String>,
    message: Option<String>,
}

impl Visit for Fields {
    fn record_str(&mut self, field: &Field, value: &str) {
        match field.name() {
            "queue" => self.queue = Some(value.to_owned()),
            "message" => self.message = Some(value.to_owned()),
            _ => {}
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        let text = format!("{value:?}");
        match field.name() {
            "queue" => self.queue = Some(text.trim_matches('"').to_owned()),
            "message" => self.message = Some(text),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use tracing_subscriber::layer::SubscriberExt;

    use super::*;

    #[test]
    fn records_and_batches_are_timed_per_queue() {
        let timings = HandlerTimings::default();
        let subscriber = tracing_subscriber::registry().with(timings.layer());
        tracing::subscriber::with_default(subscriber, || {
            for _ in 0..2 {
                let span =
                    tracing::info_span!(target: "pipeline::executor", "record", queue = "check");
                let _entered = span.enter();
                std::thread::sleep(std::time::Duration::from_millis(5));
            }
            tracing::debug!(target: "local_stack::esm", queue = "check", records = 2, "batch handled");
            // Another span name, or a batch of a queue without records, measures nothing.
            let _other =
                tracing::info_span!(target: "pipeline::executor", "other", queue = "start");
            tracing::debug!(target: "local_stack::esm", queue = "start", "batch handled");
        });
        let latencies = timings.take();
        let records = &latencies.records["check"];
        assert_eq!(records.len(), 2);
        assert!(records.iter().all(|ms| *ms >= 5.0), "{records:?}");
        let batches = &latencies.batches["check"];
        assert_eq!(batches.len(), 1);
        assert!(batches[0] >= records.iter().sum::<f64>(), "{latencies:?}");
        assert!(!latencies.records.contains_key("start"));
        assert!(!latencies.batches.contains_key("start"));
        assert_eq!(timings.take(), Latencies::default(), "take starts afresh");
    }
}
