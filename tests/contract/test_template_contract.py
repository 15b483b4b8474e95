"""Contract tests on template.yaml and the state machines: what `sam validate --lint` cannot see.

Each check runs on the project's template and on the harness fixture template (which carries a state
machine and functions today), and each is shown to catch a broken template, so none can pass vacuously.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from localcloud.contract import (
    lint_asl,
    lint_cloudformation,
    missing_conditions,
    resource_wildcards,
    substitution_problems,
    ungranted,
    wildcard_grants,
)
from localcloud.harness.template import load_template, translate

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = [ROOT / "template.yaml", ROOT / "tests/fixtures/harness/template.yaml"]
ASL_FILES = sorted(ROOT.glob("statemachine/*.asl.json")) + sorted(ROOT.glob("tests/fixtures/harness/**/*.asl.json"))


def _id(path: Path) -> str:
    return str(path.relative_to(ROOT))


@pytest.fixture(params=TEMPLATES, ids=_id)
def template_path(request: pytest.FixtureRequest) -> Path:
    path: Path = request.param
    assert path.is_file(), f"{path} is missing"
    return path


def test_the_translated_template_passes_cfn_lint(template_path: Path):
    assert lint_cloudformation(translate(template_path)) == []


def test_no_generated_policy_grants_a_wildcard_action(template_path: Path):
    assert wildcard_grants(translate(template_path)) == []


def test_every_placeholder_has_a_substitution_and_every_substitution_a_placeholder(template_path: Path):
    assert substitution_problems(load_template(template_path), template_path.parent) == []


def test_there_are_state_machines_to_lint():
    assert ASL_FILES, "no ASL file found: the ASL checks below would check nothing"


@pytest.mark.parametrize("asl", ASL_FILES, ids=_id)
def test_state_machine_definitions_pass_statelint(asl: Path):
    assert lint_asl(asl) == []


# Deletions of what SageMaker made for a domain are limited to resources carrying its tag (issue 6). IAM
# supports aws:ResourceTag on EFS file systems and EC2 security groups (Service Authorization Reference:
# docs.aws.amazon.com/service-authorization/latest/reference/list_amazonelasticfilesystem.html and
# .../list_amazonec2.html).
SAGEMAKER_TAG = "aws:ResourceTag/ManagedByAmazonSageMakerResource"
TAG_CONDITIONED = dict.fromkeys(
    (
        "elasticfilesystem:DeleteMountTarget",
        "elasticfilesystem:DeleteFileSystem",
        "ec2:RevokeSecurityGroupIngress",
        "ec2:RevokeSecurityGroupEgress",
        "ec2:DeleteSecurityGroup",
    ),
    SAGEMAKER_TAG,
)


def test_the_project_grants_no_scopable_action_on_every_resource():
    assert resource_wildcards(translate(TEMPLATES[0])) == []


def test_efs_and_ec2_deletions_are_conditioned_on_the_sagemaker_tag():
    template = translate(TEMPLATES[0])
    granted = {
        action
        for resource in template["Resources"].values()
        if resource["Type"] == "AWS::IAM::Role"
        for policy in resource["Properties"].get("Policies", [])
        for statement in policy["PolicyDocument"]["Statement"]
        for action in (statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]])
    }
    assert set(TAG_CONDITIONED) <= granted, "the teardown's deletions are not granted at all"
    assert missing_conditions(template, TAG_CONDITIONED) == []


def test_sagemaker_grants_stay_in_this_account_and_region():
    template = translate(TEMPLATES[0])
    role = template["Resources"]["TeardownFunctionRole"]["Properties"]
    for policy in role["Policies"]:
        for statement in policy["PolicyDocument"]["Statement"]:
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
            if any(a.startswith("sagemaker:") for a in actions) and resources != ["*"]:
                for resource in resources:
                    text = resource["Fn::Sub"]
                    assert text.startswith("arn:${AWS::Partition}:sagemaker:${AWS::Region}:${AWS::AccountId}:"), text


# Real ARNs in the formats of the Service Authorization Reference
# (docs.aws.amazon.com/service-authorization/latest/reference/list_amazonsagemaker.html):
# domain/<id>, user-profile/<domain>/<name>, space/<domain>/<name>, app/<domain>/<owner>/<type>/<name>.
PSEUDO = {"AWS::Partition": "aws", "AWS::Region": "us-east-1", "AWS::AccountId": "123456789012"}
STUDIO = "arn:aws:sagemaker:us-east-1:123456789012"
TEARDOWN_NEEDS = {
    "sagemaker:DeleteDomain": [f"{STUDIO}:domain/d-abc123"],
    "sagemaker:DeleteUserProfile": [f"{STUDIO}:user-profile/d-abc123/alice"],
    "sagemaker:DeleteSpace": [f"{STUDIO}:space/d-abc123/lab"],
    "sagemaker:DeleteApp": [
        f"{STUDIO}:app/d-abc123/alice/Canvas/default",
        f"{STUDIO}:app/d-abc123/lab/JupyterLab/default",
        f"{STUDIO}:app/d-abc123/domain-shared/RStudioServerPro/default",
    ],
    "sagemaker:AddTags": [f"{STUDIO}:domain/d-abc123", f"{STUDIO}:user-profile/d-abc123/alice"],
}


def test_the_teardown_may_delete_what_it_must_in_the_arn_formats_aws_uses():
    assert ungranted(translate(TEMPLATES[0]), "TeardownFunctionRole", TEARDOWN_NEEDS, PSEUDO) == []


# Apps on a profile, in a space, of Canvas and of Studio Classic: the formats the other jobs act on.
APPS = [
    f"{STUDIO}:app/d-abc123/alice/KernelGateway/datascience-1-0-ml-t3-medium-1abf3407f667f989be9d86559395",
    f"{STUDIO}:app/d-abc123/alice/Canvas/default",
    f"{STUDIO}:app/d-abc123/lab/JupyterLab/default",
]


def test_auto_stop_may_stop_apps_in_the_arn_format_aws_uses():
    wanted = {"sagemaker:DescribeApp": APPS, "sagemaker:DeleteApp": APPS}
    assert ungranted(translate(TEMPLATES[0]), "AutoStopFunctionRole", wanted, PSEUDO) == []


def test_onboarding_may_manage_profiles_spaces_and_stop_apps_in_the_arn_formats_aws_uses():
    wanted = {
        "sagemaker:CreateUserProfile": [f"{STUDIO}:user-profile/d-abc123/jane-doe-corp-com"],
        "sagemaker:CreateSpace": [f"{STUDIO}:space/d-abc123/jane-doe-corp-com-space"],
        "sagemaker:DeleteApp": APPS,
    }
    assert ungranted(translate(TEMPLATES[0]), "OnboardingPolicy", wanted, PSEUDO) == []


def test_the_teardown_state_machine_is_standard_logged_and_traced():
    properties = load_template(TEMPLATES[0])["Resources"]["TeardownStateMachine"]["Properties"]
    assert properties["Type"] == "STANDARD"
    assert properties["DefinitionUri"] == "statemachine/teardown.asl.json"
    assert properties["Logging"]["Level"] == "ALL"
    assert properties["Tracing"] == {"Enabled": True}
    parameters = load_template(TEMPLATES[0])["Parameters"]
    assert parameters["TeardownLogExecutionData"]["Default"] == "false"


def test_every_parameter_has_a_default():
    parameters = load_template(TEMPLATES[0]).get("Parameters") or {}
    assert [name for name, spec in parameters.items() if "Default" not in spec] == []


def test_a_failed_teardown_reaches_the_notifications_topic_from_outside_the_workflow():
    resources = load_template(TEMPLATES[0])["Resources"]
    rule = resources["TeardownEndedBadlyRule"]["Properties"]
    assert rule["EventPattern"]["source"] == ["aws.states"]
    assert rule["EventPattern"]["detail-type"] == ["Step Functions Execution Status Change"]
    assert sorted(rule["EventPattern"]["detail"]["status"]) == ["ABORTED", "FAILED", "TIMED_OUT"]
    [target] = rule["Targets"]
    assert target["Arn"] == {"Ref": "NotificationsTopic"}
    statement = resources["NotificationsTopicPolicy"]["Properties"]["PolicyDocument"]["Statement"][0]
    assert statement["Principal"] == {"Service": "events.amazonaws.com"}


# --- the checks catch what they are for --------------------------------------------------------------


BROKEN_FUNCTION = """
    Transform: AWS::Serverless-2016-10-31
    Resources:
      Sweeper:
        Type: AWS::Serverless::Function
        Properties:
          Runtime: python3.11
          Handler: app.handler
          CodeUri: code/
          Policies:
            - Statement:
                - Effect: Allow
                  Action: [sagemaker:*, "sagemaker:DescribeDomian"]
                  Resource: "*"
          Events:
            Nightly:
              Type: Schedule
              Properties:
                Schedule: rate(1 fortnight)
"""


def test_cfn_lint_on_the_translation_catches_what_sam_validate_misses(sam_project: Callable[..., Path]):
    problems = lint_cloudformation(translate(sam_project(BROKEN_FUNCTION)))
    assert any(p.startswith("W3037") and "describedomian" in p for p in problems), problems
    assert any(p.startswith("E3027") and "fortnight" in p for p in problems), problems


def test_wildcard_actions_and_broad_managed_policies_are_reported(sam_project: Callable[..., Path]):
    template = BROKEN_FUNCTION.replace("Policies:", "Policies:\n            - AmazonSageMakerFullAccess")
    problems = wildcard_grants(translate(sam_project(template)))
    assert any("'sagemaker:*'" in p for p in problems)
    assert any("AmazonSageMakerFullAccess" in p for p in problems)


def test_missing_and_unused_substitutions_are_reported(sam_project: Callable[..., Path]):
    definition = {
        "StartAt": "Stop",
        "States": {"Stop": {"Type": "Task", "Resource": "${StopAppArn}", "End": True}},
    }
    path = sam_project(
        """
        Transform: AWS::Serverless-2016-10-31
        Resources:
          Teardown:
            Type: AWS::Serverless::StateMachine
            Properties:
              DefinitionUri: statemachine/teardown.asl.json
              DefinitionSubstitutions:
                StartAppArn: arn:aws:lambda:us-east-1:123456789012:function:start
        """,
        {"statemachine/teardown.asl.json": json.dumps(definition)},
    )
    problems = substitution_problems(load_template(path), path.parent)
    assert problems == [
        "Teardown: ${StopAppArn} in statemachine/teardown.asl.json has no substitution",
        "Teardown: substitution StartAppArn is not used in statemachine/teardown.asl.json",
    ]


def test_statelint_reports_a_broken_definition(tmp_path: Path):
    asl = tmp_path / "broken.asl.json"
    asl.write_text(json.dumps({"StartAt": "Missing", "States": {"Wait": {"Type": "Wait", "Seconds": 5}}}))
    problems = lint_asl(asl)
    assert any("Missing" in p for p in problems), problems
    asl.write_text("{ not json")
    assert lint_asl(asl)[0].startswith("broken.asl.json: not valid JSON")


def test_scopable_actions_on_every_resource_and_unconditioned_deletes_are_reported(sam_project: Callable[..., Path]):
    template = translate(
        sam_project(
            """
            Transform: AWS::Serverless-2016-10-31
            Resources:
              Cleaner:
                Type: AWS::Serverless::Function
                Properties:
                  Runtime: python3.11
                  Handler: app.handler
                  CodeUri: code/
                  Policies:
                    - Statement:
                        - Effect: Allow
                          Action: [sagemaker:DeleteDomain, sagemaker:ListDomains]
                          Resource: "*"
                        - Effect: Allow
                          Action: ec2:DeleteSecurityGroup
                          Resource: !Sub arn:${AWS::Partition}:ec2:${AWS::Region}:${AWS::AccountId}:security-group/*
            """
        )
    )
    problems = resource_wildcards(template)
    assert len(problems) == 1
    assert "sagemaker:DeleteDomain can be scoped to domain" in problems[0]  # ListDomains cannot be scoped
    assert missing_conditions(template, TAG_CONDITIONED) == [
        "CleanerRole/CleanerRolePolicy0: ec2:DeleteSecurityGroup is granted without a "
        "aws:ResourceTag/ManagedByAmazonSageMakerResource condition"
    ]


def test_a_resource_pattern_that_cannot_match_the_real_arn_is_reported(sam_project: Callable[..., Path]):
    template = translate(
        sam_project(
            """
            Transform: AWS::Serverless-2016-10-31
            Resources:
              Stopper:
                Type: AWS::Serverless::Function
                Properties:
                  Runtime: python3.11
                  Handler: app.handler
                  CodeUri: code/
                  Policies:
                    - Statement:
                        - Effect: Allow
                          Action: sagemaker:DeleteApp
                          Resource: !Sub arn:${AWS::Partition}:sagemaker:${AWS::Region}:${AWS::AccountId}:app/*/*/*/*/*
            """
        )
    )
    wanted = {"sagemaker:DeleteApp": [f"{STUDIO}:app/d-abc123/alice/Canvas/default"]}
    assert ungranted(template, "StopperRole", wanted, PSEUDO) == [
        f"StopperRole: sagemaker:DeleteApp is not allowed on {STUDIO}:app/d-abc123/alice/Canvas/default"
    ]
