#![allow(clippy::unwrap_used)]

use engine::RECOVERY_CONFIRMATION;

use super::*;

#[test]
fn round_trips_every_kind() {
    let messages = vec![
        Message::StartExecution {
            execution_id: Some("exec-1".into()),
            plan: PlanSource::Stored {
                plan_name: "billing".into(),
            },
            mode: Mode::Drill,
            confirm: None,
            requested_by: "cli".into(),
        },
        Message::Resume {
            execution_id: "exec-1".into(),
            wave: 1,
            attempt: 1,
        },
        Message::Check {
            execution_id: "exec-1".into(),
            wave: 0,
            attempt: 1,
            token: Token(3),
        },
        Message::Cancel {
            execution_id: "exec-1".into(),
            by: "alice".into(),
            reason: "wrong plan".into(),
        },
    ];
    for message in messages {
        let body = encode(&message);
        assert!(body.starts_with("{\"v\":1,"), "{body}");
        let kind = format!("\"kind\":\"{}\"", message.kind());
        assert!(body.contains(&kind), "{body} lacks {kind}");
        assert_eq!(decode(&body).unwrap(), message);
    }
}

#[test]
fn a_start_request_names_its_plan_once_and_misspelt_fields_are_refused() {
    let stored = r#"{"v":1,"kind":"start_execution","plan_name":"billing","mode":"recovery","confirm":"RECOVERY","requested_by":"cli"}"#;
    assert!(matches!(
        decode(stored).unwrap(),
        Message::StartExecution { plan: PlanSource::Stored { plan_name }, confirm: Some(c), .. }
            if plan_name == "billing" && c == RECOVERY_CONFIRMATION
    ));
    let inline = Message::StartExecution {
        execution_id: None,
        plan: PlanSource::Inline {
            plan: serde_json::from_str(
                r#"{"name":"p","protection_groups":{"g":{"servers":["s-00000000000000001"]}},
                    "waves":[{"name":"w","groups":["g"]}]}"#,
            )
            .unwrap(),
        },
        mode: Mode::Drill,
        confirm: None,
        requested_by: "api".into(),
    };
    assert_eq!(decode(&encode(&inline)).unwrap(), inline);
    let misspelt = stored.replace("\"confirm\"", "\"confrim\"");
    assert!(
        decode(&misspelt)
            .unwrap_err()
            .to_string()
            .contains("confrim")
    );
    let both = stored.replace(
        "\"plan_name\":\"billing\"",
        "\"plan_name\":\"billing\",\"plan\":{}",
    );
    assert!(decode(&both).is_err());
    let neither = stored.replace("\"plan_name\":\"billing\",", "");
    assert!(
        decode(&neither)
            .unwrap_err()
            .to_string()
            .contains("missing the plan")
    );
}

#[test]
fn rejects_other_versions_and_garbage() {
    let future = r#"{"v":2,"kind":"check","execution_id":"e","wave":0,"attempt":1,"token":1}"#;
    assert!(matches!(
        decode(future),
        Err(MessageError::UnsupportedVersion { found: 2 })
    ));
    assert!(matches!(
        decode("not json"),
        Err(MessageError::Malformed(_))
    ));
    let unknown = r#"{"v":1,"kind":"explode","execution_id":"e"}"#;
    assert!(decode(unknown).is_err());
}
