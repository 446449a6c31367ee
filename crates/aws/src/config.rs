//! The orchestrator's AWS configuration: region, endpoints and credentials.
//!
//! By default everything follows the SDK's conventions: `AWS_REGION`/`AWS_PROFILE`,
//! `AWS_ACCESS_KEY_ID`…, `AWS_ENDPOINT_URL` for every service and `AWS_ENDPOINT_URL_DRS`
//! (`AWS_ENDPOINT_URL_DYNAMODB`, …) for one service. [`AwsSettings`] overrides them
//! explicitly, which is what the local stack does: DRS at drs-sim, everything else at moto,
//! with static test credentials.

use std::fmt;

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::Credentials;

/// Explicit overrides of the SDK's configuration chain; `Default` overrides nothing.
#[derive(Debug, Clone, Default)]
pub struct AwsSettings {
    /// The orchestrator's region; `None` = the SDK's chain (`AWS_REGION`, profile).
    pub region: Option<String>,
    /// Endpoint of every service (e.g. moto); `None` = `AWS_ENDPOINT_URL` or AWS.
    pub endpoint_url: Option<String>,
    /// Endpoint of DRS only (e.g. drs-sim); wins over `endpoint_url` for DRS.
    /// `None` = `AWS_ENDPOINT_URL_DRS`, else `endpoint_url`, else AWS.
    pub drs_endpoint_url: Option<String>,
    /// Fixed credentials; `None` = the SDK's chain (env, profile, container, instance role).
    pub credentials: Option<StaticCredentials>,
}

impl AwsSettings {
    /// The local stack's settings: DRS at `drs_endpoint_url`, every other service at
    /// `endpoint_url`, in `region`, with [`StaticCredentials::local`].
    pub fn local(
        endpoint_url: impl Into<String>,
        drs_endpoint_url: impl Into<String>,
        region: impl Into<String>,
    ) -> Self {
        Self {
            region: Some(region.into()),
            endpoint_url: Some(endpoint_url.into()),
            drs_endpoint_url: Some(drs_endpoint_url.into()),
            credentials: Some(StaticCredentials::local()),
        }
    }

    /// Loads the SDK configuration with these overrides applied.
    pub async fn load(&self) -> Result<AwsConfig, ConfigError> {
        let mut loader = aws_config::defaults(BehaviorVersion::latest());
        if let Some(region) = &self.region {
            loader = loader.region(Region::new(region.clone()));
        }
        if let Some(url) = &self.endpoint_url {
            check_url("endpoint URL", url)?;
            loader = loader.endpoint_url(url.clone());
        }
        if let Some(credentials) = &self.credentials {
            loader = loader.credentials_provider(credentials.to_credentials());
        }
        let sdk = loader.load().await;
        let config = AwsConfig::from_sdk_config(sdk)?;
        match &self.drs_endpoint_url {
            Some(url) => {
                check_url("DRS endpoint URL", url)?;
                Ok(config.with_drs_endpoint_url(url.clone()))
            }
            None => Ok(config),
        }
    }
}

/// An access key, its secret and an optional session token.
#[derive(Clone, PartialEq, Eq)]
pub struct StaticCredentials {
    /// `AWS_ACCESS_KEY_ID`.
    pub access_key_id: String,
    /// `AWS_SECRET_ACCESS_KEY`.
    pub secret_access_key: String,
    /// `AWS_SESSION_TOKEN`.
    pub session_token: Option<String>,
}

impl StaticCredentials {
    /// The access key the local stack uses (`AKIAORCHESTRATOR`, as in
    /// `examples/scenarios/multi-account.yaml`); emulators do not check signatures.
    pub const LOCAL_ACCESS_KEY_ID: &'static str = "AKIAORCHESTRATOR";

    /// A key pair without a session token.
    pub fn new(access_key_id: impl Into<String>, secret_access_key: impl Into<String>) -> Self {
        Self {
            access_key_id: access_key_id.into(),
            secret_access_key: secret_access_key.into(),
            session_token: None,
        }
    }

    /// The local stack's test credentials ([`Self::LOCAL_ACCESS_KEY_ID`]).
    pub fn local() -> Self {
        Self::new(Self::LOCAL_ACCESS_KEY_ID, "local-test-secret")
    }

    /// As SDK credentials.
    pub fn to_credentials(&self) -> Credentials {
        Credentials::new(
            self.access_key_id.clone(),
            self.secret_access_key.clone(),
            self.session_token.clone(),
            None,
            "drs-orchestrator-static",
        )
    }
}

impl fmt::Debug for StaticCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StaticCredentials")
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"** redacted **")
            .field(
                "session_token",
                &self.session_token.as_ref().map(|_| "** redacted **"),
            )
            .finish()
    }
}

/// What is wrong with the configuration.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// No region anywhere in the chain.
    #[error(
        "no AWS region configured: set AWS_REGION (or AWS_DEFAULT_REGION, a profile region, \
         or the region setting of the orchestrator)"
    )]
    MissingRegion,
    /// An endpoint that is not an http(s) URL.
    #[error("{what} `{url}` is not an http:// or https:// URL")]
    BadEndpoint {
        /// Which endpoint.
        what: &'static str,
        /// The value given.
        url: String,
    },
}

fn check_url(what: &'static str, url: &str) -> Result<(), ConfigError> {
    let rest = url
        .strip_prefix("http://")
        .or_else(|| url.strip_prefix("https://"));
    match rest {
        Some(host) if !host.is_empty() => Ok(()),
        _ => Err(ConfigError::BadEndpoint {
            what,
            url: url.to_owned(),
        }),
    }
}

/// The loaded configuration: the shared [`SdkConfig`] plus what the SDK cannot hold (the DRS
/// endpoint override). Cheap to clone.
#[derive(Debug, Clone)]
pub struct AwsConfig {
    sdk: SdkConfig,
    region: String,
    drs_endpoint_url: Option<String>,
}

impl AwsConfig {
    /// Wraps a loaded SDK configuration, which must have a region.
    pub fn from_sdk_config(sdk: SdkConfig) -> Result<Self, ConfigError> {
        let region = sdk
            .region()
            .map(|r| r.as_ref().to_owned())
            .ok_or(ConfigError::MissingRegion)?;
        Ok(Self {
            sdk,
            region,
            drs_endpoint_url: None,
        })
    }

    /// Sends DRS calls (in every target region) to `url`.
    pub fn with_drs_endpoint_url(mut self, url: impl Into<String>) -> Self {
        self.drs_endpoint_url = Some(url.into());
        self
    }

    /// The shared SDK configuration.
    pub fn sdk(&self) -> &SdkConfig {
        &self.sdk
    }

    /// The orchestrator's own region.
    pub fn region(&self) -> &str {
        &self.region
    }

    /// The explicit DRS endpoint, if any.
    pub fn drs_endpoint_url(&self) -> Option<&str> {
        self.drs_endpoint_url.as_deref()
    }

    /// A DynamoDB client.
    pub fn dynamodb(&self) -> aws_sdk_dynamodb::Client {
        aws_sdk_dynamodb::Client::new(&self.sdk)
    }

    /// An SQS client.
    pub fn sqs(&self) -> aws_sdk_sqs::Client {
        aws_sdk_sqs::Client::new(&self.sdk)
    }

    /// An SNS client.
    pub fn sns(&self) -> aws_sdk_sns::Client {
        aws_sdk_sns::Client::new(&self.sdk)
    }

    /// An STS client.
    pub fn sts(&self) -> aws_sdk_sts::Client {
        aws_sdk_sts::Client::new(&self.sdk)
    }

    /// The DRS client configuration builder for the orchestrator's own account, with the
    /// endpoint override applied.
    pub fn drs_builder(&self) -> aws_sdk_drs::config::Builder {
        let mut builder = aws_sdk_drs::config::Builder::from(&self.sdk);
        if let Some(url) = &self.drs_endpoint_url {
            builder = builder.endpoint_url(url.clone());
        }
        builder
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn explicit_settings_win_and_drs_has_its_own_endpoint() {
        let config = AwsSettings::local(
            "http://127.0.0.1:5000",
            "http://127.0.0.1:7000",
            "eu-west-1",
        )
        .load()
        .await
        .unwrap();
        assert_eq!(config.region(), "eu-west-1");
        assert_eq!(config.sdk().endpoint_url(), Some("http://127.0.0.1:5000"));
        assert_eq!(config.drs_endpoint_url(), Some("http://127.0.0.1:7000"));
        let drs = config.drs_builder().build();
        assert_eq!(drs.region().map(|r| r.as_ref()), Some("eu-west-1"));
    }

    #[tokio::test]
    async fn bad_endpoints_are_named() {
        let settings = AwsSettings {
            region: Some("us-east-1".into()),
            drs_endpoint_url: Some("localhost:7000".into()),
            ..AwsSettings::default()
        };
        let error = settings.load().await.unwrap_err();
        assert!(
            error
                .to_string()
                .contains("DRS endpoint URL `localhost:7000`"),
            "{error}"
        );
    }

    #[test]
    fn secrets_are_not_printed() {
        let text = format!("{:?}", StaticCredentials::new("AKIAX", "very-secret"));
        assert!(
            text.contains("AKIAX") && !text.contains("very-secret"),
            "{text}"
        );
    }
}
