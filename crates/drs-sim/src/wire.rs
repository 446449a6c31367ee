//! Operation outputs as the DRS model defines them (member names, ISO 8601 strings), built
//! from the emulator's state at a simulated instant.

use std::collections::BTreeMap;

use jiff::Timestamp;
use jiff::tz::TimeZone;
use serde::Serialize;

use crate::clock::{SimClock, SimInstant};
use crate::job::{JobKind, LaunchStatus, LogEntry};
use crate::region::{AccountRegion, JobRecord, RecoveryInstance, SourceServer};

/// `ISO8601DatetimeString`: `YYYY-MM-DDTHH:MM:SS.mmmZ`.
pub fn iso_datetime(ts: Timestamp) -> String {
    let dt = TimeZone::UTC.to_datetime(ts);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        dt.year(),
        dt.month(),
        dt.day(),
        dt.hour(),
        dt.minute(),
        dt.second(),
        dt.subsec_nanosecond() / 1_000_000
    )
}

/// `ISO8601DurationString`: `PT3S`, `P2DT4H`, ...
pub fn iso_duration(total_seconds: u64) -> String {
    if total_seconds == 0 {
        return "PT0S".to_owned();
    }
    let days = total_seconds / 86_400;
    let hours = total_seconds % 86_400 / 3600;
    let minutes = total_seconds % 3600 / 60;
    let seconds = total_seconds % 60;
    let mut out = String::from("P");
    if days > 0 {
        out.push_str(&format!("{days}D"));
    }
    if hours > 0 || minutes > 0 || seconds > 0 {
        out.push('T');
        if hours > 0 {
            out.push_str(&format!("{hours}H"));
        }
        if minutes > 0 {
            out.push_str(&format!("{minutes}M"));
        }
        if seconds > 0 {
            out.push_str(&format!("{seconds}S"));
        }
    }
    out
}

/// Wall-clock formatting of simulated instants.
#[derive(Debug, Clone, Copy)]
pub struct Render<'a> {
    /// The clock mapping instants to wall-clock time.
    pub clock: &'a SimClock,
    /// The instant the view is taken at.
    pub now: SimInstant,
}

impl Render<'_> {
    fn at(&self, at: SimInstant) -> String {
        iso_datetime(self.clock.timestamp(at))
    }

    /// Wall-clock time of the clock origin shifted by `offset_seconds` (negative: before).
    fn origin_offset(&self, offset_seconds: i64) -> String {
        let ts = self
            .clock
            .origin()
            .checked_add(jiff::SignedDuration::from_secs(offset_seconds))
            .unwrap_or(self.clock.origin());
        iso_datetime(ts)
    }
}

/// `Job`.
#[derive(Debug, Serialize)]
pub struct JobOut {
    #[serde(rename = "jobID")]
    job_id: String,
    arn: String,
    #[serde(rename = "type")]
    job_type: &'static str,
    #[serde(rename = "initiatedBy")]
    initiated_by: &'static str,
    #[serde(rename = "creationDateTime")]
    creation_date_time: String,
    #[serde(rename = "endDateTime", skip_serializing_if = "Option::is_none")]
    end_date_time: Option<String>,
    status: &'static str,
    #[serde(rename = "participatingServers")]
    participating_servers: Vec<ParticipatingServerOut>,
    tags: BTreeMap<String, String>,
}

/// `ParticipatingServer`.
#[derive(Debug, Serialize)]
struct ParticipatingServerOut {
    #[serde(rename = "sourceServerID")]
    source_server_id: String,
    #[serde(rename = "recoveryInstanceID", skip_serializing_if = "Option::is_none")]
    recovery_instance_id: Option<String>,
    #[serde(rename = "launchStatus")]
    launch_status: &'static str,
}

/// The `Job` of a record at the render instant.
pub fn job(record: &JobRecord, render: Render<'_>) -> JobOut {
    let job = &record.job;
    let now = render.now;
    let status = job.status_at(now);
    JobOut {
        job_id: job.id.clone(),
        arn: record.arn.clone(),
        job_type: job.kind.job_type(),
        initiated_by: job.kind.initiated_by(),
        creation_date_time: render.at(job.created_at),
        end_date_time: (status == crate::job::JobStatus::Completed)
            .then(|| render.at(job.ended_at)),
        status: status.as_str(),
        participating_servers: job
            .servers
            .iter()
            .enumerate()
            .map(|(index, run)| {
                let launch_status = job.server_status_at(index, now);
                let shows_instance = match job.kind {
                    JobKind::Launch { .. } => launch_status == LaunchStatus::Launched,
                    JobKind::Terminate => true,
                };
                ParticipatingServerOut {
                    source_server_id: run.source_server_id.clone(),
                    recovery_instance_id: shows_instance.then(|| run.recovery_instance_id.clone()),
                    launch_status: launch_status.as_str(),
                }
            })
            .collect(),
        tags: job.tags.clone(),
    }
}

/// `JobLog`.
#[derive(Debug, Serialize)]
pub struct JobLogOut {
    #[serde(rename = "logDateTime")]
    log_date_time: String,
    event: &'static str,
    #[serde(rename = "eventData", skip_serializing_if = "Option::is_none")]
    event_data: Option<JobLogEventDataOut>,
}

#[derive(Debug, Serialize)]
struct JobLogEventDataOut {
    #[serde(rename = "sourceServerID", skip_serializing_if = "Option::is_none")]
    source_server_id: Option<String>,
    #[serde(rename = "conversionServerID", skip_serializing_if = "Option::is_none")]
    conversion_server_id: Option<String>,
    #[serde(rename = "targetInstanceID", skip_serializing_if = "Option::is_none")]
    target_instance_id: Option<String>,
    #[serde(rename = "rawError", skip_serializing_if = "Option::is_none")]
    raw_error: Option<String>,
}

/// A `JobLog` item.
pub fn log_item(entry: &LogEntry, render: Render<'_>) -> JobLogOut {
    let has_data = entry.source_server_id.is_some()
        || entry.conversion_server_id.is_some()
        || entry.target_instance_id.is_some()
        || entry.raw_error.is_some();
    JobLogOut {
        log_date_time: render.at(entry.at),
        event: entry.event.as_str(),
        event_data: has_data.then(|| JobLogEventDataOut {
            source_server_id: entry.source_server_id.clone(),
            conversion_server_id: entry.conversion_server_id.clone(),
            target_instance_id: entry.target_instance_id.clone(),
            raw_error: entry.raw_error.clone(),
        }),
    }
}

const DISK_BYTES: u64 = 107_374_182_400;
const RAM_BYTES: u64 = 8_589_934_592;
const CPU_MODEL: &str = "Intel(R) Xeon(R) Platinum 8259CL CPU @ 2.50GHz";
/// Source servers joined the service 30 days before the clock origin.
const ADDED_BEFORE_ORIGIN: i64 = 30 * 86_400;
/// First replicated byte 5 minutes after joining.
const FIRST_BYTE_AFTER_ADDED: i64 = 300;

/// `SourceServer`.
#[derive(Debug, Serialize)]
pub struct SourceServerOut {
    #[serde(rename = "sourceServerID")]
    source_server_id: String,
    arn: String,
    tags: BTreeMap<String, String>,
    #[serde(rename = "recoveryInstanceId", skip_serializing_if = "Option::is_none")]
    recovery_instance_id: Option<String>,
    #[serde(rename = "lastLaunchResult")]
    last_launch_result: &'static str,
    #[serde(rename = "dataReplicationInfo")]
    data_replication_info: DataReplicationInfoOut,
    #[serde(rename = "lifeCycle")]
    life_cycle: LifeCycleOut,
    #[serde(rename = "sourceProperties")]
    source_properties: SourcePropertiesOut,
    #[serde(rename = "stagingArea")]
    staging_area: StagingAreaOut,
    #[serde(
        rename = "sourceCloudProperties",
        skip_serializing_if = "Option::is_none"
    )]
    source_cloud_properties: Option<SourceCloudPropertiesOut>,
    #[serde(rename = "replicationDirection")]
    replication_direction: &'static str,
    #[serde(rename = "agentVersion")]
    agent_version: &'static str,
}

#[derive(Debug, Serialize)]
struct DataReplicationInfoOut {
    #[serde(rename = "lagDuration")]
    lag_duration: String,
    #[serde(rename = "etaDateTime", skip_serializing_if = "Option::is_none")]
    eta_date_time: Option<String>,
    #[serde(rename = "replicatedDisks")]
    replicated_disks: Vec<ReplicatedDiskOut>,
    #[serde(rename = "dataReplicationState")]
    data_replication_state: String,
    #[serde(rename = "stagingAvailabilityZone")]
    staging_availability_zone: String,
}

#[derive(Debug, Serialize)]
struct ReplicatedDiskOut {
    #[serde(rename = "deviceName")]
    device_name: &'static str,
    #[serde(rename = "totalStorageBytes")]
    total_storage_bytes: u64,
    #[serde(rename = "replicatedStorageBytes")]
    replicated_storage_bytes: u64,
    #[serde(rename = "rescannedStorageBytes")]
    rescanned_storage_bytes: u64,
    #[serde(rename = "backloggedStorageBytes")]
    backlogged_storage_bytes: u64,
    #[serde(rename = "volumeStatus")]
    volume_status: &'static str,
}

#[derive(Debug, Serialize)]
struct LifeCycleOut {
    #[serde(rename = "addedToServiceDateTime")]
    added_to_service_date_time: String,
    #[serde(rename = "firstByteDateTime")]
    first_byte_date_time: String,
    #[serde(rename = "elapsedReplicationDuration")]
    elapsed_replication_duration: String,
    #[serde(rename = "lastSeenByServiceDateTime")]
    last_seen_by_service_date_time: String,
    #[serde(rename = "lastLaunch", skip_serializing_if = "Option::is_none")]
    last_launch: Option<LastLaunchOut>,
}

#[derive(Debug, Serialize)]
struct LastLaunchOut {
    initiated: LastLaunchInitiatedOut,
    status: &'static str,
}

#[derive(Debug, Serialize)]
struct LastLaunchInitiatedOut {
    #[serde(rename = "apiCallDateTime")]
    api_call_date_time: String,
    #[serde(rename = "jobID")]
    job_id: String,
    #[serde(rename = "type")]
    launch_type: &'static str,
}

#[derive(Debug, Serialize)]
struct SourcePropertiesOut {
    #[serde(rename = "lastUpdatedDateTime")]
    last_updated_date_time: String,
    #[serde(rename = "recommendedInstanceType")]
    recommended_instance_type: String,
    #[serde(rename = "identificationHints")]
    identification_hints: IdentificationHintsOut,
    #[serde(rename = "networkInterfaces")]
    network_interfaces: Vec<NetworkInterfaceOut>,
    disks: Vec<DiskOut>,
    cpus: Vec<CpuOut>,
    #[serde(rename = "ramBytes")]
    ram_bytes: u64,
    os: OsOut,
    #[serde(rename = "supportsNitroInstances")]
    supports_nitro_instances: bool,
}

#[derive(Debug, Serialize)]
struct IdentificationHintsOut {
    fqdn: String,
    hostname: String,
    #[serde(rename = "vmWareUuid", skip_serializing_if = "Option::is_none")]
    vmware_uuid: Option<String>,
    #[serde(rename = "awsInstanceID", skip_serializing_if = "Option::is_none")]
    aws_instance_id: Option<String>,
}

#[derive(Debug, Serialize)]
struct NetworkInterfaceOut {
    #[serde(rename = "macAddress")]
    mac_address: String,
    ips: Vec<String>,
    #[serde(rename = "isPrimary")]
    is_primary: bool,
}

#[derive(Debug, Serialize)]
struct DiskOut {
    #[serde(rename = "deviceName")]
    device_name: &'static str,
    bytes: u64,
}

#[derive(Debug, Serialize)]
struct CpuOut {
    cores: u64,
    #[serde(rename = "modelName")]
    model_name: &'static str,
}

#[derive(Debug, Serialize)]
struct OsOut {
    #[serde(rename = "fullString")]
    full_string: String,
}

#[derive(Debug, Serialize)]
struct StagingAreaOut {
    status: &'static str,
    #[serde(rename = "stagingAccountID", skip_serializing_if = "Option::is_none")]
    staging_account_id: Option<String>,
    #[serde(
        rename = "stagingSourceServerArn",
        skip_serializing_if = "Option::is_none"
    )]
    staging_source_server_arn: Option<String>,
}

#[derive(Debug, Serialize)]
struct SourceCloudPropertiesOut {
    #[serde(rename = "originAccountID")]
    origin_account_id: String,
    #[serde(rename = "originRegion")]
    origin_region: String,
    #[serde(rename = "originAvailabilityZone")]
    origin_availability_zone: String,
}

/// The `SourceServer` at the render instant.
pub fn source_server(
    region: &AccountRegion,
    server: &SourceServer,
    render: Render<'_>,
) -> SourceServerOut {
    let spec = &server.spec;
    let now = render.now;
    let (last_launch_result, last_launch) = match &server.last_launch {
        None => ("NOT_STARTED", None),
        Some(last) => {
            let status = region.last_launch_status(last, now);
            let result = match last.settled {
                None => "PENDING",
                Some(LaunchStatus::Failed) => "FAILED",
                Some(_) => "SUCCEEDED",
            };
            (
                result,
                Some(LastLaunchOut {
                    initiated: LastLaunchInitiatedOut {
                        api_call_date_time: render.at(last.initiated_at),
                        job_id: last.job_id.clone(),
                        launch_type: if last.is_drill { "DRILL" } else { "RECOVERY" },
                    },
                    status: status.as_str(),
                }),
            )
        }
    };
    let state = spec.replication.state.as_str();
    let syncing = matches!(state, "INITIATING" | "INITIAL_SYNC" | "BACKLOG" | "RESCAN");
    let elapsed = (now.as_millis() / 1000) as i64 + ADDED_BEFORE_ORIGIN - FIRST_BYTE_AFTER_ADDED;
    let last_seen = if state == "DISCONNECTED" {
        render.origin_offset(-3600)
    } else {
        render.at(now)
    };
    SourceServerOut {
        source_server_id: spec.id.clone(),
        arn: server.arn.clone(),
        tags: server.tags.clone(),
        recovery_instance_id: server.recovery_instance_id.clone(),
        last_launch_result,
        data_replication_info: DataReplicationInfoOut {
            lag_duration: iso_duration(spec.replication.lag_seconds),
            eta_date_time: syncing.then(|| render.at(now.plus_millis(3_600_000))),
            replicated_disks: vec![ReplicatedDiskOut {
                device_name: "/dev/sda",
                total_storage_bytes: DISK_BYTES,
                replicated_storage_bytes: if syncing { DISK_BYTES / 2 } else { DISK_BYTES },
                rescanned_storage_bytes: 0,
                backlogged_storage_bytes: if state == "BACKLOG" {
                    DISK_BYTES / 10
                } else {
                    0
                },
                volume_status: "REGULAR",
            }],
            data_replication_state: spec.replication.state.clone(),
            staging_availability_zone: format!("{}a", spec.region),
        },
        life_cycle: LifeCycleOut {
            added_to_service_date_time: render.origin_offset(-ADDED_BEFORE_ORIGIN),
            first_byte_date_time: render
                .origin_offset(-ADDED_BEFORE_ORIGIN + FIRST_BYTE_AFTER_ADDED),
            elapsed_replication_duration: iso_duration(elapsed.max(0) as u64),
            last_seen_by_service_date_time: last_seen,
            last_launch,
        },
        source_properties: SourcePropertiesOut {
            last_updated_date_time: render.origin_offset(-3600),
            recommended_instance_type: spec.instance_type.clone(),
            identification_hints: IdentificationHintsOut {
                fqdn: spec.fqdn.clone(),
                hostname: spec.hostname.clone(),
                vmware_uuid: spec.vmware_uuid.clone(),
                aws_instance_id: spec.aws_instance_id.clone(),
            },
            network_interfaces: vec![NetworkInterfaceOut {
                mac_address: spec.mac_address.clone(),
                ips: vec![spec.ip_address.clone()],
                is_primary: true,
            }],
            disks: vec![DiskOut {
                device_name: "/dev/sda",
                bytes: DISK_BYTES,
            }],
            cpus: vec![CpuOut {
                cores: 2,
                model_name: CPU_MODEL,
            }],
            ram_bytes: RAM_BYTES,
            os: OsOut {
                full_string: spec.os.clone(),
            },
            supports_nitro_instances: true,
        },
        staging_area: match &spec.staging_account {
            Some(staging) => StagingAreaOut {
                status: "EXTENDED",
                staging_account_id: Some(staging.clone()),
                staging_source_server_arn: Some(format!(
                    "arn:aws:drs:{}:{staging}:source-server/{}",
                    spec.region, spec.id
                )),
            },
            None => StagingAreaOut {
                status: "NOT_EXTENDED",
                staging_account_id: None,
                staging_source_server_arn: None,
            },
        },
        source_cloud_properties: spec
            .aws_instance_id
            .as_ref()
            .map(|_| SourceCloudPropertiesOut {
                origin_account_id: spec.account.clone(),
                origin_region: spec.region.clone(),
                origin_availability_zone: format!("{}b", spec.region),
            }),
        replication_direction: "FAILOVER",
        agent_version: "4.2.0",
    }
}

/// `RecoveryInstance`.
#[derive(Debug, Serialize)]
pub struct RecoveryInstanceOut {
    #[serde(rename = "ec2InstanceID")]
    ec2_instance_id: String,
    #[serde(rename = "ec2InstanceState")]
    ec2_instance_state: &'static str,
    #[serde(rename = "jobID")]
    job_id: String,
    #[serde(rename = "recoveryInstanceID")]
    recovery_instance_id: String,
    #[serde(rename = "sourceServerID")]
    source_server_id: String,
    arn: String,
    tags: BTreeMap<String, String>,
    #[serde(rename = "recoveryInstanceProperties")]
    recovery_instance_properties: RecoveryInstancePropertiesOut,
    #[serde(rename = "pointInTimeSnapshotDateTime")]
    point_in_time_snapshot_date_time: String,
    #[serde(rename = "isDrill")]
    is_drill: bool,
    #[serde(rename = "originEnvironment")]
    origin_environment: &'static str,
}

#[derive(Debug, Serialize)]
struct RecoveryInstancePropertiesOut {
    #[serde(rename = "lastUpdatedDateTime")]
    last_updated_date_time: String,
    #[serde(rename = "identificationHints")]
    identification_hints: IdentificationHintsOut,
    #[serde(rename = "networkInterfaces")]
    network_interfaces: Vec<NetworkInterfaceOut>,
    disks: Vec<RecoveryInstanceDiskOut>,
    cpus: Vec<CpuOut>,
    #[serde(rename = "ramBytes")]
    ram_bytes: u64,
    os: OsOut,
}

#[derive(Debug, Serialize)]
struct RecoveryInstanceDiskOut {
    #[serde(rename = "internalDeviceName")]
    internal_device_name: &'static str,
    bytes: u64,
    #[serde(rename = "ebsVolumeID")]
    ebs_volume_id: String,
}

/// The `RecoveryInstance` at the render instant.
pub fn recovery_instance(
    region: &AccountRegion,
    instance: &RecoveryInstance,
    render: Render<'_>,
) -> RecoveryInstanceOut {
    let shutting_down = instance
        .terminate_job
        .and_then(|seq| region.job_by_seq(seq))
        .is_some_and(|r| render.now >= r.job.started_at);
    let server = region
        .servers()
        .iter()
        .find(|s| s.spec.id == instance.source_server_id);
    let (hostname, fqdn, os, aws_origin) = match server {
        Some(s) => (
            s.spec.hostname.clone(),
            s.spec.fqdn.clone(),
            s.spec.os.clone(),
            s.spec.aws_instance_id.is_some(),
        ),
        None => (String::new(), String::new(), String::new(), false),
    };
    let octets = crate::rng::stable_hash(&[&instance.id]);
    RecoveryInstanceOut {
        ec2_instance_id: instance.id.clone(),
        ec2_instance_state: if shutting_down {
            "SHUTTING-DOWN"
        } else {
            "RUNNING"
        },
        job_id: instance.job_id.clone(),
        recovery_instance_id: instance.id.clone(),
        source_server_id: instance.source_server_id.clone(),
        arn: instance.arn.clone(),
        tags: instance.tags.clone(),
        recovery_instance_properties: RecoveryInstancePropertiesOut {
            last_updated_date_time: render.at(instance.launched_at),
            identification_hints: IdentificationHintsOut {
                fqdn,
                hostname,
                vmware_uuid: None,
                aws_instance_id: Some(instance.id.clone()),
            },
            network_interfaces: vec![NetworkInterfaceOut {
                mac_address: format!(
                    "0e:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}",
                    octets & 0xff,
                    (octets >> 8) & 0xff,
                    (octets >> 16) & 0xff,
                    (octets >> 24) & 0xff,
                    (octets >> 32) & 0xff
                ),
                ips: vec![format!(
                    "172.31.{}.{}",
                    (octets >> 40) & 0xff,
                    ((octets >> 48) & 0xfd) + 2
                )],
                is_primary: true,
            }],
            disks: vec![RecoveryInstanceDiskOut {
                internal_device_name: "/dev/sda1",
                bytes: DISK_BYTES,
                ebs_volume_id: instance.volume_id.clone(),
            }],
            cpus: vec![CpuOut {
                cores: 2,
                model_name: CPU_MODEL,
            }],
            ram_bytes: RAM_BYTES,
            os: OsOut { full_string: os },
        },
        point_in_time_snapshot_date_time: render.at(instance.snapshot_at),
        is_drill: instance.is_drill,
        origin_environment: if aws_origin { "AWS" } else { "ON_PREMISES" },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn datetimes_match_the_model_pattern() {
        let ts: Timestamp = "2025-03-04T05:06:07.089Z".parse().unwrap();
        let text = iso_datetime(ts);
        assert_eq!(text, "2025-03-04T05:06:07.089Z");
        assert!(crate::requests::parse_iso_datetime(&text).is_some());
    }

    #[test]
    fn durations_are_iso_8601() {
        assert_eq!(iso_duration(0), "PT0S");
        assert_eq!(iso_duration(3), "PT3S");
        assert_eq!(iso_duration(3725), "PT1H2M5S");
        assert_eq!(iso_duration(86_400 * 2), "P2D");
        assert_eq!(iso_duration(86_400 + 60), "P1DT1M");
    }
}
