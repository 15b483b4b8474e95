"""Latencies, jitter and ``install``: how long changes take, and a fresh Studio for every cloud."""

from __future__ import annotations

import pytest

from localcloud import LocalCloud
from localcloud.fidelity import watch_client
from localcloud.sagemaker import Latencies, controls, install
from localcloud.sagemaker.latency import LatencyModel


def test_default_latencies_are_minutes_not_seconds():
    latencies = Latencies()
    assert 60 <= latencies.domain_create <= 900
    assert 60 <= latencies.app_create <= 600
    assert latencies.jitter == 0
    assert latencies.longest() == latencies.domain_create


def test_latencies_refuse_negative_durations_and_jitter_of_one_or_more():
    with pytest.raises(ValueError, match="app_create"):
        Latencies(app_create=-1)
    with pytest.raises(ValueError, match="jitter"):
        Latencies(jitter=1.0)


def test_mount_target_deletes_are_part_of_the_model_and_only_modelled_changes_have_a_latency():
    # DeleteMountTarget returns while the mount target is "deleting"
    # (https://docs.aws.amazon.com/efs/latest/ug/API_DeleteMountTarget.html); AWS gives no duration, so the
    # default is a minute or two, as clean-up scripts wait (https://github.com/awslabs/kubeflow-manifests/pull/217).
    latencies = Latencies()
    assert 30 <= latencies.mount_target_delete <= 300
    assert LatencyModel(latencies).draw("mount_target", "delete") == latencies.mount_target_delete
    assert Latencies(mount_target_delete=1000).longest() == 1000
    assert Latencies.instant().mount_target_delete == 0
    with pytest.raises(ValueError, match="mount_target"):
        Latencies(mount_target_delete=-1)
    with pytest.raises(ValueError, match="no mount_target create latency"):
        latencies.base("mount_target", "create")
    with pytest.raises(ValueError, match="no app update latency"):
        latencies.base("app", "update")


def test_jitter_is_bounded_and_repeats_with_the_seed():
    latencies = Latencies(app_create=100, jitter=0.2)
    draws = [LatencyModel(latencies, seed=7).draw("app", "create") for _ in range(2)]
    assert draws[0] == draws[1]
    model = LatencyModel(latencies, seed=7)
    samples = [model.draw("app", "create") for _ in range(200)]
    assert all(80 <= s <= 120 for s in samples)
    assert len(set(samples)) > 100
    assert max(samples) <= latencies.longest()


def test_instant_latencies_settle_every_change_at_once(monkeypatch):
    monkeypatch.setenv("MOTO_EC2_LOAD_DEFAULT_AMIS", "false")
    with LocalCloud(latencies=Latencies.instant()) as cloud:
        ec2 = cloud.client("ec2")
        vpc_id = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
        subnet = ec2.create_subnet(VpcId=vpc_id, CidrBlock="10.0.0.0/24")["Subnet"]["SubnetId"]
        sm = watch_client(cloud.client("sagemaker"))
        domain_id = sm.create_domain(
            DomainName="instant",
            AuthMode="IAM",
            DefaultUserSettings={"ExecutionRole": "arn:aws:iam::123456789012:role/SageMakerExecution"},
            VpcId=vpc_id,
            SubnetIds=[subnet],
        )["DomainId"]
        assert sm.describe_domain(DomainId=domain_id)["Status"] == "InService"
        file_system_id = sm.describe_domain(DomainId=domain_id)["HomeEfsFileSystemId"]
        sm.delete_domain(DomainId=domain_id, RetentionPolicy={"HomeEfsFileSystem": "Delete"})
        assert sm.list_domains()["Domains"] == []
        efs = cloud.client("efs")
        assert all(fs["FileSystemId"] != file_system_id for fs in efs.describe_file_systems()["FileSystems"])
        assert ec2.describe_network_interfaces()["NetworkInterfaces"] == []  # mount targets went at once too


def test_jittered_cloud_is_reproducible_with_the_same_seed(monkeypatch):
    monkeypatch.setenv("MOTO_EC2_LOAD_DEFAULT_AMIS", "false")

    def run(seed: int) -> tuple[str, float]:
        latencies = Latencies(domain_create=600, jitter=0.5)
        with LocalCloud(latencies=latencies, seed=seed) as cloud:
            ec2 = cloud.client("ec2")
            vpc_id = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
            subnet = ec2.create_subnet(VpcId=vpc_id, CidrBlock="10.0.0.0/24")["Subnet"]["SubnetId"]
            sm = cloud.client("sagemaker")
            domain_id = sm.create_domain(
                DomainName="jitter",
                AuthMode="IAM",
                DefaultUserSettings={"ExecutionRole": "arn:aws:iam::123456789012:role/SageMakerExecution"},
                VpcId=vpc_id,
                SubnetIds=[subnet],
            )["DomainId"]
            waited = 0.0
            while sm.describe_domain(DomainId=domain_id)["Status"] == "Pending":
                cloud.clock.advance(10)
                waited += 10
            return domain_id, waited

    first, again, other = run(1), run(1), run(2)
    assert first == again
    assert 300 <= first[1] <= 910
    assert other[0] != first[0]


def test_install_starts_an_empty_studio(cloud, sm, domain):
    assert controls.get_store(cloud.account_id, cloud.region).domains
    install()
    assert controls.get_store(cloud.account_id, cloud.region).domains == {}
    assert sm.list_domains()["Domains"] == []
