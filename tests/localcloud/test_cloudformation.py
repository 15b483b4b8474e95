"""CloudFormation on the local cloud, in-process: a SAM template deployed through change sets (as ``sam deploy``
does) is created by the harness, and the stack answers as CloudFormation's would.

API references: https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_CreateChangeSet.html,
API_ExecuteChangeSet.html, API_DescribeStacks.html, API_CreateStack.html, API_DeleteStack.html (same directory).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

from localcloud import LocalCloud
from tests.localcloud.cloudformation_packaging import body, package

STACK = "greeter"


@pytest.fixture
def cfn(client: Callable[..., Any]) -> Any:
    return client("cloudformation")


def _create_change_set(cfn: Any, template: dict[str, Any], **extra: Any) -> dict[str, Any]:
    arguments = {
        "StackName": STACK,
        "ChangeSetName": "samcli-deploy1",
        "TemplateBody": body(template),
        "ChangeSetType": "CREATE",
        "Capabilities": ["CAPABILITY_IAM"],
        "Parameters": [{"ParameterKey": "Greeting", "ParameterValue": "hi"}],
        "Tags": [{"Key": "team", "Value": "platform"}],
        **extra,
    }
    created: dict[str, Any] = cfn.create_change_set(**arguments)
    return created


def _events(client: Callable[..., Any]) -> list[dict[str, Any]]:
    # Unwatched: a stack created by a change set begins with a REVIEW_IN_PROGRESS stack event, which CloudFormation
    # sends (using-cfn-describing-stacks.html lists the status) though botocore's ResourceStatus enum omits it.
    events: list[dict[str, Any]] = client("cloudformation", watch=False).describe_stack_events(StackName=STACK)[
        "StackEvents"
    ]
    return events


def _deploy(cfn: Any, client: Callable[..., Any], **extra: Any) -> dict[str, Any]:
    created = _create_change_set(cfn, package(client("s3")), **extra)
    cfn.execute_change_set(ChangeSetName=created["Id"])
    cfn.get_waiter("stack_create_complete").wait(StackName=STACK, WaiterConfig={"Delay": 1, "MaxAttempts": 2})
    return created


def test_a_sam_change_set_adds_every_resource_of_the_processed_template(cfn: Any, client: Callable[..., Any]):
    created = _create_change_set(cfn, package(client("s3")))

    # SAM CLI waits with this waiter (samcli/lib/deploy/deployer.py wait_for_changeset).
    cfn.get_waiter("change_set_create_complete").wait(ChangeSetName=created["Id"], WaiterConfig={"Delay": 1})
    change_set = cfn.describe_change_set(ChangeSetName=created["Id"])
    assert (change_set["Status"], change_set["ExecutionStatus"]) == ("CREATE_COMPLETE", "AVAILABLE")
    changes = {c["ResourceChange"]["LogicalResourceId"]: c["ResourceChange"] for c in change_set["Changes"]}
    # The transform's output, not the SAM resources: the function's role and the state machine's role appear.
    assert changes["GreetFunction"]["ResourceType"] == "AWS::Lambda::Function"
    assert changes["GreetFunctionRole"]["ResourceType"] == "AWS::IAM::Role"
    assert changes["GreetStateMachine"]["ResourceType"] == "AWS::StepFunctions::StateMachine"
    assert {c["Action"] for c in changes.values()} == {"Add"}
    # The stack exists from CreateChangeSet on, in REVIEW_IN_PROGRESS, which SAM CLI treats as no stack yet.
    assert cfn.describe_stacks(StackName=STACK)["Stacks"][0]["StackStatus"] == "REVIEW_IN_PROGRESS"


def test_executing_it_creates_the_stack_through_the_harness(cloud: LocalCloud, cfn: Any, client: Callable[..., Any]):
    created = _deploy(cfn, client)

    stack = cfn.describe_stacks(StackName=STACK)["Stacks"][0]
    assert stack["StackStatus"] == "CREATE_COMPLETE"
    assert stack["Capabilities"] == ["CAPABILITY_IAM"]
    assert stack["Tags"] == [{"Key": "team", "Value": "platform"}]
    # Parameter defaults apply; NoEcho values are masked (parameters-section-structure.html, NoEcho).
    assert {p["ParameterKey"]: p["ParameterValue"] for p in stack["Parameters"]} == {
        "Greeting": "hi",
        "Secret": "****",
    }
    outputs = {o["OutputKey"]: o for o in stack["Outputs"]}
    assert cloud.stack is not None  # the deployed stack is the cloud's, so its helpers drive it
    assert outputs["GreetFunctionName"]["OutputValue"] == cloud.stack.physical_id("GreetFunction")
    assert outputs["GreetFunctionName"]["Description"] == "Invoke it with a name to greet"
    assert outputs["GreetStateMachineArn"]["OutputValue"] == cloud.stack.state_machine_arn("GreetStateMachine")
    summaries = cfn.list_stack_resources(StackName=STACK)["StackResourceSummaries"]
    assert {s["LogicalResourceId"]: s["PhysicalResourceId"] for s in summaries}["GreetingsQueue"] == (
        outputs["GreetingsQueueUrl"]["OutputValue"]
    )
    detail = cfn.describe_stack_resource(StackName=STACK, LogicalResourceId="GreetFunction")["StackResourceDetail"]
    assert (detail["ResourceType"], detail["PhysicalResourceId"]) == (
        "AWS::Lambda::Function",
        outputs["GreetFunctionName"]["OutputValue"],
    )
    assert cfn.describe_change_set(ChangeSetName=created["Id"])["ExecutionStatus"] == "EXECUTE_COMPLETE"
    # GetTemplate gives the template as submitted (the packaged SAM template). Unwatched: botocore itself turns a
    # JSON TemplateBody into a dict (botocore/handlers.py json_decode_template_body).
    template = client("cloudformation", watch=False).get_template(StackName=STACK)["TemplateBody"]
    assert template["Transform"] == "AWS::Serverless-2016-10-31"
    processed = client("cloudformation", watch=False).get_template(StackName=STACK, TemplateStage="Processed")
    assert "Transform" not in processed["TemplateBody"]
    assert processed["TemplateBody"]["Resources"]["GreetFunctionRole"]["Type"] == "AWS::IAM::Role"


def test_its_events_end_with_the_stack_complete_and_never_go_back_in_time(cfn: Any, client: Callable[..., Any]):
    _deploy(cfn, client)

    events = _events(client)  # newest first
    assert (events[0]["LogicalResourceId"], events[0]["ResourceStatus"]) == (STACK, "CREATE_COMPLETE")
    assert events[0]["PhysicalResourceId"] == events[0]["StackId"]
    assert events[-1]["ResourceStatus"] == "REVIEW_IN_PROGRESS"
    times = [e["Timestamp"] for e in events]
    # SAM CLI prints only events later than the last it saw (samcli/lib/deploy/deployer.py describe_stack_events).
    assert times == sorted(times, reverse=True)
    assert len(set(times)) == len(times)
    assert ("GreetFunction", "CREATE_COMPLETE") in [(e["LogicalResourceId"], e["ResourceStatus"]) for e in events]


def test_a_deployed_function_runs_its_handler_and_its_calls_reach_the_cloud(
    cloud: LocalCloud, cfn: Any, client: Callable[..., Any]
):
    _deploy(cfn, client)
    outputs = {o["OutputKey"]: o["OutputValue"] for o in cfn.describe_stacks(StackName=STACK)["Stacks"][0]["Outputs"]}

    # Unwatched: the fidelity check cannot read a streamed Payload.
    response = client("lambda", watch=False).invoke(
        FunctionName=outputs["GreetFunctionName"], Payload=json.dumps({"name": "Ada"})
    )

    assert json.loads(response["Payload"].read()) == {"greeting": "hi, Ada"}
    messages = client("sqs").receive_message(QueueUrl=outputs["GreetingsQueueUrl"])["Messages"]
    assert json.loads(messages[0]["Body"]) == {"greeting": "hi, Ada"}
    assert cloud.calls.count("sqs", "SendMessage") == 1


def test_a_deployed_state_machine_runs_its_lambda_task(cloud: LocalCloud, cfn: Any, client: Callable[..., Any]):
    _deploy(cfn, client)

    result = cloud.start_execution("GreetStateMachine", {"name": "Grace"})

    assert result["status"] == "SUCCEEDED"
    assert json.loads(result["output"]) == {"greeting": "hi, Grace"}


def test_an_unchanged_second_change_set_fails_with_no_changes(cfn: Any, client: Callable[..., Any]):
    _deploy(cfn, client)

    again = _create_change_set(cfn, package(client("s3")), ChangeSetName="samcli-deploy2", ChangeSetType="UPDATE")

    change_set = cfn.describe_change_set(ChangeSetName=again["Id"], StackName=STACK)
    # SAM CLI matches this reason and says "No changes to deploy" (samcli/lib/deploy/deployer.py).
    assert (change_set["Status"], change_set["ExecutionStatus"]) == ("FAILED", "UNAVAILABLE")
    assert change_set["StatusReason"] == (
        "The submitted information didn't contain changes. Submit different information to create a change set."
    )


def test_a_changed_template_recreates_the_stack_resources(cfn: Any, client: Callable[..., Any]):
    _deploy(cfn, client)

    changed = package(client("s3"), edit=lambda t: t["Parameters"]["Greeting"].update(Default="hey"))
    again = cfn.create_change_set(
        StackName=STACK, ChangeSetName="samcli-deploy2", TemplateBody=body(changed), ChangeSetType="UPDATE",
        Capabilities=["CAPABILITY_IAM"],
    )  # fmt: skip

    change_set = cfn.describe_change_set(ChangeSetName=again["Id"])
    assert (change_set["Status"], change_set["ExecutionStatus"]) == ("CREATE_COMPLETE", "AVAILABLE")
    # The local cloud recreates what an update keeps: each is a Modify that replaces the resource.
    function = next(
        c["ResourceChange"]
        for c in change_set["Changes"]
        if c["ResourceChange"]["LogicalResourceId"] == "GreetFunction"
    )
    assert (function["Action"], function["Replacement"]) == ("Modify", "True")
    cfn.execute_change_set(ChangeSetName=again["Id"])
    cfn.get_waiter("stack_update_complete").wait(StackName=STACK, WaiterConfig={"Delay": 1, "MaxAttempts": 2})
    outputs = {o["OutputKey"]: o["OutputValue"] for o in cfn.describe_stacks(StackName=STACK)["Stacks"][0]["Outputs"]}
    response = client("lambda", watch=False).invoke(FunctionName=outputs["GreetFunctionName"], Payload=b"{}")
    assert json.loads(response["Payload"].read()) == {"greeting": "hey, world"}


def test_an_update_keeps_a_parameter_given_as_use_previous_value(cfn: Any, client: Callable[..., Any]):
    _deploy(cfn, client)  # Greeting=hi
    changed = package(client("s3"), edit=lambda t: t["Parameters"]["Secret"].update(Default="changed"))

    again = cfn.create_change_set(
        StackName=STACK, ChangeSetName="samcli-deploy2", TemplateBody=body(changed), ChangeSetType="UPDATE",
        Capabilities=["CAPABILITY_IAM"], Parameters=[{"ParameterKey": "Greeting", "UsePreviousValue": True}],
    )  # fmt: skip
    cfn.execute_change_set(ChangeSetName=again["Id"])

    stack = cfn.describe_stacks(StackName=STACK)["Stacks"][0]
    assert stack["StackStatus"] == "UPDATE_COMPLETE"
    assert {p["ParameterKey"]: p["ParameterValue"] for p in stack["Parameters"]}["Greeting"] == "hi"


def test_a_template_with_iam_resources_needs_the_iam_capability(cfn: Any, client: Callable[..., Any]):
    created = _create_change_set(cfn, package(client("s3")), Capabilities=[])

    change_set = cfn.describe_change_set(ChangeSetName=created["Id"])
    # As SAM CLI reports it from CloudFormation: "Status: FAILED. Reason: Requires capabilities : [CAPABILITY_IAM]".
    assert (change_set["Status"], change_set["StatusReason"]) == ("FAILED", "Requires capabilities : [CAPABILITY_IAM]")


def test_a_template_the_transform_rejects_fails_the_change_set(cfn: Any, client: Callable[..., Any]):
    def drop_code(template: dict[str, Any]) -> None:
        del template["Resources"]["GreetFunction"]["Properties"]["CodeUri"]

    created = _create_change_set(cfn, package(client("s3"), edit=drop_code))

    change_set = cfn.describe_change_set(ChangeSetName=created["Id"])
    assert change_set["Status"] == "FAILED"
    assert change_set["StatusReason"].startswith("Transform AWS::Serverless-2016-10-31 failed with: ")


def test_a_parameter_without_a_value_is_refused_at_once(cfn: Any, client: Callable[..., Any]):
    template = package(client("s3"), edit=lambda t: t["Parameters"]["Greeting"].pop("Default"))

    with pytest.raises(ClientError, match="Greeting") as raised:
        cfn.create_change_set(
            StackName=STACK, ChangeSetName="c1", TemplateBody=body(template), Capabilities=["CAPABILITY_IAM"]
        )
    assert raised.value.response["Error"]["Code"] == "ValidationError"
    assert cfn.list_stacks()["StackSummaries"] == []  # no stack was created for it


def test_a_failed_deployment_rolls_the_stack_back_with_the_cause(cfn: Any, client: Callable[..., Any]):
    def node_runtime(template: dict[str, Any]) -> None:
        template["Resources"]["GreetFunction"]["Properties"]["Runtime"] = "nodejs20.x"

    created = _create_change_set(cfn, package(client("s3"), edit=node_runtime))
    cfn.execute_change_set(ChangeSetName=created["Id"])

    stack = cfn.describe_stacks(StackName=STACK)["Stacks"][0]
    assert stack["StackStatus"] == "ROLLBACK_COMPLETE"
    assert stack["StackStatusReason"] == (
        "The following resource(s) failed to create: [GreetFunction]. Rollback requested by user."
    )
    failed = [e for e in _events(client) if e["ResourceStatus"] == "CREATE_FAILED"]
    assert failed[0]["LogicalResourceId"] == "GreetFunction"
    assert "nodejs20.x" in failed[0]["ResourceStatusReason"]
    assert cfn.describe_change_set(ChangeSetName=created["Id"])["ExecutionStatus"] == "EXECUTE_FAILED"
    # The rollback deleted what had been created before the function failed.
    assert client("sqs").list_queues().get("QueueUrls", []) == []
    with pytest.raises(ClientError, match="ROLLBACK_COMPLETE state and can not be updated"):
        cfn.create_change_set(
            StackName=STACK, ChangeSetName="c2", TemplateBody=body(package(client("s3"))), ChangeSetType="UPDATE"
        )


def test_deleting_the_stack_deletes_its_resources(cloud: LocalCloud, cfn: Any, client: Callable[..., Any]):
    _deploy(cfn, client)
    stack_id = cfn.describe_stacks(StackName=STACK)["Stacks"][0]["StackId"]
    function_name = cloud.stack.physical_id("GreetFunction") if cloud.stack else ""

    cfn.delete_stack(StackName=STACK)
    cfn.get_waiter("stack_delete_complete").wait(StackName=STACK, WaiterConfig={"Delay": 1, "MaxAttempts": 2})

    assert cfn.describe_stacks(StackName=stack_id)["Stacks"][0]["StackStatus"] == "DELETE_COMPLETE"
    summaries = cfn.list_stacks(StackStatusFilter=["DELETE_COMPLETE"])["StackSummaries"]
    assert [(s["StackName"], s["StackId"]) for s in summaries] == [(STACK, stack_id)]
    assert cloud.stack is None
    with pytest.raises(ClientError, match="ResourceNotFoundException"):
        client("lambda").get_function(FunctionName=function_name)
    assert client("sqs").list_queues().get("QueueUrls", []) == []
    # Deleted resources can be created again: the same template deploys again under the same name.
    _deploy(cfn, client)
    assert cfn.describe_stacks(StackName=STACK)["Stacks"][0]["StackStatus"] == "CREATE_COMPLETE"


def test_create_stack_with_the_transform_needs_auto_expand(cloud: LocalCloud, cfn: Any, client: Callable[..., Any]):
    template = body(package(client("s3")))

    with pytest.raises(ClientError, match=r"Requires capabilities : \[CAPABILITY_AUTO_EXPAND\]"):
        cfn.create_stack(StackName=STACK, TemplateBody=template, Capabilities=["CAPABILITY_IAM"])
    cfn.create_stack(StackName=STACK, TemplateBody=template, Capabilities=["CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"])

    assert cfn.describe_stacks(StackName=STACK)["Stacks"][0]["StackStatus"] == "CREATE_COMPLETE"
    assert cloud.stack is not None
    assert cloud.stack.name == STACK


def test_a_plain_template_created_through_a_change_set_reports_its_outputs(cfn: Any):
    # Not SAM: moto's CloudFormation creates it, and now reports its Outputs as DescribeStacks must.
    template = {
        "Resources": {"Queue": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": "plain"}}},
        "Outputs": {"QueueUrl": {"Value": {"Ref": "Queue"}}},
    }
    created = cfn.create_change_set(StackName="plain", ChangeSetName="c1", TemplateBody=json.dumps(template))
    cfn.execute_change_set(ChangeSetName=created["Id"])

    outputs = cfn.describe_stacks(StackName="plain")["Stacks"][0]["Outputs"]
    assert outputs[0]["OutputKey"] == "QueueUrl"
    assert outputs[0]["OutputValue"].endswith("/plain")
