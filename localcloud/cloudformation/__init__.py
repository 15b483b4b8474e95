"""CloudFormation on the local cloud: ``sam deploy`` (and any CloudFormation client) deploys a SAM template
through the harness, so its functions run our handlers and its state machines run on the local Step Functions
engine; other templates go to moto's CloudFormation, which now reports the Outputs of a change set's stack.

See localcloud/README.md ("Deploying with sam deploy").
"""

from localcloud.cloudformation.backend import install
from localcloud.cloudformation.stacks import close_all, subscribe

__all__ = ["close_all", "install", "subscribe"]
