"""The HTTP API: the router's route table (`pipeline::api::ROUTES`, printed by the deployment
contract), the `api` function's HttpApi events and `infra/openapi.yaml` list the same routes,
and the API is behind IAM authorization.

Adding a route to any one of the three (and not the others) fails here.
"""

from __future__ import annotations

import copy
import unittest

import yaml

import cfn
import shared

OPENAPI = cfn.INFRA / "openapi.yaml"
HTTP_METHODS = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}


def router_routes() -> set[tuple[str, str]]:
    return {(r["method"], r["path"]) for r in shared.contract()["api"]["routes"]}


def openapi_routes(document: dict) -> set[tuple[str, str]]:
    return {(method.upper(), path)
            for path, item in document.get("paths", {}).items()
            for method in item if method in HTTP_METHODS}


def api_function(deployment) -> str:
    binary = shared.contract()["api"]["binary"]
    found = [f for f in deployment.functions() if deployment.binary(f) == binary]
    if len(found) != 1:
        raise AssertionError(f"expected one function with Binary {binary}, found {found}")
    return found[0]


class RoutesAgree(unittest.TestCase):
    def setUp(self):
        self.document = yaml.safe_load(OPENAPI.read_text())
        self.deployment = shared.deployment()

    def test_the_router_has_routes(self):
        self.assertGreaterEqual(len(router_routes()), 11)

    def test_everything_about_an_execution_is_under_its_plans_path(self):
        # What lets IAM scope callers per plan (README "Security model"): no route starts or
        # controls an execution, or shows one, by its ID alone.
        for method, path in router_routes():
            if method == "POST" or "{id}" in path:
                self.assertTrue(path.startswith("/plans/{name}/"), f"{method} {path}")
        self.assertIn(("POST", "/plans/{name}/drills"), router_routes())
        self.assertIn(("POST", "/plans/{name}/recoveries"), router_routes())

    def test_openapi_describes_exactly_the_routers_routes(self):
        self.assertEqual(openapi_routes(self.document), router_routes())

    def test_the_api_functions_events_are_exactly_the_routers_routes(self):
        function = api_function(self.deployment)
        self.assertEqual(self.deployment.http_routes(function), router_routes())

    def test_a_route_missing_from_openapi_or_the_router_is_caught(self):
        # The comparison above on a copy with one operation removed, and one added.
        fewer = copy.deepcopy(self.document)
        del fewer["paths"]["/plans/{name}"]["delete"]
        self.assertNotEqual(openapi_routes(fewer), router_routes())
        more = copy.deepcopy(self.document)
        more["paths"]["/plans/{name}"]["patch"] = {"responses": {"200": {"description": "x"}}}
        self.assertNotEqual(openapi_routes(more), router_routes())

    def test_openapi_is_a_valid_openapi_3_0_document(self):
        try:
            from openapi_spec_validator import validate
        except ImportError:
            self.skipTest("openapi-spec-validator is not installed (pip install openapi-spec-validator)")
        validate(self.document)
        broken = copy.deepcopy(self.document)
        broken["paths"]["/plans"]["get"]["responses"]["200"].pop("description")
        with self.assertRaises(Exception):
            validate(broken)

    def test_openapi_is_3_0_with_iam_security_and_the_error_shape(self):
        self.assertTrue(str(self.document["openapi"]).startswith("3.0"))
        schemes = self.document["components"]["securitySchemes"]
        self.assertEqual([s.get("x-amazon-apigateway-authtype") for s in schemes.values()],
                         ["awsSigv4"])
        self.assertTrue(self.document.get("security"))
        error = self.document["components"]["schemas"]["Error"]
        self.assertEqual(set(error["required"]), {"error", "message"})
        codes = set(error["properties"]["error"]["enum"])
        self.assertEqual(codes, {"invalid_request", "invalid_plan", "confirmation_required",
                                 "forbidden", "not_found", "method_not_allowed", "conflict",
                                 "unsupported_media_type", "internal"})

    def test_every_operation_documents_its_errors_and_parameters(self):
        for path, item in self.document["paths"].items():
            names = {p[1:-1] for p in path.split("/") if p.startswith("{")}
            for method, operation in item.items():
                if method not in HTTP_METHODS:
                    continue
                with self.subTest(route=f"{method.upper()} {path}"):
                    parameters = operation.get("parameters", []) + item.get("parameters", [])
                    declared = set()
                    for parameter in parameters:
                        if "$ref" in parameter:
                            parameter = self.resolve(parameter["$ref"])
                        if parameter["in"] == "path":
                            declared.add(parameter["name"])
                    self.assertEqual(declared, names)
                    responses = operation["responses"]
                    self.assertTrue(any(code.startswith("2") for code in responses))
                    self.assertIn("500", responses)
                    self.assertTrue(operation.get("operationId"))

    def test_routes_with_path_parameters_document_400(self):
        # The router answers 400 `invalid_request` to a path segment that is not valid
        # percent-encoding (`/plans/%zz`), on every route that has a parameter.
        for path, item in self.document["paths"].items():
            if "{" not in path:
                continue
            for method, operation in item.items():
                if method not in HTTP_METHODS:
                    continue
                with self.subTest(route=f"{method.upper()} {path}"):
                    self.assertIn("400", operation["responses"])

    def resolve(self, ref: str) -> dict:
        node = self.document
        for part in ref.removeprefix("#/").split("/"):
            node = node[part]
        return node


class IamAuthorization(unittest.TestCase):
    def test_the_http_api_requires_iam_on_every_route(self):
        # SAM writes the API as an OpenAPI body: every operation must carry the IAM
        # authorizer and invoke the api function (payload 2.0).
        deployment = shared.deployment()
        apis = deployment.resources("AWS::ApiGatewayV2::Api")
        self.assertEqual(len(apis), 1, list(apis))
        body = next(iter(apis.values()))["Properties"]["Body"]
        self.assertEqual(openapi_routes(body), router_routes())
        function = api_function(deployment)
        for path, item in body["paths"].items():
            for method, operation in item.items():
                if method not in HTTP_METHODS:
                    continue
                with self.subTest(route=f"{method.upper()} {path}"):
                    self.assertEqual(operation.get("security"), [{"AWS_IAM": []}])
                    integration = operation["x-amazon-apigateway-integration"]
                    self.assertEqual(integration["payloadFormatVersion"], "2.0")
                    self.assertIn(f"${{{function}.Arn}}", integration["uri"]["Fn::Sub"])

    def test_the_stack_outputs_the_api_url(self):
        deployment = shared.deployment()
        url = deployment.resolver.value(deployment.translated["Outputs"]["ApiUrl"]["Value"])
        self.assertRegex(url, r"^https://[\w-]+\.execute-api\.us-east-1\.amazonaws\.com/$")


if __name__ == "__main__":
    unittest.main()
