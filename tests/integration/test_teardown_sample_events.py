"""The sample teardown inputs in events/ are valid: the workflow accepts them and goes on to look for the
domain they name (a placeholder id, so it is not found), and the dry-run sample plans a real domain."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from localcloud import LocalCloud
from tests.integration.conftest import StudioBuilder, Teardown, changing_calls

EVENTS = Path(__file__).resolve().parents[2] / "events"
SAMPLES = sorted(path.name for path in EVENTS.glob("teardown-*.json"))


def _sample(name: str) -> dict[str, Any]:
    sample: dict[str, Any] = json.loads((EVENTS / name).read_text())
    return sample


def test_every_documented_sample_exists() -> None:
    assert SAMPLES == ["teardown-domain.json", "teardown-dry-run.json", "teardown-user-profile.json"]


@pytest.mark.parametrize("name", SAMPLES)
def test_a_sample_input_passes_validation(teardown: Teardown, name: str) -> None:
    execution = teardown.run(_sample(name))

    # Past the input checks, the placeholder domain does not exist.
    assert (execution.status, execution.error) == ("FAILED", "DomainNotFound"), execution.cause


def test_the_dry_run_sample_plans_a_real_domain(cloud: LocalCloud, studio: StudioBuilder, teardown: Teardown) -> None:
    domain_id = studio.domain()
    studio.populate(domain_id, profiles=1, apps={"InService": 1})
    calls = len(cloud.calls)

    execution = teardown.run({**_sample("teardown-dry-run.json"), "DomainId": domain_id, "Confirm": domain_id})

    assert execution.report()["Status"] == "DRY_RUN"
    assert changing_calls(cloud, calls) == []
