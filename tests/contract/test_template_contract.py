"""Contract tests on template.yaml and the state machines: what `sam validate --lint` cannot see.

Each check runs on the project's template and on the harness fixture template (which carries a state
machine and functions today), and each is shown to catch a broken template, so none can pass vacuously.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from localcloud.contract import lint_asl, lint_cloudformation, substitution_problems, wildcard_grants
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
