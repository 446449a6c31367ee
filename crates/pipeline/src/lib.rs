//! The pipeline: the handlers of the starter, checker and advancer Lambdas (DESIGN.md §3).
//!
//! Each handler loads an execution, asks the [`engine`] to decide, saves the new state with a
//! conditional write, and carries out the commands through the [`ports`]. The same handlers
//! run in Lambda (`crates/functions/*`) and in the local runner (`drsctl rehearse`).

pub mod message;
pub mod ports;
