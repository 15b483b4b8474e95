"""The ``domain-steward:teardown`` mark (INTERFACES.md): onboarding and auto-stop leave a marked resource
alone, and a second teardown refuses to start while the execution named in the mark is still running.

The domain scope marks the domain. The user-profile scope marks only the profile, so that the rest of the
domain keeps being served while one person's resources go.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from domain_steward.studio import error_code
from domain_steward.tags import TEARDOWN, sagemaker_tags
from domain_steward.teardown.errors import TeardownAlreadyRunning

if TYPE_CHECKING:
    from mypy_boto3_sagemaker import SageMakerClient
    from mypy_boto3_stepfunctions import SFNClient


def _running(sfn: SFNClient, execution_arn: str) -> bool:
    try:
        return sfn.describe_execution(executionArn=execution_arn)["status"] == "RUNNING"
    except Exception as error:
        # A mark naming an execution that no longer exists (history expired, state machine deleted) is stale.
        if error_code(error) in ("ExecutionDoesNotExist", "InvalidArn"):
            return False
        raise


def check_not_running(sfn: SFNClient, tags: Mapping[str, str], resource: str, execution_arn: str) -> None:
    """Refuse when ``resource`` carries the mark of another execution that is still running."""
    other = tags.get(TEARDOWN)
    if other and other != execution_arn and _running(sfn, other):
        raise TeardownAlreadyRunning(
            f"{resource} is already being torn down by execution {other}. Wait for it to finish, or stop it "
            "(aws stepfunctions stop-execution --execution-arn <arn>) and start again."
        )


def mark(sagemaker: SageMakerClient, sfn: SFNClient, arn: str, resource: str, execution_arn: str) -> None:
    check_not_running(sfn, sagemaker_tags(sagemaker, arn), resource, execution_arn)
    sagemaker.add_tags(ResourceArn=arn, Tags=[{"Key": TEARDOWN, "Value": execution_arn}])
    # Two executions that passed the check at once both tag; the later tag wins and the other one stops here.
    check_not_running(sfn, sagemaker_tags(sagemaker, arn), resource, execution_arn)


def unmark(sagemaker: SageMakerClient, arn: str, execution_arn: str) -> bool:
    """Remove this execution's mark; another execution's mark stays. Returns whether a mark was removed."""
    try:
        if sagemaker_tags(sagemaker, arn).get(TEARDOWN) != execution_arn:
            return False
        sagemaker.delete_tags(ResourceArn=arn, TagKeys=[TEARDOWN])
    except Exception as error:
        if error_code(error) in ("ResourceNotFound", "ValidationException"):
            return False  # the resource is gone, and its mark with it
        raise
    return True
