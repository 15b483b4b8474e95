"""Tags on every Studio ARN (domain, user profile, space, app); other SageMaker ARNs stay moto's."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError


def code(excinfo: pytest.ExceptionInfo[ClientError]) -> str:
    return str(excinfo.value.response["Error"]["Code"])


@pytest.fixture
def arns(sm, domain, settle) -> dict[str, str]:
    """One resource of each Studio kind, each created with a tag."""
    tag = [{"Key": "created-by", "Value": "test"}]
    profile = sm.create_user_profile(DomainId=domain, UserProfileName="alice", Tags=tag)["UserProfileArn"]
    space = sm.create_space(DomainId=domain, SpaceName="team", Tags=tag)["SpaceArn"]
    settle()
    app = sm.create_app(DomainId=domain, SpaceName="team", AppType="JupyterLab", AppName="default", Tags=tag)
    return {
        "domain": sm.describe_domain(DomainId=domain)["DomainArn"],
        "user-profile": profile,
        "space": space,
        "app": app["AppArn"],
    }


def tags_of(sm, arn: str) -> dict[str, str]:
    return {t["Key"]: t["Value"] for t in sm.list_tags(ResourceArn=arn)["Tags"]}


def test_tags_given_at_creation_are_stored(sm, new_domain, arns):
    domain_id = new_domain("tagged", Tags=[{"Key": "cost-center", "Value": "42"}])
    tagged = sm.describe_domain(DomainId=domain_id)["DomainArn"]
    assert tags_of(sm, tagged) == {"cost-center": "42"}
    for kind in ("user-profile", "space", "app"):
        assert tags_of(sm, arns[kind]) == {"created-by": "test"}, kind


@pytest.mark.parametrize("kind", ["domain", "user-profile", "space", "app"])
def test_add_list_and_delete_tags_on_every_studio_arn(sm, arns, kind):
    arn = arns[kind]
    sm.add_tags(ResourceArn=arn, Tags=[{"Key": "owner", "Value": "alice"}, {"Key": "env", "Value": "dev"}])
    assert tags_of(sm, arn)["owner"] == "alice"
    sm.add_tags(ResourceArn=arn, Tags=[{"Key": "owner", "Value": "bob"}])  # overwrites, does not duplicate
    assert [t["Key"] for t in sm.list_tags(ResourceArn=arn)["Tags"]].count("owner") == 1
    assert tags_of(sm, arn)["owner"] == "bob"
    sm.delete_tags(ResourceArn=arn, TagKeys=["owner", "env"])
    assert "owner" not in tags_of(sm, arn)
    assert "env" not in tags_of(sm, arn)


def test_arns_are_matched_regardless_of_case(sm, domain, settle):
    arn = sm.create_user_profile(DomainId=domain, UserProfileName="Alice")["UserProfileArn"]
    sm.add_tags(ResourceArn=arn.replace("alice", "Alice"), Tags=[{"Key": "k", "Value": "v"}])
    assert tags_of(sm, arn) == {"k": "v"}


def test_a_resource_holds_at_most_50_tags(sm, arns):
    arn = arns["domain"]
    sm.add_tags(ResourceArn=arn, Tags=[{"Key": f"k{i:02d}", "Value": str(i)} for i in range(30)])
    sm.add_tags(ResourceArn=arn, Tags=[{"Key": f"k{i:02d}", "Value": str(i)} for i in range(20, 50)])
    listed = sm.list_tags(ResourceArn=arn, MaxResults=50)
    assert [t["Key"] for t in listed["Tags"]] == [f"k{i:02d}" for i in range(50)]
    assert "NextToken" not in listed
    with pytest.raises(ClientError) as excinfo:
        sm.add_tags(ResourceArn=arn, Tags=[{"Key": "one-too-many", "Value": "x"}])
    assert code(excinfo) == "ValidationException"


def test_tags_of_a_studio_resource_that_does_not_exist_are_resource_not_found(sm, domain):
    arn = f"arn:aws:sagemaker:us-east-1:123456789012:user-profile/{domain}/nobody"
    with pytest.raises(ClientError) as excinfo:
        sm.list_tags(ResourceArn=arn)
    assert code(excinfo) == "ResourceNotFound"


def test_tags_go_with_a_deleted_resource(sm, arns, settle):
    domain_id = arns["user-profile"].split("/")[1]
    sm.delete_user_profile(DomainId=domain_id, UserProfileName="alice")
    settle()
    with pytest.raises(ClientError) as excinfo:
        sm.list_tags(ResourceArn=arns["user-profile"])
    assert code(excinfo) == "ResourceNotFound"


def test_other_sagemaker_arns_still_use_motos_tags(sm):
    arn = sm.create_model(
        ModelName="m",
        ExecutionRoleArn="arn:aws:iam::123456789012:role/SageMakerExecution",
        PrimaryContainer={"Image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/m:latest"},
    )["ModelArn"]
    sm.add_tags(ResourceArn=arn, Tags=[{"Key": "k", "Value": "v"}])
    assert tags_of(sm, arn) == {"k": "v"}
