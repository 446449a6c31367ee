"""Each function's role allows every AWS call its code can make, and nothing more.

The calls are derived from the Rust sources (code_calls.py: from the binary's `main` through
the pipeline's role-specific paths into the adapters); see infra/README.md for the method.
"""

from __future__ import annotations

import copy
import unittest

import iam
import shared
from code_calls import DISPATCH, Reach, SdkCall, ShapeError
from policy_check import UNSCOPED_ACTIONS, Deployment, broader, drs_requirements, missing
from rust_source import Function


def function_roles(deployment: Deployment) -> dict[str, str]:
    return {f: deployment.role_logical_id(f) for f in deployment.functions()}


class FunctionPolicies(unittest.TestCase):
    def test_every_function_is_a_binary_of_the_functions_crate_with_its_own_role(self):
        deployment = shared.deployment()
        roles = function_roles(deployment)
        self.assertEqual(len(set(roles.values())), len(roles), f"shared roles: {roles}")
        binaries = {deployment.binary(f) for f in roles}
        self.assertEqual(binaries, {"starter", "checker", "advancer", "api"})

    def test_each_role_allows_every_call_its_code_makes(self):
        deployment = shared.deployment()
        for function, role in function_roles(deployment).items():
            with self.subTest(function=function):
                requirements = deployment.requirements(function)
                self.assertTrue(requirements)
                self.assertEqual(missing(deployment.policy(role), requirements), [])

    def test_each_role_allows_nothing_its_code_does_not_need(self):
        deployment = shared.deployment()
        for function, role in function_roles(deployment).items():
            with self.subTest(function=function):
                problems = broader(deployment.policy(role), deployment.requirements(function))
                self.assertEqual(problems, [])

    def test_the_derived_calls_are_the_ones_each_role_makes(self):
        # Not the source of truth (the code is): a readable witness that the walk found the
        # paths it must, and did not wander into another role's work.
        workspace = shared.workspace()
        actions = {b: {c.action for c in workspace.reach(b).calls}
                   for b in ("starter", "checker", "advancer")}
        self.assertTrue({"drs:StartRecovery", "drs:DescribeSourceServers",
                         "drs:DescribeJobs", "dynamodb:TransactWriteItems",
                         "sts:AssumeRole"} <= actions["starter"])
        self.assertIn("drs:DescribeJobs", actions["checker"])
        self.assertNotIn("drs:StartRecovery", actions["checker"])
        self.assertNotIn("drs:DescribeSourceServers", actions["checker"])
        self.assertFalse({a for a in actions["advancer"] if a.startswith("drs:")})
        self.assertNotIn("sts:AssumeRole", actions["advancer"])
        for binary in actions:
            self.assertTrue({"sqs:SendMessage", "sns:Publish", "dynamodb:Query"}
                            <= actions[binary], binary)
        # The HTTP API: plans read and written, executions read, requests sent; no DRS, no
        # execution writes, no notifications.
        api = workspace.reach("api")
        self.assertIsNone(api.role)
        self.assertEqual({c.action for c in api.calls},
                         {"dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:DeleteItem",
                          "dynamodb:Scan", "dynamodb:Query", "sqs:SendMessage"})
        self.assertTrue(any(".index_name(" in c.chain for c in api.calls),
                        "listing executions by plan goes through the by_plan index")
        self.assertEqual(shared.deployment().request_queues(api, "api"),
                         ["AdvanceQueue", "StartQueue"])

    def test_unscoped_actions_are_the_ones_the_reference_gives_no_resource_type(self):
        for action in sorted(UNSCOPED_ACTIONS):
            with self.subTest(action=action):
                self.assertTrue(iam.action_exists(action))
                self.assertEqual(iam.resource_types(action), [])

    def test_every_allowed_action_exists(self):
        deployment = shared.deployment()
        for function, role in function_roles(deployment).items():
            for statement in deployment.policy(role):
                for action in statement.actions:
                    self.assertTrue(iam.action_exists(action), f"{role}: {action}")


class TheDerivationFailsClosed(unittest.TestCase):
    """Code the walk cannot follow, or a call it cannot map, stops the test."""

    def test_a_port_reached_without_deps_is_refused(self):
        body = "{ let ledger = &self.deps.ledger; ledger.release(&scope, &request); }"
        function = Function("pipeline", DISPATCH[1], "sneaky", "Executor", None, body)
        with self.assertRaises(ShapeError):
            shared.workspace()._callees(function, body, Reach("starter", "Starter"))

    def test_a_call_from_an_unmapped_module_is_refused(self):
        deployment = shared.deployment()
        reach = shared.workspace().reach("checker")
        call = SdkCall("dynamodb", "GetItem", "aws-adapters", "dynamodb/audit.rs",
                       "AuditTable::get", ".get_item()")
        with self.assertRaisesRegex(AssertionError, "map aws-adapters/src/dynamodb/audit.rs"):
            deployment.call_requirements(call, reach, "check")

    def test_role_dependent_code_reached_without_a_role_is_refused(self):
        workspace = shared.workspace()
        dispatcher = workspace.method(*DISPATCH)
        with self.assertRaisesRegex(ShapeError, "names none"):
            workspace._pruned(dispatcher, None, workspace.command_owners())

    def test_a_send_outside_the_api_modules_of_a_function_without_a_queue_is_refused(self):
        reach = shared.workspace().reach("api")
        body = "{ deps.queues.send(QueueName::Check, &message, 0).await }"
        stray = Function("pipeline", "checker.rs", "stray", None, None, body)
        reach.bodies[stray.key] = stray
        with self.assertRaisesRegex(AssertionError, "sends outside pipeline/src/api/"):
            shared.deployment().request_queues(reach, "api")

    def test_a_drs_call_without_known_dependent_actions_is_refused(self):
        call = SdkCall("drs", "StartFailbackLaunch", "aws-adapters", "drs.rs",
                       "DrsAdapter::failback", ".start_failback_launch()")
        with self.assertRaisesRegex(AssertionError, "dependent actions of drs:StartFailbackLaunch"):
            drs_requirements(call, "failback", "111122223333", ["us-east-1"])


class ThePolicyCheckCanFail(unittest.TestCase):
    """The checks above, run on copies of the template changed in memory."""

    def changed(self, edit) -> Deployment:
        template = copy.deepcopy(shared.deployment().sam)
        edit(template["Resources"])
        return Deployment(shared.workspace(), template)

    @staticmethod
    def statement(resources: dict, role: str, sid: str) -> dict:
        for policy in resources[role]["Properties"]["Policies"]:
            for statement in policy["PolicyDocument"]["Statement"]:
                if statement.get("Sid") == sid:
                    return statement
        raise AssertionError(f"{role} has no statement {sid}")

    def test_a_missing_action_is_reported(self):
        def edit(resources):
            statement = self.statement(resources, "CheckerRole", "Ledger")
            statement["Action"].remove("dynamodb:UpdateItem")

        deployment = self.changed(edit)
        problems = missing(deployment.policy("CheckerRole"),
                           deployment.requirements("CheckerFunction"))
        self.assertTrue(any(p.startswith("dynamodb:UpdateItem on arn:aws:dynamodb:us-east-1:"
                                         "111122223333:table/drs-orchestrator-ledger")
                            for p in problems), problems)

    def test_a_permission_missing_from_the_api_is_reported(self):
        def edit(resources):
            self.statement(resources, "ApiRole", "Plans")["Action"].remove("dynamodb:Scan")
            self.statement(resources, "ApiRole", "SendRequests")["Resource"] = [
                {"Fn::GetAtt": ["StartQueue", "Arn"]}]
            self.statement(resources, "ApiRole", "ExecutionIndexes")["Resource"] = {
                "Fn::GetAtt": ["ExecutionsTable", "Arn"]}

        deployment = self.changed(edit)
        problems = missing(deployment.policy("ApiRole"), deployment.requirements("ApiFunction"))
        self.assertTrue(any(p.startswith("dynamodb:Scan on arn:aws:dynamodb:us-east-1:"
                                         "111122223333:table/drs-orchestrator-plans")
                            for p in problems), problems)
        self.assertTrue(any(p.startswith("sqs:SendMessage on arn:aws:sqs:us-east-1:"
                                         "111122223333:drs-orchestrator-advance ")
                            for p in problems), problems)
        self.assertTrue(any("table/drs-orchestrator-executions/index/" in p
                            for p in problems), problems)

    def test_the_api_reaching_the_check_queue_or_writing_executions_is_reported(self):
        def edit(resources):
            self.statement(resources, "ApiRole", "SendRequests")["Resource"].append(
                {"Fn::GetAtt": ["CheckQueue", "Arn"]})
            self.statement(resources, "ApiRole", "Executions")["Action"] = [
                "dynamodb:Query", "dynamodb:PutItem"]

        deployment = self.changed(edit)
        problems = broader(deployment.policy("ApiRole"), deployment.requirements("ApiFunction"))
        self.assertTrue(any("SendRequests: sqs:SendMessage on arn:aws:sqs:us-east-1:"
                            "111122223333:drs-orchestrator-check" in p for p in problems),
                        problems)
        self.assertTrue(any("Executions: dynamodb:PutItem on" in p and "executions" in p
                            for p in problems), problems)

    def test_a_pass_through_action_missing_from_the_starter_is_reported(self):
        def edit(resources):
            self.statement(resources, "StarterRole", "DrsLaunchEc2")["Action"].remove(
                "ec2:DetachVolume")

        deployment = self.changed(edit)
        problems = missing(deployment.policy("StarterRole"),
                           deployment.requirements("StarterFunction"))
        self.assertTrue(any(p.startswith("ec2:DetachVolume") for p in problems), problems)

    def test_an_unneeded_action_is_reported(self):
        def edit(resources):
            self.statement(resources, "AdvancerRole", "Executions")["Action"].append(
                "dynamodb:Scan")

        deployment = self.changed(edit)
        problems = broader(deployment.policy("AdvancerRole"),
                           deployment.requirements("AdvancerFunction"))
        self.assertIn("Executions: dynamodb:Scan is allowed but nothing needs it", problems)

    def test_a_resource_wildcard_is_reported(self):
        def edit(resources):
            self.statement(resources, "CheckerRole", "Executions")["Resource"] = "*"

        deployment = self.changed(edit)
        problems = broader(deployment.policy("CheckerRole"),
                           deployment.requirements("CheckerFunction"))
        self.assertTrue(any("dynamodb:GetItem on \"*\"" in p for p in problems), problems)

    def test_a_pattern_reaching_another_region_is_reported(self):
        # The ARNs name every region; the region condition is what keeps them to the stack's.
        def edit(resources):
            del self.statement(resources, "StarterRole", "DrsStartRecovery")["Condition"]

        deployment = self.changed(edit)
        problems = broader(deployment.policy("StarterRole"),
                           deployment.requirements("StarterFunction"))
        self.assertTrue(any("also reaches arn:aws:drs:eu-west-3:" in p for p in problems),
                        problems)

    def test_a_region_condition_ignoring_target_regions_is_reported(self):
        def edit(resources):
            statement = self.statement(resources, "StarterRole", "DrsLaunchEc2")
            statement["Condition"]["StringEquals"]["aws:RequestedRegion"] = [
                {"Ref": "AWS::Region"}]

        template = copy.deepcopy(shared.deployment().sam)
        edit(template["Resources"])
        deployment = Deployment(shared.workspace(), template, {"TargetRegions": ["eu-west-3"]})
        problems = missing(deployment.policy("StarterRole"),
                           deployment.requirements("StarterFunction"))
        self.assertTrue(any(p.startswith("ec2:DetachVolume on arn:aws:ec2:eu-west-3:")
                            for p in problems), problems)
        self.assertFalse(any(":us-east-1:" in p for p in problems), problems)

    def test_an_unknown_condition_is_refused(self):
        # A condition the check does not evaluate could hide a permission that no longer works.
        def edit(resources):
            self.statement(resources, "CheckerRole", "Ledger")["Condition"] = {
                "StringEquals": {"aws:SourceVpc": "vpc-1"}}

        deployment = self.changed(edit)
        with self.assertRaisesRegex(AssertionError, "aws:SourceVpc is not one the checks"):
            deployment.policy("CheckerRole")


    def test_another_roles_work_is_reported(self):
        def edit(resources):
            self.statement(resources, "CheckerRole", "DrsDescribeJobs")["Action"] = [
                "drs:DescribeJobs", "drs:StartRecovery"]

        deployment = self.changed(edit)
        problems = broader(deployment.policy("CheckerRole"),
                           deployment.requirements("CheckerFunction"))
        self.assertIn("DrsDescribeJobs: drs:StartRecovery is allowed but nothing needs it",
                      problems)


class RegionsAndOrganization(unittest.TestCase):
    """TargetRegions widens the starter's own-account DRS permissions to those regions (and
    no other); TargetOrganizationId keeps the target roles to one organization."""

    def test_by_default_the_starter_recovers_only_in_the_stacks_region(self):
        deployment = shared.deployment()
        self.assertEqual(deployment.drs_regions(), ["us-east-1"])
        policy = deployment.policy("StarterRole")
        for action, arn in [
                ("drs:StartRecovery", "arn:aws:drs:{}:111122223333:source-server/s-1"),
                ("drs:TagResource", "arn:aws:drs:{}:111122223333:job/drsjob-1"),
                ("ec2:DetachVolume", "arn:aws:ec2:{}:111122223333:volume/vol-1"),
                ("ec2:RunInstances", "arn:aws:ec2:{}::image/ami-1")]:
            self.assertTrue(iam.allowed(policy, action, arn.format("us-east-1")), action)
            self.assertFalse(iam.allowed(policy, action, arn.format("eu-west-3")), action)

    def test_target_regions_add_exactly_those_regions(self):
        deployment = Deployment(shared.workspace(), None,
                                {"TargetRegions": ["eu-west-3", "us-east-1"]})
        self.assertEqual(deployment.drs_regions(), ["us-east-1", "eu-west-3"])
        requirements = deployment.requirements("StarterFunction")
        self.assertTrue(any("arn:aws:ec2:eu-west-3:" in s for r in requirements
                            for s in r.samples if r.action == "ec2:DetachVolume"))
        policy = deployment.policy("StarterRole")
        self.assertEqual(missing(policy, requirements), [])
        self.assertEqual(broader(policy, requirements), [])
        self.assertFalse(iam.allowed(policy, "drs:StartRecovery",
                                     "arn:aws:drs:ap-southeast-2:111122223333:source-server/s-1"))
        # The checker and advancer are not widened: they start nothing.
        for function, role in (("CheckerFunction", "CheckerRole"),
                               ("AdvancerFunction", "AdvancerRole")):
            self.assertEqual(broader(deployment.policy(role), deployment.requirements(function)), [])

    def test_the_default_policy_misses_another_region_the_plan_may_target(self):
        # What the requirements of a two-region deployment say of the one-region policy.
        wide = Deployment(shared.workspace(), None, {"TargetRegions": ["eu-west-3"]})
        problems = missing(shared.deployment().policy("StarterRole"),
                           wide.requirements("StarterFunction"))
        self.assertTrue(any(p.startswith("drs:StartRecovery on arn:aws:drs:eu-west-3:")
                            for p in problems), problems)

    def test_only_the_starter_and_checker_may_assume_target_roles(self):
        deployment = shared.deployment()
        assuming = {role for function, role in function_roles(deployment).items()
                    if any(s.allows("sts:AssumeRole", "arn:aws:iam::444455556666:role/"
                                    "drs-orchestrator-target") for s in deployment.policy(role))}
        self.assertEqual(assuming, {"StarterRole", "CheckerRole"})
        scheduler = deployment.resolver.value(
            deployment.translated["Resources"]["SchedulerRole"]["Properties"]["Policies"])
        self.assertNotIn("sts:AssumeRole", str(scheduler))

    def test_the_target_organization_condition_is_there_only_when_set(self):
        organization = "o-a1b2c3d4e5"
        for parameters, expected in [({}, {}),
                                     ({"TargetOrganizationId": organization},
                                      {"StringEquals": {"aws:ResourceOrgID": organization}})]:
            deployment = Deployment(shared.workspace(), shared.deployment().sam, parameters)
            for role in ("StarterRole", "CheckerRole"):
                with self.subTest(parameters=parameters, role=role):
                    statement = next(s for s in deployment.policy(role)
                                     if s.sid == "AssumeTargetAccountRoles")
                    self.assertEqual(statement.condition, expected)


if __name__ == "__main__":
    unittest.main()
