#!/usr/bin/env python3
"""boto3 conformance suite of drs-sim.

    python3 boto3_conformance.py --endpoint http://127.0.0.1:PORT

The suite loads tests/conformance/scenario.yaml (manual clock) through the admin API. Every operation drs-sim
serves is called through an unmodified boto3 client, and every raw response is validated
against the botocore service model before botocore parses it (shape_validator.py). The
suite fails when a response breaks the model, when a behaviour differs from what
docs/drs-sim.md describes, or when an operation or error type was never validated.
Run by crates/drs-sim/tests/conformance.rs in `cargo test`.
"""

import argparse
import datetime
import json
import pathlib
import sys
import time
import traceback
import urllib.error
import urllib.request

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))

import boto3  # noqa: E402
import botocore.session  # noqa: E402
from botocore import UNSIGNED  # noqa: E402
from botocore.config import Config  # noqa: E402
from botocore.exceptions import ClientError  # noqa: E402

import shape_validator  # noqa: E402

ACCOUNT = "111122223333"
REGION = "us-east-1"
ACCESS_KEY = "AKIACONFORMANCE0001"
DENIED_KEY = "AKIADENIEDACCOUNT01"
START = datetime.datetime(2025, 1, 1, tzinfo=datetime.timezone.utc)

DRILL_A, DRILL_B, DRILL_C = "s-0000000000drilla1", "s-0000000000drillb2", "s-0000000000drillc3"
HW_AWS, HW_VMW, STAGED = "s-00000000000hwaws1", "s-00000000000hwvmw1", "s-0000000000staged1"
TOTAL_SERVERS = 1006

# Launch timelines of scenario.yaml (seconds): pending, then per server snapshot, conversion,
# launch and the phase it fails at (None: launched).
PENDING = 5
TIMELINE = {
    DRILL_A: {"snapshot": 10, "conversion": 20, "launch": 30, "fails": None},
    DRILL_B: {"snapshot": 10, "conversion": 15, "launch": 30, "fails": "conversion"},
    DRILL_C: {"snapshot": 12, "conversion": 25, "launch": 40, "fails": None},
}
DEFAULT_LAUNCH_SECONDS = PENDING + 10 + 20 + 30
TERMINATE_SECONDS = 8

SERVED_OPERATIONS = [
    "StartRecovery",
    "DescribeJobs",
    "DescribeJobLogItems",
    "DescribeSourceServers",
    "DescribeRecoveryInstances",
    "TerminateRecoveryInstances",
    "DeleteJob",
    "ListTagsForResource",
    "TagResource",
    "UntagResource",
]
# InternalServerException is not produced: the emulator has no failure that would cause it.
ERROR_TYPES = [
    "ValidationException",
    "ResourceNotFoundException",
    "ConflictException",
    "ServiceQuotaExceededException",
    "ThrottlingException",
    "UninitializedAccountException",
    "AccessDeniedException",
    "UnrecognizedClientException",
    "MissingAuthenticationTokenException",
    "UnknownOperationException",
]

THROTTLED_SCENARIO = """
seed: 1
clock: { manual: true, start: "2025-01-01T00:00:00Z" }
accounts: { "111122223333": { access_keys: [AKIACONFORMANCE0001] } }
throttling: { requests_per_second: 1, burst: 3 }
"""


def check(condition, message):
    if not condition:
        raise AssertionError(message)


def at(seconds):
    """The wire timestamp `seconds` after the scenario's clock start."""
    moment = START + datetime.timedelta(seconds=seconds)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def expected_log(servers, started):
    """The log items of a launch job, from the documented rules: per server SNAPSHOT_START,
    SNAPSHOT_END, CONVERSION_START, CONVERSION_END or CONVERSION_FAIL, LAUNCH_START; ordered
    by time, at equal times JOB_START first, then servers in request order, JOB_END last."""
    keyed = [(started, 0, 0, "JOB_START", None)]
    ends = []
    for index, server in enumerate(servers):
        t = TIMELINE[server]
        items = [(started, "SNAPSHOT_START")]
        snapshot_end = started + t["snapshot"]
        items += [(snapshot_end, "SNAPSHOT_END"), (snapshot_end, "CONVERSION_START")]
        conversion_end = snapshot_end + t["conversion"]
        if t["fails"] == "conversion":
            items.append((conversion_end, "CONVERSION_FAIL"))
            ends.append(conversion_end)
        else:
            items += [(conversion_end, "CONVERSION_END"), (conversion_end, "LAUNCH_START")]
            ends.append(conversion_end + t["launch"])
        keyed += [(when, 1, index, event, server) for when, event in items]
    keyed.append((max(ends), 2, 0, "JOB_END", None))
    keyed.sort(key=lambda k: (k[0], k[1], k[2]))
    return [(when, event, server) for when, _, _, event, server in keyed], ends


class Suite:
    def __init__(self, endpoint):
        self.endpoint = endpoint.rstrip("/")
        self.model = botocore.session.get_session().get_service_model("drs")
        self.validator = shape_validator.ResponseValidator(self.model)
        self.drs = self.client()
        self.raw = self.client(parameter_validation=False)
        self.clock = 0.0  # seconds since the scenario's start

    def client(self, access_key=ACCESS_KEY, region=REGION, parameter_validation=True, unsigned=False):
        config = Config(
            retries={"mode": "standard", "total_max_attempts": 1},
            parameter_validation=parameter_validation,
            signature_version=UNSIGNED if unsigned else None,
            connect_timeout=5,
            read_timeout=30,
        )
        client = boto3.session.Session().client(
            "drs",
            endpoint_url=self.endpoint,
            region_name=region,
            aws_access_key_id=access_key,
            aws_secret_access_key="conformance-secret",
            config=config,
        )
        return self.validator.attach(client)

    # -- admin API (not DRS; not validated) ---------------------------------------------

    def admin(self, method, path, body=None, content_type="application/json"):
        data = None if body is None else body.encode()
        request = urllib.request.Request(f"{self.endpoint}{path}", data=data, method=method, headers={"content-type": content_type})
        try:
            with urllib.request.urlopen(request, timeout=30) as reply:
                return json.loads(reply.read())
        except urllib.error.HTTPError as err:
            raise AssertionError(f"admin {method} {path}: {err.code} {err.read()!r}") from err

    def advance_to(self, seconds):
        check(seconds >= self.clock, f"the clock cannot go back from {self.clock} to {seconds}")
        if seconds > self.clock:
            reply = self.admin("POST", "/_sim/clock/advance", json.dumps({"seconds": seconds - self.clock}))
            self.clock = seconds
            check(reply["now"] == at(seconds), f"clock at {reply['now']}, expected {at(seconds)}")

    def expect_error(self, name, status, call, *args, **kwargs):
        try:
            call(*args, **kwargs)
        except ClientError as err:
            code = err.response["Error"]["Code"]
            got = err.response["ResponseMetadata"]["HTTPStatusCode"]
            check(code == name and got == status, f"expected {name} ({status}), got {code} ({got}): {err}")
            return err.response
        raise AssertionError(f"expected {name} ({status}), the call succeeded")

    # -- helpers --------------------------------------------------------------------------

    def job(self, job_id):
        items = self.drs.describe_jobs(filters={"jobIDs": [job_id]})["items"]
        check(len(items) == 1, f"DescribeJobs jobIDs=[{job_id}] gave {len(items)} items")
        return items[0]

    def log(self, job_id, page_size=4):
        pages = self.drs.get_paginator("describe_job_log_items").paginate(jobID=job_id, PaginationConfig={"PageSize": page_size})
        return [item for page in pages for item in page["items"]]

    def instances(self, **filters):
        pages = self.drs.get_paginator("describe_recovery_instances").paginate(filters=filters)
        return [item for page in pages for item in page["items"]]

    def server(self, server_id):
        items = self.drs.describe_source_servers(filters={"sourceServerIDs": [server_id]})["items"]
        check(len(items) == 1, f"DescribeSourceServers {server_id}: {len(items)} items")
        return items[0]

    def bulk_ids(self):
        pages = self.drs.get_paginator("describe_source_servers").paginate(PaginationConfig={"PageSize": 500})
        return [s["sourceServerID"] for page in pages for s in page["items"] if s["tags"].get("App") == "bulk"]

    # -- sections -------------------------------------------------------------------------

    def source_servers(self):
        first = self.drs.describe_source_servers()
        check(len(first["items"]) == 1000 and first.get("nextToken"), f"first default page: {len(first['items'])} items, token {first.get('nextToken')!r}")
        second = self.drs.describe_source_servers(nextToken=first["nextToken"])
        check(len(second["items"]) == TOTAL_SERVERS - 1000 and "nextToken" not in second, f"second page: {len(second['items'])} items")
        pages = list(self.drs.get_paginator("describe_source_servers").paginate(PaginationConfig={"PageSize": 100}))
        ids = [s["sourceServerID"] for p in pages for s in p["items"]]
        check(len(pages) == 11 and all(len(p["items"]) == 100 for p in pages[:10]), f"pages of 100: {[len(p['items']) for p in pages]}")
        check(len(ids) == TOTAL_SERVERS == len(set(ids)), f"{len(ids)} servers over pages, {len(set(ids))} distinct")
        check(ids == [s["sourceServerID"] for s in first["items"] + second["items"]], "pages of 100 and of 1000 list different servers or orders")
        small = self.drs.describe_source_servers(maxResults=7, nextToken=first["nextToken"])
        check(len(small["items"]) == 6 and "nextToken" not in small, "maxResults=7 on the last 6 servers")

        picked = self.drs.describe_source_servers(filters={"sourceServerIDs": [DRILL_A, STAGED, "s-00000000000000000"]})["items"]
        check(sorted(s["sourceServerID"] for s in picked) == sorted([DRILL_A, STAGED]), f"sourceServerIDs filter: {[s['sourceServerID'] for s in picked]}")
        for hardware_id, expected in [("i-0abc1234def567890", HW_AWS), ("4231a1b2-c3d4-e5f6-0718-293a4b5c6d7e", HW_VMW), ("02:00:00:aa:bb:cc", HW_VMW)]:
            found = [s["sourceServerID"] for s in self.drs.describe_source_servers(filters={"hardwareId": hardware_id})["items"]]
            check(found == [expected], f"hardwareId {hardware_id}: {found}")
        staged = self.drs.describe_source_servers(filters={"stagingAccountIDs": ["999988887777"]})["items"]
        check([s["sourceServerID"] for s in staged] == [STAGED], f"stagingAccountIDs: {staged}")
        check(staged[0]["stagingArea"]["stagingAccountID"] == "999988887777", f"stagingArea {staged[0]['stagingArea']}")
        none = self.drs.describe_source_servers(filters={"stagingAccountIDs": ["000000000000"]})["items"]
        check(none == [], "stagingAccountIDs of no server")

        a = self.server(DRILL_A)
        check(a["tags"] == {"App": "conformance", "Tier": "db"}, f"tags {a['tags']}")
        check(a["arn"] == f"arn:aws:drs:{REGION}:{ACCOUNT}:source-server/{DRILL_A}", a["arn"])
        info = a["dataReplicationInfo"]
        check(info["dataReplicationState"] == "CONTINUOUS" and info["lagDuration"] == "PT3S", f"replication {info}")
        check(self.server(DRILL_C)["dataReplicationInfo"]["lagDuration"] == "PT1M30S", "lag of 90 s")
        check(a["lastLaunchResult"] == "NOT_STARTED", a["lastLaunchResult"])
        check(a["sourceProperties"]["identificationHints"]["hostname"] == "drill-a", "hostname")

    def drill(self):
        servers = [DRILL_A, DRILL_B, DRILL_C]
        reply = self.drs.start_recovery(isDrill=True, sourceServers=[{"sourceServerID": s} for s in servers], tags={"Plan": "conformance"})
        check(reply["ResponseMetadata"]["HTTPStatusCode"] == 202, "StartRecovery status")
        job = reply["job"]
        job_id = job["jobID"]
        check(job["status"] == "PENDING" and job["type"] == "LAUNCH" and job["initiatedBy"] == "START_DRILL", f"new job {job}")
        check([p["launchStatus"] for p in job["participatingServers"]] == ["PENDING"] * 3, f"new job servers {job['participatingServers']}")
        check(job["creationDateTime"] == at(0) and "endDateTime" not in job, f"new job times {job}")
        check(job["tags"] == {"Plan": "conformance"}, f"job tags {job['tags']}")
        check(self.log(job_id) == [], "a pending job has no log")
        check(self.server(DRILL_A)["lastLaunchResult"] == "PENDING", "lastLaunchResult while pending")

        log, ends = expected_log(servers, PENDING)
        job_end = max(ends)
        moments = sorted({0, PENDING - 1, *[when for when, _, _ in log], *ends, job_end + 10})
        for moment in moments:
            self.advance_to(moment)
            job = self.job(job_id)
            status = "PENDING" if moment < PENDING else "STARTED" if moment < job_end else "COMPLETED"
            check(job["status"] == status, f"t={moment}: job {job['status']}, expected {status}")
            for index, server in enumerate(servers):
                part = job["participatingServers"][index]
                final = "FAILED" if TIMELINE[server]["fails"] else "LAUNCHED"
                launch_status = "PENDING" if moment < PENDING else "IN_PROGRESS" if moment < ends[index] else final
                check(part["sourceServerID"] == server and part["launchStatus"] == launch_status, f"t={moment}: {part}, expected {launch_status}")
                check(("recoveryInstanceID" in part) == (launch_status == "LAUNCHED"), f"t={moment}: recoveryInstanceID shown in {part}")
            items = self.log(job_id, page_size=3)
            visible = [(when, event, server) for when, event, server in log if when <= moment]
            got = [(item["logDateTime"], item["event"], item.get("eventData", {}).get("sourceServerID")) for item in items]
            check(got == [(at(w), e, s) for w, e, s in visible], f"t={moment}: log\n  got      {got}\n  expected {[(at(w), e, s) for w, e, s in visible]}")
        check(job["endDateTime"] == at(job_end), f"endDateTime {job.get('endDateTime')}")

        items = self.log(job_id)
        launch_targets = {i["eventData"]["sourceServerID"]: i["eventData"]["targetInstanceID"] for i in items if i["event"] == "LAUNCH_START"}
        for item in items:
            data = item.get("eventData", {})
            if item["event"].startswith("CONVERSION"):
                check(data.get("conversionServerID", "").startswith("i-"), f"conversionServerID in {item}")
            if item["event"] == "CONVERSION_FAIL":
                check(data.get("rawError") == "Missing permission ec2:DetachVolume", f"rawError in {item}")
        parts = {p["sourceServerID"]: p for p in job["participatingServers"]}
        check(parts[DRILL_A]["recoveryInstanceID"] == launch_targets[DRILL_A], "LAUNCH_START target is the recovery instance")

        instances = self.instances()
        by_server = {i["sourceServerID"]: i for i in instances}
        check(sorted(by_server) == [DRILL_A, DRILL_C], f"recovery instances of {sorted(by_server)}")
        for server in (DRILL_A, DRILL_C):
            instance = by_server[server]
            check(instance["recoveryInstanceID"] == parts[server]["recoveryInstanceID"] == instance["ec2InstanceID"], f"instance IDs {instance}")
            check(instance["isDrill"] is True and instance["jobID"] == job_id and instance["ec2InstanceState"] == "RUNNING", f"instance {instance}")
        only = self.instances(recoveryInstanceIDs=[by_server[DRILL_C]["recoveryInstanceID"]])
        check([i["sourceServerID"] for i in only] == [DRILL_C], "recoveryInstanceIDs filter")
        only = self.instances(sourceServerIDs=[DRILL_A])
        check([i["sourceServerID"] for i in only] == [DRILL_A], "sourceServerIDs filter")
        a, b = self.server(DRILL_A), self.server(DRILL_B)
        check(a["lastLaunchResult"] == "SUCCEEDED" and a["recoveryInstanceId"] == by_server[DRILL_A]["recoveryInstanceID"], f"server A after the drill {a['lastLaunchResult']}")
        check(a["lifeCycle"]["lastLaunch"]["initiated"] == {"apiCallDateTime": at(0), "jobID": job_id, "type": "DRILL"}, f"lastLaunch {a['lifeCycle']}")
        check(b["lastLaunchResult"] == "FAILED" and "recoveryInstanceId" not in b, "server B after the drill")
        self.drill_job, self.drill_instances = job_id, by_server

    def second_drill_and_terminate(self):
        created = self.clock
        job = self.drs.start_recovery(isDrill=True, sourceServers=[{"sourceServerID": DRILL_A}])["job"]
        self.advance_to(created + DEFAULT_LAUNCH_SECONDS)
        check(self.job(job["jobID"])["status"] == "COMPLETED", "second drill completes")
        mine = self.instances(sourceServerIDs=[DRILL_A])
        check(len(mine) == 1 and mine[0]["jobID"] == job["jobID"], f"a new drill replaces the drill instance: {mine}")
        check(mine[0]["recoveryInstanceID"] != self.drill_instances[DRILL_A]["recoveryInstanceID"], "the replacing instance is new")
        self.second_drill = (job["jobID"], created)

        target = self.drill_instances[DRILL_C]["recoveryInstanceID"]
        created = self.clock
        reply = self.drs.terminate_recovery_instances(recoveryInstanceIDs=[target])
        check(reply["ResponseMetadata"]["HTTPStatusCode"] == 200, "TerminateRecoveryInstances status")
        job = reply["job"]
        check(job["type"] == "TERMINATE" and job["initiatedBy"] == "TERMINATE_RECOVERY_INSTANCES" and job["status"] == "PENDING", f"terminate job {job}")
        check(job["participatingServers"] == [{"sourceServerID": DRILL_C, "recoveryInstanceID": target, "launchStatus": "PENDING"}], f"terminate servers {job['participatingServers']}")
        self.expect_error("ConflictException", 409, self.drs.terminate_recovery_instances, recoveryInstanceIDs=[target])
        self.advance_to(created + PENDING)
        check(self.instances(recoveryInstanceIDs=[target])[0]["ec2InstanceState"] == "SHUTTING-DOWN", "instance while terminating")
        self.advance_to(created + PENDING + TERMINATE_SECONDS)
        done = self.job(job["jobID"])
        check(done["status"] == "COMPLETED" and done["participatingServers"][0]["launchStatus"] == "TERMINATED", f"terminate job done {done}")
        check(self.instances(recoveryInstanceIDs=[target]) == [], "the terminated instance is gone")
        check("recoveryInstanceId" not in self.server(DRILL_C), "the source server lost its instance")
        check([i["event"] for i in self.log(job["jobID"])] == ["JOB_START", "JOB_END"], "terminate job log")
        self.terminate_job = (job["jobID"], created)

    def describe_jobs(self):
        drill_id = self.drill_job
        second_id, second_at = self.second_drill
        terminate_id, terminate_at = self.terminate_job
        every = [j["jobID"] for j in self.drs.describe_jobs()["items"]]
        check(every == [terminate_id, second_id, drill_id], f"newest first: {every}")
        pages = list(self.drs.get_paginator("describe_jobs").paginate(PaginationConfig={"PageSize": 1}))
        check([[j["jobID"] for j in p["items"]] for p in pages] == [[terminate_id], [second_id], [drill_id]], "pages of 1")
        check(all("nextToken" in p for p in pages[:-1]) and "nextToken" not in pages[-1], "nextToken on all pages but the last")
        by_ids = [j["jobID"] for j in self.drs.describe_jobs(filters={"jobIDs": [drill_id, terminate_id]})["items"]]
        check(by_ids == [terminate_id, drill_id], f"jobIDs filter: {by_ids}")
        since = [j["jobID"] for j in self.drs.describe_jobs(filters={"fromDate": at(second_at)})["items"]]
        check(since == [terminate_id, second_id], f"fromDate (inclusive): {since}")
        until = [j["jobID"] for j in self.drs.describe_jobs(filters={"toDate": at(second_at)})["items"]]
        check(until == [second_id, drill_id], f"toDate (inclusive): {until}")
        between = [j["jobID"] for j in self.drs.describe_jobs(filters={"fromDate": at(1), "toDate": at(terminate_at - 1)})["items"]]
        check(between == [second_id], f"fromDate and toDate: {between}")
        empty = self.drs.describe_jobs(filters={"fromDate": at(terminate_at + 1)})["items"]
        check(empty == [], "fromDate after every job")

    def tags(self):
        job_arn = f"arn:aws:drs:{REGION}:{ACCOUNT}:job/{self.drill_job}"
        server_arn = self.server(DRILL_B)["arn"]
        instance = self.instances(sourceServerIDs=[DRILL_A])[0]
        check(self.drs.list_tags_for_resource(resourceArn=job_arn)["tags"] == {"Plan": "conformance"}, "StartRecovery tags the job")
        for arn, before in [(job_arn, {"Plan": "conformance"}), (server_arn, {"App": "conformance", "Tier": "app"}), (instance["arn"], {})]:
            self.drs.tag_resource(resourceArn=arn, tags={"Owner": "dr-team", "Cost Center": "42/a"})
            tags = self.drs.list_tags_for_resource(resourceArn=arn)["tags"]
            check(tags == {**before, "Owner": "dr-team", "Cost Center": "42/a"}, f"{arn} after TagResource: {tags}")
            self.drs.untag_resource(resourceArn=arn, tagKeys=["Owner", "Cost Center", "Absent"])
            tags = self.drs.list_tags_for_resource(resourceArn=arn)["tags"]
            check(tags == before, f"{arn} after UntagResource: {tags}")
        self.drs.tag_resource(resourceArn=server_arn, tags={"Tier": "batch"})
        check(self.server(DRILL_B)["tags"]["Tier"] == "batch", "tags show in DescribeSourceServers")
        missing = f"arn:aws:drs:{REGION}:{ACCOUNT}:job/drsjob-00000000000000000"
        self.expect_error("ResourceNotFoundException", 404, self.drs.list_tags_for_resource, resourceArn=missing)
        self.expect_error("ResourceNotFoundException", 404, self.drs.tag_resource, resourceArn=missing, tags={"a": "b"})
        self.expect_error("ResourceNotFoundException", 404, self.drs.untag_resource, resourceArn=missing, tagKeys=["a"])

    def delete_job(self):
        reply = self.drs.delete_job(jobID=self.drill_job)
        check(reply["ResponseMetadata"]["HTTPStatusCode"] == 204, "DeleteJob status")
        check(self.drs.describe_jobs(filters={"jobIDs": [self.drill_job]})["items"] == [], "a deleted job is not listed")
        check(self.log(self.drill_job) == [], "a deleted job has no log items")
        self.expect_error("ResourceNotFoundException", 404, self.drs.delete_job, jobID=self.drill_job)
        self.expect_error("ResourceNotFoundException", 404, self.drs.delete_job, jobID="drsjob-00000000000000000")

    def quotas_and_conflicts(self):
        bulk = self.bulk_ids()
        check(len(bulk) == 1000, f"{len(bulk)} bulk servers")
        self.expect_error("ServiceQuotaExceededException", 402, self.drs.start_recovery, sourceServers=[{"sourceServerID": s} for s in bulk[:101]])
        started = self.clock
        jobs = [self.drs.start_recovery(isDrill=True, sourceServers=[{"sourceServerID": s} for s in bulk[i * 100 : i * 100 + 100]])["job"]["jobID"] for i in range(5)]
        err = self.expect_error("ServiceQuotaExceededException", 402, self.drs.start_recovery, sourceServers=[{"sourceServerID": bulk[600]}])
        check(err["Error"].get("Message") and err["quotaCode"] == "MaxSourceServersInAllActiveJobs", f"quota code {err}")
        err = self.expect_error("ConflictException", 409, self.drs.start_recovery, sourceServers=[{"sourceServerID": bulk[0]}])
        check(err["resourceId"] == bulk[0] and err["resourceType"] == "SOURCE_SERVER", f"conflict {err}")
        self.expect_error("ConflictException", 409, self.drs.delete_job, jobID=jobs[0])
        # Complete them; then 20 single-server jobs fill the concurrent-jobs quota.
        self.advance_to(started + DEFAULT_LAUNCH_SECONDS)
        check({j["status"] for j in self.drs.describe_jobs(filters={"jobIDs": jobs})["items"]} == {"COMPLETED"}, "bulk jobs complete")
        singles = [self.drs.start_recovery(isDrill=False, sourceServers=[{"sourceServerID": s}])["job"]["jobID"] for s in bulk[500:520]]
        err = self.expect_error("ServiceQuotaExceededException", 402, self.drs.start_recovery, sourceServers=[{"sourceServerID": bulk[520]}])
        check(err["quotaCode"] == "MaxConcurrentJobs", f"quota code {err}")
        pages = list(self.drs.get_paginator("describe_jobs").paginate(PaginationConfig={"PageSize": 6}))
        listed = [j["jobID"] for p in pages for j in p["items"]]
        check(len(pages) == 5 and listed[:20] == singles[::-1], f"{len(pages)} pages of 6 over {len(listed)} jobs")
        check(len(listed) == len(set(listed)) == 27, f"{len(listed)} jobs listed")
        recovery = self.job(singles[0])
        check(recovery["initiatedBy"] == "START_RECOVERY", recovery["initiatedBy"])
        self.advance_to(self.clock + DEFAULT_LAUNCH_SECONDS)
        check(len(self.instances()) == 1 + 500 + 20, "instances after the bulk jobs")

    def validation_errors(self):
        raw = self.raw
        err = self.expect_error("ValidationException", 400, raw.start_recovery, sourceServers=[{"sourceServerID": "s-bad"}])
        check(err["reason"] == "fieldValidationFailed" and err["fieldList"][0]["name"] == "sourceServers[0].sourceServerID", f"fieldList {err}")
        err = self.expect_error("ValidationException", 400, raw.start_recovery, sourceServers=[{"sourceServerID": "s-00000000000000000"}])
        check("does not exist" in err["fieldList"][0]["message"], f"unknown server {err}")
        self.expect_error("ValidationException", 400, raw.start_recovery, sourceServers=[])
        self.expect_error("ValidationException", 400, raw.start_recovery, sourceServers=[{"sourceServerID": f"s-{i:017d}"} for i in range(201)])
        self.expect_error("ValidationException", 400, raw.describe_jobs, maxResults=0)
        self.expect_error("ValidationException", 400, raw.describe_jobs, nextToken="not-a-token")
        self.expect_error("ValidationException", 400, raw.describe_jobs, filters={"fromDate": "yesterday"})
        self.expect_error("ValidationException", 400, raw.describe_job_log_items, jobID="job-1")
        self.expect_error("ValidationException", 400, raw.describe_source_servers, filters={"sourceServerIDs": ["bad"]})
        self.expect_error("ValidationException", 400, raw.terminate_recovery_instances, recoveryInstanceIDs=["i-00000000000000000"])
        self.expect_error("ValidationException", 400, raw.list_tags_for_resource, resourceArn="not-an-arn-at-all-really")

    def caller_errors(self):
        self.expect_error("UninitializedAccountException", 400, self.client(region="us-west-2").describe_jobs)
        self.expect_error("AccessDeniedException", 403, self.client(access_key=DENIED_KEY).describe_recovery_instances)
        check(self.client(access_key=DENIED_KEY).describe_jobs()["items"] == [], "the other account has its own jobs")
        self.expect_error("UnrecognizedClientException", 403, self.client(access_key="AKIANOBODYKNOWSME01").describe_jobs)
        self.expect_error("MissingAuthenticationTokenException", 403, self.client(unsigned=True).describe_jobs)
        self.expect_error("UnknownOperationException", 404, self.drs.get_launch_configuration, sourceServerID=DRILL_A)

    def request_counters(self):
        """Every request the emulator counted had its response validated here."""
        counted = self.admin("GET", "/_sim/counters")["requests"]
        for op in SERVED_OPERATIONS:
            validated = sum(n for (o, _), n in self.validator.validated.items() if o == op)
            check(counted.get(op, 0) == validated, f"{op}: the emulator counted {counted.get(op, 0)} requests, {validated} responses were validated")

    def throttling(self):
        loaded = self.admin("POST", "/_sim/scenario", THROTTLED_SCENARIO, content_type="application/yaml")
        check(loaded["status"] == "loaded", f"throttled scenario: {loaded}")
        throttled = None
        for _ in range(20):
            try:
                self.drs.describe_jobs()
            except ClientError as err:
                throttled = err.response
                break
        check(throttled is not None, "20 quick requests at 1 request/s, burst 3, were never throttled")
        check(throttled["Error"]["Code"] == "ThrottlingException" and throttled["ResponseMetadata"]["HTTPStatusCode"] == 429, f"throttled with {throttled['Error']}")
        retry_after = throttled["ResponseMetadata"]["HTTPHeaders"].get("retry-after")
        check(retry_after is not None and int(retry_after) >= 1, f"Retry-After {retry_after!r}")
        check(self.admin("GET", "/_sim/counters")["throttled"] >= 1, "the throttled request is counted")
        time.sleep(int(retry_after))
        self.drs.describe_jobs()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--endpoint", required=True, help="drs-sim URL, e.g. http://127.0.0.1:PORT")
    args = parser.parse_args()

    model = botocore.session.get_session().get_service_model("drs")
    shape_validator.self_test(model)
    print("ok   validator self-test (rejects wrong types, unknown members, bad enums, patterns, status codes)")

    suite = Suite(args.endpoint)
    # Load (and reset to) the suite's scenario, whatever the emulator was started with.
    scenario = (pathlib.Path(__file__).resolve().parent / "scenario.yaml").read_text()
    loaded = suite.admin("POST", "/_sim/scenario", scenario, content_type="application/yaml")
    check(loaded.get("servers") == TOTAL_SERVERS, f"loading scenario.yaml: {loaded}")
    sections = [
        ("DescribeSourceServers: filters, pagination over 1,006 servers", suite.source_servers),
        ("drill PENDING -> COMPLETED on the manual clock, log item order", suite.drill),
        ("instance replacement, TerminateRecoveryInstances", suite.second_drill_and_terminate),
        ("DescribeJobs: filters, order, pagination", suite.describe_jobs),
        ("tags on jobs, source servers, recovery instances", suite.tags),
        ("DeleteJob", suite.delete_job),
        ("quotas and conflicts", suite.quotas_and_conflicts),
        ("validation errors", suite.validation_errors),
        ("caller errors (account, region, credentials, access, unknown operation)", suite.caller_errors),
        ("every counted request was validated", suite.request_counters),
        ("throttling", suite.throttling),
    ]
    failed = False
    for title, section in sections:
        started = time.monotonic()
        try:
            section()
        except Exception:  # noqa: BLE001 - report every failing section, then fail
            failed = True
            print(f"FAIL {title}\n{traceback.format_exc()}")
            if isinstance(sys.exc_info()[1], shape_validator.ValidatorLimitation):
                break
            continue
        print(f"ok   {title} ({time.monotonic() - started:.1f} s)")

    print("\nvalidated responses (operation, outcome): count")
    for (op, outcome), count in sorted(suite.validator.validated.items()):
        print(f"  {op:28} {outcome:38} {count}")
    for (op, name), count in sorted(suite.validator.undeclared.items()):
        print(f"  note: {name} from {op} is not declared for that operation in the model ({count}x)")
    if suite.validator.failures:
        failed = True
        print(f"\n{len(suite.validator.failures)} response(s) broke the model:")
        for failure in suite.validator.failures:
            print(f"  {failure}")
    ops, errors = suite.validator.missing(SERVED_OPERATIONS, ERROR_TYPES)
    if ops or errors:
        failed = True
        print(f"\nnever validated: operations {ops}, error types {errors}")
    total = sum(suite.validator.validated.values())
    if failed:
        print(f"\nFAILED ({total} responses validated)")
        return 1
    print(f"\nPASS: {total} responses validated against the drs model (botocore {botocore.__version__})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
