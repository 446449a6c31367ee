"""The README's IAM policy examples (infra/iam-examples/*.json, shown in the README's
"Security model") evaluated against every route of the translated template's HTTP API: each
example allows exactly the routes it says, for the plans it says.

A route ARN is `arn:aws:execute-api:REGION:ACCOUNT:API_ID/STAGE/METHOD/PATH`, with PATH the
request's path (parameters filled in). The routes come from the translated API's OpenAPI body
and its stage, so a route added to the template is evaluated here too, and the expectations
below fail until someone decides who may call it.
"""

from __future__ import annotations

import copy
import json
import re
import unittest

import cfn
import iam
import shared
from test_http_api import HTTP_METHODS

EXAMPLES = cfn.INFRA / "iam-examples"
README = cfn.INFRA.parent / "README.md"
ACTION = "execute-api:Invoke"

# The plans, executions and waves the routes are filled in with: the example's plan, another
# plan, and one whose name starts like it (`billing*` would wrongly reach it).
PLANS = ["billing", "payroll", "billing-eu"]
EXECUTION = "exec-1"
WAVE = "0"

# Route templates, by who may call them.
PLAN_READS = {("GET", "/plans/{name}"), ("GET", "/plans/{name}/executions"),
              ("GET", "/plans/{name}/executions/{id}")}
CONTROLS = {("POST", "/plans/{name}/executions/{id}/cancel"),
            ("POST", "/plans/{name}/executions/{id}/waves/{index}/approve"),
            ("POST", "/plans/{name}/executions/{id}/waves/{index}/reject")}
DRILL = ("POST", "/plans/{name}/drills")
RECOVERY = ("POST", "/plans/{name}/recoveries")
LIST_PLANS = ("GET", "/plans")


def expected(routes: set[tuple[str, str]], plans: list[str]) -> set[tuple[str, str, str]]:
    """(method, route, plan) for each route under each plan (plan "" for `/plans`)."""
    return {(method, path, plan if "{name}" in path else "")
            for method, path in routes for plan in (plans if "{name}" in path else [""])}


# What each example allows, and nothing more.
ALLOWED = {
    "drill-operator-billing.json": expected(PLAN_READS | CONTROLS | {DRILL}, ["billing"]),
    "recovery-commander.json": expected(PLAN_READS | CONTROLS | {RECOVERY, LIST_PLANS}, PLANS),
    "read-only-auditor.json": expected(PLAN_READS | {LIST_PLANS}, PLANS),
}


def fill(path: str, plan: str) -> str:
    return (path.replace("{name}", plan).replace("{id}", EXECUTION)
            .replace("{index}", WAVE))


class Api:
    """The translated template's HTTP API: its routes, stage and route ARNs."""

    def __init__(self, deployment) -> None:
        apis = deployment.resources("AWS::ApiGatewayV2::Api")
        if len(apis) != 1:
            raise AssertionError(f"expected one HTTP API, found {list(apis)}")
        (self.logical, api), = apis.items()
        self.routes = {(method.upper(), path)
                       for path, item in api["Properties"]["Body"]["paths"].items()
                       for method in item if method in HTTP_METHODS}
        stages = [deployment.resolver.value(s["Properties"]["StageName"])
                  for s in deployment.resources("AWS::ApiGatewayV2::Stage").values()
                  if s["Properties"].get("ApiId") == {"Ref": self.logical}]
        if len(stages) != 1:
            raise AssertionError(f"expected one stage of {self.logical}, found {stages}")
        self.stage = stages[0]
        self.api_id = deployment.resolver.ref(self.logical)
        self.region, self.account = cfn.REGION, cfn.ACCOUNT

    def arn(self, method: str, path: str) -> str:
        return (f"arn:aws:execute-api:{self.region}:{self.account}:{self.api_id}/"
                f"{self.stage}/{method}{path}")

    def requests(self) -> list[tuple[str, str, str, str]]:
        """(method, route, plan, ARN) of every route, under each of PLANS."""
        result = []
        for method, path in sorted(self.routes):
            for plan in (PLANS if "{name}" in path else [""]):
                result.append((method, path, plan, self.arn(method, fill(path, plan))))
        return result

    def policy(self, document: dict, where: str) -> list[iam.Statement]:
        """The example's statements, its placeholders filled with this API's values."""
        text = json.dumps(document)
        for placeholder, value in (("REGION", self.region), ("ACCOUNT", self.account),
                                   ("API_ID", self.api_id)):
            text = text.replace(f":{placeholder}", f":{value}")
        return iam.statements(json.loads(text), where)

    def allowed(self, document: dict, where: str) -> set[tuple[str, str, str]]:
        policy = self.policy(document, where)
        return {(method, path, plan) for method, path, plan, arn in self.requests()
                if iam.allowed(policy, ACTION, arn)}


def example(name: str) -> dict:
    return json.loads((EXAMPLES / name).read_text())


def readme_examples() -> dict[str, dict]:
    """Each `infra/iam-examples/NAME.json` link of the README and the JSON block after it."""
    text = README.read_text()
    found = {}
    for match in re.finditer(r"\(infra/iam-examples/([\w.-]+\.json)\)", text):
        block = re.compile(r"```json\n(.*?)\n```", re.S).search(text, match.end())
        if block is None:
            raise AssertionError(f"README: no ```json block after the link to {match[1]}")
        found[match[1]] = json.loads(block[1])
    return found


class IamExamples(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.api = Api(shared.deployment())

    def test_each_example_allows_exactly_its_routes(self):
        self.assertEqual(sorted(p.name for p in EXAMPLES.glob("*.json")), sorted(ALLOWED))
        for name, allowed in ALLOWED.items():
            with self.subTest(example=name):
                self.assertEqual(self.api.allowed(example(name), name), allowed)

    def test_the_drill_operator_of_billing_cannot_recover_nor_touch_another_plan(self):
        allowed = self.api.allowed(example("drill-operator-billing.json"), "operator")
        self.assertIn(("POST", "/plans/{name}/drills", "billing"), allowed)
        self.assertIn(("POST", "/plans/{name}/executions/{id}/waves/{index}/approve",
                       "billing"), allowed)
        self.assertNotIn(("POST", "/plans/{name}/recoveries", "billing"), allowed)
        for plan in ("payroll", "billing-eu"):
            self.assertFalse({a for a in allowed if a[2] == plan}, plan)
        self.assertFalse({a for a in allowed if a[0] in ("PUT", "DELETE")})

    def test_the_recovery_commander_recovers_any_plan_but_starts_no_drill(self):
        allowed = self.api.allowed(example("recovery-commander.json"), "commander")
        for plan in PLANS:
            self.assertIn(("POST", "/plans/{name}/recoveries", plan), allowed)
            self.assertNotIn(("POST", "/plans/{name}/drills", plan), allowed)
            self.assertNotIn(("PUT", "/plans/{name}", plan), allowed)

    def test_the_auditor_reads_everything_and_changes_nothing(self):
        allowed = self.api.allowed(example("read-only-auditor.json"), "auditor")
        self.assertEqual({a[0] for a in allowed}, {"GET"})
        every_get = {(m, p, plan) for m, p, plan, _ in self.api.requests() if m == "GET"}
        self.assertEqual(allowed, every_get)

    def test_a_too_broad_example_is_caught(self):
        # The comparison above fails for a plan wildcard that also matches `billing-eu`, and
        # for a drill statement widened to every POST of the plan.
        loose = copy.deepcopy(example("drill-operator-billing.json"))
        loose["Statement"][1]["Resource"][0] = (
            "arn:aws:execute-api:REGION:ACCOUNT:API_ID/*/POST/plans/billing*/drills")
        allowed = self.api.allowed(loose, "loose")
        self.assertIn(("POST", "/plans/{name}/drills", "billing-eu"), allowed)
        self.assertNotEqual(allowed, ALLOWED["drill-operator-billing.json"])
        wide = copy.deepcopy(example("drill-operator-billing.json"))
        wide["Statement"][1]["Resource"] = [
            "arn:aws:execute-api:REGION:ACCOUNT:API_ID/*/POST/plans/billing/*"]
        self.assertIn(("POST", "/plans/{name}/recoveries", "billing"),
                      self.api.allowed(wide, "wide"))

    def test_route_arns_are_the_ones_api_gateway_checks(self):
        # SAM's Lambda permission for each route names the route's ARN pattern (stage and
        # parameters as `*`): the ARNs built here must be of that shape.
        deployment = shared.deployment()
        permissions = [deployment.resolver.value(p["Properties"]["SourceArn"])
                       for p in deployment.resources("AWS::Lambda::Permission").values()
                       if "execute-api" in json.dumps(p["Properties"].get("SourceArn"))]
        self.assertEqual(len(permissions), len(self.api.routes))
        for method, path in self.api.routes:
            with self.subTest(route=f"{method} {path}"):
                arn = self.api.arn(method, fill(path, "billing"))
                self.assertTrue(any(iam.arn_matches(p, arn) for p in permissions),
                                f"{arn} matches none of {permissions}")

    def test_the_readme_shows_each_example_as_it_is(self):
        shown = readme_examples()
        self.assertEqual(sorted(shown), sorted(ALLOWED))
        for name, document in shown.items():
            with self.subTest(example=name):
                self.assertEqual(document, example(name))


if __name__ == "__main__":
    unittest.main()
