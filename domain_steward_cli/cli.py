"""The ``domain-steward`` command: the root group, and exit codes (0 ok, 1 failure or refusal, 2 usage error)."""

from __future__ import annotations

import sys
from collections.abc import Sequence

import click
from botocore.exceptions import BotoCoreError, ClientError

from domain_steward import __version__
from domain_steward_cli.config_commands import config_group
from domain_steward_cli.job_commands import reconcile_command, sweep_command
from domain_steward_cli.teardown_commands import teardown_group


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="domain-steward")
def cli() -> None:
    """Operate Domain Steward: its configuration, reconciliation, auto-stop sweep and teardowns.

    Every command takes --profile, --region and --endpoint-url (AWS or a local cloud) and --json.
    """


cli.add_command(config_group)
cli.add_command(reconcile_command)
cli.add_command(sweep_command)
cli.add_command(teardown_group)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line ``argv`` (default: ``sys.argv[1:]``) and return its exit code."""
    try:
        result = cli.main(
            args=list(sys.argv[1:] if argv is None else argv), prog_name="domain-steward", standalone_mode=False
        )
    except click.UsageError as error:
        error.show()
        return 2
    except click.ClickException as error:
        error.show()
        return 1
    except click.Abort:
        click.echo("Aborted.", err=True)
        return 1
    except (ClientError, BotoCoreError) as error:
        # An AWS refusal (access denied, throttled past the retries, no credentials...): say it, no traceback.
        click.echo(f"Error: {error}", err=True)
        return 1
    return result if isinstance(result, int) else 0
