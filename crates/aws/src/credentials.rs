//! Credentials per plan target: STS `AssumeRole` with the target's role ARN and external ID,
//! cached until shortly before they expire, and the orchestrator's own account.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use aws_credential_types::Credentials;
use aws_credential_types::provider::error::CredentialsError;
use aws_credential_types::provider::{self, ProvideCredentials, SharedCredentialsProvider, future};
use pipeline::ports::{PortError, PortResult, Scope};
use plan::Target;
use tokio::sync::OnceCell;

use crate::config::AwsConfig;
use crate::sdk_error;

/// Assumed-role credentials are renewed this long before they expire, so a call never
/// starts with credentials about to lapse.
pub const REFRESH_BEFORE_EXPIRY: Duration = Duration::from_secs(5 * 60);

/// The `RoleSessionName` of assumed roles for calls made for no execution (visible in the
/// target's CloudTrail); a call for an execution names the session after it
/// ([`session_name`]).
pub const DEFAULT_SESSION_NAME: &str = "drs-orchestrator";

/// The longest `RoleSessionName` STS accepts.
pub const MAX_SESSION_NAME_CHARS: usize = 64;

/// Most assumed-role sessions kept per process: one per execution and target, so a
/// long-lived Lambda instance forgets the oldest rather than grow without bound.
pub const MAX_CACHED_SESSIONS: usize = 256;

/// The session policy of a function that only reads DRS (the checker): whatever the target
/// role allows, its session can call nothing but DRS `Describe*`, so a bug in it cannot
/// launch or terminate anything.
pub const DESCRIBE_ONLY_SESSION_POLICY: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["drs:Describe*"],"Resource":"*"}]}"#;

/// The `RoleSessionName` for calls made for `execution`: the execution ID (characters STS
/// does not accept become `_`), within STS's 64 characters — a longer ID keeps its start and
/// ends with a hash of the whole, so two IDs never share a session name.
pub fn session_name(execution: Option<&str>) -> String {
    let Some(id) = execution else {
        return DEFAULT_SESSION_NAME.to_owned();
    };
    let clean: String = id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "+=,.@_-".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    let clean = if clean.len() < 2 {
        format!("{DEFAULT_SESSION_NAME}-{clean}")
    } else {
        clean
    };
    if clean.len() <= MAX_SESSION_NAME_CHARS {
        return clean;
    }
    // FNV-1a: stable across processes and releases (the std hasher is not).
    let hash = id.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
    });
    let keep = MAX_SESSION_NAME_CHARS - 17;
    format!("{}-{hash:016x}", &clean[..keep])
}

/// Credentials for every target, and the orchestrator's own identity. Share one per process
/// (`Arc`): the cache of assumed roles lives here.
#[derive(Debug)]
pub struct TargetCredentials {
    config: AwsConfig,
    sts: aws_sdk_sts::Client,
    session_policy: Option<String>,
    roles: Mutex<HashMap<RoleKey, Arc<AssumedRole>>>,
    own_account: OnceCell<String>,
    assume_role_calls: Arc<AtomicU64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct RoleKey {
    role_arn: String,
    external_id: Option<String>,
    session_name: String,
}

impl TargetCredentials {
    /// Credentials derived from `config`'s own (the SDK chain or static ones); STS is called
    /// at `config`'s endpoint and region.
    pub fn new(config: &AwsConfig) -> Self {
        Self {
            config: config.clone(),
            sts: config.sts(),
            session_policy: None,
            roles: Mutex::new(HashMap::new()),
            own_account: OnceCell::new(),
            assume_role_calls: Arc::new(AtomicU64::new(0)),
        }
    }

    /// Uses `account_id` as the orchestrator's own account instead of asking STS.
    pub fn with_own_account_id(self, account_id: impl Into<String>) -> Self {
        let own_account = OnceCell::new();
        // A fresh cell: setting it cannot fail.
        let _ = own_account.set(account_id.into());
        Self {
            own_account,
            ..self
        }
    }

    /// Passes `policy` (an IAM policy document) as the session policy of every assumed
    /// role: the session may do only what both the role and `policy` allow.
    pub fn with_session_policy(self, policy: impl Into<String>) -> Self {
        Self {
            session_policy: Some(policy.into()),
            ..self
        }
    }

    /// The session policy of assumed roles, if any.
    pub fn session_policy(&self) -> Option<&str> {
        self.session_policy.as_deref()
    }

    /// The configuration they derive from.
    pub fn config(&self) -> &AwsConfig {
        &self.config
    }

    /// The provider for calls into `target` made for `execution`: the assumed role (its
    /// session named after the execution) when the target has a `role_arn`, else `None`
    /// (the orchestrator's own credentials apply).
    pub fn provider(
        &self,
        target: Option<&Target>,
        execution: Option<&str>,
    ) -> Option<SharedCredentialsProvider> {
        self.assumed_role(target, execution)
            .map(|role| SharedCredentialsProvider::new(AssumedRoleProvider(role)))
    }

    /// Makes sure the credentials for `target` can be obtained (assumes its role if needed),
    /// so that an `AccessDenied` of STS is reported as such rather than as an SDK dispatch
    /// failure of the call that needed them.
    pub async fn ensure(&self, target: Option<&Target>, execution: Option<&str>) -> PortResult<()> {
        match self.assumed_role(target, execution) {
            Some(role) => role.credentials().await.map(|_| ()),
            None => Ok(()),
        }
    }

    /// The orchestrator's own account (STS `GetCallerIdentity`, asked once).
    pub async fn own_account_id(&self) -> PortResult<String> {
        self.own_account
            .get_or_try_init(|| async {
                let identity = self
                    .sts
                    .get_caller_identity()
                    .send()
                    .await
                    .map_err(|e| sdk_error::port_error("STS GetCallerIdentity", e))?;
                identity.account.ok_or_else(|| {
                    PortError::Permanent("STS GetCallerIdentity returned no account".to_owned())
                })
            })
            .await
            .cloned()
    }

    /// The DRS quota scope of `target`: its account and region, or the orchestrator's own.
    pub async fn scope(&self, target: Option<&Target>) -> PortResult<Scope> {
        match target {
            Some(target) => Ok(Scope {
                account_id: target.account_id.clone(),
                region: target.region.clone(),
            }),
            None => Ok(Scope {
                account_id: self.own_account_id().await?,
                region: self.config.region().to_owned(),
            }),
        }
    }

    /// How many `AssumeRole` calls were made (the cache's effect, for tests and metrics).
    pub fn assume_role_calls(&self) -> u64 {
        self.assume_role_calls.load(Ordering::Relaxed)
    }

    fn assumed_role(
        &self,
        target: Option<&Target>,
        execution: Option<&str>,
    ) -> Option<Arc<AssumedRole>> {
        let target = target?;
        let role_arn = target.role_arn.as_ref()?;
        let key = RoleKey {
            role_arn: role_arn.clone(),
            external_id: target.external_id.clone(),
            session_name: session_name(execution),
        };
        let mut roles = self
            .roles
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if roles.len() >= MAX_CACHED_SESSIONS && !roles.contains_key(&key) {
            // Sessions of finished executions are not needed again; which one goes matters
            // little (one more AssumeRole if it is asked for again).
            roles.clear();
        }
        let role = roles.entry(key.clone()).or_insert_with(|| {
            Arc::new(AssumedRole {
                sts: self.sts.clone(),
                key,
                session_policy: self.session_policy.clone(),
                cached: tokio::sync::Mutex::new(None),
                calls: Arc::clone(&self.assume_role_calls),
            })
        });
        Some(Arc::clone(role))
    }
}

/// One role, with its last credentials.
#[derive(Debug)]
struct AssumedRole {
    sts: aws_sdk_sts::Client,
    key: RoleKey,
    session_policy: Option<String>,
    cached: tokio::sync::Mutex<Option<Credentials>>,
    calls: Arc<AtomicU64>,
}

impl AssumedRole {
    async fn credentials(&self) -> PortResult<Credentials> {
        // Held across the STS call: concurrent callers wait for one AssumeRole.
        let mut cached = self.cached.lock().await;
        if let Some(credentials) = cached.as_ref().filter(|c| still_fresh(c)) {
            return Ok(credentials.clone());
        }
        let fresh = self.assume().await?;
        *cached = Some(fresh.clone());
        Ok(fresh)
    }

    async fn assume(&self) -> PortResult<Credentials> {
        self.calls.fetch_add(1, Ordering::Relaxed);
        let operation = format!(
            "STS AssumeRole of {}{}",
            self.key.role_arn,
            if self.key.external_id.is_some() {
                " (with external ID)"
            } else {
                ""
            }
        );
        let output = self
            .sts
            .assume_role()
            .role_arn(&self.key.role_arn)
            .set_external_id(self.key.external_id.clone())
            .role_session_name(&self.key.session_name)
            .set_policy(self.session_policy.clone())
            .send()
            .await
            .map_err(|e| sdk_error::port_error(&operation, e))?;
        let issued = output
            .credentials
            .ok_or_else(|| PortError::Permanent(format!("{operation}: no credentials returned")))?;
        let expiry = SystemTime::try_from(issued.expiration).ok();
        Ok(Credentials::new(
            issued.access_key_id,
            issued.secret_access_key,
            Some(issued.session_token),
            expiry,
            "drs-orchestrator-assume-role",
        ))
    }
}

fn still_fresh(credentials: &Credentials) -> bool {
    match credentials.expiry() {
        Some(expiry) => SystemTime::now() + REFRESH_BEFORE_EXPIRY < expiry,
        None => true,
    }
}

/// The SDK-facing side of an [`AssumedRole`].
#[derive(Debug)]
struct AssumedRoleProvider(Arc<AssumedRole>);

impl ProvideCredentials for AssumedRoleProvider {
    fn provide_credentials<'a>(&'a self) -> future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        future::ProvideCredentials::new(async move {
            let result: provider::Result = self
                .0
                .credentials()
                .await
                .map_err(|e| CredentialsError::provider_error(e.to_string()));
            result
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sessions_are_named_after_their_execution_within_sts_limits() {
        assert_eq!(session_name(None), DEFAULT_SESSION_NAME);
        assert_eq!(session_name(Some("exec-api-Ab3_x.y")), "exec-api-Ab3_x.y");
        assert_eq!(session_name(Some("a/b c")), "a_b_c");
        assert_eq!(session_name(Some("x")), "drs-orchestrator-x");
        let long = "exec-".to_owned() + &"a".repeat(95);
        let other = "exec-".to_owned() + &"a".repeat(94) + "b";
        let (named, other_named) = (session_name(Some(&long)), session_name(Some(&other)));
        assert_eq!(named.len(), MAX_SESSION_NAME_CHARS);
        assert!(named.starts_with("exec-aaaa"), "{named}");
        assert_ne!(named, other_named, "a long ID's hash keeps it apart");
        assert!(
            named
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "+=,.@_-".contains(c))
        );
    }

    #[test]
    fn the_describe_only_policy_allows_nothing_but_drs_describe() {
        let policy: serde_json::Value = serde_json::from_str(DESCRIBE_ONLY_SESSION_POLICY).unwrap();
        let statements = policy["Statement"].as_array().unwrap();
        assert_eq!(statements.len(), 1);
        assert_eq!(statements[0]["Effect"], "Allow");
        assert_eq!(
            statements[0]["Action"],
            serde_json::json!(["drs:Describe*"])
        );
    }

    #[test]
    fn credentials_are_renewed_before_they_expire() {
        let soon = SystemTime::now() + Duration::from_secs(60);
        let later = SystemTime::now() + Duration::from_secs(3600);
        let make = |expiry| Credentials::new("a", "b", None, expiry, "test");
        assert!(!still_fresh(&make(Some(soon))));
        assert!(still_fresh(&make(Some(later))));
        assert!(still_fresh(&make(None)));
    }
}
