"""The scenario builder the teardown tests stand on builds what it promises, through the SageMaker API."""

from __future__ import annotations

from collections import Counter

from localcloud import LocalCloud
from tests.integration.conftest import DOMAIN_SHARED, StudioBuilder, app_key, domain_residue, inventory


def test_populate_builds_profiles_spaces_and_apps_in_every_status(studio: StudioBuilder) -> None:
    domain_id = studio.domain()
    mix = {"Pending": 3, "InService": 10, "Failed": 2, "Deleting": 3, "Deleted": 2}

    scenario = studio.populate(domain_id, profiles=5, private_spaces=3, shared_spaces=2, apps=mix)

    sagemaker = studio.sagemaker
    profiles = sagemaker.list_user_profiles(DomainIdEquals=domain_id)["UserProfiles"]
    assert sorted(p["UserProfileName"] for p in profiles) == scenario.profiles
    spaces = {s["SpaceName"]: s for s in sagemaker.list_spaces(DomainIdEquals=domain_id)["Spaces"]}
    assert Counter(s["SpaceSharingSettingsSummary"]["SharingType"] for s in spaces.values()) == {
        "Private": 3,
        "Shared": 2,
    }
    for spec in scenario.spaces:
        assert spaces[spec.name]["OwnershipSettingsSummary"]["OwnerUserProfileName"] == spec.owner
    listed = {app_key(a): a["Status"] for a in sagemaker.list_apps(DomainIdEquals=domain_id, MaxResults=100)["Apps"]}
    assert listed == {app.key: app.status for app in scenario.apps}
    assert Counter(listed.values()) == mix
    # Spaces run one app each; the rest are spread over the profiles.
    assert sum(1 for app in scenario.apps if app.space_name) == 5


def test_rstudio_domain_runs_the_domain_shared_server_app(studio: StudioBuilder) -> None:
    domain_id = studio.domain(rstudio=True)

    [server] = studio.rstudio_server(domain_id)

    assert (server["UserProfileName"], server["AppName"], server["Status"]) == (DOMAIN_SHARED, "default", "InService")


def test_inventory_and_residue_see_a_domains_storage_and_network(cloud: LocalCloud, studio: StudioBuilder) -> None:
    domain_id = studio.domain(tags={"team": "a"})
    description = studio.sagemaker.describe_domain(DomainId=domain_id)

    snapshot = inventory(cloud)
    residue = domain_residue(cloud, domain_id, description["HomeEfsFileSystemId"])

    assert snapshot["Domains"][domain_id]["Tags"] == [("team", "a")]
    assert residue["FileSystems"] == [description["HomeEfsFileSystemId"]]
    assert len(residue["MountTargets"]) == 2  # one per subnet, in two zones
    assert len(residue["SecurityGroups"]) == 2  # the inbound and outbound NFS groups
    assert inventory(cloud) == snapshot  # nothing in it moves while nothing happens
