//! Why a benchmark run could not produce its figures.

/// A failure of the benchmark.
#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    /// A fixture (plan, scenario) could not be read.
    #[error("fixture {path}: {message}")]
    Fixture {
        /// The file.
        path: String,
        /// What is wrong with it.
        message: String,
    },
    /// The local stack failed.
    #[error(transparent)]
    Local(#[from] local_stack::LocalError),
    /// The drill did not end as a benchmark drill must (every wave launched).
    #[error("run `{run}`: {message}")]
    Run {
        /// The run's label.
        run: String,
        /// What happened.
        message: String,
    },
    /// What drs-sim reported cannot be read.
    #[error("drs-sim's {what}: {message}")]
    SimData {
        /// Jobs, events...
        what: &'static str,
        /// What is wrong.
        message: String,
    },
    /// Measuring a Lambda binary's memory failed.
    #[error("{function}: {message}")]
    Lambda {
        /// The binary.
        function: String,
        /// What happened.
        message: String,
    },
}
