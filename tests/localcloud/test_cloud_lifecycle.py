"""A new LocalCloud is a new account and a new deployment: nothing a function cached in an earlier one survives."""

from __future__ import annotations

from datetime import UTC, datetime

from aws_lambda_powertools.utilities import parameters

from localcloud import LocalCloud

START = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)


def test_a_new_cloud_does_not_serve_a_parameter_cached_in_an_earlier_one():
    for value in ("first", "second"):
        with LocalCloud(start=START) as cloud:
            cloud.client("ssm").put_parameter(Name="/domain-steward/config", Value=value, Type="String")
            # Both clouds start at the same virtual instant, well inside max_age of the earlier read.
            assert parameters.get_parameter("/domain-steward/config", max_age=300) == value
