"""Rounds of the teardown, driven as the state machine drives them: run a round, wait what it asks, repeat.

Every behaviour here is one AWS documents for deleting a domain
(https://docs.aws.amazon.com/sagemaker/latest/dg/gs-studio-delete-domain.html, AWS-FACTS §2): apps, then
spaces, then profiles, then the domain; every delete is asynchronous; users can create resources meanwhile.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from domain_steward.teardown.errors import TeardownStuck
from domain_steward.teardown.progress import Progress
from domain_steward.teardown.stages import FAST_POLL_SECONDS, SLOW_POLL_SECONDS, Budget, Clients, next_wait, run_round
from localcloud import LocalCloud
from tests.unit.teardown.support import Studio, budget, progress_of, target_of


def drive(cloud: LocalCloud, clients: Clients, progress: Progress, rounds: int = 400) -> Progress:
    for _ in range(rounds):
        progress = run_round(clients, progress, cloud.clock.now, budget())
        if progress.finished:
            return progress
        cloud.clock.advance(progress.wait_seconds)
    raise AssertionError(f"not finished after {rounds} rounds: {progress.remaining}")


def _deleted_apps(cloud: LocalCloud) -> list[tuple[str, str | None]]:
    return [
        (c.params["AppType"], c.params.get("SpaceName") or c.params.get("UserProfileName"))
        for c in cloud.calls.calls("sagemaker", "DeleteApp")
    ]


def test_a_domain_goes_in_order_and_failed_apps_are_never_deleted(cloud: LocalCloud, clients: Clients, studio: Studio):
    domain_id = studio.domain()
    studio.profile(domain_id, "alice")
    studio.space(domain_id, "lab", "alice")
    studio.app(domain_id, SpaceName="lab")
    studio.app(domain_id, "Canvas", UserProfileName="alice")
    # AWS-FACTS §1: a Failed app holds nothing, and DeleteApp accepts only InService apps.
    cloud.fail_app(domain_id, "Canvas", "default", user_profile_name="alice")
    progress = progress_of(target_of(clients, domain_id, retention="Delete"), cloud.clock.now())

    progress = drive(cloud, clients, progress)

    assert _deleted_apps(cloud) == [("JupyterLab", "lab")]
    assert [r.stage for r in progress.stages] == ["Apps", "Spaces", "UserProfiles", "Domain", "Leftovers"]
    assert progress.deleted.counts == {"Apps": 1, "Spaces": 1, "UserProfiles": 1, "Domain": 1, "SecurityGroups": 2}
    assert clients.sagemaker.list_domains()["Domains"] == []
    order = [
        c.operation
        for c in cloud.calls
        if c.operation in ("DeleteApp", "DeleteSpace", "DeleteUserProfile", "DeleteDomain")
    ]
    assert order == ["DeleteApp", "DeleteSpace", "DeleteUserProfile", "DeleteDomain"]


def test_a_pending_app_is_deleted_once_it_is_in_service(cloud: LocalCloud, clients: Clients, studio: Studio):
    domain_id = studio.domain()
    studio.profile(domain_id, "alice")
    studio.app(domain_id, "Canvas", settle=False, UserProfileName="alice")
    progress = progress_of(target_of(clients, domain_id), cloud.clock.now())

    progress = run_round(clients, progress, cloud.clock.now, budget())

    assert not progress.finished
    assert cloud.calls.count("sagemaker", "DeleteApp") == 0
    assert progress.remaining == {"App": 1}
    assert drive(cloud, clients, progress).deleted.counts["Apps"] == 1


def test_what_is_created_while_the_teardown_runs_is_caught(cloud: LocalCloud, clients: Clients, studio: Studio):
    domain_id = studio.domain()
    studio.profile(domain_id, "alice")
    studio.app(domain_id, "Canvas", UserProfileName="alice")
    progress = progress_of(target_of(clients, domain_id), cloud.clock.now())
    progress = run_round(clients, progress, cloud.clock.now, budget())  # the Canvas app is deleting
    # Meanwhile a user launches an app and automation adds a profile (AWS-FACTS §2: teardowns must converge).
    studio.profile(domain_id, "late-comer")
    studio.app(domain_id, "Canvas", UserProfileName="late-comer")

    progress = drive(cloud, clients, progress)

    assert progress.deleted.counts["UserProfiles"] == 2
    assert {"AppType": "Canvas", "AppName": "default", "UserProfileName": "late-comer"} in progress.deleted.items[
        "Apps"
    ]


def test_an_app_launched_during_a_later_stage_is_still_deleted_first(
    cloud: LocalCloud, clients: Clients, studio: Studio
):
    domain_id = studio.domain()
    studio.profile(domain_id, "alice")
    studio.space(domain_id, "lab", "alice")
    progress = progress_of(target_of(clients, domain_id), cloud.clock.now())
    # The Apps stage finds nothing and hands over to Spaces in the same round; a space with a live app
    # cannot be deleted (ResourceInUse), so its new app must be found and deleted again.
    cloud.faults.add("sagemaker", "DeleteSpace", "in_use", times=1)
    progress = run_round(clients, progress, cloud.clock.now, budget())
    assert progress.current.stage == "Spaces"
    studio.app(domain_id, SpaceName="lab")

    progress = drive(cloud, clients, progress)

    assert progress.deleted.counts["Apps"] == 1
    assert progress.deleted.counts["Spaces"] == 1
    deletes = [c.operation for c in cloud.calls if c.operation in ("DeleteApp", "DeleteSpace")]
    assert deletes.index("DeleteApp") < len(deletes) - 1
    assert deletes[-1] == "DeleteSpace"


def test_resource_in_use_from_a_race_is_retried_next_round(cloud: LocalCloud, clients: Clients, studio: Studio):
    domain_id = studio.domain()
    studio.profile(domain_id, "alice")
    cloud.faults.add("sagemaker", "DeleteUserProfile", "in_use", times=1)
    progress = progress_of(target_of(clients, domain_id), cloud.clock.now())

    progress = drive(cloud, clients, progress)

    assert cloud.calls.count("sagemaker", "DeleteUserProfile") == 2
    assert progress.deleted.items["UserProfiles"] == [{"UserProfileName": "alice"}]


def test_a_resource_that_stays_deleting_ends_the_teardown_stuck_naming_it(
    cloud: LocalCloud, clients: Clients, studio: Studio
):
    domain_id = studio.domain()
    studio.profile(domain_id, "alice")
    studio.space(domain_id, "lab", "alice")
    studio.app(domain_id, SpaceName="lab")
    cloud.keep_deleting(domain_id, space_name="lab", app_type="JupyterLab", app_name="default")
    progress = progress_of(target_of(clients, domain_id, stage_timeout_minutes=20), cloud.clock.now())
    started = cloud.clock.now()

    with pytest.raises(TeardownStuck) as stuck:
        drive(cloud, clients, progress)

    assert "Stage Apps" in str(stuck.value)
    assert "App JupyterLab/default of space lab: Deleting" in str(stuck.value)
    # Measured on the workflow's clock, and noticed within one (slow) poll of the limit.
    waited = cloud.clock.now() - started
    assert timedelta(minutes=20) <= waited <= timedelta(minutes=20, seconds=SLOW_POLL_SECONDS)


def test_polling_is_fast_while_a_stage_is_young_then_slow_and_backs_off_when_blocked(
    cloud: LocalCloud, clients: Clients, studio: Studio
):
    progress = progress_of(target_of(clients, studio.domain()), cloud.clock.now())
    started = progress.current.started_at
    assert next_wait(progress, started + timedelta(minutes=1)) == FAST_POLL_SECONDS
    assert next_wait(progress, started + timedelta(minutes=30)) == SLOW_POLL_SECONDS
    progress.blocked_rounds = 3
    assert next_wait(progress, started) == FAST_POLL_SECONDS * 8


def test_a_round_out_of_time_starts_no_delete_and_leaves_the_rest_to_the_next(
    cloud: LocalCloud, clients: Clients, studio: Studio
):
    domain_id = studio.domain()
    studio.profile(domain_id, "alice")
    studio.app(domain_id, "Canvas", UserProfileName="alice")
    progress = progress_of(target_of(clients, domain_id), cloud.clock.now())

    progress = run_round(clients, progress, cloud.clock.now, Budget(0))

    assert cloud.calls.count("sagemaker", "DeleteApp") == 0
    assert progress.remaining == {"App": 1}
    assert not progress.finished
