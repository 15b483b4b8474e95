"""What a deleted domain leaves behind, and removing it: the home EFS file system, its mount targets, and the
two NFS security groups that reference each other (AWS-FACTS §2;
https://docs.aws.amazon.com/sagemaker/latest/dg/gs-studio-delete-domain.html).

Each resource is identified by everything that ties it to this domain, never by a name pattern alone: the
file system by the domain's ``HomeEfsFileSystemId`` and its ``ManagedByAmazonSageMakerResource`` tag (the
domain's ARN); the security groups by their name (which holds the domain id), that tag, and the domain's VPC.
A resource of another domain never matches all of these.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from domain_steward.studio import error_code
from domain_steward.tags import SAGEMAKER_MANAGED_BY, tag_map
from domain_steward.teardown.outcome import Outcome

if TYPE_CHECKING:
    from mypy_boto3_ec2 import EC2Client
    from mypy_boto3_efs import EFSClient

    from domain_steward.teardown.progress import Target

# Mount target and file system states that still exist but are already on their way out.
_GOING = frozenset({"deleting", "deleted"})


def security_group_names(domain_id: str) -> list[str]:
    """The names SageMaker gives a domain's NFS groups (AWS-FACTS §2)."""
    return [f"security-group-for-inbound-nfs-{domain_id}", f"security-group-for-outbound-nfs-{domain_id}"]


@dataclass
class Leftovers:
    file_systems: list[dict[str, Any]] = field(default_factory=list)
    mount_targets: list[dict[str, Any]] = field(default_factory=list)
    security_groups: list[dict[str, Any]] = field(default_factory=list)

    def by_kind(self) -> dict[str, list[dict[str, Any]]]:
        return {
            "FileSystems": [{"FileSystemId": fs["FileSystemId"]} for fs in self.file_systems],
            "MountTargets": [
                {"MountTargetId": mt["MountTargetId"], "FileSystemId": mt["FileSystemId"], "SubnetId": mt["SubnetId"]}
                for mt in self.mount_targets
            ],
            "SecurityGroups": [{"GroupId": sg["GroupId"], "GroupName": sg["GroupName"]} for sg in self.security_groups],
        }


def _home_file_system(efs: EFSClient, file_system_id: str, domain_arn: str) -> dict[str, Any] | None:
    try:
        found = efs.describe_file_systems(FileSystemId=file_system_id)["FileSystems"]
    except Exception as error:
        if error_code(error) == "FileSystemNotFound":
            return None
        raise
    for file_system in found:
        # Only the file system SageMaker made for this domain: its tag names the domain's ARN.
        if tag_map(file_system.get("Tags", [])).get(SAGEMAKER_MANAGED_BY) == domain_arn:
            return dict(file_system)
    return None


def _mount_targets(efs: EFSClient, file_system_id: str) -> list[dict[str, Any]]:
    return [
        dict(target)
        for page in efs.get_paginator("describe_mount_targets").paginate(FileSystemId=file_system_id)
        for target in page.get("MountTargets", [])
        if target.get("LifeCycleState") != "deleted"
    ]


def _security_groups(ec2: EC2Client, domain_id: str, domain_arn: str, vpc_id: str) -> list[dict[str, Any]]:
    filters = [
        {"Name": "vpc-id", "Values": [vpc_id]},
        {"Name": "group-name", "Values": security_group_names(domain_id)},
        {"Name": f"tag:{SAGEMAKER_MANAGED_BY}", "Values": [domain_arn]},
    ]
    return [
        dict(group)
        for page in ec2.get_paginator("describe_security_groups").paginate(Filters=filters)  # type: ignore[arg-type]
        for group in page.get("SecurityGroups", [])
    ]


def find(efs: EFSClient, ec2: EC2Client, target: Target) -> Leftovers:
    """This domain's home file system, its mount targets and its NFS security groups, as they are now."""
    leftovers = Leftovers()
    if target.home_efs_file_system_id:
        file_system = _home_file_system(efs, target.home_efs_file_system_id, target.domain_arn)
        if file_system is not None:
            leftovers.mount_targets = _mount_targets(efs, file_system["FileSystemId"])
            if file_system.get("LifeCycleState") != "deleted":
                leftovers.file_systems = [file_system]
    if target.vpc_id:
        leftovers.security_groups = _security_groups(ec2, target.domain_id, target.domain_arn, target.vpc_id)
    return leftovers


def sweep(efs: EFSClient, ec2: EC2Client, target: Target) -> Outcome:
    """One round of removing the leftovers: mount targets, then (once they are gone) the file system and the
    security groups. Whatever is still there, or on its way out, is reported as waiting."""
    leftovers = find(efs, ec2, target)
    outcome = Outcome()
    for mount_target in leftovers.mount_targets:
        outcome.merge(_delete_mount_target(efs, mount_target))
    if leftovers.mount_targets:
        # The file system cannot go while any mount target exists, deleting ones included
        # (https://docs.aws.amazon.com/efs/latest/ug/API_DeleteFileSystem.html), and each mount target's
        # network interface, which uses the inbound NFS group, lives until the mount target is gone.
        outcome.waiting += [(f"FileSystem {fs['FileSystemId']}", fs["LifeCycleState"]) for fs in leftovers.file_systems]
        outcome.waiting += [(f"SecurityGroup {sg['GroupId']}", "in use") for sg in leftovers.security_groups]
        return outcome
    for file_system in leftovers.file_systems:
        outcome.merge(_delete_file_system(efs, file_system))
    for group in leftovers.security_groups:
        _revoke_rules(ec2, group)
    for group in leftovers.security_groups:
        outcome.merge(_delete_security_group(ec2, group))
    return outcome


def _delete_mount_target(efs: EFSClient, mount_target: dict[str, Any]) -> Outcome:
    label, state = f"MountTarget {mount_target['MountTargetId']}", mount_target["LifeCycleState"]
    if state in _GOING:
        return Outcome(waiting=[(label, state)])
    try:
        # Returns while the mount target is still `deleting`; DescribeMountTargets shows when it has gone
        # (https://docs.aws.amazon.com/efs/latest/ug/API_DeleteMountTarget.html).
        efs.delete_mount_target(MountTargetId=mount_target["MountTargetId"])
    except Exception as error:
        if error_code(error) == "MountTargetNotFound":
            return Outcome()
        raise
    identity = {
        "MountTargetId": mount_target["MountTargetId"],
        "FileSystemId": mount_target["FileSystemId"],
        "SubnetId": mount_target["SubnetId"],
    }
    return Outcome(waiting=[(label, "deleting")], deleted=[("MountTargets", identity)])


def _delete_file_system(efs: EFSClient, file_system: dict[str, Any]) -> Outcome:
    file_system_id = file_system["FileSystemId"]
    label, state = f"FileSystem {file_system_id}", file_system["LifeCycleState"]
    if state in _GOING:
        return Outcome(waiting=[(label, state)])
    try:
        # Also returns while the file system is still `deleting` (API_DeleteFileSystem, link above).
        efs.delete_file_system(FileSystemId=file_system_id)
    except Exception as error:
        code = error_code(error)
        if code == "FileSystemNotFound":
            return Outcome()
        if code == "FileSystemInUse":  # a mount target appeared since we looked: next round
            return Outcome(waiting=[(label, "in use")])
        raise
    return Outcome(waiting=[(label, "deleting")], deleted=[("FileSystems", {"FileSystemId": file_system_id})])


def _revoke_rules(ec2: EC2Client, group: dict[str, Any]) -> None:
    """Drop every rule of the group: the two NFS groups reference each other, and a group that another
    group's rule references cannot be deleted
    (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DeleteSecurityGroup.html)."""
    rules = [
        rule
        for page in ec2.get_paginator("describe_security_group_rules").paginate(
            Filters=[{"Name": "group-id", "Values": [group["GroupId"]]}]
        )
        for rule in page.get("SecurityGroupRules", [])
    ]
    ingress = [rule["SecurityGroupRuleId"] for rule in rules if not rule.get("IsEgress")]
    egress = [rule["SecurityGroupRuleId"] for rule in rules if rule.get("IsEgress")]
    for revoke, ids in ((ec2.revoke_security_group_ingress, ingress), (ec2.revoke_security_group_egress, egress)):
        if not ids:
            continue
        try:
            revoke(GroupId=group["GroupId"], SecurityGroupRuleIds=ids)
        except Exception as error:
            # A rule or the group went meanwhile; the delete below tells whether anything still blocks it.
            if error_code(error) not in ("InvalidGroup.NotFound", "InvalidSecurityGroupRuleId.NotFound"):
                raise


def _delete_security_group(ec2: EC2Client, group: dict[str, Any]) -> Outcome:
    label = f"SecurityGroup {group['GroupId']}"
    try:
        ec2.delete_security_group(GroupId=group["GroupId"])
    except Exception as error:
        code = error_code(error)
        if code == "InvalidGroup.NotFound":
            return Outcome()
        if code == "DependencyViolation":
            # Still used by a network interface (a mount target's, or an app's going away) or referenced by
            # a rule of another group: retried next round, with a growing wait (API_DeleteSecurityGroup).
            return Outcome(waiting=[(label, "DependencyViolation")], blocked=True)
        raise
    return Outcome(deleted=[("SecurityGroups", {"GroupId": group["GroupId"], "GroupName": group["GroupName"]})])
