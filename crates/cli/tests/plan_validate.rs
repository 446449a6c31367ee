//! `drsctl plan validate` and `drsctl plan schema`, run as a user runs them.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::fs;

use support::{Scratch, drsctl, drsctl_command, repository, run_with_input};

const VALID: &str = "name: p\nprotection_groups: {db: {servers: [s-1234567890abcdef0]}}\nwaves: [{name: w, groups: [db]}]\n";
const VALID_SUMMARY: &str = "ok — plan \"p\": 1 wave, 1 group (1 by ID), 1 server ID, 0 targets";

#[test]
fn the_examples_are_valid() {
    let run = drsctl(&[
        "plan",
        "validate",
        "examples/plans/billing.yaml",
        "examples/plans/minimal.yaml",
        "examples/plans/billing.json",
    ]);
    assert_eq!(run.stderr, "");
    assert_eq!(
        run.stdout,
        "examples/plans/billing.yaml: ok — plan \"billing\": 3 waves, 3 groups (1 by ID, 2 by tags), 2 server IDs, 1 target\n\
         examples/plans/minimal.yaml: ok — plan \"minimal\": 1 wave, 1 group (1 by ID), 1 server ID, 0 targets\n\
         examples/plans/billing.json: ok — plan \"billing\": 3 waves, 3 groups (1 by ID, 2 by tags), 2 server IDs, 1 target\n"
    );
    assert_eq!(run.code, 0);
}

#[test]
fn every_error_is_printed_with_file_line_and_column_and_exit_is_2() {
    let dir = Scratch::new("invalid");
    let broken = dir.write("broken.yaml",
        "name: Billing\nprotection_groups:\n  db: {servers: [s-123]}\nwaves:\n  - name: w\n    groups: [db, web]\n",
    );
    let valid = dir.write("valid.yaml", VALID);
    let run = drsctl(&["plan", "validate", &broken, &valid]);
    let lines: Vec<&str> = run.stderr.lines().collect();
    assert_eq!(
        lines,
        [
            format!(
                "{broken}:1:7: name: \"Billing\" is not a valid plan name: `B` is uppercase; use 1 to 63 lowercase letters a-z, digits 0-9 and `-`, not starting or ending with `-`"
            ),
            format!(
                "{broken}:3:18: protection_groups.db.servers[0]: \"s-123\" is not a valid source server ID: it has 3 hex digits after `s-`, not 17; expected `s-` and 17 lowercase hex digits, like s-1234567890abcdef0"
            ),
            format!(
                "{broken}:6:18: waves[0].groups[1]: protection group `web` is not defined; defined groups: `db`"
            ),
        ]
    );
    assert_eq!(run.stdout, format!("{valid}: {VALID_SUMMARY}\n"));
    assert_eq!(run.code, 2);
}

#[test]
fn json_errors_have_json_positions() {
    let dir = Scratch::new("json");
    let syntax = dir.write(
        "syntax.json",
        "{\n  \"name\": \"p\",\n  \"waves\": [1, 2,]\n}\n",
    );
    let rules = dir.write("rules.json",
        "{\"name\": \"p\", \"protection_groups\": {\"db\": {\"servers\": [\"s-1234567890abcdef0\"]}},\n \"waves\": [{\"name\": \"w\", \"groups\": [\"dbs\"]}]}\n",
    );
    let run = drsctl(&["plan", "validate", &syntax, &rules]);
    assert_eq!(
        run.stderr.lines().collect::<Vec<_>>(),
        [
            format!("{syntax}:3:18: invalid JSON: trailing comma"),
            format!(
                "{rules}:2:37: waves[0].groups[0]: protection group `dbs` is not defined; defined groups: `db`"
            ),
        ]
    );
    assert_eq!(run.code, 2);
}

#[test]
fn the_content_decides_not_the_extension() {
    let dir = Scratch::new("extension");
    let yaml_named_json = dir.write("plan.json", VALID);
    let json_named_txt = dir.write("plan.txt",
        r#"{"name": "p", "protection_groups": {"db": {"servers": ["s-1234567890abcdef0"]}}, "waves": [{"name": "w", "groups": ["db"]}]}"#,
    );
    let no_extension = dir.write("plan", VALID);
    let run = drsctl(&[
        "plan",
        "validate",
        &yaml_named_json,
        &json_named_txt,
        &no_extension,
    ]);
    assert_eq!(run.stderr, "");
    assert_eq!(
        run.stdout,
        format!(
            "{yaml_named_json}: {VALID_SUMMARY}\n{json_named_txt}: {VALID_SUMMARY}\n{no_extension}: {VALID_SUMMARY}\n"
        )
    );
    assert_eq!(run.code, 0);
}

#[test]
fn missing_files_and_directories_are_io_errors_and_win_over_invalid_plans() {
    let dir = Scratch::new("io");
    let invalid = dir.write("invalid.yaml", "name: p\n");
    let missing = dir.join("missing.yaml").to_str().unwrap().to_owned();
    let directory = dir.to_str().unwrap().to_owned();

    let run = drsctl(&["plan", "validate", &missing]);
    assert_eq!(
        run.stderr,
        format!("{missing}: cannot read: no such file\n")
    );
    assert_eq!(run.code, 1);

    let run = drsctl(&["plan", "validate", &directory]);
    assert_eq!(
        run.stderr,
        format!("{directory}: cannot read: it is a directory, not a plan file\n")
    );
    assert_eq!(run.code, 1);

    let run = drsctl(&["plan", "validate", &invalid, &missing]);
    let lines: Vec<&str> = run.stderr.lines().collect();
    assert_eq!(lines.len(), 3, "{lines:?}");
    assert!(lines[0].starts_with(&format!(
        "{invalid}:1:1: protection_groups: missing required key"
    )));
    assert_eq!(lines[2], format!("{missing}: cannot read: no such file"));
    assert_eq!(run.code, 1);
}

#[test]
fn files_that_cannot_be_plans_are_named_as_such() {
    let dir = Scratch::new("content");
    let empty = dir.write("empty.yaml", "");
    let comments = dir.write("comments.yaml", "# to do\n");
    let binary = dir.write("binary.yaml", b"name: p\n\x00\x01\x02");
    let latin1 = dir.write("latin1.yaml", b"name: p\ndescription: caf\xe9\n");
    let run = drsctl(&["plan", "validate", &empty, &comments, &binary, &latin1]);
    assert_eq!(
        run.stderr.lines().collect::<Vec<_>>(),
        [
            format!(
                "{empty}: the file is empty (0 bytes); a plan needs at least `name`, `protection_groups` and `waves`"
            ),
            format!(
                "{comments}: the plan is empty; a plan is a mapping with at least `name`, `protection_groups` and `waves`"
            ),
            format!(
                "{binary}: this is a binary file, not a plan: it has a NUL byte at byte offset 8"
            ),
            format!(
                "{latin1}: this is not UTF-8 text: byte 0xE9 at byte offset 24 is not valid UTF-8; save the plan as UTF-8"
            ),
        ]
    );
    assert_eq!(run.stdout, "");
    assert_eq!(run.code, 2);
}

#[test]
fn huge_files_are_refused_by_their_size_without_being_read() {
    let dir = Scratch::new("huge");
    let just_over = dir.join("just-over.yaml");
    fs::write(&just_over, vec![b'#'; 1024 * 1024 + 1]).unwrap();
    // A sparse file of 64 GiB: reading it whole would not finish in the test's time.
    let enormous = dir.join("enormous.yaml");
    fs::File::create(&enormous)
        .unwrap()
        .set_len(64 * 1024 * 1024 * 1024)
        .unwrap();
    let (just_over, enormous) = (just_over.to_str().unwrap(), enormous.to_str().unwrap());
    let run = drsctl(&["plan", "validate", just_over, enormous]);
    assert_eq!(
        run.stderr.lines().collect::<Vec<_>>(),
        [
            format!(
                "{just_over}: the file is 1048577 bytes, too large for a plan: plans are at most 1048576 bytes (1 MiB), so it was not read; is this the right file?"
            ),
            format!(
                "{enormous}: the file is 68719476736 bytes, too large for a plan: plans are at most 1048576 bytes (1 MiB), so it was not read; is this the right file?"
            ),
        ]
    );
    assert_eq!(run.code, 2);
}

#[test]
fn a_dash_reads_standard_input() {
    let run = run_with_input(
        drsctl_command().args(["plan", "validate", "-"]),
        VALID.as_bytes(),
    );
    assert_eq!(run.stdout, format!("<stdin>: {VALID_SUMMARY}\n"));
    assert_eq!(run.code, 0);
}

#[test]
fn validate_needs_a_file() {
    let run = drsctl(&["plan", "validate"]);
    assert!(run.stderr.contains("<FILE>"), "{}", run.stderr);
    assert_eq!(run.code, 2);
}

#[test]
fn schema_prints_the_committed_schema() {
    let run = drsctl(&["plan", "schema"]);
    let committed = fs::read_to_string(repository().join("infra/plan.schema.json")).unwrap();
    assert_eq!(run.stdout, committed);
    assert_eq!(run.code, 0);
}
