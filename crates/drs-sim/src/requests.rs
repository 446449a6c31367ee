//! Operation inputs as the DRS model defines them, and their validation against the model's
//! constraints (lengths, patterns, list sizes, required members).

use std::collections::BTreeMap;

use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::error::{DrsError, FieldIssue};

/// Page size when `maxResults` is absent, and the largest page served (the model sets no
/// maximum; see docs/drs-sim.md).
pub const MAX_PAGE_SIZE: usize = 1000;

/// Parses a JSON body (empty means `{}`) into an operation input.
pub fn parse_body<T: DeserializeOwned>(body: &[u8]) -> Result<T, DrsError> {
    let body = if body.iter().all(u8::is_ascii_whitespace) {
        b"{}".as_slice()
    } else {
        body
    };
    serde_json::from_slice(body).map_err(DrsError::cannot_parse)
}

/// `s-` and 17 letters or digits (`SourceServerID`).
pub fn is_source_server_id(s: &str) -> bool {
    prefixed_alnum(s, "s-", 17)
}

/// `drsjob-` and 17 letters or digits (`JobID`).
pub fn is_job_id(s: &str) -> bool {
    prefixed_alnum(s, "drsjob-", 17)
}

/// `pit-` and 17 letters or digits (`RecoverySnapshotID`).
pub fn is_recovery_snapshot_id(s: &str) -> bool {
    prefixed_alnum(s, "pit-", 17)
}

/// `i-` and at least 8 hex digits, 10 to 19 characters (`RecoveryInstanceID`).
pub fn is_recovery_instance_id(s: &str) -> bool {
    (10..=19).contains(&s.len()) && is_ec2_instance_id(s)
}

/// `i-` and at least 8 hex digits (`EC2InstanceID`).
pub fn is_ec2_instance_id(s: &str) -> bool {
    s.strip_prefix("i-")
        .is_some_and(|rest| rest.len() >= 8 && rest.bytes().all(|b| b.is_ascii_hexdigit()))
}

fn prefixed_alnum(s: &str, prefix: &str, len: usize) -> bool {
    s.strip_prefix(prefix)
        .is_some_and(|rest| rest.len() == len && rest.bytes().all(|b| b.is_ascii_alphanumeric()))
}

/// `AccountID`: 12 characters containing 12 digits in a row.
fn is_account_id(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())
}

/// Parses an `ISO8601DatetimeString` (`YYYY-MM-DDTHH:MM:SS[.fff]Z`).
pub fn parse_iso_datetime(s: &str) -> Option<jiff::Timestamp> {
    let shaped = (19..=32).contains(&s.len())
        && s.ends_with('Z')
        && s.as_bytes().get(10) == Some(&b'T')
        && !s.starts_with('0');
    if !shaped {
        return None;
    }
    s.parse().ok()
}

/// Accumulates constraint violations, so one response lists them all.
#[derive(Debug, Default)]
struct Checks(Vec<FieldIssue>);

impl Checks {
    fn fail(&mut self, name: impl Into<String>, message: impl Into<String>) {
        self.0.push(FieldIssue {
            name: name.into(),
            message: message.into(),
        });
    }

    fn list_len(&mut self, name: &str, len: usize, min: usize, max: Option<usize>) {
        if len < min {
            self.fail(
                name,
                format!("Member must have length greater than or equal to {min}"),
            );
        }
        if let Some(max) = max {
            if len > max {
                self.fail(
                    name,
                    format!("Member must have length less than or equal to {max}"),
                );
            }
        }
    }

    fn pattern(&mut self, name: &str, value: &str, ok: bool, pattern: &str) {
        if !ok {
            self.fail(
                name,
                format!("Value '{value}' failed to satisfy constraint: Member must satisfy regular expression pattern: {pattern}"),
            );
        }
    }

    fn required<T>(&mut self, name: &str, value: Option<T>) -> Option<T> {
        if value.is_none() {
            self.fail(name, "Member must not be null");
        }
        value
    }

    fn max_results(&mut self, value: Option<i64>) -> usize {
        match value {
            Some(n) if n < 1 => {
                self.fail(
                    "maxResults",
                    "Member must have value greater than or equal to 1",
                );
                MAX_PAGE_SIZE
            }
            Some(n) => usize::try_from(n)
                .unwrap_or(MAX_PAGE_SIZE)
                .min(MAX_PAGE_SIZE),
            None => MAX_PAGE_SIZE,
        }
    }

    fn next_token(&mut self, value: Option<&str>) -> Option<u64> {
        let token = value.filter(|t| !t.is_empty())?;
        if token.len() > 2048 {
            self.fail(
                "nextToken",
                "Member must have length less than or equal to 2048",
            );
            return None;
        }
        match PageToken::decode(token) {
            Some(position) => Some(position),
            None => {
                self.fail("nextToken", "The pagination token is invalid");
                None
            }
        }
    }

    fn tags(&mut self, name: &str, tags: &BTreeMap<String, String>) {
        for (key, value) in tags {
            if key.chars().count() > 256 {
                self.fail(
                    format!("{name}.{key}"),
                    "Tag keys must have length less than or equal to 256",
                );
            }
            if value.chars().count() > 256 {
                self.fail(
                    format!("{name}.{key}"),
                    "Tag values must have length less than or equal to 256",
                );
            }
        }
    }

    fn finish<T>(self, value: T) -> Result<T, DrsError> {
        if self.0.is_empty() {
            Ok(value)
        } else {
            Err(DrsError::fields(self.0))
        }
    }
}

/// Opaque pagination token: the position after the last item returned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageToken;

impl PageToken {
    /// The token that resumes at `position`.
    pub fn encode(position: u64) -> String {
        format!("drs-sim-v1.{position}")
    }

    /// The position a token resumes at.
    pub fn decode(token: &str) -> Option<u64> {
        token.strip_prefix("drs-sim-v1.")?.parse().ok()
    }
}

/// Requested page: size and where to resume.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest {
    /// Items per page.
    pub max_results: usize,
    /// Position from a `nextToken`.
    pub resume_at: Option<u64>,
}

// --- StartRecovery -------------------------------------------------------------------------

/// `StartRecoveryRequest`.
#[derive(Debug, Deserialize)]
pub struct StartRecoveryInput {
    #[serde(rename = "sourceServers")]
    source_servers: Option<Vec<StartRecoverySourceServerInput>>,
    #[serde(rename = "isDrill")]
    is_drill: Option<bool>,
    tags: Option<BTreeMap<String, String>>,
}

#[derive(Debug, Deserialize)]
struct StartRecoverySourceServerInput {
    #[serde(rename = "sourceServerID")]
    source_server_id: Option<String>,
    #[serde(rename = "recoverySnapshotID")]
    recovery_snapshot_id: Option<String>,
}

/// A valid `StartRecovery`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StartRecovery {
    /// Source server IDs and optional recovery snapshot IDs, in request order.
    pub servers: Vec<(String, Option<String>)>,
    /// `isDrill` (absent means `false`).
    pub is_drill: bool,
    /// Job tags.
    pub tags: BTreeMap<String, String>,
}

impl StartRecoveryInput {
    /// Checks the model constraints.
    pub fn validate(self) -> Result<StartRecovery, DrsError> {
        let mut checks = Checks::default();
        let mut servers = Vec::new();
        if let Some(list) = checks.required("sourceServers", self.source_servers) {
            checks.list_len("sourceServers", list.len(), 1, Some(200));
            for (i, entry) in list.into_iter().enumerate() {
                let name = format!("sourceServers[{i}].sourceServerID");
                let Some(id) = checks.required(&name, entry.source_server_id) else {
                    continue;
                };
                checks.pattern(&name, &id, is_source_server_id(&id), "s-[0-9a-zA-Z]{17}");
                if let Some(snapshot) = &entry.recovery_snapshot_id {
                    checks.pattern(
                        &format!("sourceServers[{i}].recoverySnapshotID"),
                        snapshot,
                        is_recovery_snapshot_id(snapshot),
                        "pit-[0-9a-zA-Z]{17}",
                    );
                }
                if servers.iter().any(|(other, _)| other == &id) {
                    checks.fail(
                        &name,
                        format!("Source server {id} is listed more than once"),
                    );
                }
                servers.push((id, entry.recovery_snapshot_id));
            }
        }
        let tags = self.tags.unwrap_or_default();
        checks.tags("tags", &tags);
        checks.finish(StartRecovery {
            servers,
            is_drill: self.is_drill.unwrap_or(false),
            tags,
        })
    }
}

// --- DescribeJobs --------------------------------------------------------------------------

/// `DescribeJobsRequest`.
#[derive(Debug, Deserialize)]
pub struct DescribeJobsInput {
    filters: Option<DescribeJobsFiltersInput>,
    #[serde(rename = "maxResults")]
    max_results: Option<i64>,
    #[serde(rename = "nextToken")]
    next_token: Option<String>,
}

#[derive(Debug, Deserialize)]
struct DescribeJobsFiltersInput {
    #[serde(rename = "jobIDs")]
    job_ids: Option<Vec<String>>,
    #[serde(rename = "fromDate")]
    from_date: Option<String>,
    #[serde(rename = "toDate")]
    to_date: Option<String>,
}

/// A valid `DescribeJobs`.
#[derive(Debug, Clone, PartialEq)]
pub struct DescribeJobs {
    /// Only these jobs (empty: all).
    pub job_ids: Vec<String>,
    /// Jobs created at or after.
    pub from: Option<jiff::Timestamp>,
    /// Jobs created at or before.
    pub to: Option<jiff::Timestamp>,
    /// Page.
    pub page: PageRequest,
}

impl DescribeJobsInput {
    /// Checks the model constraints.
    pub fn validate(self) -> Result<DescribeJobs, DrsError> {
        let mut checks = Checks::default();
        let mut out = DescribeJobs {
            job_ids: Vec::new(),
            from: None,
            to: None,
            page: PageRequest {
                max_results: MAX_PAGE_SIZE,
                resume_at: None,
            },
        };
        if let Some(filters) = self.filters {
            if let Some(ids) = filters.job_ids {
                checks.list_len("filters.jobIDs", ids.len(), 0, Some(1000));
                for (i, id) in ids.iter().enumerate() {
                    checks.pattern(
                        &format!("filters.jobIDs[{i}]"),
                        id,
                        is_job_id(id),
                        "drsjob-[0-9a-zA-Z]{17}",
                    );
                }
                out.job_ids = ids;
            }
            for (name, value, slot) in [
                ("filters.fromDate", filters.from_date, &mut out.from),
                ("filters.toDate", filters.to_date, &mut out.to),
            ] {
                if let Some(text) = value {
                    match parse_iso_datetime(&text) {
                        Some(ts) => *slot = Some(ts),
                        None => checks.pattern(name, &text, false, ISO_PATTERN),
                    }
                }
            }
        }
        out.page.max_results = checks.max_results(self.max_results);
        out.page.resume_at = checks.next_token(self.next_token.as_deref());
        checks.finish(out)
    }
}

const ISO_PATTERN: &str = "[1-9][0-9]*-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])T([0-1][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\\.[0-9]+)?Z";

// --- DescribeJobLogItems -------------------------------------------------------------------

/// `DescribeJobLogItemsRequest`.
#[derive(Debug, Deserialize)]
pub struct DescribeJobLogItemsInput {
    #[serde(rename = "jobID")]
    job_id: Option<String>,
    #[serde(rename = "maxResults")]
    max_results: Option<i64>,
    #[serde(rename = "nextToken")]
    next_token: Option<String>,
}

/// A valid `DescribeJobLogItems`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DescribeJobLogItems {
    /// The job.
    pub job_id: String,
    /// Page.
    pub page: PageRequest,
}

impl DescribeJobLogItemsInput {
    /// Checks the model constraints.
    pub fn validate(self) -> Result<DescribeJobLogItems, DrsError> {
        let mut checks = Checks::default();
        let job_id = checks.required("jobID", self.job_id).unwrap_or_default();
        if !job_id.is_empty() {
            checks.pattern(
                "jobID",
                &job_id,
                is_job_id(&job_id),
                "drsjob-[0-9a-zA-Z]{17}",
            );
        }
        let page = PageRequest {
            max_results: checks.max_results(self.max_results),
            resume_at: checks.next_token(self.next_token.as_deref()),
        };
        checks.finish(DescribeJobLogItems { job_id, page })
    }
}

// --- DescribeSourceServers -----------------------------------------------------------------

/// `DescribeSourceServersRequest`.
#[derive(Debug, Deserialize)]
pub struct DescribeSourceServersInput {
    filters: Option<DescribeSourceServersFiltersInput>,
    #[serde(rename = "maxResults")]
    max_results: Option<i64>,
    #[serde(rename = "nextToken")]
    next_token: Option<String>,
}

#[derive(Debug, Deserialize)]
struct DescribeSourceServersFiltersInput {
    #[serde(rename = "sourceServerIDs")]
    source_server_ids: Option<Vec<String>>,
    #[serde(rename = "hardwareId")]
    hardware_id: Option<String>,
    #[serde(rename = "stagingAccountIDs")]
    staging_account_ids: Option<Vec<String>>,
}

/// A valid `DescribeSourceServers`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DescribeSourceServers {
    /// Only these servers (empty: all).
    pub source_server_ids: Vec<String>,
    /// Only the server with this EC2 instance ID, VMware UUID or MAC address.
    pub hardware_id: Option<String>,
    /// Only servers extended from these staging accounts (empty: all).
    pub staging_account_ids: Vec<String>,
    /// Page.
    pub page: PageRequest,
}

impl DescribeSourceServersInput {
    /// Checks the model constraints.
    pub fn validate(self) -> Result<DescribeSourceServers, DrsError> {
        let mut checks = Checks::default();
        let mut out = DescribeSourceServers {
            source_server_ids: Vec::new(),
            hardware_id: None,
            staging_account_ids: Vec::new(),
            page: PageRequest {
                max_results: MAX_PAGE_SIZE,
                resume_at: None,
            },
        };
        if let Some(filters) = self.filters {
            if let Some(ids) = filters.source_server_ids {
                checks.list_len("filters.sourceServerIDs", ids.len(), 0, Some(200));
                for (i, id) in ids.iter().enumerate() {
                    checks.pattern(
                        &format!("filters.sourceServerIDs[{i}]"),
                        id,
                        is_source_server_id(id),
                        "s-[0-9a-zA-Z]{17}",
                    );
                }
                out.source_server_ids = ids;
            }
            if let Some(hardware_id) = filters.hardware_id {
                if hardware_id.chars().count() > 256 {
                    checks.fail(
                        "filters.hardwareId",
                        "Member must have length less than or equal to 256",
                    );
                }
                out.hardware_id = Some(hardware_id).filter(|h| !h.is_empty());
            }
            if let Some(ids) = filters.staging_account_ids {
                checks.list_len("filters.stagingAccountIDs", ids.len(), 0, Some(200));
                for (i, id) in ids.iter().enumerate() {
                    checks.pattern(
                        &format!("filters.stagingAccountIDs[{i}]"),
                        id,
                        is_account_id(id),
                        "[0-9]{12,}",
                    );
                }
                out.staging_account_ids = ids;
            }
        }
        out.page.max_results = checks.max_results(self.max_results);
        out.page.resume_at = checks.next_token(self.next_token.as_deref());
        checks.finish(out)
    }
}

// --- DescribeRecoveryInstances -------------------------------------------------------------

/// `DescribeRecoveryInstancesRequest`.
#[derive(Debug, Deserialize)]
pub struct DescribeRecoveryInstancesInput {
    filters: Option<DescribeRecoveryInstancesFiltersInput>,
    #[serde(rename = "maxResults")]
    max_results: Option<i64>,
    #[serde(rename = "nextToken")]
    next_token: Option<String>,
}

#[derive(Debug, Deserialize)]
struct DescribeRecoveryInstancesFiltersInput {
    #[serde(rename = "recoveryInstanceIDs")]
    recovery_instance_ids: Option<Vec<String>>,
    #[serde(rename = "sourceServerIDs")]
    source_server_ids: Option<Vec<String>>,
}

/// A valid `DescribeRecoveryInstances`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DescribeRecoveryInstances {
    /// Only these instances (empty: all).
    pub recovery_instance_ids: Vec<String>,
    /// Only instances of these source servers (empty: all).
    pub source_server_ids: Vec<String>,
    /// Page.
    pub page: PageRequest,
}

impl DescribeRecoveryInstancesInput {
    /// Checks the model constraints.
    pub fn validate(self) -> Result<DescribeRecoveryInstances, DrsError> {
        let mut checks = Checks::default();
        let mut out = DescribeRecoveryInstances {
            recovery_instance_ids: Vec::new(),
            source_server_ids: Vec::new(),
            page: PageRequest {
                max_results: MAX_PAGE_SIZE,
                resume_at: None,
            },
        };
        if let Some(filters) = self.filters {
            if let Some(ids) = filters.recovery_instance_ids {
                checks.list_len("filters.recoveryInstanceIDs", ids.len(), 0, Some(200));
                for (i, id) in ids.iter().enumerate() {
                    checks.pattern(
                        &format!("filters.recoveryInstanceIDs[{i}]"),
                        id,
                        is_recovery_instance_id(id),
                        "i-[0-9a-fA-F]{8,}",
                    );
                }
                out.recovery_instance_ids = ids;
            }
            if let Some(ids) = filters.source_server_ids {
                for (i, id) in ids.iter().enumerate() {
                    checks.pattern(
                        &format!("filters.sourceServerIDs[{i}]"),
                        id,
                        is_source_server_id(id),
                        "s-[0-9a-zA-Z]{17}",
                    );
                }
                out.source_server_ids = ids;
            }
        }
        out.page.max_results = checks.max_results(self.max_results);
        out.page.resume_at = checks.next_token(self.next_token.as_deref());
        checks.finish(out)
    }
}

// --- TerminateRecoveryInstances ------------------------------------------------------------

/// `TerminateRecoveryInstancesRequest`.
#[derive(Debug, Deserialize)]
pub struct TerminateRecoveryInstancesInput {
    #[serde(rename = "recoveryInstanceIDs")]
    recovery_instance_ids: Option<Vec<String>>,
}

impl TerminateRecoveryInstancesInput {
    /// Checks the model constraints; the instance IDs, deduplicated in request order.
    pub fn validate(self) -> Result<Vec<String>, DrsError> {
        let mut checks = Checks::default();
        let mut ids: Vec<String> = Vec::new();
        if let Some(list) = checks.required("recoveryInstanceIDs", self.recovery_instance_ids) {
            checks.list_len("recoveryInstanceIDs", list.len(), 1, Some(200));
            for (i, id) in list.into_iter().enumerate() {
                checks.pattern(
                    &format!("recoveryInstanceIDs[{i}]"),
                    &id,
                    is_recovery_instance_id(&id),
                    "i-[0-9a-fA-F]{8,}",
                );
                if !ids.contains(&id) {
                    ids.push(id);
                }
            }
        }
        checks.finish(ids)
    }
}

// --- DeleteJob -----------------------------------------------------------------------------

/// `DeleteJobRequest`.
#[derive(Debug, Deserialize)]
pub struct DeleteJobInput {
    #[serde(rename = "jobID")]
    job_id: Option<String>,
}

impl DeleteJobInput {
    /// Checks the model constraints; the job ID.
    pub fn validate(self) -> Result<String, DrsError> {
        let mut checks = Checks::default();
        let job_id = checks.required("jobID", self.job_id).unwrap_or_default();
        if !job_id.is_empty() {
            checks.pattern(
                "jobID",
                &job_id,
                is_job_id(&job_id),
                "drsjob-[0-9a-zA-Z]{17}",
            );
        }
        checks.finish(job_id)
    }
}

// --- Tagging -------------------------------------------------------------------------------

/// `TagResourceRequest` body (the ARN is in the path).
#[derive(Debug, Deserialize)]
pub struct TagResourceInput {
    tags: Option<BTreeMap<String, String>>,
}

impl TagResourceInput {
    /// Checks the model constraints; the tags.
    pub fn validate(self) -> Result<BTreeMap<String, String>, DrsError> {
        let mut checks = Checks::default();
        let tags = checks.required("tags", self.tags).unwrap_or_default();
        checks.tags("tags", &tags);
        checks.finish(tags)
    }
}

/// Checks a `resourceArn` path member.
pub fn validate_arn(arn: &str) -> Result<(), DrsError> {
    let mut checks = Checks::default();
    let ok = (20..=2048).contains(&arn.len()) && arn.starts_with("arn:");
    checks.pattern("resourceArn", arn, ok, "arn:.{16,2044}");
    checks.finish(())
}

/// Checks the `tagKeys` query members of `UntagResource`.
pub fn validate_tag_keys(keys: &[String]) -> Result<(), DrsError> {
    let mut checks = Checks::default();
    if keys.is_empty() {
        checks.fail("tagKeys", "Member must not be null");
    }
    for key in keys {
        if key.chars().count() > 256 {
            checks.fail(
                "tagKeys",
                "Member must have length less than or equal to 256",
            );
        }
    }
    checks.finish(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ValidationReason;

    fn start(json: &str) -> Result<StartRecovery, DrsError> {
        parse_body::<StartRecoveryInput>(json.as_bytes())?.validate()
    }

    #[test]
    fn id_patterns_follow_the_model() {
        assert!(is_source_server_id("s-1234567890abcdef0"));
        assert!(!is_source_server_id("s-1234567890abcdef"));
        assert!(!is_source_server_id("x-1234567890abcdef0"));
        assert!(is_job_id("drsjob-1234567890abcdef0"));
        assert!(is_recovery_instance_id("i-0123456789abcdef0"));
        assert!(is_recovery_instance_id("i-01234567"));
        assert!(!is_recovery_instance_id("i-0123456"));
        assert!(!is_recovery_instance_id("i-0123456789abcdefg"));
        assert!(parse_iso_datetime("2024-02-03T04:05:06Z").is_some());
        assert!(parse_iso_datetime("2024-02-03T04:05:06.123456Z").is_some());
        assert!(parse_iso_datetime("2024-02-03T04:05:06+00:00").is_none());
        assert!(parse_iso_datetime("yesterday").is_none());
    }

    #[test]
    fn start_recovery_accepts_a_valid_request() {
        let request = start(
            r#"{"isDrill": true, "sourceServers": [{"sourceServerID": "s-1234567890abcdef0"}], "tags": {"k": "v"}}"#,
        )
        .unwrap();
        assert!(request.is_drill);
        assert_eq!(request.servers[0].0, "s-1234567890abcdef0");
        assert_eq!(request.tags["k"], "v");
    }

    #[test]
    fn start_recovery_lists_every_violation() {
        let err = start(
            r#"{"sourceServers": [{"sourceServerID": "bad"}, {"sourceServerID": "s-1234567890abcdef0", "recoverySnapshotID": "pit-1"}]}"#,
        )
        .unwrap_err();
        let DrsError::Validation { fields, reason, .. } = err else {
            panic!("not a validation error")
        };
        assert_eq!(reason, ValidationReason::FieldValidationFailed);
        let names: Vec<&str> = fields.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(
            names,
            vec![
                "sourceServers[0].sourceServerID",
                "sourceServers[1].recoverySnapshotID"
            ]
        );
    }

    #[test]
    fn start_recovery_enforces_list_bounds() {
        assert!(start(r#"{"sourceServers": []}"#).is_err());
        assert!(start(r#"{}"#).is_err());
        let many: Vec<String> = (0..201)
            .map(|i| format!(r#"{{"sourceServerID": "s-{i:017}"}}"#))
            .collect();
        let err = start(&format!(r#"{{"sourceServers": [{}]}}"#, many.join(","))).unwrap_err();
        assert!(
            err.to_string().contains("less than or equal to 200"),
            "{err}"
        );
        let ok: Vec<String> = (0..200)
            .map(|i| format!(r#"{{"sourceServerID": "s-{i:017}"}}"#))
            .collect();
        assert!(start(&format!(r#"{{"sourceServers": [{}]}}"#, ok.join(","))).is_ok());
    }

    #[test]
    fn malformed_json_cannot_be_parsed() {
        let err = parse_body::<StartRecoveryInput>(b"{not json").unwrap_err();
        assert!(matches!(
            err,
            DrsError::Validation {
                reason: ValidationReason::CannotParse,
                ..
            }
        ));
        let err = parse_body::<DescribeJobsInput>(br#"{"maxResults": "ten"}"#).unwrap_err();
        assert!(err.to_string().contains("Could not parse"));
    }

    #[test]
    fn describe_jobs_checks_filters_and_paging() {
        let ok = parse_body::<DescribeJobsInput>(
            br#"{"filters": {"jobIDs": ["drsjob-1234567890abcdef0"], "fromDate": "2024-01-01T00:00:00Z"}, "maxResults": 5}"#,
        )
        .unwrap()
        .validate()
        .unwrap();
        assert_eq!(ok.page.max_results, 5);
        assert!(ok.from.is_some());
        let err = parse_body::<DescribeJobsInput>(
            br#"{"filters": {"toDate": "2024-01-01"}, "maxResults": 0, "nextToken": "garbage"}"#,
        )
        .unwrap()
        .validate()
        .unwrap_err();
        let DrsError::Validation { fields, .. } = err else {
            panic!()
        };
        assert_eq!(fields.len(), 3);
        let empty = parse_body::<DescribeJobsInput>(b"")
            .unwrap()
            .validate()
            .unwrap();
        assert_eq!(empty.page.max_results, MAX_PAGE_SIZE);
    }

    #[test]
    fn page_tokens_round_trip() {
        assert_eq!(PageToken::decode(&PageToken::encode(42)), Some(42));
        assert_eq!(PageToken::decode("42"), None);
    }
}
