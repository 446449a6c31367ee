"""What each role must allow, derived from the code, and the two checks on a role's policy:
it allows every requirement, and it allows nothing the requirements do not justify.

A requirement is an action with sample ARNs that must be allowed and, for wildcard patterns,
ARNs that must stay out of reach (another region, another account, another role): a policy
that lets `dynamodb:GetItem` reach every table, or `iam:PassRole` reach any role, fails.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import cfn
import iam
from code_calls import Reach, SdkCall, Workspace

# Actions allowed on `"Resource": "*"`: they support no resource-level permissions (the
# Service Authorization Reference lists no resource type for them; a test checks this list
# against the reference cfn-lint ships, so it cannot grow a scopable action).
UNSCOPED_ACTIONS = {
    "drs:DescribeJobs", "drs:DescribeSourceServers", "drs:DescribeRecoveryInstances",
    "drs:ListTagsForResource",
    "ec2:DescribeAccountAttributes", "ec2:DescribeAvailabilityZones", "ec2:DescribeImages",
    "ec2:DescribeInstanceStatus", "ec2:DescribeInstanceTypes", "ec2:DescribeInstances",
    "ec2:DescribeLaunchTemplateVersions", "ec2:DescribeLaunchTemplates",
    "ec2:DescribeSecurityGroups", "ec2:DescribeSnapshots", "ec2:DescribeSubnets",
    "ec2:DescribeVolumes",
}

# Operations IAM never authorises: STS GetCallerIdentity works whatever the policy says
# (the functions skip it anyway: the template sets ORCHESTRATOR_ACCOUNT_ID).
NEVER_AUTHORISED = {"sts:GetCallerIdentity"}

# Where each adapter module's calls go. A module that makes AWS calls and is not named here
# fails the test: say which of the template's resources it uses.
TABLE_OF_MODULE = {
    ("aws-adapters", "dynamodb/executions.rs"): "ExecutionsTable",
    ("aws-adapters", "dynamodb/ledger.rs"): "LedgerTable",
    ("aws-adapters", "dynamodb/plans.rs"): "PlansTable",
}
TOPIC_OF_MODULE = {
    ("aws-adapters", "sns.rs"): "NotificationTopic",
    ("lambda-functions", "approvals.rs"): "NotificationTopic",
}
QUEUES_MODULE = ("aws-adapters", "sqs.rs")
DRS_MODULE = ("aws-adapters", "drs.rs")
CREDENTIALS_MODULE = ("aws-adapters", "credentials.rs")
# The queue each role consumes, by the template's logical IDs (the pipeline's QueueName).
QUEUE_LOGICAL_IDS = {"start": "StartQueue", "check": "CheckQueue", "advance": "AdvanceQueue"}
DEAD_LETTER_LOGICAL_IDS = {"start": "StartDeadLetterQueue", "check": "CheckDeadLetterQueue",
                           "advance": "AdvanceDeadLetterQueue"}
# `SqsQueues::dead_letter` sends to the dead-letter queue of the queue being consumed; every
# other send goes to a pipeline queue (any of them: work is forwarded to its owner's queue).
DEAD_LETTER_SENDER = "SqsQueues::dead_letter"
# A function that consumes no queue (the HTTP API's `api`) sends only from these pipeline
# modules, and only to the queues they name (`QueueName::Start`…): its role may reach those.
REQUEST_SENDER_MODULES = "api/"

# Operations whose IAM actions are not their own name: DynamoDB authorises each item of a
# TransactWriteItems as the single-item write it is.
TRANSACTION_ITEM_ACTIONS = {
    "Put": "dynamodb:PutItem", "Update": "dynamodb:UpdateItem",
    "Delete": "dynamodb:DeleteItem", "ConditionCheck": "dynamodb:ConditionCheckItem",
}
# Operations that create a resource and may tag it on creation (`.tags(…)` in the call):
# the resource type the tag is put on needs `<service>:TagResource`.
CREATED_RESOURCE = {"drs:StartRecovery": "JobResource"}
# The EC2 resource types that may belong to another account: subnets shared through AWS RAM.
# (Snapshot and image ARNs have no account field at all.)
CROSS_ACCOUNT_EC2_TYPES = {"subnet"}
# Not in the code yet, but in the target-account role: the drill cleanup (DESIGN.md §2:
# "Native DRS never cleans drill instances up") lists recovery instances.
TARGET_ROLE_PLANNED = {"drs:DescribeRecoveryInstances"}


@dataclass
class Requirement:
    action: str
    samples: list[str]  # ARNs that must be allowed; ["*"] for unscoped actions
    why: str
    exact: set[str] | None = None  # the only resource patterns a policy may use for it
    forbidden: list[str] = field(default_factory=list)  # ARNs a wildcard must not reach


class Deployment:
    """The translated template of one imaginary deployment, and the code's view of it."""

    def __init__(self, workspace: Workspace, template: dict | None = None,
                 parameters: dict | None = None) -> None:
        self.workspace = workspace
        self.sam = template if template is not None else cfn.load(cfn.TEMPLATE)
        self.translated = cfn.translate(self.sam)
        self.resolver = cfn.Resolver(self.translated, parameters)

    def drs_regions(self) -> list[str]:
        """The regions of this account the starter recovers in without a target role: the
        stack's and TargetRegions."""
        regions = [cfn.REGION]
        for region in self.resolver.values.get("TargetRegions", []):
            if region and region not in regions:
                regions.append(region)
        return regions

    def resources(self, kind: str) -> dict[str, dict]:
        return {k: v for k, v in self.translated["Resources"].items() if v["Type"] == kind}

    def functions(self) -> dict[str, dict]:
        """Function logical ID -> its SAM definition (with Metadata)."""
        return {k: v for k, v in self.sam["Resources"].items()
                if v["Type"] == "AWS::Serverless::Function"}

    def binary(self, logical: str) -> str:
        metadata = self.functions()[logical].get("Metadata", {})
        if metadata.get("BuildMethod") != "rust-cargolambda":
            raise AssertionError(f"{logical}: Metadata.BuildMethod is not rust-cargolambda")
        binary = metadata.get("BuildProperties", {}).get("Binary")
        if not binary:
            raise AssertionError(f"{logical}: Metadata.BuildProperties.Binary is missing")
        return binary

    def role_logical_id(self, function: str) -> str:
        role = self.translated["Resources"][function]["Properties"].get("Role")
        if not (isinstance(role, dict) and "Fn::GetAtt" in role):
            raise AssertionError(f"{function}: Role must be !GetAtt of a role of this template")
        logical = role["Fn::GetAtt"][0]
        if self.translated["Resources"][logical]["Type"] != "AWS::IAM::Role":
            raise AssertionError(f"{function}: its Role is not an AWS::IAM::Role")
        return logical

    def policy(self, role: str) -> list[iam.Statement]:
        properties = self.translated["Resources"][role]["Properties"]
        if properties.get("ManagedPolicyArns"):
            raise AssertionError(f"{role}: managed policies cannot be checked; inline them")
        for kind in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy", "AWS::IAM::RolePolicy"):
            for logical, resource in self.resources(kind).items():
                attached = resource["Properties"].get("Roles", []) + [
                    resource["Properties"].get("RoleName")]
                if {"Ref": role} in attached:
                    raise AssertionError(f"{logical} attaches a policy to {role}: inline it")
        result = []
        for policy in properties.get("Policies", []):
            document = self.resolver.value(policy["PolicyDocument"])
            result += iam.statements(document, f"{role}/{policy['PolicyName']}")
        return result

    def event_queues(self, function: str) -> list[str]:
        """The logical IDs of the queues whose event source mappings invoke `function`."""
        found = []
        for mapping in self.resources("AWS::Lambda::EventSourceMapping").values():
            properties = mapping["Properties"]
            if properties["FunctionName"] == {"Ref": function}:
                found.append(properties["EventSourceArn"]["Fn::GetAtt"][0])
        return found

    def consumed_queue(self, function: str) -> str:
        """The logical ID of the queue whose event source mapping invokes `function`."""
        found = self.event_queues(function)
        if len(found) != 1:
            raise AssertionError(f"{function}: expected one SQS event source, found {found}")
        return found[0]

    def http_routes(self, function: str) -> set[tuple[str, str]]:
        """(method, path) of the function's `HttpApi` events."""
        events = self.sam["Resources"][function]["Properties"].get("Events", {})
        return {(e["Properties"]["Method"].upper(), e["Properties"]["Path"])
                for e in events.values() if e["Type"] == "HttpApi"}

    def arn(self, logical: str) -> str:
        kind = self.translated["Resources"][logical]["Type"]
        attribute = "TopicArn" if kind == "AWS::SNS::Topic" else "Arn"
        return self.resolver.get_att(logical, attribute)

    # --- requirements --------------------------------------------------------------------

    def requirements(self, function: str) -> list[Requirement]:
        """What `function`'s role must allow: its code's calls, its log group, its queue."""
        reach = self.workspace.reach(self.binary(function))
        if reach.role is None:
            # No pipeline role: invoked by API Gateway, never by a queue.
            if self.event_queues(function) or not self.http_routes(function):
                raise AssertionError(f"{function}: a binary without a pipeline role must have "
                                     "HttpApi events and no SQS event source")
            own_queue = None
        else:
            own_queue = next(q for q, logical in QUEUE_LOGICAL_IDS.items()
                             if logical == self.consumed_queue(function))
        result = []
        for call in reach.calls:
            result += self.call_requirements(call, reach, own_queue)
        log_group = self.sam["Resources"][function]["Properties"]["LoggingConfig"]["LogGroup"]
        group_arn = self.resolver.get_att(log_group["Ref"], "Arn")
        for action in ("logs:CreateLogStream", "logs:PutLogEvents"):
            result.append(Requirement(action, [group_arn.replace(":*", ":log-stream:sample")],
                                      "Lambda writes the function's logs", exact={group_arn}))
        if own_queue is not None:
            queue_arn = self.arn(self.consumed_queue(function))
            for action in ("sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"):
                result.append(Requirement(action, [queue_arn], "the SQS event source mapping",
                                          exact={queue_arn}))
        return result

    @staticmethod
    def request_queues(reach: Reach, why: str) -> list[str]:
        """The queues a function without a queue of its own sends to: every `deps.queues.send`
        it reaches is in the pipeline's `api/` modules, and those name their queues."""
        in_api = [fn for fn in reach.bodies.values()
                  if fn.crate == "pipeline" and fn.module.startswith(REQUEST_SENDER_MODULES)]
        for fn in reach.bodies.values():
            if re.search(r"\bdeps\.queues\.send\(", fn.body) and fn not in in_api:
                raise AssertionError(f"{why}: {fn.where()} sends outside pipeline/src/"
                                     f"{REQUEST_SENDER_MODULES}: say which queues it uses")
        names = set()
        for fn in in_api:
            names |= set(re.findall(r"\bQueueName::(Start|Check|Advance)\b", fn.body))
        if not names:
            raise AssertionError(f"{why}: no `QueueName::…` in the pipeline's "
                                 f"{REQUEST_SENDER_MODULES} modules it reaches")
        return sorted(QUEUE_LOGICAL_IDS[n.lower()] for n in names)

    def call_requirements(self, call: SdkCall, reach: Reach,
                          own_queue: str | None) -> list[Requirement]:
        where = (call.crate, call.module)
        why = f"{call.function} calls {call.operation}"
        if call.action in NEVER_AUTHORISED:
            return []
        if call.service == "dynamodb":
            if where not in TABLE_OF_MODULE:
                raise AssertionError(f"{why}: map {call.crate}/src/{call.module} to its table")
            table = self.arn(TABLE_OF_MODULE[where])
            actions = [call.action]
            if call.operation == "TransactWriteItems":
                actions = self.transaction_actions(reach, where, why)
            target = table
            if ".index_name(" in call.chain:
                target = f"{table}/index/*"
            return [Requirement(a, [target.replace("*", "sample")], why, exact={target})
                    for a in actions]
        if call.service == "sqs":
            if where != QUEUES_MODULE or call.operation != "SendMessage":
                raise AssertionError(f"{why}: the functions only send messages (sqs.rs)")
            if own_queue is None:
                if call.function.endswith(DEAD_LETTER_SENDER):
                    raise AssertionError(f"{why}: a function without a queue has no "
                                         "dead-letter queue to send to")
                queues = self.request_queues(reach, why)
            elif call.function.endswith(DEAD_LETTER_SENDER):
                queues = [DEAD_LETTER_LOGICAL_IDS[own_queue]]
            else:
                queues = list(QUEUE_LOGICAL_IDS.values())
            return [Requirement(call.action, [self.arn(q)], why, exact={self.arn(q)})
                    for q in queues]
        if call.service == "sns":
            if where not in TOPIC_OF_MODULE or call.operation != "Publish":
                raise AssertionError(f"{why}: map {call.crate}/src/{call.module} to its topic")
            arn = self.arn(TOPIC_OF_MODULE[where])
            return [Requirement(call.action, [arn], why, exact={arn})]
        if call.service == "sts" and call.operation == "AssumeRole" and where == CREDENTIALS_MODULE:
            name = self.resolver.values["TargetRoleName"]
            pattern = f"arn:aws:iam::*:role/{name}"
            samples = [f"arn:aws:iam::{cfn.OTHER_ACCOUNT}:role/{name.replace('*', 'x')}",
                       f"arn:aws:iam::{cfn.ACCOUNT}:role/{name.replace('*', 'x')}"]
            return [Requirement(call.action, samples, why, exact={pattern})]
        if call.service == "drs" and where == DRS_MODULE:
            return drs_requirements(call, why, cfn.ACCOUNT, self.drs_regions())
        raise AssertionError(f"{why}: no rule maps {call.action} to this template's resources")

    def transaction_actions(self, reach: Reach, where: tuple, why: str) -> list[str]:
        kinds = set()
        for key, fn in reach.bodies.items():
            if (fn.crate, fn.module) == where:
                kinds |= set(re.findall(r"\b(Put|Update|Delete|ConditionCheck)::builder\(", fn.body))
        if not kinds:
            raise AssertionError(f"{why}: no transaction item is built on this path")
        return sorted(TRANSACTION_ITEM_ACTIONS[k] for k in kinds)


def drs_requirements(call: SdkCall, why: str, account: str,
                     regions: list[str] | str | None) -> list[Requirement]:
    """A DRS call, its tags, and the DRS pass-through actions it needs (in `account`, in each
    of `regions` and no other; None: any region)."""
    if isinstance(regions, str):
        regions = [regions]
    result = [scoped(call.action, why, account, regions)]
    if (".tags(" in call.chain or ".set_tags(" in call.chain):
        created = CREATED_RESOURCE.get(call.action)
        if created is None:
            raise AssertionError(f"{why} with tags: name the resource type it creates")
        result.append(scoped("drs:TagResource", f"{why} with tags", account, regions, [created]))
    if call.action in iam.DEPENDENT_ACTIONS:
        for dependent in iam.DEPENDENT_ACTIONS[call.action]:
            result.append(scoped(dependent, f"DRS pass-through for {call.action}", account, regions))
    elif call.action not in iam.NO_DEPENDENT_ACTIONS:
        raise AssertionError(f"{why}: look up the dependent actions of {call.action} in the "
                             "Service Authorization Reference and add them to iam.py")
    return result


# Regions no deployment of the tests names: what a region-scoped permission must not reach.
ELSEWHERE_REGIONS = [cfn.OTHER_REGION, "ap-southeast-2"]


def scoped(action: str, why: str, account: str, regions: list[str] | None,
           types: list[str] | None = None) -> Requirement:
    """`action` on the resource types it supports, in `account` (and in `regions`, and in
    no other region; None: any region)."""
    service = action.split(":", 1)[0]
    if service == "iam" and action == "iam:PassRole":
        samples = [f"arn:aws:iam::{account}:role/service-role/{r}" for r in iam.DRS_PASSED_ROLES]
        forbidden = [f"arn:aws:iam::{account}:role/administrator",
                     f"arn:aws:iam::{cfn.OTHER_ACCOUNT}:role/service-role/{iam.DRS_PASSED_ROLES[0]}"]
        return Requirement(action, samples, why, forbidden=forbidden)
    available = iam.resource_types(action)
    if not available:
        return Requirement(action, ["*"], why)
    if types is None:
        types = available
        if service == "ec2":
            types = [t for t in available if t in iam.DRS_EC2_RESOURCE_TYPES]
            if not types:
                raise AssertionError(f"{action}: none of its resource types {available} is one a "
                                     "DRS launch uses (iam.DRS_EC2_RESOURCE_TYPES)")
    here = regions or [cfn.REGION]
    elsewhere = next(r for r in ELSEWHERE_REGIONS if r not in here)
    samples, forbidden = [], []
    for kind in types:
        samples += [iam.sample_arn(action, kind, account, r) for r in here]
        if regions is not None:
            forbidden.append(iam.sample_arn(action, kind, account, elsewhere))
        first = iam.sample_arn(action, kind, account, here[0])
        if not (service == "ec2" and kind in CROSS_ACCOUNT_EC2_TYPES) and "::" not in first:
            forbidden.append(iam.sample_arn(action, kind, cfn.OTHER_ACCOUNT, here[0]))
    return Requirement(action, samples, why, forbidden=forbidden)


def every_type_samples(action: str, account: str, region: str) -> list[str]:
    """An ARN of each resource type `action` supports, here and elsewhere: a pattern that
    matches none of them grants nothing for `action`."""
    samples = []
    for kind in iam.resource_types(action):
        for acc in (account, cfn.OTHER_ACCOUNT):
            for reg in (region, cfn.OTHER_REGION):
                samples.append(iam.sample_arn(action, kind, acc, reg))
    return samples


def missing(policy: list[iam.Statement], requirements: list[Requirement]) -> list[str]:
    """Requirements the policy does not allow, as sentences."""
    problems = []
    for r in requirements:
        for sample in r.samples:
            if not iam.allowed(policy, r.action, sample):
                problems.append(f"{r.action} on {sample} is not allowed ({r.why})")
    return sorted(set(problems))


def broader(policy: list[iam.Statement], requirements: list[Requirement],
            account: str = cfn.ACCOUNT, region: str = cfn.REGION) -> list[str]:
    """What the policy allows beyond the requirements, as sentences."""
    problems = []
    by_action: dict[str, list[Requirement]] = {}
    for r in requirements:
        by_action.setdefault(r.action, []).append(r)
    for s in policy:
        for action in s.actions:
            if "*" in action or "?" in action:
                problems.append(f"{s.sid}: wildcard action {action}")
                continue
            needed = by_action.get(action)
            if needed is None:
                problems.append(f"{s.sid}: {action} is allowed but nothing needs it")
                continue
            for pattern in s.resources:
                if pattern == "*":
                    if action not in UNSCOPED_ACTIONS or iam.resource_types(action):
                        problems.append(f"{s.sid}: {action} on \"*\" (it supports resource-level "
                                        "permissions, or is not in UNSCOPED_ACTIONS)")
                    continue
                effective = [a for a in every_type_samples(action, account, region)
                             if iam.arn_matches(pattern, a)]
                exact = [r for r in needed if r.exact and pattern in r.exact]
                if exact:
                    continue
                if any(r.exact for r in needed):
                    problems.append(f"{s.sid}: {action} on {pattern}; only "
                                    f"{sorted(set().union(*(r.exact for r in needed if r.exact)))} is needed")
                    continue
                if not effective:
                    continue  # matches no resource type of the action: grants nothing for it
                justified = [r for r in needed
                             if any(sample != "*" and iam.arn_matches(pattern, sample)
                                    for sample in r.samples)]
                if not justified:
                    problems.append(f"{s.sid}: {action} on {pattern} is not needed")
                    continue
                for r in justified:
                    for out_of_reach in r.forbidden:
                        if iam.arn_matches(pattern, out_of_reach) and s.admits(out_of_reach):
                            problems.append(f"{s.sid}: {action} on {pattern} also reaches "
                                            f"{out_of_reach}")
    return sorted(set(problems))


# --- the target-account role ---------------------------------------------------------------

def target_role_requirements(workspace: Workspace) -> list[Requirement]:
    """Every DRS operation of the DRS adapter (all of it: the CLI, reports and the cleanup use
    it too, in the target accounts), tags, pass-through, and the planned cleanup reads."""
    account = cfn.ACCOUNT
    result = []
    drs = workspace.file_of[DRS_MODULE]
    for fn in drs.functions:
        for call in workspace._sdk_calls(fn, fn.body):
            result += drs_requirements(call, f"{fn.where()} calls {call.operation}", account, None)
    for action in sorted(TARGET_ROLE_PLANNED):
        planned = SdkCall("drs", action.split(":")[1], *DRS_MODULE, "drill cleanup (planned)", "")
        result += drs_requirements(planned, f"{action} for the drill cleanup", account, None)
    return result


# Logical IDs of the target-account template's roles.
TARGET_ROLE = "TargetRole"
FORWARD_ROLE = "LaunchResultForwardRole"


def target_role_policy(template: dict) -> list[iam.Statement]:
    resolver = cfn.Resolver(template, {"OrchestratorAccountId": cfn.OTHER_ACCOUNT,
                                       "ExternalId": "sample-external-id"})
    # The other role of that template (EventBridge's, forwarding launch events) is checked by
    # test_launch_event_forwarding.py.
    roles = {k: v for k, v in template["Resources"].items() if v["Type"] == "AWS::IAM::Role"}
    if set(roles) != {TARGET_ROLE, FORWARD_ROLE}:
        raise AssertionError(f"expected roles {TARGET_ROLE} and {FORWARD_ROLE} in the "
                             f"target-account template, found {sorted(roles)}")
    properties = roles[TARGET_ROLE]["Properties"]
    if properties.get("ManagedPolicyArns"):
        raise AssertionError("the target-account role must not use managed policies")
    statements = []
    for policy in properties.get("Policies", []):
        statements += iam.statements(resolver.value(policy["PolicyDocument"]), "TargetRole")
    return statements
