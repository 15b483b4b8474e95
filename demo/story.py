"""The whole story on one machine (issue 9, `make demo`): the stack deployed from template.yaml on the local cloud,
then joining, auto-stop, leaving and teardown, each step checked. ``main`` returns the exit code."""

from __future__ import annotations

import contextlib
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from typing import TextIO

from rich.console import Console

from demo import step_autostop, step_offboarding, step_onboarding, step_setup, step_teardown
from demo.narrative import Narrator
from demo.world import LATENCIES, START, TEMPLATE, World
from localcloud import LocalCloud

STEPS: Sequence[Callable[[World, Narrator], None]] = (
    step_setup.run,
    step_onboarding.run,
    step_autostop.run,
    step_offboarding.run,
    step_teardown.run,
)


def main(out: TextIO | None = None) -> int:
    """Run the story, told on ``out`` (stdout); 0 when every step reached its expected state, 1 otherwise."""
    console = Console(file=out or sys.stdout, width=120, highlight=False)
    story = Narrator(console)
    started = time.perf_counter()
    console.rule("[bold]Domain Steward: the whole story on the local cloud")
    # The functions log JSON lines and CloudWatch metrics on stdout, as in Lambda; they go to a file so the story
    # stays readable (template.yaml keeps POWERTOOLS_LOG_LEVEL=INFO for real deployments).
    with (
        tempfile.NamedTemporaryFile("w", prefix="domain-steward-demo-", suffix=".log", delete=False) as log,
        contextlib.redirect_stdout(log),
        LocalCloud(start=START, latencies=LATENCIES) as cloud,
    ):
        world = World(cloud, cloud.deploy(TEMPLATE))
        console.print(
            f"Deployed {TEMPLATE.name}: {len(world.stack.functions)} functions, "
            f"{len(world.stack.state_machines)} state machines, on a virtual clock starting {START:%Y-%m-%d %H:%M} UTC."
        )
        for step in STEPS:
            try:
                step(world, story)
            except Exception as error:  # noqa: BLE001 - reported as the step's failure, and the story stops there
                story.fail(error)
            if not story.current.passed:
                break
        virtual = cloud.clock.now() - START
    hours, rest = divmod(int(virtual.total_seconds()), 3600)
    passed = story.summary(time.perf_counter() - started, f"{hours} h {rest // 60:02d} min", log.name)
    return 0 if passed else 1
