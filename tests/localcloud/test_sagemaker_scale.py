"""Scale: a domain with 1000 user profiles, each with a private space and an app, stays fast."""

from __future__ import annotations

import time
from typing import Any


def test_thousand_profiles_with_a_space_and_an_app_each(sm, domain, settle):
    started = time.perf_counter()
    count = 1000
    for i in range(count):
        sm.create_user_profile(DomainId=domain, UserProfileName=f"user{i:04d}")
    settle()
    for i in range(count):
        sm.create_space(
            DomainId=domain,
            SpaceName=f"space{i:04d}",
            OwnershipSettings={"OwnerUserProfileName": f"user{i:04d}"},
            SpaceSharingSettings={"SharingType": "Private"},
            SpaceSettings={"AppType": "JupyterLab"},
        )
    settle()
    for i in range(count):
        sm.create_app(DomainId=domain, SpaceName=f"space{i:04d}", AppType="JupyterLab", AppName="default")
    settle()

    def list_all(operation: Any, key: str, **params: Any) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        token = None
        while True:
            page = operation(MaxResults=100, **params, **({"NextToken": token} if token else {}))
            items += page[key]
            token = page.get("NextToken")
            if not token:
                return items

    profiles = list_all(sm.list_user_profiles, "UserProfiles", DomainIdEquals=domain)
    spaces = list_all(sm.list_spaces, "Spaces", DomainIdEquals=domain)
    apps = list_all(sm.list_apps, "Apps", DomainIdEquals=domain)
    assert len(profiles) == len(spaces) == len(apps) == count
    assert {a["Status"] for a in apps} == {"InService"}
    assert spaces[-1]["OwnershipSettingsSummary"] == {"OwnerUserProfileName": "user0999"}
    # Deleting one profile's resources touches only that profile's apps and spaces.
    sm.delete_app(DomainId=domain, SpaceName="space0500", AppType="JupyterLab", AppName="default")
    assert sm.list_apps(DomainIdEquals=domain, SpaceNameEquals="space0500")["Apps"][0]["Status"] == "Deleting"
    elapsed = time.perf_counter() - started
    assert elapsed < 30, f"3000 creates and 30 list pages took {elapsed:.1f} s"
