"""``LocalCloud``: moto, our SageMaker Studio and Identity Center emulation, a virtual clock, a call log,
fault injection and the template harness, started and stopped together.

    with LocalCloud() as cloud:
        stack = cloud.deploy("template.yaml")
        cloud.clock.advance(300)
        sagemaker = cloud.client("sagemaker")
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Mapping
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from botocore.config import Config
from moto import mock_aws

from localcloud import cloudformation, ec2, efs, sqs, ssoadmin
from localcloud import sagemaker as studio
from localcloud.calls import INTERCEPTOR, CallLog, Faults
from localcloud.clock import VirtualClock, use_clock
from localcloud.session import NO_RETRIES, shared_session

if TYPE_CHECKING:
    from localcloud.harness.stack import Stack
    from localcloud.sagemaker.latency import Latencies
    from localcloud.sagemaker.options import StudioOptions

DEFAULT_REGION = "us-east-1"
DEFAULT_ACCOUNT = "123456789012"

_FAKE_ENVIRONMENT = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_SECURITY_TOKEN": "testing",
}


def _forget_cached_aws_data() -> None:
    """A new cloud is a new deployment: no Lambda environment outlives it, so neither may what one cached.

    Functions get their own copies of their code and layers (see the harness), but libraries a test process
    shares with them stay loaded between clouds. Powertools Parameters is the one that caches AWS data (SSM
    values, for ``max_age`` seconds on a clock that every cloud restarts), so a later cloud would read an
    earlier cloud's parameters.
    """
    parameters = sys.modules.get("aws_lambda_powertools.utilities.parameters")
    if parameters is not None:
        parameters.clear_caches()


class LocalCloud:
    """One local AWS account and Region. Use as a context manager; everything is reset on entry."""

    def __init__(
        self,
        region: str = DEFAULT_REGION,
        account_id: str = DEFAULT_ACCOUNT,
        *,
        start: datetime | None = None,
        latencies: Latencies | None = None,
        seed: int = 0,
        studio: StudioOptions | None = None,
    ) -> None:
        self.region = region
        self.account_id = account_id
        self.clock = VirtualClock(start)
        self.latencies = latencies
        self.seed = seed
        self.studio_options = studio  # None: StudioOptions() (SageMaker relaunches nothing by itself)
        self.calls: CallLog = INTERCEPTOR.log
        self.faults: Faults = INTERCEPTOR.faults
        self.stack: Stack | None = None
        self._mock: Any = None
        self._saved_environment: dict[str, str | None] = {}
        self._previous_clock: VirtualClock | None = None
        self._unsubscribe: Callable[[], None] | None = None

    # -- lifecycle -------------------------------------------------------------------------------

    def __enter__(self) -> LocalCloud:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def start(self) -> None:
        environment = {
            **_FAKE_ENVIRONMENT,
            "AWS_DEFAULT_REGION": self.region,
            "AWS_REGION": self.region,
            "MOTO_ACCOUNT_ID": self.account_id,
            # Thousands of default AMIs cost every start half a second; no Studio API needs them.
            "MOTO_EC2_LOAD_DEFAULT_AMIS": os.environ.get("MOTO_EC2_LOAD_DEFAULT_AMIS", "false"),
        }
        for key, value in environment.items():
            self._saved_environment[key] = os.environ.get(key)
            os.environ[key] = value
        # Clients must reach this cloud, not an endpoint the environment names for the SDKs (AWS_ENDPOINT_URL,
        # AWS_ENDPOINT_URL_<SERVICE>: https://docs.aws.amazon.com/sdkref/latest/guide/feature-ss-endpoints.html),
        # such as a local cloud server's that a shell around this process points the AWS CLI at.
        for key in [key for key in os.environ if key == "AWS_ENDPOINT_URL" or key.startswith("AWS_ENDPOINT_URL_")]:
            self._saved_environment[key] = os.environ.pop(key)
        self._previous_clock = use_clock(self.clock)
        _forget_cached_aws_data()
        INTERCEPTOR.install()
        INTERCEPTOR.log.clear()
        INTERCEPTOR.faults.clear()
        studio.install(latencies=self.latencies, seed=self.seed, studio=self.studio_options)
        ssoadmin.install()
        efs.install()
        ec2.install()
        sqs.install()
        from localcloud.harness import stepfunctions as sfn_engine

        sfn_engine.install()
        # A SAM template deployed through the CloudFormation API becomes cloud.stack, as cloud.deploy's does.
        cloudformation.install()
        self._unsubscribe = cloudformation.subscribe(self._adopt)
        self._mock = mock_aws(
            config={
                "stepfunctions": {"execute_state_machine": True},
                "lambda": {"use_docker": False},
                "core": {"reset_boto3_session": True},
            }
        )
        self._mock.start()

    def stop(self) -> None:
        if self.stack is not None:
            self.stack.close()
            self.stack = None
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        cloudformation.close_all()
        if self._mock is not None:
            from localcloud.harness import stepfunctions as sfn_engine

            sfn_engine.stop_running_executions()
            self._mock.stop()
            self._mock = None
        INTERCEPTOR.faults.clear()
        if self._previous_clock is not None:
            use_clock(self._previous_clock)
            self._previous_clock = None
        for key, value in self._saved_environment.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        self._saved_environment.clear()

    # -- clients ---------------------------------------------------------------------------------

    def client(self, service: str, *, retries: bool = False, validate: bool = True) -> Any:
        """A boto3 client for ``service`` in this cloud's Region. Without ``retries`` faults surface at once;
        ``validate=False`` skips botocore's client-side parameter checks, to reach the emulation's own as a
        caller without them would (the CLI over HTTP, Step Functions' SDK integrations)."""
        config = Config(parameter_validation=validate)
        if not retries:
            config = NO_RETRIES.merge(config)
        return shared_session().client(service, region_name=self.region, config=config)  # type: ignore[call-overload]

    # -- SageMaker Studio controls ---------------------------------------------------------------

    def mark_user_active(self, domain_id: str, app_type: str, app_name: str, **owner: str) -> None:
        """Record user activity in an app now (moves ``LastUserActivityTimestamp`` past the health check)."""
        studio.controls.mark_user_active(self.account_id, self.region, domain_id, app_type, app_name, **owner)

    def fail_app(
        self, domain_id: str, app_type: str, app_name: str, reason: str = "Injected failure", **owner: str
    ) -> None:
        """Put an app into ``Failed`` with ``reason``."""
        studio.controls.fail_app(self.account_id, self.region, domain_id, app_type, app_name, reason, **owner)

    def open_browser_tab(self, domain_id: str, user_profile_name: str) -> None:
        """The user opens Studio Classic now: launches their JupyterServer ``default`` app if none is live, and,
        with ``StudioOptions(relaunch_jupyter_server=True)``, relaunches it when it is deleted until the tab
        is closed."""
        studio.browser.open_browser_tab(self.account_id, self.region, domain_id, user_profile_name)

    def close_browser_tab(self, domain_id: str, user_profile_name: str) -> None:
        """The user closes Studio Classic now."""
        studio.browser.close_browser_tab(self.account_id, self.region, domain_id, user_profile_name)

    # A resource is named as in the API: the domain id alone is the domain; ``user_profile_name=`` or
    # ``space_name=`` a profile or space; with ``app_type=`` and ``app_name=`` an app of that owner.

    def keep_deleting(self, domain_id: str, **names: str) -> None:
        """Hold a domain, profile, space or app in ``Deleting`` until :meth:`release`: at once if it is being
        deleted, otherwise from its next ``Delete*`` call."""
        studio.controls.keep_deleting(self.account_id, self.region, domain_id, **names)

    def fail_resource(self, domain_id: str, status: str, reason: str = "Injected failure", **names: str) -> None:
        """Move a resource to ``Failed``, ``Update_Failed`` or ``Delete_Failed`` (as its status enum allows) with
        ``reason`` as ``FailureReason``: now if it is in the matching transitional status, otherwise when its
        next update or delete would have finished."""
        studio.controls.fail_resource(self.account_id, self.region, domain_id, status, reason, **names)

    def release(self, domain_id: str, **names: str) -> None:
        """Lift :meth:`keep_deleting` and armed :meth:`fail_resource` controls; a held delete goes on."""
        studio.controls.release(self.account_id, self.region, domain_id, **names)

    def identity_center_user(
        self, user_name: str, *, given_name: str | None = None, family_name: str = "User", email: str | None = None
    ) -> str:
        """Create a user in the Identity Center instance's identity store (outside the call log); returns its UserId."""
        return ssoadmin.create_user(
            self.account_id, self.region, user_name, given_name=given_name, family_name=family_name, email=email
        )

    # -- the deployed template -------------------------------------------------------------------

    def deploy(self, template: str | Path, parameters: Mapping[str, str] | None = None) -> Stack:
        """Create every resource of a SAM ``template`` on this cloud; functions run our handlers in-process."""
        from localcloud.harness.stack import Stack

        if self.stack is not None:
            self.stack.close()
        self.stack = Stack.deploy(self, Path(template), dict(parameters or {}))
        return self.stack

    def _adopt(self, stack: Stack, deployed: bool) -> None:
        if (stack.account_id, stack.region) != (self.account_id, self.region):
            return
        if deployed:
            self.stack = stack
        elif self.stack is stack:
            self.stack = None

    def _deployed(self) -> Stack:
        if self.stack is None:
            raise RuntimeError("nothing is deployed: call cloud.deploy(template) first")
        return self.stack

    def put_events(self, entries: list[dict[str, Any]]) -> dict[str, Any]:
        """``PutEvents`` routed through the deployed rules to their targets, as EventBridge would."""
        return self._deployed().put_events(entries)

    def run_schedule(self, logical_id: str) -> list[Any]:
        """Fire the scheduled rule (or SAM ``Schedule`` event) ``logical_id`` now; returns its targets' results."""
        return self._deployed().run_schedule(logical_id)

    def start_execution(
        self, logical_id: str, execution_input: Mapping[str, Any] | None = None, *, name: str | None = None
    ) -> dict[str, Any]:
        """Start the state machine ``logical_id`` and return ``DescribeExecution`` once it has finished."""
        return self._deployed().start_execution(logical_id, dict(execution_input or {}), name=name)
