"""Templates: loading, parameters, conditions, intrinsics, translation and what gets deployed."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from localcloud import LocalCloud
from localcloud.harness import Stack, TemplateError, translate
from localcloud.harness.intrinsics import NO_VALUE, Resolver, creation_order
from localcloud.harness.template import LOCAL_ARTIFACT_BUCKET, load_template, resolve_parameters

TEMPLATE = Path(__file__).resolve().parents[1] / "fixtures" / "harness" / "template.yaml"


# -- loading and parameters ------------------------------------------------------------------------------


def test_short_form_tags_load_as_their_long_form(sam_project: Callable[..., Path]):
    path = sam_project(
        """
        Resources:
          Thing:
            Type: AWS::SQS::Queue
            Properties:
              QueueName: !Sub "${AWS::StackName}-q"
              Tags:
                - Key: a
                  Value: !GetAtt Other.Arn
                - Key: b
                  Value: !If [IsProd, !Ref Stage, !Join ["-", [x, !Select [0, !Split [",", "a,b"]]]]]
                - Key: c
                  Value: !Base64 text
          Other:
            Type: AWS::SQS::Queue
            Condition: !Condition IsProd
        """,
    )

    resources = load_template(path)["Resources"]

    properties = resources["Thing"]["Properties"]
    assert properties["QueueName"] == {"Fn::Sub": "${AWS::StackName}-q"}
    assert properties["Tags"][0]["Value"] == {"Fn::GetAtt": ["Other", "Arn"]}
    assert properties["Tags"][1]["Value"] == {
        "Fn::If": [
            "IsProd",
            {"Ref": "Stage"},
            {"Fn::Join": ["-", ["x", {"Fn::Select": [0, {"Fn::Split": [",", "a,b"]}]}]]},
        ]
    }
    assert properties["Tags"][2]["Value"] == {"Fn::Base64": "text"}
    assert resources["Other"]["Condition"] == {"Condition": "IsProd"}


PARAMETERS = {
    "Parameters": {
        "Stage": {"Type": "String", "AllowedValues": ["test", "prod"]},
        "Owner": {"Type": "String", "AllowedPattern": "^[a-z]+$", "Default": "ops"},
        "Retention": {"Type": "Number", "MinValue": 60, "MaxValue": 120, "Default": 60},
        "Zones": {"Type": "CommaDelimitedList", "Default": "a, b"},
    },
    "Resources": {},
}


def test_parameters_take_defaults_and_overrides():
    values = resolve_parameters(PARAMETERS, {"Stage": "prod", "Retention": 90})

    assert values == {"Stage": "prod", "Owner": "ops", "Retention": "90", "Zones": ["a", "b"]}


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({}, "parameters must have values: Stage"),
        ({"Stage": "dev"}, r"'dev' is not one of the AllowedValues \['test', 'prod'\]"),
        ({"Stage": "test", "Owner": "Ops!"}, "does not match AllowedPattern"),
        ({"Stage": "test", "Retention": 30}, "below MinValue"),
        ({"Stage": "test", "Retention": "soon"}, "is not a Number"),
        ({"Stage": "test", "Colour": "red"}, "not declared in the template: Colour"),
    ],
)
def test_bad_parameters_fail_loudly(overrides: dict[str, Any], message: str):
    with pytest.raises(TemplateError, match=message):
        resolve_parameters(PARAMETERS, overrides)


def test_deploy_rejects_a_parameter_outside_its_allowed_values(cloud: LocalCloud):
    with pytest.raises(TemplateError, match="Stage: 'staging' is not one of the AllowedValues"):
        cloud.deploy(TEMPLATE, {"Stage": "staging"})


# -- intrinsics ------------------------------------------------------------------------------------------


def _resolver(conditions: dict[str, Any] | None = None) -> Resolver:
    return Resolver(
        parameters={"Stage": "prod", "Zones": ["a", "b"]},
        pseudo={"AWS::Region": "eu-west-1", "AWS::AccountId": "111122223333", "AWS::StackName": "s"},
        mappings={"Sizes": {"prod": {"Memory": 512}}},
        conditions=conditions or {},
        ref=lambda logical_id: f"physical-{logical_id}",
        get_att=lambda logical_id, attribute: f"{logical_id}.{attribute}",
    )


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        (
            {"Fn::Sub": "${AWS::StackName}-${Stage}-${Queue}-${Queue.Arn}-${!Literal}"},
            "s-prod-physical-Queue-Queue.Arn-${Literal}",
        ),
        ({"Fn::Sub": ["${Name}.${AWS::Region}", {"Name": {"Ref": "Stage"}}]}, "prod.eu-west-1"),
        ({"Fn::Join": [",", {"Ref": "Zones"}]}, "a,b"),
        ({"Fn::Select": [1, {"Fn::Split": ["/", "x/y/z"]}]}, "y"),
        ({"Fn::FindInMap": ["Sizes", {"Ref": "Stage"}, "Memory"]}, 512),
        ({"Fn::GetAZs": ""}, ["eu-west-1a", "eu-west-1b", "eu-west-1c"]),
        ({"Fn::Base64": "hi"}, "aGk="),
        ({"Fn::GetAtt": ["Queue", "Arn"]}, "Queue.Arn"),
        ({"Fn::GetAtt": "Queue.Arn"}, "Queue.Arn"),
        ({"Fn::ToJsonString": {"a": [1]}}, '{"a":[1]}'),
        ({"A": {"Ref": "AWS::NoValue"}, "B": [1, {"Ref": "AWS::NoValue"}]}, {"B": [1]}),
    ],
)
def test_intrinsic_functions_resolve_as_cloudformation_does(expression: Any, expected: Any):
    assert _resolver().resolve(expression) == expected


def test_conditions_combine_and_pick_branches():
    resolver = _resolver(
        {
            "IsProd": {"Fn::Equals": [{"Ref": "Stage"}, "prod"]},
            "IsTest": {"Fn::Not": [{"Condition": "IsProd"}]},
            "Either": {"Fn::Or": [{"Condition": "IsProd"}, {"Condition": "IsTest"}]},
            "Both": {"Fn::And": [{"Condition": "IsProd"}, {"Condition": "IsTest"}]},
        }
    )

    assert [resolver.condition(n) for n in ("IsProd", "IsTest", "Either", "Both")] == [True, False, True, False]
    assert resolver.resolve({"Fn::If": ["IsTest", "t", {"Ref": "AWS::NoValue"}]}) is NO_VALUE
    with pytest.raises(TemplateError, match="condition 'Nope' is not defined"):
        resolver.condition("Nope")


def test_unsupported_functions_fail_loudly():
    with pytest.raises(TemplateError, match="Fn::ImportValue"):
        _resolver().resolve({"Fn::ImportValue": "shared-vpc"})


def test_resources_are_created_after_what_they_refer_to():
    resources = {
        "Rule": {"Properties": {"Targets": [{"Arn": {"Fn::GetAtt": ["Queue", "Arn"]}}]}},
        "Policy": {"Properties": {"Queues": [{"Ref": "Queue"}]}, "DependsOn": "Rule"},
        "Queue": {"Properties": {"Name": {"Fn::Sub": "${Dlq.Arn}-${AWS::Region}"}}},
        "Dlq": {},
    }

    order = creation_order(resources)

    assert order.index("Dlq") < order.index("Queue") < order.index("Rule") < order.index("Policy")
    with pytest.raises(TemplateError, match="circular dependency"):
        creation_order({"A": {"Properties": {"X": {"Ref": "B"}}}, "B": {"Properties": {"Y": {"Ref": "A"}}}})


# -- translation -----------------------------------------------------------------------------------------


def test_translate_gives_the_cloudformation_the_sam_transform_makes():
    template = translate(TEMPLATE)

    assert "Transform" not in template
    resources = template["Resources"]
    worker = resources["WorkerFunction"]
    assert worker["Type"] == "AWS::Lambda::Function"
    assert worker["Properties"]["Code"] == {"S3Bucket": LOCAL_ARTIFACT_BUCKET, "S3Key": "functions/worker"}
    assert worker["Properties"]["Runtime"] == "python3.11"  # from Globals
    assert resources["WorkerFunctionWork"]["Type"] == "AWS::Lambda::EventSourceMapping"
    flow = resources["FlowStateMachine"]["Properties"]
    assert "DefinitionString" in flow  # the ASL file is inlined
    assert set(flow["DefinitionSubstitutions"]) == {"TaskFunctionArn", "RecordsTable"}


def test_definitions_valid_only_after_substitution_are_read_from_their_file(
    cloud: LocalCloud, sam_project: Callable[..., Path]
):
    path = sam_project(
        """
        Transform: AWS::Serverless-2016-10-31
        Resources:
          Poller:
            Type: AWS::Serverless::StateMachine
            Properties:
              DefinitionUri: poll.asl.json
              DefinitionSubstitutions:
                Seconds: 45
        """,
        {"poll.asl.json": '{"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": ${Seconds}, "End": true}}}'},
    )

    stack = cloud.deploy(path)

    definition = cloud.client("stepfunctions").describe_state_machine(stateMachineArn=stack.physical_id("Poller"))
    assert json.loads(definition["definition"])["States"]["W"]["Seconds"] == 45
    assert stack.start_execution("Poller", {})["status"] == "SUCCEEDED"


# -- deploying -------------------------------------------------------------------------------------------


def test_outputs_and_resources_follow_the_test_stage(cloud: LocalCloud):
    stack = cloud.deploy(TEMPLATE)

    assert set(stack.outputs) == {
        "CommonLayerArn",
        "WorkQueueUrl",
        "FlowStateMachineArn",
        "RecorderFunctionArn",
        "SettingsName",
    }
    assert stack.outputs["WorkQueueUrl"] == stack.physical_id("WorkQueue")
    assert stack.outputs["SettingsName"] == "/domain-steward/test/owner"
    assert "ProdOnlyTopic" not in stack.resources
    parameter = cloud.client("ssm").get_parameter(Name="/domain-steward/test/owner")["Parameter"]
    assert parameter["Value"] == "harness"
    attributes = cloud.client("sqs").get_queue_attributes(
        QueueUrl=stack.physical_id("WorkQueue"), AttributeNames=["All"]
    )
    assert attributes["Attributes"]["VisibilityTimeout"] == "180"
    redrive = json.loads(attributes["Attributes"]["RedrivePolicy"])
    assert redrive == {"deadLetterTargetArn": stack.attribute("WorkDeadLetterQueue", "Arn"), "maxReceiveCount": 3}


def test_a_prod_deploy_creates_the_conditional_resources(cloud: LocalCloud):
    stack = cloud.deploy(TEMPLATE, {"Stage": "prod", "Owner": "platform"})

    topic = stack.outputs["ProdTopicArn"]
    assert topic == stack.physical_id("ProdOnlyTopic")
    assert topic in [t["TopicArn"] for t in cloud.client("sns").list_topics()["Topics"]]
    result = stack.invoke("RecorderFunction", {})
    assert (result["stage"], result["prod_topic"], result["greeting"]) == ("prod", topic, "hello, platform")
    [mapping] = cloud.client("lambda").list_event_source_mappings(FunctionName=stack.physical_id("WorkerFunction"))[
        "EventSourceMappings"
    ]
    assert mapping["BatchSize"] == 10


def test_unknown_resource_types_are_skipped_with_a_warning(
    cloud: LocalCloud, sam_project: Callable[..., Path], caplog: pytest.LogCaptureFixture
):
    path = sam_project(
        """
        Resources:
          Dashboard:
            Type: AWS::CloudWatch::Dashboard
            Properties:
              DashboardBody: "{}"
          Queue:
            Type: AWS::SQS::Queue
            Properties:
              Tags:
                - Key: dashboard
                  Value: !Ref Dashboard
        Outputs:
          Url:
            Value: !Ref Queue
        """,
    )

    with caplog.at_level(logging.WARNING):
        stack = cloud.deploy(path)

    assert [(s.logical_id, s.kind) for s in stack.skipped] == [("Dashboard", "AWS::CloudWatch::Dashboard")]
    assert "AWS::CloudWatch::Dashboard is not emulated" in caplog.text
    assert stack.outputs["Url"] == stack.physical_id("Queue")


def test_a_misconfigured_supported_resource_fails_the_deploy(cloud: LocalCloud, sam_project: Callable[..., Path]):
    path = sam_project(
        """
        Resources:
          Rule:
            Type: AWS::Events::Rule
            Properties:
              Description: neither a pattern nor a schedule
        """,
    )

    with pytest.raises(TemplateError, match="Rule: a rule needs an EventPattern or a ScheduleExpression"):
        cloud.deploy(path)


def test_a_failed_deploy_leaves_no_local_functions_behind(cloud: LocalCloud, sam_project: Callable[..., Path]):
    path = sam_project(
        """
        Transform: AWS::Serverless-2016-10-31
        Resources:
          Fn:
            Type: AWS::Serverless::Function
            Properties:
              Runtime: python3.11
              Handler: app.handler
              CodeUri: code/
          Broken:
            Type: AWS::Events::Rule
            DependsOn: Fn
            Properties:
              ScheduleExpression: rate(1 fortnight)
        """,
        {"code/app.py": "def handler(event, context):\n    return 'local'\n"},
    )

    with pytest.raises(TemplateError, match="Broken"):
        cloud.deploy(path)

    assert cloud.stack is None
    aws_lambda = cloud.client("lambda")
    [function] = aws_lambda.list_functions()["Functions"]
    response = aws_lambda.invoke(FunctionName=function["FunctionName"], Payload=b'{"echo": true}')
    # Not the local handler (which returns "local"): moto's own backend echoes the payload.
    assert json.loads(response["Payload"].read()) == {"echo": True}


def test_stack_lookups_name_what_exists(cloud: LocalCloud):
    stack: Stack = cloud.deploy(TEMPLATE)

    with pytest.raises(KeyError, match="not a function of this stack"):
        stack.function("Nope")
    with pytest.raises(KeyError, match="not a state machine of this stack"):
        stack.start_execution("WorkerFunction", {})
    with pytest.raises(TemplateError, match="no such attribute"):
        stack.attribute("WorkQueue", "Colour")


def test_ssm_parameter_types_are_read_from_parameter_store_at_deploy(
    cloud: LocalCloud, sam_project: Callable[..., Path]
):
    cloud.client("ssm").put_parameter(Name="/shared/vpc-name", Value="main-vpc", Type="String")
    path = sam_project(
        """
        Parameters:
          VpcName:
            Type: AWS::SSM::Parameter::Value<String>
            Default: /shared/vpc-name
          Missing:
            Type: AWS::SSM::Parameter::Value<String>
            Default: /shared/nothing
        Resources:
          Queue:
            Type: AWS::SQS::Queue
            Properties:
              QueueName: !Sub "${VpcName}-events"
        Outputs:
          Name:
            Value: !GetAtt Queue.QueueName
        """,
    )

    with pytest.raises(TemplateError, match="SSM parameter '/shared/nothing' cannot be read"):
        cloud.deploy(path)
    stack = cloud.deploy(path, {"Missing": "/shared/vpc-name"})

    assert stack.outputs["Name"] == "main-vpc-events"
