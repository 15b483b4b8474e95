from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from localcloud.clock import VirtualClock, get_clock, use_clock

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def test_the_clock_moves_only_when_advanced():
    clock = VirtualClock(START)
    assert clock.now() == START
    assert clock.advance(90) == START + timedelta(seconds=90)
    assert clock.now() == START + timedelta(seconds=90)
    assert clock.timestamp() == (START + timedelta(seconds=90)).timestamp()


def test_the_clock_never_goes_back():
    clock = VirtualClock(START)
    with pytest.raises(ValueError, match="only moves forward"):
        clock.advance(-1)
    assert clock.advance_to(START - timedelta(hours=1)) == START


def test_advance_to_a_moment_and_listeners_hear_every_advance():
    clock = VirtualClock(START)
    heard: list[datetime] = []
    clock.on_advance(heard.append)
    clock.advance_to(START + timedelta(minutes=5))
    clock.advance(60)
    assert heard == [START + timedelta(minutes=5), START + timedelta(minutes=6)]


def test_use_clock_swaps_the_active_clock_and_returns_the_previous_one():
    mine = VirtualClock(START)
    previous = use_clock(mine)
    try:
        assert get_clock() is mine
    finally:
        assert use_clock(previous) is mine
    assert get_clock() is previous


def test_a_naive_start_is_rejected_by_comparison_but_an_aware_one_is_normalised_to_utc():
    from zoneinfo import ZoneInfo

    clock = VirtualClock(datetime(2026, 3, 2, 10, 0, tzinfo=ZoneInfo("Europe/Paris")))
    assert clock.now() == START
    assert clock.now().tzinfo == UTC
