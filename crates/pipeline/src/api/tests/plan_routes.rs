//! Plans: put, get, list, delete, and what a put refuses.

use super::*;

#[tokio::test]
async fn a_plan_is_created_replaced_read_listed_and_deleted() {
    let world = World::new();
    let created = world.call("PUT", "/plans/billing", Some(BILLING)).await;
    assert_eq!(created.status, 201, "{:?}", created.body);
    assert_eq!(
        body(&created),
        &json!({"name": "billing", "waves": 2, "updated_at": "2025-09-30T10:00:00Z", "updated_by": CALLER})
    );
    let stored = world.plans.stored("billing").unwrap();
    assert_eq!(stored.updated_by, CALLER);
    assert_eq!(stored.plan, plan::parse(BILLING).unwrap());

    // JSON works too, and a second put replaces.
    let json_plan = serde_json::to_string(&stored.plan).unwrap();
    let mut replace = request("PUT", "/plans/billing", Some(&json_plan));
    replace.content_type = Some("application/json; charset=utf-8".to_owned());
    assert_eq!(world.call_with(replace).await.status, 200);
    let shop = BILLING.replace("name: billing", "name: shop");
    let mut yaml = request("PUT", "/plans/shop", Some(&shop));
    yaml.content_type = Some("text/yaml".to_owned());
    assert_eq!(world.call_with(yaml).await.status, 201);

    let got = world.call("GET", "/plans/billing", None).await;
    assert_eq!(got.status, 200);
    assert_eq!(body(&got)["name"], "billing");
    assert_eq!(body(&got)["plan"]["waves"][1]["name"], "app");
    assert_eq!(body(&got)["updated_by"], CALLER);

    let listed = world.call("GET", "/plans", None).await;
    assert_eq!(listed.status, 200);
    let names: Vec<&str> = body(&listed)["plans"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["billing", "shop"]);
    assert_eq!(body(&listed)["plans"][0]["waves"], 2);

    let deleted = world.call("DELETE", "/plans/billing", None).await;
    assert_eq!((deleted.status, deleted.body), (204, None));
    let again = world.call("DELETE", "/plans/billing", None).await;
    assert_eq!((again.status, error_code(&again)), (404, "not_found"));
    let gone = world.call("GET", "/plans/billing", None).await;
    assert_eq!(gone.status, 404);
}

#[tokio::test]
async fn an_invalid_plan_is_refused_with_every_problem_and_its_position() {
    let world = World::new();
    let broken = BILLING.replace("groups: [app]", "groups: [ap]");
    let response = world.call("PUT", "/plans/billing", Some(&broken)).await;
    assert_eq!(
        (response.status, error_code(&response)),
        (400, "invalid_plan")
    );
    let diagnostics = plan::parse(&broken).unwrap_err();
    let errors = body(&response)["errors"].as_array().unwrap();
    assert_eq!(errors.len(), diagnostics.len());
    let first = &diagnostics[0];
    let position = first.position.unwrap();
    assert_eq!(errors[0]["path"], first.path.as_str());
    assert_eq!(errors[0]["line"], position.line);
    assert_eq!(errors[0]["column"], position.column);
    assert_eq!(errors[0]["message"], first.message.as_str());
    assert_eq!(errors[0]["path"], "waves[1].groups[0]");
    let message = body(&response)["message"].as_str().unwrap();
    assert!(message.contains(&first.to_string()), "{message}");
    assert!(world.plans.stored("billing").is_none());

    let syntax = world.call("PUT", "/plans/billing", Some("name: [")).await;
    assert_eq!(error_code(&syntax), "invalid_plan");
    assert!(
        body(&syntax)["errors"][0]["line"].is_number(),
        "{:?}",
        syntax.body
    );
}

#[tokio::test]
async fn a_put_must_name_the_plan_it_carries_in_a_media_type_the_api_reads() {
    let world = World::new();
    let other = world.call("PUT", "/plans/shop", Some(BILLING)).await;
    assert_eq!((other.status, error_code(&other)), (400, "invalid_request"));
    assert!(
        body(&other)["message"]
            .as_str()
            .unwrap()
            .contains("`billing`")
    );

    let mut xml = request("PUT", "/plans/billing", Some(BILLING));
    xml.content_type = Some("application/xml".to_owned());
    let refused = world.call_with(xml).await;
    assert_eq!(
        (refused.status, error_code(&refused)),
        (415, "unsupported_media_type")
    );

    let mut not_json = request("PUT", "/plans/billing", Some(BILLING));
    not_json.content_type = Some("application/json".to_owned());
    assert_eq!(
        error_code(&world.call_with(not_json).await),
        "invalid_request"
    );

    let empty = world.call("PUT", "/plans/billing", Some("  ")).await;
    assert_eq!(error_code(&empty), "invalid_request");
    assert!(world.plans.stored("billing").is_none());
}

#[tokio::test]
async fn the_put_records_when_and_by_whom_through_the_port() {
    // The fake keeps what the port was given: the router passes the caller and its time.
    let world = World::new();
    let response = world.call("PUT", "/plans/billing", Some(BILLING)).await;
    assert_eq!(response.status, 201);
    let stored: StoredPlan = world.plans.stored("billing").unwrap();
    assert_eq!(
        (stored.updated_at, stored.updated_by.as_str()),
        (now(), CALLER)
    );
}

#[tokio::test]
async fn a_plan_too_big_for_one_item_is_refused_before_it_is_stored() {
    let world = World::new();
    let servers = |count: usize| {
        (1..=count)
            .map(|i| format!("s-{i:017x}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let plan = |count: usize| {
        format!(
            "name: huge\nprotection_groups:\n  all: {{ servers: [{}] }}\nwaves:\n  - {{ name: all, groups: [all] }}\n",
            servers(count)
        )
    };
    let big = world.call("PUT", "/plans/huge", Some(&plan(20_000))).await;
    assert_eq!(
        (big.status, error_code(&big)),
        (400, "invalid_request"),
        "{:?}",
        big.body
    );
    let message = body(&big)["message"].as_str().unwrap();
    assert!(
        message.contains("plan `huge` is") && message.contains("400 KB"),
        "{message}"
    );
    assert_eq!(world.call("GET", "/plans/huge", None).await.status, 404);
    // A large plan that fits is stored.
    let fits = world.call("PUT", "/plans/huge", Some(&plan(3_000))).await;
    assert_eq!(fits.status, 201, "{:?}", fits.body);
}

#[tokio::test]
async fn external_ids_are_never_shown_and_the_placeholder_is_never_stored() {
    let world = World::new();
    let text = BILLING.replace(
        "protection_groups:\n  db: { servers: [s-00000000000000001] }",
        "targets:\n  dr:\n    account_id: \"111122223333\"\n    region: us-east-1\n    \
         role_arn: arn:aws:iam::111122223333:role/drs-orchestrator-target\n    \
         external_id: billing-dr-secret\n  plain: { account_id: \"444455556666\", region: us-east-1 }\n\
         protection_groups:\n  db: { servers: [s-00000000000000001], target: dr }",
    );
    let created = world.call("PUT", "/plans/billing", Some(&text)).await;
    assert_eq!(created.status, 201, "{:?}", created.body);

    let got = world.call("GET", "/plans/billing", None).await;
    assert_eq!(got.status, 200);
    let shown = &body(&got)["plan"];
    assert_eq!(shown["targets"]["dr"]["external_id"], REDACTED_EXTERNAL_ID);
    assert_eq!(
        shown["targets"]["dr"]["role_arn"],
        "arn:aws:iam::111122223333:role/drs-orchestrator-target"
    );
    assert!(shown["targets"]["plain"].get("external_id").is_none());
    assert!(
        !got.body
            .as_ref()
            .unwrap()
            .to_string()
            .contains("billing-dr-secret"),
        "{:?}",
        got.body
    );
    let listed = world.call("GET", "/plans", None).await;
    assert!(
        !listed
            .body
            .unwrap()
            .to_string()
            .contains("billing-dr-secret")
    );

    // Applying what GET answered back is refused, saying why; the stored plan keeps its ID.
    let round_trip = shown.to_string();
    for (content_type, text) in [
        ("application/json", round_trip.clone()),
        (
            "application/yaml",
            text.replace("billing-dr-secret", "\"***\""),
        ),
    ] {
        let mut put = request("PUT", "/plans/billing", Some(&text));
        put.content_type = Some(content_type.to_owned());
        let refused = world.call_with(put).await;
        assert_eq!(
            (refused.status, error_code(&refused)),
            (400, "invalid_plan"),
            "{content_type}: {:?}",
            refused.body
        );
        let errors = body(&refused)["errors"].as_array().unwrap();
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert_eq!(errors[0]["path"], "targets.dr.external_id");
        let message = errors[0]["message"].as_str().unwrap();
        assert!(
            message.contains("stands for the stored external ID")
                && message.contains("put the real external ID"),
            "{message}"
        );
        assert!(
            body(&refused)["message"]
                .as_str()
                .unwrap()
                .contains("stands for the stored external ID")
        );
    }
    let stored = world.plans.stored("billing").unwrap().plan;
    assert_eq!(
        stored.targets["dr"].external_id.as_deref(),
        Some("billing-dr-secret")
    );

    // With the real external ID put back, the round trip stores the same plan.
    let restored = round_trip.replace("\"***\"", "\"billing-dr-secret\"");
    let replaced = world.call("PUT", "/plans/billing", Some(&restored)).await;
    assert_eq!(replaced.status, 200, "{:?}", replaced.body);
    assert_eq!(world.plans.stored("billing").unwrap().plan, stored);
}
