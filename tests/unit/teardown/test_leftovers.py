"""What a deleted domain leaves behind (AWS-FACTS §2;
https://docs.aws.amazon.com/sagemaker/latest/dg/gs-studio-delete-domain.html): kept and listed with Retain,
removed with Delete, and never anything of another domain."""

from __future__ import annotations

from typing import Any, Literal

from domain_steward.teardown import leftovers
from domain_steward.teardown.stages import Clients, run_round
from localcloud import LocalCloud
from tests.unit.studio_builder import LATENCIES
from tests.unit.teardown.support import Studio, budget, progress_of, target_of


def _residue(clients: Clients, domain_id: str, file_system_id: str) -> dict[str, Any]:
    groups = clients.ec2.describe_security_groups(
        Filters=[{"Name": "group-name", "Values": leftovers.security_group_names(domain_id)}]
    )["SecurityGroups"]
    file_systems = [
        f for f in clients.efs.describe_file_systems()["FileSystems"] if f["FileSystemId"] == file_system_id
    ]
    targets = clients.efs.describe_mount_targets(FileSystemId=file_system_id)["MountTargets"] if file_systems else []
    return {"FileSystems": len(file_systems), "MountTargets": len(targets), "SecurityGroups": len(groups)}


def _delete_domain(
    cloud: LocalCloud, clients: Clients, domain_id: str, retention: Literal["Retain", "Delete"] = "Retain"
) -> None:
    clients.sagemaker.delete_domain(DomainId=domain_id, RetentionPolicy={"HomeEfsFileSystem": retention})
    cloud.clock.advance(LATENCIES.longest() * 2)


def _finish_leftovers(cloud: LocalCloud, clients: Clients, target: Any) -> Any:
    progress = progress_of(target, cloud.clock.now())
    progress.stages[0].stage = "Leftovers"
    for _ in range(200):
        progress = run_round(clients, progress, cloud.clock.now, budget())
        if progress.finished:
            return progress
        cloud.clock.advance(progress.wait_seconds)
    raise AssertionError(progress.remaining)


def test_retain_keeps_the_residue_and_lists_it(cloud: LocalCloud, clients: Clients, studio: Studio):
    domain_id = studio.domain()
    target = target_of(clients, domain_id, retention="Retain")
    _delete_domain(cloud, clients, domain_id)

    progress = _finish_leftovers(cloud, clients, target)

    assert progress.kept.counts == {"FileSystems": 1, "MountTargets": 2, "SecurityGroups": 2}
    assert progress.deleted.counts == {}
    assert _residue(clients, domain_id, str(target.home_efs_file_system_id)) == {
        "FileSystems": 1,
        "MountTargets": 2,
        "SecurityGroups": 2,
    }


def test_delete_removes_mount_targets_then_the_file_system_then_both_groups(
    cloud: LocalCloud, clients: Clients, studio: Studio
):
    domain_id = studio.domain()
    target = target_of(clients, domain_id, retention="Delete")
    # Retain at DeleteDomain: the whole residue is the teardown's to remove.
    _delete_domain(cloud, clients, domain_id, "Retain")

    progress = _finish_leftovers(cloud, clients, target)

    assert progress.deleted.counts == {"MountTargets": 2, "FileSystems": 1, "SecurityGroups": 2}
    assert _residue(clients, domain_id, str(target.home_efs_file_system_id)) == {
        "FileSystems": 0,
        "MountTargets": 0,
        "SecurityGroups": 0,
    }
    # The file system only once every mount target had gone (EFS API_DeleteFileSystem: FileSystemInUse).
    operations = [c.operation for c in cloud.calls if c.operation in ("DeleteMountTarget", "DeleteFileSystem")]
    assert operations == ["DeleteMountTarget", "DeleteMountTarget", "DeleteFileSystem"]


def test_another_domain_in_the_same_vpc_is_never_touched(cloud: LocalCloud, clients: Clients, studio: Studio):
    doomed, neighbour = studio.domain("doomed"), studio.domain("neighbour")
    target = target_of(clients, doomed, retention="Delete")
    neighbour_fs = clients.sagemaker.describe_domain(DomainId=neighbour)["HomeEfsFileSystemId"]
    _delete_domain(cloud, clients, doomed)

    _finish_leftovers(cloud, clients, target)

    assert _residue(clients, neighbour, neighbour_fs) == {"FileSystems": 1, "MountTargets": 2, "SecurityGroups": 2}
    group_ids = {
        g["GroupId"]
        for g in clients.ec2.describe_security_groups(
            Filters=[{"Name": "group-name", "Values": leftovers.security_group_names(neighbour)}]
        )["SecurityGroups"]
    }
    touched = {c.params.get("GroupId") for c in cloud.calls if c.service == "ec2" and "SecurityGroup" in c.operation}
    assert not group_ids & touched


def test_a_file_system_without_the_domain_tag_is_not_the_domain_s(cloud: LocalCloud, clients: Clients, studio: Studio):
    domain_id = studio.domain()
    stranger = clients.efs.create_file_system(CreationToken="someone-elses")["FileSystemId"]
    target = target_of(clients, domain_id, retention="Delete", home_efs_file_system_id=stranger)

    found = leftovers.find(clients.efs, clients.ec2, target)

    assert found.file_systems == []
    assert found.mount_targets == []
