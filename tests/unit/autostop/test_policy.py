"""Exemptions, warn then stop, the cap, dry run (issue 8, Tests), swept on the local cloud."""

from __future__ import annotations

import pytest

from domain_steward.autostop.policy import exemption_for, parse_exemption
from localcloud import LocalCloud
from tests.unit.autostop.support import Studio, Sweeper, config, heartbeat

AUTOSTOP = "domain-steward:autostop"


@pytest.mark.parametrize(
    ("value", "off", "minutes", "problem"),
    [
        ("off", True, None, False),
        (" OFF ", True, None, False),
        ("240", False, 240, False),
        ("0", False, None, True),
        ("soon", False, None, True),
        ("525601", False, None, True),
    ],
)
def test_tag_values(value: str, off: bool, minutes: int | None, problem: bool):
    exemption = parse_exemption(value, "space")
    assert exemption is not None
    assert (exemption.off, exemption.minutes, bool(exemption.problem)) == (off, minutes, problem)


def test_the_space_tag_wins_and_an_unreadable_one_defers_to_the_profile():
    assert exemption_for({AUTOSTOP: "30"}, {AUTOSTOP: "off"}).minutes == 30  # type: ignore[union-attr]
    assert exemption_for({AUTOSTOP: "off"}, {AUTOSTOP: "30"}).off  # type: ignore[union-attr]
    assert exemption_for({AUTOSTOP: "later"}, {AUTOSTOP: "off"}).off  # type: ignore[union-attr]
    assert exemption_for({}, {}) is None


def _idle_space(cloud: LocalCloud, studio: Studio, domain: str, space: str, owner: str, *, idle: float, **tags):
    studio.space(domain, space, owner, tags=tags or None)
    app = studio.app(domain, "JupyterLab", SpaceName=space)
    heartbeat(cloud, app, idle)
    return app


def test_exemptions_by_profile_tag_and_space_tag(cloud: LocalCloud, studio: Studio, sweeper: Sweeper):
    domain = studio.domain()
    studio.profile(domain, "exempt", tags={AUTOSTOP: "off"})
    studio.profile(domain, "patient", tags={AUTOSTOP: "600"})
    studio.profile(domain, "plain")
    exempt = _idle_space(cloud, studio, domain, "exempt-lab", "exempt", idle=7200)
    overruled = _idle_space(cloud, studio, domain, "overruled-lab", "exempt", idle=7200, **{AUTOSTOP: "90"})
    patient = _idle_space(cloud, studio, domain, "patient-lab", "patient", idle=7200)
    sheltered = _idle_space(cloud, studio, domain, "sheltered-lab", "plain", idle=7200, **{AUTOSTOP: "off"})

    sweeper.run(config(domain, idle_minutes=60))

    assert studio.status(exempt) == "InService"
    assert "off on the user profile" in sweeper.decision("default", "exempt-lab")["reason"]
    assert studio.status(overruled) == "Deleting"  # the space's 90 minutes beat its owner's "off"
    assert sweeper.decision("default", "overruled-lab")["threshold_minutes"] == 90
    assert studio.status(patient) == "InService"
    assert sweeper.decision("default", "patient-lab")["threshold_minutes"] == 600
    assert studio.status(sheltered) == "InService"
    assert "off on the space" in sweeper.decision("default", "sheltered-lab")["reason"]


def test_a_profile_tag_exempts_its_own_apps(cloud: LocalCloud, studio: Studio, sweeper: Sweeper):
    domain = studio.domain()
    studio.profile(domain, "ana", tags={AUTOSTOP: "off"})
    canvas = studio.app(domain, "Canvas", UserProfileName="ana")
    cloud.clock.advance(3 * 3600)

    sweeper.run(config(domain, idle_minutes=60))

    assert studio.status(canvas) == "InService"
    assert sweeper.decision("default", "ana")["signal"] == "canvas"


def test_warn_then_stop(cloud: LocalCloud, studio: Studio, sweeper: Sweeper):
    domain = studio.domain()
    studio.profile(domain, "ana")
    lab = _idle_space(cloud, studio, domain, "lab", "ana", idle=7200)
    policy = config(domain, idle_minutes=60, warn_minutes=30)

    first = sweeper.run(policy)
    assert (first.warned, first.stopped) == (1, 0)
    assert studio.status(lab) == "InService"

    cloud.clock.advance(15 * 60)
    heartbeat(cloud, lab, 8100)
    second = sweeper.run(policy)
    assert (second.warned, second.stopped) == (0, 0)
    assert "warned 15 minutes ago" in sweeper.decision("default", "lab")["reason"]

    cloud.clock.advance(15 * 60)
    heartbeat(cloud, lab, 9000)
    third = sweeper.run(policy)
    assert third.stopped == 1
    assert studio.status(lab) == "Deleting"


def test_warn_then_activity_keeps_the_app_and_forgets_the_warning(cloud: LocalCloud, studio: Studio, sweeper: Sweeper):
    domain = studio.domain()
    studio.profile(domain, "ana")
    lab = _idle_space(cloud, studio, domain, "lab", "ana", idle=7200)
    policy = config(domain, idle_minutes=60, warn_minutes=30)
    assert sweeper.run(policy).warned == 1

    cloud.clock.advance(45 * 60)
    heartbeat(cloud, lab, 120)  # the user came back
    assert sweeper.run(policy).stopped == 0
    assert studio.status(lab) == "InService"

    cloud.clock.advance(15 * 60)
    heartbeat(cloud, lab, 7200)  # idle again: a fresh warning, not a stop on the old one
    again = sweeper.run(policy)
    assert (again.warned, again.stopped) == (1, 0)


def test_the_cap_stops_the_idlest_first(cloud: LocalCloud, studio: Studio, sweeper: Sweeper):
    domain = studio.domain()
    studio.profile(domain, "ana")
    apps = {
        name: _idle_space(cloud, studio, domain, name, "ana", idle=minutes * 60)
        for name, minutes in (("lab-a", 100), ("lab-b", 400), ("lab-c", 250), ("lab-d", 70))
    }

    report = sweeper.run(config(domain, idle_minutes=60, max_stops_per_sweep=2))

    assert report.stopped == 2
    assert {name for name, app in apps.items() if studio.status(app) == "Deleting"} == {"lab-b", "lab-c"}
    assert "cap" in sweeper.decision("default", "lab-a")["reason"]


def test_dry_run_stops_nothing_and_reports_every_decision(cloud: LocalCloud, studio: Studio, sweeper: Sweeper):
    domain = studio.domain()
    studio.profile(domain, "ana")
    lab = _idle_space(cloud, studio, domain, "lab", "ana", idle=7200)
    before = cloud.calls.count("sagemaker", "DeleteApp")

    report = sweeper.run(config(domain, idle_minutes=60), dry_run=True)

    assert cloud.calls.count("sagemaker", "DeleteApp") == before
    assert studio.status(lab) == "InService"
    assert report.stopped == 0
    assert [(d["decision"], d["dry_run"], d["outcome"]) for d in report.decisions] == [
        ("stop", True, "dry run: would stop")
    ]


def test_the_configuration_can_ask_for_a_dry_run(cloud: LocalCloud, studio: Studio, sweeper: Sweeper):
    domain = studio.domain()
    studio.profile(domain, "ana")
    lab = _idle_space(cloud, studio, domain, "lab", "ana", idle=7200)

    sweeper.run(config(domain, idle_minutes=60, dry_run=True))

    assert studio.status(lab) == "InService"
    assert sweeper.decision("default", "lab")["outcome"] == "dry run: would stop"
