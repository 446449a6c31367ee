"""IAM policy statements, how they match actions and ARNs, and the Service Authorization
Reference (which actions support resource-level permissions) as cfn-lint ships it."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

# DRS "credential pass-through": the actions the principal calling StartRecovery or
# TerminateRecoveryInstances must hold itself, because DRS acts with the caller's credentials.
# These are the "Dependent actions" of the Service Authorization Reference for AWS Elastic
# Disaster Recovery (service prefix `drs`). A missing ec2:DetachVolume stops a drill after
# SNAPSHOT_END with no server launched (DESIGN.md §2).
DEPENDENT_ACTIONS = {
    "drs:StartRecovery": [
        "drs:CreateRecoveryInstanceForDrs", "drs:ListTagsForResource",
        "ec2:AttachVolume", "ec2:AuthorizeSecurityGroupEgress",
        "ec2:AuthorizeSecurityGroupIngress", "ec2:CreateLaunchTemplate",
        "ec2:CreateLaunchTemplateVersion", "ec2:CreateSnapshot", "ec2:CreateTags",
        "ec2:CreateVolume", "ec2:DeleteLaunchTemplateVersions", "ec2:DeleteSnapshot",
        "ec2:DeleteVolume", "ec2:DescribeAccountAttributes", "ec2:DescribeAvailabilityZones",
        "ec2:DescribeImages", "ec2:DescribeInstanceAttribute", "ec2:DescribeInstanceStatus",
        "ec2:DescribeInstanceTypes", "ec2:DescribeInstances",
        "ec2:DescribeLaunchTemplateVersions", "ec2:DescribeLaunchTemplates",
        "ec2:DescribeSecurityGroups", "ec2:DescribeSnapshots", "ec2:DescribeSubnets",
        "ec2:DescribeVolumes", "ec2:DetachVolume", "ec2:ModifyInstanceAttribute",
        "ec2:ModifyLaunchTemplate", "ec2:RevokeSecurityGroupEgress", "ec2:RunInstances",
        "ec2:StartInstances", "ec2:StopInstances", "ec2:TerminateInstances", "iam:PassRole",
    ],
    "drs:TerminateRecoveryInstances": [
        "drs:DescribeSourceServers", "ec2:DeleteVolume", "ec2:DescribeInstances",
        "ec2:DescribeVolumes", "ec2:TerminateInstances",
    ],
    "drs:DescribeRecoveryInstances": ["drs:DescribeSourceServers", "ec2:DescribeInstances"],
}
# DRS actions the reference lists no dependent actions for (a DRS call not named here or in
# DEPENDENT_ACTIONS fails the test: look its dependent actions up, then add it).
NO_DEPENDENT_ACTIONS = {
    "drs:DescribeJobs", "drs:DescribeSourceServers", "drs:DescribeJobLogItems",
    "drs:TagResource", "drs:ListTagsForResource",
}

# The EC2 resource types a DRS launch creates or uses in the recovery account (the
# conversion server and the recovery instance: instance, its volumes and network interface,
# the snapshots they come from, the AMI, the launch template, security groups, subnet, and
# the optional key pair / placement group / capacity reservation of the launch template).
DRS_EC2_RESOURCE_TYPES = {
    "instance", "volume", "snapshot", "image", "launch-template", "security-group",
    "security-group-rule", "network-interface", "subnet", "key-pair", "placement-group",
    "capacity-reservation",
}

# The roles DRS passes to EC2 with the caller's credentials: the instance profiles
# `InitializeService` creates (conversion server, recovery instance), in `/service-role/`.
DRS_PASSED_ROLES = ["AWSElasticDisasterRecoveryConversionServerRole",
                    "AWSElasticDisasterRecoveryRecoveryInstanceRole"]


@lru_cache(maxsize=1)
def service_reference() -> dict:
    """The Service Authorization Reference data that the pinned cfn-lint ships."""
    import cfnlint

    path = Path(cfnlint.__file__).parent / "data" / "AdditionalSpecs" / "Policies.json"
    return json.loads(path.read_text())


def action_exists(action: str) -> bool:
    service, name = action.split(":", 1)
    return name.lower() in service_reference().get(service, {}).get("Actions", {})


def resource_types(action: str) -> list[str]:
    """The resource types `action` can be scoped to; empty: it needs `"Resource": "*"`."""
    service, name = action.split(":", 1)
    entry = service_reference()[service]["Actions"].get(name.lower())
    if entry is None:
        raise AssertionError(f"{action} is not in the Service Authorization Reference")
    return list(entry.get("Resources", []))


def glob(pattern: str, text: str, case_sensitive: bool = True) -> bool:
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, text, 0 if case_sensitive else re.IGNORECASE) is not None


def arn_matches(pattern: str, arn: str) -> bool:
    """IAM's ARN matching: segment by segment, wildcards inside each segment."""
    if pattern == "*":
        return True
    p, a = pattern.split(":", 5), arn.split(":", 5)
    if len(p) != 6 or len(a) != 6:
        return False
    return all(glob(x, y) for x, y in zip(p, a))


# The conditions an Allow statement may carry. A condition only narrows what a statement
# allows, and one these checks ignored could hide a permission that no longer works, so any
# other operator or key fails the test: teach Statement.admits() about it first.
KNOWN_CONDITIONS = {
    # Evaluated by admits(): the ARN's region must be one of the listed ones.
    ("StringEquals", "aws:RequestedRegion"),
    # Checked by the tests of the statements that carry them (test_target_account_role.py,
    # test_function_policies.py): the service a role is passed to, the organization of the
    # account that owns an assumed role (an ARN does not say).
    ("StringEquals", "iam:PassedToService"),
    ("StringEquals", "aws:ResourceOrgID"),
}


def arn_region(arn: str) -> str | None:
    """The region field of an ARN; None for `*`, a global resource or no ARN at all."""
    parts = arn.split(":", 5)
    if len(parts) != 6:
        return None
    return parts[3] or None


@dataclass
class Statement:
    sid: str
    actions: list[str]
    resources: list[str]
    condition: dict

    def admits(self, arn: str) -> bool:
        """Whether the statement's conditions let a request on `arn` through (as far as the
        ARN tells: its region, against aws:RequestedRegion)."""
        regions = self.condition.get("StringEquals", {}).get("aws:RequestedRegion")
        region = arn_region(arn)
        if regions is None or region is None:
            return True
        regions = regions if isinstance(regions, list) else [regions]
        return any(glob(r, region) for r in regions)

    def allows(self, action: str, arn: str) -> bool:
        return (any(glob(a, action, case_sensitive=False) for a in self.actions)
                and any(arn_matches(r, arn) for r in self.resources)
                and self.admits(arn))


def statements(document: dict, where: str) -> list[Statement]:
    """The statements of a policy document; only plain `Allow` ones are accepted."""
    result = []
    body = document.get("Statement", [])
    for index, statement in enumerate(body if isinstance(body, list) else [body]):
        sid = statement.get("Sid", f"#{index}")
        for forbidden in ("NotAction", "NotResource", "NotPrincipal"):
            if forbidden in statement:
                raise AssertionError(f"{where} {sid}: {forbidden} is not allowed")
        if statement.get("Effect") != "Allow":
            raise AssertionError(f"{where} {sid}: only Allow statements are expected")
        for operator, keys in statement.get("Condition", {}).items():
            for key in keys:
                if (operator, key) not in KNOWN_CONDITIONS:
                    raise AssertionError(f"{where} {sid}: condition {operator} {key} is not one "
                                         "the checks understand (iam.KNOWN_CONDITIONS)")
        actions = statement["Action"]
        resources = statement["Resource"]
        result.append(Statement(
            sid,
            actions if isinstance(actions, list) else [actions],
            resources if isinstance(resources, list) else [resources],
            statement.get("Condition", {}),
        ))
    return result


def allowed(policy: list[Statement], action: str, arn: str) -> bool:
    return any(s.allows(action, arn) for s in policy)


def sample_arn(action: str, resource_type: str, account: str, region: str) -> str:
    """An ARN of `resource_type` (as the reference names it) for `action`'s service."""
    service = action.split(":", 1)[0]
    formats = service_reference()[service]["Resources"][resource_type.lower()]["ARNFormats"]
    arn = formats[0]
    arn = arn.replace("${Partition}", "aws").replace("${Region}", region)
    arn = arn.replace("${Account}", account)
    arn = re.sub(r"\$\{[^}]+\}", "sample-id", arn)
    return arn.replace(".*", "sample-id")
