"""SageMaker Studio domains: lifecycle, validation, the home EFS and NFS security groups, UpdateDomain."""

from __future__ import annotations

import re
from typing import Any

import pytest
from botocore.exceptions import ClientError

from localcloud.fidelity import watch_client
from localcloud.sagemaker import Latencies

LATENCIES = Latencies()


def code(excinfo: pytest.ExceptionInfo[ClientError]) -> str:
    return str(excinfo.value.response["Error"]["Code"])


def sagemaker_groups(client: Any, domain_id: str) -> dict[str, dict[str, Any]]:
    groups = client("ec2").describe_security_groups()["SecurityGroups"]
    return {g["GroupName"]: g for g in groups if g["GroupName"].endswith(domain_id)}


# -- lifecycle ---------------------------------------------------------------------------------------


def test_create_domain_returns_an_aws_shaped_id_arn_and_url(sm, new_domain):
    domain_id = new_domain()
    assert re.fullmatch(r"d-[a-z0-9]{12}", domain_id)
    described = sm.describe_domain(DomainId=domain_id)
    assert described["DomainArn"] == f"arn:aws:sagemaker:us-east-1:123456789012:domain/{domain_id}"
    assert described["Url"] == f"https://{domain_id}.studio.us-east-1.sagemaker.aws"
    assert described["AuthMode"] == "IAM"
    assert described["AppNetworkAccessType"] == "PublicInternetOnly"


def test_domain_is_pending_until_its_create_latency_has_passed(cloud, sm, new_domain):
    domain_id = new_domain()
    assert sm.describe_domain(DomainId=domain_id)["Status"] == "Pending"
    cloud.clock.advance(LATENCIES.domain_create - 1)
    assert sm.describe_domain(DomainId=domain_id)["Status"] == "Pending"
    cloud.clock.advance(1)
    described = sm.describe_domain(DomainId=domain_id)
    assert described["Status"] == "InService"
    assert described["LastModifiedTime"] > described["CreationTime"]


def test_describe_unknown_domain_is_resource_not_found(sm):
    with pytest.raises(ClientError) as excinfo:
        sm.describe_domain(DomainId="d-000000000000")
    assert code(excinfo) == "ResourceNotFound"


def test_delete_domain_goes_deleting_then_gone(cloud, sm, domain):
    sm.delete_domain(DomainId=domain)
    assert sm.describe_domain(DomainId=domain)["Status"] == "Deleting"
    assert [d["Status"] for d in sm.list_domains()["Domains"]] == ["Deleting"]
    cloud.clock.advance(LATENCIES.domain_delete)
    with pytest.raises(ClientError) as excinfo:
        sm.describe_domain(DomainId=domain)
    assert code(excinfo) == "ResourceNotFound"
    assert sm.list_domains()["Domains"] == []


def test_deleting_a_domain_twice_is_resource_in_use(sm, domain):
    sm.delete_domain(DomainId=domain)
    with pytest.raises(ClientError) as excinfo:
        sm.delete_domain(DomainId=domain)
    assert code(excinfo) == "ResourceInUse"


def test_delete_unknown_domain_is_resource_not_found(sm):
    with pytest.raises(ClientError) as excinfo:
        sm.delete_domain(DomainId="d-000000000000")
    assert code(excinfo) == "ResourceNotFound"


def test_delete_domain_refused_while_a_user_profile_remains(cloud, sm, domain, settle):
    sm.create_user_profile(DomainId=domain, UserProfileName="alice")
    with pytest.raises(ClientError) as excinfo:
        sm.delete_domain(DomainId=domain)
    assert code(excinfo) == "ResourceInUse"
    settle()
    sm.delete_user_profile(DomainId=domain, UserProfileName="alice")
    with pytest.raises(ClientError):  # still Deleting: it still exists
        sm.delete_domain(DomainId=domain)
    settle()
    sm.delete_domain(DomainId=domain)


def test_delete_domain_refused_while_a_shared_space_remains(sm, domain, settle):
    sm.create_space(DomainId=domain, SpaceName="team", SpaceSharingSettings={"SharingType": "Shared"})
    with pytest.raises(ClientError) as excinfo:
        sm.delete_domain(DomainId=domain)
    assert code(excinfo) == "ResourceInUse"
    settle()
    sm.delete_space(DomainId=domain, SpaceName="team")
    settle()
    sm.delete_domain(DomainId=domain)


def test_delete_domain_refused_while_the_rstudio_server_app_runs(cloud, sm, domain, settle):
    sm.create_app(DomainId=domain, UserProfileName="domain-shared", AppType="RStudioServerPro", AppName="default")
    settle()
    with pytest.raises(ClientError) as excinfo:
        sm.delete_domain(DomainId=domain)
    assert code(excinfo) == "ResourceInUse"
    sm.delete_app(DomainId=domain, UserProfileName="domain-shared", AppType="RStudioServerPro", AppName="default")
    settle()
    sm.delete_domain(DomainId=domain)  # a Deleted app no longer holds the domain


def test_several_domains_per_account_and_region(sm, new_domain):
    first, second = new_domain("one"), new_domain("two")
    assert first != second
    assert {d["DomainId"] for d in sm.list_domains()["Domains"]} == {first, second}


def test_list_domains_paginates_in_creation_order(sm, new_domain):
    created = [new_domain(f"studio{i}") for i in range(5)]
    seen: list[str] = []
    token = None
    while True:
        page = sm.list_domains(MaxResults=2, **({"NextToken": token} if token else {}))
        assert len(page["Domains"]) <= 2
        seen += [d["DomainId"] for d in page["Domains"]]
        token = page.get("NextToken")
        if not token:
            break
    assert seen == created


def test_list_domains_refuses_a_forged_token(sm, new_domain):
    new_domain()
    with pytest.raises(ClientError) as excinfo:
        sm.list_domains(NextToken="not-a-token")
    assert code(excinfo) == "ValidationException"


# -- validation --------------------------------------------------------------------------------------


def test_create_domain_refuses_an_unknown_auth_mode(new_domain):
    with pytest.raises(ClientError) as excinfo:
        new_domain(AuthMode="LDAP")
    assert code(excinfo) == "ValidationException"


def test_create_domain_refuses_an_invalid_name(new_domain):
    with pytest.raises(ClientError) as excinfo:
        new_domain(name="my_domain")
    assert code(excinfo) == "ValidationException"


def test_create_domain_refuses_a_subnet_that_does_not_exist(sm, vpc, new_domain):
    with pytest.raises(ClientError) as excinfo:
        new_domain(SubnetIds=["subnet-00000000000000000"])
    assert code(excinfo) == "ValidationException"
    assert sm.list_domains()["Domains"] == []


def test_create_domain_refuses_a_subnet_of_another_vpc(cloud, new_domain, client):
    ec2 = client("ec2")
    other = ec2.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
    foreign = ec2.create_subnet(VpcId=other, CidrBlock="10.1.0.0/24")["Subnet"]["SubnetId"]
    with pytest.raises(ClientError) as excinfo:
        new_domain(SubnetIds=[foreign])
    assert code(excinfo) == "ValidationException"


def test_create_domain_refuses_an_unknown_vpc(new_domain):
    with pytest.raises(ClientError) as excinfo:
        new_domain(VpcId="vpc-00000000000000000")
    assert code(excinfo) == "ValidationException"


def test_create_domain_needs_a_vpc_and_subnets(sm):
    with pytest.raises(ClientError) as excinfo:
        sm.create_domain(
            DomainName="x", AuthMode="IAM", DefaultUserSettings={"ExecutionRole": "arn:aws:iam::123456789012:role/x"}
        )
    assert code(excinfo) == "ValidationException"


# -- home EFS and NFS security groups -----------------------------------------------------------------


def test_create_domain_builds_a_tagged_home_efs_with_a_mount_target_per_subnet(cloud, sm, vpc, new_domain, client):
    domain_id = new_domain()
    described = sm.describe_domain(DomainId=domain_id)
    efs = client("efs")
    file_system_id = described["HomeEfsFileSystemId"]
    (file_system,) = efs.describe_file_systems(FileSystemId=file_system_id)["FileSystems"]
    assert {"Key": "ManagedByAmazonSageMakerResource", "Value": described["DomainArn"]} in file_system["Tags"]
    targets = efs.describe_mount_targets(FileSystemId=file_system_id)["MountTargets"]
    assert sorted(t["SubnetId"] for t in targets) == sorted(vpc["SubnetIds"])
    inbound = sagemaker_groups(client, domain_id)[f"security-group-for-inbound-nfs-{domain_id}"]
    for target in targets:
        groups = efs.describe_mount_target_security_groups(MountTargetId=target["MountTargetId"])["SecurityGroups"]
        assert groups == [inbound["GroupId"]]


def test_the_two_nfs_security_groups_reference_each_other(sm, vpc, new_domain, client):
    domain_id = new_domain()
    arn = sm.describe_domain(DomainId=domain_id)["DomainArn"]
    groups = sagemaker_groups(client, domain_id)
    inbound = groups[f"security-group-for-inbound-nfs-{domain_id}"]
    outbound = groups[f"security-group-for-outbound-nfs-{domain_id}"]
    for group in (inbound, outbound):
        assert group["VpcId"] == vpc["VpcId"]
        assert {"Key": "ManagedByAmazonSageMakerResource", "Value": arn} in group["Tags"]
    (ingress,) = inbound["IpPermissions"]
    assert (ingress["IpProtocol"], ingress["FromPort"], ingress["ToPort"]) == ("tcp", 2049, 2049)
    assert [pair["GroupId"] for pair in ingress["UserIdGroupPairs"]] == [outbound["GroupId"]]
    nfs_egress = [rule for rule in outbound["IpPermissionsEgress"] if rule.get("FromPort") == 2049]
    assert [pair["GroupId"] for rule in nfs_egress for pair in rule["UserIdGroupPairs"]] == [inbound["GroupId"]]


def test_retain_policy_keeps_the_efs_mount_targets_and_groups(cloud, sm, domain, client):
    file_system_id = sm.describe_domain(DomainId=domain)["HomeEfsFileSystemId"]
    sm.delete_domain(DomainId=domain, RetentionPolicy={"HomeEfsFileSystem": "Retain"})
    cloud.clock.advance(LATENCIES.domain_delete)
    efs = client("efs")
    assert efs.describe_file_systems(FileSystemId=file_system_id)["FileSystems"]
    assert len(efs.describe_mount_targets(FileSystemId=file_system_id)["MountTargets"]) == 2
    assert len(sagemaker_groups(client, domain)) == 2


def test_retain_is_the_default_retention_policy(cloud, sm, domain, client):
    file_system_id = sm.describe_domain(DomainId=domain)["HomeEfsFileSystemId"]
    sm.delete_domain(DomainId=domain)
    cloud.clock.advance(LATENCIES.domain_delete)
    assert client("efs").describe_file_systems(FileSystemId=file_system_id)["FileSystems"]


def test_delete_policy_removes_the_mount_targets_then_the_efs_once_the_domain_is_gone_but_never_the_groups(
    cloud, sm, domain, client
):
    # "you can set the RetentionPolicy to HomeEfsFileSystem=Delete. This deletes the Amazon EFS volume along
    # with the domain" (https://docs.aws.amazon.com/sagemaker/latest/dg/gs-studio-delete-domain.html). EFS
    # deletes no file system with mount targets, and a mount target takes time to go
    # (https://docs.aws.amazon.com/efs/latest/ug/API_DeleteFileSystem.html,
    # https://docs.aws.amazon.com/efs/latest/ug/API_DeleteMountTarget.html), so the file system outlives
    # the domain by the mount-target latency. Nothing is documented about the NFS groups: they stay.
    file_system_id = sm.describe_domain(DomainId=domain)["HomeEfsFileSystemId"]
    efs = client("efs")
    sm.delete_domain(DomainId=domain, RetentionPolicy={"HomeEfsFileSystem": "Delete"})
    cloud.clock.advance(LATENCIES.domain_delete - 1)
    assert {t["LifeCycleState"] for t in efs.describe_mount_targets(FileSystemId=file_system_id)["MountTargets"]} == {
        "available"
    }  # the domain is still Deleting: nothing of its storage has been touched
    cloud.clock.advance(1)  # the domain is gone; no SageMaker call needed, the clock drives the clean-up
    targets = efs.describe_mount_targets(FileSystemId=file_system_id)["MountTargets"]
    assert [t["LifeCycleState"] for t in targets] == ["deleting", "deleting"]
    assert len(client("ec2").describe_network_interfaces()["NetworkInterfaces"]) == 2
    cloud.clock.advance(LATENCIES.mount_target_delete)
    assert all(fs["FileSystemId"] != file_system_id for fs in efs.describe_file_systems()["FileSystems"])
    assert client("ec2").describe_network_interfaces()["NetworkInterfaces"] == []
    assert len(sagemaker_groups(client, domain)) == 2


def test_home_efs_creation_disabled_builds_no_file_system(cloud, sm, new_domain, client):
    domain_id = new_domain(HomeEfsFileSystemCreation="Disabled")
    assert "HomeEfsFileSystemId" not in sm.describe_domain(DomainId=domain_id)
    assert client("efs").describe_file_systems()["FileSystems"] == []


# -- Identity Center ----------------------------------------------------------------------------------


def test_sso_domain_has_an_identity_center_application(sm, sso_domain):
    described = sm.describe_domain(DomainId=sso_domain)
    assert described["AuthMode"] == "SSO"
    assert re.fullmatch(
        r"arn:aws:sso::123456789012:application/ssoins-[a-z0-9]{16}/apl-[a-z0-9]{16}",
        described["SingleSignOnApplicationArn"],
    )
    assert described["SingleSignOnManagedApplicationInstanceId"]


def test_iam_domain_has_no_identity_center_fields(sm, domain):
    described = sm.describe_domain(DomainId=domain)
    assert "SingleSignOnApplicationArn" not in described
    assert "SingleSignOnManagedApplicationInstanceId" not in described


# -- UpdateDomain ------------------------------------------------------------------------------------


def test_update_domain_sets_jupyterlab_idle_settings_and_goes_updating_then_in_service(cloud, sm, domain):
    idle = {"LifecycleManagement": "ENABLED", "IdleTimeoutInMinutes": 120}
    arn = sm.update_domain(
        DomainId=domain,
        DefaultUserSettings={"JupyterLabAppSettings": {"AppLifecycleManagement": {"IdleSettings": idle}}},
    )["DomainArn"]
    assert arn == sm.describe_domain(DomainId=domain)["DomainArn"]
    described = sm.describe_domain(DomainId=domain)
    assert described["Status"] == "Updating"
    settings = described["DefaultUserSettings"]
    assert settings["JupyterLabAppSettings"]["AppLifecycleManagement"]["IdleSettings"] == idle
    assert settings["ExecutionRole"].endswith("SageMakerExecution")  # members not given are kept
    cloud.clock.advance(LATENCIES.domain_update)
    assert sm.describe_domain(DomainId=domain)["Status"] == "InService"


def test_update_domain_refuses_an_idle_timeout_outside_the_model_range(client, domain):
    # botocore refuses it on the client; a caller without client-side validation reaches the server's check.
    sm = watch_client(client("sagemaker", validate=False))
    idle = {"LifecycleManagement": "ENABLED", "IdleTimeoutInMinutes": 5}
    with pytest.raises(ClientError) as excinfo:
        sm.update_domain(
            DomainId=domain,
            DefaultUserSettings={"JupyterLabAppSettings": {"AppLifecycleManagement": {"IdleSettings": idle}}},
        )
    assert code(excinfo) == "ValidationException"


def test_update_domain_while_pending_is_resource_in_use(sm, new_domain):
    domain_id = new_domain()
    with pytest.raises(ClientError) as excinfo:
        sm.update_domain(DomainId=domain_id, DefaultSpaceSettings={"ExecutionRole": "arn:aws:iam::123456789012:role/x"})
    assert code(excinfo) == "ResourceInUse"


def test_update_domain_settings_for_update_and_space_defaults(sm, domain):
    sm.update_domain(
        DomainId=domain,
        DomainSettingsForUpdate={"SecurityGroupIds": ["sg-12345678"]},
        DefaultSpaceSettings={"ExecutionRole": "arn:aws:iam::123456789012:role/Spaces"},
        TagPropagation="ENABLED",
    )
    described = sm.describe_domain(DomainId=domain)
    assert described["DomainSettings"] == {"SecurityGroupIds": ["sg-12345678"]}
    assert described["DefaultSpaceSettings"]["ExecutionRole"].endswith("Spaces")
    assert described["TagPropagation"] == "ENABLED"


def test_update_domain_with_a_new_subnet_adds_a_mount_target(cloud, sm, vpc, domain, client):
    ec2 = client("ec2")
    extra = ec2.create_subnet(VpcId=vpc["VpcId"], CidrBlock="10.0.9.0/24", AvailabilityZone="us-east-1c")
    subnet_id = extra["Subnet"]["SubnetId"]
    sm.update_domain(DomainId=domain, SubnetIds=[*vpc["SubnetIds"], subnet_id])
    described = sm.describe_domain(DomainId=domain)
    assert subnet_id in described["SubnetIds"]
    targets = client("efs").describe_mount_targets(FileSystemId=described["HomeEfsFileSystemId"])
    assert subnet_id in {t["SubnetId"] for t in targets["MountTargets"]}


def test_update_unknown_domain_is_resource_not_found(sm):
    with pytest.raises(ClientError) as excinfo:
        sm.update_domain(
            DomainId="d-000000000000", DefaultSpaceSettings={"ExecutionRole": "arn:aws:iam::123456789012:role/x"}
        )
    assert code(excinfo) == "ResourceNotFound"
