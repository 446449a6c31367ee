//! `drsctl plan ...`: check plan files, print the plan JSON Schema.

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use plan::Diagnostic;

use crate::outcome::Outcome;
use crate::plan_file::{self, ReadError};

/// `drsctl plan validate FILE...`: one summary line on stdout per valid plan, every problem on
/// stderr as `FILE:LINE:COL: path: message`.
pub fn validate(files: &[PathBuf]) -> Outcome {
    validate_to(files, &mut io::stdout().lock(), &mut io::stderr().lock())
}

/// [`validate`], writing to `out` and `err`.
pub fn validate_to(files: &[PathBuf], out: &mut dyn Write, err: &mut dyn Write) -> Outcome {
    let mut worst = Outcome::Success;
    for file in files {
        let outcome = validate_file(file, out, err).unwrap_or(Outcome::IoError);
        worst = worst.max(outcome);
    }
    worst
}

fn validate_file(file: &Path, out: &mut dyn Write, err: &mut dyn Write) -> io::Result<Outcome> {
    let name = display_name(file);
    let text = match plan_file::read(file) {
        Ok(text) => text,
        Err(error) => {
            writeln!(err, "{name}: {error}")?;
            return Ok(match error {
                ReadError::Io(_) => Outcome::IoError,
                ReadError::Content(_) => Outcome::Invalid,
            });
        }
    };
    match plan::parse(&text) {
        Ok(plan) => {
            writeln!(out, "{name}: ok — {}", plan.summary())?;
            Ok(Outcome::Success)
        }
        Err(diagnostics) => {
            for diagnostic in &diagnostics {
                writeln!(err, "{}", located(&name, diagnostic))?;
            }
            Ok(Outcome::Invalid)
        }
    }
}

/// `FILE:LINE:COL: path: message`, or `FILE: path: message` when the position is unknown:
/// the shape editors and CI annotators recognise.
fn located(name: &str, diagnostic: &Diagnostic) -> String {
    if diagnostic.position.is_some() {
        format!("{name}:{diagnostic}")
    } else {
        format!("{name}: {diagnostic}")
    }
}

fn display_name(file: &Path) -> String {
    if file.as_os_str() == "-" {
        "<stdin>".to_owned()
    } else {
        file.display().to_string()
    }
}

/// `drsctl plan schema`: the JSON Schema of plans on stdout.
pub fn schema() -> Outcome {
    match io::stdout()
        .lock()
        .write_all(plan::json_schema().as_bytes())
    {
        Ok(()) => Outcome::Success,
        Err(_) => Outcome::IoError,
    }
}

#[cfg(test)]
mod tests {
    use plan::Position;

    use super::*;

    #[test]
    fn located_puts_the_file_first() {
        let mut diagnostic = Diagnostic {
            position: Some(Position::new(3, 9)),
            path: "waves[0].name".to_owned(),
            message: "bad".to_owned(),
        };
        assert_eq!(
            located("p.yaml", &diagnostic),
            "p.yaml:3:9: waves[0].name: bad"
        );
        diagnostic.position = None;
        assert_eq!(located("p.yaml", &diagnostic), "p.yaml: waves[0].name: bad");
    }
}
