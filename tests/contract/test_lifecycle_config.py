"""The heartbeat's lifecycle configurations in template.yaml: generated from lifecycle/, so they cannot drift.

CloudFormation cannot read a file into StudioLifecycleConfigContent, so the template carries the composed
script (on-start.sh with heartbeat.py inside) inline, in a block lifecycle/content.py generates.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from lifecycle import content
from localcloud.harness.intrinsics import Resolver
from localcloud.harness.template import load_template, pseudo_parameters

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "template.yaml"
# Name and ARN patterns of CreateStudioLifecycleConfig
# (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_CreateStudioLifecycleConfig.html).
NAME = re.compile(r"[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}")
ARN = re.compile(r"arn:aws[a-z\-]*:sagemaker:[a-z0-9\-]*:[0-9]{12}:studio-lifecycle-config/.*")


def _resolver(names: dict[str, str] | None = None) -> Resolver:
    def ref(logical_id: str) -> Any:
        return (names or {})[logical_id]

    def get_att(logical_id: str, attribute: str) -> Any:
        raise AssertionError(f"unexpected GetAtt {logical_id}.{attribute}")

    return Resolver(
        parameters={},
        pseudo=pseudo_parameters("us-east-1", "123456789012", "domain-steward"),
        mappings={},
        conditions={},
        ref=ref,
        get_att=get_att,
    )


def test_the_template_carries_the_block_generated_from_lifecycle():
    template = TEMPLATE.read_text()

    assert content.replace_block(template) == template, (
        "template.yaml's heartbeat block differs from lifecycle/: run `python -m lifecycle.content --write`"
    )


def test_a_changed_heartbeat_is_a_changed_block(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    for name in ("on-start.sh", "heartbeat.py"):
        shutil.copy(Path(content.__file__).with_name(name), tmp_path / name)
    with (tmp_path / "heartbeat.py").open("a") as heartbeat:
        heartbeat.write("# changed\n")
    monkeypatch.setattr(content, "HERE", tmp_path)
    template = TEMPLATE.read_text()

    changed = content.replace_block(template)

    assert changed != template
    assert "        # changed\n" in changed


@pytest.mark.parametrize(("logical_id", "app_type"), content.APP_TYPES.items())
def test_each_app_type_has_a_configuration_holding_on_start_sh_with_heartbeat_py_inside(logical_id: str, app_type: str):
    resource = load_template(TEMPLATE)["Resources"][logical_id]
    script = content.script()

    assert resource["Type"] == "AWS::SageMaker::StudioLifecycleConfig"
    assert resource["Properties"]["StudioLifecycleConfigAppType"] == app_type
    assert resource["Properties"]["StudioLifecycleConfigContent"] == {"Fn::Base64": script}
    on_start = Path(content.__file__).with_name("on-start.sh").read_text()
    before, after = on_start.split(content.MARKER)
    assert script == before + Path(content.__file__).with_name("heartbeat.py").read_text() + after


def test_the_content_fits_the_api_limit_once_encoded():
    # StudioLifecycleConfigContent: at most 16384 characters, base64-encoded (CreateStudioLifecycleConfig).
    assert content.encoded_length() <= content.MAX_ENCODED_LENGTH


def test_heartbeat_py_cannot_end_the_scripts_here_document_early():
    delimiter = "DOMAIN_STEWARD_HEARTBEAT_PY"
    assert f"<<'{delimiter}'" in content.script()
    assert delimiter not in Path(content.__file__).with_name("heartbeat.py").read_text().splitlines()


def test_names_are_valid_distinct_and_carry_the_scripts_digest():
    resources = load_template(TEMPLATE)["Resources"]
    resolver = _resolver()

    names = [resolver.resolve(resources[i]["Properties"]["StudioLifecycleConfigName"]) for i in content.APP_TYPES]

    assert all(NAME.fullmatch(name) and len(name) <= 63 for name in names), names
    assert len(set(names)) == 3
    # Configurations are immutable: a new script must be a new name, or CloudFormation could not replace it.
    assert all(name.endswith(f"-{content.digest()}") for name in names)
    # The stack id's first group keeps two stacks in one account and Region apart.
    assert all(name.split("-")[-2] == "00000000" for name in names)


def test_the_output_lists_the_three_arns_in_app_type_order():
    template = load_template(TEMPLATE)
    names = {logical_id: f"name-of-{app_type.lower()}" for logical_id, app_type in content.APP_TYPES.items()}

    arns = _resolver(names).resolve(template["Outputs"]["HeartbeatLifecycleConfigArns"]["Value"]).split(",")

    assert all(ARN.fullmatch(arn) for arn in arns), arns
    assert [arn.rsplit("/", 1)[1] for arn in arns] == list(names.values())
