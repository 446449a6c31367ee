//! One module per group of commands.

pub mod plan;
pub mod rehearse;
pub mod schedule;
