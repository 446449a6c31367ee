"""checkov on both templates: no failed check, every skipped check named in the template's
`Metadata.checkov.skip` with its reason, and a canary proving the run can fail.

checkov is pinned in the Makefile (CHECKOV_VERSION) and installed by `make deps-python` in its
own virtual environment (CHECKOV_VENV): it pins boto3/botocore versions the AWS CLI and moto
of the other tests do not accept. It runs offline (`--skip-download`, no Prisma Cloud mapping,
no update check), from an empty directory (no `.checkov.yaml` is read) and without the
`CKV_*`/`BC_*` variables it would take options from, so only the templates decide what is
skipped. The real run and the canary's run go in parallel: about 6 s together.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
import unittest
from functools import lru_cache
from pathlib import Path

import cfn

WORKSPACE = cfn.INFRA.parent
TEMPLATES = [cfn.TEMPLATE, cfn.TARGET_ROLE_TEMPLATE]
# A skip's reason says why the finding does not apply or is accepted, in a sentence or two.
MIN_REASON_WORDS = 12


def makefile_variable(name: str) -> str:
    match = re.search(rf"^{name}\s*\??=\s*(\S+)\s*$", (WORKSPACE / "Makefile").read_text(), re.M)
    if match is None:
        raise AssertionError(f"the Makefile sets no {name}")
    return match.group(1)


PINNED_VERSION = makefile_variable("CHECKOV_VERSION")
CHECKOV = WORKSPACE / makefile_variable("CHECKOV_VENV") / "bin" / "checkov"


def checkov_environment() -> dict:
    environment = {k: v for k, v in os.environ.items()
                   if not k.startswith(("CKV_", "BC_", "CHECKOV_", "PRISMA_", "LOG_LEVEL"))}
    environment.update({
        "BC_SKIP_MAPPING": "TRUE",  # no download of the Prisma Cloud check mapping
        "CKV_SKIP_PACKAGE_UPDATE_CHECK": "TRUE",  # no look-up of a newer checkov
    })
    return environment


class Run:
    """One checkov run over `paths`, started at once; `result()` waits for it."""

    def __init__(self, paths: list[Path]) -> None:
        if not CHECKOV.exists():
            raise AssertionError(f"{CHECKOV} is missing: run `make deps-python`")
        self.directory = tempfile.mkdtemp(prefix="checkov-")
        arguments = [str(CHECKOV), "--framework", "cloudformation", "--output", "json",
                     "--skip-download"]
        for path in paths:
            arguments += ["--file", str(path.resolve())]
        self.process = subprocess.Popen(arguments, cwd=self.directory, env=checkov_environment(),
                                        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self._result = None

    def result(self) -> tuple[int, dict, str]:
        """Exit status, the JSON report, standard error."""
        if self._result is None:
            out, err = self.process.communicate(timeout=300)
            shutil.rmtree(self.directory, ignore_errors=True)
            try:
                report = json.loads(out)
            except json.JSONDecodeError as error:
                raise AssertionError(f"checkov printed no JSON report ({error}):\n{out}\n{err}")
            if isinstance(report, list):
                raise AssertionError(f"expected one framework's report, got {len(report)}")
            self._result = (self.process.returncode, report, err)
        return self._result


def declared_skips(template: dict) -> dict[tuple[str, str], str]:
    """(checkov resource, check ID) -> reason, from every resource's Metadata.checkov.skip."""
    result = {}
    for logical, resource in template["Resources"].items():
        for skip in resource.get("Metadata", {}).get("checkov", {}).get("skip", []):
            result[(f"{resource['Type']}.{logical}", skip.get("id"))] = skip.get("comment", "")
    return result


def canary_text() -> str:
    """template.yaml made insecure on purpose: a public, unencrypted, unversioned bucket; a
    queue without encryption; and the start queue's checkov skip (its reason: SSE-SQS) gone."""
    text = cfn.TEMPLATE.read_text()
    bucket_and_queue = '''
  CanaryBucket:
    Type: AWS::S3::Bucket
    Properties:
      PublicAccessBlockConfiguration:
        BlockPublicAcls: false
        BlockPublicPolicy: false
        IgnorePublicAcls: false
        RestrictPublicBuckets: false

  CanaryQueue:
    Type: AWS::SQS::Queue
    Properties:
      SqsManagedSseEnabled: false
'''
    changed = text.replace("\nOutputs:\n", bucket_and_queue + "\nOutputs:\n", 1)
    changed = re.sub(r"(\n  StartQueue:\n    Type: AWS::SQS::Queue\n)    Metadata:\n(      .*\n|        .*\n)+?(?=    DeletionPolicy)",
                     r"\1", changed, count=1)
    if changed.count("CanaryBucket") != 1 or "StartQueue:\n    Type: AWS::SQS::Queue\n    DeletionPolicy" not in changed:
        raise AssertionError("the canary's edits did not apply to template.yaml")
    return changed


@lru_cache(maxsize=1)
def runs() -> dict[str, Run]:
    """Both runs, started together the first time a test asks."""
    handle = tempfile.NamedTemporaryFile("w", suffix=".yaml", prefix="canary-", delete=False)
    with handle:
        handle.write(canary_text())
    canary = Path(handle.name)
    started = {"templates": Run(TEMPLATES), "canary": Run([canary])}
    started["canary"].path = canary
    return started


def failed(report: dict) -> set[tuple[str, str]]:
    return {(c["resource"], c["check_id"]) for c in report["results"]["failed_checks"]}


class Checkov(unittest.TestCase):
    def templates(self) -> tuple[int, dict, str]:
        return runs()["templates"].result()

    def test_the_pinned_checkov_is_the_one_running(self):
        _, report, _ = self.templates()
        self.assertEqual(report["summary"]["checkov_version"], PINNED_VERSION,
                         f"checkov {PINNED_VERSION} is pinned (make deps-python)")

    def test_both_templates_pass(self):
        status, report, err = self.templates()
        summary = report["summary"]
        self.assertEqual(failed(report), set(), json.dumps(report["results"]["failed_checks"],
                                                           indent=1)[:4000])
        self.assertEqual(status, 0, err[-2000:])
        self.assertEqual(summary["parsing_errors"], 0, report["results"].get("parsing_errors"))
        # Every resource of both templates was read, and checks ran on them.
        count = sum(len(cfn.load(t)["Resources"]) for t in TEMPLATES)
        self.assertEqual(summary["resource_count"], count)
        self.assertGreater(summary["passed"], 50)
        files = {c["file_abs_path"] for c in report["results"]["passed_checks"]}
        self.assertEqual(files, {str(t.resolve()) for t in TEMPLATES})

    def test_every_skipped_check_is_named_in_the_template_with_its_reason(self):
        _, report, _ = self.templates()
        declared = {}
        for template in TEMPLATES:
            declared.update(declared_skips(cfn.load(template)))
        skipped = {(c["resource"], c["check_id"]): c["check_result"].get("suppress_comment", "")
                   for c in report["results"]["skipped_checks"]}
        # What checkov skipped is exactly what the templates say, with the same reasons: a
        # misspelt ID or a skip of a check that no longer applies shows up here.
        self.assertEqual(sorted(skipped), sorted(declared))
        for key, reason in declared.items():
            with self.subTest(skip=key):
                self.assertEqual(" ".join(skipped[key].split()), " ".join(reason.split()))
                self.assertGreaterEqual(len(reason.split()), MIN_REASON_WORDS,
                                        f"{key}: give the reason, not a label: {reason!r}")

    def test_nothing_else_tells_checkov_what_to_skip(self):
        for name in (".checkov.yaml", ".checkov.yml"):
            for directory in (WORKSPACE, cfn.INFRA, cfn.INFRA / "tests"):
                self.assertFalse((directory / name).exists(), directory / name)
        for template in TEMPLATES:
            self.assertNotRegex(template.read_text(), r"checkov:skip=",
                                "skip in Metadata.checkov.skip, with a comment")

    def test_canary_an_insecure_bucket_and_queue_fail_checkov(self):
        run = runs()["canary"]
        try:
            status, report, err = run.result()
        finally:
            run.path.unlink(missing_ok=True)
        self.assertEqual(status, 1, "checkov passed a template made insecure on purpose")
        found = failed(report)
        bucket = {c for r, c in found if r == "AWS::S3::Bucket.CanaryBucket"}
        # Public access not blocked, no versioning, no access logging.
        self.assertTrue({"CKV_AWS_53", "CKV_AWS_54", "CKV_AWS_55", "CKV_AWS_56",
                         "CKV_AWS_21", "CKV_AWS_18"} <= bucket, sorted(found))
        self.assertIn(("AWS::SQS::Queue.CanaryQueue", "CKV_AWS_27"), found)
        # A skip is per resource: the start queue without its skip fails too...
        self.assertIn(("AWS::SQS::Queue.StartQueue", "CKV_AWS_27"), found)
        # ... and nothing else does: the other skips still hold in the same run.
        self.assertEqual({r for r, _ in found}, {"AWS::S3::Bucket.CanaryBucket",
                                                 "AWS::SQS::Queue.CanaryQueue",
                                                 "AWS::SQS::Queue.StartQueue"})


def encryption_problems(template: dict) -> list[str]:
    """CKV_AWS_27 is skipped for the queues because checkov knows only KMS keys: each queue
    that skips it must be encrypted with SSE-SQS, which this test checks in its place."""
    problems = []
    for logical, resource in template["Resources"].items():
        if resource["Type"] != "AWS::SQS::Queue":
            continue
        properties = resource.get("Properties", {})
        skips = {s["id"] for s in resource.get("Metadata", {}).get("checkov", {}).get("skip", [])}
        if "CKV_AWS_27" in skips and properties.get("SqsManagedSseEnabled") is not True:
            problems.append(f"{logical} skips CKV_AWS_27 but SqsManagedSseEnabled is not true")
    return problems


class WhatTheSkipsLeaveToUs(unittest.TestCase):
    def test_queues_skipping_the_kms_check_are_encrypted_with_sse_sqs(self):
        template = cfn.load(cfn.TEMPLATE)
        self.assertEqual(encryption_problems(template), [])
        template["Resources"]["CheckQueue"]["Properties"]["SqsManagedSseEnabled"] = False
        self.assertEqual(encryption_problems(template),
                         ["CheckQueue skips CKV_AWS_27 but SqsManagedSseEnabled is not true"])

    def test_only_the_alarm_topic_is_unencrypted(self):
        template = cfn.load(cfn.TEMPLATE)
        topics = {k: v for k, v in template["Resources"].items() if v["Type"] == "AWS::SNS::Topic"}
        unencrypted = {k for k, v in topics.items() if "KmsMasterKeyId" not in v["Properties"]}
        self.assertEqual(unencrypted, {"AlarmTopic"})


if __name__ == "__main__":
    unittest.main()
