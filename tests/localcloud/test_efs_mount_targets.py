"""EFS mount targets as AWS runs them: a requester-managed network interface each, deletes that take time,
and file systems that cannot go while any mount target exists."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from localcloud import LocalCloud
from localcloud.sagemaker import Latencies
from localcloud.server import LocalCloudServer

MOUNT_TARGET_DELETE = Latencies().mount_target_delete


def code(excinfo: pytest.ExceptionInfo[ClientError]) -> str:
    return str(excinfo.value.response["Error"]["Code"])


@pytest.fixture
def efs(client: Callable[..., Any]) -> Any:
    return client("efs")


@pytest.fixture
def file_system(efs: Any) -> str:
    return str(efs.create_file_system(CreationToken="home")["FileSystemId"])


@pytest.fixture
def nfs_group(client: Callable[..., Any], vpc: dict[str, Any]) -> str:
    return str(client("ec2").create_security_group(GroupName="nfs", Description="nfs", VpcId=vpc["VpcId"])["GroupId"])


def interface(client: Callable[..., Any], interface_id: str) -> dict[str, Any]:
    (found,) = client("ec2").describe_network_interfaces(NetworkInterfaceIds=[interface_id])["NetworkInterfaces"]
    return dict(found)


# -- the network interface ------------------------------------------------------------------------------


def test_each_mount_target_has_an_efs_managed_interface_in_its_subnet_with_its_groups(
    efs, file_system, vpc, nfs_group, client
):
    # CreateMountTarget "creates a new network interface in the subnet", associated with the request's
    # security groups, requester-managed by EFS
    # (https://docs.aws.amazon.com/efs/latest/ug/API_CreateMountTarget.html); its description reads
    # "EFS mount target for fs-… (fsmt-…)" (https://docs.aws.amazon.com/efs/latest/ug/logging-using-cloudtrail.html).
    subnet = vpc["SubnetIds"][0]
    target = efs.create_mount_target(FileSystemId=file_system, SubnetId=subnet, SecurityGroups=[nfs_group])
    (described,) = efs.describe_mount_targets(MountTargetId=target["MountTargetId"])["MountTargets"]
    assert described["NetworkInterfaceId"] == target["NetworkInterfaceId"]
    eni = interface(client, target["NetworkInterfaceId"])
    assert eni["Description"] == f"EFS mount target for {file_system} ({target['MountTargetId']})"
    assert (eni["RequesterManaged"], eni["RequesterId"]) == (True, "EFS")
    assert eni["SubnetId"] == subnet
    assert eni["VpcId"] == vpc["VpcId"]
    assert [group["GroupId"] for group in eni["Groups"]] == [nfs_group]
    assert eni["PrivateIpAddress"] == target["IpAddress"]


def test_a_mount_target_without_groups_gets_the_vpc_default_group(efs, file_system, vpc, client):
    # "If the request provides SecurityGroups, this network interface is associated with those security
    # groups. Otherwise, it belongs to the default security group for the subnet's VPC."
    # (https://docs.aws.amazon.com/efs/latest/ug/API_CreateMountTarget.html)
    target = efs.create_mount_target(FileSystemId=file_system, SubnetId=vpc["SubnetIds"][0])
    (default,) = client("ec2").describe_security_groups(
        Filters=[{"Name": "vpc-id", "Values": [vpc["VpcId"]]}, {"Name": "group-name", "Values": ["default"]}]
    )["SecurityGroups"]
    assert [g["GroupId"] for g in interface(client, target["NetworkInterfaceId"])["Groups"]] == [default["GroupId"]]


# -- DeleteMountTarget ----------------------------------------------------------------------------------


def test_delete_mount_target_returns_while_it_is_deleting_and_it_goes_after_the_latency(
    cloud, efs, file_system, vpc, client
):
    # "The DeleteMountTarget call returns while the mount target state is still deleting. You can check the
    # mount target deletion by calling the DescribeMountTargets operation"; "the operation also deletes the
    # associated network interface" (https://docs.aws.amazon.com/efs/latest/ug/API_DeleteMountTarget.html).
    target = efs.create_mount_target(FileSystemId=file_system, SubnetId=vpc["SubnetIds"][0])
    efs.delete_mount_target(MountTargetId=target["MountTargetId"])
    (listed,) = efs.describe_mount_targets(FileSystemId=file_system)["MountTargets"]
    assert listed["LifeCycleState"] == "deleting"
    cloud.clock.advance(MOUNT_TARGET_DELETE - 1)
    (listed,) = efs.describe_mount_targets(MountTargetId=target["MountTargetId"])["MountTargets"]
    assert listed["LifeCycleState"] == "deleting"
    assert interface(client, target["NetworkInterfaceId"])  # the interface lives as long as the mount target
    cloud.clock.advance(1)  # no EFS call needed: the clock drives the removal
    assert efs.describe_mount_targets(FileSystemId=file_system)["MountTargets"] == []
    with pytest.raises(ClientError) as excinfo:
        efs.describe_mount_targets(MountTargetId=target["MountTargetId"])
    assert code(excinfo) == "MountTargetNotFound"
    assert client("ec2").describe_network_interfaces()["NetworkInterfaces"] == []


def test_deleting_a_deleting_mount_target_again_changes_nothing(cloud, efs, file_system, vpc):
    # Undocumented by AWS, and DeleteMountTarget's model lists no state error: the second call is accepted
    # and the mount target still goes when the first call said it would.
    target = efs.create_mount_target(FileSystemId=file_system, SubnetId=vpc["SubnetIds"][0])
    efs.delete_mount_target(MountTargetId=target["MountTargetId"])
    cloud.clock.advance(MOUNT_TARGET_DELETE / 2)
    efs.delete_mount_target(MountTargetId=target["MountTargetId"])
    cloud.clock.advance(MOUNT_TARGET_DELETE / 2)
    assert efs.describe_mount_targets(FileSystemId=file_system)["MountTargets"] == []


def test_deleting_an_unknown_mount_target_is_not_found(efs):
    # MountTargetNotFound: "Returned if there is no mount target with the specified ID found in the caller's
    # Amazon Web Services account." (https://docs.aws.amazon.com/efs/latest/ug/API_DeleteMountTarget.html)
    with pytest.raises(ClientError) as excinfo:
        efs.delete_mount_target(MountTargetId="fsmt-0123456789abcdef0")
    assert code(excinfo) == "MountTargetNotFound"


def test_the_mount_target_latency_comes_from_the_latency_model():
    with LocalCloud(latencies=Latencies(mount_target_delete=5)) as cloud:
        ec2, efs = cloud.client("ec2"), cloud.client("efs")
        vpc_id = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
        subnet = ec2.create_subnet(VpcId=vpc_id, CidrBlock="10.0.0.0/24")["Subnet"]["SubnetId"]
        file_system = efs.create_file_system(CreationToken="home")["FileSystemId"]
        target = efs.create_mount_target(FileSystemId=file_system, SubnetId=subnet)
        efs.delete_mount_target(MountTargetId=target["MountTargetId"])
        cloud.clock.advance(4)
        assert efs.describe_mount_targets(FileSystemId=file_system)["MountTargets"]
        cloud.clock.advance(1)
        assert efs.describe_mount_targets(FileSystemId=file_system)["MountTargets"] == []


# -- DeleteFileSystem -----------------------------------------------------------------------------------


def test_delete_file_system_is_in_use_while_any_mount_target_exists_deleting_ones_included(
    cloud, efs, file_system, vpc
):
    # "You can't delete a file system that is in use. That is, if the file system has any mount targets,
    # you must first delete them." (https://docs.aws.amazon.com/efs/latest/ug/API_DeleteFileSystem.html);
    # AWS's message as tools report it: https://github.com/rebuy-de/aws-nuke/issues/1203. Clean-up code
    # that does not wait for the mount targets to go fails exactly so:
    # https://github.com/awslabs/kubeflow-manifests/pull/217.
    targets = [efs.create_mount_target(FileSystemId=file_system, SubnetId=subnet) for subnet in vpc["SubnetIds"]]
    with pytest.raises(ClientError) as excinfo:
        efs.delete_file_system(FileSystemId=file_system)
    assert code(excinfo) == "FileSystemInUse"
    assert excinfo.value.response["Error"]["Message"] == (
        f"The file system '{file_system}' cannot be deleted because it has mount targets. "
        "You must delete the mount targets, and then try again."
    )
    for target in targets:
        efs.delete_mount_target(MountTargetId=target["MountTargetId"])
    with pytest.raises(ClientError) as excinfo:
        efs.delete_file_system(FileSystemId=file_system)
    assert code(excinfo) == "FileSystemInUse"
    cloud.clock.advance(MOUNT_TARGET_DELETE)
    efs.delete_file_system(FileSystemId=file_system)
    assert efs.describe_file_systems()["FileSystems"] == []


# -- over HTTP ------------------------------------------------------------------------------------------


@pytest.fixture
def server() -> Iterator[LocalCloudServer]:
    with LocalCloudServer(port=0) as running:
        yield running


def test_mount_targets_delete_over_time_over_http_too(server: LocalCloudServer):
    def http_client(service: str) -> Any:
        config = Config(retries={"mode": "standard", "total_max_attempts": 1})
        return boto3.client(service, region_name="us-east-1", endpoint_url=server.url, config=config)  # type: ignore[call-overload]

    ec2, efs = http_client("ec2"), http_client("efs")
    vpc_id = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc_id, CidrBlock="10.0.0.0/24")["Subnet"]["SubnetId"]
    file_system = efs.create_file_system(CreationToken="home")["FileSystemId"]
    target = efs.create_mount_target(FileSystemId=file_system, SubnetId=subnet)
    efs.delete_mount_target(MountTargetId=target["MountTargetId"])
    (listed,) = efs.describe_mount_targets(FileSystemId=file_system)["MountTargets"]
    assert listed["LifeCycleState"] == "deleting"
    with pytest.raises(ClientError) as excinfo:
        efs.delete_file_system(FileSystemId=file_system)
    assert code(excinfo) == "FileSystemInUse"
    request = urllib.request.Request(
        f"{server.url}/_localcloud/clock/advance",
        data=json.dumps({"seconds": MOUNT_TARGET_DELETE}).encode(),
        method="POST",
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10):
        pass
    assert efs.describe_mount_targets(FileSystemId=file_system)["MountTargets"] == []
    assert ec2.describe_network_interfaces()["NetworkInterfaces"] == []
    efs.delete_file_system(FileSystemId=file_system)
