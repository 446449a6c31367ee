//! SQS events in, partial batch responses out.
//!
//! Lambda's SQS event source mapping gives a batch of records ([`SqsEvent`]); the pipeline
//! handles [`pipeline::Record`]s and returns the message IDs that failed, which go back as
//! `batchItemFailures` ([`SqsBatchResponse`]; the mapping must enable
//! `ReportBatchItemFailures`): SQS redelivers only those.

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent, SqsMessage};
use lambda_runtime::Diagnostic;
use pipeline::Record;

/// The SQS attribute counting deliveries (1 on the first).
pub const RECEIVE_COUNT_ATTRIBUTE: &str = "ApproximateReceiveCount";

/// An SQS event the function cannot take apart record by record.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SqsEventError {
    /// A record without `messageId` cannot be reported as a batch item failure, so the whole
    /// invocation fails (and SQS redelivers the batch).
    #[error(
        "record {index} of the SQS event has no messageId, so it can be neither acknowledged \
         nor reported as a batch item failure (is this an SQS event?)"
    )]
    MissingMessageId {
        /// Its position in `Records`, from 0.
        index: usize,
    },
}

impl From<SqsEventError> for Diagnostic {
    fn from(error: SqsEventError) -> Self {
        Diagnostic {
            error_type: "SqsEventError".to_owned(),
            error_message: error.to_string(),
        }
    }
}

/// The pipeline's records of `event`, in order.
pub fn records(event: &SqsEvent) -> Result<Vec<Record>, SqsEventError> {
    event
        .records
        .iter()
        .enumerate()
        .map(|(index, message)| record(index, message))
        .collect()
}

fn record(index: usize, message: &SqsMessage) -> Result<Record, SqsEventError> {
    let message_id = message
        .message_id
        .clone()
        .filter(|id| !id.is_empty())
        .ok_or(SqsEventError::MissingMessageId { index })?;
    let receive_count = message
        .attributes
        .get(RECEIVE_COUNT_ATTRIBUTE)
        .and_then(|count| count.trim().parse().ok())
        .unwrap_or(1);
    Ok(Record {
        message_id,
        // SQS never delivers a message without a body; an empty one is malformed and goes
        // to the dead-letter queue with that reason.
        body: message.body.clone().unwrap_or_default(),
        receive_count,
    })
}

/// The response reporting `failed` message IDs (empty: the whole batch succeeded).
pub fn batch_response(failed: Vec<String>) -> SqsBatchResponse {
    let mut response = SqsBatchResponse::default();
    response.set_failures(failed);
    response
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn event(records: serde_json::Value) -> SqsEvent {
        serde_json::from_value(json!({ "Records": records })).unwrap()
    }

    #[test]
    fn records_keep_their_order_ids_bodies_and_receive_counts() {
        let event = event(json!([
            {
                "messageId": "059f36b4-87a3-44ab-83d2-661975830a7d",
                "body": "{\"v\":1}",
                "attributes": { "ApproximateReceiveCount": "3", "SentTimestamp": "1545082649183" },
                "eventSource": "aws:sqs"
            },
            { "messageId": "2e1424d4-f796-459a-8184-9c92662be6da", "body": "second" }
        ]));
        let records = records(&event).unwrap();
        assert_eq!(
            records,
            vec![
                Record {
                    message_id: "059f36b4-87a3-44ab-83d2-661975830a7d".to_owned(),
                    body: "{\"v\":1}".to_owned(),
                    receive_count: 3,
                },
                Record::new("2e1424d4-f796-459a-8184-9c92662be6da", "second"),
            ]
        );
    }

    #[test]
    fn a_record_without_message_id_fails_the_invocation_and_says_which() {
        let event = event(json!([
            { "messageId": "a", "body": "x" },
            { "body": "y" }
        ]));
        let error = records(&event).unwrap_err();
        assert_eq!(error, SqsEventError::MissingMessageId { index: 1 });
        let diagnostic = Diagnostic::from(error);
        assert!(
            diagnostic.error_message.contains("record 1"),
            "{diagnostic:?}"
        );
    }

    #[test]
    fn the_response_is_the_shape_lambda_reads() {
        let response = batch_response(vec!["a".to_owned(), "b".to_owned()]);
        assert_eq!(
            serde_json::to_value(&response).unwrap(),
            json!({ "batchItemFailures": [ { "itemIdentifier": "a" }, { "itemIdentifier": "b" } ] })
        );
        assert_eq!(
            serde_json::to_value(batch_response(Vec::new())).unwrap(),
            json!({ "batchItemFailures": [] })
        );
    }
}
