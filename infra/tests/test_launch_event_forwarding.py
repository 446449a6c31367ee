"""DRS launch-result events of target accounts reach the orchestrator.

DRS puts its "DRS Source Server Launch Result" events on the default bus of the account and
region of the job. A target account's stack (infra/target-account-role.yaml) forwards exactly
those, unchanged, to the orchestrator account's default bus of the same region, with a role
that can do nothing else; the orchestrator's stack (infra/template.yaml) lets only the named
accounts (or organization) put only those events there, and its rule to the check queue does
not filter on `account`, so it matches the forwarded events.

Every check is a function returning its problems; each test also runs it on copies of the
templates broken in memory and expects the breakage to be reported.
"""

from __future__ import annotations

import copy
import re
import unittest

import cfn
import shared
from code_calls import WORKSPACE
from policy_check import FORWARD_ROLE, TARGET_ROLE

SOURCE = "aws.drs"
DETAIL_TYPE = "DRS Source Server Launch Result"
LAUNCH_PATTERN = {"source": [SOURCE], "detail-type": [DETAIL_TYPE]}
LAUNCH_EVENT_RS = WORKSPACE / "crates" / "pipeline" / "src" / "launch_event.rs"

FORWARD_RULE = "LaunchResultForwardRule"
ORCHESTRATOR_RULE = "LaunchResultRule"
ACCOUNTS_POLICY = "LaunchEventAccountsBusPolicy"
ORGANIZATION_POLICY = "LaunchEventOrganizationBusPolicy"

# A target account (where the forwarding stack runs) and the orchestrator account.
TARGET_ACCOUNT = cfn.OTHER_ACCOUNT
ORCHESTRATOR_ACCOUNT = cfn.ACCOUNT
OTHER_TARGET_ACCOUNT = "777788889999"
ORGANIZATION = "o-a1b2c3d4e5"


def orchestrator_template() -> dict:
    return cfn.load(cfn.TEMPLATE)


def bus_arn(account: str, region: str) -> str:
    return f"arn:{cfn.PARTITION}:events:{region}:{account}:event-bus/default"


def forwarded_event(account: str, region: str) -> dict:
    """A DRS launch result as the orchestrator's bus receives it from a target account:
    forwarding changes nothing, so `account` and the source server ARN are the target's."""
    return {
        "version": "0", "id": "7bf73129-1428-4cd3-a780-95db273d1602",
        "detail-type": DETAIL_TYPE, "source": SOURCE, "account": account,
        "time": "2026-03-01T09:12:00Z", "region": region,
        "resources": [f"arn:aws:drs:{region}:{account}:source-server/s-1234567890abcdef0"],
        "detail": {"state": "RECOVERY_LAUNCH_SUCCEEDED", "job-id": "drsjob-1", "is-drill": "TRUE"},
    }


def matches(pattern: dict, event: dict) -> bool:
    """EventBridge matching for the patterns used here: every key of the pattern is a field
    of the event whose value is one of the listed ones (nested objects for `detail`)."""
    for key, wanted in pattern.items():
        if key not in event:
            return False
        if isinstance(wanted, dict):
            if not isinstance(event[key], dict) or not matches(wanted, event[key]):
                return False
            continue
        values = event[key] if isinstance(event[key], list) else [event[key]]
        if not any(v in wanted for v in values):
            return False
    return True


def as_list(value) -> list:
    return value if isinstance(value, list) else [value]


# ---- the target account: the forwarding rule and its role ------------------------------------

def forwarding_problems(template: dict, region: str = cfn.OTHER_REGION) -> list[str]:
    """What is wrong with the forwarding of launch results in the target-account template
    deployed in `region` of TARGET_ACCOUNT for ORCHESTRATOR_ACCOUNT."""
    resolver = cfn.Resolver(template, {"OrchestratorAccountId": ORCHESTRATOR_ACCOUNT,
                                       "ExternalId": "billing-dr"},
                            account=TARGET_ACCOUNT, region=region)
    rules = {k: v for k, v in template["Resources"].items() if v["Type"] == "AWS::Events::Rule"}
    if set(rules) != {FORWARD_RULE}:
        return [f"expected exactly one rule, {FORWARD_RULE}; found {sorted(rules)}"]
    problems = []
    rule = rules[FORWARD_RULE]
    if rule.get("Condition") != "ForwardsLaunchEvents":
        problems.append(f"{FORWARD_RULE} is not conditioned on ForwardsLaunchEvents")
    properties = resolver.value(rule["Properties"])
    if properties.get("EventBusName", "default") != "default":
        problems.append(f"{FORWARD_RULE} is on bus {properties['EventBusName']}, not DRS's default bus")
    if properties.get("EventPattern") != LAUNCH_PATTERN:
        problems.append(f"{FORWARD_RULE} pattern {properties.get('EventPattern')} is not exactly "
                        f"the launch results {LAUNCH_PATTERN}")
    if properties.get("State", "ENABLED") != "ENABLED":
        problems.append(f"{FORWARD_RULE} is {properties['State']}")
    targets = properties.get("Targets", [])
    if len(targets) != 1:
        return problems + [f"{FORWARD_RULE} has {len(targets)} targets, expected one"]
    target = targets[0]
    expected_bus = bus_arn(ORCHESTRATOR_ACCOUNT, region)
    if target.get("Arn") != expected_bus:
        problems.append(f"{FORWARD_RULE} targets {target.get('Arn')}, expected the orchestrator's "
                        f"default bus of the same region {expected_bus}")
    if target.get("RoleArn") != resolver.get_att(FORWARD_ROLE, "Arn"):
        problems.append(f"{FORWARD_RULE} target does not use {FORWARD_ROLE}")
    for key in ("Input", "InputPath", "InputTransformer"):
        if key in target:
            problems.append(f"{FORWARD_RULE} target changes the event ({key}): the checker reads it as DRS wrote it")
    return problems


def forward_role_problems(template: dict, region: str = cfn.OTHER_REGION) -> list[str]:
    """What the forwarding role allows beyond PutEvents on the orchestrator's bus of `region`,
    or who else may assume it."""
    resolver = cfn.Resolver(template, {"OrchestratorAccountId": ORCHESTRATOR_ACCOUNT,
                                       "ExternalId": "billing-dr"},
                            account=TARGET_ACCOUNT, region=region)
    resource = template["Resources"].get(FORWARD_ROLE)
    if resource is None or resource["Type"] != "AWS::IAM::Role":
        return [f"no role {FORWARD_ROLE}"]
    problems = []
    if resource.get("Condition") != "ForwardsLaunchEvents":
        problems.append(f"{FORWARD_ROLE} is not conditioned on ForwardsLaunchEvents")
    properties = resolver.value(resource["Properties"])
    for key in ("ManagedPolicyArns", "RoleName"):
        if key in properties:
            # A name would collide in the second region of an account (IAM is global).
            problems.append(f"{FORWARD_ROLE} has {key}")
    statements = [s for p in properties.get("Policies", [])
                  for s in as_list(p["PolicyDocument"]["Statement"])]
    expected = {"Effect": "Allow", "Action": ["events:PutEvents"],
                "Resource": [bus_arn(ORCHESTRATOR_ACCOUNT, region)]}
    found = [{"Effect": s.get("Effect"), "Action": as_list(s.get("Action")),
              "Resource": as_list(s.get("Resource"))}
             for s in statements]
    if found != [expected]:
        problems.append(f"{FORWARD_ROLE} allows {found}, expected only {expected}")
    for statement in statements:
        for key in ("NotAction", "NotResource", "Condition"):
            if key in statement:
                problems.append(f"{FORWARD_ROLE} policy has {key}")
    trust = as_list(properties["AssumeRolePolicyDocument"]["Statement"])
    expected_trust = {"Effect": "Allow", "Principal": {"Service": "events.amazonaws.com"},
                      "Action": "sts:AssumeRole",
                      "Condition": {"StringEquals": {"aws:SourceAccount": TARGET_ACCOUNT}}}
    found_trust = [{k: v for k, v in s.items() if k != "Sid"} for s in trust]
    if found_trust != [expected_trust]:
        problems.append(f"{FORWARD_ROLE} trust is {found_trust}, expected only {expected_trust}")
    return problems


# ---- the orchestrator account: the bus policy and the rule ----------------------------------

def bus_policy_problems(template: dict, parameters: dict) -> list[str]:
    """What is wrong with the event bus policies of the orchestrator template deployed with
    `parameters`: a statement must exist exactly for the named accounts / organization and
    allow only PutEvents of DRS launch results on this account's default bus of this region."""
    resolver = cfn.Resolver(template, parameters)
    accounts = [a for a in as_list(parameters.get("LaunchEventAccountIds", "")) if a]
    organization = parameters.get("LaunchEventOrganizationId", "")
    policies = {k: v for k, v in template["Resources"].items()
                if v["Type"] in ("AWS::Events::EventBusPolicy", "AWS::Events::EventBus")}
    if set(policies) != {ACCOUNTS_POLICY, ORGANIZATION_POLICY}:
        return [f"expected bus policies {ACCOUNTS_POLICY} and {ORGANIZATION_POLICY}, "
                f"found {sorted(policies)}"]
    problems = []
    expected_principals = {ACCOUNTS_POLICY: ({"AWS": accounts}, {}),
                           ORGANIZATION_POLICY: ("*", {"aws:PrincipalOrgID": organization})}
    wanted = {ACCOUNTS_POLICY: bool(accounts), ORGANIZATION_POLICY: bool(organization)}
    for logical, resource in policies.items():
        if resource["Type"] != "AWS::Events::EventBusPolicy":
            problems.append(f"{logical} is a {resource['Type']}")
            continue
        condition = resource.get("Condition")
        exists = resolver.condition(condition) if condition else True
        if exists != wanted[logical]:
            problems.append(f"{logical} {'exists' if exists else 'is missing'} with {parameters}")
        if not exists:
            continue
        properties = resolver.value(resource["Properties"])
        if properties.get("EventBusName", "default") != "default":
            problems.append(f"{logical} is on bus {properties['EventBusName']}")
        legacy = {"Action", "Principal", "Condition"} & set(properties)
        if legacy:
            problems.append(f"{logical} uses the legacy properties {sorted(legacy)}")
        statement = properties.get("Statement", {})
        principal, principal_condition = expected_principals[logical]
        expected = {
            "Effect": "Allow",
            "Principal": principal,
            "Action": "events:PutEvents",
            "Resource": bus_arn(cfn.ACCOUNT, cfn.REGION),
            "Condition": {**({"StringEquals": principal_condition} if principal_condition else {}),
                          "ForAllValues:StringEquals": {"events:source": [SOURCE],
                                                        "events:detail-type": [DETAIL_TYPE]}},
        }
        found = dict(statement)
        if isinstance(found.get("Action"), list) and len(found["Action"]) == 1:
            found["Action"] = found["Action"][0]
        if found != expected:
            problems.append(f"{logical} statement is {found}, expected {expected}")
    return problems


def orchestrator_rule_problems(template: dict) -> list[str]:
    """Whether the orchestrator's rule to the check queue takes launch results of every
    account: on the default bus, no `account` (or other) filter, and a forwarded event matches."""
    resolver = cfn.Resolver(template)
    rule = template["Resources"].get(ORCHESTRATOR_RULE)
    if rule is None:
        return [f"no {ORCHESTRATOR_RULE}"]
    properties = resolver.value(rule["Properties"])
    pattern = properties.get("EventPattern", {})
    problems = []
    if properties.get("EventBusName", "default") != "default":
        problems.append(f"{ORCHESTRATOR_RULE} is not on the default bus, where forwarded events arrive")
    if "account" in pattern:
        problems.append(f"{ORCHESTRATOR_RULE} filters on account {pattern['account']}: "
                        "target accounts' forwarded events would not match")
    extra = set(pattern) - set(LAUNCH_PATTERN)
    if extra:
        problems.append(f"{ORCHESTRATOR_RULE} filters on {sorted(extra)} too")
    for account in (TARGET_ACCOUNT, OTHER_TARGET_ACCOUNT, cfn.ACCOUNT):
        if not matches(pattern, forwarded_event(account, cfn.REGION)):
            problems.append(f"{ORCHESTRATOR_RULE} does not match a launch result of account {account}")
    return problems


class TargetAccountForwarding(unittest.TestCase):
    def test_the_pattern_is_the_one_the_checker_reads(self):
        # crates/pipeline/src/launch_event.rs: what parse() accepts as a launch result.
        source = LAUNCH_EVENT_RS.read_text()
        self.assertRegex(source, r'pub const SOURCE: &str = "' + re.escape(SOURCE) + '";')
        self.assertRegex(source, r'pub const DETAIL_TYPE: &str = "' + re.escape(DETAIL_TYPE) + '";')
        orchestrator = cfn.Resolver(orchestrator_template()).value(
            orchestrator_template()["Resources"][ORCHESTRATOR_RULE]["Properties"]["EventPattern"])
        self.assertEqual(orchestrator, LAUNCH_PATTERN)

    def test_it_forwards_exactly_launch_results_to_the_orchestrator_bus_of_its_region(self):
        template = shared.target_template()
        for region in (cfn.REGION, cfn.OTHER_REGION):
            with self.subTest(region=region):
                self.assertEqual(forwarding_problems(template, region), [])

    def test_a_widened_or_misdirected_forwarding_is_reported(self):
        def broken(edit) -> list[str]:
            changed = copy.deepcopy(shared.target_template())
            edit(changed["Resources"][FORWARD_RULE])
            return forwarding_problems(changed)

        def fixed_region(rule):
            rule["Properties"]["Targets"][0]["Arn"] = {
                "Fn::Sub": "arn:${AWS::Partition}:events:us-east-1:${OrchestratorAccountId}:event-bus/default"}

        def every_drs_event(rule):
            del rule["Properties"]["EventPattern"]["detail-type"]

        def own_account(rule):
            rule["Properties"]["Targets"][0]["Arn"] = {
                "Fn::Sub": "arn:${AWS::Partition}:events:${AWS::Region}:${AWS::AccountId}:event-bus/default"}

        def always(rule):
            del rule["Condition"]

        def transformed(rule):
            rule["Properties"]["Targets"][0]["InputPath"] = "$.detail"

        for name, edit, needle in [("fixed region", fixed_region, "same region"),
                                   ("every DRS event", every_drs_event, "pattern"),
                                   ("own account", own_account, "same region"),
                                   ("unconditional", always, "ForwardsLaunchEvents"),
                                   ("transformed", transformed, "changes the event")]:
            with self.subTest(name):
                problems = broken(edit)
                self.assertTrue(any(needle in p for p in problems), problems)

    def test_its_role_can_only_put_events_on_that_bus(self):
        template = shared.target_template()
        for region in (cfn.REGION, cfn.OTHER_REGION):
            with self.subTest(region=region):
                self.assertEqual(forward_role_problems(template, region), [])

    def test_a_broader_forwarding_role_is_reported(self):
        def broken(edit) -> list[str]:
            changed = copy.deepcopy(shared.target_template())
            edit(changed["Resources"][FORWARD_ROLE]["Properties"])
            return forward_role_problems(changed)

        def statement(properties):
            return properties["Policies"][0]["PolicyDocument"]["Statement"][0]

        def more_actions(properties):
            statement(properties)["Action"] = ["events:PutEvents", "events:PutRule"]

        def any_bus(properties):
            statement(properties)["Resource"] = "*"

        def any_account_may_assume(properties):
            del properties["AssumeRolePolicyDocument"]["Statement"][0]["Condition"]

        def named(properties):
            properties["RoleName"] = "drs-orchestrator-forward"

        for name, edit in [("more actions", more_actions), ("any bus", any_bus),
                           ("trust without source account", any_account_may_assume),
                           ("named", named)]:
            with self.subTest(name):
                self.assertNotEqual(broken(edit), [])

    def test_forwarding_and_the_role_can_each_be_turned_off(self):
        template = shared.target_template()
        resources = template["Resources"]
        self.assertEqual(resources[TARGET_ROLE].get("Condition"), "CreatesRole")
        self.assertEqual(template["Outputs"]["RoleArn"].get("Condition"), "CreatesRole")
        for parameters, role, forward in [({}, True, True),
                                          ({"ForwardLaunchEvents": "false"}, True, False),
                                          ({"CreateRole": "false"}, False, True)]:
            with self.subTest(parameters=parameters):
                resolver = cfn.Resolver(template, parameters)
                self.assertEqual(resolver.condition(resources[TARGET_ROLE]["Condition"]), role)
                self.assertEqual(resolver.condition(resources[FORWARD_RULE]["Condition"]), forward)
                self.assertEqual(resolver.condition(resources[FORWARD_ROLE]["Condition"]), forward)


class OrchestratorBus(unittest.TestCase):
    CASES = [
        {},
        {"LaunchEventAccountIds": [TARGET_ACCOUNT]},
        {"LaunchEventAccountIds": [TARGET_ACCOUNT, OTHER_TARGET_ACCOUNT]},
        {"LaunchEventOrganizationId": ORGANIZATION},
        {"LaunchEventAccountIds": [OTHER_TARGET_ACCOUNT], "LaunchEventOrganizationId": ORGANIZATION},
    ]

    def test_the_bus_policy_exists_only_when_asked_and_allows_only_drs_put_events(self):
        template = orchestrator_template()
        for parameters in self.CASES:
            with self.subTest(parameters=parameters):
                self.assertEqual(bus_policy_problems(template, parameters), [])

    def test_no_bus_policy_by_default(self):
        template = orchestrator_template()
        resolver = cfn.Resolver(template)
        for logical in (ACCOUNTS_POLICY, ORGANIZATION_POLICY):
            self.assertFalse(resolver.condition(template["Resources"][logical]["Condition"]), logical)

    def test_a_broader_bus_policy_is_reported(self):
        accounts = {"LaunchEventAccountIds": [TARGET_ACCOUNT]}
        organization = {"LaunchEventOrganizationId": ORGANIZATION}

        def broken(logical, edit, parameters) -> list[str]:
            changed = copy.deepcopy(orchestrator_template())
            edit(changed["Resources"][logical])
            return bus_policy_problems(changed, parameters)

        def every_action(policy):
            policy["Properties"]["Statement"]["Action"] = "events:*"

        def anyone(policy):
            policy["Properties"]["Statement"]["Principal"] = "*"

        def any_source(policy):
            del policy["Properties"]["Statement"]["Condition"]["ForAllValues:StringEquals"]["events:source"]

        def any_organization(policy):
            del policy["Properties"]["Statement"]["Condition"]["StringEquals"]

        def unconditional(policy):
            del policy["Condition"]

        def any_bus(policy):
            policy["Properties"]["Statement"]["Resource"] = "*"

        for name, logical, edit, parameters in [
                ("every action", ACCOUNTS_POLICY, every_action, accounts),
                ("anyone", ACCOUNTS_POLICY, anyone, accounts),
                ("any source", ACCOUNTS_POLICY, any_source, accounts),
                ("any source (organization)", ORGANIZATION_POLICY, any_source, organization),
                ("any organization", ORGANIZATION_POLICY, any_organization, organization),
                ("always there", ACCOUNTS_POLICY, unconditional, {}),
                ("any bus", ORGANIZATION_POLICY, any_bus, organization)]:
            with self.subTest(name):
                self.assertNotEqual(broken(logical, edit, parameters), [])

    def test_the_rule_to_the_check_queue_takes_every_accounts_launch_results(self):
        self.assertEqual(orchestrator_rule_problems(orchestrator_template()), [])

    def test_a_rule_restricted_to_one_account_is_reported(self):
        changed = copy.deepcopy(orchestrator_template())
        changed["Resources"][ORCHESTRATOR_RULE]["Properties"]["EventPattern"]["account"] = [
            {"Ref": "AWS::AccountId"}]
        problems = orchestrator_rule_problems(changed)
        self.assertTrue(any("filters on account" in p for p in problems), problems)
        self.assertTrue(any(f"account {TARGET_ACCOUNT}" in p for p in problems), problems)

    def test_the_matcher_can_say_no(self):
        # The rule check above relies on matches(); make sure it is not always true.
        event = forwarded_event(TARGET_ACCOUNT, cfn.REGION)
        self.assertTrue(matches(LAUNCH_PATTERN, event))
        self.assertFalse(matches({**LAUNCH_PATTERN, "account": [cfn.ACCOUNT]}, event))
        self.assertFalse(matches({"source": ["aws.ec2"]}, event))
        self.assertFalse(matches({"detail": {"state": ["RECOVERY_LAUNCH_FAILED"]}}, event))


if __name__ == "__main__":
    unittest.main()
