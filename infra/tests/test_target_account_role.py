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


def caller_role_arns(orchestrator) -> list[str]:
    """The orchestrator stack's TargetCallerRoleArns output, as the target stack receives it."""
    output = orchestrator.translated["Outputs"]["TargetCallerRoleArns"]["Value"]
    return orchestrator.resolver.value(output).split(",")


def trust_statement(template: dict, callers: list[str], parameters: dict | None = None) -> dict:
    """The target role's one trust statement, deployed for the orchestrator's `callers`."""
    resolver = cfn.Resolver(template, {"OrchestratorAccountId": cfn.ACCOUNT,
                                       "ExternalId": "billing-dr",
                                       "OrchestratorRoleArns": callers, **(parameters or {})},
                            account=cfn.OTHER_ACCOUNT)
    role = template["Resources"][TARGET_ROLE]
    trust = resolver.value(role["Properties"]["AssumeRolePolicyDocument"])["Statement"]
    if len(trust) != 1:
        raise AssertionError(f"expected one trust statement, found {len(trust)}")
    return trust[0]


def may_assume(statement: dict, principal_arn: str, external_id: str | None = "billing-dr",
               organization: str | None = None) -> bool:
    """Whether `statement` lets a role session of `principal_arn` (in the orchestrator's
    account, of `organization`) assume the role with `external_id`: the conditions this trust
    uses, evaluated as IAM does (a key missing from the request fails StringEquals)."""
    if statement.get("Effect") != "Allow" or statement.get("Action") != "sts:AssumeRole":
        return False
    account = principal_arn.split(":")[4]
    principal = statement.get("Principal", {}).get("AWS")
    if principal not in (f"arn:aws:iam::{account}:root", principal_arn):
        return False
    context = {"sts:ExternalId": external_id, "aws:PrincipalOrgID": organization,
               "aws:PrincipalArn": principal_arn}
    for operator, keys in statement.get("Condition", {}).items():
        for key, wanted in keys.items():
            wanted = wanted if isinstance(wanted, list) else [wanted]
            value = context.get(key, "<unknown key>")
            if value is None:
                return False
            if operator not in ("StringEquals", "ArnEquals", "ArnLike"):
                raise AssertionError(f"trust condition operator {operator} is not modelled here")
            if operator == "StringEquals" and value not in wanted:
                return False
            # ArnEquals and ArnLike alike take wildcards in each part of the ARN.
            if operator != "StringEquals" and not any(iam.arn_matches(w, value) for w in wanted):
                return False
    return True


def trust_problems(template: dict, callers: list[str], parameters: dict | None = None) -> list[str]:
    """Who may assume the target role beyond the orchestrator's `callers` with the external
    ID (and from its organization when OrchestratorOrganizationId is set)."""
    parameters = parameters or {}
    organization = parameters.get("OrchestratorOrganizationId") or None
    statement = trust_statement(template, callers, parameters)
    problems = []
    if statement.get("Action") != "sts:AssumeRole":
        problems.append(f"the trust allows Action {statement.get('Action')}, only sts:AssumeRole "
                        "is needed (no session tags, no source identity)")
    if statement.get("Principal") != {"AWS": f"arn:aws:iam::{cfn.ACCOUNT}:root"}:
        problems.append(f"the trust's Principal is {statement.get('Principal')}, not the "
                        "orchestrator account")
    member = organization or "o-member00000"
    for caller in callers:
        if not may_assume(statement, caller, organization=member):
            problems.append(f"{caller} may not assume the role")
    orchestrator = shared.deployment()
    path = orchestrator.resolver.values["FunctionRolePath"]
    outsiders = [orchestrator.resolver.get_att(r, "Arn") for r in
                 ("SchedulerRole", "ApiRole", "AdvancerRole")]
    outsiders += [f"arn:aws:iam::{cfn.ACCOUNT}:role{path}Intruder",
                  f"arn:aws:iam::{cfn.ACCOUNT}:role/Admin",
                  f"arn:aws:iam::{cfn.OTHER_ACCOUNT}:role{path}StarterRole"]
    for outsider in outsiders:
        if may_assume(statement, outsider, organization=member):
            name = outsider.rsplit("/", 1)[-1]
            problems.append(f"{outsider} ({name}) may assume the role")
    for caller in callers:
        if may_assume(statement, caller, external_id=None, organization=member):
            problems.append(f"{caller} may assume the role without the external ID")
        if organization and may_assume(statement, caller, organization="o-other0000000"):
            problems.append(f"{caller} may assume the role from another organization")
    return problems


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
        orchestrator = shared.deployment()
        callers = caller_role_arns(orchestrator)
        self.assertEqual(trust_problems(template, callers), [])
        statement = trust_statement(template, callers)
        self.assertEqual(statement["Condition"], {
            "StringEquals": {"sts:ExternalId": "billing-dr"},
            "ArnEquals": {"aws:PrincipalArn": callers}})

    def test_the_callers_are_the_roles_that_assume_target_roles_and_no_other(self):
        orchestrator = shared.deployment()
        callers = caller_role_arns(orchestrator)
        # The roles whose code calls sts:AssumeRole (derived from the Rust code) ...
        assuming = {orchestrator.role_logical_id(f) for f in orchestrator.functions()
                    if any(r.action == "sts:AssumeRole" for r in orchestrator.requirements(f))}
        self.assertEqual(assuming, {"StarterRole", "CheckerRole"})
        self.assertEqual(sorted(callers), sorted(orchestrator.resolver.get_att(r, "Arn")
                                                 for r in assuming))
        # ... and not the Scheduler role, the API's or the advancer's, under the same path.
        path = orchestrator.resolver.values["FunctionRolePath"]
        for other in ("SchedulerRole", "ApiRole", "AdvancerRole"):
            arn = orchestrator.resolver.get_att(other, "Arn")
            self.assertTrue(arn.startswith(f"arn:aws:iam::{cfn.ACCOUNT}:role{path}"), arn)
            self.assertFalse(may_assume(trust_statement(shared.target_template(), callers), arn),
                             other)

    def test_the_organization_condition_is_there_only_when_set(self):
        template = shared.target_template()
        callers = caller_role_arns(shared.deployment())
        organization = "o-a1b2c3d4e5"
        self.assertNotIn("aws:PrincipalOrgID",
                         trust_statement(template, callers)["Condition"]["StringEquals"])
        statement = trust_statement(template, callers, {"OrchestratorOrganizationId": organization})
        self.assertEqual(statement["Condition"]["StringEquals"],
                         {"sts:ExternalId": "billing-dr", "aws:PrincipalOrgID": organization})
        self.assertEqual(trust_problems(template, callers,
                                        {"OrchestratorOrganizationId": organization}), [])

    def test_a_wider_trust_is_reported(self):
        callers = caller_role_arns(shared.deployment())

        def broken(edit, parameters=None) -> list[str]:
            changed = copy.deepcopy(shared.target_template())
            statement = changed["Resources"][TARGET_ROLE]["Properties"][
                "AssumeRolePolicyDocument"]["Statement"][0]
            edit(statement)
            return trust_problems(changed, callers, parameters)

        def any_role_under_the_path(statement):
            statement["Condition"]["ArnEquals"] = {}
            statement["Condition"]["ArnLike"] = {"aws:PrincipalArn": {
                "Fn::Sub": "arn:${AWS::Partition}:iam::${OrchestratorAccountId}:role/drs-orchestrator/*"}}

        def any_principal_of_the_account(statement):
            del statement["Condition"]["ArnEquals"]

        def a_wildcard_arn(statement):
            statement["Condition"]["ArnEquals"]["aws:PrincipalArn"] = {
                "Fn::Sub": "arn:${AWS::Partition}:iam::${OrchestratorAccountId}:role/drs-orchestrator/*"}

        def no_external_id(statement):
            del statement["Condition"]["StringEquals"]["sts:ExternalId"]

        def another_account(statement):
            statement["Principal"] = {"AWS": "*"}

        def organization_ignored(statement):
            del statement["Condition"]["StringEquals"]["aws:PrincipalOrgID"]

        def tags_too(statement):
            statement["Action"] = ["sts:AssumeRole", "sts:TagSession"]

        org = {"OrchestratorOrganizationId": "o-a1b2c3d4e5"}
        for name, edit, parameters, needle in [
                ("any role under the path", any_role_under_the_path, None, "SchedulerRole"),
                ("any principal of the account", any_principal_of_the_account, None, "SchedulerRole"),
                ("a wildcard in the ARN", a_wildcard_arn, None, "Intruder"),
                ("no external ID", no_external_id, None, "external ID"),
                ("another account", another_account, None, "Principal"),
                ("organization ignored", organization_ignored, org, "organization"),
                ("session tags", tags_too, None, "Action")]:
            with self.subTest(name):
                problems = broken(edit, parameters)
                self.assertTrue(any(needle in p for p in problems), problems)

    def test_its_name_is_the_one_the_orchestrator_may_assume(self):
        template = shared.target_template()
        orchestrator = shared.deployment()
        self.assertEqual(template["Parameters"]["RoleName"]["Default"],
                         orchestrator.resolver.values["TargetRoleName"])


if __name__ == "__main__":
    unittest.main()
