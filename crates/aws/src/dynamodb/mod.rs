//! The DynamoDB tables: executions ([`ExecutionTable`]), plans ([`PlanTable`]) and the job
//! ledger ([`LedgerTable`]). Their key schemas and indexes are in [`crate::resources`].

use aws_sdk_dynamodb::config::http::HttpResponse;
use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use pipeline::ports::PortError;

use crate::sdk_error;

mod cancellation;
mod compressed;
pub mod executions;
mod item;
pub mod ledger;
pub mod plans;

pub use executions::{ExecutionSummary, ExecutionTable};
pub use item::item_size;
pub use ledger::{Budget, ClaimRecord, LedgerTable};
pub use pipeline::ports::PlanSummary;
pub use plans::PlanTable;

/// Most actions in one `TransactWriteItems` call.
pub const MAX_TRANSACTION_ITEMS: usize = 100;

/// The [`PortError`] of a failed DynamoDB `operation` on `table`, worded alike for every table
/// so that a log line says which table and call failed.
fn table_error<E>(table: &str, operation: &str, error: SdkError<E, HttpResponse>) -> PortError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    sdk_error::port_error(&format!("DynamoDB {operation} on table {table}"), error)
}
