//! Progress of a rehearsal on standard error: on a terminal a block redrawn in place (one
//! line per wave), otherwise a plain line whenever a wave moves on.

use std::io::{self, Write};

use engine::{Execution, LaunchStatus, WaveOutcome, WavePhase, WaveState};
use jiff::Timestamp;
use local_stack::Observed;

use super::report_table::duration;

/// A wave's servers, by where their launch stands.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// Not launching yet.
    pub pending: usize,
    /// Launching.
    pub launching: usize,
    /// Still launching as far as the last `DescribeJobs` knows, but a DRS launch event
    /// reported it done (the next check confirms it, or not).
    pub reported: usize,
    /// Launched.
    pub launched: usize,
    /// Failed (or terminated).
    pub failed: usize,
}

impl Counts {
    /// The counts of `wave`'s servers.
    pub fn of(wave: &WaveState) -> Self {
        let mut counts = Self::default();
        for server in &wave.servers {
            match server.launch_status {
                LaunchStatus::Pending | LaunchStatus::InProgress
                    if wave.hints.reported.contains(&server.id) =>
                {
                    counts.reported += 1
                }
                LaunchStatus::Pending => counts.pending += 1,
                LaunchStatus::InProgress => counts.launching += 1,
                LaunchStatus::Launched => counts.launched += 1,
                LaunchStatus::Failed | LaunchStatus::Terminated => counts.failed += 1,
            }
        }
        counts
    }

    fn total(self) -> usize {
        self.pending + self.launching + self.reported + self.launched + self.failed
    }
}

/// Where a wave stands, in words.
pub fn phase_text(phase: WavePhase) -> String {
    match phase {
        WavePhase::Pending => "waiting".to_owned(),
        WavePhase::AwaitingApproval => "awaiting approval".to_owned(),
        WavePhase::PreAction { index } => format!("pre-action {}", index + 1),
        WavePhase::Launching => "launching".to_owned(),
        WavePhase::LaunchEnded => "launch ended".to_owned(),
        WavePhase::PostAction { index } => format!("post-action {}", index + 1),
        WavePhase::Ended { outcome } => match outcome {
            WaveOutcome::Succeeded => "SUCCEEDED",
            WaveOutcome::Failed => "FAILED",
            WaveOutcome::TimedOut => "TIMED_OUT",
            WaveOutcome::Cancelled => "CANCELLED",
        }
        .to_owned(),
    }
}

/// The line of wave `index` of `execution` at simulated time `now`.
pub fn wave_line(execution: &Execution, index: usize, now: Timestamp) -> String {
    let Some(wave) = execution.waves.get(index) else {
        return String::new();
    };
    let counts = Counts::of(wave);
    let servers = if wave.servers.is_empty() {
        match &wave.selection {
            None => "servers not resolved yet".to_owned(),
            Some(targets) => {
                let selected: usize = targets.iter().map(|t| t.servers.len()).sum();
                format!("{selected} servers selected")
            }
        }
    } else {
        let reported = match counts.reported {
            0 => String::new(),
            n => format!(", {n} reported done"),
        };
        format!(
            "{} servers: {} pending, {} launching{reported}, {} launched, {} failed",
            counts.total(),
            counts.pending,
            counts.launching,
            counts.launched,
            counts.failed
        )
    };
    let rto = execution.plan.waves.get(index).and_then(|w| w.rto_minutes);
    let elapsed = wave.started_at.map(|start| {
        let end = wave.ended_at.unwrap_or(now);
        duration(end.duration_since(start).as_secs())
    });
    let timing = match (elapsed, rto) {
        (Some(elapsed), Some(rto)) => format!(" ({elapsed} of RTO {rto}m)"),
        (Some(elapsed), None) => format!(" ({elapsed} elapsed)"),
        (None, Some(rto)) => format!(" (RTO {rto}m)"),
        (None, None) => String::new(),
    };
    format!(
        "wave {}/{} {:<14} {:<18} {servers}{timing}",
        index + 1,
        execution.waves.len(),
        execution.wave_name(index),
        phase_text(wave.phase)
    )
}

/// `+MM:SS` of simulated time since the execution was requested.
fn offset(execution: &Execution, now: Timestamp) -> String {
    let seconds = now.duration_since(execution.requested_at).as_secs().max(0);
    format!("+{:02}:{:02}", seconds / 60, seconds % 60)
}

/// The progress display.
#[derive(Debug)]
pub struct Progress {
    live: bool,
    time_scale: f64,
    drawn: usize,
    last_lines: Vec<String>,
    last_status: Option<engine::ExecutionStatus>,
}

impl Progress {
    /// A redrawn block when `live` (a terminal), plain lines otherwise.
    pub fn new(live: bool, time_scale: f64) -> Self {
        Self {
            live,
            time_scale,
            drawn: 0,
            last_lines: Vec::new(),
            last_status: None,
        }
    }

    /// Shows one read of the execution.
    pub fn show(&mut self, observed: Observed<'_>) {
        let execution = observed.execution;
        if self.live {
            self.redraw(execution, observed.now);
        } else {
            self.print_changes(execution, observed.now);
        }
    }

    /// Ends the display (the last block stays on screen).
    pub fn finish(&mut self) {
        self.drawn = 0;
        let _ = io::stderr().flush();
    }

    fn redraw(&mut self, execution: &Execution, now: Timestamp) {
        let at = execution.ended_at.unwrap_or(now);
        let mut lines = vec![format!(
            "{} ({}) {} — simulated {} (x{})",
            execution.plan.name,
            execution.mode,
            execution.status,
            offset(execution, at),
            self.time_scale
        )];
        lines.extend(
            (0..execution.waves.len()).map(|i| format!("  {}", wave_line(execution, i, now))),
        );
        // A wrapped line would take two rows and throw the redraw off: cut lines to the width.
        let width = terminal_width();
        for line in &mut lines {
            if let Some((cut, _)) = line.char_indices().nth(width.saturating_sub(1)) {
                line.truncate(cut);
            }
        }
        let mut err = io::stderr().lock();
        let mut text = String::new();
        if self.drawn > 0 {
            // Back to the start of the block, then clear to the end of the screen.
            text.push_str(&format!("\x1b[{}F\x1b[J", self.drawn));
        }
        for line in &lines {
            text.push_str(line);
            text.push('\n');
        }
        let _ = err.write_all(text.as_bytes());
        let _ = err.flush();
        self.drawn = lines.len();
    }

    fn print_changes(&mut self, execution: &Execution, now: Timestamp) {
        let mut err = io::stderr().lock();
        let at = offset(execution, execution.ended_at.unwrap_or(now));
        if self.last_status != Some(execution.status) {
            let _ = writeln!(
                err,
                "[{at}] execution {} of plan {} ({}): {}",
                execution.id, execution.plan.name, execution.mode, execution.status
            );
            self.last_status = Some(execution.status);
        }
        self.last_lines.resize(execution.waves.len(), String::new());
        for (index, wave) in execution.waves.iter().enumerate() {
            // Compare without the running clock, so that only real changes print.
            let key = format!("{:?} {:?}", wave.phase, Counts::of(wave));
            if self.last_lines.get(index) != Some(&key) {
                let _ = writeln!(err, "[{at}] {}", wave_line(execution, index, now));
                if let Some(slot) = self.last_lines.get_mut(index) {
                    *slot = key;
                }
            }
        }
    }
}

/// The terminal's width from `COLUMNS`, else 120.
fn terminal_width() -> usize {
    std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.parse().ok())
        .filter(|&c: &usize| c >= 20)
        .unwrap_or(120)
}

#[cfg(test)]
mod tests {
    use engine::ServerState;

    use super::*;

    fn server(id: &str, status: LaunchStatus) -> ServerState {
        ServerState {
            id: id.into(),
            target: None,
            optional: false,
            chunk: 0,
            launch_status: status,
            job_id: None,
            recovery_instance_id: None,
            started_at: None,
            ended_at: None,
            failure: None,
        }
    }

    #[test]
    fn servers_are_counted_by_launch_status() {
        let mut wave = WaveState::pending();
        wave.servers = vec![
            server("s-00000000000000001", LaunchStatus::Pending),
            server("s-00000000000000002", LaunchStatus::InProgress),
            server("s-00000000000000003", LaunchStatus::InProgress),
            server("s-00000000000000004", LaunchStatus::Launched),
            server("s-00000000000000005", LaunchStatus::Failed),
            server("s-00000000000000006", LaunchStatus::Terminated),
        ];
        // An event reported server 3 done; reports of servers a describe already saw end
        // change nothing.
        wave.hints.reported.insert("s-00000000000000003".into());
        wave.hints.reported.insert("s-00000000000000004".into());
        assert_eq!(
            Counts::of(&wave),
            Counts {
                pending: 1,
                launching: 1,
                reported: 1,
                launched: 1,
                failed: 2
            }
        );
    }

    #[test]
    fn phases_read_as_words() {
        assert_eq!(
            phase_text(WavePhase::PreAction { index: 0 }),
            "pre-action 1"
        );
        assert_eq!(
            phase_text(WavePhase::Ended {
                outcome: WaveOutcome::TimedOut
            }),
            "TIMED_OUT"
        );
    }
}
