"""A stage that does not converge ends the teardown ``TeardownStuck``, naming what is stuck, unmarking the
domain and notifying the admins, within its time limit and far below Step Functions' history limit.

AWS documents no way to force a hung delete; the local cloud's ``keep_deleting`` control holds one, as a
hang of AWS's own delete would. Step Functions Standard executions end at 25,000 history events
(docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html).
"""

from __future__ import annotations

import pytest

from localcloud import LocalCloud
from tests.integration.conftest import Notifications, StudioBuilder, Teardown, app_key, teardown_tags

HISTORY_LIMIT = 25_000


@pytest.mark.slow
def test_an_app_stuck_in_deleting_ends_the_teardown_naming_it(
    cloud: LocalCloud, studio: StudioBuilder, teardown: Teardown, notifications: Notifications
) -> None:
    domain_id = studio.domain()
    scenario = studio.populate(domain_id, profiles=2, private_spaces=1, apps={"InService": 5})
    stuck = next(app for app in scenario.apps if app.user_profile_name)
    assert stuck.user_profile_name is not None
    cloud.keep_deleting(
        domain_id, user_profile_name=stuck.user_profile_name, app_type=stuck.app_type, app_name=stuck.app_name
    )
    started = cloud.clock.now()

    # The default StageTimeoutMinutes: 60 (INTERFACES.md).
    execution = teardown.run({"DomainId": domain_id, "Confirm": domain_id})

    assert (execution.status, execution.error) == ("FAILED", "TeardownStuck")
    label = f"App {stuck.app_type}/{stuck.app_name} of user profile {stuck.user_profile_name}"
    assert f"{label}: Deleting" in execution.cause
    assert execution.cause.startswith(f"Stage Apps of the teardown of domain {domain_id} did not finish within 60")
    waited = (cloud.clock.now() - started).total_seconds()
    assert 60 * 60 <= waited <= 70 * 60, f"gave up after {waited / 60:.1f} virtual minutes"
    history = teardown.stack.execution_history(execution.arn)
    assert len(history) < HISTORY_LIMIT / 10, f"{len(history)} history events for one stuck hour"
    # The other apps went; nothing later was started; the mark is gone, so the domain is usable again.
    statuses = {app_key(a): a["Status"] for a in studio.sagemaker.list_apps(DomainIdEquals=domain_id)["Apps"]}
    assert statuses.pop(stuck.key) == "Deleting"
    assert set(statuses.values()) == {"Deleted"}
    assert cloud.calls.count("sagemaker", "DeleteSpace") == 0
    assert teardown_tags(cloud, domain_id) == []
    [notice] = notifications.received()
    assert "TeardownStuck" in notice["Message"]
    assert execution.arn in notice["Message"]
