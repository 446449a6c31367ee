//! drs-sim: an emulator of AWS Elastic Disaster Recovery (DRS).
//!
//! It serves the DRS REST-JSON API (the wire format of the service model) so that the
//! unmodified `aws-sdk-drs`, boto3 and the AWS CLI work against it, driven by a scenario
//! (source servers, launch behaviour, quotas, throttling, clock, event delivery).
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! let scenario = drs_sim::Scenario::from_file(std::path::Path::new("examples/scenarios/three-tier.yaml"))?;
//! let sim = drs_sim::serve(drs_sim::SimConfig::local(scenario)).await?;
//! println!("DRS at {}", sim.endpoint_url());
//! sim.control().advance_clock(60.0).ok(); // manual clocks only
//! sim.shutdown().await?;
//! # Ok(()) }
//! ```
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

mod admin;
pub mod clock;
mod error;
pub mod events;
pub mod http_client;
mod identity;
mod job;
mod operations;
mod region;
mod requests;
mod rng;
pub mod scenario;
mod server;
mod throttle;
mod wire;
mod world;

pub use clock::{ClockError, SimClock, SimInstant};
pub use error::DrsError;
pub use events::EventRecord;
pub use scenario::{Scenario, ScenarioError, ScenarioErrors};
pub use server::{RunningSim, ServeError, SimConfig, SimControl, serve};
