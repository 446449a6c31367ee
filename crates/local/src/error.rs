//! Why the local stack could not start or do what it was asked.

use pipeline::ports::PortError;

/// A failure of the local stack.
#[derive(Debug, thiserror::Error)]
pub enum LocalError {
    /// The options or the scenario cannot be run (a manual clock without a time scale, a
    /// scenario without accounts...).
    #[error("{0}")]
    Setup(String),
    /// moto could not be started.
    #[error(transparent)]
    Moto(#[from] aws_adapters::MotoError),
    /// drs-sim could not be started.
    #[error("drs-sim: {0}")]
    Sim(#[from] drs_sim::ServeError),
    /// The AWS configuration is unusable (a bad endpoint URL).
    #[error(transparent)]
    Config(#[from] aws_adapters::ConfigError),
    /// The orchestrator's identity could not be obtained from moto's STS.
    #[error(
        "taking the orchestrator's identity in account {account} from moto's STS at {endpoint}: {message}"
    )]
    Identity {
        /// The account.
        account: String,
        /// moto's endpoint.
        endpoint: String,
        /// What went wrong.
        message: String,
    },
    /// The adapters could not be built on the created resources.
    #[error(transparent)]
    Wiring(#[from] aws_adapters::wiring::WiringError),
    /// A table, queue or topic could not be created.
    #[error(transparent)]
    Resources(#[from] aws_adapters::ResourceError),
    /// The EventBridge rule for DRS launch results could not be created.
    #[error("creating the EventBridge rule {rule}: {message}")]
    EventRule {
        /// The rule's name.
        rule: String,
        /// What went wrong.
        message: String,
    },
    /// A port (queue, table) failed.
    #[error("{doing}: {error}")]
    Port {
        /// What the stack was doing.
        doing: String,
        /// The port's error.
        error: PortError,
    },
}

impl LocalError {
    /// A port's `error` while `doing` something.
    pub fn port(doing: impl Into<String>, error: PortError) -> Self {
        Self::Port {
            doing: doing.into(),
            error,
        }
    }
}
