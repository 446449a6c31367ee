//! Hostile plan texts: each must give a positioned error naming the limit, never a crash, and a
//! bounded list of problems. They run on test threads, whose stack (2 MB) is smaller than a
//! main thread's, so a recursion left anywhere would show here first.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use plan::limits::{MAX_DEPTH, MAX_DIAGNOSTICS, MAX_VALUES};
use plan::{Diagnostics, Position};

const SERVER: &str = "s-1234567890abcdef0";

fn problems(text: &str) -> Diagnostics {
    plan::parse(text).expect_err("a hostile plan must be refused")
}

/// The only problem `text` gives, as `LINE:COL: message`.
fn only(text: &str) -> String {
    let found = problems(text);
    assert_eq!(found.len(), 1, "{found}");
    let problem = &found[0];
    assert!(problem.position.is_some(), "{problem}");
    problem.to_string()
}

fn assert_too_deep(text: &str, at: Position) {
    assert_eq!(
        only(text),
        format!(
            "{at}: lists and mappings are nested more than {MAX_DEPTH} levels deep here; \
             a plan needs far fewer"
        )
    );
}

#[test]
fn ten_thousand_nested_block_lists_are_refused_where_they_pass_the_limit() {
    // The reproduction: 20 KB that overflowed the stack.
    let text = format!("name: x\nwaves:\n{}x\n", "- ".repeat(10_000));
    // The mapping is level 1 and the list of `waves` level 2, at column 1; each `- ` opens the
    // next level two columns further.
    assert_too_deep(&text, Position::new(3, 1 + 2 * (MAX_DEPTH - 1)));
}

#[test]
fn nested_flow_lists_are_refused_where_they_pass_the_limit() {
    let n = 100;
    let text = format!("name: x\nwaves: {}{}\n", "[".repeat(n), "]".repeat(n));
    assert_too_deep(&text, Position::new(2, 8 + MAX_DEPTH - 1));
}

#[test]
fn a_hundred_thousand_nested_flow_collections_are_refused() {
    // saphyr's scanner reads ahead through brackets and stops at 255 levels, before the
    // tree is deep enough for the limit here: its position, with a message saying both limits.
    let n = 100_000;
    let expected = |at: &str| {
        format!(
            "{at}: invalid YAML: brackets are nested more than 255 levels deep here, where the \
             parser stops; a plan may nest lists and mappings {MAX_DEPTH} levels deep"
        )
    };
    let text = format!("name: x\nwaves: {}{}\n", "[".repeat(n), "]".repeat(n));
    assert_eq!(only(&text), expected("2:263"));
    // A text starting with `[` is YAML, not JSON.
    let text = format!("{}{}", "[".repeat(n), "]".repeat(n));
    assert_eq!(only(&text), expected("1:256"));
    // Keys end the read-ahead, so nested flow mappings meet the limit here.
    let text = format!("name: x\nwaves: {}\n", "{a: ".repeat(n));
    assert_too_deep(&text, Position::new(2, 8 + 4 * (MAX_DEPTH - 1)));
}

#[test]
fn a_hundred_thousand_nested_json_arrays_and_objects_are_refused() {
    let n = 100_000;
    let text = format!(
        "{{\"name\": \"x\", \"waves\": {}{}}}",
        "[".repeat(n),
        "]".repeat(n)
    );
    assert_too_deep(&text, Position::new(1, 24 + MAX_DEPTH - 1));

    let text = format!(
        "{{\"name\": \"x\",\n\"waves\": {}1{}}}",
        "{\"a\": ".repeat(n),
        "}".repeat(n)
    );
    // `{"a": ` is 6 characters; the first is at column 10 of line 2, level 2.
    assert_too_deep(&text, Position::new(2, 10 + 6 * (MAX_DEPTH - 1)));

    // Unbalanced, so not JSON at all: the depth is still what is reported, and first.
    assert_too_deep(&"{".repeat(n), Position::new(1, MAX_DEPTH + 1));
}

#[test]
fn exactly_the_deepest_nesting_allowed_is_read() {
    let levels = MAX_DEPTH - 1; // below the top-level mapping
    assert_not_too_deep(&format!(
        "x: {}{}\n",
        "[".repeat(levels),
        "]".repeat(levels)
    ));
    assert_not_too_deep(&format!(
        "{{\"x\": {}{}}}",
        "[".repeat(levels),
        "]".repeat(levels)
    ));
}

#[test]
fn brackets_inside_json_strings_are_not_nesting() {
    assert_not_too_deep(&format!(
        "{{\"name\": \"{}\\\"{}\"}}",
        "[".repeat(1000),
        "{".repeat(1000)
    ));
}

/// `text` is refused (it is no plan), but not for its depth.
fn assert_not_too_deep(text: &str) {
    let found = problems(text);
    assert!(
        found.iter().all(|d| !d.message.contains("levels deep")),
        "{found}"
    );
}

#[test]
fn a_billion_laughs_is_refused_before_it_is_expanded() {
    let mut text = String::from("name: x\na0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
    for i in 1..10 {
        let aliases = vec![format!("*a{}", i - 1); 9].join(", ");
        text.push_str(&format!("a{i}: &a{i} [{aliases}]\n"));
    }
    let found = only(&text);
    assert!(
        found.ends_with(&format!(
            "with its aliases expanded (each alias copies its anchor's values), the plan holds \
             more than {MAX_VALUES} values; a plan is much smaller"
        )),
        "{found}"
    );
    // 9^5 values are reached in `a5`, line 7.
    assert!(found.starts_with("7:"), "{found}");
}

#[test]
fn aliases_cannot_nest_deeper_than_the_limit() {
    // Each anchor wraps the previous one in 40 more lists: every anchor alone is shallow, but
    // the second alias would already put values 80 levels deep.
    let wrap = |inner: &str| format!("{}{inner}{}", "[".repeat(40), "]".repeat(40));
    let mut text = String::from("a0: &a0 x\n");
    for i in 1..1000 {
        text.push_str(&format!("a{i}: &a{i} {}\n", wrap(&format!("*a{}", i - 1))));
    }
    let found = only(&text);
    assert!(
        found.starts_with(
            "3:49: this alias puts its anchor's lists and mappings more than 64 levels deep"
        ),
        "{found}"
    );
}

#[test]
fn too_many_values_without_aliases_are_refused() {
    let items = vec!["1"; MAX_VALUES + 1].join(",");
    for text in [
        format!("name: x\nwaves: [{items}]\n"),
        format!("{{\"name\": \"x\", \"waves\": [{items}]}}"),
    ] {
        let found = only(&text);
        assert!(
            found.contains(&format!(
                "the plan holds more than {MAX_VALUES} values; a plan is much smaller"
            )),
            "{found}"
        );
    }
}

/// 12,000 copies of one server ID: one problem per copy after the first.
fn duplicate_servers() -> String {
    format!(
        "name: x\nprotection_groups:\n  db: {{ servers: [{}] }}\nwaves:\n  - {{ name: w, groups: [db] }}\n",
        vec![SERVER; 12_000].join(", ")
    )
}

#[test]
fn twelve_thousand_duplicate_servers_give_the_first_problems_and_a_count() {
    let found = problems(&duplicate_servers());
    assert_eq!(found.len(), MAX_DIAGNOSTICS + 1);
    assert_eq!(found.omitted(), 11_999 - MAX_DIAGNOSTICS);
    assert!(found[0].message.contains("is listed twice in this group"));
    assert_eq!(found[0].path, "protection_groups.db.servers[1]");
    let last = found.last().unwrap();
    assert_eq!(
        last.to_string(),
        "and 11899 more problems, not listed; fix the ones above first"
    );
    assert!(found.to_string().len() < 100_000);
}

#[test]
fn a_typed_plan_with_thousands_of_problems_is_capped_too() {
    // What the HTTP API validates: no text, so no positions.
    let text = format!(
        "name: x\nprotection_groups:\n  db: {{ servers: [{SERVER}] }}\nwaves:\n  - {{ name: w, groups: [db] }}\n"
    );
    let mut typed = plan::parse(&text).unwrap();
    typed.protection_groups.get_mut("db").unwrap().servers = vec![SERVER.to_owned(); 12_000];
    let found = plan::validate(&typed).unwrap_err();
    assert_eq!(found.len(), MAX_DIAGNOSTICS + 1);
    assert_eq!(found.omitted(), 11_999 - MAX_DIAGNOSTICS);
}
