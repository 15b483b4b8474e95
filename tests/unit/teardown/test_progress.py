"""What the workflow carries stays within Step Functions' 256 KB of state
(https://docs.aws.amazon.com/step-functions/latest/dg/limits-overview.html), whatever the domain's size."""

from __future__ import annotations

import json

from domain_steward.teardown.progress import LIST_BYTES, LIST_CAP, Ledger


def test_names_are_capped_per_kind_while_counts_stay_exact():
    ledger = Ledger()
    for index in range(LIST_CAP + 5):
        ledger.add("UserProfiles", {"UserProfileName": f"user-{index}"})

    assert ledger.counts == {"UserProfiles": LIST_CAP + 5}
    assert len(ledger.items["UserProfiles"]) == LIST_CAP
    assert ledger.truncated == {"UserProfiles": True}


def test_long_names_are_cut_to_the_byte_budget_from_the_longest_list():
    ledger = Ledger()
    long_name = "x" * 63  # the longest name SageMaker accepts
    for index in range(LIST_CAP):
        ledger.add("Spaces", {"SpaceName": f"{long_name}{index}", "OwnerUserProfileName": long_name})
        ledger.add("Apps", {"AppType": "JupyterLab", "AppName": "default", "SpaceName": f"{long_name}{index}"})
    ledger.add("Domain", {"DomainId": "d-abc"})

    ledger.fit()

    assert len(json.dumps(ledger.items, separators=(",", ":"))) <= LIST_BYTES
    assert ledger.items["Domain"] == [{"DomainId": "d-abc"}]
    assert ledger.truncated
    assert "Domain" not in ledger.truncated
    assert ledger.counts == {"Spaces": LIST_CAP, "Apps": LIST_CAP, "Domain": 1}


def test_lists_within_the_budget_are_left_whole():
    ledger = Ledger()
    for index in range(200):
        ledger.add("Apps", {"AppType": "JupyterLab", "AppName": "default", "SpaceName": f"space-{index:03d}"})

    ledger.fit()

    assert len(ledger.items["Apps"]) == 200
    assert ledger.truncated == {}
