"""The reconciliation (issue 7): backfill, drift repair, offboarding of leavers, dry run, and its cost in API
calls at 1,000 members (list pages plus the repairs it makes)."""

from __future__ import annotations

import math
import time

import pytest

from localcloud import LocalCloud
from tests.integration.conftest import LATENCIES, ROLE
from tests.integration.onboarding_support import OTHER_ROLE, Onboarding, group_config, onboarding_fixture  # noqa: F401

OFFBOARDED = "domain-steward:offboarded"
CHANGING = ("Create", "Update", "Delete", "Add", "Start")


def _changes(cloud: LocalCloud, since: int) -> list[str]:
    return [
        f"{c.service}:{c.operation}"
        for c in list(cloud.calls)[since:]
        if c.service in {"sagemaker", "sso-admin", "stepfunctions"} and c.operation.startswith(CHANGING)
    ]


def test_members_from_before_the_stack_are_backfilled(onboarding: Onboarding):
    domain = onboarding.sso_domain()
    onboarding.configure([{"domain_id": domain, "groups": [group_config("DataScientists", space=True)]}])
    group = onboarding.directory.group("DataScientists")
    users = {onboarding.directory.user(name): name for name in ("ana", "ben", "cy")}
    for user in users:
        onboarding.directory.add(group, user)  # no event: they joined before the stack existed

    report = onboarding.reconcile()

    assert report["Differences"] == 3
    (domain_report,) = report["Domains"]
    assert {d["difference"] for d in domain_report["differences"]} == {"member without a profile"}
    assert {tuple(d["actions"]) for d in domain_report["differences"]} == {
        ("created", "assigned", "provisioning-started")
    }
    assert sorted(onboarding.profiles(domain)) == ["ana", "ben", "cy"]
    assert onboarding.assigned(domain) == set(users)
    assert sorted(onboarding.spaces(domain)) == ["ana-space", "ben-space", "cy-space"]
    assert onboarding.reconcile()["Differences"] == 0  # and then nothing is left to do


def test_drift_is_repaired_and_leavers_are_offboarded(onboarding: Onboarding, cloud: LocalCloud):
    domain = onboarding.sso_domain()
    onboarding.configure([{"domain_id": domain, "groups": [group_config("DataScientists", space=True)]}])
    group = onboarding.directory.group("DataScientists")
    ana, ben, cy = (onboarding.directory.user(name) for name in ("ana", "ben", "cy"))
    memberships = {user: onboarding.directory.add(group, user) for user in (ana, ben, cy)}
    onboarding.reconcile()
    onboarding.reconcile()  # records what each profile looked like when last checked
    sagemaker, application = onboarding.sagemaker, onboarding.sagemaker.describe_domain(DomainId=domain)
    # Someone changes ana's role by hand, removes ben's assignment and deletes cy's space; cy also leaves.
    sagemaker.update_user_profile(DomainId=domain, UserProfileName="ana", UserSettings={"ExecutionRole": OTHER_ROLE})
    onboarding.sso_admin.delete_application_assignment(
        ApplicationArn=application["SingleSignOnApplicationArn"], PrincipalId=ben, PrincipalType="USER"
    )
    onboarding.directory.remove(memberships[cy])
    cloud.clock.advance(LATENCIES.user_profile_update)

    report = onboarding.reconcile()

    found = {d["user_profile_name"]: d for d in report["Domains"][0]["differences"]}
    assert found["ana"]["difference"] == "profile modified since it was last checked"
    assert found["ana"]["actions"] == ["repaired"]
    assert found["ben"]["actions"] == ["assigned"]
    assert found["cy"]["actions"] == ["offboarded"]
    profiles = onboarding.profiles(domain)
    assert profiles["ana"]["UserSettings"]["ExecutionRole"] == ROLE
    assert onboarding.assigned(domain) == {ana, ben}
    assert OFFBOARDED in profiles["cy"]["Tags"]


def test_a_configuration_change_reaches_existing_profiles(onboarding: Onboarding):
    domain = onboarding.iam_domain()
    onboarding.configure([{"domain_id": domain, "groups": [group_config("Analysts")]}])
    group = onboarding.directory.group("Analysts")
    onboarding.directory.add(group, onboarding.directory.user("dora"))
    onboarding.reconcile()
    changed = group_config("Analysts", OTHER_ROLE, tags={"team": "analytics", "cost-center": "42"})
    onboarding.configure([{"domain_id": domain, "groups": [changed]}])
    onboarding.cloud.clock.advance(301)  # past the configuration cache (300 s)

    report = onboarding.reconcile()

    assert report["Domains"][0]["differences"][0]["difference"] == "configuration changed (execution role or tags)"
    profile = onboarding.profiles(domain)["dora"]
    assert profile["UserSettings"]["ExecutionRole"] == OTHER_ROLE
    assert profile["Tags"]["team"] == "analytics"
    assert profile["Tags"]["cost-center"] == "42"


@pytest.mark.slow
def test_a_thousand_members_dry_run_backfill_and_steady_state_cost_list_pages(
    onboarding: Onboarding, cloud: LocalCloud
):
    domain = onboarding.iam_domain()
    onboarding.configure([{"domain_id": domain, "groups": [group_config("Everyone")]}])
    group = onboarding.directory.group("Everyone")
    for i in range(1000):
        onboarding.directory.add(group, onboarding.directory.user(f"member{i:04d}"))
    pages = math.ceil(1000 / 100)  # ListGroupMemberships and ListUserProfiles: at most 100 a page

    before = len(cloud.calls)
    started = time.monotonic()
    dry = onboarding.reconcile(dry_run=True)
    assert dry["Differences"] == 1000
    assert _changes(cloud, before) == []  # a dry run changes nothing
    assert cloud.calls.count("identitystore", "DescribeUser") == 0

    before = len(cloud.calls)
    backfill = onboarding.reconcile()
    assert backfill["Differences"] == 1000
    assert len(onboarding.sagemaker.list_user_profiles(DomainIdEquals=domain, MaxResults=100)["UserProfiles"]) == 100
    creates = [c for c in _changes(cloud, before) if c == "sagemaker:CreateUserProfile"]
    assert len(creates) == 1000

    before = len(cloud.calls)
    steady = onboarding.reconcile()
    assert steady["Differences"] == 0
    calls = [f"{c.service}:{c.operation}" for c in list(cloud.calls)[before:] if c.service != "dynamodb"]
    # Lower bound: one page per 100 members and per 100 profiles, plus the per-run lookups (SSM, instance,
    # group id, domain and its tags). No Describe per profile.
    assert calls.count("identitystore:ListGroupMemberships") == pages
    assert calls.count("sagemaker:ListUserProfiles") == pages
    assert "sagemaker:DescribeUserProfile" not in calls
    assert len(calls) <= 2 * pages + 6
    assert time.monotonic() - started < 120
