from __future__ import annotations

import pytest

from domain_steward import aws_clients


@pytest.fixture(autouse=True)
def _fresh_clients(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    monkeypatch.delenv("AWS_REGION", raising=False)
    aws_clients.reset()
    yield
    aws_clients.reset()


def test_clients_are_shared_per_service_and_region():
    assert aws_clients.sagemaker() is aws_clients.sagemaker()
    assert aws_clients.identitystore("us-east-1") is not aws_clients.identitystore("eu-west-1")


def test_clients_default_to_the_functions_region_and_identity_center_can_live_elsewhere(monkeypatch):
    monkeypatch.setenv("AWS_REGION", "eu-central-1")
    assert aws_clients.efs().meta.region_name == "eu-central-1"
    assert aws_clients.sso_admin("us-east-1").meta.region_name == "us-east-1"


def test_clients_retry_adaptively():
    retries = aws_clients.sagemaker().meta.config.retries  # type: ignore[attr-defined]
    assert retries["mode"] == "adaptive"
    # botocore counts the first attempt too: 8 retries are 9 attempts.
    assert retries["total_max_attempts"] == 9


def test_no_client_exists_before_first_use():
    aws_clients.reset()
    assert aws_clients.client.cache_info().currsize == 0
    aws_clients.ec2()
    assert aws_clients.client.cache_info().currsize == 1
