"""Closed queues (DESIGN.md §7): only the stack's own principals may send to its queues.

Each queue of the translated template has one queue policy that denies `sqs:SendMessage` to
every principal except the stack's senders of that queue, which are read from the template
itself: the roles whose policies send there (the functions' roles, the Scheduler role), and
the stack's own topic subscribed to it or rule targeting it (by `aws:SourceArn`). The policy
is then evaluated, as IAM would, for those senders (each must get through) and for everyone
else (the account's administrators, a role under the functions' path, the stack's other
roles, another account, another topic or rule): each must be refused. Copies of the template
broken in memory (a queue without its policy, an outsider excepted, a wildcard, a sender
forgotten) must be reported.
"""

from __future__ import annotations

import copy
import unittest
from dataclasses import dataclass

import cfn
import iam
import shared
from policy_check import Deployment

SEND = "sqs:SendMessage"
NEGATED = {"ArnNotEquals", "ArnNotLike", "StringNotEquals", "StringNotLike"}
# Resources that name a queue without delivering to it (or whose delivery is checked here).
NOT_SENDERS = {"AWS::SQS::Queue", "AWS::SQS::QueuePolicy", "AWS::Lambda::EventSourceMapping",
               "AWS::Lambda::Function", "AWS::CloudWatch::Alarm"}
KNOWN_SENDERS = {"AWS::IAM::Role", "AWS::SNS::Subscription", "AWS::Events::Rule"}


def as_list(value) -> list:
    return value if isinstance(value, list) else [value]


@dataclass(frozen=True)
class Sender:
    """Who makes a SendMessage request, as the request context sees it."""
    name: str
    account: str | None = None  # the principal's account; None for an AWS service
    principal_arn: str | None = None  # aws:PrincipalArn: a role's ARN, whatever the session
    service: str | None = None  # an AWS service principal delivering for a resource
    source_arn: str | None = None  # aws:SourceArn: the resource the service delivers for
    identity_allows: bool = False  # the principal's own policies allow the send


def condition_holds(condition: dict, context: dict) -> bool:
    """IAM's evaluation of the operators a queue policy here may use. A key missing from the
    request makes a negated operator (`…Not…`) true and any other false. ArnEquals and ArnLike
    both take wildcards."""
    for operator, keys in condition.items():
        base = operator.removesuffix("IfExists")
        if base.replace("Not", "") not in ("ArnEquals", "ArnLike", "StringEquals", "StringLike"):
            raise AssertionError(f"condition operator {operator} is not modelled here")
        for key, wanted in keys.items():
            value = context.get(key)
            if value is None:
                if operator.endswith("IfExists") or base in NEGATED:
                    continue
                return False
            if base.startswith("Arn"):
                matched = any(iam.arn_matches(w, value) for w in as_list(wanted))
            elif base.replace("Not", "") == "StringLike":
                matched = any(iam.glob(w, value) for w in as_list(wanted))
            else:
                matched = value in as_list(wanted)
            if matched == (base in NEGATED):
                return False
    return True


def principal_matches(principal, sender: Sender) -> bool:
    if principal == "*" or principal == {"AWS": "*"}:
        return True
    if sender.service is not None:
        return sender.service in as_list(principal.get("Service", []))
    named = as_list(principal.get("AWS", []))
    return (sender.principal_arn in named or f"arn:aws:iam::{sender.account}:root" in named
            or sender.account in named)


def statement_applies(statement: dict, queue_arn: str, sender: Sender) -> bool:
    context = {"aws:PrincipalArn": sender.principal_arn, "aws:SourceArn": sender.source_arn}
    return (principal_matches(statement.get("Principal"), sender)
            and any(iam.glob(a, SEND, case_sensitive=False) for a in as_list(statement["Action"]))
            and any(iam.arn_matches(r, queue_arn) for r in as_list(statement["Resource"]))
            and condition_holds(statement.get("Condition", {}), context))


def may_send(statements: list[dict], queue_arn: str, sender: Sender) -> bool:
    """Whether `sender` may send to the queue under its policy `statements`: an explicit deny
    wins; a service needs the queue policy's allow; a principal of the queue's account needs
    its own policy's or the queue policy's; one of another account needs both."""
    for key in ("NotPrincipal", "NotAction", "NotResource"):
        if any(key in s for s in statements):
            raise AssertionError(f"{key} in a queue policy is not modelled here")
    applying = [s for s in statements if statement_applies(s, queue_arn, sender)]
    if any(s["Effect"] == "Deny" for s in applying):
        return False
    resource_allows = any(s["Effect"] == "Allow" for s in applying)
    if sender.service is not None:
        return resource_allows
    if sender.account == cfn.ACCOUNT:
        return sender.identity_allows or resource_allows
    return sender.identity_allows and resource_allows


class ClosedQueues:
    """The queues of one deployment, their policies and their senders."""

    def __init__(self, deployment: Deployment) -> None:
        self.deployment = deployment
        self.resolver = deployment.resolver
        self.queues = deployment.resources("AWS::SQS::Queue")
        self.arns = {q: deployment.arn(q) for q in self.queues}

    def policies(self, queue: str) -> list[dict]:
        """The statements of each queue policy that applies to `queue`."""
        url = self.resolver.ref(queue)
        found = []
        for logical, policy in self.deployment.resources("AWS::SQS::QueuePolicy").items():
            properties = self.resolver.value(policy["Properties"])
            if url in properties["Queues"]:
                found.append((logical, properties["Queues"],
                              as_list(properties["PolicyDocument"]["Statement"])))
        return found

    def senders(self, queue: str) -> list[Sender]:
        """The stack's senders of `queue`: roles whose policies send there, topics subscribed
        to it, rules targeting it without a role. Any other resource naming the queue fails:
        say here how it delivers."""
        arn, url = self.arns[queue], self.resolver.ref(queue)
        result = []
        for logical, resource in self.deployment.translated["Resources"].items():
            kind = resource["Type"]
            properties = self.resolver.value(resource.get("Properties", {}))
            if kind == "AWS::IAM::Role":
                if iam.allowed(self.deployment.policy(logical), SEND, arn):
                    result.append(Sender(logical, cfn.ACCOUNT,
                                         self.resolver.get_att(logical, "Arn"),
                                         identity_allows=True))
            elif kind == "AWS::SNS::Subscription":
                if properties.get("Protocol") == "sqs" and properties.get("Endpoint") == arn:
                    result.append(Sender(logical, service="sns.amazonaws.com",
                                         source_arn=properties["TopicArn"]))
            elif kind == "AWS::Events::Rule":
                for target in properties.get("Targets", []):
                    if target.get("Arn") == arn and "RoleArn" not in target:
                        result.append(Sender(logical, service="events.amazonaws.com",
                                             source_arn=self.resolver.get_att(logical, "Arn")))
            elif kind not in NOT_SENDERS and (arn in str(properties) or url in str(properties)):
                raise AssertionError(f"{logical} ({kind}) names {queue}: say in "
                                     "test_closed_queues.py how it delivers there")
        return result

    def outsiders(self, queue: str) -> list[Sender]:
        """Principals that must not send to `queue`, each as powerful as it could be."""
        path = self.resolver.values["FunctionRolePath"]
        senders = {s.name for s in self.senders(queue)}
        result = [
            Sender("the account's administrator role", cfn.ACCOUNT,
                   f"arn:aws:iam::{cfn.ACCOUNT}:role/Admin", identity_allows=True),
            Sender("a role under the functions' path", cfn.ACCOUNT,
                   f"arn:aws:iam::{cfn.ACCOUNT}:role{path}Intruder", identity_allows=True),
            Sender("another account's role", cfn.OTHER_ACCOUNT,
                   f"arn:aws:iam::{cfn.OTHER_ACCOUNT}:role{path}StarterRole",
                   identity_allows=True),
            Sender("another topic", service="sns.amazonaws.com",
                   source_arn=f"arn:aws:sns:{cfn.REGION}:{cfn.OTHER_ACCOUNT}:drs-orchestrator-triggers"),
            Sender("another rule", service="events.amazonaws.com",
                   source_arn=f"arn:aws:events:{cfn.REGION}:{cfn.ACCOUNT}:rule/anything"),
            Sender("Scheduler without the role", service="scheduler.amazonaws.com"),
        ]
        # The stack's roles and resources that do not send to this queue, even if their
        # policies were widened to every queue.
        for logical in self.deployment.resources("AWS::IAM::Role"):
            if logical not in senders:
                result.append(Sender(f"{logical} (not a sender of {queue})", cfn.ACCOUNT,
                                     self.resolver.get_att(logical, "Arn"), identity_allows=True))
        for other in self.queues:
            if other != queue:
                for sender in self.senders(other):
                    if sender.service is not None and sender.name not in senders:
                        result.append(Sender(f"{sender.name} (a sender of {other})",
                                             service=sender.service, source_arn=sender.source_arn))
        return result

    def problems(self) -> list[str]:
        problems = []
        for queue, arn in self.arns.items():
            policies = self.policies(queue)
            if len(policies) != 1:
                problems.append(f"{queue} has {len(policies)} queue policies, expected one")
                continue
            logical, queues, statements = policies[0]
            if len(queues) != 1:
                problems.append(f"{logical} applies to {len(queues)} queues; one policy a queue")
            problems += self.deny_problems(queue, logical, statements)
            senders = self.senders(queue)
            if not senders:
                problems.append(f"{queue}: no sender in the stack")
            for sender in senders:
                if not may_send(statements, arn, sender):
                    problems.append(f"{queue}: {sender.name} may not send, but it is a sender of "
                                    "the stack")
            for outsider in self.outsiders(queue):
                if may_send(statements, arn, outsider):
                    problems.append(f"{queue}: {outsider.name} may send")
        return problems

    def deny_problems(self, queue: str, logical: str, statements: list[dict]) -> list[str]:
        """The Deny names exactly the stack's senders of the queue: its roles by ARN, its
        topic or rule by source ARN."""
        senders = self.senders(queue)
        roles = sorted(s.principal_arn for s in senders if s.principal_arn)
        sources = sorted(s.source_arn for s in senders if s.source_arn)
        expected = {"ArnNotEquals": {"aws:PrincipalArn": roles,
                                     **({"aws:SourceArn": sources} if sources else {})}}
        denies = [s for s in statements if s["Effect"] == "Deny"]
        if len(denies) != 1:
            return [f"{logical}: {len(denies)} Deny statements, expected one"]
        deny = denies[0]
        problems = []
        if deny.get("Principal") != "*":
            problems.append(f"{logical}: the Deny is for {deny.get('Principal')}, not everyone")
        if SEND not in as_list(deny.get("Action")):
            problems.append(f"{logical}: the Deny does not cover {SEND}")
        found = {op: {k: sorted(as_list(v)) for k, v in keys.items()}
                 for op, keys in deny.get("Condition", {}).items()}
        if found != expected:
            problems.append(f"{logical}: the Deny excepts {found}, expected exactly the stack's "
                            f"senders of {queue} {expected}")
        return problems


def broken(edit, parameters: dict | None = None) -> list[str]:
    template = copy.deepcopy(shared.deployment().sam)
    edit(template["Resources"])
    return ClosedQueues(Deployment(shared.workspace(), template, parameters)).problems()


def deny_of(resources: dict, policy: str) -> dict:
    statements = resources[policy]["Properties"]["PolicyDocument"]["Statement"]
    return next(s for s in statements if s["Effect"] == "Deny")


class OnlyTheStacksPrincipalsMaySend(unittest.TestCase):
    def test_every_queue_is_closed_to_all_but_its_senders(self):
        queues = ClosedQueues(shared.deployment())
        self.assertEqual(len(queues.arns), 6)
        self.assertEqual(queues.problems(), [])

    def test_the_senders_are_the_ones_the_pipeline_uses(self):
        # A readable witness of what the template says (the policies and the code are the
        # truth): who sends where.
        queues = ClosedQueues(shared.deployment())
        senders = {q: sorted(s.name for s in queues.senders(q)) for q in queues.arns}
        pipeline = ["AdvancerRole", "CheckerRole", "StarterRole"]
        self.assertEqual(senders, {
            "StartQueue": sorted(pipeline + ["ApiRole", "SchedulerRole", "TriggerSubscription"]),
            "CheckQueue": sorted(pipeline + ["LaunchResultRule"]),
            "AdvanceQueue": sorted(pipeline + ["ApiRole"]),
            "StartDeadLetterQueue": ["SchedulerRole", "StarterRole"],
            "CheckDeadLetterQueue": ["CheckerRole"],
            "AdvanceDeadLetterQueue": ["AdvancerRole"],
        })

    def test_the_evaluation_can_say_no_and_yes(self):
        # The checks above rely on may_send(); make sure it is neither always true nor false.
        arn = f"arn:aws:sqs:{cfn.REGION}:{cfn.ACCOUNT}:q"
        admin = Sender("admin", cfn.ACCOUNT, f"arn:aws:iam::{cfn.ACCOUNT}:role/Admin",
                       identity_allows=True)
        topic = Sender("topic", service="sns.amazonaws.com",
                       source_arn=f"arn:aws:sns:{cfn.REGION}:{cfn.ACCOUNT}:t")
        self.assertTrue(may_send([], arn, admin))
        self.assertFalse(may_send([], arn, topic))
        allow_topic = {"Effect": "Allow", "Principal": {"Service": "sns.amazonaws.com"},
                       "Action": SEND, "Resource": arn,
                       "Condition": {"ArnEquals": {"aws:SourceArn": topic.source_arn}}}
        self.assertTrue(may_send([allow_topic], arn, topic))
        deny_others = {"Effect": "Deny", "Principal": "*", "Action": SEND, "Resource": arn,
                       "Condition": {"ArnNotEquals": {"aws:PrincipalArn": ["arn:aws:iam::1:role/x"],
                                                      "aws:SourceArn": [topic.source_arn]}}}
        self.assertFalse(may_send([allow_topic, deny_others], arn, admin))
        self.assertTrue(may_send([allow_topic, deny_others], arn, topic))
        cross = Sender("cross", cfn.OTHER_ACCOUNT, f"arn:aws:iam::{cfn.OTHER_ACCOUNT}:role/x",
                       identity_allows=True)
        self.assertFalse(may_send([], arn, cross))


class TheCheckCanFail(unittest.TestCase):
    """The check above, run on copies of the template changed in memory."""

    def assert_reported(self, problems: list[str], needle: str):
        self.assertTrue(any(needle in p for p in problems), problems)

    def test_a_queue_without_its_policy_is_reported(self):
        problems = broken(lambda r: r.pop("AdvanceQueuePolicy"))
        self.assert_reported(problems, "AdvanceQueue has 0 queue policies")

    def test_a_queue_policy_without_the_deny_is_reported(self):
        def edit(resources):
            statements = resources["StartQueuePolicy"]["Properties"]["PolicyDocument"]["Statement"]
            statements[:] = [s for s in statements if s["Effect"] == "Allow"]

        problems = broken(edit)
        self.assert_reported(problems, "StartQueuePolicy: 0 Deny statements")
        self.assert_reported(problems, "StartQueue: the account's administrator role may send")

    def test_an_outsider_excepted_is_reported(self):
        def edit(resources):
            deny_of(resources, "CheckQueuePolicy")["Condition"]["ArnNotEquals"][
                "aws:PrincipalArn"].append({"Fn::Sub": "arn:aws:iam::${AWS::AccountId}:role/Admin"})

        problems = broken(edit)
        self.assert_reported(problems, "CheckQueue: the account's administrator role may send")
        self.assert_reported(problems, "expected exactly the stack's senders of CheckQueue")

    def test_a_wildcard_over_the_functions_path_is_reported(self):
        def edit(resources):
            deny_of(resources, "AdvanceQueuePolicy")["Condition"]["ArnNotEquals"][
                "aws:PrincipalArn"] = {"Fn::Sub": "arn:aws:iam::${AWS::AccountId}:role${FunctionRolePath}*"}

        problems = broken(edit)
        self.assert_reported(problems, "AdvanceQueue: a role under the functions' path may send")
        self.assert_reported(problems, "AdvanceQueue: SchedulerRole (not a sender of AdvanceQueue) may send")

    def test_another_roles_sender_excepted_is_reported(self):
        # The Scheduler role excepted on the check queue, where nothing of it sends.
        def edit(resources):
            deny_of(resources, "CheckQueuePolicy")["Condition"]["ArnNotEquals"][
                "aws:PrincipalArn"].append({"Fn::GetAtt": ["SchedulerRole", "Arn"]})

        problems = broken(edit)
        self.assert_reported(problems, "CheckQueue: SchedulerRole (not a sender of CheckQueue) may send")

    def test_a_service_allowed_for_any_source_is_reported(self):
        def edit(resources):
            statements = resources["StartQueuePolicy"]["Properties"]["PolicyDocument"]["Statement"]
            allow = next(s for s in statements if s["Effect"] == "Allow")
            any_topic = [{"Fn::Sub": "arn:aws:sns:${AWS::Region}:*:*"}]
            allow["Condition"]["ArnEquals"]["aws:SourceArn"] = any_topic
            deny_of(resources, "StartQueuePolicy")["Condition"]["ArnNotEquals"][
                "aws:SourceArn"] = any_topic

        problems = broken(edit)
        self.assert_reported(problems, "StartQueue: another topic may send")
        self.assert_reported(problems, "expected exactly the stack's senders of StartQueue")

    def test_a_deny_of_another_action_is_reported(self):
        def edit(resources):
            deny_of(resources, "AdvanceDeadLetterQueuePolicy")["Action"] = "sqs:ReceiveMessage"

        problems = broken(edit)
        self.assert_reported(problems, "AdvanceDeadLetterQueue: the account's administrator role may send")

    def test_a_forgotten_sender_is_reported(self):
        # The HTTP API's role left out of the start queue's exceptions: its requests would be
        # denied.
        def edit(resources):
            names = deny_of(resources, "StartQueuePolicy")["Condition"]["ArnNotEquals"]["aws:PrincipalArn"]
            names.remove({"Fn::GetAtt": ["ApiRole", "Arn"]})

        problems = broken(edit)
        self.assert_reported(problems, "StartQueue: ApiRole may not send")

    def test_a_new_queue_without_a_policy_is_reported(self):
        def edit(resources):
            resources["AuditQueue"] = {"Type": "AWS::SQS::Queue", "Properties": {
                "QueueName": {"Fn::Sub": "${ResourcePrefix}-audit"}, "SqsManagedSseEnabled": True}}

        problems = broken(edit)
        self.assert_reported(problems, "AuditQueue has 0 queue policies")

    def test_an_unknown_delivery_to_a_queue_fails_the_check(self):
        def edit(resources):
            resources["Pipe"] = {"Type": "AWS::Pipes::Pipe", "Properties": {
                "Target": {"Fn::GetAtt": ["CheckQueue", "Arn"]}}}

        with self.assertRaisesRegex(AssertionError, "Pipe .* names CheckQueue"):
            broken(edit)


if __name__ == "__main__":
    unittest.main()
