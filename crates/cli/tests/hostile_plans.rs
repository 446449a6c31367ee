//! `drsctl plan validate` on hostile plan files, run as a user runs it: each must be refused
//! (exit 2) with a bounded output, never crash. How long each took is printed, not asserted.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fs;
use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// Most bytes of output one hostile plan may produce.
const MAX_OUTPUT: usize = 100 * 1024;

/// A fresh directory for the hostile files, removed at the end.
struct Scratch(PathBuf);

impl Scratch {
    fn new(test: &str) -> Self {
        let dir =
            std::env::temp_dir().join(format!("drsctl-hostile-{}-{test}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }

    fn write(&self, name: &str, content: &str) -> String {
        let path = self.0.join(name);
        fs::write(&path, content).unwrap();
        path.to_str().unwrap().to_owned()
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// Runs `drsctl plan validate ARG`, with `stdin` as its input; the output and how long it took.
fn validate(arg: &str, stdin: &str) -> (Output, Duration) {
    let started = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_drsctl"))
        .args(["plan", "validate", arg])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Dropped at the end of the statement, so the child sees the end of its input.
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    (output, started.elapsed())
}

/// Exit 2, a bounded output whose first line names `expected`.
fn assert_refused(name: &str, size: usize, (output, took): (Output, Duration), expected: &str) {
    let bytes = output.stdout.len() + output.stderr.len();
    let stderr = String::from_utf8_lossy(&output.stderr);
    println!(
        "{name}: {size} bytes in, exit {:?}, {bytes} bytes out, {} ms",
        output.status.code(),
        took.as_millis()
    );
    assert_eq!(output.status.code(), Some(2), "{name}: {stderr:.2000}");
    assert!(bytes < MAX_OUTPUT, "{name}: {bytes} bytes of output");
    let first = stderr.lines().next().unwrap_or_default();
    assert!(first.contains(expected), "{name}: {first}");
}

fn hostile_plans() -> Vec<(&'static str, String, &'static str)> {
    let deep = 100_000;
    let mut laughs =
        String::from("name: x\na0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
    for i in 1..10 {
        let aliases = vec![format!("*a{}", i - 1); 9].join(", ");
        laughs.push_str(&format!("a{i}: &a{i} [{aliases}]\n"));
    }
    vec![
        (
            "deep-block.yaml",
            format!("name: x\nwaves:\n{}x\n", "- ".repeat(10_000)),
            ":3:127: lists and mappings are nested more than 64 levels deep",
        ),
        (
            "deep-flow.yaml",
            format!("name: x\nwaves: {}{}\n", "[".repeat(deep), "]".repeat(deep)),
            ":2:263: invalid YAML: brackets are nested more than 255 levels deep",
        ),
        (
            "deep-flow-mappings.yaml",
            format!("name: x\nwaves: {}\n", "{a: ".repeat(deep)),
            ":2:260: lists and mappings are nested more than 64 levels deep",
        ),
        (
            "deep-arrays.json",
            format!(
                "{{\"name\": \"x\", \"waves\": {}{}}}",
                "[".repeat(deep),
                "]".repeat(deep)
            ),
            ":1:87: lists and mappings are nested more than 64 levels deep",
        ),
        (
            "deep-objects.json",
            format!("{}1{}", "{\"a\": ".repeat(deep), "}".repeat(deep)),
            ":1:385: lists and mappings are nested more than 64 levels deep",
        ),
        (
            "duplicate-servers.yaml",
            format!(
                "name: x\nprotection_groups:\n  db: {{ servers: [{}] }}\nwaves:\n  - {{ name: w, groups: [db] }}\n",
                vec!["s-1234567890abcdef0"; 12_000].join(", ")
            ),
            "protection_groups.db.servers[1]: s-1234567890abcdef0 is listed twice",
        ),
        (
            "billion-laughs.yaml",
            laughs,
            "with its aliases expanded (each alias copies its anchor's values), the plan holds \
             more than 100000 values",
        ),
    ]
}

#[test]
fn hostile_plan_files_are_refused_with_a_bounded_output() {
    let dir = Scratch::new("files");
    for (name, text, expected) in hostile_plans() {
        let path = dir.write(name, &text);
        assert_refused(name, text.len(), validate(&path, ""), expected);
    }
}

#[test]
fn the_issues_reproduction_on_stdin_is_refused() {
    // printf 'name: x\nwaves:\n'; python3 -c "print('- '*10000+'x')" | drsctl plan validate -
    let text = format!("name: x\nwaves:\n{}x\n", "- ".repeat(10_000));
    assert_refused(
        "stdin",
        text.len(),
        validate("-", &text),
        "<stdin>:3:127: lists and mappings are nested more than 64 levels deep",
    );
}

#[test]
fn thousands_of_problems_end_with_how_many_were_left_out() {
    let dir = Scratch::new("count");
    let (name, text, _) = hostile_plans()
        .into_iter()
        .find(|(name, ..)| *name == "duplicate-servers.yaml")
        .unwrap();
    let path = dir.write(name, &text);
    let (output, _) = validate(&path, "");
    let stderr = String::from_utf8(output.stderr).unwrap();
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 101);
    assert_eq!(
        lines[100],
        format!("{path}: and 11899 more problems, not listed; fix the ones above first")
    );
}
