"""`domain-steward reconcile` and `sweep` end to end against `python -m localcloud serve`.

They run the functions' code in the CLI with explicit table names, the tables created from template.yaml's own
definitions, so each test stays small; with the stack deployed onto the server by `sam deploy` and `--stack-name`,
the same commands run in tests/docs/test_readme_commands.py.
"""

from __future__ import annotations

import json
from typing import Any

from localcloud.harness.template import load_template
from tests.cli.conftest import ROLE, ROOT, Server

INSTANCE_ARN = "arn:aws:sso:::instance/ssoins-0123456789abcdef"


def _table(server: Server, logical_id: str, name: str) -> str:
    """The template's table, as CloudFormation would create it (keys and indexes; nothing else matters here)."""
    properties = load_template(ROOT / "template.yaml")["Resources"][logical_id]["Properties"]
    keys = ("AttributeDefinitions", "KeySchema", "BillingMode", "GlobalSecondaryIndexes")
    server.client("dynamodb").create_table(TableName=name, **{k: properties[k] for k in keys if k in properties})
    return name


def _apply(server: Server, parameter: str, text: str) -> None:
    server.client("ssm").put_parameter(Name=parameter, Value=text, Type="String", Overwrite=True)


def _identity_store(server: Server) -> tuple[str, str]:
    """An identity store with the group DataScientists, whose member is alice; returns (store id, user id)."""
    store = server.client("identitystore")
    store_id = "d-0123456789"
    group_id = store.create_group(IdentityStoreId=store_id, DisplayName="DataScientists")["GroupId"]
    user_id = store.create_user(
        IdentityStoreId=store_id,
        UserName="alice",
        DisplayName="Alice",
        Name={"GivenName": "Alice", "FamilyName": "Example"},
    )["UserId"]
    store.create_group_membership(IdentityStoreId=store_id, GroupId=group_id, MemberId={"UserId": user_id})
    return store_id, user_id


def test_reconcile_reports_a_member_without_a_profile_and_repairs_only_with_apply(server: Server):
    domain_id = server.domain("reconciled", cidr_prefix="10.9")
    store_id, user_id = _identity_store(server)
    table = _table(server, "OnboardingRecordsTable", "cli-records")
    _apply(
        server,
        "/cli/reconcile",
        f"version: 1\nidentity_center: {{instance_arn: {INSTANCE_ARN}, identity_store_id: {store_id}}}\n"
        f"domains:\n  - domain_id: {domain_id}\n"
        f"    groups:\n      - {{group: DataScientists, execution_role: {ROLE}}}\n",
    )
    args = ("reconcile", "--parameter-name", "/cli/reconcile", "--records-table", table, "--json")

    dry = server.cli(*args)

    assert dry.code == 0, dry.stderr
    report: dict[str, Any] = dry.json()
    assert report["DryRun"] is True
    assert report["Differences"] == 1
    [difference] = report["Domains"][0]["differences"]
    assert difference["user_id"] == user_id
    assert server.client("sagemaker").list_user_profiles(DomainIdEquals=domain_id)["UserProfiles"] == []
    shown = server.cli(*args[:-1])
    assert shown.code == 0, shown.stderr
    assert "dry run: nothing repaired" in shown.stdout
    assert user_id in shown.stdout
    assert "1 difference(s); 0 action(s) taken." in shown.stdout

    repaired = server.cli(*args, "--apply")

    assert repaired.code == 0, repaired.stderr
    assert repaired.json()["DryRun"] is False
    assert [(a["action"], a["profile_name"]) for a in repaired.json()["Actions"]] == [("created", "alice")]
    assert len(server.client("sagemaker").list_user_profiles(DomainIdEquals=domain_id)["UserProfiles"]) == 1


def test_reconcile_needs_its_table_from_an_option_or_the_stack(server: Server):
    result = server.cli("reconcile")

    assert result.code == 2
    assert "--records-table" in result.stderr
    assert "--stack-name" in result.stderr


def test_an_invalid_configuration_stops_the_sweep_before_it_acts(server: Server):
    table = _table(server, "AutoStopTable", "cli-autostop-invalid")
    _apply(server, "/cli/invalid-sweep", "version: 1\ndomains: [{domain_id: '*', autostop: {idle_minutes: 0}}]\n")

    result = server.cli("sweep", "--parameter-name", "/cli/invalid-sweep", "--autostop-table", table, "--json")

    assert result.code == 1
    assert result.json()["ConfigInvalid"][0].startswith("domains[0].autostop.idle_minutes:")


def test_sweep_dry_run_reports_an_idle_app_and_stops_it_only_with_apply(server: Server):
    domain_id = server.domain("swept", cidr_prefix="10.9")
    sagemaker = server.client("sagemaker")
    sagemaker.create_user_profile(DomainId=domain_id, UserProfileName="bob")
    server.control("POST", "clock/advance", {"seconds": 600})
    sagemaker.create_app(
        DomainId=domain_id,
        UserProfileName="bob",
        AppType="Canvas",
        AppName="default",
        ResourceSpec={"InstanceType": "ml.c5.2xlarge"},
    )
    later = server.control("POST", "clock/advance", {"seconds": 4 * 3600})["now"]
    table = _table(server, "AutoStopTable", "cli-autostop")
    _apply(
        server, "/cli/sweep", f"version: 1\ndomains:\n  - domain_id: {domain_id}\n    autostop: {{idle_minutes: 60}}\n"
    )
    # The server's clock is virtual: --at judges idleness at its time, not the wall clock's.
    args = ("sweep", "--parameter-name", "/cli/sweep", "--autostop-table", table, "--at", later[:19], "--json")

    dry = server.cli(*args)

    assert dry.code == 0, dry.stderr
    report = dry.json()
    assert report["DryRun"] is True
    assert [(d["decision"], d["app_type"], d["owner"]) for d in report["Decisions"]] == [("stop", "Canvas", "bob")]
    assert report["AppsStopped"] == 0
    shown = server.cli(*args[:-1])
    assert shown.code == 0, shown.stderr
    assert "dry run: nothing stopped" in shown.stdout
    assert "Canvas/default" in shown.stdout
    assert (
        sagemaker.describe_app(DomainId=domain_id, UserProfileName="bob", AppType="Canvas", AppName="default")["Status"]
        == "InService"
    )

    applied = server.cli(*args[:-1], "--apply", "--json")

    assert applied.code == 0, applied.stderr
    assert applied.json()["AppsStopped"] == 1
    assert sagemaker.describe_app(DomainId=domain_id, UserProfileName="bob", AppType="Canvas", AppName="default")[
        "Status"
    ] in ("Deleting", "Deleted")


def test_sweep_reads_its_table_and_parameter_name_from_the_stack(server: Server):
    # A stand-in for the deployed stack: the parameter and the resource the sweep reads, under their template names.
    properties = load_template(ROOT / "template.yaml")["Resources"]["AutoStopTable"]["Properties"]
    table = {k: properties[k] for k in ("AttributeDefinitions", "KeySchema", "BillingMode")}
    template = {
        "Parameters": {"ConfigParameterName": {"Type": "String"}},
        "Resources": {"AutoStopTable": {"Type": "AWS::DynamoDB::Table", "Properties": table}},
    }
    server.client("cloudformation").create_stack(
        StackName="cli-stack",
        TemplateBody=json.dumps(template),
        Parameters=[{"ParameterKey": "ConfigParameterName", "ParameterValue": "/cli/from-stack"}],
    )
    _apply(server, "/cli/from-stack", "version: 1\ndomains: [{domain_id: '*', autostop: {idle_minutes: 60}}]\n")

    result = server.cli("sweep", "--stack-name", "cli-stack", "--json")

    assert result.code == 0, result.stderr
    assert result.json()["DryRun"] is True
    missing = server.cli("sweep", "--stack-name", "no-such-stack")
    assert missing.code == 1
    assert "no-such-stack" in missing.stderr
