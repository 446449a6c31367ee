//! Hostile plans sent to `PUT /plans/{name}`: a 400 saying what is wrong, small enough for
//! Lambda's response limit, and the process still answers.

use super::*;

const SERVER: &str = "s-00000000000000001";

fn hostile_plans() -> Vec<(&'static str, String)> {
    let mut laughs =
        String::from("name: x\na0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
    for i in 1..10 {
        let aliases = vec![format!("*a{}", i - 1); 9].join(", ");
        laughs.push_str(&format!("a{i}: &a{i} [{aliases}]\n"));
    }
    vec![
        (
            "10,000-deep block YAML",
            format!("name: x\nwaves:\n{}x\n", "- ".repeat(10_000)),
        ),
        (
            "100,000-deep flow YAML",
            format!(
                "name: x\nwaves: {}{}\n",
                "[".repeat(100_000),
                "]".repeat(100_000)
            ),
        ),
        (
            "100,000-deep JSON",
            format!(
                "{{\"name\": \"x\", \"waves\": {}{}}}",
                "[".repeat(100_000),
                "]".repeat(100_000)
            ),
        ),
        (
            "12,000 duplicate servers",
            format!(
                "name: x\nprotection_groups:\n  db: {{ servers: [{}] }}\nwaves:\n  - {{ name: w, groups: [db] }}\n",
                vec![SERVER; 12_000].join(", ")
            ),
        ),
        ("a billion laughs", laughs),
    ]
}

#[tokio::test]
async fn hostile_plans_get_a_small_400_and_the_router_keeps_answering() {
    let world = World::new();
    for (what, text) in hostile_plans() {
        let response = world.call("PUT", "/plans/x", Some(&text)).await;
        assert_eq!(response.status, 400, "{what}: {:?}", response.body);
        assert!(
            matches!(error_code(&response), "invalid_plan" | "invalid_request"),
            "{what}: {}",
            error_code(&response)
        );
        let size = serde_json::to_string(&response.body).unwrap().len();
        assert!(size < 100 * 1024, "{what}: a {size}-byte answer");
    }
    // The duplicates' answer counts every problem, not only those it lists.
    let (_, duplicates) = &hostile_plans()[3];
    let response = world.call("PUT", "/plans/x", Some(duplicates)).await;
    let message = body(&response)["message"].as_str().unwrap();
    assert!(message.contains("11999 problems"), "{message}");
    // Still serving.
    world.plans.put(plan::parse(BILLING).unwrap());
    let ok = world.call("GET", "/plans/billing", None).await;
    assert_eq!(ok.status, 200);
}
