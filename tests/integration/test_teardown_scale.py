"""The teardown's cost grows with its polling rounds, not with the number of resources (issue 6, "Scale"): with
the same latencies, a domain of sixty people costs the state transitions and Lambda invocations of a domain of
two, give or take the one polling round where their runs may end apart. Step Functions bills Standard workflows
by state transition and ends an execution at 25,000 history events
(docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html).
"""

from __future__ import annotations

import pytest

from localcloud import LocalCloud
from tests.integration.conftest import StudioBuilder, Teardown


def _cost(cloud: LocalCloud, teardown: Teardown, domain_id: str) -> tuple[int, int]:
    """(state transitions, Lambda invocations) of one teardown of ``domain_id``."""
    calls = len(cloud.calls)
    execution = teardown.run({"DomainId": domain_id, "Confirm": domain_id, "HomeEfsFileSystem": "Delete"})
    assert execution.status == "SUCCEEDED", execution.cause
    history = teardown.stack.execution_history(execution.arn)
    transitions = sum(1 for event in history if event["type"].endswith("StateEntered"))
    invocations = sum(1 for call in list(cloud.calls)[calls:] if (call.service, call.operation) == ("lambda", "Invoke"))
    return transitions, invocations


@pytest.mark.slow
def test_sixty_profiles_cost_what_two_cost(cloud: LocalCloud, studio: StudioBuilder, teardown: Teardown) -> None:
    small = studio.domain("small")
    studio.populate(small, profiles=2, private_spaces=2, apps={"InService": 4})
    large = studio.domain("large")
    # 120 apps: more than one page of ListApps (at most 100 per page).
    studio.populate(large, profiles=60, private_spaces=60, apps={"InService": 120}, prefix="l-")

    small_cost = _cost(cloud, teardown, small)
    large_cost = _cost(cloud, teardown, large)

    # One polling round is a Round task, its Choice and a Wait (3 transitions, 1 invocation). The two runs may
    # end a round apart (a CI run saw the larger domain take one round fewer), which has nothing to do with their
    # size; thirty times the resources must not cost a single round more than that.
    transitions, invocations = (large - small for large, small in zip(large_cost, small_cost, strict=True))
    assert abs(transitions) <= 3, (small_cost, large_cost)
    assert abs(invocations) <= 1, (small_cost, large_cost)


@pytest.mark.slow
def test_a_domain_beyond_the_reports_lists_ends_with_a_truncated_report_and_exact_counts(
    cloud: LocalCloud, studio: StudioBuilder, teardown: Teardown
) -> None:
    # Step Functions caps a state's input and output, and so a task's result, at 256 KB
    # (docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html): past a few hundred resources of a
    # kind, the report names some of them and says so (TEARDOWN-CONTRACT.md: a cap of 300 names per kind).
    domain_id = studio.domain()
    people = 151  # 302 apps: more than 300
    studio.populate(domain_id, profiles=people, private_spaces=people, apps={"InService": 2 * people})

    execution = teardown.run({"DomainId": domain_id, "Confirm": domain_id})

    report = execution.report()
    assert len(execution.description["output"].encode()) <= 256 * 1024
    counts = {kind: report["Counts"]["Plan"][kind] for kind in ("Apps", "Spaces", "UserProfiles")}
    assert counts == {"Apps": 2 * people, "Spaces": people, "UserProfiles": people}
    assert report["Counts"]["Deleted"]["Apps"] == 2 * people
    assert report["Counts"]["Deleted"]["Spaces"] == report["Counts"]["Deleted"]["UserProfiles"] == people
    assert report["Truncated"]["Apps"] is True
    assert len(report["Plan"]["Apps"]) < 2 * people
    assert len(report["Deleted"]["Apps"]) < 2 * people
