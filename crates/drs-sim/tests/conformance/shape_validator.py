"""Validates raw DRS responses against the botocore service model.

`ResponseValidator` is hooked into a botocore client with the `before-parse` event, so it sees
every raw HTTP response (status, headers, body bytes) before botocore parses it. A success
body must match the operation's output shape, an error the error shape named by
`X-Amzn-Errortype`: required members present, no member the shape does not define, types,
enums, patterns, lengths and ranges, timestamp formats, the success status code, the error's
status code.

The validator refuses to guess: a model trait, shape type or member location it does not
handle raises `ValidatorLimitation`, so it can never pass a response it did not check.
`self_test()` proves it rejects what it must.
"""

import base64
import collections
import datetime
import json
import math
import re

# Errors from the AWS front end that are not shapes of the DRS model, with their status.
FRONT_END_ERRORS = {
    "UnknownOperationException": 404,
    "UnrecognizedClientException": 403,
    "MissingAuthenticationTokenException": 403,
}
FRONT_END_ERROR_MEMBERS = {"message", "code"}

# Traits (botocore `Shape.metadata`) that constrain values, and those with no effect on what a
# response may contain. Anything else is a trait this validator does not understand.
CHECKED_TRAITS = {"required", "min", "max", "pattern", "enum", "union", "error", "exception"}
INERT_TRAITS = {"sensitive", "retryable", "idempotencyToken", "contextParam"}
# Serialization traits (botocore `Shape.serialization`) it handles.
HANDLED_SERIALIZATION = {"name", "location", "timestampFormat"}

INT32 = (-(2**31), 2**31 - 1)
INT64 = (-(2**63), 2**63 - 1)
ISO8601 = re.compile(
    r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})"
)


class ValidatorLimitation(Exception):
    """The model uses something this validator does not check; fix the validator."""


class ResponseInvalid(AssertionError):
    """A response breaks the model."""


class ShapeChecker:
    """Checks a decoded JSON value against a botocore shape; collects every violation."""

    def __init__(self):
        self.violations = []

    def fail(self, path, message):
        self.violations.append(f"{path}: {message}")

    def check(self, shape, value, path):
        self._known_traits(shape, path)
        if value is None:
            self.fail(path, f"null is not a valid {shape.type_name} ({shape.name})")
            return
        kind = shape.type_name
        handler = getattr(self, f"_check_{kind}", None)
        if handler is None:
            raise ValidatorLimitation(f"{path}: shape {shape.name} has type {kind!r}, which the validator does not handle")
        handler(shape, value, path)

    def _known_traits(self, shape, path):
        for trait in shape.metadata:
            if trait not in CHECKED_TRAITS and trait not in INERT_TRAITS:
                raise ValidatorLimitation(f"{path}: shape {shape.name} has trait {trait!r}, which the validator does not handle")
        for trait in shape.serialization:
            if trait not in HANDLED_SERIALIZATION:
                raise ValidatorLimitation(f"{path}: shape {shape.name} has serialization trait {trait!r}, which the validator does not handle")

    # -- aggregates ---------------------------------------------------------------------

    def check_structure_members(self, shape, value, path):
        """A structure as a JSON object. Members bound to a header (or another location)
        must not appear in it; they are checked where they live."""
        if not isinstance(value, dict):
            self.fail(path, f"expected an object ({shape.name}), found {type(value).__name__}")
            return
        wire_names = {}
        for name, member in shape.members.items():
            location = member.serialization.get("location")
            if location is None:
                wire_names[member.serialization.get("name", name)] = (name, member)
            elif location not in ("header", "uri", "querystring", "headers", "statusCode"):
                raise ValidatorLimitation(f"{path}.{name}: location {location!r} is not handled")
        for key in value:
            if key not in wire_names:
                self.fail(path, f"member {key!r} is not defined by {shape.name} (allowed: {sorted(wire_names)})")
        for name in shape.metadata.get("required", []):
            member = shape.members[name]
            if "location" in member.serialization:
                continue
            key = member.serialization.get("name", name)
            if key not in value:
                self.fail(path, f"required member {key!r} of {shape.name} is missing")
        present = 0
        for key, item in value.items():
            if key in wire_names:
                name, member = wire_names[key]
                present += 1
                self.check(member, item, f"{path}.{key}")
        if shape.metadata.get("union") and present != 1:
            self.fail(path, f"union {shape.name} must have exactly one member set, found {present}")

    def _check_structure(self, shape, value, path):
        self.check_structure_members(shape, value, path)

    def _check_list(self, shape, value, path):
        if not isinstance(value, list):
            self.fail(path, f"expected a list ({shape.name}), found {type(value).__name__}")
            return
        self._length(shape, len(value), path, "items")
        for index, item in enumerate(value):
            self.check(shape.member, item, f"{path}[{index}]")

    def _check_map(self, shape, value, path):
        if not isinstance(value, dict):
            self.fail(path, f"expected a map ({shape.name}), found {type(value).__name__}")
            return
        self._length(shape, len(value), path, "entries")
        for key, item in value.items():
            self.check(shape.key, key, f"{path}{{key {key!r}}}")
            self.check(shape.value, item, f"{path}[{key!r}]")

    # -- scalars ------------------------------------------------------------------------

    def _check_string(self, shape, value, path):
        if not isinstance(value, str):
            self.fail(path, f"expected a string ({shape.name}), found {type(value).__name__} {value!r}")
            return
        self._length(shape, len(value), path, "characters")
        enum = shape.metadata.get("enum")
        if enum is not None and value not in enum:
            self.fail(path, f"{value!r} is not a value of enum {shape.name} {enum}")
        pattern = shape.metadata.get("pattern")
        if pattern is not None:
            try:
                compiled = re.compile(pattern)
            except re.error as err:
                raise ValidatorLimitation(f"{path}: pattern {pattern!r} of {shape.name} is not a Python regex: {err}") from err
            # Model patterns describe the whole value.
            if compiled.fullmatch(value) is None:
                self.fail(path, f"{value!r} does not match pattern {pattern!r} of {shape.name}")

    def _integral(self, shape, value, path, bounds):
        if isinstance(value, bool) or not isinstance(value, int):
            self.fail(path, f"expected an integer ({shape.name}), found {type(value).__name__} {value!r}")
            return
        if not bounds[0] <= value <= bounds[1]:
            self.fail(path, f"{value} does not fit a {shape.type_name}")
        self._range(shape, value, path)

    def _check_integer(self, shape, value, path):
        self._integral(shape, value, path, INT32)

    def _check_long(self, shape, value, path):
        self._integral(shape, value, path, INT64)

    def _check_float(self, shape, value, path):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            self.fail(path, f"expected a number ({shape.name}), found {type(value).__name__}")
            return
        self._range(shape, value, path)

    _check_double = _check_float

    def _check_boolean(self, shape, value, path):
        if not isinstance(value, bool):
            self.fail(path, f"expected a boolean ({shape.name}), found {type(value).__name__} {value!r}")

    def _check_blob(self, shape, value, path):
        if not isinstance(value, str):
            self.fail(path, f"expected base64 text ({shape.name}), found {type(value).__name__}")
            return
        try:
            decoded = base64.b64decode(value, validate=True)
        except ValueError:
            self.fail(path, f"{value!r} is not base64 ({shape.name})")
            return
        self._length(shape, len(decoded), path, "bytes")

    def _check_timestamp(self, shape, value, path):
        # REST-JSON bodies default to epoch seconds.
        fmt = shape.serialization.get("timestampFormat", "unixTimestamp")
        if fmt == "unixTimestamp":
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
                self.fail(path, f"expected epoch seconds ({shape.name}), found {value!r}")
        elif fmt == "iso8601":
            if not isinstance(value, str) or ISO8601.fullmatch(value) is None:
                self.fail(path, f"expected an ISO 8601 timestamp ({shape.name}), found {value!r}")
                return
            try:
                datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
            except ValueError:
                self.fail(path, f"{value!r} is not a valid date and time ({shape.name})")
        elif fmt == "rfc822":
            import email.utils

            if not isinstance(value, str) or email.utils.parsedate_to_datetime(value) is None:
                self.fail(path, f"expected an RFC 822 date ({shape.name}), found {value!r}")
        else:
            raise ValidatorLimitation(f"{path}: timestamp format {fmt!r} is not handled")

    # -- constraints --------------------------------------------------------------------

    def _length(self, shape, length, path, unit):
        low, high = shape.metadata.get("min"), shape.metadata.get("max")
        if low is not None and length < low:
            self.fail(path, f"{length} {unit}, {shape.name} requires at least {low}")
        if high is not None and length > high:
            self.fail(path, f"{length} {unit}, {shape.name} allows at most {high}")

    def _range(self, shape, value, path):
        low, high = shape.metadata.get("min"), shape.metadata.get("max")
        if low is not None and value < low:
            self.fail(path, f"{value} is below the minimum {low} of {shape.name}")
        if high is not None and value > high:
            self.fail(path, f"{value} is above the maximum {high} of {shape.name}")


def check_body(shape, value, path="body"):
    """Every violation of `value` against structure `shape` (body members only)."""
    checker = ShapeChecker()
    checker._known_traits(shape, path)
    checker.check_structure_members(shape, value, path)
    return checker.violations


def header(headers, name):
    for key, value in headers.items():
        if key.lower() == name.lower():
            return value
    return None


class ResponseValidator:
    """Validates every raw response of a botocore DRS client (`attach` it first)."""

    def __init__(self, service_model):
        self.model = service_model
        self.error_shapes = {s.name: s for s in (service_model.shape_for(n) for n in service_model.shape_names) if s.metadata.get("exception")}
        self.validated = collections.Counter()  # (operation, "OK" | error name) -> count
        self.undeclared = collections.Counter()  # (operation, error name) the model does not list
        self.failures = []

    def attach(self, client):
        client.meta.events.register("before-parse.drs.*", self._before_parse)
        return client

    def _before_parse(self, operation_model, response_dict, **_):
        try:
            outcome = self.validate(operation_model, response_dict)
        except ResponseInvalid as err:
            self.failures.append(str(err))
            raise
        self.validated[(operation_model.name, outcome)] += 1

    def validate(self, operation_model, response):
        """Checks one raw response; returns "OK" or the error name; raises ResponseInvalid."""
        status = response["status_code"]
        headers = response["headers"]
        body = response["body"]
        op = operation_model.name
        problems = []
        if not header(headers, "x-amzn-RequestId"):
            problems.append("no x-amzn-RequestId header")
        if status < 300:
            outcome = "OK"
            expected = operation_model.http.get("responseCode", 200)
            if status != expected:
                problems.append(f"status {status}, the model says {expected}")
            problems += self._success_body(operation_model, body)
        else:
            outcome, more = self._error(operation_model, status, headers, body)
            problems += more
        if problems:
            raise ResponseInvalid(f"{op} ({status}) response breaks the model:\n  " + "\n  ".join(problems) + f"\n  body: {body[:600]!r}")
        return outcome

    def _json(self, body):
        try:
            return json.loads(body.decode("utf-8")), None
        except (UnicodeDecodeError, ValueError) as err:
            return None, f"body is not JSON: {err}"

    def _success_body(self, operation_model, body):
        shape = operation_model.output_shape
        body_members = [] if shape is None else [n for n, m in shape.members.items() if "location" not in m.serialization]
        if "payload" in (shape.serialization if shape is not None else {}):
            raise ValidatorLimitation(f"{operation_model.name}: output payload members are not handled")
        if not body_members:
            # No body members: the body is empty (204) or an empty object.
            if body.strip() in (b"", b"{}"):
                return []
            return [f"the output {shape.name if shape else '(none)'} has no body members, but the body is {body[:200]!r}"]
        value, error = self._json(body)
        if error:
            return [error]
        return check_body(shape, value, "body")

    def _error(self, operation_model, status, headers, body):
        problems = []
        raw_type = header(headers, "X-Amzn-Errortype")
        if not raw_type:
            return "(untyped)", [f"error status {status} without an X-Amzn-Errortype header"]
        name = raw_type.split(":", 1)[0]
        value, error = self._json(body)
        if error:
            return name, [error]
        if not isinstance(value, dict):
            return name, ["the error body is not a JSON object"]
        if "code" in value and value["code"] != name:
            problems.append(f"body code {value['code']!r} differs from X-Amzn-Errortype {name!r}")
        shape = self.error_shapes.get(name)
        if shape is None:
            if name not in FRONT_END_ERRORS:
                return name, [f"error type {name!r} is neither a shape of the model nor a known AWS front-end error"]
            if status != FRONT_END_ERRORS[name]:
                problems.append(f"{name} with status {status}, AWS sends {FRONT_END_ERRORS[name]}")
            unknown = set(value) - FRONT_END_ERROR_MEMBERS
            if unknown:
                problems.append(f"{name} body has members {sorted(unknown)} beyond {sorted(FRONT_END_ERROR_MEMBERS)}")
            if not isinstance(value.get("message"), str):
                problems.append(f"{name} body has no string message")
            return name, problems
        if shape.name not in [s.name for s in operation_model.error_shapes]:
            self.undeclared[(operation_model.name, name)] += 1
        expected = shape.metadata["error"].get("httpStatusCode")
        if expected is None:
            raise ValidatorLimitation(f"{name}: no httpStatusCode in the model")
        if status != expected:
            problems.append(f"{name} with status {status}, the model says {expected}")
        problems += check_body(shape, value, f"{name} body")
        # Members bound to headers (Retry-After) are checked where they live.
        checker = ShapeChecker()
        for member_name, member in shape.members.items():
            location = member.serialization.get("location")
            if location is None:
                continue
            if location != "header":
                raise ValidatorLimitation(f"{name}.{member_name}: error member location {location!r} is not handled")
            raw = header(headers, member.serialization.get("name", member_name))
            if raw is None:
                if member_name in shape.metadata.get("required", []):
                    problems.append(f"{name}: required header {member.serialization.get('name')} is missing")
                continue
            if member.type_name in ("integer", "long"):
                try:
                    parsed = int(raw)
                except ValueError:
                    problems.append(f"{name}: header {member.serialization.get('name')} {raw!r} is not an integer")
                    continue
                checker.check(member, parsed, f"{name} header {member.serialization.get('name')}")
            elif member.type_name == "string":
                checker.check(member, raw, f"{name} header {member.serialization.get('name')}")
            else:
                raise ValidatorLimitation(f"{name}.{member_name}: header of type {member.type_name} is not handled")
        return name, problems + checker.violations

    def missing(self, operations, errors):
        """Operations with no validated success and error names never validated."""
        ops = {op for (op, outcome) in self.validated if outcome == "OK"}
        seen_errors = {outcome for (_, outcome) in self.validated if outcome != "OK"}
        return sorted(set(operations) - ops), sorted(set(errors) - seen_errors)


def self_test(service_model):
    """Proves the validator rejects wrong types, unknown members, bad enums, patterns,
    missing required members, wrong status codes and anything it does not understand."""
    from botocore.model import ShapeResolver

    job = service_model.shape_for("Job")
    good = {
        "jobID": "drsjob-0123456789abcdef0",
        "type": "LAUNCH",
        "status": "PENDING",
        "creationDateTime": "2025-01-01T00:00:00.000Z",
        "participatingServers": [{"sourceServerID": "s-0123456789abcdef0", "launchStatus": "PENDING"}],
        "tags": {"Plan": "billing"},
    }
    assert check_body(job, good) == [], check_body(job, good)

    def rejects(change, expected):
        value = json.loads(json.dumps(good))
        change(value)
        violations = check_body(job, value)
        assert any(expected in v for v in violations), f"expected a violation containing {expected!r}, got {violations}"

    rejects(lambda v: v.update(jobID=5), "expected a string")
    rejects(lambda v: v.update(surprise="x"), "member 'surprise' is not defined")
    rejects(lambda v: v.update(status="DONE"), "is not a value of enum")
    rejects(lambda v: v.update(jobID="job-1"), "does not match pattern")
    rejects(lambda v: v.pop("jobID"), "required member 'jobID'")
    rejects(lambda v: v["participatingServers"].append("s-0123456789abcdef1"), "expected an object")
    rejects(lambda v: v.update(creationDateTime="2025-01-01 00:00:00"), "does not match pattern")
    rejects(lambda v: v.update(tags={"k": 1}), "expected a string")
    rejects(lambda v: v.update(isDrill="true"), "not defined")

    resolver = ShapeResolver(
        {
            "Probe": {
                "type": "structure",
                "required": ["count"],
                "members": {
                    "count": {"shape": "Count"},
                    "flag": {"shape": "Flag"},
                    "at": {"shape": "Stamp"},
                    "when": {"shape": "IsoStamp"},
                    "names": {"shape": "Names"},
                },
            },
            "Count": {"type": "integer", "min": 1, "max": 10},
            "Flag": {"type": "boolean"},
            "Stamp": {"type": "timestamp"},
            "IsoStamp": {"type": "timestamp", "timestampFormat": "iso8601"},
            "Names": {"type": "list", "member": {"shape": "Name"}, "max": 2},
            "Name": {"type": "string", "min": 2},
            "Odd": {"type": "structure", "members": {"doc": {"shape": "Doc"}}},
            "Doc": {"type": "structure", "members": {}, "document": True},
        }
    )
    probe = resolver.get_shape_by_name("Probe")
    assert check_body(probe, {"count": 3, "flag": True, "at": 1700000000, "when": "2025-01-01T00:00:00Z", "names": ["ab"]}) == []
    for value, expected in [
        ({"count": 0}, "below the minimum"),
        ({"count": 11}, "above the maximum"),
        ({"count": True}, "expected an integer"),
        ({"count": 1, "flag": "yes"}, "expected a boolean"),
        ({"count": 1, "at": "2025-01-01T00:00:00Z"}, "expected epoch seconds"),
        ({"count": 1, "when": 1700000000}, "ISO 8601"),
        ({"count": 1, "names": ["ab", "cd", "ef"]}, "allows at most 2"),
        ({"count": 1, "names": ["a"]}, "requires at least 2"),
        ({"count": None}, "null is not a valid"),
    ]:
        violations = check_body(probe, value)
        assert any(expected in v for v in violations), f"{value}: expected {expected!r}, got {violations}"
    try:
        check_body(resolver.get_shape_by_name("Odd"), {"doc": {}})
    except ValidatorLimitation:
        pass
    else:
        raise AssertionError("a document shape must stop the validator")

    # Whole responses: status codes and error typing.
    validator = ResponseValidator(service_model)
    describe_jobs = service_model.operation_model("DescribeJobs")
    start = service_model.operation_model("StartRecovery")
    ok = {"status_code": 200, "headers": {"x-amzn-RequestId": "r"}, "body": json.dumps({"items": [good]}).encode()}
    assert validator.validate(describe_jobs, ok) == "OK"
    started = {"status_code": 202, "headers": {"x-amzn-RequestId": "r"}, "body": json.dumps({"job": good}).encode()}
    assert validator.validate(start, started) == "OK"
    for response, expected in [
        (dict(ok, status_code=202), "the model says 200"),
        (dict(ok, body=json.dumps({"job": good}).encode()), "member 'job' is not defined"),
        (dict(ok, body=b"<html>oops</html>"), "body is not JSON"),
        (dict(ok, headers={}), "no x-amzn-RequestId"),
        ({"status_code": 409, "headers": {"x-amzn-RequestId": "r"}, "body": b'{"message":"m"}'}, "without an X-Amzn-Errortype"),
        ({"status_code": 400, "headers": {"x-amzn-RequestId": "r", "X-Amzn-Errortype": "ConflictException"}, "body": b'{"message":"m"}'}, "the model says 409"),
        ({"status_code": 400, "headers": {"x-amzn-RequestId": "r", "X-Amzn-Errortype": "ValidationException"}, "body": b'{"message":"m","reason":"bad"}'}, "is not a value of enum"),
        ({"status_code": 429, "headers": {"x-amzn-RequestId": "r", "X-Amzn-Errortype": "NoSuchThing"}, "body": b'{"message":"m"}'}, "neither a shape"),
    ]:
        try:
            validator.validate(describe_jobs, response)
        except ResponseInvalid as err:
            assert expected in str(err), f"expected {expected!r} in {err}"
        else:
            raise AssertionError(f"accepted a response that should fail with {expected!r}: {response}")
