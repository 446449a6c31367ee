#!/usr/bin/env python3
"""AWS CLI conformance checks of drs-sim.

    python3 cli_conformance.py --endpoint http://127.0.0.1:PORT [--aws aws]

Runs `aws drs ...` as a user would (`--endpoint-url URL --region us-east-1`, dummy
credentials in the environment, no profile, no config file) and checks exit codes and the
JSON it prints: describe-source-servers (the CLI follows nextToken over 1,006 servers),
start-recovery, describe-jobs, describe-job-log-items, and error cases (exit code 254/255,
the error name on stderr). Loads tests/conformance/scenario.yaml (manual clock) through the
admin API first. Run by crates/drs-sim/tests/conformance.rs in `cargo test`.
"""

import argparse
import json
import os
import pathlib
import shutil
import subprocess
import sys
import time
import urllib.request

ACCESS_KEY = "AKIACONFORMANCE0001"
DRILL_A, DRILL_C = "s-0000000000drilla1", "s-0000000000drillc3"
TOTAL_SERVERS = 1006


def check(condition, message):
    if not condition:
        raise AssertionError(message)


class Cli:
    def __init__(self, aws, endpoint):
        self.aws = aws
        self.endpoint = endpoint.rstrip("/")
        # Nothing from the caller's AWS setup leaks in.
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        env.update(
            AWS_ACCESS_KEY_ID=ACCESS_KEY,
            AWS_SECRET_ACCESS_KEY="cli-conformance-secret",
            AWS_CONFIG_FILE="/dev/null",
            AWS_SHARED_CREDENTIALS_FILE="/dev/null",
            AWS_EC2_METADATA_DISABLED="true",
            AWS_MAX_ATTEMPTS="1",
            AWS_RETRY_MODE="standard",
            AWS_PAGER="",
        )
        self.env = env
        self.calls = 0

    def run(self, *args):
        command = [self.aws, "drs", *args, "--endpoint-url", self.endpoint, "--region", "us-east-1", "--output", "json"]
        self.calls += 1
        started = time.monotonic()
        done = subprocess.run(command, env=self.env, capture_output=True, text=True, timeout=60)
        print(f"  $ aws drs {' '.join(args)}  -> exit {done.returncode} ({time.monotonic() - started:.1f} s)")
        return done

    def ok(self, *args):
        done = self.run(*args)
        check(done.returncode == 0, f"aws drs {' '.join(args)} exited {done.returncode}\nstdout: {done.stdout}\nstderr: {done.stderr}")
        if not done.stdout.strip():
            return None
        try:
            return json.loads(done.stdout)
        except ValueError as err:
            raise AssertionError(f"aws drs {args[0]} printed no JSON ({err}): {done.stdout[:500]!r}") from err

    def fails(self, error, *args):
        done = self.run(*args)
        check(done.returncode in (254, 255), f"aws drs {' '.join(args)}: exit {done.returncode}, expected 254 or 255\nstderr: {done.stderr}")
        check(f"({error})" in done.stderr, f"aws drs {' '.join(args)}: stderr does not name {error}: {done.stderr!r}")
        check(done.stdout.strip() == "", f"an error printed to stdout: {done.stdout!r}")
        return done.stderr

    def admin(self, method, path, body, content_type):
        request = urllib.request.Request(f"{self.endpoint}{path}", data=body.encode(), method=method, headers={"content-type": content_type})
        with urllib.request.urlopen(request, timeout=30) as reply:
            return json.loads(reply.read())


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--endpoint", required=True)
    parser.add_argument("--aws", default="aws", help="the AWS CLI executable")
    args = parser.parse_args()
    aws = shutil.which(args.aws)
    check(aws is not None, f"{args.aws} not found on PATH: run `make deps-python`")
    version = subprocess.run([aws, "--version"], capture_output=True, text=True, timeout=60)
    print(f"AWS CLI: {(version.stdout or version.stderr).strip()}")

    cli = Cli(aws, args.endpoint)
    scenario = (pathlib.Path(__file__).resolve().parent / "scenario.yaml").read_text()
    loaded = cli.admin("POST", "/_sim/scenario", scenario, "application/yaml")
    check(loaded.get("servers") == TOTAL_SERVERS, f"loading scenario.yaml: {loaded}")

    everything = cli.ok("describe-source-servers")
    ids = [s["sourceServerID"] for s in everything["items"]]
    check(len(ids) == TOTAL_SERVERS == len(set(ids)), f"describe-source-servers listed {len(ids)} servers ({len(set(ids))} distinct), expected {TOTAL_SERVERS}: the CLI follows nextToken")
    picked = cli.ok("describe-source-servers", "--filters", json.dumps({"sourceServerIDs": [DRILL_A]}))
    check([s["sourceServerID"] for s in picked["items"]] == [DRILL_A], f"sourceServerIDs filter: {picked}")
    check(picked["items"][0]["tags"] == {"App": "conformance", "Tier": "db"}, f"tags: {picked['items'][0]['tags']}")

    started = cli.ok("start-recovery", "--is-drill", "--source-servers", f"sourceServerID={DRILL_A}", f"sourceServerID={DRILL_C}", "--tags", "Plan=cli")
    job = started["job"]
    check(job["status"] == "PENDING" and job["initiatedBy"] == "START_DRILL" and job["tags"] == {"Plan": "cli"}, f"start-recovery printed {job}")
    check([p["sourceServerID"] for p in job["participatingServers"]] == [DRILL_A, DRILL_C], f"participating servers {job['participatingServers']}")
    job_id = job["jobID"]

    listed = cli.ok("describe-jobs")
    check([j["jobID"] for j in listed["items"]] == [job_id], f"describe-jobs: {listed}")
    check(cli.ok("describe-job-log-items", "--job-id", job_id)["items"] == [], "a pending job has no log items")

    clock = cli.admin("POST", "/_sim/clock/advance", json.dumps({"seconds": 600}), "application/json")
    check(clock["elapsed_seconds"] == 600, f"clock {clock}")
    done = cli.ok("describe-jobs", "--filters", f"jobIDs={job_id}")["items"]
    check(len(done) == 1 and done[0]["status"] == "COMPLETED", f"after 600 s: {done}")
    check({p["launchStatus"] for p in done[0]["participatingServers"]} == {"LAUNCHED"}, f"launch statuses {done[0]['participatingServers']}")
    events = [(i["event"], i.get("eventData", {}).get("sourceServerID")) for i in cli.ok("describe-job-log-items", "--job-id", job_id)["items"]]
    for server in (DRILL_A, DRILL_C):
        mine = [e for e, s in events if s == server]
        check(mine == ["SNAPSHOT_START", "SNAPSHOT_END", "CONVERSION_START", "CONVERSION_END", "LAUNCH_START"], f"log of {server}: {mine}")
    check(events[0] == ("JOB_START", None) and events[-1] == ("JOB_END", None), f"log: {events}")

    stderr = cli.fails("ValidationException", "start-recovery", "--source-servers", "sourceServerID=s-00000000000000000")
    check("does not exist" in stderr, f"the message is shown: {stderr!r}")
    cli.fails("ResourceNotFoundException", "delete-job", "--job-id", "drsjob-00000000000000000")
    print(f"PASS: {cli.calls} AWS CLI calls")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except AssertionError as err:
        print(f"FAIL: {err}")
        sys.exit(1)
