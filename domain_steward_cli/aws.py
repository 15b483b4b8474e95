"""Where the CLI's AWS calls go: the standard credential chain (or ``--profile``), ``--region``, and
``--endpoint-url`` for a local cloud (``python -m localcloud serve``); and what it needs to know about the
deployed stack, from the stack itself (``--stack-name``) or from explicit options."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import boto3
import click
from botocore.config import Config

# The same retry policy as the functions (domain_steward.aws_clients): adaptive mode slows a long listing down
# instead of failing on SageMaker's low control-plane rate limits.
RETRIES = Config(retries={"mode": "adaptive", "max_attempts": 8}, user_agent_extra="domain-steward-cli")
DEFAULT_STACK_NAME = "domain-steward"


@dataclass
class Aws:
    """One session for the whole command; clients are made on first use."""

    profile: str | None = None
    region: str | None = None
    endpoint_url: str | None = None
    _session: boto3.Session | None = field(default=None, repr=False)

    @property
    def session(self) -> boto3.Session:
        if self._session is None:
            self._session = boto3.Session(profile_name=self.profile, region_name=self.region)
        return self._session

    def client(self, service: str, region: str | None = None) -> Any:
        return self.session.client(
            service,  # type: ignore[call-overload]
            region_name=region or self.session.region_name,
            endpoint_url=self.endpoint_url,
            config=RETRIES,
        )

    def table(self, name: str) -> Any:
        """A DynamoDB ``Table`` resource, as the onboarding records need."""
        resource = self.session.resource("dynamodb", endpoint_url=self.endpoint_url, config=RETRIES)
        return resource.Table(name)


@dataclass(frozen=True)
class Stack:
    """What the CLI reads from the deployed stack: its parameters and its resources' physical ids."""

    name: str
    parameters: dict[str, str]
    resources: dict[str, str]

    def resource(self, logical_id: str) -> str:
        if logical_id not in self.resources:
            raise click.ClickException(f"stack {self.name} has no resource {logical_id}")
        return self.resources[logical_id]


def describe_stack(aws: Aws, name: str) -> Stack:
    """DescribeStacks for the parameters, ListStackResources (every page) for the physical ids: DescribeStackResources
    returns only the first 100 resources, and a stack may have more
    (https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_DescribeStackResources.html)."""
    cloudformation = aws.client("cloudformation")
    stacks = cloudformation.describe_stacks(StackName=name)["Stacks"]
    parameters = {p["ParameterKey"]: p.get("ParameterValue", "") for p in stacks[0].get("Parameters", [])}
    resources: dict[str, str] = {}
    for page in cloudformation.get_paginator("list_stack_resources").paginate(StackName=name):
        for summary in page["StackResourceSummaries"]:
            resources[summary["LogicalResourceId"]] = summary.get("PhysicalResourceId", "")
    return Stack(name=name, parameters=parameters, resources=resources)
