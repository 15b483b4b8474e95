"""A new LocalCloud is a new account and a new deployment: nothing a function cached in an earlier one survives."""

from __future__ import annotations

import os
from datetime import UTC, datetime

import boto3
from aws_lambda_powertools.utilities import parameters

from localcloud import LocalCloud

START = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)


def test_a_new_cloud_does_not_serve_a_parameter_cached_in_an_earlier_one():
    for value in ("first", "second"):
        with LocalCloud(start=START) as cloud:
            cloud.client("ssm").put_parameter(Name="/domain-steward/config", Value=value, Type="String")
            # Both clouds start at the same virtual instant, well inside max_age of the earlier read.
            assert parameters.get_parameter("/domain-steward/config", max_age=300) == value


def test_a_cloud_ignores_an_endpoint_the_environment_names_and_restores_it(monkeypatch):
    # A shell that points the AWS CLI at a local cloud server exports AWS_ENDPOINT_URL, which the SDKs honour
    # (https://docs.aws.amazon.com/sdkref/latest/guide/feature-ss-endpoints.html): an in-process cloud started
    # there must still be the one its clients reach.
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("AWS_ENDPOINT_URL_SSM", "http://127.0.0.1:9")
    with LocalCloud(start=START) as cloud:
        cloud.client("ssm").put_parameter(Name="/reached", Value="in-process", Type="String")
        assert boto3.client("ssm").get_parameter(Name="/reached")["Parameter"]["Value"] == "in-process"
    assert os.environ["AWS_ENDPOINT_URL"] == os.environ["AWS_ENDPOINT_URL_SSM"] == "http://127.0.0.1:9"
