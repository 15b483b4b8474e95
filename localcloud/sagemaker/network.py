"""What CreateDomain builds in the customer's account: the home EFS file system, one mount target per
subnet, and the two NFS security groups that reference each other (AWS-FACTS §2).

Calls moto's EC2 and EFS backends directly: a request handler cannot make boto3 calls into moto.
Everything is tagged ``ManagedByAmazonSageMakerResource=<domain ARN>`` so clean-up code can find it.
The backends carry :mod:`localcloud.efs`'s patches, so a mount target created here has AWS's network
interface and deletes over time like any other.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from moto.ec2.models import ec2_backends
from moto.efs.models import efs_backends
from moto.sagemaker.exceptions import ValidationError

from localcloud import efs as efs_patches
from localcloud.sagemaker.store import get_store

MANAGED_BY_TAG = "ManagedByAmazonSageMakerResource"
NFS_PORT = "2049"


@dataclass
class HomeNetwork:
    file_system_id: str | None = None
    inbound_security_group_id: str | None = None
    outbound_security_group_id: str | None = None
    mount_target_ids: list[str] = field(default_factory=list)


def validate(account_id: str, region: str, vpc_id: str, subnet_ids: list[str]) -> None:
    """AWS fails CreateDomain when the VPC or a subnet does not exist, or a subnet is in another VPC."""
    ec2: Any = ec2_backends[account_id][region]
    if vpc_id not in ec2.vpcs:
        raise ValidationError(f"The VPC ID '{vpc_id}' does not exist.")
    if not subnet_ids:
        raise ValidationError("SubnetIds must contain at least one subnet.")
    for subnet_id in subnet_ids:
        try:
            subnet = ec2.get_subnet(subnet_id)
        except Exception:  # noqa: BLE001 - moto raises its own InvalidSubnetIdError; AWS answers a ValidationException
            raise ValidationError(f"The subnet ID '{subnet_id}' does not exist.") from None
        if subnet.vpc_id != vpc_id:
            raise ValidationError(f"Subnet '{subnet_id}' does not belong to VPC '{vpc_id}'.")


def create_security_groups(account_id: str, region: str, domain_id: str, domain_arn: str, vpc_id: str) -> HomeNetwork:
    """The inbound group admits NFS from the outbound group; the outbound group sends NFS to the inbound one."""
    ec2: Any = ec2_backends[account_id][region]
    tags = {MANAGED_BY_TAG: domain_arn}
    inbound = ec2.create_security_group(
        f"security-group-for-inbound-nfs-{domain_id}",
        f"[DO NOT DELETE] Security Group that allows inbound NFS traffic for SageMaker Notebooks Domain [{domain_id}]",
        vpc_id=vpc_id,
        tags=tags,
    )
    outbound = ec2.create_security_group(
        f"security-group-for-outbound-nfs-{domain_id}",
        f"[DO NOT DELETE] Security Group that allows outbound NFS traffic for SageMaker Notebooks Domain [{domain_id}]",
        vpc_id=vpc_id,
        tags=tags,
    )
    ec2.authorize_security_group_ingress(
        inbound.id, "tcp", NFS_PORT, NFS_PORT, [], source_groups=[{"GroupId": outbound.id}], vpc_id=vpc_id
    )
    ec2.authorize_security_group_egress(
        outbound.id, "tcp", NFS_PORT, NFS_PORT, [], source_groups=[{"GroupId": inbound.id}], vpc_id=vpc_id
    )
    return HomeNetwork(inbound_security_group_id=inbound.id, outbound_security_group_id=outbound.id)


def create_home_file_system(
    account_id: str, region: str, domain_id: str, domain_arn: str, *, network: HomeNetwork, kms_key_id: str | None
) -> str:
    efs: Any = efs_backends[account_id][region]
    file_system = efs.create_file_system(
        creation_token=f"sagemaker-home-{domain_id}",
        performance_mode="generalPurpose",
        encrypted=True,
        kms_key_id=kms_key_id,
        throughput_mode="bursting",
        provisioned_throughput_in_mibps=None,
        availability_zone_name=None,
        backup=False,
        tags=[{"Key": MANAGED_BY_TAG, "Value": domain_arn}],
    )
    network.file_system_id = file_system.file_system_id
    return str(file_system.file_system_id)


def add_mount_targets(account_id: str, region: str, network: HomeNetwork, subnet_ids: list[str]) -> None:
    """One mount target per subnet, guarded by the inbound group.

    EFS allows one mount target per Availability Zone, so a second subnet in a zone already served is
    skipped rather than failing the whole domain.
    """
    if network.file_system_id is None:
        return
    efs: Any = efs_backends[account_id][region]
    ec2: Any = ec2_backends[account_id][region]
    file_system = efs.file_systems_by_id[network.file_system_id]
    served = {target.availability_zone_name for target in file_system.iter_mount_targets()}
    for subnet_id in subnet_ids:
        zone = ec2.get_subnet(subnet_id).availability_zone
        if zone in served:
            continue
        target = efs.create_mount_target(
            network.file_system_id, subnet_id, security_groups=[network.inbound_security_group_id]
        )
        network.mount_target_ids.append(target.mount_target_id)
        served.add(zone)


def delete_home_file_system(account_id: str, region: str, file_system_id: str) -> None:
    """RetentionPolicy Delete, once the domain is gone: "This deletes the Amazon EFS volume along with the
    domain" (https://docs.aws.amazon.com/sagemaker/latest/dg/gs-studio-delete-domain.html).

    EFS deletes no file system that has mount targets
    (https://docs.aws.amazon.com/efs/latest/ug/API_DeleteFileSystem.html), so SageMaker must delete them
    first and wait: here each goes at the mount-target latency, and the file system when the last one has
    gone (re-checked then, in case one was added meanwhile). AWS documents nothing about the NFS security
    groups on this path; they stay, as they do with Retain (AWS-FACTS §2), and they hold nothing once the
    mount-target interfaces are gone.
    """
    efs: Any = efs_backends[account_id][region]
    file_system = efs.file_systems_by_id.get(file_system_id)
    if file_system is None:  # someone removed it already
        return
    targets = [target.mount_target_id for target in file_system.iter_mount_targets()]
    if not targets:
        efs.delete_file_system(file_system_id)
        return
    last = max(efs_patches.start_deleting_mount_target(account_id, region, target) for target in targets)
    get_store(account_id, region).at(last, lambda: delete_home_file_system(account_id, region, file_system_id))
