"""CloudFormation on the server: ``sam deploy`` against ``python -m localcloud serve`` deploys SAM templates through
the harness, and what it deploys runs in the server process against the same local cloud.

SAM CLI's calls (samcli/lib/deploy/deployer.py): DescribeStacks, CreateChangeSet (TemplateURL once the template
passes 51,200 bytes, https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_CreateChangeSet.html),
the change_set_create_complete waiter, DescribeChangeSet, ExecuteChangeSet, DescribeStackEvents,
stack_create_complete, DescribeStacks for the Outputs.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from localcloud.server import LocalCloudServer
from tests.local_server import local_cloud_server, server_client
from tests.localcloud.cloudformation_packaging import FIXTURE, body, package

ROOT = Path(__file__).resolve().parents[2]
SAM = str(Path(sys.executable).parent / "sam")
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}


@pytest.fixture
def server() -> Iterator[LocalCloudServer]:
    with LocalCloudServer(port=0) as running:
        yield running


def _client(url: str, service: str, region: str = "us-east-1") -> Any:
    return server_client(url, service, region=region)


def _calls(url: str, service: str, operation: str) -> list[dict[str, Any]]:
    with urllib.request.urlopen(f"{url}/_localcloud/calls?service={service}&operation={operation}", timeout=10) as r:
        calls: list[dict[str, Any]] = json.loads(r.read())["calls"]
    return calls


def _outputs(url: str, stack: str, region: str = "us-east-1") -> dict[str, str]:
    described = _client(url, "cloudformation", region).describe_stacks(StackName=stack)["Stacks"][0]
    return {o["OutputKey"]: o["OutputValue"] for o in described.get("Outputs", [])}


def _environment(url: str) -> dict[str, str]:
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", "/tmp"),
        "AWS_ENDPOINT_URL": url,
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_CONFIG_FILE": "/dev/null",
        "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
        "SAM_CLI_TELEMETRY": "0",
        **CREDENTIALS,
    }


def _sam(url: str, *args: str, cwd: Path, stdin: str = "", timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [SAM, *args], input=stdin, capture_output=True, text=True, timeout=timeout, check=False, cwd=cwd,
        env=_environment(url),
    )  # fmt: skip


def test_a_change_set_from_a_template_url_deploys_what_then_runs_in_the_server(server: LocalCloudServer):
    s3 = _client(server.url, "s3")
    template = body(package(s3))
    s3.put_object(Bucket="packaged-artifacts", Key="greeter.template", Body=template.encode())
    cfn = _client(server.url, "cloudformation")
    # As SAM CLI builds it from its S3 endpoint: path-style, on the server's own address (s3_uploader.py).
    created = cfn.create_change_set(
        StackName="greeter", ChangeSetName="samcli-deploy1", ChangeSetType="CREATE", Capabilities=["CAPABILITY_IAM"],
        TemplateURL=f"{server.url}/packaged-artifacts/greeter.template",
    )  # fmt: skip
    cfn.execute_change_set(ChangeSetName=created["Id"])
    outputs = _outputs(server.url, "greeter")

    answer = _client(server.url, "lambda").invoke(FunctionName=outputs["GreetFunctionName"], Payload=b'{"name": "Ada"}')

    assert json.loads(answer["Payload"].read()) == {"greeting": "hello, Ada"}
    # The handler's own boto3 client reached this local cloud (mock_aws in the server process), not AWS.
    sent = _calls(server.url, "sqs", "SendMessage")
    assert [json.loads(c["params"]["MessageBody"]) for c in sent] == [{"greeting": "hello, Ada"}]
    # And it runs on the server's virtual clock.
    server.clock.advance(86_400)
    timed = _client(server.url, "lambda").invoke(FunctionName=outputs["GreetFunctionName"], Payload=b'{"clock": true}')
    assert json.loads(timed["Payload"].read())["now"] == pytest.approx(server.clock.timestamp(), abs=1)


def test_a_deployed_state_machine_runs_its_lambda_task_in_the_server(server: LocalCloudServer):
    cfn = _client(server.url, "cloudformation")
    template = body(package(_client(server.url, "s3")))
    cfn.create_stack(
        StackName="greeter", TemplateBody=template, Capabilities=["CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"]
    )
    sfn = _client(server.url, "stepfunctions")

    arn = sfn.start_execution(
        stateMachineArn=_outputs(server.url, "greeter")["GreetStateMachineArn"], input='{"name": "Grace"}'
    )["executionArn"]

    deadline = time.monotonic() + 30
    while (execution := sfn.describe_execution(executionArn=arn))[
        "status"
    ] == "RUNNING" and time.monotonic() < deadline:
        time.sleep(0.1)
    assert execution["status"] == "SUCCEEDED"
    assert json.loads(execution["output"]) == {"greeting": "hello, Grace"}


@pytest.mark.slow
def test_sam_deploy_creates_updates_and_deletes_the_stack(server: LocalCloudServer, tmp_path: Path):
    app = tmp_path / "app"
    shutil.copytree(FIXTURE, app)
    arguments = (
        "deploy", "--stack-name", "greeter", "--resolve-s3", "--capabilities", "CAPABILITY_IAM",
        "--no-confirm-changeset", "--parameter-overrides", "Greeting=hey",
    )  # fmt: skip

    first = _sam(server.url, *arguments, cwd=app)

    assert first.returncode == 0, first.stdout + first.stderr
    assert "Successfully created/updated stack - greeter in us-east-1" in first.stdout
    assert "CREATE_COMPLETE" in first.stdout  # the stack events SAM CLI printed while it waited
    function = _outputs(server.url, "greeter")["GreetFunctionName"]
    answer = _client(server.url, "lambda").invoke(FunctionName=function, Payload=b"{}")
    assert json.loads(answer["Payload"].read()) == {"greeting": "hey, world"}

    second = _sam(server.url, *arguments, cwd=app)

    # SAM CLI reads CloudFormation's "didn't contain changes" reason (samcli/commands/deploy/exceptions.py).
    assert "No changes to deploy. Stack greeter is up to date" in second.stdout + second.stderr

    third = _sam(server.url, *arguments[:-1], "Greeting=howdy", cwd=app)

    assert third.returncode == 0, third.stdout + third.stderr
    assert "UPDATE_COMPLETE" in third.stdout
    answer = _client(server.url, "lambda").invoke(FunctionName=function, Payload=b"{}")
    assert json.loads(answer["Payload"].read()) == {"greeting": "howdy, world"}

    deleted = _sam(server.url, "delete", "--stack-name", "greeter", "--no-prompts", cwd=app)

    assert deleted.returncode == 0, deleted.stdout + deleted.stderr
    assert _client(server.url, "lambda").list_functions()["Functions"] == []


@pytest.mark.slow
def test_the_project_deploys_with_sam_deploy_guided_as_the_readme_shows(tmp_path: Path):
    """``sam build && sam deploy --guided`` (README, "Deploy"), against ``python -m localcloud serve``."""
    # sam build calls no AWS API; its endpoint is a closed port all the same, so nothing could leave.
    build = _sam("http://127.0.0.1:9", "build", "--build-dir", str(tmp_path / "build"), "--cache-dir",
                 str(tmp_path / "cache"), cwd=ROOT)  # fmt: skip
    assert build.returncode == 0, build.stdout + build.stderr
    config = tmp_path / "samconfig.toml"
    shutil.copy(ROOT / "samconfig.toml", config)
    with local_cloud_server({**os.environ, **CREDENTIALS}) as url:
        # Stack name, Region, the six parameters (defaults), confirm changes (y), allow IAM role creation (y),
        # disable rollback (n), save the arguments (n), then "Deploy this changeset?" (y).
        answers = "\n" * 8 + "y\ny\nn\nn\ny\n"
        deployed = _sam(url, "deploy", "--guided", "--template-file", str(tmp_path / "build" / "template.yaml"),
                        "--config-file", str(config), cwd=tmp_path, stdin=answers)  # fmt: skip

        assert deployed.returncode == 0, deployed.stdout + deployed.stderr
        assert "Successfully created/updated stack - domain-steward in us-east-1" in deployed.stdout
        outputs = _outputs(url, "domain-steward")
        assert outputs["TeardownStateMachineArn"].startswith("arn:aws:states:us-east-1:123456789012:stateMachine:")
        cfn = _client(url, "cloudformation")
        resources = cfn.list_stack_resources(StackName="domain-steward")["StackResourceSummaries"]
        physical = {r["LogicalResourceId"]: r["PhysicalResourceId"] for r in resources}
        assert physical["ReconcileFunction"] == outputs["ReconcileFunctionName"]
        # The function runs in the server: with no configuration parameter yet it says so (README, "Configure").
        answer = _client(url, "lambda").invoke(
            FunctionName=outputs["ReconcileFunctionName"], Payload=b'{"DryRun": true}'
        )
        assert answer.get("FunctionError") == "Unhandled"
        assert json.loads(answer["Payload"].read())["errorType"] == "ConfigInvalid"
        assert _calls(url, "ssm", "GetParameter")  # the handler's call reached the server's local cloud

        cfn.delete_stack(StackName="domain-steward")
        cfn.get_waiter("stack_delete_complete").wait(StackName="domain-steward", WaiterConfig={"Delay": 1})
        assert _client(url, "lambda").list_functions()["Functions"] == []
