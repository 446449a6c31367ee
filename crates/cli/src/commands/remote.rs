//! What the commands that talk to the orchestrator share: running one request on a runtime,
//! telling its errors, printing tables and JSON.

use std::future::Future;
use std::io::{self, Write};

use clap::ValueEnum;
use serde_json::Value;

use crate::api::options::ApiOptions;
use crate::api::{Response, Transport, TransportError};
use crate::outcome::Outcome;

/// `--output` of listings and details.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TableOrJson {
    /// Aligned columns, for people.
    Table,
    /// The API's JSON, for scripts.
    Json,
}

/// Connects as `options` say and runs `command` with the transport; `name` prefixes errors
/// (`drsctl plan apply: ...`).
pub fn run<F, Fut>(name: &str, options: &ApiOptions, command: F) -> Outcome
where
    F: FnOnce(Transport) -> Fut,
    Fut: Future<Output = Result<Outcome, TransportError>>,
{
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("drsctl {name}: cannot start the async runtime: {error}");
            return Outcome::IoError;
        }
    };
    let result = runtime.block_on(async {
        let transport = options.connect().await?;
        command(transport).await
    });
    match result {
        Ok(outcome) => outcome,
        Err(error) => {
            eprintln!("drsctl {name}: {error}");
            Outcome::Unsuccessful
        }
    }
}

/// Prints an error answer of the API on stderr: its message and code, the plan's problems
/// (each `FILE:LINE:COL: path: message` when `file` is given), and a hint. Exit status 2 for
/// a request the API found invalid (400, 415), 1 otherwise.
pub fn report_error(
    name: &str,
    response: &Response,
    transport: &Transport,
    file: Option<&str>,
) -> Outcome {
    let body = response.json();
    let message = body["message"]
        .as_str()
        .or_else(|| body["Message"].as_str())
        .map(str::to_owned)
        .unwrap_or_else(|| match &response.body {
            Some(other) => other.to_string(),
            None => "no details".to_owned(),
        });
    let problems = body["errors"].as_array();
    // The API's message lists the problems too, without the file: keep its first line only.
    let message = match problems {
        Some(_) => message
            .lines()
            .next()
            .unwrap_or_default()
            .trim_end_matches(':')
            .to_owned(),
        None => message,
    };
    let code = body["error"].as_str();
    let mut err = io::stderr().lock();
    let what = match code {
        Some(code) => format!("{code}, HTTP {}", response.status),
        None => format!("HTTP {}", response.status),
    };
    let _ = writeln!(err, "drsctl {name}: {message} ({what})");
    if let Some(problems) = problems {
        for problem in problems {
            let _ = writeln!(err, "{}", problem_line(file, problem));
        }
    }
    match response.status {
        403 if code.is_none() => {
            let _ = writeln!(
                err,
                "hint: the API refused your AWS credentials: check the profile and region \
                 ({}); your identity needs execute-api:Invoke on the API",
                transport.describe()
            );
        }
        status if status >= 500 => {
            let _ = writeln!(err, "(the request went to {})", transport.describe());
        }
        _ => {}
    }
    if matches!(response.status, 400 | 415) {
        Outcome::Invalid
    } else {
        Outcome::Unsuccessful
    }
}

/// One problem of an invalid plan: `FILE:LINE:COL: path: message` as `plan validate` prints
/// it (`FILE: path: message` without a position; without a file, no prefix).
fn problem_line(file: Option<&str>, problem: &Value) -> String {
    let path = problem["path"].as_str().unwrap_or("");
    let message = problem["message"].as_str().unwrap_or("");
    let located = match (problem["line"].as_u64(), problem["column"].as_u64()) {
        (Some(line), Some(column)) => Some(format!("{line}:{column}")),
        _ => None,
    };
    let text = if path.is_empty() {
        message.to_owned()
    } else {
        format!("{path}: {message}")
    };
    match (file, located) {
        (Some(file), Some(at)) => format!("{file}:{at}: {text}"),
        (Some(file), None) => format!("{file}: {text}"),
        (None, Some(at)) => format!("{at}: {text}"),
        (None, None) => text,
    }
}

/// Prints `value` as pretty JSON on stdout.
pub fn print_json(value: &Value) -> Outcome {
    let text = serde_json::to_string_pretty(value).unwrap_or_else(|_| value.to_string());
    print_text(&format!("{text}\n"))
}

/// Prints `text` on stdout.
pub fn print_text(text: &str) -> Outcome {
    match io::stdout().lock().write_all(text.as_bytes()) {
        Ok(()) => Outcome::Success,
        Err(_) => Outcome::IoError,
    }
}

/// A JSON value as a table cell: strings bare, `null` as `-`.
pub fn cell(value: &Value) -> String {
    match value {
        Value::Null => "-".to_owned(),
        Value::String(text) if text.is_empty() => "-".to_owned(),
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

/// A timestamp as a table cell, to the second (`2026-11-27T20:07:36Z`); anything else as
/// [`cell`] shows it.
pub fn time_cell(value: &Value) -> String {
    match value.as_str().map(str::parse::<jiff::Timestamp>) {
        Some(Ok(at)) => jiff::Timestamp::from_second(at.as_second())
            .map_or_else(|_| at.to_string(), |second| second.to_string()),
        _ => cell(value),
    }
}

/// Rows as columns padded to their widest cell, two spaces apart (the last column unpadded).
pub fn table(rows: &[Vec<String>]) -> String {
    let columns = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..columns)
        .map(|c| {
            rows.iter()
                .filter_map(|row| row.get(c))
                .map(|cell| cell.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for row in rows {
        let mut line = String::new();
        for (c, cell) in row.iter().enumerate() {
            if c + 1 == row.len() {
                line.push_str(cell);
            } else {
                line.push_str(cell);
                line.push_str(&" ".repeat(widths[c] - cell.chars().count() + 2));
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn problems_are_printed_as_plan_validate_prints_them() {
        let located = json!({"path": "waves[1].groups[0]", "line": 12, "column": 7, "message": "no group `x`"});
        assert_eq!(
            problem_line(Some("p.yaml"), &located),
            "p.yaml:12:7: waves[1].groups[0]: no group `x`"
        );
        let unplaced = json!({"path": "name", "line": null, "column": null, "message": "missing"});
        assert_eq!(
            problem_line(Some("p.yaml"), &unplaced),
            "p.yaml: name: missing"
        );
        assert_eq!(
            problem_line(None, &located),
            "12:7: waves[1].groups[0]: no group `x`"
        );
    }

    #[test]
    fn tables_are_aligned() {
        let rows = vec![
            vec!["NAME".to_owned(), "WAVES".to_owned(), "BY".to_owned()],
            vec!["billing".to_owned(), "3".to_owned(), "alice".to_owned()],
        ];
        assert_eq!(table(&rows), "NAME     WAVES  BY\nbilling  3      alice\n");
        assert_eq!(cell(&json!(null)), "-");
        assert_eq!(cell(&json!("x")), "x");
        assert_eq!(cell(&json!(3)), "3");
        assert_eq!(
            time_cell(&json!("2026-11-27T20:07:36.761905777Z")),
            "2026-11-27T20:07:36Z"
        );
        assert_eq!(time_cell(&json!(null)), "-");
    }
}
