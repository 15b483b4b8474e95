"""What AWS leaves behind a deleted domain (the home EFS, its mount targets, the two NFS security groups),
kept and listed with ``Retain``, removed with ``Delete``: that domain's only, never a neighbour's.

AWS-FACTS §2; docs.aws.amazon.com/sagemaker/latest/dg/gs-studio-delete-domain.html (the EFS volume and
security groups are not deleted with the domain). Black-box: the deployed TeardownStateMachine.
"""

from __future__ import annotations

from typing import Any

import pytest

from localcloud import LocalCloud
from tests.integration.conftest import StudioBuilder, Teardown, domain_residue, inventory

NOTHING: dict[str, list[str]] = {"FileSystems": [], "MountTargets": [], "SecurityGroups": []}


def _ids(report_items: list[dict[str, Any]], key: str) -> list[str]:
    return sorted(str(item[key]) for item in report_items)


def _neighbour(cloud: LocalCloud, domain_id: str) -> dict[str, Any]:
    """Everything of one domain: its Studio resources, and its storage and network residue in full."""
    snapshot = inventory(cloud)
    file_system = snapshot["Domains"][domain_id]["Domain"]["HomeEfsFileSystemId"]
    residue = domain_residue(cloud, domain_id, file_system)
    groups = [g for g in snapshot["SecurityGroups"] if g["GroupId"] in residue["SecurityGroups"]]
    return {
        "Studio": snapshot["Domains"][domain_id],
        "FileSystems": [fs for fs in snapshot["FileSystems"] if fs["FileSystemId"] == file_system],
        "MountTargets": snapshot["MountTargets"][file_system],
        "SecurityGroups": groups,
    }


@pytest.mark.slow
def test_retain_keeps_the_home_file_system_mount_targets_and_groups_and_lists_them(
    cloud: LocalCloud, studio: StudioBuilder, teardown: Teardown
) -> None:
    domain_id = studio.domain()
    studio.populate(domain_id, profiles=2, private_spaces=1, apps={"InService": 3})
    file_system = studio.sagemaker.describe_domain(DomainId=domain_id)["HomeEfsFileSystemId"]
    residue = domain_residue(cloud, domain_id, file_system)

    execution = teardown.run({"DomainId": domain_id, "Confirm": domain_id, "HomeEfsFileSystem": "Retain"})

    report = execution.report()
    assert domain_residue(cloud, domain_id, file_system) == residue
    assert _ids(report["Kept"]["FileSystems"], "FileSystemId") == residue["FileSystems"]
    assert _ids(report["Kept"]["MountTargets"], "MountTargetId") == sorted(residue["MountTargets"])
    assert _ids(report["Kept"]["SecurityGroups"], "GroupId") == residue["SecurityGroups"]
    for kind in ("FileSystems", "MountTargets", "SecurityGroups"):
        assert report["Deleted"][kind] == []
        assert report["Counts"]["Kept"][kind] == len(residue[kind])


@pytest.mark.slow
def test_delete_removes_that_domains_residue_and_leaves_a_neighbour_in_the_same_vpc_alone(
    cloud: LocalCloud, studio: StudioBuilder, teardown: Teardown
) -> None:
    domain_id = studio.domain("leaving")
    studio.populate(domain_id, profiles=2, shared_spaces=1, apps={"InService": 3})
    neighbour_id = studio.domain("staying")
    studio.populate(neighbour_id, profiles=2, private_spaces=1, apps={"InService": 3}, prefix="n-")
    file_system = studio.sagemaker.describe_domain(DomainId=domain_id)["HomeEfsFileSystemId"]
    residue = domain_residue(cloud, domain_id, file_system)
    # A group that merely carries the leaving domain's group name, in another VPC: a name is no proof
    # of ownership, so it must survive (AWS-FACTS §2: find them by tag and by name, never by guesswork).
    ec2 = cloud.client("ec2")
    other_vpc = ec2.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
    decoy = ec2.create_security_group(
        GroupName=f"security-group-for-inbound-nfs-{domain_id}", Description="not SageMaker's", VpcId=other_vpc
    )["GroupId"]
    neighbour_before = _neighbour(cloud, neighbour_id)

    execution = teardown.run({"DomainId": domain_id, "Confirm": domain_id, "HomeEfsFileSystem": "Delete"})

    report = execution.report()
    assert domain_residue(cloud, domain_id, file_system) == {**NOTHING, "SecurityGroups": [decoy]}
    # DeleteDomain's RetentionPolicy Delete may remove the file system and its mount targets itself
    # (docs.aws.amazon.com/sagemaker/latest/APIReference/API_DeleteDomain.html): the report lists what the
    # teardown's own calls deleted, so those two are listed at most; the NFS groups AWS never removes.
    assert set(_ids(report["Deleted"]["FileSystems"], "FileSystemId")) <= set(residue["FileSystems"])
    assert set(_ids(report["Deleted"]["MountTargets"], "MountTargetId")) <= set(residue["MountTargets"])
    assert _ids(report["Deleted"]["SecurityGroups"], "GroupId") == residue["SecurityGroups"]
    assert all(report["Kept"][kind] == [] for kind in NOTHING)
    assert _neighbour(cloud, neighbour_id) == neighbour_before


@pytest.mark.slow
def test_after_delete_nothing_of_the_domain_blocks_deleting_its_vpc(
    cloud: LocalCloud, studio: StudioBuilder, teardown: Teardown
) -> None:
    # The NFS groups reference each other and, left behind, block deleting the VPC (AWS-FACTS §2).
    domain_id = studio.domain()
    studio.populate(domain_id, profiles=1, apps={"InService": 1})
    network = studio.network()

    execution = teardown.run({"DomainId": domain_id, "Confirm": domain_id, "HomeEfsFileSystem": "Delete"})

    assert execution.status == "SUCCEEDED", execution.cause
    ec2 = cloud.client("ec2")
    assert (
        ec2.describe_network_interfaces(Filters=[{"Name": "vpc-id", "Values": [network.vpc_id]}])["NetworkInterfaces"]
        == []
    )
    for subnet_id in network.subnet_ids:
        ec2.delete_subnet(SubnetId=subnet_id)
    ec2.delete_vpc(VpcId=network.vpc_id)
    assert ec2.describe_vpcs(Filters=[{"Name": "vpc-id", "Values": [network.vpc_id]}])["Vpcs"] == []
