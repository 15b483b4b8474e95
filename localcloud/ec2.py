"""EC2 dependency checks that moto 5.2 lacks, so a teardown meets the refusals AWS gives it.

moto deletes a security group, a subnet or a VPC whatever still depends on it. A SageMaker domain's
leftovers (two NFS security groups whose rules reference each other, one mount-target network interface
per subnet) are exactly what AWS refuses to let go of, so this module adds AWS's checks:

- ``DeleteSecurityGroup`` fails ``DependencyViolation`` ("resource sg-… has a dependent object") while a
  rule (ingress or egress) of *another* group references the group, or a network interface uses it; a
  group's rules that reference only itself do not hold it. The default group of a VPC is ``CannotDelete``.
- ``DeleteSubnet`` fails ``DependencyViolation`` while a network interface is in the subnet.
- ``DeleteVpc`` fails ``DependencyViolation`` while a security group other than the default one is in it.

The checks wrap moto's EC2 *response handlers*, so every API caller (boto3 in-process, the CLI against
the server) gets them, while moto's own internals (``DeleteVpc`` removing the default group) stay as
they are. :func:`install` is idempotent; :class:`localcloud.LocalCloud` and the server call it.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable
from typing import Any

from moto.ec2.exceptions import DependencyViolationError, EC2ClientError
from moto.ec2.responses.security_groups import SecurityGroups
from moto.ec2.responses.subnets import Subnets
from moto.ec2.responses.vpcs import VPCs

_lock = threading.Lock()
_installed: list[bool] = []

Handler = Callable[..., Any]


class CannotDeleteError(EC2ClientError):
    def __init__(self, group_id: str, name: str) -> None:
        # AWS's own wording, as AWS answers it
        # (https://github.com/alantech/iasql/pull/654: 'the specified group: "sg-963ca3aa" name: "default" ...').
        super().__init__(
            "CannotDelete", f'the specified group: "{group_id}" name: "{name}" cannot be deleted by a user'
        )


def _group_to_delete(response: Any) -> Any:
    """The group DeleteSecurityGroup names, as moto resolves it (None: let moto answer NotFound)."""
    ec2 = response.ec2_backend
    group_id = response._get_param("GroupId")
    if group_id:
        return ec2.get_security_group_from_id(group_id)
    # GroupName addresses a group of the default VPC only
    # (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DeleteSecurityGroup.html).
    name = response._get_param("GroupName")
    return ec2.get_security_group_by_name_or_id(name) if name else None


def _is_referenced(ec2: Any, group: Any) -> bool:
    """Whether a rule of another group names ``group`` (a group's rules about itself do not count)."""
    for groups in ec2.groups.values():
        for other in groups.values():
            if other.id == group.id:
                continue
            for rule in itertools.chain(other.ingress_rules, other.egress_rules):
                if rule.source_group.get("GroupId") == group.id:
                    return True
    return False


def _is_used_by_an_interface(ec2: Any, group: Any) -> bool:
    # ``group_set`` includes the groups of the instance an interface is attached to.
    return any(group in eni.group_set for eni in ec2.enis.values())


def _delete_security_group(original: Handler) -> Handler:
    def delete_security_group(self: Any) -> Any:
        self.error_on_dryrun()  # AWS answers DryRunOperation before looking at dependencies
        group = _group_to_delete(self)
        if group is not None:
            ec2 = self.ec2_backend
            # "The security group can't be the default security group for a VPC."
            # (https://docs.aws.amazon.com/vpc/latest/userguide/deleting-security-groups.html)
            if group.is_default:
                raise CannotDeleteError(group.id, group.name)
            # "If you attempt to delete a security group that is associated with an instance or network
            # interface, is referenced by another security group in the same VPC [...] the operation fails
            # with DependencyViolation." (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DeleteSecurityGroup.html)
            # The message is AWS's, as tools report it (https://github.com/gruntwork-io/cloud-nuke/issues/316).
            # Other VPCs' groups count too: the stricter reading, as a peered VPC's rule also holds a group.
            if _is_referenced(ec2, group) or _is_used_by_an_interface(ec2, group):
                raise DependencyViolationError(f"resource {group.id} has a dependent object")
        return original(self)

    return delete_security_group


def _delete_subnet(original: Handler) -> Handler:
    def delete_subnet(self: Any) -> Any:
        subnet_id = self._get_param("SubnetId")
        # A subnet with a network interface in it (a mount target's, say) cannot go: AWS answers
        # "The subnet 'subnet-…' has dependencies and cannot be deleted."
        # (https://github.com/terraform-aws-modules/terraform-aws-vpc/issues/1081; left-over SageMaker EFS
        # interfaces doing exactly this: https://github.com/hashicorp/terraform-provider-aws/issues/20986).
        if any(eni.subnet.id == subnet_id for eni in self.ec2_backend.enis.values()):
            raise DependencyViolationError(f"The subnet '{subnet_id}' has dependencies and cannot be deleted.")
        return original(self)

    return delete_subnet


def _delete_vpc(original: Handler) -> Handler:
    def delete_vpc(self: Any) -> Any:
        vpc_id = self._get_param("VpcId")
        # "you must [...] delete all security groups associated with the VPC (except the default one)"
        # (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DeleteVpc.html). Left-over groups
        # alone block it, with this message (https://github.com/terraform-aws-modules/terraform-aws-vpc/issues/540).
        groups = self.ec2_backend.groups.get(vpc_id, {})
        if any(not group.is_default for group in groups.values()):
            raise DependencyViolationError(f"The vpc '{vpc_id}' has dependencies and cannot be deleted.")
        return original(self)

    return delete_vpc


def install() -> None:
    """Wrap moto's handlers once per process; later calls change nothing."""
    with _lock:
        if _installed:
            return
        SecurityGroups.delete_security_group = _delete_security_group(  # type: ignore[method-assign]
            SecurityGroups.delete_security_group
        )
        Subnets.delete_subnet = _delete_subnet(Subnets.delete_subnet)  # type: ignore[method-assign]
        VPCs.delete_vpc = _delete_vpc(VPCs.delete_vpc)  # type: ignore[method-assign]
        _installed.append(True)
