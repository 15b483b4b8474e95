"""A domain teardown removes everything it planned, in AWS's order, and reports it.

AWS's order (docs.aws.amazon.com/sagemaker/latest/dg/gs-studio-delete-domain.html, AWS-FACTS §2): every
non-failed app, then every space, then every user profile, then the domain. Black-box: the deployed
TeardownStateMachine on the local cloud (TEARDOWN-CONTRACT.md).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from datetime import datetime
from itertools import pairwise
from typing import Any

import pytest
from botocore.exceptions import ClientError

from localcloud import LocalCloud
from tests.integration.conftest import (
    DOMAIN_SHARED,
    LATENCIES,
    Notifications,
    StudioBuilder,
    Teardown,
    app_key,
    changing_calls,
    domain_residue,
    inventory,
    on_clock,
)

STAGES = ["Apps", "Spaces", "UserProfiles", "Domain", "Leftovers"]


def _gone(studio: StudioBuilder, domain_id: str) -> None:
    with pytest.raises(ClientError) as raised:
        studio.sagemaker.describe_domain(DomainId=domain_id)
    # DescribeDomain of an unknown id answers ResourceNotFound (AWS-FACTS §2).
    assert raised.value.response["Error"]["Code"] == "ResourceNotFound"


def _stamp(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _planned_apps(report: dict[str, Any]) -> dict[tuple[str, str, str], str]:
    """The report's planned apps and their statuses; apps already Deleted may be left out (they are gone)."""
    return {app_key(item): item["Status"] for item in report["Plan"]["Apps"] if item["Status"] != "Deleted"}


def _live(apps: Mapping[tuple[str, str, str], str]) -> dict[tuple[str, str, str], str]:
    return {key: status for key, status in apps.items() if status != "Deleted"}


def _check_stages(report: dict[str, Any], names: list[str]) -> None:
    stages = report["Stages"]
    assert [stage["Stage"] for stage in stages] == names
    for earlier, later in pairwise(stages):
        assert _stamp(earlier["EndedAt"]) <= _stamp(later["StartedAt"]), (earlier, later)
    for stage in stages:
        assert _stamp(stage["StartedAt"]) <= _stamp(stage["EndedAt"])
        assert stage["Rounds"] >= 1


def test_an_empty_domain_is_deleted_and_reported(
    cloud: LocalCloud, studio: StudioBuilder, teardown: Teardown, notifications: Notifications
) -> None:
    domain_id = studio.domain()
    description = studio.sagemaker.describe_domain(DomainId=domain_id)

    execution = teardown.run({"DomainId": domain_id, "Confirm": domain_id})

    report = execution.report()
    _gone(studio, domain_id)
    assert report["DomainId"] == domain_id
    assert report["ExecutionArn"] == execution.arn
    assert (report["Status"], report["DryRun"], report["HomeEfsFileSystem"]) == ("SUCCEEDED", False, "Retain")
    assert report["Plan"]["Domain"]["DomainId"] == domain_id
    assert report["Plan"]["Domain"]["HomeEfsFileSystemId"] == description["HomeEfsFileSystemId"]
    assert report["Plan"]["Apps"] == report["Plan"]["Spaces"] == report["Plan"]["UserProfiles"] == []
    assert report["Deleted"]["Domain"] == [{"DomainId": domain_id}]
    assert report["Counts"]["Deleted"]["Domain"] == 1
    _check_stages(report, STAGES)
    # The domain's delete alone takes domain_delete seconds: the report's clock is the workflow's.
    domain_stage = next(stage for stage in report["Stages"] if stage["Stage"] == "Domain")
    elapsed = _stamp(domain_stage["EndedAt"]) - _stamp(domain_stage["StartedAt"])
    assert elapsed.total_seconds() >= LATENCIES.domain_delete
    [notice] = notifications.received()
    assert notice["Subject"].startswith("Domain Steward teardown")
    assert domain_id in notice["Message"]


@pytest.mark.slow
def test_a_crowded_domain_is_emptied_in_order(cloud: LocalCloud, studio: StudioBuilder, teardown: Teardown) -> None:
    domain_id = studio.domain(rstudio=True)
    mix = {"Pending": 30, "InService": 110, "Failed": 20, "Deleting": 20, "Deleted": 20}
    scenario = studio.populate(domain_id, profiles=50, private_spaces=10, shared_spaces=10, apps=mix)
    [server] = studio.rstudio_server(domain_id)
    file_system = studio.sagemaker.describe_domain(DomainId=domain_id)["HomeEfsFileSystemId"]
    calls = len(cloud.calls)

    execution = teardown.run({"DomainId": domain_id, "Confirm": domain_id, "HomeEfsFileSystem": "Delete"})

    report = execution.report()
    _gone(studio, domain_id)
    assert domain_residue(cloud, domain_id, file_system) == {
        "FileSystems": [],
        "MountTargets": [],
        "SecurityGroups": [],
    }
    # The plan lists every resource with the status it had when the teardown began.
    planned = _planned_apps(report)
    expected = {app.key: app.status for app in scenario.apps} | {app_key(server): "InService"}
    assert planned == _live(expected)
    assert Counter(space["SharingType"] for space in report["Plan"]["Spaces"]) == {"Private": 10, "Shared": 10}
    assert {space["SpaceName"]: space["OwnerUserProfileName"] for space in report["Plan"]["Spaces"]} == {
        space.name: space.owner for space in scenario.spaces
    }
    assert sorted(p["UserProfileName"] for p in report["Plan"]["UserProfiles"]) == scenario.profiles
    assert report["Counts"]["Plan"]["Apps"] == len(report["Plan"]["Apps"])
    # Every app that was starting or running was deleted, the RStudio server app of domain-shared too.
    deleted = {app_key(item) for item in report["Deleted"]["Apps"]}
    running = {app.key for app in scenario.apps if app.status in {"Pending", "InService"}}
    assert running | {("RStudioServerPro", "default", DOMAIN_SHARED)} <= deleted
    # A Failed app holds nothing and needs no delete (AWS-FACTS §2): never listed, never called.
    failed = {app.key for app in scenario.apps if app.status == "Failed"}
    assert not failed & deleted
    delete_app_calls = [app_key(call.params) for call in cloud.calls.calls("sagemaker", "DeleteApp")[calls:]]
    assert not failed & set(delete_app_calls)
    assert {s["SpaceName"] for s in report["Deleted"]["Spaces"]} == {s.name for s in scenario.spaces}
    assert sorted(p["UserProfileName"] for p in report["Deleted"]["UserProfiles"]) == scenario.profiles
    assert report["Counts"]["Deleted"]["Apps"] == len(report["Deleted"]["Apps"])
    _check_stages(report, STAGES)
    # AWS's order, seen in the calls: no space before its apps went, no profile before the spaces.
    order = [call.operation for call in changing_calls(cloud, calls) if call.service == "sagemaker"]
    deletes = [op for op in order if op in {"DeleteApp", "DeleteSpace", "DeleteUserProfile", "DeleteDomain"}]
    assert deletes == sorted(deletes, key=["DeleteApp", "DeleteSpace", "DeleteUserProfile", "DeleteDomain"].index)


@pytest.mark.slow
def test_apps_and_a_profile_created_during_the_teardown_are_caught(
    cloud: LocalCloud, studio: StudioBuilder, teardown: Teardown
) -> None:
    domain_id = studio.domain()
    scenario = studio.populate(domain_id, profiles=3, private_spaces=2, apps={"InService": 6})
    started = cloud.clock.now()
    late_apps = [("KernelGateway", "late-kg", scenario.profiles[0]), ("JupyterServer", "default", "latecomer")]
    done: set[str] = set()

    def users_keep_working(now: datetime) -> None:
        # Users act while the apps stage runs (it lasts at least app_delete seconds): one launches an app
        # 30 s in, another is onboarded then, and launches an app as soon as the profile is InService.
        # Driven by the virtual clock only, so each run is the same.
        elapsed = (now - started).total_seconds()
        if "first" not in done and elapsed >= 30:
            done.add("first")
            studio.launch(domain_id, "KernelGateway", "late-kg", UserProfileName=scenario.profiles[0])
            studio.sagemaker.create_user_profile(DomainId=domain_id, UserProfileName="latecomer")
        if "second" not in done and elapsed >= 30 + LATENCIES.user_profile_create:
            done.add("second")
            studio.launch(domain_id, "JupyterServer", "default", UserProfileName="latecomer")

    errors = on_clock(cloud, users_keep_working)

    execution = teardown.run({"DomainId": domain_id, "Confirm": domain_id})

    assert errors == []
    assert done == {"first", "second"}, "the teardown ended before the users acted: the test proves nothing"
    report = execution.report()
    _gone(studio, domain_id)
    deleted_apps = {app_key(item) for item in report["Deleted"]["Apps"]}
    assert set(late_apps) <= deleted_apps
    assert "latecomer" in {p["UserProfileName"] for p in report["Deleted"]["UserProfiles"]}
    assert report["Counts"]["Deleted"]["UserProfiles"] == len(scenario.profiles) + 1


@pytest.mark.slow
def test_a_resource_in_use_race_is_retried(cloud: LocalCloud, studio: StudioBuilder, teardown: Teardown) -> None:
    domain_id = studio.domain()
    scenario = studio.populate(domain_id, profiles=3, private_spaces=1, shared_spaces=1, apps={"InService": 5})
    victim = scenario.profiles[-1]
    launched: list[datetime] = []

    def launch_when_spaces_go(now: datetime) -> None:
        # A user launches an app on their profile after the apps stage has finished (the spaces are being
        # deleted): DeleteUserProfile then answers ResourceInUse, "App(s) are associated with it"
        # (aws/amazon-sagemaker-feedback#113), until the teardown has deleted that app too.
        if launched or not cloud.calls.count("sagemaker", "DeleteSpace"):
            return
        launched.append(now)
        studio.launch(domain_id, "KernelGateway", "racer", UserProfileName=victim)

    errors = on_clock(cloud, launch_when_spaces_go)
    # And two DeleteSpace calls lose a race outright (the same error, injected).
    cloud.faults.add("sagemaker", "DeleteSpace", "in_use", times=2)

    execution = teardown.run({"DomainId": domain_id, "Confirm": domain_id})

    assert errors == []
    assert launched, "the race never happened"
    report = execution.report()
    _gone(studio, domain_id)
    assert ("KernelGateway", "racer", victim) in {app_key(item) for item in report["Deleted"]["Apps"]}
    assert {s["SpaceName"] for s in report["Deleted"]["Spaces"]} == {s.name for s in scenario.spaces}
    in_use = [call for call in cloud.calls.calls("sagemaker") if call.fault == "ResourceInUse"]
    assert len(in_use) == 2


@pytest.mark.slow
def test_thirty_percent_throttling_on_every_sagemaker_call_changes_nothing_but_the_retries(
    cloud: LocalCloud, studio: StudioBuilder, teardown: Teardown
) -> None:
    domain_id = studio.domain(rstudio=True)
    mix = {"Pending": 5, "InService": 20, "Failed": 3, "Deleting": 3, "Deleted": 3}
    scenario = studio.populate(domain_id, profiles=10, private_spaces=4, shared_spaces=4, apps=mix)
    file_system = studio.sagemaker.describe_domain(DomainId=domain_id)["HomeEfsFileSystemId"]
    calls = len(cloud.calls)
    # Every SageMaker operation, including the workflow's own tagging and listing.
    cloud.faults.add("sagemaker", "*", "throttling", rate=0.3)

    execution = teardown.run({"DomainId": domain_id, "Confirm": domain_id, "HomeEfsFileSystem": "Delete"})

    throttled = [c for c in list(cloud.calls)[calls:] if c.fault == "ThrottlingException"]
    cloud.faults.clear()
    report = execution.report()
    assert len(throttled) > 10, "throttling was injected"
    _gone(studio, domain_id)
    assert domain_residue(cloud, domain_id, file_system) == {
        "FileSystems": [],
        "MountTargets": [],
        "SecurityGroups": [],
    }
    assert report["Counts"]["Deleted"]["UserProfiles"] == len(scenario.profiles)
    assert report["Counts"]["Deleted"]["Spaces"] == len(scenario.spaces)
    expected = {app.key: app.status for app in scenario.apps} | {
        ("RStudioServerPro", "default", DOMAIN_SHARED): "InService"
    }
    # Retry backoff under throttling runs on the virtual clock (the harness's sleeps), so the plan may be
    # read after Pending apps have started and Deleting ones have gone: each app is planned in its built
    # status or the one after it, and only an app that was Deleting may be missing (Deleted, left out).
    planned, live = _planned_apps(report), _live(expected)
    assert set(planned) <= set(live)
    assert {expected[key] for key in set(live) - set(planned)} <= {"Deleting"}
    for key, status in planned.items():
        assert status in _LATER.get(expected[key], {expected[key]}), (key, expected[key], status)


_LATER = {"Pending": {"Pending", "InService"}, "Deleting": {"Deleting"}}


def test_a_dry_run_plans_and_changes_nothing(cloud: LocalCloud, studio: StudioBuilder, teardown: Teardown) -> None:
    domain_id = studio.domain(rstudio=True)
    # Statuses that stay put while the clock moves, so "nothing changed" is a plain comparison.
    scenario = studio.populate(
        domain_id, profiles=5, private_spaces=2, shared_spaces=2, apps={"InService": 8, "Failed": 2, "Deleted": 2}
    )
    other_id = studio.domain("neighbour")
    studio.populate(other_id, profiles=1, apps={"InService": 1}, prefix="n-")
    before, calls = inventory(cloud), len(cloud.calls)

    execution = teardown.run(
        {"DomainId": domain_id, "Confirm": domain_id, "DryRun": True, "HomeEfsFileSystem": "Delete"}
    )

    report = execution.report()
    assert changing_calls(cloud, calls) == []
    assert inventory(cloud) == before
    assert (report["Status"], report["DryRun"]) == ("DRY_RUN", True)
    expected = {app.key: app.status for app in scenario.apps} | {
        ("RStudioServerPro", "default", DOMAIN_SHARED): "InService"
    }
    assert _planned_apps(report) == _live(expected)
    assert report["Counts"]["Plan"]["Apps"] == len(report["Plan"]["Apps"])
    assert report["Counts"]["Plan"]["Spaces"] == 4
    assert report["Counts"]["Plan"]["UserProfiles"] == 5
    residue = domain_residue(cloud, domain_id, report["Plan"]["Domain"]["HomeEfsFileSystemId"])
    assert [fs["FileSystemId"] for fs in report["Plan"]["FileSystems"]] == residue["FileSystems"]
    assert sorted(mt["MountTargetId"] for mt in report["Plan"]["MountTargets"]) == sorted(residue["MountTargets"])
    assert sorted(sg["GroupId"] for sg in report["Plan"]["SecurityGroups"]) == residue["SecurityGroups"]
    assert all(not items for items in report["Deleted"].values())
