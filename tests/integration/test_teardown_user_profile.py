"""The user-profile scope removes one person's apps, the spaces they own (shared ones too) with their apps,
then the profile; everyone else's resources, and the domain, stay as they were.

Black-box: the deployed TeardownStateMachine (TEARDOWN-CONTRACT.md, INTERFACES.md).
"""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from localcloud import LocalCloud
from tests.integration.conftest import LATENCIES, StudioBuilder, Teardown, app_key, teardown_tags


@pytest.mark.slow
def test_a_profiles_own_apps_and_owned_spaces_go_and_nobody_elses(
    cloud: LocalCloud, studio: StudioBuilder, teardown: Teardown
) -> None:
    domain_id = studio.domain()
    # Three people; each owns one private and one shared space (user-000 owns private-000 and shared-003).
    scenario = studio.populate(domain_id, profiles=3, private_spaces=3, shared_spaces=3, apps={"InService": 12})
    leaving = scenario.profiles[0]
    sagemaker = studio.sagemaker
    # A failed app of theirs needs no delete and does not hold the profile (AWS-FACTS §2).
    studio.launch(domain_id, "KernelGateway", "broken", UserProfileName=leaving)
    cloud.clock.advance(LATENCIES.app_create)
    cloud.fail_app(domain_id, "KernelGateway", "broken", user_profile_name=leaving)
    owned = {space.name for space in scenario.spaces if space.owner == leaving}
    assert owned == {"private-000", "shared-003"}
    theirs = {app.key for app in scenario.apps if app.user_profile_name == leaving or app.space_name in owned}
    others = {app.key for app in scenario.apps} - theirs
    calls = len(cloud.calls)

    execution = teardown.run({"DomainId": domain_id, "UserProfileName": leaving, "Confirm": leaving})

    report = execution.report()
    assert report["UserProfileName"] == leaving
    assert [stage["Stage"] for stage in report["Stages"]] == ["Apps", "Spaces", "UserProfiles"]
    with pytest.raises(ClientError, match="ResourceNotFound"):
        sagemaker.describe_user_profile(DomainId=domain_id, UserProfileName=leaving)
    for name in owned:
        with pytest.raises(ClientError, match="ResourceNotFound"):
            sagemaker.describe_space(DomainId=domain_id, SpaceName=name)
    assert {app_key(item) for item in report["Deleted"]["Apps"]} == theirs
    assert {space["SpaceName"] for space in report["Deleted"]["Spaces"]} == owned
    assert [p["UserProfileName"] for p in report["Deleted"]["UserProfiles"]] == [leaving]
    assert not report["Deleted"].get("Domain")
    broken = ("KernelGateway", "broken", leaving)
    assert broken not in {app_key(call.params) for call in cloud.calls.calls("sagemaker", "DeleteApp")[calls:]}
    # Everyone else's profiles, spaces and apps run on; the domain is no longer marked.
    assert sagemaker.describe_domain(DomainId=domain_id)["Status"] == "InService"
    assert teardown_tags(cloud, domain_id) == []
    profiles = sagemaker.list_user_profiles(DomainIdEquals=domain_id)["UserProfiles"]
    assert {(p["UserProfileName"], p["Status"]) for p in profiles} == {(n, "InService") for n in scenario.profiles[1:]}
    spaces = sagemaker.list_spaces(DomainIdEquals=domain_id)["Spaces"]
    assert {(s["SpaceName"], s["Status"]) for s in spaces} == {
        (s.name, "InService") for s in scenario.spaces if s.name not in owned
    }
    statuses = {app_key(a): a["Status"] for a in sagemaker.list_apps(DomainIdEquals=domain_id, MaxResults=100)["Apps"]}
    assert {key: statuses[key] for key in others} == dict.fromkeys(others, "InService")
