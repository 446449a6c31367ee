//! Who calls: the access key and region from the SigV4 `Authorization` header (signatures are
//! not verified), and the account that owns the key, from the scenario's static map or from
//! STS `GetCallerIdentity` (moto maps assumed-role keys to their account).

use std::time::Duration;

use crate::error::DrsError;
use crate::http_client;

/// The caller of one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// Access key ID.
    pub access_key: String,
    /// Account that owns the key.
    pub account: String,
    /// Region of the credential scope.
    pub region: String,
}

/// What the `Authorization` header says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credential {
    /// Access key ID.
    pub access_key: String,
    /// Region of the credential scope.
    pub region: String,
}

/// Reads `AWS4-HMAC-SHA256 Credential=KEY/DATE/REGION/SERVICE/aws4_request, ...`.
pub fn parse_authorization(header: Option<&str>) -> Result<Credential, DrsError> {
    let Some(header) = header else {
        return Err(DrsError::MissingAuthenticationToken {
            message: "Missing Authentication Token".to_owned(),
        });
    };
    let invalid = || DrsError::UnrecognizedClient {
        message: format!(
            "The Authorization header is not a SigV4 header with a credential scope: {header}"
        ),
    };
    let rest = header
        .trim()
        .strip_prefix("AWS4-HMAC-SHA256")
        .ok_or_else(invalid)?;
    let scope = rest
        .split(',')
        .map(str::trim)
        .find_map(|part| part.strip_prefix("Credential="))
        .ok_or_else(invalid)?;
    let mut parts = scope.split('/');
    let access_key = parts.next().filter(|k| !k.is_empty()).ok_or_else(invalid)?;
    let _date = parts.next().ok_or_else(invalid)?;
    let region = parts.next().filter(|r| !r.is_empty()).ok_or_else(invalid)?;
    Ok(Credential {
        access_key: access_key.to_owned(),
        region: region.to_owned(),
    })
}

/// Asks STS `GetCallerIdentity` which account owns `access_key`.
pub async fn sts_account(
    endpoint: &str,
    credential: &Credential,
    session_token: Option<&str>,
) -> Result<String, DrsError> {
    let now = jiff::Timestamp::now();
    let date = now.strftime("%Y%m%d").to_string();
    let amz_date = now.strftime("%Y%m%dT%H%M%SZ").to_string();
    let mut headers = vec![
        (
            "content-type",
            "application/x-www-form-urlencoded; charset=utf-8".to_owned(),
        ),
        ("x-amz-date", amz_date),
        (
            "authorization",
            format!(
                "AWS4-HMAC-SHA256 Credential={}/{date}/{}/sts/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature={}",
                credential.access_key,
                credential.region,
                "0".repeat(64)
            ),
        ),
    ];
    if let Some(token) = session_token {
        headers.push(("x-amz-security-token", token.to_owned()));
    }
    let body = b"Action=GetCallerIdentity&Version=2011-06-15".to_vec();
    let failure = |detail: String| DrsError::UnrecognizedClient {
        message: format!(
            "Could not resolve the account of access key {} with STS at {endpoint}: {detail}",
            credential.access_key
        ),
    };
    let reply = http_client::post(endpoint, &headers, body, Duration::from_secs(5))
        .await
        .map_err(|e| failure(e.to_string()))?;
    let text = String::from_utf8_lossy(&reply.body);
    if reply.status != 200 {
        return Err(failure(format!("HTTP {}: {text}", reply.status)));
    }
    account_from_caller_identity(&text)
        .ok_or_else(|| failure(format!("no <Account> in the response: {text}")))
}

/// The `<Account>` of a `GetCallerIdentity` XML (or JSON) response.
fn account_from_caller_identity(body: &str) -> Option<String> {
    let account = if let Some(start) = body.find("<Account>") {
        let rest = &body[start + "<Account>".len()..];
        rest[..rest.find("</Account>")?].trim().to_owned()
    } else {
        let value: serde_json::Value = serde_json::from_str(body).ok()?;
        value
            .pointer("/GetCallerIdentityResult/Account")
            .or_else(|| value.get("Account"))?
            .as_str()?
            .to_owned()
    };
    (account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit())).then_some(account)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credential_scope_gives_key_and_region() {
        let c = parse_authorization(Some(
            "AWS4-HMAC-SHA256 Credential=AKIAEXAMPLE/20250101/eu-west-1/drs/aws4_request, SignedHeaders=host;x-amz-date, Signature=abc",
        ))
        .unwrap();
        assert_eq!(c.access_key, "AKIAEXAMPLE");
        assert_eq!(c.region, "eu-west-1");
        assert!(matches!(
            parse_authorization(None),
            Err(DrsError::MissingAuthenticationToken { .. })
        ));
        assert!(matches!(
            parse_authorization(Some("Basic dXNlcjpwYXNz")),
            Err(DrsError::UnrecognizedClient { .. })
        ));
    }

    #[test]
    fn caller_identity_account_is_extracted() {
        let xml = "<GetCallerIdentityResponse><GetCallerIdentityResult><Arn>arn:aws:sts::444455556666:assumed-role/r/s</Arn><UserId>AROA:s</UserId><Account>444455556666</Account></GetCallerIdentityResult></GetCallerIdentityResponse>";
        assert_eq!(
            account_from_caller_identity(xml).as_deref(),
            Some("444455556666")
        );
        assert_eq!(
            account_from_caller_identity(r#"{"Account": "123456789012"}"#).as_deref(),
            Some("123456789012")
        );
        assert_eq!(account_from_caller_identity("<Account>x</Account>"), None);
    }
}
