"""Leaving, deletion, disabling, rejoining; `retain` and `delete` offboarding; duplicate and out-of-order
events (issue 7, "Offboarding" and "Events")."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from localcloud import LocalCloud
from tests.integration.conftest import LATENCIES, START
from tests.integration.onboarding_support import Onboarding, envelope, group_config, onboarding_fixture  # noqa: F401

OFFBOARDED = "domain-steward:offboarded"
PROFILE, SPACE = "jane-doe", "jane-doe-space"


def _member(onboarding: Onboarding, domain: str, *, offboarding: str = "retain") -> tuple[str, str, str]:
    """A configured SSO domain with jane.doe as an onboarded member; returns (group, user, membership)."""
    onboarding.configure(
        [{"domain_id": domain, "offboarding": offboarding, "groups": [group_config("DataScientists", space=True)]}]
    )
    group = onboarding.directory.group("DataScientists")
    user = onboarding.directory.user("jane.doe")
    membership = onboarding.directory.add(group, user)
    onboarding.send(onboarding.events.join("api", group, user, membership))
    assert PROFILE in onboarding.profiles(domain)
    return group, user, membership


def _run_apps(onboarding: Onboarding, domain: str) -> None:
    """The member works: a JupyterLab app in the private space, a JupyterServer app on the profile."""
    sagemaker = onboarding.sagemaker
    sagemaker.create_app(
        DomainId=domain,
        SpaceName=SPACE,
        AppType="JupyterLab",
        AppName="default",
        ResourceSpec={"InstanceType": "ml.t3.medium"},
    )
    sagemaker.create_app(
        DomainId=domain,
        UserProfileName=PROFILE,
        AppType="JupyterServer",
        AppName="default",
        ResourceSpec={"InstanceType": "system"},
    )
    onboarding.cloud.clock.advance(LATENCIES.app_create)


def _live_apps(onboarding: Onboarding, domain: str) -> list[str]:
    apps = onboarding.sagemaker.list_apps(DomainIdEquals=domain)["Apps"]
    return sorted(a["AppType"] for a in apps if a["Status"] in {"InService", "Pending"})


@pytest.mark.parametrize("source", ["console", "api", "scim"])
def test_leaving_with_retain_stops_apps_unassigns_and_tags_but_keeps_everything(onboarding: Onboarding, source: str):
    domain = onboarding.sso_domain()
    group, user, membership = _member(onboarding, domain)
    _run_apps(onboarding, domain)
    onboarding.directory.remove(membership)

    onboarding.send(onboarding.events.leave(source, group, user, membership))

    profile = onboarding.profiles(domain)[PROFILE]
    # When it happened, ISO 8601 (INTERFACES.md), on the virtual clock: after the join, by now.
    offboarded_at = datetime.strptime(profile["Tags"][OFFBOARDED], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    assert START < offboarded_at <= onboarding.cloud.clock.now()
    assert SPACE in onboarding.spaces(domain)  # profile, spaces and data stay
    assert _live_apps(onboarding, domain) == []  # on the profile and in the space it owns
    assert onboarding.assigned(domain) == set()
    offboarding = [n for n in onboarding.notices() if n["Subject"].startswith("Domain Steward offboarding")]
    assert len(offboarding) == 1


def test_rejoining_after_retain_restores_access(onboarding: Onboarding):
    domain = onboarding.sso_domain()
    group, user, membership = _member(onboarding, domain)
    onboarding.directory.remove(membership)
    onboarding.send(onboarding.events.leave("api", group, user, membership))

    membership = onboarding.directory.add(group, user)
    onboarding.send(onboarding.events.join("console", group, user))

    profile = onboarding.profiles(domain)[PROFILE]
    assert OFFBOARDED not in profile["Tags"]
    assert onboarding.assigned(domain) == {user}
    assert list(onboarding.spaces(domain)) == [SPACE]  # the same space, not a new one
    subjects = [n["Subject"] for n in onboarding.notices()]
    assert [s.split(":")[0] for s in subjects] == [
        "Domain Steward onboarding",
        "Domain Steward offboarding",
        "Domain Steward onboarding",
    ]


def test_delete_user_offboards_from_the_record(onboarding: Onboarding):
    """After DeleteUser the Identity Store cannot say who it was (AWS-FACTS §3): the record does."""
    domain = onboarding.sso_domain()
    _, user, _ = _member(onboarding, domain)
    onboarding.directory.delete_user(user)

    onboarding.send(onboarding.events.delete_user(user, source="console"))

    assert OFFBOARDED in onboarding.profiles(domain)[PROFILE]["Tags"]
    assert onboarding.assigned(domain) == set()


def test_disable_user_offboards_although_the_user_is_still_a_member(onboarding: Onboarding):
    domain = onboarding.sso_domain()
    _, user, _ = _member(onboarding, domain)

    onboarding.send(onboarding.events.disable_user(user))
    onboarding.reconcile()  # the reconciliation does not give the disabled member their access back

    assert OFFBOARDED in onboarding.profiles(domain)[PROFILE]["Tags"]
    assert onboarding.assigned(domain) == set()


def test_delete_offboarding_runs_the_teardowns_user_profile_scope(onboarding: Onboarding, cloud: LocalCloud):
    domain = onboarding.sso_domain()
    group, user, membership = _member(onboarding, domain, offboarding="delete")
    _run_apps(onboarding, domain)
    onboarding.directory.remove(membership)

    onboarding.send(onboarding.events.leave("api", group, user, membership))

    sfn = onboarding.stack.client("stepfunctions")
    machine = onboarding.stack.state_machine_arn("TeardownStateMachine")
    (execution,) = sfn.list_executions(stateMachineArn=machine)["executions"]
    onboarding.stack.wait_for_execution(execution["executionArn"])
    described = sfn.describe_execution(executionArn=execution["executionArn"])
    assert json.loads(described["input"]) == {"DomainId": domain, "UserProfileName": PROFILE, "Confirm": PROFILE}
    assert described["status"] == "SUCCEEDED", described.get("cause")
    cloud.clock.advance(LATENCIES.user_profile_delete)
    assert onboarding.profiles(domain) == {}
    assert onboarding.spaces(domain) == {}
    assert onboarding.assigned(domain) == set()


def test_duplicate_events_act_once(onboarding: Onboarding, cloud: LocalCloud):
    domain = onboarding.iam_domain()
    onboarding.configure([{"domain_id": domain, "groups": [group_config("Analysts")]}])
    group = onboarding.directory.group("Analysts")
    user = onboarding.directory.user("frank")
    onboarding.directory.add(group, user)
    # An exact redelivery: the same EventBridge event (same id) twice on the queue.
    body = envelope(onboarding.events.join("console", group, user), "3a0f6c1e-0000-4000-8000-000000000001")
    onboarding.send_raw(body)
    onboarding.stack.drain()
    before = len(cloud.calls)

    onboarding.send_raw(body)
    onboarding.stack.drain()

    assert cloud.calls.count("sagemaker", "CreateUserProfile") == 1
    assert [c.service for c in list(cloud.calls)[before:] if c.service in {"sagemaker", "identitystore"}] == []


def test_a_leave_delivered_before_the_join_ends_in_the_current_state(onboarding: Onboarding):
    """Level-triggered: each event converges to the directory as it is now, in whatever order they come."""
    domain = onboarding.iam_domain()
    onboarding.configure([{"domain_id": domain, "groups": [group_config("Analysts")]}])
    group = onboarding.directory.group("Analysts")
    user = onboarding.directory.user("gina")
    membership = onboarding.directory.add(group, user)
    join = onboarding.events.join("api", group, user, membership)
    onboarding.directory.remove(membership)
    leave = onboarding.events.leave("api", group, user, membership)

    onboarding.send(leave)
    onboarding.send(join)
    assert onboarding.profiles(domain) == {}  # she is not a member now: nothing is created

    membership = onboarding.directory.add(group, user)  # she joins again; the events cross once more
    onboarding.send(onboarding.events.leave("console", group, user))
    onboarding.send(onboarding.events.join("console", group, user))
    assert OFFBOARDED not in onboarding.profiles(domain)["gina"]["Tags"]
