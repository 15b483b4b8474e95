"""Server mode: the same emulation over HTTP, with control endpoints for out-of-process clients."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from localcloud.server import LocalCloudServer

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def server() -> Iterator[LocalCloudServer]:
    with LocalCloudServer(port=0) as running:
        yield running


def _control(server_url: str, method: str, route: str, body: dict[str, Any] | None = None) -> Any:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(f"{server_url}/_localcloud/{route}", data=data, method=method)
    request.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def _client(server: LocalCloudServer, service: str) -> Any:
    return boto3.client(
        service,  # type: ignore[call-overload]
        region_name="us-east-1",
        endpoint_url=server.url,
        config=Config(retries={"mode": "standard", "total_max_attempts": 1}),
    )


def test_it_listens_on_the_loopback_interface_only(server: LocalCloudServer):
    assert server.url.startswith("http://127.0.0.1:")
    assert server._server.server_address[0] == "127.0.0.1"


def test_a_domain_created_over_http_settles_when_the_clock_is_advanced(server: LocalCloudServer):
    ec2 = _client(server, "ec2")
    vpc_id = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc_id, CidrBlock="10.0.1.0/24", AvailabilityZone="us-east-1a")["Subnet"]
    sagemaker = _client(server, "sagemaker")
    domain_id = sagemaker.create_domain(
        DomainName="over-http",
        AuthMode="IAM",
        DefaultUserSettings={"ExecutionRole": "arn:aws:iam::123456789012:role/SageMakerExecution"},
        VpcId=vpc_id,
        SubnetIds=[subnet["SubnetId"]],
    )["DomainId"]
    assert sagemaker.describe_domain(DomainId=domain_id)["Status"] == "Pending"
    before = _control(server.url, "GET", "clock")

    after = _control(server.url, "POST", "clock/advance", {"seconds": 3600})

    assert after["timestamp"] - before["timestamp"] == 3600
    assert sagemaker.describe_domain(DomainId=domain_id)["Status"] == "InService"
    calls = _control(server.url, "GET", "calls?service=sagemaker")["calls"]
    assert [c["operation"] for c in calls] == ["CreateDomain", "DescribeDomain", "DescribeDomain"]
    assert calls[0]["params"]["DomainName"] == "over-http"


def test_faults_are_injected_and_removed_over_http(server: LocalCloudServer):
    sagemaker = _client(server, "sagemaker")
    rule = _control(
        server.url,
        "POST",
        "faults",
        {"service": "sagemaker", "operation": "ListDomains", "kind": "throttling", "times": 1},
    )
    assert rule["code"] == "ThrottlingException"

    with pytest.raises(ClientError) as caught:
        sagemaker.list_domains()
    assert caught.value.response["Error"]["Code"] == "ThrottlingException"
    assert sagemaker.list_domains()["Domains"] == []  # fired once, as asked
    assert _control(server.url, "GET", "faults")["faults"][0]["fired"] == 1

    _control(server.url, "POST", "faults", {"service": "sagemaker", "operation": "ListDomains"})
    _control(server.url, "DELETE", "faults")
    assert sagemaker.list_domains()["Domains"] == []
    assert _control(server.url, "DELETE", "calls") == {"calls": []}
    assert _control(server.url, "GET", "calls")["calls"] == []


def test_state_machines_run_on_the_virtual_clock_over_http(server: LocalCloudServer):
    sfn = _client(server, "stepfunctions")
    definition = {"StartAt": "Nap", "States": {"Nap": {"Type": "Wait", "Seconds": 7200, "End": True}}}
    machine = sfn.create_state_machine(
        name="nap", definition=json.dumps(definition), roleArn="arn:aws:iam::123456789012:role/States"
    )
    before = _control(server.url, "GET", "clock")["timestamp"]
    arn = sfn.start_execution(stateMachineArn=machine["stateMachineArn"], name="nap-1")["executionArn"]

    deadline = time.monotonic() + 10
    while sfn.describe_execution(executionArn=arn)["status"] == "RUNNING" and time.monotonic() < deadline:
        time.sleep(0.01)

    assert sfn.describe_execution(executionArn=arn)["status"] == "SUCCEEDED"
    assert _control(server.url, "GET", "clock")["timestamp"] - before == 7200


def test_unknown_control_endpoints_and_bad_bodies_are_refused(server: LocalCloudServer):
    with pytest.raises(urllib.error.HTTPError) as missing:
        _control(server.url, "GET", "nothing")
    assert missing.value.code == 404
    with pytest.raises(urllib.error.HTTPError) as bad:
        _control(server.url, "POST", "clock/advance", {"seconds": -5})
    assert bad.value.code == 400
    with pytest.raises(urllib.error.HTTPError) as unknown_field:
        _control(server.url, "POST", "faults", {"service": "sagemaker", "colour": "red"})
    assert unknown_field.value.code == 400


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_python_m_localcloud_serve_runs_in_the_foreground_until_terminated():
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "localcloud", "serve", "--port", str(port)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        state = None
        while state is None and time.monotonic() < deadline:
            try:
                state = _control(url, "GET", "clock")
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.1)
        assert state is not None, "the server did not come up"
        assert "now" in state
    finally:
        process.terminate()
        output, _ = process.communicate(timeout=10)
    assert process.returncode == 0
    assert f"listening on http://127.0.0.1:{port}".encode() in output


def test_studio_controls_mark_activity_and_fail_apps_over_http(server: LocalCloudServer):
    ec2, sagemaker = _client(server, "ec2"), _client(server, "sagemaker")
    vpc_id = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc_id, CidrBlock="10.0.1.0/24", AvailabilityZone="us-east-1a")["Subnet"]
    domain_id = sagemaker.create_domain(
        DomainName="controlled",
        AuthMode="IAM",
        DefaultUserSettings={"ExecutionRole": "arn:aws:iam::123456789012:role/SageMakerExecution"},
        VpcId=vpc_id,
        SubnetIds=[subnet["SubnetId"]],
    )["DomainId"]
    _control(server.url, "POST", "clock/advance", {"seconds": 3600})
    sagemaker.create_user_profile(DomainId=domain_id, UserProfileName="ana")
    _control(server.url, "POST", "clock/advance", {"seconds": 3600})
    for name in ("canvas", "broken"):
        sagemaker.create_app(
            DomainId=domain_id,
            UserProfileName="ana",
            AppType="KernelGateway",
            AppName=name,
            ResourceSpec={"InstanceType": "ml.t3.medium"},
        )
    _control(server.url, "POST", "clock/advance", {"seconds": 3600})
    app = {"domain_id": domain_id, "app_type": "KernelGateway", "user_profile_name": "ana"}

    _control(server.url, "POST", "clock/advance", {"seconds": 120})
    _control(server.url, "POST", "sagemaker/user-activity", {**app, "app_name": "canvas"})
    _control(server.url, "POST", "sagemaker/fail-app", {**app, "app_name": "broken", "reason": "disk full"})

    active = sagemaker.describe_app(
        DomainId=domain_id, UserProfileName="ana", AppType="KernelGateway", AppName="canvas"
    )
    assert active["LastUserActivityTimestamp"] > active["LastHealthCheckTimestamp"]
    broken = sagemaker.describe_app(
        DomainId=domain_id, UserProfileName="ana", AppType="KernelGateway", AppName="broken"
    )
    assert (broken["Status"], broken["FailureReason"]) == ("Failed", "disk full")
    with pytest.raises(urllib.error.HTTPError) as missing:
        _control(server.url, "POST", "sagemaker/fail-app", {**app, "app_name": "nope"})
    assert missing.value.code == 404
    with pytest.raises(urllib.error.HTTPError) as unknown:
        _control(server.url, "POST", "sagemaker/user-activity", {**app, "app_name": "canvas", "colour": "red"})
    assert unknown.value.code == 400


def test_failure_controls_over_http(server: LocalCloudServer):
    # The same controls as LocalCloud.keep_deleting / fail_resource / release (see test_sagemaker_failures.py
    # for the AWS statuses they follow: API_UserProfileDetails.html, API_AppDetails.html).
    ec2, sagemaker = _client(server, "ec2"), _client(server, "sagemaker")
    vpc_id = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc_id, CidrBlock="10.0.1.0/24", AvailabilityZone="us-east-1a")["Subnet"]
    domain_id = sagemaker.create_domain(
        DomainName="failing",
        AuthMode="IAM",
        DefaultUserSettings={"ExecutionRole": "arn:aws:iam::123456789012:role/SageMakerExecution"},
        VpcId=vpc_id,
        SubnetIds=[subnet["SubnetId"]],
    )["DomainId"]
    hour = {"seconds": 3600}
    _control(server.url, "POST", "clock/advance", hour)
    for name in ("ana", "bo"):
        sagemaker.create_user_profile(DomainId=domain_id, UserProfileName=name)
    _control(server.url, "POST", "clock/advance", hour)

    ana, bo = {"domain_id": domain_id, "user_profile_name": "ana"}, {"domain_id": domain_id, "user_profile_name": "bo"}
    assert _control(server.url, "POST", "sagemaker/keep-deleting", ana) == {"done": "keep-deleting"}
    failure = {**bo, "status": "Delete_Failed", "reason": "EFS busy"}
    assert _control(server.url, "POST", "sagemaker/fail", failure) == {"done": "fail"}
    for name in ("ana", "bo"):
        sagemaker.delete_user_profile(DomainId=domain_id, UserProfileName=name)
    _control(server.url, "POST", "clock/advance", hour)
    assert sagemaker.describe_user_profile(DomainId=domain_id, UserProfileName="ana")["Status"] == "Deleting"
    failed = sagemaker.describe_user_profile(DomainId=domain_id, UserProfileName="bo")
    assert (failed["Status"], failed["FailureReason"]) == ("Delete_Failed", "EFS busy")

    assert _control(server.url, "POST", "sagemaker/release", ana) == {"done": "release"}
    assert [p["UserProfileName"] for p in sagemaker.list_user_profiles()["UserProfiles"]] == ["bo"]
    for body, status in (
        ({**bo, "status": "Deleted"}, 409),  # not a status a profile can be put in
        ({"domain_id": domain_id, "user_profile_name": "nobody"}, 404),
        ({**bo, "colour": "red"}, 400),
    ):
        route = "sagemaker/fail" if "status" in body else "sagemaker/release"
        with pytest.raises(urllib.error.HTTPError) as refused:
            _control(server.url, "POST", route, body)
        assert refused.value.code == status


def test_every_server_starts_as_an_empty_cloud():
    for _ in range(2):
        with LocalCloudServer(port=0) as running:
            ec2 = _client(running, "ec2")
            assert ec2.describe_vpcs(Filters=[{"Name": "cidr", "Values": ["10.9.0.0/16"]}])["Vpcs"] == []
            ec2.create_vpc(CidrBlock="10.9.0.0/16")
