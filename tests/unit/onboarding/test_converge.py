"""Converging one user and reconciling a domain, with the logic driving a fresh local cloud's clients (no
patching): the records table is a DynamoDB table shaped like OnboardingRecordsTable."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from domain_steward.config import parse_config
from domain_steward.identity import Directory
from domain_steward.onboarding.context import Context
from domain_steward.onboarding.converge import converge_user
from domain_steward.onboarding.reconcile import reconcile
from domain_steward.onboarding.records import DOMAIN_INDEX, Records
from localcloud import LocalCloud
from localcloud.fidelity import watch_client
from localcloud.sagemaker import Latencies

START = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)
ROLE = "arn:aws:iam::123456789012:role/SageMakerExecution"
LATENCIES = Latencies()


@pytest.fixture
def cloud() -> Iterator[LocalCloud]:
    with LocalCloud(start=START, latencies=LATENCIES) as local:
        yield local


def _records(cloud: LocalCloud) -> Records:
    dynamodb = cloud.client("dynamodb")
    dynamodb.create_table(
        TableName="records",
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": name, "AttributeType": "S"} for name in ("pk", "sk", "domain")],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        GlobalSecondaryIndexes=[
            {
                "IndexName": DOMAIN_INDEX,
                "KeySchema": [
                    {"AttributeName": "domain", "KeyType": "HASH"},
                    {"AttributeName": "pk", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
    )
    import boto3

    return Records(boto3.resource("dynamodb", region_name=cloud.region).Table("records"))


@pytest.fixture
def world(cloud: LocalCloud) -> dict[str, Any]:
    """An SSO domain mapped to group DataScientists, with one member; the context the handlers would build."""
    ec2 = cloud.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24", AvailabilityZone="us-east-1a")["Subnet"]["SubnetId"]
    sagemaker = watch_client(cloud.client("sagemaker"))
    domain = sagemaker.create_domain(
        DomainName="sso", AuthMode="SSO", DefaultUserSettings={"ExecutionRole": ROLE}, VpcId=vpc, SubnetIds=[subnet]
    )["DomainId"]
    cloud.clock.advance(LATENCIES.domain_create)
    identitystore = cloud.client("identitystore")  # moto's responses lack members botocore has: not watched
    store = cloud.client("sso-admin").list_instances()["Instances"][0]["IdentityStoreId"]
    group = identitystore.create_group(IdentityStoreId=store, DisplayName="DataScientists")["GroupId"]
    user = cloud.identity_center_user("jane.doe@corp.com")
    identitystore.create_group_membership(IdentityStoreId=store, GroupId=group, MemberId={"UserId": user})
    config = parse_config(
        f"""
version: 1
domains:
  - domain_id: {domain}
    groups:
      - group: DataScientists
        execution_role: {ROLE}
        tags: {{team: ds}}
"""
    )
    ctx = Context(
        config=config,
        sagemaker=sagemaker,
        sso_admin=cloud.client("sso-admin"),
        stepfunctions=cloud.client("stepfunctions"),
        directory=Directory(identitystore, store),
        records=_records(cloud),
        now=cloud.clock.now,
    )
    return {"ctx": ctx, "domain": domain, "user": user, "group": group, "store": store, "identitystore": identitystore}


def test_a_join_costs_four_control_plane_calls_beyond_the_invocations_lookups(cloud: LocalCloud, world: dict[str, Any]):
    ctx = world["ctx"]
    ctx.domain(world["domain"])  # DescribeDomain + ListTags: once per invocation, shared by its records
    ctx.directory.group_id("DataScientists")  # GetGroupId: once per invocation
    before = len(cloud.calls)

    actions = converge_user(ctx, world["user"])

    assert [a.action for a in actions] == ["created", "assigned"]
    calls = [f"{c.service}:{c.operation}" for c in list(cloud.calls)[before:] if c.service != "dynamodb"]
    assert calls == [
        "identitystore:DescribeUser",
        "identitystore:ListGroupMembershipsForMember",
        "sagemaker:CreateUserProfile",
        "sso-admin:CreateApplicationAssignment",
    ]


def test_converging_again_changes_nothing_and_leaving_offboards(cloud: LocalCloud, world: dict[str, Any]):
    ctx = world["ctx"]
    converge_user(ctx, world["user"])
    cloud.clock.advance(LATENCIES.user_profile_create)
    assert converge_user(ctx, world["user"]) == []  # duplicate: same state, no action

    membership = world["identitystore"].list_group_memberships_for_member(
        IdentityStoreId=world["store"], MemberId={"UserId": world["user"]}
    )["GroupMemberships"][0]["MembershipId"]
    world["identitystore"].delete_group_membership(IdentityStoreId=world["store"], MembershipId=membership)
    (action,) = converge_user(ctx, world["user"])

    assert action.action == "offboarded"
    assert ctx.records.for_user(world["user"])[world["domain"]].state == "offboarded"


def test_a_dry_run_reports_and_changes_nothing(cloud: LocalCloud, world: dict[str, Any]):
    before = len(cloud.calls)

    report, actions = reconcile(world["ctx"], dry_run=True)

    assert actions == []
    assert report["Differences"] == 1
    assert report["Domains"][0]["differences"][0]["difference"] == "member without a profile"
    changing = [c for c in list(cloud.calls)[before:] if c.operation.startswith(("Create", "Update", "Delete", "Add"))]
    assert changing == []
