"""`make demo` (issue 9): the whole story runs on the local cloud, every step reaches its state, and a step that
does not makes the demo fail."""

from __future__ import annotations

import io
import time

import pytest

from demo import step_setup, story
from demo.narrative import Narrator
from demo.world import World

# Each test deploys the template and runs at least one step on the local cloud.
pytestmark = pytest.mark.slow


def test_the_demo_tells_the_whole_story_and_passes():
    out = io.StringIO()
    started = time.perf_counter()

    code = story.main(out)

    text = out.getvalue()
    assert code == 0, text
    assert time.perf_counter() - started < 60  # issue 9: under a minute of real time
    assert "Demo passed: 5 of 5 steps reached their expected state." in text
    for title in (
        "1. Identity Center, an SSO domain and the configuration",
        "2. Joining: profiles, default spaces and access appear",
        "3. Auto-stop: idle apps are warned, then stopped",
        "4. Leaving: offboarding with `retain`, then a reconciliation",
        "5. Teardown: the domain and everything it left behind",
    ):
        assert title in text
    assert "✘" not in text
    assert "$ domain-steward config apply domain-steward.yaml --yes" in text  # configured with the operator CLI
    assert "Put /domain-steward/config version 1." in text
    assert "stage Leftovers" in text  # the teardown's progress was shown
    # The functions' JSON log lines went to their file, not into the story.
    assert '"level":' not in text.replace(" ", "")
    assert "_aws" not in text  # CloudWatch embedded metric format


@pytest.mark.parametrize(
    ("how", "reported"),
    [
        ("check", "✘ profiles appear"),
        ("error", "✘ the step stopped: RuntimeError: the queue is gone"),
    ],
)
def test_a_step_that_misses_its_state_fails_the_demo(monkeypatch: pytest.MonkeyPatch, how: str, reported: str):
    def broken(world: World, narrator: Narrator) -> None:
        narrator.chapter("A step that goes wrong", "It does not reach its state.")
        assert world.domain_id  # the steps before it ran
        if how == "error":
            raise RuntimeError("the queue is gone")
        narrator.check("profiles appear", False, "none")

    never_run: list[str] = []
    monkeypatch.setattr(story, "STEPS", (step_setup.run, broken, lambda _world, _narrator: never_run.append("ran")))
    out = io.StringIO()

    code = story.main(out)

    text = out.getvalue()
    assert code == 1
    assert never_run == []  # the story stops at the first step that missed its state
    assert "Demo FAILED: 1 of 5 steps reached their expected state." in text
    assert reported in text
