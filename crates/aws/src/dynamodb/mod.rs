//! The DynamoDB tables: executions ([`ExecutionTable`]), plans ([`PlanTable`]) and the job
//! ledger ([`LedgerTable`]). Their key schemas and indexes are in [`crate::resources`].

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
