"""``config validate FILE``, ``config apply FILE``, ``config show``: the configuration parameter.

Parsing is ``domain_steward.config.parse_config``, the very check the functions run, so a file that validates
here is one every job accepts.
"""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any

import click
from rich.syntax import Syntax

from domain_steward.config import ConfigInvalid, StewardConfig, parse_config
from domain_steward.studio import error_code
from domain_steward_cli.aws import Aws
from domain_steward_cli.options import common, parameter_name
from domain_steward_cli.output import Output

# A standard parameter holds up to 4,096 characters; a longer configuration needs the advanced tier (up to 8 KB,
# charged): https://docs.aws.amazon.com/systems-manager/latest/userguide/parameter-store-advanced-parameters.html
STANDARD_MAX_CHARACTERS = 4096


def _summary(config: StewardConfig) -> list[dict[str, Any]]:
    return [
        {
            "DomainId": domain.domain_id,
            "Offboarding": domain.offboarding,
            "Groups": [group.group for group in domain.groups],
            "AutoStopIdleMinutes": domain.autostop.idle_minutes if domain.autostop else None,
        }
        for domain in config.domains
    ]


def _show_summary(out: Output, config: StewardConfig) -> None:
    out.table(
        "Domains",
        ["domain", "offboarding", "groups", "auto-stop idle minutes"],
        [
            [d["DomainId"], d["Offboarding"], ", ".join(d["Groups"]) or "-", d["AutoStopIdleMinutes"] or "off"]
            for d in _summary(config)
        ],
    )


def _show_problems(out: Output, error: ConfigInvalid) -> None:
    out.err.print(f"[red]{error.source} is invalid[/red]")
    for problem in error.problems:
        out.err.print(f"  - {problem}")


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise click.ClickException(f"cannot read {path}: {error}") from error


def _current(aws: Aws, name: str) -> dict[str, Any] | None:
    try:
        return dict(aws.client("ssm").get_parameter(Name=name)["Parameter"])
    except Exception as error:
        if error_code(error) == "ParameterNotFound":
            return None
        raise


@click.group("config")
def config_group() -> None:
    """The configuration every job reads (an SSM parameter, YAML or JSON)."""


@config_group.command("validate")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@common
def validate(*, aws: Aws, out: Output, file: Path) -> int:  # noqa: ARG001 (validation needs no AWS)
    """Check FILE as the functions would; exit 1 if it is invalid."""
    try:
        config = parse_config(_read(file), str(file))
    except ConfigInvalid as error:
        if out.json_mode:
            out.document({"File": str(file), "Valid": False, "Problems": error.problems})
        else:
            _show_problems(out, error)
        return 1
    if out.json_mode:
        out.document({"File": str(file), "Valid": True, "Problems": [], "Domains": _summary(config)})
    else:
        out.say(f"[green]{file} is valid[/green]")
        _show_summary(out, config)
    return 0


@config_group.command("show")
@parameter_name
@common
def show(*, aws: Aws, out: Output, parameter_name: str) -> int:
    """Print the configuration parameter and whether it is valid."""
    current = _current(aws, parameter_name)
    if current is None:
        if out.json_mode:
            out.document({"ParameterName": parameter_name, "Exists": False})
        else:
            out.err.print(f"[red]parameter {parameter_name} does not exist[/red]: apply a configuration first")
        return 1
    text = str(current.get("Value", ""))
    try:
        parse_config(text, f"parameter {parameter_name}")
        problems: list[str] = []
    except ConfigInvalid as error:
        problems = error.problems
    if out.json_mode:
        out.document(
            {
                "ParameterName": parameter_name,
                "Exists": True,
                "Version": current.get("Version"),
                "LastModifiedDate": current.get("LastModifiedDate"),
                "Value": text,
                "Valid": not problems,
                "Problems": problems,
            }
        )
    else:
        out.say(f"{parameter_name} (version {current.get('Version')}, modified {current.get('LastModifiedDate')})")
        out.out.print(Syntax(text, "yaml"))
        if problems:
            _show_problems(out, ConfigInvalid(problems, f"parameter {parameter_name}"))
        else:
            out.say("[green]valid[/green]")
    return 0 if not problems else 1


@config_group.command("apply")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Put the parameter without asking.")
@parameter_name
@common
def apply(*, aws: Aws, out: Output, file: Path, yes: bool, parameter_name: str) -> int:
    """Validate FILE, show the diff against the parameter, then put it (exit 1 if invalid or declined)."""
    if out.json_mode and not yes:
        raise click.UsageError("--json cannot answer a prompt: add --yes")
    text = _read(file)
    try:
        parse_config(text, str(file))
    except ConfigInvalid as error:
        if out.json_mode:
            out.document(
                {"ParameterName": parameter_name, "Applied": False, "Valid": False, "Problems": error.problems}
            )
        else:
            _show_problems(out, error)
            out.err.print("Nothing was put.")
        return 1
    current = _current(aws, parameter_name)
    before = str(current["Value"]) if current else ""
    diff = "".join(
        difflib.unified_diff(
            before.splitlines(keepends=True),
            text.splitlines(keepends=True),
            fromfile=f"{parameter_name} (current)" if current else f"{parameter_name} (does not exist)",
            tofile=str(file),
        )
    )
    result: dict[str, Any] = {"ParameterName": parameter_name, "Valid": True, "Diff": diff}
    if current is not None and before == text:
        result.update(Applied=False, Changed=False, Version=current.get("Version"))
        out.document(result) if out.json_mode else out.say("No change: the parameter already holds this file.")
        return 0
    if not out.json_mode:
        out.out.print(Syntax(diff, "diff"))
        if not yes and not click.confirm(f"Put {file} into {parameter_name}?", default=False):
            out.err.print("Declined: nothing was put.")
            return 1
    request: dict[str, Any] = {"Name": parameter_name, "Value": text, "Type": "String", "Overwrite": True}
    if len(text) > STANDARD_MAX_CHARACTERS:
        request["Tier"] = "Advanced"
    version = aws.client("ssm").put_parameter(**request)["Version"]
    result.update(Applied=True, Changed=True, Version=version)
    if out.json_mode:
        out.document(result)
    else:
        # The functions cache the parameter for domain_steward.config.CACHE_SECONDS.
        out.say(f"[green]Put {parameter_name} version {version}.[/green] Warm functions see it within 5 minutes.")
    return 0
