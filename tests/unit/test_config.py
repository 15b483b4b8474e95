"""The configuration format (INTERFACES.md): what it accepts, and the key path of everything it refuses."""

from __future__ import annotations

import json
from pathlib import Path

import boto3
import pytest
import yaml

from domain_steward.config import ConfigInvalid, StewardConfig, load_config, parse_config
from localcloud import LocalCloud

EXAMPLE = Path(__file__).parents[2] / "config" / "example.yaml"
ROLE = "arn:aws:iam::123456789012:role/ds-studio"


def config_text(**domain: object) -> str:
    entry: dict[str, object] = {
        "domain_id": "d-abcdefghijkl",
        "groups": [{"group": "DataScientists", "execution_role": ROLE}],
    }
    entry.update(domain)
    return yaml.safe_dump({"version": 1, "domains": [entry]})


def problems_of(text: str) -> list[str]:
    with pytest.raises(ConfigInvalid) as excinfo:
        parse_config(text)
    return excinfo.value.problems


def test_the_documented_example_is_valid():
    config = parse_config(EXAMPLE.read_text())
    domain = config.domain("d-abcdefghijkl")
    assert domain is not None
    assert [g.group for g in domain.groups] == ["DataScientists", "Analysts"]
    assert domain.groups[0].default_space is not None
    assert domain.groups[0].default_space.app_type == "JupyterLab"
    assert domain.groups[1].default_space is None
    assert config.identity_center is not None
    assert config.mapped_domains == [domain]


def test_json_is_accepted_as_well_as_yaml():
    document = yaml.safe_load(config_text())
    assert parse_config(json.dumps(document)) == parse_config(config_text())


def test_defaults_match_the_interface():
    config = parse_config(config_text())
    [domain] = config.domains
    assert domain.offboarding == "retain"
    assert domain.autostop is None
    assert config.identity_center is None


def test_unknown_keys_are_errors_naming_their_path():
    [problem] = problems_of(config_text(groups=[{"group": "g", "execution_role": ROLE, "tag": {}}]))
    assert problem.startswith("domains[0].groups[0].tag:")


def test_a_wrong_type_is_an_error_not_a_conversion():
    [problem] = problems_of(config_text(autostop={"idle_minutes": "60"}))
    assert problem.startswith("domains[0].autostop.idle_minutes:")
    [problem] = problems_of(config_text(autostop={"idle_minutes": 60, "dry_run": "yes"}))
    assert problem.startswith("domains[0].autostop.dry_run:")


def test_bad_arns_and_ids_are_errors():
    [problem] = problems_of(config_text(groups=[{"group": "g", "execution_role": "arn:aws:iam::1:user/x"}]))
    assert problem.startswith("domains[0].groups[0].execution_role:")
    [problem] = problems_of(config_text(domain_id="domain-1"))
    assert problem.startswith("domains[0].domain_id:")
    assert "domain id" in problem
    bad_center = yaml.safe_dump(
        {"version": 1, "identity_center": {"instance_arn": "arn:aws:sso:::instance/x", "identity_store_id": "d-1"}}
    )
    assert {p.split(":")[0] for p in problems_of(bad_center)} == {
        "identity_center.instance_arn",
        "identity_center.identity_store_id",
    }


def test_a_group_listed_twice_for_one_domain_is_an_error():
    twice = [{"group": "DataScientists", "execution_role": ROLE}, {"group": "datascientists", "execution_role": ROLE}]
    [problem] = problems_of(config_text(groups=twice))
    assert problem.startswith("domains[0]:")
    assert "listed twice" in problem


def test_two_star_entries_or_a_star_with_groups_are_errors():
    star = {"domain_id": "*", "autostop": {"idle_minutes": 60}}
    [problem] = problems_of(yaml.safe_dump({"version": 1, "domains": [star, star]}))
    assert 'two "*" entries' in problem
    [problem] = problems_of(config_text(domain_id="*"))
    assert problem.startswith("domains[0]:")
    assert "auto-stop only" in problem


def test_reserved_tag_keys_are_refused():
    groups = [{"group": "g", "execution_role": ROLE, "tags": {"domain-steward:managed": "false"}}]
    [problem] = problems_of(config_text(groups=groups))
    assert problem.startswith("domains[0].groups[0].tags:")
    assert "reserved" in problem


def test_version_and_top_level_shape_are_checked():
    assert problems_of("version: 2\ndomains: []\n")[0].startswith("version:")
    assert problems_of("- just a list\n") == ["(top level): expected a mapping with version and domains"]
    assert problems_of("version: [1\n")[0].startswith("(top level): not valid YAML")


def test_app_type_overrides_apply_to_their_type_only():
    config = parse_config(config_text(autostop={"idle_minutes": 60, "app_types": {"Canvas": {"idle_minutes": 120}}}))
    [domain] = config.domains
    assert domain.autostop is not None
    assert domain.autostop.for_app_type("Canvas").idle_minutes == 120
    assert domain.autostop.for_app_type("JupyterLab").idle_minutes == 60
    assert problems_of(config_text(autostop={"idle_minutes": 60, "app_types": {"Notebook": {}}}))[0].startswith(
        "domains[0].autostop.app_types.Notebook"
    )


def test_the_star_entry_covers_every_other_existing_domain():
    document = {
        "version": 1,
        "domains": [
            {"domain_id": "d-aaaaaaaaaaaa", "autostop": {"idle_minutes": 30}},
            {"domain_id": "d-bbbbbbbbbbbb"},  # named without autostop: off, even with a "*" entry
            {"domain_id": "*", "autostop": {"idle_minutes": 120}},
        ],
    }
    config = StewardConfig.model_validate(document)
    policies = config.autostop_policies(["d-aaaaaaaaaaaa", "d-bbbbbbbbbbbb", "d-cccccccccccc"])
    assert {domain: policy.idle_minutes for domain, policy in policies.items()} == {
        "d-aaaaaaaaaaaa": 30,
        "d-cccccccccccc": 120,
    }


def test_load_config_reads_the_ssm_parameter_and_fails_loudly_when_it_is_missing():
    with LocalCloud():
        ssm = boto3.client("ssm")
        with pytest.raises(ConfigInvalid, match="SSM parameter /domain-steward/missing is invalid"):
            load_config("/domain-steward/missing", max_age=0)
        ssm.put_parameter(Name="/domain-steward/config", Value=config_text(), Type="String")
        assert load_config("/domain-steward/config", max_age=0).domains[0].domain_id == "d-abcdefghijkl"
        ssm.put_parameter(Name="/domain-steward/config", Value="version: 1\nnope: 1\n", Overwrite=True)
        with pytest.raises(ConfigInvalid) as excinfo:
            load_config("/domain-steward/config", max_age=0)
        assert excinfo.value.problems == ["nope: Extra inputs are not permitted"]
