"""Studio lifecycle configurations: the API (create, describe, list, delete, tags) and the rules of the settings
and apps that name them. Sources are cited beside each test and in localcloud/sagemaker/lifecycle_configs.py."""

from __future__ import annotations

import base64
from datetime import timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError

ROLE = "arn:aws:iam::123456789012:role/SageMakerExecution"

SCRIPT = base64.b64encode(b"#!/bin/bash\necho hello\n").decode()


def error(excinfo: pytest.ExceptionInfo[ClientError]) -> tuple[str, str]:
    return str(excinfo.value.response["Error"]["Code"]), str(excinfo.value.response["Error"]["Message"])


def create(sm: Any, name: str, app_type: str = "JupyterLab", **extra: Any) -> str:
    return str(
        sm.create_studio_lifecycle_config(
            StudioLifecycleConfigName=name,
            StudioLifecycleConfigAppType=app_type,
            StudioLifecycleConfigContent=SCRIPT,
            **extra,
        )["StudioLifecycleConfigArn"]
    )


# ----------------------------------------------------------------------------------------------- the API


def test_create_then_describe(sm, cloud):
    arn = create(sm, "heartbeat", Tags=[{"Key": "team", "Value": "ml"}])

    assert arn == f"arn:aws:sagemaker:{cloud.region}:123456789012:studio-lifecycle-config/heartbeat"
    described = sm.describe_studio_lifecycle_config(StudioLifecycleConfigName="heartbeat")
    assert described["StudioLifecycleConfigArn"] == arn
    assert described["StudioLifecycleConfigAppType"] == "JupyterLab"
    assert described["StudioLifecycleConfigContent"] == SCRIPT
    # LastModifiedTime "is equivalent to CreationTime because ... Lifecycle Configurations are immutable"
    # (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_DescribeStudioLifecycleConfig.html).
    assert described["LastModifiedTime"] == described["CreationTime"]
    assert sm.list_tags(ResourceArn=arn)["Tags"] == [{"Key": "team", "Value": "ml"}]


def test_a_name_in_use_is_refused_whatever_its_case(sm):
    # ResourceInUse is CreateStudioLifecycleConfig's modelled error (botocore's model).
    create(sm, "heartbeat")
    with pytest.raises(ClientError) as excinfo:
        create(sm, "HeartBeat", "CodeEditor")
    assert error(excinfo)[0] == "ResourceInUse"


def test_describe_and_delete_of_an_unknown_name_are_resource_not_found(sm):
    for call in (sm.describe_studio_lifecycle_config, sm.delete_studio_lifecycle_config):
        with pytest.raises(ClientError) as excinfo:
            call(StudioLifecycleConfigName="nowhere")
        code, message = error(excinfo)
        assert code == "ResourceNotFound"
        assert "studio-lifecycle-config/nowhere" in message


def test_content_must_be_base64(sm):
    # "This content must be base64 encoded" (API_CreateStudioLifecycleConfig.html).
    with pytest.raises(ClientError) as excinfo:
        sm.create_studio_lifecycle_config(
            StudioLifecycleConfigName="plain",
            StudioLifecycleConfigAppType="JupyterLab",
            StudioLifecycleConfigContent="#!/bin/bash\necho not encoded",
        )
    assert error(excinfo)[0] == "ValidationException"


@pytest.mark.parametrize(
    ("member", "value"),
    [
        ("StudioLifecycleConfigAppType", "TensorBoard"),  # the enum has 4 app types (botocore's model)
        ("StudioLifecycleConfigContent", base64.b64encode(b"x" * 12289).decode()),  # max length 16384
        ("StudioLifecycleConfigName", "no_underscores"),  # the name pattern
    ],
)
def test_the_input_shape_is_enforced(client, member, value):
    raw = client("sagemaker", validate=False)
    params = {
        "StudioLifecycleConfigName": "ok",
        "StudioLifecycleConfigAppType": "JupyterLab",
        "StudioLifecycleConfigContent": SCRIPT,
        member: value,
    }
    with pytest.raises(ClientError) as excinfo:
        raw.create_studio_lifecycle_config(**params)
    assert error(excinfo)[0] == "ValidationException"


def test_list_filters_sorts_and_pages(sm, cloud):
    # Filters and defaults as API_ListStudioLifecycleConfigs.html gives them: SortBy CreationTime and SortOrder
    # Descending by default; creation "on or before/after", modification strictly "before/after".
    first = cloud.clock.now()
    create(sm, "lab-a")
    cloud.clock.advance(60)
    middle = cloud.clock.now()
    create(sm, "editor-b", "CodeEditor")
    cloud.clock.advance(60)
    create(sm, "lab-c")

    def names(**params: Any) -> list[str]:
        return [
            c["StudioLifecycleConfigName"] for c in sm.list_studio_lifecycle_configs(**params)["StudioLifecycleConfigs"]
        ]

    assert names() == ["lab-c", "editor-b", "lab-a"]
    assert names(SortBy="Name", SortOrder="Ascending") == ["editor-b", "lab-a", "lab-c"]
    assert names(AppTypeEquals="JupyterLab") == ["lab-c", "lab-a"]
    assert names(NameContains="LAB") == ["lab-c", "lab-a"]
    assert names(CreationTimeBefore=middle) == ["editor-b", "lab-a"]
    assert names(CreationTimeAfter=middle) == ["lab-c", "editor-b"]
    assert names(ModifiedTimeBefore=middle) == ["lab-a"]
    assert names(ModifiedTimeAfter=middle, SortOrder="Ascending") == ["lab-c"]
    assert names(CreationTimeAfter=first + timedelta(hours=1)) == []

    page = sm.list_studio_lifecycle_configs(MaxResults=2)
    assert len(page["StudioLifecycleConfigs"]) == 2
    rest = sm.list_studio_lifecycle_configs(MaxResults=2, NextToken=page["NextToken"])
    assert [c["StudioLifecycleConfigName"] for c in rest["StudioLifecycleConfigs"]] == ["lab-a"]
    assert "NextToken" not in rest
    assert "StudioLifecycleConfigContent" not in page["StudioLifecycleConfigs"][0]


def test_delete_removes_it_and_its_tags(sm):
    arn = create(sm, "gone")
    sm.delete_studio_lifecycle_config(StudioLifecycleConfigName="gone")
    assert sm.list_studio_lifecycle_configs()["StudioLifecycleConfigs"] == []
    with pytest.raises(ClientError) as excinfo:
        sm.list_tags(ResourceArn=arn)
    assert error(excinfo)[0] == "ResourceNotFound"
    create(sm, "gone")  # the name is free again


def test_tags_can_be_added_and_deleted(sm):
    arn = create(sm, "tagged")
    sm.add_tags(ResourceArn=arn, Tags=[{"Key": "owner", "Value": "ops"}])
    sm.delete_tags(ResourceArn=arn, TagKeys=["owner"])
    sm.add_tags(ResourceArn=arn, Tags=[{"Key": "env", "Value": "dev"}])
    assert sm.list_tags(ResourceArn=arn)["Tags"] == [{"Key": "env", "Value": "dev"}]


# ----------------------------------------------------------------------------------------------- attaching


def test_settings_attach_existing_configurations_of_their_app_type(sm, new_domain, settle):
    # A configuration is created with its app type, then attached in that app's settings
    # (https://docs.aws.amazon.com/sagemaker/latest/dg/code-editor-use-lifecycle-configurations-studio-create.html).
    lab = create(sm, "lab")
    editor = create(sm, "editor", "CodeEditor")
    domain_id = new_domain(
        DefaultUserSettings={
            "ExecutionRole": ROLE,
            "JupyterLabAppSettings": {"LifecycleConfigArns": [lab], "DefaultResourceSpec": {"LifecycleConfigArn": lab}},
            "CodeEditorAppSettings": {"LifecycleConfigArns": [editor]},
        }
    )
    settings = sm.describe_domain(DomainId=domain_id)["DefaultUserSettings"]
    assert settings["JupyterLabAppSettings"]["LifecycleConfigArns"] == [lab]
    settle()
    sm.create_user_profile(
        DomainId=domain_id,
        UserProfileName="alice",
        UserSettings={"CodeEditorAppSettings": {"LifecycleConfigArns": [editor]}},
    )


@pytest.mark.parametrize(
    "settings",
    [
        {"JupyterLabAppSettings": {"LifecycleConfigArns": ["{missing}"]}},
        {"JupyterLabAppSettings": {"LifecycleConfigArns": ["{editor}"]}},  # a CodeEditor one in JupyterLab settings
        {"KernelGatewayAppSettings": {"DefaultResourceSpec": {"LifecycleConfigArn": "{missing}"}}},
        # "If you use this parameter, the DefaultResourceSpec parameter is also required" (LifecycleConfigArns of
        # https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_JupyterServerAppSettings.html).
        {"JupyterServerAppSettings": {"LifecycleConfigArns": ["{server}"]}},
        # Undocumented; stricter: a default given beside the list must be one of the list (studio-lcc-defaults.html
        # always lists it).
        {"JupyterLabAppSettings": {"LifecycleConfigArns": [], "DefaultResourceSpec": {"LifecycleConfigArn": "{lab}"}}},
    ],
    ids=["unknown", "wrong-app-type", "unknown-default", "jupyter-server-without-default-spec", "default-not-listed"],
)
def test_settings_naming_a_wrong_configuration_are_refused_everywhere(sm, domain, settle, settings):
    arns = {
        "missing": create(sm, "lab").replace("/lab", "/missing"),
        "lab": sm.describe_studio_lifecycle_config(StudioLifecycleConfigName="lab")["StudioLifecycleConfigArn"],
        "editor": create(sm, "editor", "CodeEditor"),
        "server": create(sm, "server", "JupyterServer"),
    }
    filled = _fill(settings, arns)
    sm.create_user_profile(DomainId=domain, UserProfileName="alice")
    sm.create_space(DomainId=domain, SpaceName="team")
    settle()
    space_settings = {k: v for k, v in filled.items() if k != "JupyterLabAppSettings" or "LifecycleConfigArns" not in v}
    calls = [
        lambda: sm.update_domain(DomainId=domain, DefaultUserSettings=filled),
        lambda: sm.create_user_profile(DomainId=domain, UserProfileName="bob", UserSettings=filled),
        lambda: sm.update_user_profile(DomainId=domain, UserProfileName="alice", UserSettings=filled),
    ]
    if space_settings:  # SpaceSettings' JupyterLab settings have no LifecycleConfigArns (botocore's model)
        calls.append(lambda: sm.update_space(DomainId=domain, SpaceName="team", SpaceSettings=space_settings))
    for call in calls:
        with pytest.raises(ClientError) as excinfo:
            call()
        assert error(excinfo)[0] == "ValidationException"


def _fill(value: Any, arns: dict[str, str]) -> Any:
    if isinstance(value, dict):
        return {k: _fill(v, arns) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, arns) for v in value]
    return value.format(**arns) if isinstance(value, str) else value


def test_create_app_runs_an_attached_configuration_of_its_type(sm, new_domain, settle):
    lab = create(sm, "lab")
    other = create(sm, "other-lab")
    editor = create(sm, "editor", "CodeEditor")
    domain_id = new_domain(
        DefaultUserSettings={"ExecutionRole": ROLE, "JupyterLabAppSettings": {"LifecycleConfigArns": [lab]}}
    )
    settle()
    sm.create_space(DomainId=domain_id, SpaceName="team")
    settle()

    def launch(name: str, arn: str, app_type: str = "JupyterLab") -> None:
        sm.create_app(
            DomainId=domain_id,
            SpaceName="team",
            AppType=app_type,
            AppName=name,
            ResourceSpec={"InstanceType": "ml.t3.medium", "LifecycleConfigArn": arn},
        )

    launch("default", lab)
    described = sm.describe_app(DomainId=domain_id, SpaceName="team", AppType="JupyterLab", AppName="default")
    assert described["ResourceSpec"]["LifecycleConfigArn"] == lab
    # Undocumented; stricter: the configuration must be attached to the domain, profile or space
    # (https://docs.aws.amazon.com/sagemaker/latest/dg/jl-lcc-create.html attaches before users choose it).
    for name, arn, app_type in (
        ("unattached", other, "JupyterLab"),
        ("unattached-editor", editor, "CodeEditor"),
        ("mismatch", lab, "CodeEditor"),  # a JupyterLab config for a CodeEditor app
        ("missing", lab.replace("/lab", "/missing"), "JupyterLab"),
    ):
        with pytest.raises(ClientError) as excinfo:
            launch(name, arn, app_type)
        assert error(excinfo)[0] == "ValidationException", name


def test_a_configuration_in_use_cannot_be_deleted(sm, new_domain, settle):
    # "there must be no running apps using the Lifecycle Configuration. You must also remove the Lifecycle
    # Configuration from UserSettings in all Domains and UserProfiles"
    # (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_DeleteStudioLifecycleConfig.html).
    lab = create(sm, "lab")
    domain_id = new_domain(
        DefaultUserSettings={"ExecutionRole": ROLE, "JupyterLabAppSettings": {"LifecycleConfigArns": [lab]}}
    )
    settle()
    sm.create_space(DomainId=domain_id, SpaceName="team")
    settle()
    sm.create_app(
        DomainId=domain_id,
        SpaceName="team",
        AppType="JupyterLab",
        AppName="default",
        ResourceSpec={"InstanceType": "ml.t3.medium", "LifecycleConfigArn": lab},
    )
    settle()

    def refused() -> str:
        with pytest.raises(ClientError) as excinfo:
            sm.delete_studio_lifecycle_config(StudioLifecycleConfigName="lab")
        code, message = error(excinfo)
        assert code == "ResourceInUse"
        return message

    in_use = refused()
    assert "app/" in in_use
    assert "domain/" in in_use
    sm.update_domain(DomainId=domain_id, DefaultUserSettings={"JupyterLabAppSettings": {"LifecycleConfigArns": []}})
    assert "domain/" not in refused()  # the running app still uses it
    sm.delete_app(DomainId=domain_id, SpaceName="team", AppType="JupyterLab", AppName="default")
    settle()
    sm.delete_studio_lifecycle_config(StudioLifecycleConfigName="lab")
    assert sm.list_studio_lifecycle_configs()["StudioLifecycleConfigs"] == []
