"""template.yaml agrees with the Rust code: the tables, queues, topic and EventBridge rule of
`aws_adapters::Resources` (what the local stack creates), each function's queue, timeout and
batch, and the functions' environment contract.

The Rust values come from `cargo run -p lambda-functions --example deployment_contract`, which
prints them as JSON: the compiler reads resources.rs and environment.rs, not a regex.
"""

from __future__ import annotations

import unittest

import cfn
import shared
from policy_check import DEAD_LETTER_LOGICAL_IDS, QUEUE_LOGICAL_IDS


def by_name(deployment, kind: str, key: str) -> dict[str, str]:
    """Resolved physical name -> logical ID, for the template's resources of `kind`."""
    return {deployment.resolver.name_of(logical, key): logical
            for logical in deployment.resources(kind)}


def key_schema(partition: dict, sort: dict | None) -> list[dict]:
    schema = [{"AttributeName": partition["name"], "KeyType": "HASH"}]
    if sort:
        schema.append({"AttributeName": sort["name"], "KeyType": "RANGE"})
    return schema


class TablesQueuesAndRule(unittest.TestCase):
    def setUp(self):
        self.contract = shared.contract()
        self.deployment = shared.deployment()
        self.value = self.deployment.resolver.value

    def test_the_tables_are_the_ones_of_resources_rs(self):
        tables = by_name(self.deployment, "AWS::DynamoDB::Table", "TableName")
        expected = self.contract["tables"]
        self.assertEqual(set(tables), {t["name"] for t in expected.values()})
        for role, table in expected.items():
            with self.subTest(table=role):
                p = self.value(self.deployment.resources("AWS::DynamoDB::Table")[tables[table["name"]]]["Properties"])
                self.assertEqual(p["BillingMode"], table["billing_mode"])
                self.assertEqual(p["KeySchema"], key_schema(table["partition_key"], table["sort_key"]))
                keys = [table["partition_key"], table["sort_key"]]
                for index in table["indexes"]:
                    keys += [index["partition_key"], index["sort_key"]]
                self.assertEqual(
                    sorted((a["AttributeName"], a["AttributeType"]) for a in p["AttributeDefinitions"]),
                    sorted({(k["name"], k["type"]) for k in keys if k}))
                indexes = {i["IndexName"]: i for i in p.get("GlobalSecondaryIndexes", [])}
                self.assertEqual(set(indexes), {i["name"] for i in table["indexes"]})
                for index in table["indexes"]:
                    found = indexes[index["name"]]
                    self.assertEqual(found["KeySchema"],
                                     key_schema(index["partition_key"], index["sort_key"]))
                    projection = index["projection"]
                    self.assertEqual(found["Projection"]["ProjectionType"], projection["type"])
                    self.assertEqual(sorted(found["Projection"].get("NonKeyAttributes", [])),
                                     sorted(projection.get("non_key_attributes", [])))
                if table["ttl_attribute"]:
                    self.assertEqual(p["TimeToLiveSpecification"],
                                     {"AttributeName": table["ttl_attribute"], "Enabled": True})
                else:
                    self.assertNotIn("TimeToLiveSpecification", p)
                self.assertEqual(p["PointInTimeRecoverySpecification"],
                                 {"PointInTimeRecoveryEnabled": True})

    def test_table_deletion_protection_follows_its_parameter(self):
        for logical, table in self.deployment.resources("AWS::DynamoDB::Table").items():
            for setting, expected in (("true", True), ("false", False)):
                resolver = cfn.Resolver(self.deployment.translated, {"DeletionProtection": setting})
                self.assertIs(resolver.value(table["Properties"]["DeletionProtectionEnabled"]),
                              expected, logical)

    def test_the_queues_are_the_ones_of_resources_rs(self):
        queues = by_name(self.deployment, "AWS::SQS::Queue", "QueueName")
        expected = self.contract["queues"]
        names = {q["name"] for q in expected} | {q["dead_letter"]["name"] for q in expected}
        self.assertEqual(set(queues), names)
        for queue in expected:
            with self.subTest(queue=queue["queue"]):
                logical = queues[queue["name"]]
                self.assertEqual(logical, QUEUE_LOGICAL_IDS[queue["queue"]])
                p = self.value(self.deployment.resources("AWS::SQS::Queue")[logical]["Properties"])
                self.assertEqual(p["VisibilityTimeout"], queue["visibility_timeout_seconds"])
                self.assertEqual(p["MessageRetentionPeriod"], queue["message_retention_seconds"])
                self.assertEqual(p["ReceiveMessageWaitTimeSeconds"], queue["receive_wait_seconds"])
                dead_letter = queues[queue["dead_letter"]["name"]]
                self.assertEqual(dead_letter, DEAD_LETTER_LOGICAL_IDS[queue["queue"]])
                self.assertEqual(p["RedrivePolicy"], {
                    "deadLetterTargetArn": self.deployment.arn(dead_letter),
                    "maxReceiveCount": queue["max_receive_count"]})
                dlq = self.deployment.resources("AWS::SQS::Queue")[dead_letter]["Properties"]
                self.assertEqual(self.value(dlq["MessageRetentionPeriod"]),
                                 queue["dead_letter"]["message_retention_seconds"])

    def test_each_dead_letter_queue_has_an_alarm_on_its_depth(self):
        alarms = {}
        for logical, alarm in self.deployment.resources("AWS::CloudWatch::Alarm").items():
            p = alarm["Properties"]
            dimension = p["Dimensions"][0]["Value"]
            if p["MetricName"] == "ApproximateNumberOfMessagesVisible" and "Fn::GetAtt" in dimension:
                alarms[dimension["Fn::GetAtt"][0]] = p
        for dead_letter in DEAD_LETTER_LOGICAL_IDS.values():
            with self.subTest(queue=dead_letter):
                p = alarms[dead_letter]
                self.assertEqual(p["Namespace"], "AWS/SQS")
                self.assertEqual((p["ComparisonOperator"], p["Threshold"]), ("GreaterThanThreshold", 0))
                self.assertEqual(p["AlarmActions"], [{"Ref": "AlarmTopic"}])
        subscription = self.deployment.translated["Resources"]["AlarmEmailSubscription"]
        self.assertEqual(subscription["Condition"], "HasAlarmEmail")
        self.assertFalse(self.deployment.resolver.condition("HasAlarmEmail"))
        with_email = cfn.Resolver(self.deployment.translated, {"AlarmEmail": "dr@example.com"})
        self.assertTrue(with_email.condition("HasAlarmEmail"))

    def test_each_function_consumes_its_roles_queue_as_resources_rs_says(self):
        functions = {f["name"]: f["queue"] for f in self.contract["functions"]}
        queues = {q["queue"]: q for q in self.contract["queues"]}
        seen = set()
        for logical in self.deployment.functions():
            binary = self.deployment.binary(logical)
            if binary not in functions:
                continue
            seen.add(binary)
            with self.subTest(function=binary):
                queue = queues[functions[binary]]
                self.assertEqual(self.deployment.consumed_queue(logical),
                                 QUEUE_LOGICAL_IDS[queue["queue"]])
                self.assertEqual(self.deployment.workspace.reach(binary).role.lower(), binary)
                function = self.deployment.translated["Resources"][logical]["Properties"]
                self.assertEqual(function["Timeout"], queue["consumer_timeout_seconds"])
                self.assertGreaterEqual(queue["visibility_timeout_seconds"], 6 * function["Timeout"])
                mapping = next(m["Properties"] for m in
                               self.deployment.resources("AWS::Lambda::EventSourceMapping").values()
                               if m["Properties"]["FunctionName"] == {"Ref": logical})
                self.assertEqual(mapping["BatchSize"], queue["batch_size"])
                self.assertEqual(mapping["FunctionResponseTypes"], ["ReportBatchItemFailures"])
                self.assertGreaterEqual(int(self.value(mapping["ScalingConfig"]["MaximumConcurrency"])), 2)
        self.assertEqual(seen, set(functions))

    def test_the_notification_topic_is_the_one_of_resources_rs(self):
        topics = by_name(self.deployment, "AWS::SNS::Topic", "TopicName")
        self.assertEqual(topics.get(self.contract["topic"]["name"]), "NotificationTopic")

    def test_drs_launch_results_reach_the_check_queue_and_only_from_the_rule(self):
        expected = self.contract["launch_events"]
        rules = by_name(self.deployment, "AWS::Events::Rule", "Name")
        logical = rules[expected["name"]]
        rule = self.value(self.deployment.resources("AWS::Events::Rule")[logical]["Properties"])
        self.assertEqual(rule["EventPattern"], expected["event_pattern"])
        self.assertEqual(rule["EventBusName"], "default")
        self.assertEqual(rule["State"], "ENABLED")
        target = QUEUE_LOGICAL_IDS[expected["target"]]
        self.assertEqual([t["Arn"] for t in rule["Targets"]], [self.deployment.arn(target)])
        self.assert_queue_policy(target, "events.amazonaws.com",
                                 self.deployment.resolver.get_att(logical, "Arn"))

    def test_the_trigger_topic_feeds_the_start_queue_wrapped(self):
        subscription = self.value(
            self.deployment.translated["Resources"]["TriggerSubscription"]["Properties"])
        topic = self.deployment.arn("TriggerTopic")
        self.assertEqual(subscription, {"TopicArn": topic, "Protocol": "sqs",
                                        "Endpoint": self.deployment.arn("StartQueue"),
                                        "RawMessageDelivery": False})
        self.assert_queue_policy("StartQueue", "sns.amazonaws.com", topic)

    def assert_queue_policy(self, queue: str, service: str, source_arn: str):
        policies = [self.value(p["Properties"]) for p in
                    self.deployment.resources("AWS::SQS::QueuePolicy").values()
                    if {"Ref": queue} in p["Properties"]["Queues"]]
        self.assertEqual(len(policies), 1, queue)
        # The Allow statements; the Deny that closes the queue to everyone else is
        # test_closed_queues.py's.
        statements = [s for s in policies[0]["PolicyDocument"]["Statement"]
                      if s["Effect"] == "Allow"]
        self.assertEqual(statements, [{
            "Sid": statements[0]["Sid"], "Effect": "Allow", "Principal": {"Service": service},
            "Action": "sqs:SendMessage", "Resource": self.deployment.arn(queue),
            "Condition": {"ArnEquals": {"aws:SourceArn": source_arn}}}])

    def test_the_scheduler_role_can_only_send_to_the_start_queue(self):
        group = self.deployment.resources("AWS::Scheduler::ScheduleGroup")
        self.assertEqual(list(group), ["ScheduleGroup"])
        role = self.value(self.deployment.translated["Resources"]["SchedulerRole"]["Properties"])
        trust = role["AssumeRolePolicyDocument"]["Statement"]
        self.assertEqual([s["Principal"] for s in trust], [{"Service": "scheduler.amazonaws.com"}])
        self.assertEqual(trust[0]["Condition"]["StringEquals"], {"aws:SourceAccount": cfn.ACCOUNT})
        statements = [s for p in role["Policies"] for s in p["PolicyDocument"]["Statement"]]
        self.assertEqual({(s["Action"], s["Resource"]) for s in statements},
                         {("sqs:SendMessage", self.deployment.arn("StartQueue")),
                          ("sqs:SendMessage", self.deployment.arn("StartDeadLetterQueue"))})


class FunctionsAndEnvironment(unittest.TestCase):
    def setUp(self):
        self.contract = shared.contract()
        self.deployment = shared.deployment()

    def test_every_function_is_a_rust_arm64_binary_with_json_logs(self):
        for logical in self.deployment.functions():
            with self.subTest(function=logical):
                p = self.deployment.translated["Resources"][logical]["Properties"]
                self.assertEqual(p["Runtime"], "provided.al2023")
                self.assertEqual(p["Architectures"], ["arm64"])
                self.assertEqual(p["Handler"], "bootstrap")
                logging = p["LoggingConfig"]
                self.assertEqual(logging["LogFormat"], "JSON")
                group = logging["LogGroup"]["Ref"]
                retention = self.deployment.translated["Resources"][group]["Properties"]["RetentionInDays"]
                self.assertEqual(retention, {"Ref": "LogRetentionDays"})
                name = self.deployment.resolver.name_of(group, "LogGroupName")
                self.assertEqual(name, f"/aws/lambda/{self.deployment.resolver.ref(logical)}")

    def test_every_function_gets_exactly_the_deployment_variables_of_the_contract(self):
        wanted = {v["name"] for v in self.contract["environment"] if v["source"] == "deployment"}
        required = {v["name"] for v in self.contract["environment"]
                    if v["source"] == "deployment" and v["required"]}
        lambda_set = {v["name"] for v in self.contract["environment"] if v["source"] == "lambda"}
        for logical in self.deployment.functions():
            with self.subTest(function=logical):
                p = self.deployment.translated["Resources"][logical]["Properties"]
                variables = p["Environment"]["Variables"]
                self.assertTrue(required <= set(variables), required - set(variables))
                self.assertEqual(set(variables) - wanted, set(), "variables the code never reads")
                self.assertFalse(lambda_set & set(variables), "Lambda sets these itself")

    def test_the_variables_name_the_contracts_resources(self):
        resolver = self.deployment.resolver
        tables = {t: v["name"] for t, v in self.contract["tables"].items()}
        queues = {q["queue"]: q for q in self.contract["queues"]}
        url = f"https://sqs.{cfn.REGION}.amazonaws.com/{cfn.ACCOUNT}/"
        expected = {
            "PLANS_TABLE": tables["plans"],
            "EXECUTIONS_TABLE": tables["executions"],
            "LEDGER_TABLE": tables["ledger"],
            "NOTIFICATION_TOPIC_ARN": f"arn:aws:sns:{cfn.REGION}:{cfn.ACCOUNT}:{self.contract['topic']['name']}",
            "ORCHESTRATOR_ACCOUNT_ID": cfn.ACCOUNT,
        }
        for name, queue in queues.items():
            expected[f"{name.upper()}_QUEUE_URL"] = url + queue["name"]
            expected[f"{name.upper()}_DLQ_URL"] = url + queue["dead_letter"]["name"]
        for logical in self.deployment.functions():
            variables = resolver.value(
                self.deployment.translated["Resources"][logical]["Properties"]["Environment"]["Variables"])
            for name, value in expected.items():
                self.assertEqual(str(variables[name]), value, f"{logical}: {name}")

    def test_the_stack_needs_no_named_iam_so_samconfig_asks_only_capability_iam(self):
        import tomllib

        for logical, resource in self.deployment.translated["Resources"].items():
            if resource["Type"].startswith("AWS::IAM::"):
                properties = resource.get("Properties", {})
                for named in ("RoleName", "PolicyName", "ManagedPolicyName", "UserName", "GroupName"):
                    if resource["Type"] != "AWS::IAM::Policy":
                        self.assertNotIn(named, properties, logical)
        config = tomllib.loads((cfn.INFRA / "samconfig.toml").read_text())
        deploy = config["default"]["deploy"]["parameters"]
        self.assertEqual(deploy["capabilities"], "CAPABILITY_IAM")
        self.assertTrue(config["default"]["build"]["parameters"]["beta_features"],
                        "the rust-cargolambda build method is a SAM CLI beta feature")

    def test_the_outputs_name_the_queues_topics_tables_and_schedule_group(self):
        outputs = self.deployment.translated["Outputs"]
        for name in ("StartQueueUrl", "CheckQueueUrl", "AdvanceQueueUrl", "NotificationTopicArn",
                     "TriggerTopicArn", "AlarmTopicArn", "PlansTableName", "ExecutionsTableName",
                     "LedgerTableName", "ScheduleGroupName", "SchedulerRoleArn", "ApiUrl"):
            self.assertIn(name, outputs)


if __name__ == "__main__":
    unittest.main()
