"""EC2's dependency checks, as a domain's leftovers meet them: security groups held by other groups' rules
or by network interfaces, subnets holding interfaces, VPCs holding security groups."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

import pytest
from botocore.exceptions import ClientError

from localcloud.sagemaker import Latencies

LATENCIES = Latencies()
NFS = {"IpProtocol": "tcp", "FromPort": 2049, "ToPort": 2049}


@pytest.fixture
def ec2(client: Callable[..., Any]) -> Any:
    """EC2's model lists no errors (they are on its "Error codes" page), so a watched client would refuse
    every error answer; successes are still checked through ``watched``."""
    return client("ec2", watch=False)


@pytest.fixture
def watched(client: Callable[..., Any]) -> Any:
    return client("ec2")


@pytest.fixture
def group(ec2: Any, vpc: dict[str, Any]) -> Callable[[str], str]:
    def create(name: str) -> str:
        return str(ec2.create_security_group(GroupName=name, Description=name, VpcId=vpc["VpcId"])["GroupId"])

    return create


def refused(call: Callable[[], Any]) -> dict[str, str]:
    with pytest.raises(ClientError) as excinfo:
        call()
    return {key: str(value) for key, value in excinfo.value.response["Error"].items()}


def dependent_object(group_id: str) -> dict[str, str]:
    # AWS's answer, as tools report it (https://github.com/gruntwork-io/cloud-nuke/issues/316,
    # https://github.com/hashicorp/terraform-provider-aws/issues/1671).
    return {"Code": "DependencyViolation", "Message": f"resource {group_id} has a dependent object"}


def nfs_from(group_id: str) -> list[dict[str, Any]]:
    return [{**NFS, "UserIdGroupPairs": [{"GroupId": group_id}]}]


def group_ids(watched: Any) -> set[str]:
    return {g["GroupId"] for g in watched.describe_security_groups()["SecurityGroups"]}


# -- references by other groups' rules ---------------------------------------------------------------------


def test_a_group_named_in_another_groups_ingress_rule_cannot_go_until_the_rule_is_revoked(ec2, watched, group):
    # "If you attempt to delete a security group that is [...] referenced by another security group in the
    # same VPC [...] the operation fails with DependencyViolation."
    # (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DeleteSecurityGroup.html)
    source, target = group("clients"), group("servers")
    ec2.authorize_security_group_ingress(GroupId=target, IpPermissions=nfs_from(source))
    error = refused(lambda: ec2.delete_security_group(GroupId=source))
    assert {key: error[key] for key in ("Code", "Message")} == dependent_object(source)
    ec2.revoke_security_group_ingress(GroupId=target, IpPermissions=nfs_from(source))
    watched.delete_security_group(GroupId=source)
    assert source not in group_ids(watched)


def test_a_group_named_in_another_groups_egress_rule_cannot_go_until_the_rule_is_revoked(ec2, watched, group):
    # Egress rules reference groups as ingress rules do (same source as above).
    source, target = group("servers"), group("clients")
    ec2.authorize_security_group_egress(GroupId=target, IpPermissions=nfs_from(source))
    assert refused(lambda: ec2.delete_security_group(GroupId=source))["Code"] == "DependencyViolation"
    ec2.revoke_security_group_egress(GroupId=target, IpPermissions=nfs_from(source))
    watched.delete_security_group(GroupId=source)


def test_a_group_whose_rules_reference_only_itself_can_be_deleted(ec2, watched, group):
    # Only *another* group's reference holds a group: "The security group can't be referenced by a rule in
    # another security group." (https://docs.aws.amazon.com/vpc/latest/userguide/deleting-security-groups.html,
    # and API_DeleteSecurityGroup above). A self-referencing rule is what clusters use to talk among members.
    alone = group("self-referencing")
    ec2.authorize_security_group_ingress(GroupId=alone, IpPermissions=nfs_from(alone))
    watched.delete_security_group(GroupId=alone)
    assert alone not in group_ids(watched)


def test_the_default_group_of_a_vpc_cannot_be_deleted(ec2, watched, vpc):
    # "The security group can't be the default security group for a VPC."
    # (https://docs.aws.amazon.com/vpc/latest/userguide/deleting-security-groups.html); AWS answers
    # CannotDelete (https://github.com/alantech/iasql/pull/654).
    (default,) = watched.describe_security_groups(
        Filters=[{"Name": "vpc-id", "Values": [vpc["VpcId"]]}, {"Name": "group-name", "Values": ["default"]}]
    )["SecurityGroups"]
    error = refused(lambda: ec2.delete_security_group(GroupId=default["GroupId"]))
    assert error["Code"] == "CannotDelete"
    assert (
        error["Message"] == f'the specified group: "{default["GroupId"]}" name: "default" cannot be deleted by a user'
    )


def test_dry_run_answers_before_the_dependency_check(ec2, group):
    # DryRun "checks whether you have the required permissions for the action, without actually making the
    # request" (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DeleteSecurityGroup.html).
    source, target = group("clients"), group("servers")
    ec2.authorize_security_group_ingress(GroupId=target, IpPermissions=nfs_from(source))
    assert refused(lambda: ec2.delete_security_group(GroupId=source, DryRun=True))["Code"] == "DryRunOperation"


# -- use by network interfaces ------------------------------------------------------------------------------


def test_a_group_used_by_a_network_interface_cannot_go_until_the_interface_is_gone(ec2, watched, group, vpc):
    # "associated with an instance or network interface" -> DependencyViolation (API_DeleteSecurityGroup above).
    used = group("used")
    eni = ec2.create_network_interface(SubnetId=vpc["SubnetIds"][0], Groups=[used])["NetworkInterface"]
    error = refused(lambda: ec2.delete_security_group(GroupId=used))
    assert {key: error[key] for key in ("Code", "Message")} == dependent_object(used)
    watched.delete_network_interface(NetworkInterfaceId=eni["NetworkInterfaceId"])
    watched.delete_security_group(GroupId=used)


def test_a_subnet_holding_a_network_interface_cannot_be_deleted(ec2, watched, vpc):
    # "The subnet 'subnet-…' has dependencies and cannot be deleted."
    # (https://github.com/terraform-aws-modules/terraform-aws-vpc/issues/1081); a left-over SageMaker EFS
    # interface does exactly this (https://github.com/hashicorp/terraform-provider-aws/issues/20986).
    subnet = vpc["SubnetIds"][0]
    eni = ec2.create_network_interface(SubnetId=subnet)["NetworkInterface"]
    error = refused(lambda: ec2.delete_subnet(SubnetId=subnet))
    assert (error["Code"], error["Message"]) == (
        "DependencyViolation",
        f"The subnet '{subnet}' has dependencies and cannot be deleted.",
    )
    watched.delete_network_interface(NetworkInterfaceId=eni["NetworkInterfaceId"])
    watched.delete_subnet(SubnetId=subnet)


def test_a_vpc_holding_a_security_group_other_than_its_default_cannot_be_deleted(ec2, watched, group, vpc):
    # "you must [...] delete all security groups associated with the VPC (except the default one)"
    # (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DeleteVpc.html); left-over groups alone
    # block it (https://github.com/terraform-aws-modules/terraform-aws-vpc/issues/540).
    for subnet in vpc["SubnetIds"]:
        watched.delete_subnet(SubnetId=subnet)
    left_over = group("left-over")
    error = refused(lambda: ec2.delete_vpc(VpcId=vpc["VpcId"]))
    assert (error["Code"], error["Message"]) == (
        "DependencyViolation",
        f"The vpc '{vpc['VpcId']}' has dependencies and cannot be deleted.",
    )
    watched.delete_security_group(GroupId=left_over)
    watched.delete_vpc(VpcId=vpc["VpcId"])  # the default group goes with the VPC, as AWS does


# -- a domain's two NFS groups ------------------------------------------------------------------------------


def test_a_domains_nfs_groups_go_only_after_their_rules_are_revoked_and_the_mount_targets_are_gone(
    cloud, sm, domain, client, ec2
):
    # The inbound group admits NFS from the outbound one and the outbound one sends NFS to the inbound one,
    # and every mount target's interface uses the inbound group (AWS-FACTS §2): neither deletes until the
    # rules are revoked, and the inbound one not before the mount targets (and their interfaces) are gone.
    watched = client("ec2")
    names = {g["GroupName"]: g["GroupId"] for g in watched.describe_security_groups()["SecurityGroups"]}
    inbound = names[f"security-group-for-inbound-nfs-{domain}"]
    outbound = names[f"security-group-for-outbound-nfs-{domain}"]
    for group_id in (inbound, outbound):
        error = refused(partial(ec2.delete_security_group, GroupId=group_id))
        assert {key: error[key] for key in ("Code", "Message")} == dependent_object(group_id)
    watched.revoke_security_group_ingress(GroupId=inbound, IpPermissions=nfs_from(outbound))
    watched.revoke_security_group_egress(GroupId=outbound, IpPermissions=nfs_from(inbound))
    watched.delete_security_group(GroupId=outbound)
    assert refused(lambda: ec2.delete_security_group(GroupId=inbound))["Code"] == "DependencyViolation"  # the ENIs
    efs = client("efs")
    file_system = sm.describe_domain(DomainId=domain)["HomeEfsFileSystemId"]
    for target in efs.describe_mount_targets(FileSystemId=file_system)["MountTargets"]:
        efs.delete_mount_target(MountTargetId=target["MountTargetId"])
    assert refused(lambda: ec2.delete_security_group(GroupId=inbound))["Code"] == "DependencyViolation"  # deleting
    cloud.clock.advance(LATENCIES.mount_target_delete)
    watched.delete_security_group(GroupId=inbound)
    assert {inbound, outbound}.isdisjoint(group_ids(watched))
