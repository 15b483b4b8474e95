"""The design goal of the local cloud: a teardown-shaped state machine with Wait loops runs against an
emulated domain of a thousand user profiles in seconds of real time, with every status change driven by
the virtual clock that the Wait states advance."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from localcloud import LocalCloud
from localcloud.sagemaker import Latencies

TEMPLATE = Path(__file__).resolve().parents[1] / "fixtures" / "scale" / "template.yaml"
PROFILES = 1000
ROLE = "arn:aws:iam::123456789012:role/SageMakerExecution"


def _domain_with_profiles(cloud: LocalCloud) -> str:
    ec2, sagemaker = cloud.client("ec2"), cloud.client("sagemaker")
    vpc_id = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc_id, CidrBlock="10.0.1.0/24", AvailabilityZone="us-east-1a")
    domain_id = str(
        sagemaker.create_domain(
            DomainName="crowded",
            AuthMode="IAM",
            DefaultUserSettings={"ExecutionRole": ROLE},
            VpcId=vpc_id,
            SubnetIds=[subnet["Subnet"]["SubnetId"]],
        )["DomainId"]
    )
    cloud.clock.advance(Latencies().domain_create)
    for index in range(PROFILES):
        sagemaker.create_user_profile(DomainId=domain_id, UserProfileName=f"user-{index:04d}")
    cloud.clock.advance(Latencies().user_profile_create)
    return domain_id


def test_a_wait_loop_teardown_of_a_thousand_profiles_runs_in_seconds():
    with LocalCloud() as cloud:
        stack = cloud.deploy(TEMPLATE)
        domain_id = _domain_with_profiles(cloud)
        file_system = cloud.client("sagemaker").describe_domain(DomainId=domain_id)["HomeEfsFileSystemId"]
        cloud.calls.clear()
        started_virtual, started_real = cloud.clock.now(), time.perf_counter()

        execution = stack.start_execution("DrainDomainStateMachine", {"DomainId": domain_id})

        real_seconds = time.perf_counter() - started_real
        assert execution["status"] == "SUCCEEDED", execution.get("cause")
        assert cloud.calls.count("sagemaker", "DeleteUserProfile") == PROFILES
        # Two passes: the first deletes all, the second, a minute later, finds none left.
        assert cloud.calls.count("lambda", "Invoke") == 2
        assert cloud.client("sagemaker").list_domains()["Domains"] == []
        # RetentionPolicy Delete: the home file system goes once its mount targets have gone after the domain.
        cloud.clock.advance(Latencies().mount_target_delete)
        with pytest.raises(ClientError, match="FileSystemNotFound"):
            cloud.client("efs").describe_file_systems(FileSystemId=file_system)
        virtual_seconds = (cloud.clock.now() - started_virtual).total_seconds()
        assert virtual_seconds >= Latencies().user_profile_delete + Latencies().domain_delete
        assert real_seconds < 60, f"took {real_seconds:.1f} s of real time"
