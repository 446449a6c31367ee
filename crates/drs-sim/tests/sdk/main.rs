//! drs-sim driven by the unmodified Rust `aws-sdk-drs` client (and its admin API, binary).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod accounts;
mod admin_api;
mod binary;
mod drills;
mod errors;
mod events;
mod operations;
mod support;
