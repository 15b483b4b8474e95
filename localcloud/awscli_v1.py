"""An AWS CLI v1 plugin: the endpoint the environment or the config file names wins for every service.

The SDKs and the AWS CLI take a service endpoint from ``AWS_ENDPOINT_URL``, ``AWS_ENDPOINT_URL_<SERVICE>`` or
``endpoint_url`` in the config file (https://docs.aws.amazon.com/sdkref/latest/guide/feature-ss-endpoints.html),
which is how a shell points them at ``python -m localcloud serve``. AWS CLI v1 (1.46) then replaces the endpoint
of a few services (SQS, EMR, RDS and others) by their legacy SSL common names, ``https://queue.amazonaws.com`` for
SQS in us-east-1, unless ``--endpoint-url`` is on the command line (``awscli/customizations/
overridesslcommonname.py``): ``aws sqs ...`` would leave the local cloud for AWS. AWS CLI v2 has no such override.

Enable it in the AWS config file the CLI reads::

    [plugins]
    localcloud = localcloud.awscli_v1

It changes nothing when no endpoint is configured, so real AWS keeps the CLI's own behaviour.
"""

from __future__ import annotations

import os
from typing import Any

_EVENT = "before-building-argument-table-parser"


def _configured_endpoint(session: Any, service: str) -> str | None:
    variable = "AWS_ENDPOINT_URL_" + service.upper().replace("-", "_").replace(" ", "_")
    configured = os.environ.get(variable) or os.environ.get("AWS_ENDPOINT_URL")
    if configured:
        return configured
    value = session.get_scoped_config().get("endpoint_url")
    return str(value) if value else None


def awscli_initialize(cli: Any) -> None:
    """The AWS CLI v1 plugin entry point: wraps the SSL common-name override so a configured endpoint wins."""
    from awscli.customizations.overridesslcommonname import update_endpoint_url

    def update_unless_configured(session: Any, parsed_globals: Any, **kwargs: Any) -> None:
        if parsed_globals.endpoint_url is None:
            configured = _configured_endpoint(session, str(parsed_globals.command))
            if configured:
                parsed_globals.endpoint_url = configured
                return
        update_endpoint_url(session, parsed_globals, **kwargs)

    cli.unregister(_EVENT, update_endpoint_url)
    cli.register_last(_EVENT, update_unless_configured)
