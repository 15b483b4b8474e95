"""Options every command takes: where AWS is, and ``--json``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

from domain_steward_cli.aws import Aws
from domain_steward_cli.output import Output

F = TypeVar("F", bound=Callable[..., Any])

DEFAULT_PARAMETER_NAME = "/domain-steward/config"  # the template's ConfigParameterName default


def common(command: F) -> F:
    """``--profile``, ``--region``, ``--endpoint-url`` and ``--json``; the command receives ``aws`` and ``out``."""

    def with_context(**kwargs: Any) -> Any:
        aws = Aws(kwargs.pop("profile"), kwargs.pop("region"), kwargs.pop("endpoint_url"))
        out = Output(json_mode=kwargs.pop("json_mode"))
        return command(aws=aws, out=out, **kwargs)

    with_context.__name__ = command.__name__
    with_context.__doc__ = command.__doc__
    decorated: Any = with_context
    for option in reversed(
        [
            click.option("--profile", help="AWS named profile (default: the standard credential chain)."),
            click.option("--region", help="AWS Region (default: the profile's or AWS_REGION)."),
            click.option(
                "--endpoint-url",
                help="Send every AWS call here, e.g. a local cloud (python -m localcloud serve): http://127.0.0.1:5000.",
            ),
            click.option("--json", "json_mode", is_flag=True, help="Print one JSON document, for scripts."),
        ]
    ):
        decorated = option(decorated)
    return decorated  # type: ignore[no-any-return]


def parameter_name(command: F) -> F:
    return click.option(
        "--parameter-name",
        default=DEFAULT_PARAMETER_NAME,
        show_default=True,
        help="The SSM parameter that holds the configuration (the stack's ConfigParameterName).",
    )(command)
