//! One module per group of commands.

pub mod execution;
pub mod plan;
pub mod rehearse;
pub mod remote;
pub mod schedule;
pub mod stored_plan;
