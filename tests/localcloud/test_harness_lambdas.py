"""In-process Lambda: the real handler runs with its environment, layers and context."""

from __future__ import annotations

import json
import os
import sys
import threading
from pathlib import Path

import pytest

from localcloud import LocalCloud
from localcloud.harness import FunctionError, Stack
from localcloud.harness.lambdas import LocalFunction

TEMPLATE = Path(__file__).resolve().parents[1] / "fixtures" / "harness" / "template.yaml"


@pytest.fixture
def stack(cloud: LocalCloud) -> Stack:
    return cloud.deploy(TEMPLATE)


def test_the_handler_sees_its_resolved_environment_layer_and_context(stack: Stack):
    result = stack.invoke("RecorderFunction", {"hello": "world"})

    function_name = stack.physical_id("RecorderFunction")
    assert result["greeting"] == "hello, harness"  # from the layer, with OWNER from a parameter default
    assert result["stage"] == "test"  # Globals environment merged with the function's own
    assert result["recipients"] == "ops;dev"  # Fn::Join over a CommaDelimitedList
    assert result["prod_topic"] is None  # Fn::If to AWS::NoValue removes the variable
    assert result["service"] == "harness-fixture"
    assert result["function_name"] == function_name == result["env_function_name"]
    assert result["memory"] == 256
    assert 0 < result["remaining_ms"] <= 10_000  # the function's own Timeout, not the global one
    assert result["arn"] == stack.attribute("RecorderFunction", "Arn")
    assert result["event"] == {"hello": "world"}


def test_environment_and_import_path_are_restored_after_the_call(stack: Stack):
    path_before = list(sys.path)

    stack.invoke("RecorderFunction", {})

    assert sys.path == path_before
    assert "STAGE" not in os.environ
    assert "app" not in sys.modules
    assert "helpers" not in sys.modules


def test_functions_with_modules_of_the_same_name_do_not_share_them(cloud: LocalCloud, stack: Stack):
    recorder = stack.invoke("RecorderFunction", {})
    cloud.client("sqs").send_message(QueueUrl=stack.physical_id("WorkQueue"), MessageBody=json.dumps({"id": "1"}))
    stack.drain()
    again = stack.invoke("RecorderFunction", {})

    assert recorder["module"] == again["module"] == "recorder"
    item = cloud.client("dynamodb").get_item(TableName=stack.physical_id("RecordsTable"), Key={"pk": {"S": "work#1"}})[
        "Item"
    ]
    assert item["by"]["S"] == "worker"


def test_module_state_survives_between_invocations_like_a_warm_environment(stack: Stack):
    first = stack.invoke("TaskFunction", {"execution": "e1"})
    second = stack.invoke("TaskFunction", {"execution": "e1"})

    assert (first["attempts"], second["attempts"]) == (1, 2)


def test_boto3_invoke_runs_the_real_handler(cloud: LocalCloud, stack: Stack):
    response = cloud.client("lambda").invoke(
        FunctionName=stack.physical_id("TaskFunction"), Payload=json.dumps({"execution": "x"})
    )

    assert "FunctionError" not in response
    assert json.loads(response["Payload"].read()) == {"attempts": 1, "function": stack.physical_id("TaskFunction")}


def test_a_handler_error_is_a_lambda_function_error(cloud: LocalCloud, stack: Stack):
    response = cloud.client("lambda").invoke(
        FunctionName=stack.attribute("TaskFunction", "Arn"), Payload=json.dumps({"execution": "y", "failures": 1})
    )

    assert response["FunctionError"] == "Unhandled"
    payload = json.loads(response["Payload"].read())
    assert payload["errorType"] == "DomainBusyError"
    assert payload["errorMessage"] == "busy on attempt 1"
    assert payload["stackTrace"]


def test_invoke_raises_the_error_lambda_would_report(stack: Stack):
    with pytest.raises(FunctionError) as caught:
        stack.invoke("RecorderFunction", {"explode": True})

    assert caught.value.error_type == "ValueError"
    assert caught.value.payload["errorMessage"] == "asked to explode"


def test_functions_are_real_lambda_functions_in_moto(cloud: LocalCloud, stack: Stack):
    configuration = cloud.client("lambda").get_function(FunctionName=stack.physical_id("RecorderFunction"))[
        "Configuration"
    ]

    assert configuration["Handler"] == "app.handler"
    assert configuration["Runtime"] == "python3.11"
    assert configuration["Timeout"] == 10
    assert configuration["Environment"]["Variables"]["OWNER"] == "harness"
    assert [layer["Arn"] for layer in configuration["Layers"]] == [stack.outputs["CommonLayerArn"]]
    assert configuration["Role"] == stack.attribute("RecorderFunctionRole", "Arn")


def test_closing_the_stack_stops_running_local_code(cloud: LocalCloud, stack: Stack):
    name = stack.physical_id("TaskFunction")
    stack.close()

    response = cloud.client("lambda").invoke(FunctionName=name, Payload=json.dumps({"execution": "z"}))

    # moto's own simple backend answers again: it echoes the payload.
    assert json.loads(response["Payload"].read()) == {"execution": "z"}


def test_a_new_deployment_starts_cold_even_with_the_same_code():
    with LocalCloud() as first:
        stack = first.deploy(TEMPLATE)
        assert stack.invoke("TaskFunction", {"execution": "e1"})["attempts"] == 1
        assert stack.invoke("TaskFunction", {"execution": "e1"})["attempts"] == 2
    with LocalCloud() as second:
        fresh = second.deploy(TEMPLATE)
        # Same files, new environment: no module state (cached clients, counters) carries over.
        assert fresh.invoke("TaskFunction", {"execution": "e1"})["attempts"] == 1


def test_the_test_suites_own_import_of_a_layer_module_is_not_the_functions(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
):
    # Tests import the layer's package from the same files (pyproject's pythonpath does so for domain_steward);
    # what they do to their copy must not reach the function, nor the function's state reach theirs.
    layer = TEMPLATE.parent / "layers" / "common"
    monkeypatch.syspath_prepend(str(layer))
    import harness_common  # type: ignore[import-not-found]

    monkeypatch.setattr(harness_common, "greet", lambda name: f"patched, {name}")
    assert stack.invoke("RecorderFunction", {})["greeting"] == "hello, harness"
    assert sys.modules["harness_common"] is harness_common


HANDLER_THAT_WAITS = """
import os
import threading


def handler(event, context):
    seen = {}
    child = threading.Thread(target=lambda: seen.update(child=os.environ.get("STAGE")))
    child.start()
    child.join()
    event["inside"].set()
    event["looked_outside"].wait(10)
    return {
        "own": os.environ.get("STAGE"),
        "child": seen["child"],
        "name": os.environ["AWS_LAMBDA_FUNCTION_NAME"],
        "listed": "STAGE" in dict(os.environ),
    }
"""


def test_a_handlers_environment_is_seen_by_its_own_threads_only(cloud: LocalCloud, tmp_path: Path):
    # Lambda gives each function its own environment; here handlers share the process, so the harness overlays
    # os.environ for the invocation's threads. Other threads (the test, moto's workers) never see the variables
    # appear or vanish: a Step Functions task once failed with KeyError 'AWS_LAMBDA_FUNCTION_NAME' when they did.
    code = tmp_path / "waiting"
    code.mkdir()
    (code / "app.py").write_text(HANDLER_THAT_WAITS)
    function = LocalFunction(
        name="waiting",
        arn="arn:aws:lambda:us-east-1:123456789012:function:waiting",
        handler="app.handler",
        code_dir=code,
        environment={"STAGE": "test"},
        timeout_seconds=30,
    )
    signals = {"inside": threading.Event(), "looked_outside": threading.Event()}
    result: dict[str, object] = {}
    invocation = threading.Thread(target=lambda: result.update(function.run(signals)))
    invocation.start()
    try:
        assert signals["inside"].wait(30)
        outside = {
            "STAGE": os.environ.get("STAGE"),
            "AWS_LAMBDA_FUNCTION_NAME": "AWS_LAMBDA_FUNCTION_NAME" in os.environ,
            "listed": "STAGE" in dict(os.environ.items()),
        }
    finally:
        signals["looked_outside"].set()
        invocation.join(30)

    assert outside == {"STAGE": None, "AWS_LAMBDA_FUNCTION_NAME": False, "listed": False}
    assert result == {"own": "test", "child": "test", "name": "waiting", "listed": True}
    assert "STAGE" not in os.environ
