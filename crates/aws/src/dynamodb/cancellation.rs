//! Why a `TransactWriteItems` call was cancelled, item by item.

use aws_sdk_dynamodb::config::http::HttpResponse;
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;

/// The outcome of a cancelled transaction, per item in request order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Cancellation {
    codes: Vec<String>,
}

impl Cancellation {
    /// The cancellation in `error`, if it is one (`TransactionCanceledException`).
    pub(crate) fn of(error: &SdkError<TransactWriteItemsError, HttpResponse>) -> Option<Self> {
        let SdkError::ServiceError(context) = error else {
            return None;
        };
        let TransactWriteItemsError::TransactionCanceledException(cancelled) = context.err() else {
            return None;
        };
        let codes = cancelled
            .cancellation_reasons
            .iter()
            .flatten()
            .map(|reason| reason.code.clone().unwrap_or_else(|| "None".to_owned()))
            .collect();
        Some(Self { codes })
    }

    /// Whether item `index`'s condition failed.
    pub(crate) fn condition_failed(&self, index: usize) -> bool {
        self.codes
            .get(index)
            .is_some_and(|code| code == "ConditionalCheckFailed")
    }

    /// Whether any item's condition failed.
    pub(crate) fn any_condition_failed(&self) -> bool {
        self.codes
            .iter()
            .any(|code| code == "ConditionalCheckFailed")
    }

    /// Whether another transaction on the same items was in progress (retry).
    pub(crate) fn conflicted(&self) -> bool {
        self.codes.iter().any(|code| code == "TransactionConflict")
    }

    /// The codes, for messages.
    pub(crate) fn codes(&self) -> String {
        self.codes.join(", ")
    }
}
