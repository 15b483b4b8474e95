"""The template harness: deploys a SAM template onto the local cloud and drives its event sources.

See ``localcloud/README.md`` for how tests use it.
"""

from localcloud.harness.lambdas import FunctionError, LambdaContext, LocalFunction
from localcloud.harness.queues import DrainReport
from localcloud.harness.resources import DeployError
from localcloud.harness.routing import Delivery
from localcloud.harness.stack import Stack
from localcloud.harness.template import TemplateError, translate

__all__ = [
    "Delivery",
    "DeployError",
    "DrainReport",
    "FunctionError",
    "LambdaContext",
    "LocalFunction",
    "Stack",
    "TemplateError",
    "translate",
]
