"""EFS mount targets as AWS runs them, patched into moto's EFS backend.

moto 5.2 removes a mount target (and its network interface) the moment ``DeleteMountTarget`` is called,
and gives the interface neither AWS's description nor its requester-managed flag. Here:

- every mount target's network interface (moto already makes one per mount target, in its subnet, with
  its security groups) reads as AWS's: description ``EFS mount target for fs-… (fsmt-…)``,
  ``RequesterManaged`` true, ``RequesterId`` ``EFS``;
- ``DeleteMountTarget`` returns with the mount target ``deleting``; it and its interface are gone
  ``Latencies.mount_target_delete`` virtual seconds later (jitter included), whether or not anyone calls
  EFS again: the removal is a side effect on the local cloud's clock (see ``StudioStore.at``);
- ``DeleteFileSystem`` fails ``FileSystemInUse``, with AWS's message, while the file system has any
  mount target, ``deleting`` ones included (moto counts them until they are gone).

The patches sit on the backend, so in-process boto3, the HTTP server and the SageMaker emulation's own
clean-up all share them. :func:`install` is idempotent; :class:`localcloud.LocalCloud` and the server call it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from moto.efs.exceptions import FileSystemInUse, MountTargetNotFound
from moto.efs.models import EFSBackend, efs_backends

from localcloud.clock import get_clock
from localcloud.sagemaker.store import get_store

# Private (underscored) so moto's ``info_json``, which lists every public attribute, never shows it.
_GONE_AT = "_localcloud_gone_at"

# CreateMountTarget "sets the requesterManaged property of the network interface to true, and the
# requesterId value to EFS" (https://docs.aws.amazon.com/efs/latest/ug/API_CreateMountTarget.html).
REQUESTER_ID = "EFS"

_lock = threading.Lock()
_installed: list[bool] = []


def interface_description(file_system_id: str, mount_target_id: str) -> str:
    # What AWS writes, as its CloudTrail example of the CreateNetworkInterface call EFS makes shows
    # ("EFS mount target for fs-1234567 (fsmt-1234567)",
    # https://docs.aws.amazon.com/efs/latest/ug/logging-using-cloudtrail.html) and as tools that match on
    # it expect. (The CreateMountTarget reference still says "Mount target fsmt-id for file system fs-id";
    # the interfaces AWS really creates do not read so.)
    return f"EFS mount target for {file_system_id} ({mount_target_id})"


def gone_at(mount_target: Any) -> datetime | None:
    """When a ``deleting`` mount target disappears (None while it is not being deleted)."""
    when: datetime | None = getattr(mount_target, _GONE_AT, None)
    return when


def start_deleting_mount_target(account_id: str, region: str, mount_target_id: str) -> datetime:
    """DeleteMountTarget: mark the mount target ``deleting`` and plan its removal; return when it goes.

    "The DeleteMountTarget call returns while the mount target state is still deleting. You can check the
    mount target deletion by calling the DescribeMountTargets operation"
    (https://docs.aws.amazon.com/efs/latest/ug/API_DeleteMountTarget.html).
    """
    backend: Any = efs_backends[account_id][region]
    target = backend.mount_targets_by_id.get(mount_target_id)
    if target is None:
        raise MountTargetNotFound(mount_target_id)
    already = gone_at(target)
    if already is not None:
        # AWS does not document a second delete of a deleting mount target, and DeleteMountTarget's model
        # lists no state error to answer with: it is accepted and changes nothing.
        return already
    store = get_store(account_id, region)
    now = get_clock().now()
    when = now + timedelta(seconds=store.latency.draw("mount_target", "delete"))
    target.life_cycle_state = "deleting"
    setattr(target, _GONE_AT, when)
    store.at(when, lambda: _remove(backend, target))
    store.settle(now)  # an instant latency removes it before the call returns
    return when


def _remove(backend: Any, target: Any) -> None:
    """The mount target is gone, and "the operation also deletes the associated network interface"
    (https://docs.aws.amazon.com/efs/latest/ug/API_DeleteMountTarget.html)."""
    if backend.mount_targets_by_id.get(target.mount_target_id) is not target:
        return
    del backend.mount_targets_by_id[target.mount_target_id]
    backend.ec2_backend.enis.pop(target.network_interface_id, None)
    target.clean_up()  # frees its Availability Zone slot on the file system and its IP address


def _create_mount_target(original: Callable[..., Any]) -> Callable[..., Any]:
    def create_mount_target(self: Any, *args: Any, **kwargs: Any) -> Any:
        target = original(self, *args, **kwargs)
        interface = self.ec2_backend.enis[target.network_interface_id]
        interface.description = interface_description(target.file_system_id, target.mount_target_id)
        interface.requester_managed = True
        interface.requester_id = REQUESTER_ID
        return target

    return create_mount_target


def _delete_mount_target(self: Any, mount_target_id: str) -> None:
    start_deleting_mount_target(self.account_id, self.region_name, mount_target_id)


def _delete_file_system(original: Callable[..., Any]) -> Callable[..., Any]:
    def delete_file_system(self: Any, file_system_id: str) -> None:
        file_system = self.file_systems_by_id.get(file_system_id)
        # "You can't delete a file system that is in use. That is, if the file system has any mount
        # targets, you must first delete them." (https://docs.aws.amazon.com/efs/latest/ug/API_DeleteFileSystem.html)
        # A deleting mount target still counts; the message is AWS's, as tools report it
        # (https://github.com/rebuy-de/aws-nuke/issues/1203).
        if file_system is not None and file_system.number_of_mount_targets:
            raise FileSystemInUse(
                f"The file system '{file_system_id}' cannot be deleted because it has mount targets. "
                "You must delete the mount targets, and then try again."
            )
        original(self, file_system_id)

    return delete_file_system


def install() -> None:
    """Patch moto's EFS backend once per process; later calls change nothing."""
    with _lock:
        if _installed:
            return
        EFSBackend.create_mount_target = _create_mount_target(  # type: ignore[method-assign]
            EFSBackend.create_mount_target
        )
        EFSBackend.delete_mount_target = _delete_mount_target  # type: ignore[method-assign]
        EFSBackend.delete_file_system = _delete_file_system(  # type: ignore[method-assign]
            EFSBackend.delete_file_system
        )
        _installed.append(True)
