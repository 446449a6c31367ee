//! The shapes of the strings in a plan: names, IDs, ARNs, regions, tags.
//!
//! Each shape has a check, whose error says what is wrong and what is allowed instead, and,
//! where a regular expression can say it, the pattern put into the JSON Schema so that editors
//! catch the same mistakes. A test holds each pattern and its check to the same verdicts.

use crate::limits::{
    EXTERNAL_ID_CHARS, MAX_NAME_CHARS, MAX_SSM_PARAMETER_NAME_CHARS, MAX_SSM_PARAMETER_VALUES,
    MAX_TAG_KEY_CHARS, MAX_TAG_VALUE_CHARS, SSM_DOCUMENT_CHARS, SSM_PARAMETER_VALUE_CHARS,
};

/// Names of plans, waves, targets and protection groups.
pub(crate) const NAME_PATTERN: &str = "^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$";
/// DRS source server IDs.
pub(crate) const SERVER_ID_PATTERN: &str = "^s-[0-9a-f]{17}$";
/// AWS account IDs.
pub(crate) const ACCOUNT_ID_PATTERN: &str = "^[0-9]{12}$";
/// AWS regions: `us-east-1`, `eu-central-2`, `us-gov-west-1`, `eusc-de-east-1`.
pub(crate) const REGION_PATTERN: &str = "^[a-z]{2,4}(-[a-z]+){1,3}-[0-9]{1,2}$";
/// IAM role ARNs, with an optional path.
pub(crate) const ROLE_ARN_PATTERN: &str =
    "^arn:aws(-[a-z]+)*:iam::[0-9]{12}:role/([!-.0-~]+/)*[A-Za-z0-9_+=,.@-]{1,64}$";
/// `sts:ExternalId`.
pub(crate) const EXTERNAL_ID_PATTERN: &str = "^[A-Za-z0-9_+=,.@:/-]{2,1224}$";
/// SSM Automation document names or ARNs.
pub(crate) const SSM_DOCUMENT_PATTERN: &str = "^[A-Za-z0-9_.:/-]{3,128}$";
/// SSM document versions: `$LATEST`, `$DEFAULT` or a version number.
pub(crate) const SSM_DOCUMENT_VERSION_PATTERN: &str = "^([$]LATEST|[$]DEFAULT|[1-9][0-9]{0,8})$";
/// Lambda function ARNs, with an optional version or alias.
pub(crate) const LAMBDA_ARN_PATTERN: &str = "^arn:aws(-[a-z]+)*:lambda:[a-z]{2,4}(-[a-z]+){1,3}-[0-9]{1,2}:[0-9]{12}:function:[A-Za-z0-9_-]{1,64}(:([$]LATEST|[A-Za-z0-9_-]{1,128}))?$";

const NAME_RULE: &str = "use 1 to 63 lowercase letters a-z, digits 0-9 and `-`, \
                         not starting or ending with `-`";
const SERVER_ID_RULE: &str = "expected `s-` and 17 lowercase hex digits, like s-1234567890abcdef0";
const ACCOUNT_ID_RULE: &str = "expected exactly 12 digits, like \"111122223333\"";
const REGION_RULE: &str = "expected an AWS region like us-east-1, eu-central-2 or us-gov-west-1";
const ROLE_ARN_RULE: &str = "expected arn:<partition>:iam::<12-digit account>:role/<optional path/><role name>, \
                             like arn:aws:iam::111122223333:role/drs-orchestrator-target";
const LAMBDA_ARN_RULE: &str = "expected arn:<partition>:lambda:<region>:<12-digit account>:function:<name>[:<version or alias>], \
                               like arn:aws:lambda:us-east-1:111122223333:function:smoke-test";

fn invalid(value: &str, what: &str, reason: &str, rule: &str) -> String {
    format!("{value:?} is not a valid {what}: {reason}; {rule}")
}

fn count(s: &str) -> usize {
    s.chars().count()
}

/// "it is 1 character long", "it is 70 characters long".
fn length_of(s: &str) -> String {
    match count(s) {
        1 => "it is 1 character long".to_owned(),
        n => format!("it is {n} characters long"),
    }
}

/// A plan, wave, target or protection group name; `what` names which, for the message.
pub fn check_name(value: &str, what: &str) -> Result<(), String> {
    let reason = if value.is_empty() {
        "it is empty".to_owned()
    } else if count(value) > MAX_NAME_CHARS {
        length_of(value)
    } else if let Some(c) = value
        .chars()
        .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-'))
    {
        if c.is_ascii_uppercase() {
            format!("`{c}` is uppercase")
        } else {
            format!("{c:?} is not allowed")
        }
    } else if value.starts_with('-') {
        "it starts with `-`".to_owned()
    } else if value.ends_with('-') {
        "it ends with `-`".to_owned()
    } else {
        return Ok(());
    };
    Err(invalid(value, what, &reason, NAME_RULE))
}

/// A DRS source server ID.
pub(crate) fn check_server_id(value: &str) -> Result<(), String> {
    let what = "source server ID";
    let Some(hex) = value.strip_prefix("s-") else {
        return Err(invalid(
            value,
            what,
            "it does not start with `s-`",
            SERVER_ID_RULE,
        ));
    };
    let reason = if let Some(c) = hex.chars().find(|c| !c.is_ascii_hexdigit()) {
        format!("{c:?} is not a hex digit")
    } else if hex.chars().any(|c| c.is_ascii_uppercase()) {
        "hex digits must be lowercase".to_owned()
    } else if hex.len() != 17 {
        format!("it has {} hex digits after `s-`, not 17", hex.len())
    } else {
        return Ok(());
    };
    Err(invalid(value, what, &reason, SERVER_ID_RULE))
}

/// A 12-digit AWS account ID.
pub(crate) fn check_account_id(value: &str) -> Result<(), String> {
    let reason = if let Some(c) = value.chars().find(|c| !c.is_ascii_digit()) {
        format!("{c:?} is not a digit")
    } else if value.len() != 12 {
        format!("it has {} digits", value.len())
    } else {
        return Ok(());
    };
    Err(invalid(value, "AWS account ID", &reason, ACCOUNT_ID_RULE))
}

/// An AWS region name.
pub(crate) fn check_region(value: &str) -> Result<(), String> {
    if is_region(value) {
        return Ok(());
    }
    let reason = if value.chars().any(|c| c.is_ascii_uppercase()) {
        "regions are lowercase"
    } else {
        "it does not have the shape <area>-<direction>-<number>"
    };
    Err(invalid(value, "AWS region", reason, REGION_RULE))
}

fn is_region(value: &str) -> bool {
    let parts: Vec<&str> = value.split('-').collect();
    let [first, middle @ .., last] = parts.as_slice() else {
        return false;
    };
    (2..=4).contains(&first.len())
        && first.chars().all(|c| c.is_ascii_lowercase())
        && (1..=3).contains(&middle.len())
        && middle
            .iter()
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_lowercase()))
        && (1..=2).contains(&last.len())
        && last.chars().all(|c| c.is_ascii_digit())
}

/// `aws`, `aws-cn`, `aws-us-gov`, `aws-iso-b`...
fn is_partition(value: &str) -> bool {
    value.strip_prefix("aws").is_some_and(|rest| {
        rest.is_empty()
            || rest.strip_prefix('-').is_some_and(|rest| {
                rest.split('-')
                    .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_lowercase()))
            })
    })
}

fn is_iam_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "_+=,.@-".contains(c)
}

/// An IAM role ARN.
pub(crate) fn check_role_arn(value: &str) -> Result<(), String> {
    let what = "IAM role ARN";
    let fail = |reason: &str| Err(invalid(value, what, reason, ROLE_ARN_RULE));
    let parts: Vec<&str> = value.splitn(6, ':').collect();
    let [arn, partition, service, region, account, resource] = parts.as_slice() else {
        return fail("it does not have the six `:`-separated parts of an ARN");
    };
    if *arn != "arn" {
        return fail("it does not start with `arn:`");
    }
    if !is_partition(partition) {
        return fail(&format!(
            "{partition:?} is not an AWS partition (aws, aws-cn, aws-us-gov, ...)"
        ));
    }
    if *service != "iam" {
        return fail(&format!("it is a `{service}` ARN, not an `iam` one"));
    }
    if !region.is_empty() {
        return fail("IAM ARNs have no region: the fourth part must be empty (`iam::`)");
    }
    if check_account_id(account).is_err() {
        return fail(&format!("the account {account:?} is not 12 digits"));
    }
    let Some(role) = resource.strip_prefix("role/") else {
        let kind = resource.split('/').next().unwrap_or_default();
        return fail(&format!("it names a `{kind}`, not a `role/`"));
    };
    let (path, name) = role.rsplit_once('/').unwrap_or(("", role));
    if name.is_empty() || count(name) > 64 {
        return fail("the role name must be 1 to 64 characters");
    }
    if let Some(c) = name.chars().find(|c| !is_iam_name_char(*c)) {
        return fail(&format!(
            "{c:?} is not allowed in a role name (letters, digits and _+=,.@-)"
        ));
    }
    let bad_segment = |s: &str| s.is_empty() || !s.chars().all(|c| c.is_ascii_graphic());
    if !path.is_empty() && path.split('/').any(bad_segment) {
        return fail("the role path must be `/`-separated non-empty parts of printable ASCII");
    }
    Ok(())
}

/// The account of a well-formed role ARN.
pub(crate) fn role_arn_account(value: &str) -> Option<&str> {
    check_role_arn(value).ok()?;
    value.split(':').nth(4)
}

/// An `sts:ExternalId`.
pub(crate) fn check_external_id(value: &str) -> Result<(), String> {
    let (min, max) = EXTERNAL_ID_CHARS;
    let rule = format!("expected {min} to {max} characters of letters, digits and _+=,.@:/-");
    let reason = if !(min..=max).contains(&count(value)) {
        length_of(value)
    } else if let Some(c) = value
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || "_+=,.@:/-".contains(*c)))
    {
        format!("{c:?} is not allowed")
    } else {
        return Ok(());
    };
    Err(invalid(value, "external ID", &reason, &rule))
}

/// A tag key DRS accepts.
pub(crate) fn check_tag_key(key: &str) -> Result<(), String> {
    let n = count(key);
    if (1..=MAX_TAG_KEY_CHARS).contains(&n) {
        Ok(())
    } else {
        Err(format!(
            "the tag key is {n} characters long; DRS tag keys have 1 to {MAX_TAG_KEY_CHARS} characters"
        ))
    }
}

/// A tag value DRS accepts.
pub(crate) fn check_tag_value(value: &str) -> Result<(), String> {
    let n = count(value);
    if n <= MAX_TAG_VALUE_CHARS {
        Ok(())
    } else {
        Err(format!(
            "the tag value is {n} characters long; DRS tag values have 0 to {MAX_TAG_VALUE_CHARS} characters"
        ))
    }
}

/// An SSM Automation document name or ARN.
pub(crate) fn check_ssm_document(value: &str) -> Result<(), String> {
    let (min, max) = SSM_DOCUMENT_CHARS;
    let rule = format!(
        "expected an SSM document name or ARN of {min} to {max} characters: letters, digits and _.:/-"
    );
    let reason = if !(min..=max).contains(&count(value)) {
        length_of(value)
    } else if let Some(c) = value
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || "_.:/-".contains(*c)))
    {
        format!("{c:?} is not allowed")
    } else {
        return Ok(());
    };
    Err(invalid(value, "SSM document name", &reason, &rule))
}

/// An SSM document version: `$LATEST`, `$DEFAULT` or a version number.
pub(crate) fn check_ssm_document_version(value: &str) -> Result<(), String> {
    let number = value.len() <= 9
        && value.starts_with(|c: char| ('1'..='9').contains(&c))
        && value.chars().all(|c| c.is_ascii_digit());
    if number || value == "$LATEST" || value == "$DEFAULT" {
        Ok(())
    } else {
        Err(format!(
            "{value:?} is not a valid SSM document version; expected $LATEST, $DEFAULT or a \
             version number like \"3\" (quoted)"
        ))
    }
}

/// An SSM Automation parameter name.
pub(crate) fn check_ssm_parameter_name(name: &str) -> Result<(), String> {
    let n = count(name);
    if (1..=MAX_SSM_PARAMETER_NAME_CHARS).contains(&n) {
        Ok(())
    } else {
        Err(format!(
            "the parameter name is {n} characters long; SSM allows 1 to {MAX_SSM_PARAMETER_NAME_CHARS}"
        ))
    }
}

/// The values of one SSM Automation parameter.
pub(crate) fn check_ssm_parameter_values(values: &[String]) -> Result<(), String> {
    if values.len() > MAX_SSM_PARAMETER_VALUES {
        return Err(format!(
            "the parameter has {} values; SSM allows at most {MAX_SSM_PARAMETER_VALUES}",
            values.len()
        ));
    }
    Ok(())
}

/// One value of an SSM Automation parameter.
pub(crate) fn check_ssm_parameter_value(value: &str) -> Result<(), String> {
    let (min, max) = SSM_PARAMETER_VALUE_CHARS;
    let n = count(value);
    if (min..=max).contains(&n) {
        Ok(())
    } else {
        Err(format!(
            "the value is {n} characters long; SSM parameter values have {min} to {max} characters"
        ))
    }
}

/// A Lambda function ARN.
pub(crate) fn check_lambda_arn(value: &str) -> Result<(), String> {
    let what = "Lambda function ARN";
    let fail = |reason: &str| Err(invalid(value, what, reason, LAMBDA_ARN_RULE));
    let parts: Vec<&str> = value.split(':').collect();
    if parts.len() < 7 || parts.len() > 8 {
        return fail("it does not have the 7 or 8 `:`-separated parts of a function ARN");
    }
    let (arn, partition, service, region, account, kind, name) = (
        parts[0], parts[1], parts[2], parts[3], parts[4], parts[5], parts[6],
    );
    if arn != "arn" {
        return fail("it does not start with `arn:`");
    }
    if !is_partition(partition) {
        return fail(&format!(
            "{partition:?} is not an AWS partition (aws, aws-cn, aws-us-gov, ...)"
        ));
    }
    if service != "lambda" {
        return fail(&format!("it is a `{service}` ARN, not a `lambda` one"));
    }
    if !is_region(region) {
        return fail(&format!("{region:?} is not an AWS region"));
    }
    if check_account_id(account).is_err() {
        return fail(&format!("the account {account:?} is not 12 digits"));
    }
    if kind != "function" {
        return fail(&format!("it names a `{kind}`, not a `function`"));
    }
    let is_name = |s: &str, max: usize| {
        (1..=max).contains(&s.len())
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    };
    if !is_name(name, 64) {
        return fail("the function name must be 1 to 64 letters, digits, `_` or `-`");
    }
    if let Some(qualifier) = parts.get(7) {
        if *qualifier != "$LATEST" && !is_name(qualifier, 128) {
            return fail("the qualifier must be $LATEST, a version number or an alias name");
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A pattern, its check, strings both must accept and strings both must refuse.
    pub(crate) type Case = (
        &'static str,
        fn(&str) -> Result<(), String>,
        Vec<String>,
        Vec<String>,
    );

    fn strings(values: &[&str]) -> Vec<String> {
        values.iter().map(|v| (*v).to_owned()).collect()
    }

    /// Every check, with its pattern, and strings it must accept and refuse.
    pub(crate) fn cases() -> Vec<Case> {
        vec![
            (
                NAME_PATTERN,
                |v| check_name(v, "name"),
                strings(&["billing", "a", "dr-east", "0", "a1-b2", &"x".repeat(63)]),
                strings(&[
                    "",
                    "Billing",
                    "-a",
                    "a-",
                    "a_b",
                    "a.b",
                    "é",
                    &"x".repeat(64),
                ]),
            ),
            (
                SERVER_ID_PATTERN,
                check_server_id,
                strings(&["s-1234567890abcdef0", "s-0000000000000000a"]),
                strings(&[
                    "s-1234567890ABCDEF0",
                    "s-1234567890abcdef",
                    "s-1234567890abcdef00",
                    "i-1234567890abcdef0",
                    "s-1234567890abcdefg",
                    "",
                ]),
            ),
            (
                ACCOUNT_ID_PATTERN,
                check_account_id,
                strings(&["111122223333", "012345678901"]),
                strings(&["11112222333", "1111222233334", "11112222333a", ""]),
            ),
            (
                REGION_PATTERN,
                check_region,
                strings(&[
                    "us-east-1",
                    "eu-central-2",
                    "us-gov-west-1",
                    "ap-southeast-4",
                    "eusc-de-east-1",
                    "us-isob-east-1",
                    "us-a-b-c-1",
                ]),
                strings(&[
                    "US-EAST-1",
                    "useast1",
                    "us-east",
                    "us-east-1a",
                    "u-east-1",
                    "us--east-1",
                    "east-1",
                    "us-a-b-c-d-1",
                    "us-east-123",
                    "",
                ]),
            ),
            (
                ROLE_ARN_PATTERN,
                check_role_arn,
                strings(&[
                    "arn:aws:iam::111122223333:role/drs-orchestrator-target",
                    "arn:aws-us-gov:iam::111122223333:role/dr/ops/Target+Role@x",
                    "arn:aws-iso-b:iam::111122223333:role/a",
                ]),
                strings(&[
                    "arn:aws:iam::111122223333:user/alice",
                    "arn:aws:iam:us-east-1:111122223333:role/x",
                    "arn:aws:sts::111122223333:role/x",
                    "arn:aws:iam::11112222333:role/x",
                    "arn:azure:iam::111122223333:role/x",
                    "arn:aws:iam::111122223333:role/",
                    "arn:aws:iam::111122223333:role/dr//x",
                    "arn:aws:iam::111122223333:role/bad name",
                    "drs-orchestrator-target",
                ]),
            ),
            (
                EXTERNAL_ID_PATTERN,
                check_external_id,
                strings(&["billing-dr", "ab", "a_b+c=d,e.f@g:h/i-j", &"x".repeat(1224)]),
                strings(&["a", "has space", "é-x", &"x".repeat(1225)]),
            ),
            (
                SSM_DOCUMENT_PATTERN,
                check_ssm_document,
                strings(&[
                    "Check-DB",
                    "AWS-RestartEC2Instance",
                    "arn:aws:ssm:us-east-1:111122223333:document/Check-DB",
                ]),
                strings(&["ab", "Check DB", "Check*", &"x".repeat(129)]),
            ),
            (
                SSM_DOCUMENT_VERSION_PATTERN,
                check_ssm_document_version,
                strings(&["$LATEST", "$DEFAULT", "1", "12", "999999999"]),
                strings(&["", "0", "01", "latest", "$latest", "1.0", "1234567890"]),
            ),
            (
                LAMBDA_ARN_PATTERN,
                check_lambda_arn,
                strings(&[
                    "arn:aws:lambda:us-east-1:111122223333:function:smoke",
                    "arn:aws:lambda:us-east-1:111122223333:function:smoke:$LATEST",
                    "arn:aws:lambda:us-gov-west-1:111122223333:function:smoke_test:prod",
                    "arn:aws:lambda:us-east-1:111122223333:function:smoke:12",
                ]),
                strings(&[
                    "smoke",
                    "arn:aws:lambda:us-east-1:111122223333:layer:smoke",
                    "arn:aws:lambda:useast1:111122223333:function:smoke",
                    "arn:aws:lambda:us-east-1:1111:function:smoke",
                    "arn:aws:s3:us-east-1:111122223333:function:smoke",
                    "arn:aws:lambda:us-east-1:111122223333:function:smo.ke",
                    "arn:aws:lambda:us-east-1:111122223333:function:smoke:a:b",
                ]),
            ),
        ]
    }

    #[test]
    fn checks_accept_and_refuse_as_documented() {
        for (pattern, check, good, bad) in cases() {
            for value in good {
                assert_eq!(check(&value), Ok(()), "{pattern} should accept {value:?}");
            }
            for value in bad {
                let message = check(&value).expect_err(&value);
                assert!(
                    message.contains("expected") || message.contains("use "),
                    "the message for {value:?} says what is allowed: {message}"
                );
            }
        }
    }

    /// The JSON Schema patterns must give the same verdicts as the checks, or editors would
    /// flag valid plans (or miss broken ones).
    #[test]
    fn patterns_agree_with_checks() {
        for (pattern, check, good, bad) in cases() {
            let regex = regex_lite::Regex::new(pattern).unwrap();
            for value in good.iter().chain(&bad) {
                assert_eq!(
                    regex.is_match(value),
                    check(value).is_ok(),
                    "{pattern} and its check disagree on {value:?}"
                );
            }
        }
    }

    #[test]
    fn messages_say_what_is_wrong() {
        let cases: [(Result<(), String>, &str); 9] = [
            (
                check_name("Billing", "plan name"),
                "\"Billing\" is not a valid plan name: `B` is uppercase; use 1 to 63",
            ),
            (check_name("db-", "wave name"), "it ends with `-`"),
            (
                check_server_id("s-1234567890abcdef"),
                "it has 16 hex digits after `s-`, not 17",
            ),
            (
                check_server_id("s-1234567890ABCDEF0"),
                "hex digits must be lowercase",
            ),
            (check_account_id("11112222333"), "it has 11 digits"),
            (
                check_role_arn("arn:aws:iam::111122223333:user/alice"),
                "it names a `user`, not a `role/`",
            ),
            (check_region("US-EAST-1"), "regions are lowercase"),
            (check_tag_key(""), "DRS tag keys have 1 to 128 characters"),
            (
                check_lambda_arn("arn:aws:lambda:us-east-1:111122223333:layer:x"),
                "it names a `layer`, not a `function`",
            ),
        ];
        for (result, expected) in cases {
            let message = result.expect_err(expected);
            assert!(
                message.contains(expected),
                "{message:?} should contain {expected:?}"
            );
        }
    }

    #[test]
    fn role_arn_account_is_the_fifth_part() {
        assert_eq!(
            role_arn_account("arn:aws:iam::111122223333:role/x"),
            Some("111122223333")
        );
        assert_eq!(role_arn_account("arn:aws:iam::1:role/x"), None);
    }

    #[test]
    fn tag_and_ssm_lengths() {
        assert!(check_tag_key(&"k".repeat(128)).is_ok());
        assert!(check_tag_key(&"k".repeat(129)).is_err());
        assert!(check_tag_value("").is_ok());
        assert!(check_tag_value(&"v".repeat(256)).is_ok());
        assert!(check_tag_value(&"v".repeat(257)).is_err());
        assert!(check_ssm_parameter_name(&"p".repeat(50)).is_ok());
        assert!(check_ssm_parameter_name(&"p".repeat(51)).is_err());
        assert!(check_ssm_parameter_name("").is_err());
        assert!(check_ssm_parameter_value("").is_err());
        assert!(check_ssm_parameter_value(&"v".repeat(512)).is_ok());
        assert!(check_ssm_parameter_values(&vec!["v".to_owned(); 51]).is_err());
    }
}
