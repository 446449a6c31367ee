//! The final report as text tables: the execution, its waves (status, start, duration
//! against the RTO, jobs), then every server (launch status, recovery instance, time to
//! launch, optional or critical).

use std::collections::BTreeMap;
use std::fmt::Write;

use engine::{ExecutionReport, ServerId, WaveReport, WaveStatus};
use jiff::Timestamp;

/// What the report alone does not know.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    /// Hostnames of the scenario's servers, by ID.
    pub hostnames: &'a BTreeMap<String, String>,
    /// Why failed servers failed, from their jobs' logs.
    pub failures: &'a BTreeMap<ServerId, String>,
}

/// `45s`, `3m20s`, `1h02m05s`.
pub fn duration(seconds: i64) -> String {
    let sign = if seconds < 0 { "-" } else { "" };
    let seconds = seconds.unsigned_abs();
    let (hours, minutes, secs) = (seconds / 3600, seconds % 3600 / 60, seconds % 60);
    if hours > 0 {
        format!("{sign}{hours}h{minutes:02}m{secs:02}s")
    } else if minutes > 0 {
        format!("{sign}{minutes}m{secs:02}s")
    } else {
        format!("{sign}{secs}s")
    }
}

fn offset(from: Timestamp, at: Timestamp) -> String {
    let seconds = at.duration_since(from).as_secs();
    format!("+{}", duration(seconds))
}

fn wave_status(status: WaveStatus) -> &'static str {
    match status {
        WaveStatus::Pending => "NOT_STARTED",
        WaveStatus::AwaitingApproval => "AWAITING_APPROVAL",
        WaveStatus::Running => "RUNNING",
        WaveStatus::Succeeded => "SUCCEEDED",
        WaveStatus::Failed => "FAILED",
        WaveStatus::TimedOut => "TIMED_OUT",
        WaveStatus::Cancelled => "CANCELLED",
    }
}

fn rto_text(rto_minutes: Option<u32>, met: Option<bool>) -> String {
    match (rto_minutes, met) {
        (None, _) => "-".to_owned(),
        (Some(rto), Some(true)) => format!("{rto}m: met"),
        (Some(rto), Some(false)) => format!("{rto}m: MISSED"),
        (Some(rto), None) => format!("{rto}m"),
    }
}

/// Columns padded to their widest cell, two spaces apart.
fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (i, cell) in row.iter().enumerate() {
            if let Some(width) = widths.get_mut(i) {
                *width = (*width).max(cell.chars().count());
            }
        }
    }
    let line = |cells: Vec<&str>| -> String {
        let last = cells.len().saturating_sub(1);
        let mut text = String::new();
        for (i, cell) in cells.into_iter().enumerate() {
            if i == last {
                text.push_str(cell);
            } else {
                let width = widths.get(i).copied().unwrap_or(0);
                let _ = write!(text, "{cell:<width$}  ");
            }
        }
        text.trim_end().to_owned() + "\n"
    };
    let mut text = line(header.to_vec());
    for row in rows {
        text.push_str(&line(row.iter().map(String::as_str).collect()));
    }
    text
}

/// The report as text.
pub fn render(report: &ExecutionReport, context: &Context<'_>) -> String {
    let mut text = String::new();
    let _ = writeln!(
        text,
        "\nExecution {} of plan {} ({}): {}",
        report.execution_id, report.plan, report.mode, report.status
    );
    let took = report
        .duration_seconds
        .map_or_else(|| "still running".to_owned(), duration);
    let _ = writeln!(
        text,
        "Simulated duration {took}; plan RTO {}; approval waits {} (not counted against the RTO)",
        rto_text(report.rto_minutes, report.rto_met),
        duration(report.approval_wait_seconds)
    );
    let totals = report.totals;
    let _ = writeln!(
        text,
        "Waves {}/{} succeeded; servers {} launched, {} critical and {} optional failed, {} not launched, {} in progress; {} DRS jobs\n",
        totals.waves_succeeded,
        totals.waves,
        totals.launched,
        totals.failed_critical,
        totals.failed_optional,
        totals.not_launched,
        totals.in_progress,
        totals.jobs
    );

    let waves: Vec<Vec<String>> = report
        .waves
        .iter()
        .map(|wave| {
            vec![
                format!("{} {}", wave.index + 1, wave.name),
                wave_status(wave.status).to_owned(),
                wave.started_at
                    .map_or_else(|| "-".to_owned(), |at| offset(report.requested_at, at)),
                wave.duration_seconds
                    .map_or_else(|| "-".to_owned(), duration),
                rto_text(wave.rto_minutes, wave.rto_met),
                if wave.job_ids.is_empty() {
                    "-".to_owned()
                } else {
                    wave.job_ids
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join(" ")
                },
            ]
        })
        .collect();
    text.push_str(&table(
        &["WAVE", "STATUS", "START", "DURATION", "RTO", "JOBS"],
        &waves,
    ));
    for wave in report.waves.iter().filter(|w| w.failure.is_some()) {
        if let Some(failure) = &wave.failure {
            let _ = writeln!(text, "  wave {} {}: {failure}", wave.index + 1, wave.name);
        }
    }

    let servers: Vec<Vec<String>> = report
        .waves
        .iter()
        .flat_map(|wave| server_rows(wave, context))
        .collect();
    if !servers.is_empty() {
        text.push('\n');
        text.push_str(&table(
            &[
                "WAVE",
                "SERVER",
                "HOSTNAME",
                "LAUNCH",
                "RECOVERY INSTANCE",
                "TO LAUNCH",
                "ROLE",
            ],
            &servers,
        ));
    }
    let explained: Vec<String> = report
        .waves
        .iter()
        .flat_map(|wave| &wave.servers)
        .filter_map(|server| {
            let why = context
                .failures
                .get(&server.id)
                .cloned()
                .or_else(|| server.failure.clone())?;
            Some(format!("  {}: {why}", server.id))
        })
        .collect();
    if !explained.is_empty() {
        text.push_str("\nWhy servers failed:\n");
        for line in explained {
            text.push_str(&line);
            text.push('\n');
        }
    }
    text
}

fn server_rows(wave: &WaveReport, context: &Context<'_>) -> Vec<Vec<String>> {
    wave.servers
        .iter()
        .map(|server| {
            vec![
                format!("{} {}", wave.index + 1, wave.name),
                server.id.to_string(),
                context
                    .hostnames
                    .get(server.id.as_str())
                    .cloned()
                    .unwrap_or_else(|| "-".to_owned()),
                server.launch_status.to_string(),
                server
                    .recovery_instance_id
                    .clone()
                    .unwrap_or_else(|| "-".to_owned()),
                server
                    .seconds_to_launch
                    .map_or_else(|| "-".to_owned(), duration),
                if server.optional {
                    "optional"
                } else {
                    "critical"
                }
                .to_owned(),
            ]
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_naturally() {
        assert_eq!(duration(0), "0s");
        assert_eq!(duration(45), "45s");
        assert_eq!(duration(200), "3m20s");
        assert_eq!(duration(3725), "1h02m05s");
        assert_eq!(duration(-5), "-5s");
    }

    #[test]
    fn columns_line_up() {
        let text = table(
            &["A", "BB"],
            &[
                vec!["long cell".into(), "x".into()],
                vec!["y".into(), "z".into()],
            ],
        );
        assert_eq!(text, "A          BB\nlong cell  x\ny          z\n");
    }

    #[test]
    fn rto_says_met_or_missed() {
        assert_eq!(rto_text(Some(20), Some(true)), "20m: met");
        assert_eq!(rto_text(Some(20), Some(false)), "20m: MISSED");
        assert_eq!(rto_text(None, Some(true)), "-");
    }
}
