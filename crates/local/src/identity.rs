//! The orchestrator's identity in moto: credentials of a role in the scenario's account.
//!
//! moto puts a request in the account of its access key (assumed-role keys belong to the
//! role's account, anything else to moto's default account), while drs-sim sends each Launch
//! Result event to the account of its server. For the EventBridge rule to route those events
//! into the check queue, the rule and the queues must be in that account: so the stack works
//! with credentials of a role assumed there, as a Lambda runs with its role's credentials.

use aws_adapters::{AwsSettings, StaticCredentials};

use crate::error::LocalError;

/// The role the local orchestrator assumes (moto does not require it to exist).
pub const LOCAL_ROLE_NAME: &str = "drs-orchestrator-local";
/// The longest session STS grants: longer than any rehearsal.
const SESSION_SECONDS: i32 = 12 * 3600;

/// Temporary credentials of [`LOCAL_ROLE_NAME`] in `account`, from moto's STS at `endpoint`.
pub async fn orchestrator_credentials(
    endpoint: &str,
    region: &str,
    account: &str,
) -> Result<StaticCredentials, LocalError> {
    let failure = |message: String| LocalError::Identity {
        account: account.to_owned(),
        endpoint: endpoint.to_owned(),
        message,
    };
    let settings = AwsSettings {
        region: Some(region.to_owned()),
        endpoint_url: Some(endpoint.to_owned()),
        drs_endpoint_url: None,
        credentials: Some(StaticCredentials::local()),
    };
    let config = settings.load().await?;
    let output = config
        .sts()
        .assume_role()
        .role_arn(format!("arn:aws:iam::{account}:role/{LOCAL_ROLE_NAME}"))
        .role_session_name("local-stack")
        .duration_seconds(SESSION_SECONDS)
        .send()
        .await
        .map_err(|e| match &e {
            aws_sdk_sts::error::SdkError::DispatchFailure(_)
            | aws_sdk_sts::error::SdkError::TimeoutError(_) => {
                failure("cannot connect; is moto running there?".to_owned())
            }
            _ => failure(aws_sdk_sts::error::DisplayErrorContext(&e).to_string()),
        })?;
    let credentials = output
        .credentials
        .ok_or_else(|| failure("AssumeRole returned no credentials".to_owned()))?;
    Ok(StaticCredentials {
        access_key_id: credentials.access_key_id,
        secret_access_key: credentials.secret_access_key,
        session_token: Some(credentials.session_token),
    })
}
