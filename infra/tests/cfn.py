"""CloudFormation templates for the tests: YAML with intrinsic tags, the SAM transform, and a
small evaluator that turns `!Ref`, `!GetAtt`, `!Sub`, `!If`, … into concrete strings for one
imaginary deployment (account 111122223333, us-east-1, default parameters)."""

from __future__ import annotations

import copy
import re
from pathlib import Path

import yaml

INFRA = Path(__file__).resolve().parents[1]
TEMPLATE = INFRA / "template.yaml"
TARGET_ROLE_TEMPLATE = INFRA / "target-account-role.yaml"

PARTITION = "aws"
REGION = "us-east-1"
ACCOUNT = "111122223333"
OTHER_ACCOUNT = "444455556666"
OTHER_REGION = "eu-west-3"
STACK = "drs-orchestrator"


class CfnLoader(yaml.SafeLoader):
    """A YAML loader that reads `!Ref x` as `{"Ref": "x"}` and so on."""


def _intrinsic(loader: CfnLoader, suffix: str, node: yaml.Node):
    name = "Ref" if suffix == "Ref" else f"Fn::{suffix}"
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
        if suffix == "GetAtt":
            value = value.split(".", 1)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    return {name: value}


CfnLoader.add_multi_constructor("!", _intrinsic)


def load(path: Path) -> dict:
    return yaml.load(path.read_text(), Loader=CfnLoader)


def translate(template: dict) -> dict:
    """The SAM template as CloudFormation sees it after `AWS::Serverless-2016-10-31`."""
    import boto3
    from samtranslator.parser.parser import Parser
    from samtranslator.translator.translator import Translator

    # The region comes from this session, never from the machine's AWS configuration.
    session = boto3.session.Session(region_name=REGION)
    translator = Translator(None, Parser(), boto_session=session)
    pseudo = {"AWS::Region": REGION, "AWS::Partition": PARTITION, "AWS::AccountId": ACCOUNT}
    template = copy.deepcopy(template)
    # What `sam package` does: local code paths become the S3 objects it uploads.
    for holder in [template.get("Globals", {}).get("Function", {})] + [
            r.get("Properties", {}) for r in template["Resources"].values()
            if r["Type"] == "AWS::Serverless::Function"]:
        if isinstance(holder.get("CodeUri"), str) and not holder["CodeUri"].startswith("s3://"):
            holder["CodeUri"] = "s3://sam-package-bucket/function.zip"
    return translator.translate(template, parameter_values=pseudo,
                                get_managed_policy_map=lambda: {})


class Resolver:
    """Evaluates intrinsic functions for one imaginary deployment of a template."""

    def __init__(self, template: dict, parameters: dict | None = None,
                 account: str = ACCOUNT, region: str = REGION) -> None:
        self.template = template
        self.resources = template.get("Resources", {})
        self.values = {
            "AWS::Partition": PARTITION,
            "AWS::Region": region,
            "AWS::AccountId": account,
            "AWS::StackName": STACK,
            "AWS::URLSuffix": "amazonaws.com",
            "AWS::NoValue": None,
        }
        for name, spec in template.get("Parameters", {}).items():
            default = str(spec.get("Default", ""))
            # A CommaDelimitedList is a list, even empty (CloudFormation: [""]).
            is_list = spec.get("Type") == "CommaDelimitedList"
            self.values[name] = default.split(",") if is_list else default
        self.values.update(parameters or {})
        self.account, self.region = account, region

    def condition(self, name: str) -> bool:
        return bool(self.value(self.template["Conditions"][name]))

    def value(self, node):
        """`node` with every intrinsic function evaluated."""
        if isinstance(node, list):
            return [v for v in (self.value(n) for n in node) if v is not None]
        if not isinstance(node, dict):
            return node
        if len(node) == 1:
            (key, arg), = node.items()
            if key == "Ref":
                return self.ref(arg)
            if key == "Fn::GetAtt":
                logical, attribute = arg if isinstance(arg, list) else arg.split(".", 1)
                return self.get_att(logical, attribute)
            if key == "Fn::Sub":
                return self.sub(arg)
            if key == "Fn::Join":
                separator, parts = arg
                return separator.join(str(p) for p in self.value(parts))
            if key == "Fn::If":
                name, yes, no = arg
                return self.value(yes if self.condition(name) else no)
            if key == "Fn::Equals":
                a, b = self.value(arg)
                return str(a) == str(b)
            if key == "Fn::Not":
                return not self.value(arg[0])
            if key == "Fn::And":
                return all(self.value(a) for a in arg)
            if key == "Fn::Or":
                return any(self.value(a) for a in arg)
            if key == "Condition":
                return self.condition(arg)
            if key == "Fn::Select":
                index, items = arg
                return self.value(items)[int(self.value(index))]
            if key == "Fn::Split":
                separator, text = arg
                return str(self.value(text)).split(separator)
        return {k: v for k, v in ((k, self.value(v)) for k, v in node.items()) if v is not None}

    def sub(self, arg) -> str:
        if isinstance(arg, list):
            text, variables = arg[0], {k: self.value(v) for k, v in arg[1].items()}
        else:
            text, variables = arg, {}

        def replace(m: re.Match) -> str:
            name = m.group(1)
            if name in variables:
                return str(variables[name])
            if "." in name and name.split(".", 1)[0] in self.resources:
                return str(self.get_att(*name.split(".", 1)))
            return str(self.ref(name))

        return re.sub(r"\$\{([^}!]+)\}", replace, text)

    def properties(self, logical: str) -> dict:
        return self.resources[logical].get("Properties", {})

    def name_of(self, logical: str, key: str) -> str:
        name = self.properties(logical).get(key)
        if name is None:
            raise AssertionError(f"{logical} has no {key}: the tests need explicit names")
        return str(self.value(name))

    def ref(self, name: str):
        if name in self.values:
            return self.values[name]
        resource = self.resources.get(name)
        if resource is None:
            raise AssertionError(f"!Ref {name}: no such parameter or resource")
        kind = resource["Type"]
        if kind == "AWS::SQS::Queue":
            return self.get_att(name, "QueueUrl")
        if kind == "AWS::SNS::Topic":
            return self.get_att(name, "TopicArn")
        if kind == "AWS::DynamoDB::Table":
            return self.name_of(name, "TableName")
        if kind == "AWS::Logs::LogGroup":
            return self.name_of(name, "LogGroupName")
        if kind in ("AWS::Lambda::Function", "AWS::Serverless::Function"):
            return self.name_of(name, "FunctionName")
        if kind == "AWS::Events::Rule":
            return self.name_of(name, "Name")
        if kind == "AWS::Scheduler::ScheduleGroup":
            return self.name_of(name, "Name")
        return f"{name}-physical-id"

    def get_att(self, logical: str, attribute: str):
        resource = self.resources.get(logical)
        if resource is None:
            raise AssertionError(f"!GetAtt {logical}.{attribute}: no such resource")
        kind = resource["Type"]
        p, r, a = PARTITION, self.region, self.account
        if kind == "AWS::SQS::Queue":
            queue = self.name_of(logical, "QueueName")
            return {"Arn": f"arn:{p}:sqs:{r}:{a}:{queue}",
                    "QueueUrl": f"https://sqs.{r}.amazonaws.com/{a}/{queue}",
                    "QueueName": queue}[attribute]
        if kind == "AWS::SNS::Topic" and attribute == "TopicArn":
            return f"arn:{p}:sns:{r}:{a}:{self.name_of(logical, 'TopicName')}"
        if kind == "AWS::DynamoDB::Table" and attribute == "Arn":
            return f"arn:{p}:dynamodb:{r}:{a}:table/{self.name_of(logical, 'TableName')}"
        if kind == "AWS::Logs::LogGroup" and attribute == "Arn":
            return f"arn:{p}:logs:{r}:{a}:log-group:{self.name_of(logical, 'LogGroupName')}:*"
        if kind == "AWS::Events::Rule" and attribute == "Arn":
            return f"arn:{p}:events:{r}:{a}:rule/{self.name_of(logical, 'Name')}"
        if kind == "AWS::Scheduler::ScheduleGroup" and attribute == "Arn":
            return f"arn:{p}:scheduler:{r}:{a}:schedule-group/{self.name_of(logical, 'Name')}"
        if kind == "AWS::IAM::Role" and attribute == "Arn":
            path = self.value(self.properties(logical).get("Path", "/"))
            return f"arn:{p}:iam::{a}:role{path}{logical}"
        if kind in ("AWS::Lambda::Function", "AWS::Serverless::Function") and attribute == "Arn":
            return f"arn:{p}:lambda:{r}:{a}:function:{self.ref(logical)}"
        raise AssertionError(f"!GetAtt {logical}.{attribute} ({kind}) is not modelled here")
