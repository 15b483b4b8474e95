"""Fixtures for the stack's integration tests: a fresh local cloud per test, the deployed template, a
builder of Studio domains in any shape (profiles, private and shared spaces, apps in chosen statuses),
full inventories of what a domain leaves in the account, and the admins' notifications.

Shared by the teardown's smoke test and its scenario tests; keep additions backwards compatible.
"""

from __future__ import annotations

import json
import random
import re
import uuid
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import pytest

from localcloud import LocalCloud
from localcloud.calls import Call
from localcloud.fidelity import watch_client
from localcloud.harness.stack import Stack
from localcloud.network import create_studio_vpc
from localcloud.sagemaker import Latencies

TEMPLATE = Path(__file__).resolve().parents[2] / "template.yaml"
ROLE = "arn:aws:iam::123456789012:role/SageMakerExecution"
# A fixed, whole-second start: timestamps survive the wire's millisecond precision unchanged.
START = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)
# The latency model every integration test runs with (the local cloud's default: no jitter).
LATENCIES = Latencies()
# The profile AWS runs a domain's RStudio server app under (AWS-FACTS §1).
DOMAIN_SHARED = "domain-shared"

# What each app type runs on: JupyterServer apps only support "system"; a KernelGateway app needs an
# instance type (docs.aws.amazon.com/sagemaker/latest/APIReference/API_ResourceSpec.html).
INSTANCE_TYPES = {
    "JupyterServer": "system",
    "KernelGateway": "ml.t3.medium",
    "JupyterLab": "ml.t3.medium",
    "CodeEditor": "ml.t3.medium",
}

AppStatus = Literal["Pending", "InService", "Failed", "Deleting", "Deleted"]
APP_STATUSES: tuple[AppStatus, ...] = ("Pending", "InService", "Failed", "Deleting", "Deleted")


@dataclass(frozen=True)
class Network:
    vpc_id: str
    subnet_ids: list[str]


@dataclass(frozen=True)
class SpaceSpec:
    name: str
    sharing_type: Literal["Private", "Shared"]
    owner: str
    app_type: Literal["JupyterLab", "CodeEditor"]


@dataclass(frozen=True)
class AppSpec:
    """An app as built; ``status`` is its status when the builder returned (it moves with the clock)."""

    app_type: str
    app_name: str
    status: AppStatus
    user_profile_name: str | None = None
    space_name: str | None = None

    @property
    def owner(self) -> dict[str, str]:
        """The owner as CreateApp/DeleteApp/DescribeApp take it."""
        if self.space_name is not None:
            return {"SpaceName": self.space_name}
        assert self.user_profile_name is not None
        return {"UserProfileName": self.user_profile_name}

    @property
    def key(self) -> tuple[str, str, str]:
        """(AppType, AppName, owner name): how a report item names an app."""
        return self.app_type, self.app_name, self.space_name or self.user_profile_name or ""


@dataclass
class Scenario:
    """What :meth:`StudioBuilder.populate` built in one domain."""

    domain_id: str
    profiles: list[str] = field(default_factory=list)
    spaces: list[SpaceSpec] = field(default_factory=list)
    apps: list[AppSpec] = field(default_factory=list)

    def apps_by_status(self) -> Counter[str]:
        return Counter(app.status for app in self.apps)


def app_key(item: Mapping[str, Any]) -> tuple[str, str, str]:
    """(AppType, AppName, owner name) of a ListApps item or a report item."""
    owner = item.get("SpaceName") or item.get("UserProfileName") or ""
    return str(item["AppType"]), str(item["AppName"]), str(owner)


class StudioBuilder:
    """Builds Studio domains through the SageMaker API, settling each step on the virtual clock.

    Everything is created as users and AWS create it (CreateDomain, CreateUserProfile, CreateSpace,
    CreateApp, DeleteApp, and the local cloud's ``fail_app`` control for apps that fail to start), so the
    resulting statuses are the ones the emulation derives from its timelines, not set by hand.
    """

    def __init__(self, cloud: LocalCloud) -> None:
        self.cloud = cloud
        self.sagemaker = watch_client(cloud.client("sagemaker"))
        self.ec2 = cloud.client("ec2")
        self._network: Network | None = None

    def network(self) -> Network:
        """One VPC with two subnets in two zones, shared by every domain this builder makes."""
        if self._network is None:
            network = create_studio_vpc(self.ec2)
            self._network = Network(network["VpcId"], network["SubnetIds"])
        return self._network

    def domain(self, name: str = "studio", *, rstudio: bool = False, tags: Mapping[str, str] | None = None) -> str:
        """An IAM domain, InService; with ``rstudio`` it runs the domain-shared RStudio server app (InService)."""
        network = self.network()
        params: dict[str, Any] = {
            "DomainName": name,
            "AuthMode": "IAM",
            "DefaultUserSettings": {"ExecutionRole": ROLE},
            "VpcId": network.vpc_id,
            "SubnetIds": network.subnet_ids,
        }
        if rstudio:
            # RStudio on SageMaker runs one RStudioServerPro app per domain, under domain-shared
            # (docs.aws.amazon.com/sagemaker/latest/dg/rstudio-create-cli.html).
            params["DomainSettings"] = {"RStudioServerProDomainSettings": {"DomainExecutionRoleArn": ROLE}}
        if tags:
            params["Tags"] = [{"Key": key, "Value": value} for key, value in tags.items()]
        domain_id = str(self.sagemaker.create_domain(**params)["DomainId"])
        self.cloud.clock.advance(LATENCIES.domain_create)
        if rstudio:
            # The domain launches its server app itself; let it start.
            self.cloud.clock.advance(LATENCIES.app_create)
        return domain_id

    def launch(self, domain_id: str, app_type: str, app_name: str, **owner: str) -> None:
        """CreateApp as a user does, on the instance type its type runs on; ``owner`` as CreateApp takes it."""
        self.sagemaker.create_app(
            DomainId=domain_id,
            AppType=app_type,
            AppName=app_name,
            ResourceSpec={"InstanceType": INSTANCE_TYPES[app_type]},
            **owner,
        )

    def rstudio_server(self, domain_id: str) -> list[dict[str, Any]]:
        """The domain's live RStudioServerPro apps (not Deleted)."""
        apps = self.sagemaker.list_apps(DomainIdEquals=domain_id, UserProfileNameEquals=DOMAIN_SHARED)["Apps"]
        return [a for a in apps if a["AppType"] == "RStudioServerPro" and a["Status"] != "Deleted"]

    def populate(
        self,
        domain_id: str,
        *,
        profiles: int = 0,
        private_spaces: int = 0,
        shared_spaces: int = 0,
        apps: Mapping[str, int] | None = None,
        prefix: str = "",
        seed: int = 0,
    ) -> Scenario:
        """Profiles ``<prefix>user-000``..., spaces owned by them in turn, then apps in the given statuses.

        Each space runs one app (JupyterLab or CodeEditor, named ``default``), as Studio spaces do; the
        remaining apps go to the profiles in turn (a JupyterServer ``default``, then KernelGateway apps).
        Statuses are spread over the apps in a seeded random order.
        """
        unknown = set(apps or {}) - set(APP_STATUSES)
        if unknown:
            raise ValueError(f"app statuses must be among {APP_STATUSES}, not {sorted(unknown)}")
        scenario = Scenario(domain_id)
        sagemaker = self.sagemaker
        scenario.profiles = [f"{prefix}user-{i:03d}" for i in range(profiles)]
        for name in scenario.profiles:
            sagemaker.create_user_profile(DomainId=domain_id, UserProfileName=name)
        if profiles:
            self.cloud.clock.advance(LATENCIES.user_profile_create)
        if (private_spaces or shared_spaces) and not profiles:
            raise ValueError("spaces need profiles to own them")
        for i in range(private_spaces + shared_spaces):
            private = i < private_spaces
            spec = SpaceSpec(
                name=f"{prefix}{'private' if private else 'shared'}-{i:03d}",
                sharing_type="Private" if private else "Shared",
                owner=scenario.profiles[i % profiles],
                app_type="JupyterLab" if i % 2 == 0 else "CodeEditor",
            )
            sagemaker.create_space(
                DomainId=domain_id,
                SpaceName=spec.name,
                OwnershipSettings={"OwnerUserProfileName": spec.owner},
                SpaceSharingSettings={"SharingType": spec.sharing_type},
                SpaceSettings={"AppType": spec.app_type},
            )
            scenario.spaces.append(spec)
        if scenario.spaces:
            self.cloud.clock.advance(LATENCIES.space_create)
        scenario.apps = self._plan_apps(scenario, dict(apps or {}), seed)
        self._build_apps(domain_id, scenario.apps)
        return scenario

    @staticmethod
    def _plan_apps(scenario: Scenario, counts: Mapping[str, int], seed: int) -> list[AppSpec]:
        statuses: list[AppStatus] = [status for status in APP_STATUSES for _ in range(counts.get(status, 0))]
        random.Random(seed).shuffle(statuses)
        if len(statuses) > len(scenario.spaces) and not scenario.profiles:
            raise ValueError("apps beyond one per space need profiles to run on")
        planned: list[AppSpec] = []
        for index, status in enumerate(statuses):
            if index < len(scenario.spaces):
                space = scenario.spaces[index]
                planned.append(AppSpec(space.app_type, "default", status, space_name=space.name))
                continue
            rest = index - len(scenario.spaces)
            profile = scenario.profiles[rest % len(scenario.profiles)]
            turn = rest // len(scenario.profiles)
            if turn == 0:
                planned.append(AppSpec("JupyterServer", "default", status, user_profile_name=profile))
            else:
                planned.append(AppSpec("KernelGateway", f"kg-{turn:03d}", status, user_profile_name=profile))
        return planned

    def _build_apps(self, domain_id: str, apps: list[AppSpec]) -> None:
        """Create, fail and delete apps in phases so that each ends in its planned status at the same instant."""
        sagemaker, clock = self.sagemaker, self.cloud.clock

        def create(app: AppSpec) -> None:
            self.launch(domain_id, app.app_type, app.app_name, **app.owner)

        settled = [app for app in apps if app.status != "Pending"]
        for app in settled:
            create(app)
        if settled:
            clock.advance(LATENCIES.app_create)
        for app in apps:
            if app.status == "Failed":
                owner = {"user_profile_name": app.user_profile_name} if app.user_profile_name else {}
                if app.space_name:
                    owner = {"space_name": app.space_name}
                self.cloud.fail_app(domain_id, app.app_type, app.app_name, "Injected start failure", **owner)
            elif app.status == "Deleted":
                sagemaker.delete_app(DomainId=domain_id, AppType=app.app_type, AppName=app.app_name, **app.owner)
        if any(app.status == "Deleted" for app in apps):
            clock.advance(LATENCIES.app_delete)
        for app in apps:
            if app.status == "Deleting":
                sagemaker.delete_app(DomainId=domain_id, AppType=app.app_type, AppName=app.app_name, **app.owner)
            elif app.status == "Pending":
                create(app)


def on_clock(cloud: LocalCloud, action: Callable[[datetime], None]) -> list[Exception]:
    """Run ``action(now)`` after every advance of the virtual clock: users acting while a workflow runs.

    Returns the errors it raised, collected: raised into the clock, they would fail whatever advanced it
    (a workflow's Wait state) and hide their own cause.
    """
    errors: list[Exception] = []

    def listener(now: datetime) -> None:
        try:
            action(now)
        except Exception as error:  # noqa: BLE001 - reported by the test that asserts on the list
            errors.append(error)

    cloud.clock.on_advance(listener)
    return errors


def _pages(client: Any, operation: str, key: str, **params: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    for page in client.get_paginator(operation).paginate(**params):
        items.extend(page[key])
    return items


def _without_metadata(item: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in item.items() if k != "ResponseMetadata"}


def inventory(cloud: LocalCloud) -> dict[str, Any]:
    """Everything a teardown could touch in the account: every domain (with its tags), profile, space and
    app with their statuses, every EFS file system and mount target, every security group with its rules."""
    sagemaker, efs, ec2 = cloud.client("sagemaker"), cloud.client("efs"), cloud.client("ec2")
    domains: dict[str, Any] = {}
    for summary in _pages(sagemaker, "list_domains", "Domains"):
        domain_id = summary["DomainId"]
        description = _without_metadata(sagemaker.describe_domain(DomainId=domain_id))
        tags = _pages(sagemaker, "list_tags", "Tags", ResourceArn=description["DomainArn"])
        domains[domain_id] = {
            "Domain": description,
            "Tags": sorted((t["Key"], t["Value"]) for t in tags),
            "UserProfiles": _pages(sagemaker, "list_user_profiles", "UserProfiles", DomainIdEquals=domain_id),
            "Spaces": _pages(sagemaker, "list_spaces", "Spaces", DomainIdEquals=domain_id),
            "Apps": _pages(sagemaker, "list_apps", "Apps", DomainIdEquals=domain_id),
        }
    file_systems = [
        # SizeInBytes carries the time it was measured, which moves with the real clock.
        {k: v for k, v in fs.items() if k != "SizeInBytes"}
        for fs in _pages(efs, "describe_file_systems", "FileSystems")
    ]
    mount_targets = {
        fs["FileSystemId"]: efs.describe_mount_targets(FileSystemId=fs["FileSystemId"])["MountTargets"]
        for fs in file_systems
    }
    groups = sorted(_pages(ec2, "describe_security_groups", "SecurityGroups"), key=lambda g: g["GroupId"])
    return {"Domains": domains, "FileSystems": file_systems, "MountTargets": mount_targets, "SecurityGroups": groups}


def domain_residue(cloud: LocalCloud, domain_id: str, file_system_id: str | None) -> dict[str, list[str]]:
    """What is left in EFS and EC2 of one domain: its home file system, mount targets and NFS groups.

    Found three ways, as a clean-up must (AWS-FACTS §2): the file system by id, anything tagged
    ``ManagedByAmazonSageMakerResource`` with the domain's ARN, and the two groups by their names.
    """
    efs, ec2 = cloud.client("efs"), cloud.client("ec2")
    suffix = f"/{domain_id}"
    file_systems = [
        fs["FileSystemId"]
        for fs in _pages(efs, "describe_file_systems", "FileSystems")
        if fs["FileSystemId"] == file_system_id
        or any(t["Key"] == "ManagedByAmazonSageMakerResource" and t["Value"].endswith(suffix) for t in fs["Tags"])
    ]
    mount_targets = [
        target["MountTargetId"]
        for fs_id in file_systems
        for target in efs.describe_mount_targets(FileSystemId=fs_id)["MountTargets"]
    ]
    names = {f"security-group-for-inbound-nfs-{domain_id}", f"security-group-for-outbound-nfs-{domain_id}"}
    groups = [
        group["GroupId"]
        for group in _pages(ec2, "describe_security_groups", "SecurityGroups")
        if group["GroupName"] in names
        or any(
            t["Key"] == "ManagedByAmazonSageMakerResource" and t["Value"].endswith(suffix)
            for t in group.get("Tags", [])
        )
    ]
    return {"FileSystems": file_systems, "MountTargets": mount_targets, "SecurityGroups": sorted(groups)}


class Notifications:
    """An SQS queue subscribed to the stack's NotificationsTopic: what admins would receive."""

    def __init__(self, cloud: LocalCloud, stack: Stack) -> None:
        self.sqs = cloud.client("sqs")
        self.queue_url = self.sqs.create_queue(QueueName="admin-notifications")["QueueUrl"]
        queue_arn = self.sqs.get_queue_attributes(QueueUrl=self.queue_url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        cloud.client("sns").subscribe(
            TopicArn=stack.physical_id("NotificationsTopic"), Protocol="sqs", Endpoint=queue_arn
        )

    def received(self) -> list[dict[str, Any]]:
        """The SNS envelopes (``Subject``, ``Message``, ...) delivered since the last call, oldest first."""
        envelopes: list[dict[str, Any]] = []
        while True:
            messages = self.sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10).get("Messages", [])
            if not messages:
                return envelopes
            for message in messages:
                envelopes.append(json.loads(message["Body"]))
                self.sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"])


@pytest.fixture
def cloud() -> Iterator[LocalCloud]:
    with LocalCloud(start=START, latencies=LATENCIES) as local:
        yield local


@pytest.fixture
def stack(cloud: LocalCloud) -> Stack:
    """The project's template, deployed with every parameter defaulted."""
    return cloud.deploy(TEMPLATE)


@pytest.fixture
def studio(cloud: LocalCloud) -> StudioBuilder:
    return StudioBuilder(cloud)


@pytest.fixture
def notifications(cloud: LocalCloud, stack: Stack) -> Notifications:
    return Notifications(cloud, stack)


@dataclass(frozen=True)
class Execution:
    """A finished execution, as DescribeExecution gives it."""

    description: dict[str, Any]

    @property
    def arn(self) -> str:
        return str(self.description["executionArn"])

    @property
    def status(self) -> str:
        return str(self.description["status"])

    @property
    def error(self) -> str | None:
        return self.description.get("error")

    @property
    def cause(self) -> str:
        return str(self.description.get("cause", ""))

    def report(self) -> dict[str, Any]:
        """The execution's output: the teardown report."""
        assert self.status == "SUCCEEDED", f"{self.status}: {self.error}: {self.cause}"
        report: dict[str, Any] = json.loads(self.description["output"])
        return report


class Teardown:
    """Runs the deployed TeardownStateMachine; ``run`` waits for the end, ``start`` does not."""

    STATE_MACHINE = "TeardownStateMachine"

    def __init__(self, stack: Stack) -> None:
        self.stack = stack

    def run(self, execution_input: Mapping[str, Any]) -> Execution:
        return Execution(self.stack.start_execution(self.STATE_MACHINE, execution_input))

    def start(self, execution_input: Mapping[str, Any]) -> str:
        """Start an execution and return its ARN at once (it runs in moto's worker thread)."""
        response = self.stack.client("stepfunctions").start_execution(
            stateMachineArn=self.stack.state_machine_arn(self.STATE_MACHINE),
            # AWS names an unnamed execution with a UUID (docs.aws.amazon.com/step-functions/latest/apireference/
            # API_StartExecution.html); moto names every one of them "None", so two would share an ARN.
            name=str(uuid.uuid4()),
            input=json.dumps(dict(execution_input)),
        )
        return str(response["executionArn"])

    def wait(self, execution_arn: str, *, timeout: float = 60.0) -> Execution:
        self.stack.wait_for_execution(execution_arn, timeout=timeout)
        description = dict(self.stack.client("stepfunctions").describe_execution(executionArn=execution_arn))
        description.pop("ResponseMetadata", None)
        return Execution(description)


@pytest.fixture
def teardown(stack: Stack) -> Teardown:
    return Teardown(stack)


# Operations that change something: a refusal or a dry run must make none of them in SageMaker, EFS or EC2.
_CHANGING = re.compile(
    r"^(Add|Associate|Attach|Authorize|Create|Delete|Detach|Modify|Put|Remove|Revoke|Start|Stop|Tag|Untag|Update)"
)


def changing_calls(cloud: LocalCloud, since: int = 0) -> list[Call]:
    """The calls after the first ``since`` of the call log that change SageMaker, EFS or EC2 resources."""
    return [
        call
        for call in list(cloud.calls)[since:]
        if call.service in {"sagemaker", "efs", "ec2"} and _CHANGING.match(call.operation)
    ]


def teardown_tags(cloud: LocalCloud, domain_id: str) -> list[str]:
    """The values of the domain's ``domain-steward:teardown`` tag (INTERFACES.md): empty when unmarked."""
    sagemaker = cloud.client("sagemaker")
    arn = sagemaker.describe_domain(DomainId=domain_id)["DomainArn"]
    tags = _pages(sagemaker, "list_tags", "Tags", ResourceArn=arn)
    return [t["Value"] for t in tags if t["Key"] == "domain-steward:teardown"]
