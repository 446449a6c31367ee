//! Logs as JSON lines on stdout, which Lambda sends to CloudWatch Logs.
//!
//! Built on the `tracing-subscriber` that `lambda_runtime` re-exports. Each line of an
//! invocation carries its spans (`spans`): `lambda_runtime`'s with the `requestId` (and
//! `xrayTraceId`), then the pipeline's record span (`execution_id`, `message_id`, `queue`).
//! Unlike `lambda_runtime::tracing::init_default_subscriber`, the format is always JSON
//! (DESIGN.md §1: structured logs), whatever `AWS_LAMBDA_LOG_FORMAT` says.
//!
//! The level: `AWS_LAMBDA_LOG_LEVEL` (Lambda's advanced logging controls) if set, else
//! `RUST_LOG` (a full filter such as `info,aws_smithy_runtime=warn`), else `info`.

use lambda_runtime::tracing::subscriber::{self, EnvFilter, filter::LevelFilter};

/// Lambda's log level variable (`TRACE`, `DEBUG`, `INFO`, `WARN`, `ERROR`, `FATAL`).
pub const AWS_LAMBDA_LOG_LEVEL: &str = "AWS_LAMBDA_LOG_LEVEL";
/// The `tracing` filter, used when [`AWS_LAMBDA_LOG_LEVEL`] is not set.
pub const RUST_LOG: &str = "RUST_LOG";

/// The filter for these settings: Lambda's level wins over `RUST_LOG`; `info` by default.
pub fn filter(lambda_level: Option<&str>, rust_log: Option<&str>) -> EnvFilter {
    if let Some(level) = lambda_level.filter(|l| !l.trim().is_empty()) {
        // Lambda's levels are upper case and include FATAL, which tracing lacks.
        let level = match level.trim().to_ascii_lowercase().as_str() {
            "fatal" => "error".to_owned(),
            other => other.to_owned(),
        };
        let level = level.parse::<LevelFilter>().unwrap_or(LevelFilter::INFO);
        return EnvFilter::default().add_directive(level.into());
    }
    match rust_log.filter(|f| !f.trim().is_empty()) {
        Some(filter) => EnvFilter::try_new(filter)
            .unwrap_or_else(|_| EnvFilter::default().add_directive(LevelFilter::INFO.into())),
        None => EnvFilter::default().add_directive(LevelFilter::INFO.into()),
    }
}

/// Installs the JSON subscriber for this process (once; later calls do nothing).
pub fn init() {
    let filter = filter(
        std::env::var(AWS_LAMBDA_LOG_LEVEL).ok().as_deref(),
        std::env::var(RUST_LOG).ok().as_deref(),
    );
    let _already_installed = subscriber::fmt()
        .json()
        .with_env_filter(filter)
        .with_target(true)
        // Every span from the invocation's (`requestId`) to the record's (`execution_id`,
        // `message_id`), so each line can be traced to both.
        .with_current_span(false)
        .with_span_list(true)
        .with_writer(std::io::stdout)
        .try_init();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lambda_level_wins_over_rust_log_and_info_is_the_default() {
        assert_eq!(filter(Some("DEBUG"), Some("error")).to_string(), "debug");
        assert_eq!(filter(Some("FATAL"), None).to_string(), "error");
        assert_eq!(
            filter(None, Some("warn,pipeline=debug")).to_string(),
            "pipeline=debug,warn"
        );
        assert_eq!(filter(None, None).to_string(), "info");
        assert_eq!(filter(Some(" "), None).to_string(), "info");
    }
}
