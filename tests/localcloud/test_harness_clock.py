"""Handlers live on the local cloud's virtual clock: they read it, and their sleeps advance it."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from localcloud import LocalCloud
from localcloud.harness import Stack

TEMPLATE = """
    Transform: AWS::Serverless-2016-10-31
    Globals:
      Function:
        Runtime: python3.11
        CodeUri: code/
        Timeout: 60
    Resources:
      ClockFunction:
        Type: AWS::Serverless::Function
        Properties:
          Handler: clock.read
      SleepFunction:
        Type: AWS::Serverless::Function
        Properties:
          Handler: clock.sleep
      PoolFunction:
        Type: AWS::Serverless::Function
        Properties:
          Handler: clock.pool
      BudgetFunction:
        Type: AWS::Serverless::Function
        Properties:
          Handler: clock.until_out_of_time
      DeadlineFunction:
        Type: AWS::Serverless::Function
        Properties:
          Handler: clock.poll_until_deadline
      ListFunction:
        Type: AWS::Serverless::Function
        Properties:
          Handler: clock.list_domains
      Waiter:
        Type: AWS::Serverless::StateMachine
        Properties:
          Definition:
            StartAt: Pause
            States:
              Pause:
                Type: Wait
                Seconds: 3600
                End: true
      WatchFunction:
        Type: AWS::Serverless::Function
        Properties:
          Handler: clock.watch
          Environment:
            Variables:
              WAITER: !Ref Waiter
      NestedFunction:
        Type: AWS::Serverless::Function
        Properties:
          Handler: clock.nested
          Environment:
            Variables:
              SLEEPER: !Ref SleepFunction
"""

HANDLERS = """
import datetime
import json
import os
import time
from concurrent.futures import ThreadPoolExecutor

import boto3
from botocore.config import Config

FORMAT = "%Y-%m-%dT%H:%M:%S"


def read(event, context):
    return {
        "time": time.time(),
        "time_ns": time.time_ns(),
        "now": datetime.datetime.now(datetime.UTC).isoformat(),
        "naive_now": datetime.datetime.now().isoformat(),
        "utcnow": datetime.datetime.utcnow().isoformat(),
        "today": datetime.date.today().isoformat(),
        "gmtime": time.strftime(FORMAT, time.gmtime()),
        "localtime": time.strftime(FORMAT, time.localtime()),
        "remaining_ms": context.get_remaining_time_in_millis(),
    }


def sleep(event, context):
    wall, mono, remaining = time.time(), time.monotonic(), context.get_remaining_time_in_millis()
    time.sleep(event["seconds"])
    return {
        "wall": time.time() - wall,
        "monotonic": time.monotonic() - mono,
        "remaining_before": remaining,
        "remaining_after": context.get_remaining_time_in_millis(),
        "now": datetime.datetime.now(datetime.UTC).isoformat(),
    }


def pool(event, context):
    start = time.time()
    with ThreadPoolExecutor(max_workers=4) as workers:
        list(workers.map(time.sleep, [event["seconds"]] * 4))
    return {"wall": time.time() - start}


def until_out_of_time(event, context):
    # Work in 5 s steps while more than 10 s remain, as a batch job that must not be cut off.
    steps = 0
    while context.get_remaining_time_in_millis() > 10_000:
        time.sleep(5)
        steps += 1
    return {"steps": steps, "remaining_ms": context.get_remaining_time_in_millis()}


def poll_until_deadline(event, context):
    deadline, polls = time.monotonic() + event["seconds"], 0
    while time.monotonic() < deadline:
        polls += 1
        time.sleep(10)
    return {"polls": polls}


def list_domains(event, context):
    sagemaker = boto3.client("sagemaker", config=Config(retries={"mode": event["mode"], "max_attempts": 10}))
    names = []
    for _ in range(event["calls"]):
        names.append(sorted(d["DomainName"] for d in sagemaker.list_domains()["Domains"]))
    return {"names": names}


def watch(event, context):
    sfn = boto3.client("stepfunctions")
    started = datetime.datetime.now(datetime.UTC)
    arn = sfn.start_execution(stateMachineArn=os.environ["WAITER"])["executionArn"]
    while sfn.describe_execution(executionArn=arn)["status"] == "RUNNING":
        time.sleep(0.001)
    return {"started": started.isoformat(), "ended": datetime.datetime.now(datetime.UTC).isoformat()}


def nested(event, context):
    response = boto3.client("lambda").invoke(FunctionName=os.environ["SLEEPER"], Payload=json.dumps(event))
    inner = json.loads(response["Payload"].read())
    return {"inner": inner, "now": datetime.datetime.now(datetime.UTC).isoformat()}
"""


@pytest.fixture
def stack(cloud: LocalCloud, sam_project: Callable[..., Path]) -> Stack:
    return cloud.deploy(sam_project(TEMPLATE, {"code/clock.py": HANDLERS}))


def test_the_handler_reads_the_virtual_clock(cloud: LocalCloud, stack: Stack):
    cloud.clock.advance(3 * 3600 + 0.25)
    now = cloud.clock.now()

    seen = stack.invoke("ClockFunction", {})

    assert seen["time"] == now.timestamp()
    assert seen["time_ns"] == int(now.timestamp()) * 1_000_000_000 + now.microsecond * 1000
    assert seen["now"] == now.isoformat()
    # Lambda runs in UTC (TZ is UTC: https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html),
    # so naive local time, utcnow and the struct_time functions all give the virtual UTC time.
    naive = now.replace(tzinfo=None)
    assert seen["naive_now"] == seen["utcnow"] == naive.isoformat()
    assert seen["today"] == naive.date().isoformat()
    assert seen["gmtime"] == seen["localtime"] == naive.strftime("%Y-%m-%dT%H:%M:%S")
    assert seen["remaining_ms"] == 60_000


def test_datetime_now_in_the_handler_follows_every_advance(cloud: LocalCloud, stack: Stack):
    seen = []
    for seconds in (0, 90, 86_400):
        cloud.clock.advance(seconds)
        seen.append((stack.invoke("ClockFunction", {})["now"], cloud.clock.now().isoformat()))

    assert all(handler == clock for handler, clock in seen)
    # Outside the handler, the process keeps real time.
    assert abs(time.time() - cloud.clock.timestamp()) > 3600


def test_a_sleep_in_the_handler_advances_the_clock_not_real_time(cloud: LocalCloud, stack: Stack):
    before, real = cloud.clock.now(), time.monotonic()

    result = stack.invoke("SleepFunction", {"seconds": 45})

    assert time.monotonic() - real < 5
    assert cloud.clock.now() - before == timedelta(seconds=45)
    assert result["now"] == cloud.clock.now().isoformat()
    assert result["wall"] == 45
    assert result["monotonic"] >= 45  # a deadline measured with monotonic sees the sleep
    # get_remaining_time_in_millis counts down on the same clock
    # (https://docs.aws.amazon.com/lambda/latest/dg/python-context.html).
    assert (result["remaining_before"], result["remaining_after"]) == (60_000, 15_000)


def test_a_handler_stops_cleanly_when_its_time_runs_out(cloud: LocalCloud, stack: Stack):
    before = cloud.clock.now()

    result = stack.invoke("BudgetFunction", {})

    # 60 s timeout: steps at 60, 55, ... 15 s remaining, then 10 s remain and it stops.
    assert result == {"steps": 10, "remaining_ms": 10_000}
    assert cloud.clock.now() - before == timedelta(seconds=50)


def test_a_monotonic_deadline_ends_after_its_virtual_time(cloud: LocalCloud, stack: Stack):
    # Without monotonic following the sleeps, this loop would spin for 300 real seconds.
    before = cloud.clock.now()

    result = stack.invoke("DeadlineFunction", {"seconds": 300})

    assert result == {"polls": 30}
    assert cloud.clock.now() - before == timedelta(seconds=300)


def test_threads_the_handler_starts_sleep_on_the_clock(cloud: LocalCloud, stack: Stack):
    before = cloud.clock.now()

    result = stack.invoke("PoolFunction", {"seconds": 120})

    # Four workers sleeping "at once" share one clock: their sleeps add up, as concurrent waits in the
    # Step Functions engine do.
    assert cloud.clock.now() - before == timedelta(seconds=480)
    assert result["wall"] == 480


def test_a_nested_synchronous_invocation_shares_the_handler_time(cloud: LocalCloud, stack: Stack):
    result = stack.invoke("NestedFunction", {"seconds": 30})

    assert result["inner"]["wall"] == 30
    assert result["now"] == result["inner"]["now"] == cloud.clock.now().isoformat()


def test_the_handler_time_follows_an_advance_made_by_another_thread(cloud: LocalCloud, stack: Stack):
    # The execution's hour-long Wait advances the clock from moto's worker thread while the handler polls.
    result = stack.invoke("WatchFunction", {})

    ended = datetime.fromisoformat(result["ended"])
    assert ended == cloud.clock.now()
    assert ended - datetime.fromisoformat(result["started"]) >= timedelta(hours=1)


def test_sleeping_outside_a_handler_stays_real(cloud: LocalCloud, stack: Stack):
    stack.invoke("SleepFunction", {"seconds": 5})
    before, real = cloud.clock.now(), time.monotonic()

    time.sleep(0.05)

    assert cloud.clock.now() == before
    assert time.monotonic() - real >= 0.05


@pytest.mark.parametrize("mode", ["standard", "adaptive", "legacy"])
def test_throttling_retries_back_off_on_the_virtual_clock(
    cloud: LocalCloud, stack: Stack, new_domain: Callable[..., str], mode: str
):
    new_domain("alpha")
    new_domain("beta")
    event: dict[str, Any] = {"mode": mode, "calls": 20}
    calm_start = cloud.clock.now()
    calm = stack.invoke("ListFunction", event)
    calm_calls = cloud.calls.count("sagemaker", "ListDomains")
    assert cloud.clock.now() == calm_start  # no throttling, no backoff: no time passes

    cloud.faults.add("sagemaker", "ListDomains", "throttling", rate=0.3)
    throttled_start, throttled_log_start = cloud.clock.now(), len(cloud.calls)
    throttled = stack.invoke("ListFunction", event)

    assert throttled == calm  # every call eventually succeeded
    assert calm["names"][0] == ["alpha", "beta"]
    throttled_calls = cloud.calls.calls("sagemaker", "ListDomains")[calm_calls:]
    faults = [c for c in throttled_calls if c.fault]
    # The call log shows every attempt, the throttled ones included (30 % of them, give or take).
    assert faults
    assert len(throttled_calls) == 20 + len(faults)
    assert len(cloud.calls) - throttled_log_start == len(throttled_calls)
    # botocore's backoff (and, in adaptive mode, its token bucket) waited on the virtual clock
    # (https://docs.aws.amazon.com/boto3/latest/guide/retries.html).
    assert cloud.clock.now() > throttled_start
