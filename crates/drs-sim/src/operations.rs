//! The DRS operations the emulator serves: input validation, the state change, the output.

use std::collections::{BTreeMap, HashSet};

use serde::Serialize;
use serde_json::json;

use crate::error::DrsError;
use crate::identity::Caller;
use crate::requests::{
    self, DeleteJobInput, DescribeJobLogItemsInput, DescribeJobsInput,
    DescribeRecoveryInstancesInput, DescribeSourceServersInput, PageToken, StartRecoveryInput,
    TagResourceInput, TerminateRecoveryInstancesInput,
};
use crate::wire::{self, Render};
use crate::world::World;

/// A DRS operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Operation {
    /// `POST /StartRecovery`.
    StartRecovery,
    /// `POST /DescribeJobs`.
    DescribeJobs,
    /// `POST /DescribeJobLogItems`.
    DescribeJobLogItems,
    /// `POST /DescribeSourceServers`.
    DescribeSourceServers,
    /// `POST /DescribeRecoveryInstances`.
    DescribeRecoveryInstances,
    /// `POST /TerminateRecoveryInstances`.
    TerminateRecoveryInstances,
    /// `POST /DeleteJob`.
    DeleteJob,
    /// `GET /tags/{resourceArn}`.
    ListTagsForResource,
    /// `POST /tags/{resourceArn}`.
    TagResource,
    /// `DELETE /tags/{resourceArn}`.
    UntagResource,
}

impl Operation {
    /// The operation name (counters, logs).
    pub fn name(self) -> &'static str {
        match self {
            Operation::StartRecovery => "StartRecovery",
            Operation::DescribeJobs => "DescribeJobs",
            Operation::DescribeJobLogItems => "DescribeJobLogItems",
            Operation::DescribeSourceServers => "DescribeSourceServers",
            Operation::DescribeRecoveryInstances => "DescribeRecoveryInstances",
            Operation::TerminateRecoveryInstances => "TerminateRecoveryInstances",
            Operation::DeleteJob => "DeleteJob",
            Operation::ListTagsForResource => "ListTagsForResource",
            Operation::TagResource => "TagResource",
            Operation::UntagResource => "UntagResource",
        }
    }

    /// The IAM action that authorizes it.
    pub fn iam_action(self) -> &'static str {
        match self {
            Operation::StartRecovery => "drs:StartRecovery",
            Operation::DescribeJobs => "drs:DescribeJobs",
            Operation::DescribeJobLogItems => "drs:DescribeJobLogItems",
            Operation::DescribeSourceServers => "drs:DescribeSourceServers",
            Operation::DescribeRecoveryInstances => "drs:DescribeRecoveryInstances",
            Operation::TerminateRecoveryInstances => "drs:TerminateRecoveryInstances",
            Operation::DeleteJob => "drs:DeleteJob",
            Operation::ListTagsForResource => "drs:ListTagsForResource",
            Operation::TagResource => "drs:TagResource",
            Operation::UntagResource => "drs:UntagResource",
        }
    }

    /// The operation at `POST /<Name>`.
    pub fn from_post_path(path: &str) -> Option<Operation> {
        Some(match path {
            "/StartRecovery" => Operation::StartRecovery,
            "/DescribeJobs" => Operation::DescribeJobs,
            "/DescribeJobLogItems" => Operation::DescribeJobLogItems,
            "/DescribeSourceServers" => Operation::DescribeSourceServers,
            "/DescribeRecoveryInstances" => Operation::DescribeRecoveryInstances,
            "/TerminateRecoveryInstances" => Operation::TerminateRecoveryInstances,
            "/DeleteJob" => Operation::DeleteJob,
            _ => return None,
        })
    }
}

/// What the HTTP layer extracted for an operation.
#[derive(Debug, Clone, Default)]
pub struct OperationInput {
    /// The JSON body.
    pub body: Vec<u8>,
    /// `{resourceArn}` of the tagging operations, percent-decoded.
    pub resource_arn: Option<String>,
    /// `tagKeys` query members of `UntagResource`.
    pub tag_keys: Vec<String>,
}

/// A successful answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// HTTP status (the model's `responseCode`).
    pub status: u16,
    /// JSON body; `None` for an empty body.
    pub body: Option<Vec<u8>>,
}

impl Reply {
    fn json<T: Serialize>(status: u16, value: &T) -> Result<Reply, DrsError> {
        serde_json::to_vec(value)
            .map(|body| Reply {
                status,
                body: Some(body),
            })
            .map_err(|e| DrsError::Internal {
                message: format!("cannot serialize the response: {e}"),
            })
    }

    fn empty(status: u16) -> Reply {
        Reply { status, body: None }
    }
}

#[derive(Serialize)]
struct Page<T> {
    items: Vec<T>,
    #[serde(rename = "nextToken", skip_serializing_if = "Option::is_none")]
    next_token: Option<String>,
}

/// Runs one operation for `caller` (after authentication and throttling).
pub fn execute(
    world: &mut World,
    caller: &Caller,
    operation: Operation,
    input: OperationInput,
) -> Result<Reply, DrsError> {
    world.authorize(caller, &[operation.iam_action()])?;
    let scenario = std::sync::Arc::clone(world.scenario());
    let now = world.clock().now();
    let clock = world.clock().clone();
    let render = Render { clock: &clock, now };
    let region = world.region_mut(caller)?;
    match operation {
        Operation::StartRecovery => {
            let request = requests::parse_body::<StartRecoveryInput>(&input.body)?.validate()?;
            if !request.tags.is_empty() {
                world.authorize(caller, &["drs:TagResource"])?;
            }
            let region = world.region_mut(caller)?;
            let record = region.start_recovery(
                request,
                &scenario.quotas,
                scenario.launch_defaults.pending_seconds,
                now,
            )?;
            Reply::json(202, &json!({ "job": wire::job(record, render) }))
        }
        Operation::TerminateRecoveryInstances => {
            let ids =
                requests::parse_body::<TerminateRecoveryInstancesInput>(&input.body)?.validate()?;
            let record = region.terminate_recovery_instances(
                &ids,
                &scenario.quotas,
                scenario.launch_defaults.pending_seconds,
                now,
            )?;
            Reply::json(200, &json!({ "job": wire::job(record, render) }))
        }
        Operation::DescribeJobs => {
            let request = requests::parse_body::<DescribeJobsInput>(&input.body)?.validate()?;
            let wanted: HashSet<&str> = request.job_ids.iter().map(String::as_str).collect();
            let mut matching = region
                .jobs()
                .rev()
                .filter(|r| !r.deleted)
                .filter(|r| wanted.is_empty() || wanted.contains(r.job.id.as_str()))
                .filter(|r| {
                    let created = clock.timestamp(r.job.created_at);
                    request.from.is_none_or(|from| created >= from)
                        && request.to.is_none_or(|to| created <= to)
                })
                .filter(|r| request.page.resume_at.is_none_or(|after| r.job.seq < after));
            let mut items = Vec::new();
            let mut last_seq = None;
            for record in matching.by_ref().take(request.page.max_results) {
                last_seq = Some(record.job.seq);
                items.push(wire::job(record, render));
            }
            let next_token = matching.next().and(last_seq).map(PageToken::encode);
            Reply::json(200, &Page { items, next_token })
        }
        Operation::DescribeJobLogItems => {
            let request =
                requests::parse_body::<DescribeJobLogItemsInput>(&input.body)?.validate()?;
            let log = region
                .job(&request.job_id)
                .map(|r| r.job.log_at(now))
                .unwrap_or_default();
            let start = request
                .page
                .resume_at
                .map_or(0, |p| usize::try_from(p).unwrap_or(usize::MAX))
                .min(log.len());
            let end = start
                .saturating_add(request.page.max_results)
                .min(log.len());
            let items = log[start..end]
                .iter()
                .map(|entry| wire::log_item(entry, render))
                .collect();
            let next_token = (end < log.len()).then(|| PageToken::encode(end as u64));
            Reply::json(200, &Page { items, next_token })
        }
        Operation::DescribeSourceServers => {
            let request =
                requests::parse_body::<DescribeSourceServersInput>(&input.body)?.validate()?;
            let wanted: HashSet<&str> = request
                .source_server_ids
                .iter()
                .map(String::as_str)
                .collect();
            let resume = request
                .page
                .resume_at
                .map_or(0, |p| usize::try_from(p).unwrap_or(usize::MAX));
            let region: &_ = region;
            let mut matching = region
                .servers()
                .iter()
                .enumerate()
                .skip(resume)
                .filter(|(_, s)| wanted.is_empty() || wanted.contains(s.spec.id.as_str()))
                .filter(|(_, s)| {
                    request.hardware_id.as_deref().is_none_or(|hw| {
                        s.spec.aws_instance_id.as_deref() == Some(hw)
                            || s.spec.vmware_uuid.as_deref() == Some(hw)
                            || s.spec.mac_address.eq_ignore_ascii_case(hw)
                    })
                })
                .filter(|(_, s)| {
                    request.staging_account_ids.is_empty()
                        || s.spec
                            .staging_account
                            .as_ref()
                            .is_some_and(|a| request.staging_account_ids.contains(a))
                });
            let mut items = Vec::new();
            let mut last = None;
            for (index, server) in matching.by_ref().take(request.page.max_results) {
                last = Some(index);
                items.push(wire::source_server(region, server, render));
            }
            let next_token = matching
                .next()
                .and(last)
                .map(|i| PageToken::encode(i as u64 + 1));
            Reply::json(200, &Page { items, next_token })
        }
        Operation::DescribeRecoveryInstances => {
            let request =
                requests::parse_body::<DescribeRecoveryInstancesInput>(&input.body)?.validate()?;
            let ids: HashSet<&str> = request
                .recovery_instance_ids
                .iter()
                .map(String::as_str)
                .collect();
            let servers: HashSet<&str> = request
                .source_server_ids
                .iter()
                .map(String::as_str)
                .collect();
            let region: &_ = region;
            let mut matching = region
                .instances()
                .filter(|i| ids.is_empty() || ids.contains(i.id.as_str()))
                .filter(|i| servers.is_empty() || servers.contains(i.source_server_id.as_str()))
                .filter(|i| request.page.resume_at.is_none_or(|after| i.seq > after));
            let mut items = Vec::new();
            let mut last = None;
            for instance in matching.by_ref().take(request.page.max_results) {
                last = Some(instance.seq);
                items.push(wire::recovery_instance(region, instance, render));
            }
            let next_token = matching.next().and(last).map(PageToken::encode);
            Reply::json(200, &Page { items, next_token })
        }
        Operation::DeleteJob => {
            let job_id = requests::parse_body::<DeleteJobInput>(&input.body)?.validate()?;
            region.delete_job(&job_id, now)?;
            Ok(Reply::empty(204))
        }
        Operation::ListTagsForResource => {
            let arn = resource_arn(&input)?;
            let tags = region.list_tags(&arn)?;
            Reply::json(200, &json!({ "tags": tags }))
        }
        Operation::TagResource => {
            let arn = resource_arn(&input)?;
            let tags: BTreeMap<String, String> =
                requests::parse_body::<TagResourceInput>(&input.body)?.validate()?;
            region.tag(&arn, tags)?;
            Ok(Reply::empty(200))
        }
        Operation::UntagResource => {
            let arn = resource_arn(&input)?;
            requests::validate_tag_keys(&input.tag_keys)?;
            region.untag(&arn, &input.tag_keys)?;
            Ok(Reply::empty(200))
        }
    }
}

fn resource_arn(input: &OperationInput) -> Result<String, DrsError> {
    let arn = input.resource_arn.clone().unwrap_or_default();
    requests::validate_arn(&arn)?;
    Ok(arn)
}
