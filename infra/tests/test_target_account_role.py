"""The role each DRS account creates (infra/target-account-role.yaml): it allows every DRS
operation of the DRS adapter with its credential pass-through (the Service Authorization
Reference's dependent actions, ec2:DetachVolume included), and nothing else."""

from __future__ import annotations

import copy
import unittest

import cfn
import iam
import shared
from policy_check import (TARGET_ROLE, broader, missing, target_role_policy,
                          target_role_requirements)


def without_action(template: dict, action: str) -> dict:
    """A copy of the template whose policy no longer grants `action`."""
    changed = copy.deepcopy(template)
    role = changed["Resources"][TARGET_ROLE]
    removed = False
    for policy in role["Properties"]["Policies"]:
        for statement in policy["PolicyDocument"]["Statement"]:
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            if action in actions:
                statement["Action"] = [a for a in actions if a != action]
                removed = True
    if not removed:
        raise AssertionError(f"{action} is not in the template")
    return changed


class TargetAccountRole(unittest.TestCase):
    def requirements(self):
        return target_role_requirements(shared.workspace())

    def test_it_allows_every_drs_call_and_its_pass_through(self):
        policy = target_role_policy(shared.target_template())
        self.assertEqual(missing(policy, self.requirements()), [])

    def test_it_allows_nothing_else(self):
        policy = target_role_policy(shared.target_template())
        self.assertEqual(broader(policy, self.requirements()), [])

    def test_the_requirements_cover_the_pass_through_of_both_launching_calls(self):
        actions = {r.action for r in self.requirements()}
        for call in ("drs:StartRecovery", "drs:TerminateRecoveryInstances"):
            self.assertIn(call, actions)
            self.assertTrue(set(iam.DEPENDENT_ACTIONS[call]) <= actions, call)
        self.assertTrue({"ec2:DetachVolume", "iam:PassRole", "drs:TagResource",
                         "drs:DescribeJobs", "drs:DescribeSourceServers",
                         "drs:DescribeJobLogItems", "drs:DescribeRecoveryInstances"} <= actions)

    def test_every_pass_through_action_exists_in_the_reference(self):
        for call, dependents in iam.DEPENDENT_ACTIONS.items():
            for action in [call] + dependents:
                self.assertTrue(iam.action_exists(action), action)

    def test_removing_detach_volume_fails_the_check(self):
        changed = without_action(shared.target_template(), "ec2:DetachVolume")
        problems = missing(target_role_policy(changed), self.requirements())
        self.assertTrue(problems)
        self.assertTrue(all(p.startswith("ec2:DetachVolume on ") for p in problems), problems)
        self.assertTrue(any("instance/" in p for p in problems) and
                        any("volume/" in p for p in problems), problems)

    def test_pass_role_is_limited_to_the_drs_roles_and_to_ec2(self):
        policy = target_role_policy(shared.target_template())
        statements = [s for s in policy if "iam:PassRole" in s.actions]
        self.assertEqual(len(statements), 1)
        statement = statements[0]
        self.assertEqual(statement.condition,
                         {"StringEquals": {"iam:PassedToService": "ec2.amazonaws.com"}})
        for role in iam.DRS_PASSED_ROLES:
            self.assertTrue(statement.allows(
                "iam:PassRole", f"arn:aws:iam::{cfn.ACCOUNT}:role/service-role/{role}"))
        self.assertFalse(statement.allows("iam:PassRole",
                                          f"arn:aws:iam::{cfn.ACCOUNT}:role/OrganizationAdmin"))

    def test_the_optional_recovery_instance_role_is_added_only_when_named(self):
        template = shared.target_template()
        named = cfn.Resolver(template, {"RecoveryInstanceRoleName": "app/web"})
        role = template["Resources"][TARGET_ROLE]
        document = named.value(role["Properties"]["Policies"][0]["PolicyDocument"])
        pass_role = next(s for s in iam.statements(document, "named") if "iam:PassRole" in s.actions)
        self.assertIn(f"arn:aws:iam::{cfn.ACCOUNT}:role/app/web", pass_role.resources)
        default = target_role_policy(template)
        pass_role = next(s for s in default if "iam:PassRole" in s.actions)
        self.assertEqual(len(pass_role.resources), 1)

    def test_only_the_orchestrator_functions_with_the_external_id_may_assume_it(self):
        template = shared.target_template()
        resolver = cfn.Resolver(template, {"OrchestratorAccountId": cfn.OTHER_ACCOUNT,
                                           "ExternalId": "billing-dr"})
        role = template["Resources"][TARGET_ROLE]
        trust = resolver.value(role["Properties"]["AssumeRolePolicyDocument"])["Statement"]
        self.assertEqual(len(trust), 1)
        statement = trust[0]
        self.assertEqual(statement["Effect"], "Allow")
        self.assertEqual(statement["Action"], "sts:AssumeRole")
        self.assertEqual(statement["Principal"],
                         {"AWS": f"arn:aws:iam::{cfn.OTHER_ACCOUNT}:root"})
        self.assertEqual(statement["Condition"]["StringEquals"], {"sts:ExternalId": "billing-dr"})
        path = template["Parameters"]["OrchestratorRolePath"]["Default"]
        self.assertEqual(statement["Condition"]["ArnLike"],
                         {"aws:PrincipalArn": f"arn:aws:iam::{cfn.OTHER_ACCOUNT}:role{path}*"})
        # The orchestrator's functions live under that path.
        orchestrator = shared.deployment()
        self.assertEqual(orchestrator.resolver.values["FunctionRolePath"], path)
        for function in orchestrator.functions():
            arn = orchestrator.resolver.get_att(orchestrator.role_logical_id(function), "Arn")
            self.assertTrue(arn.startswith(f"arn:aws:iam::{cfn.ACCOUNT}:role{path}"), arn)

    def test_its_name_is_the_one_the_orchestrator_may_assume(self):
        template = shared.target_template()
        orchestrator = shared.deployment()
        self.assertEqual(template["Parameters"]["RoleName"]["Default"],
                         orchestrator.resolver.values["TargetRoleName"])


if __name__ == "__main__":
    unittest.main()
