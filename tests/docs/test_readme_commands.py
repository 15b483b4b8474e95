"""Every command README.md shows runs here (issue 9), as a reader would run it, against the local cloud.

One scenario, in a copy of the project: `python -m localcloud serve` is the AWS account; the README's deploy
block (`sam build && sam deploy --guided`) deploys the stack onto it; then the README's blocks and inline
commands run in bash, in the order a reader meets them, with the AWS CLI, SAM CLI, `domain-steward`, `make`,
`pip` and `python` found on PATH through shims that log every invocation. Placeholders (`<domain ARN>`,
`d-abcdefghijkl`, ...) are replaced by real values of the scenario; nothing else of a command is changed.

Then each command the README shows (fenced or inline; see readme_commands.py) must be covered by a logged
invocation: word for word, or for a synopsis (`domain-steward teardown plan DOMAIN [--delete-home-efs]`) by
invocations of the same command using every option it shows. The one command that cannot run here is
`make test`: it is the command that runs this test (`.ci/run`).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

from localcloud.network import create_studio_vpc
from tests.docs.readme_commands import PROGRAMS, covered, fenced_blocks, shown_commands
from tests.local_server import local_cloud_server, server_client, server_control

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")
REGION = "us-east-1"
HOME_REGION = "us-west-2"  # the forwarder's Region in the cross-Region case
FORWARDER_STACK = "domain-steward-forwarder"
STACK = "domain-steward"  # samconfig.toml's stack_name, which `sam deploy --guided` offers
ROLE = "arn:aws:iam::123456789012:role/SageMakerExecution"
# Placeholder credentials for the local cloud; no real configuration or credentials file is read. The config file
# the scenario writes loads localcloud.awscli_v1: AWS CLI v1 would otherwise send SQS commands to AWS's legacy
# SQS endpoint despite AWS_ENDPOINT_URL (v2 does not).
AWS_CONFIG = "[default]\nregion = us-east-1\n\n[plugins]\nlocalcloud = localcloud.awscli_v1\n"
AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": REGION,
    "AWS_REGION": REGION,
    "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    "SAM_CLI_TELEMETRY": "0",
    "AWS_PAGER": "",
    "COLUMNS": "200",
}
# `sam deploy --guided`: accept every default it offers (stack name and Region, the six template parameters,
# confirm changes, allow IAM role creation, keep rollback, save to samconfig.toml, its name and environment),
# then confirm the change set.
GUIDED_ANSWERS = "\n" * 14 + "y\n"

SHIM = """#!{python}
# Logs the command line, then runs the real program: the next one of that name on PATH after this directory.
import json, os, sys
name = os.path.basename(sys.argv[0])
with open(os.environ["README_COMMAND_LOG"], "a", encoding="utf-8") as log:
    log.write(json.dumps([name, *sys.argv[1:]]) + "\\n")
here = os.path.dirname(os.path.abspath(__file__))
for folder in os.environ["PATH"].split(os.pathsep):
    candidate = os.path.join(folder, name)
    if os.path.abspath(folder) != here and os.access(candidate, os.X_OK) and not os.path.isdir(candidate):
        os.execv(candidate, [candidate, *sys.argv[1:]])
sys.exit(f"{{name}}: not found on PATH")
"""


@dataclass
class Step:
    name: str
    script: str
    code: int
    output: str


@dataclass
class Scenario:
    sandbox: Path
    log: Path
    env: dict[str, str]
    server_url: str = ""
    values: dict[str, str] = field(default_factory=dict)
    steps: list[Step] = field(default_factory=list)
    # Each step's placeholder values (a step may name another domain as d-abcdefghijkl).
    value_sets: list[dict[str, str]] = field(default_factory=list)
    facts: dict[str, Any] = field(default_factory=dict)

    def run(
        self, name: str, script: str, *, stdin: str = "", values: Mapping[str, str] | None = None, timeout: float = 600
    ) -> Step:
        """``script`` in bash (errexit, pipefail) in the sandbox, with this step's placeholders replaced."""
        from tests.docs.readme_commands import substitute

        step_values = {**self.values, **(values or {})}
        self.value_sets.append(step_values)
        text = substitute(script, step_values)
        completed = subprocess.run(
            ["bash", "-c", "set -euo pipefail\n" + text],
            input=stdin,
            capture_output=True,
            text=True,
            cwd=self.sandbox,
            env=self.env,
            timeout=timeout,
            check=False,
        )
        step = Step(name, text, completed.returncode, completed.stdout + completed.stderr)
        self.steps.append(step)
        return step

    def client(self, service: str, region: str = REGION) -> Any:
        return server_client(self.server_url, service, region=region, attempts=3)

    def control(self, method: str, route: str, body: dict[str, Any] | None = None) -> Any:
        return server_control(self.server_url, method, route, body)

    def ran(self) -> list[list[str]]:
        lines = self.log.read_text(encoding="utf-8").splitlines() if self.log.exists() else []
        return [json.loads(line) for line in lines]


def block(first_command: str) -> str:
    """The README's fenced shell block that contains a line starting with ``first_command``."""
    found = [
        text
        for _, text in fenced_blocks(README)
        if any(line.lstrip().startswith(first_command) for line in text.splitlines())
    ]
    assert len(found) == 1, f"README.md has {len(found)} shell blocks with {first_command!r}"
    return found[0]


def inline(prefix: str) -> str:
    """The README's inline command starting with ``prefix``, as written (wrapped lines joined)."""
    found = {" ".join(m.group(1).split()) for m in re.finditer(r"`(" + re.escape(prefix) + r"[^`]*)`", README)}
    assert len(found) == 1, f"README.md shows {sorted(found)} for {prefix!r}"
    return found.pop()


def _sandbox(target: Path) -> None:
    """The project as a clone has it (tracked and new files, nothing ignored), its virtual environment shared."""
    # The shared environment must be as make leaves it (`make test` brings it up to date before pytest runs);
    # otherwise `make` in the copy would try to rebuild it there.
    subprocess.run(["make", "--quiet", "venv"], cwd=ROOT, check=True, capture_output=True)
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.decode()
    for relative in filter(None, listed.split("\0")):
        source = ROOT / relative
        if source.is_file():
            (target / relative).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / relative)  # keeps times: make sees the venv as up to date
    (target / ".venv").symlink_to(ROOT / ".venv")


def _shims(folder: Path) -> None:
    folder.mkdir()
    for program in PROGRAMS:
        shim = folder / program
        shim.write_text(SHIM.format(python=sys.executable), encoding="utf-8")
        shim.chmod(0o755)


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scenario]:
    base = tmp_path_factory.mktemp("readme")
    sandbox = base / "domain-steward"
    sandbox.mkdir()
    _sandbox(sandbox)
    shims = base / "shims"
    _shims(shims)
    path = os.pathsep.join([str(shims), str(ROOT / ".venv" / "bin"), os.environ.get("PATH", "/usr/bin:/bin")])
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "PYTEST_", "MAKE", "MFLAGS"))},
        **AWS_ENV,
        "PATH": path,
        "README_COMMAND_LOG": str(base / "commands.jsonl"),
        "AWS_CONFIG_FILE": str(base / "aws-config"),
    }
    (base / "aws-config").write_text(AWS_CONFIG)
    env.pop("VIRTUAL_ENV", None)
    scenario = Scenario(sandbox=sandbox, log=base / "commands.jsonl", env=env)
    # Through the python shim, as a reader starts it: the README shows this command too.
    with (
        (base / "server.log").open("w") as server_log,
        local_cloud_server(env, python=["python"], cwd=sandbox, stderr=server_log) as url,
    ):
        scenario.server_url = url
        env["AWS_ENDPOINT_URL"] = url
        _play(scenario)
        yield scenario


def _world(scenario: Scenario) -> None:
    """What the README's commands act on: three domains (A torn down by the CLI, B by the AWS CLI, C kept for the
    heartbeat and the runbooks), Identity Center groups of the example configuration, a space in C."""
    ec2, sagemaker = scenario.client("ec2"), scenario.client("sagemaker")
    sso = scenario.client("sso-admin").list_instances()["Instances"][0]
    identitystore = scenario.client("identitystore")
    for group in ("DataScientists", "Analysts"):
        identitystore.create_group(IdentityStoreId=sso["IdentityStoreId"], DisplayName=group)
    domains = {}
    for key, prefix, auth in (("A", "10.1", "SSO"), ("B", "10.2", "IAM"), ("C", "10.3", "IAM")):
        network = create_studio_vpc(ec2, cidr_prefix=prefix)
        domains[key] = sagemaker.create_domain(
            DomainName=f"readme-{key.lower()}", AuthMode=auth, DefaultUserSettings={"ExecutionRole": ROLE}, **network
        )["DomainId"]
    scenario.control("POST", "clock/advance", {"seconds": 3600})
    for profile in ("alice", "bob"):  # bob leaves with `domain-steward teardown start --user-profile`
        sagemaker.create_user_profile(DomainId=domains["C"], UserProfileName=profile)
    scenario.control("POST", "clock/advance", {"seconds": 600})
    space_arn = sagemaker.create_space(
        DomainId=domains["C"],
        SpaceName="alice-space",
        OwnershipSettings={"OwnerUserProfileName": "alice"},
        SpaceSharingSettings={"SharingType": "Private"},
        SpaceSettings={"AppType": "JupyterLab"},
    )["SpaceArn"]
    domain_c = sagemaker.describe_domain(DomainId=domains["C"])
    sagemaker.add_tags(ResourceArn=domain_c["DomainArn"], Tags=[{"Key": "domain-steward:teardown", "Value": "x"}])
    nfs_groups = ec2.describe_security_groups(
        Filters=[{"Name": "group-name", "Values": [f"security-group-for-inbound-nfs-{domains['C']}"]}]
    )["SecurityGroups"]
    scenario.facts.update(domains=domains, domain_c_arn=domain_c["DomainArn"], space_arn=space_arn)
    scenario.values.update(
        {
            "d-xxxxxxxxxxxx": domains["C"],
            "<space ARN>": space_arn,
            "<domain ARN>": domain_c["DomainArn"],
            "sg-…": nfs_groups[0]["GroupId"],
            "arn:aws:sso:::instance/ssoins-0123456789abcdef": sso["InstanceArn"],
            "d-0123456789": sso["IdentityStoreId"],
            "path/to/domain-steward": str(scenario.sandbox),
            "<home>": HOME_REGION,
            "<stack Region>": REGION,
        }
    )
    # The sample files the README's commands read name their domain as the README does.
    example = scenario.sandbox / "config" / "example.yaml"
    from tests.docs.readme_commands import substitute

    example.write_text(substitute(example.read_text(), {**scenario.values, "d-abcdefghijkl": domains["A"]}))
    dry_run = scenario.sandbox / "events" / "teardown-dry-run.json"
    dry_run.write_text(dry_run.read_text().replace("d-abcdefghijkl", domains["B"]))
    changed = yaml.safe_load(example.read_text())
    changed["domains"][0]["autostop"]["idle_minutes"] = 90
    (scenario.sandbox / "my-config.yaml").write_text(yaml.safe_dump(changed, sort_keys=False))


def _stack_values(scenario: Scenario) -> None:
    outputs = {
        o["OutputKey"]: o["OutputValue"]
        for o in scenario.client("cloudformation").describe_stacks(StackName=STACK)["Stacks"][0].get("Outputs", [])
    }
    scenario.facts["outputs"] = outputs
    sqs = scenario.client("sqs")
    dead_letter_url = outputs["IdentityCenterEventsDeadLetterQueueUrl"]
    dead_letter_arn = sqs.get_queue_attributes(QueueUrl=dead_letter_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    queue_arn = sqs.get_queue_attributes(QueueUrl=outputs["IdentityCenterEventsQueueUrl"], AttributeNames=["QueueArn"])[
        "Attributes"
    ]["QueueArn"]
    scenario.values.update(
        {
            "<ReconcileFunctionName output>": outputs["ReconcileFunctionName"],
            "<AutoStopFunctionName output>": outputs["AutoStopFunctionName"],
            "<IdentityCenterEventsDeadLetterQueueUrl>": dead_letter_url,
            "<dead-letter queue ARN>": dead_letter_arn,
            "<IdentityCenterEventsQueue ARN>": queue_arn,
        }
    )


def _read(path: Path) -> str:
    """A file a command should have written (empty if it did not: the step's failure says why)."""
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    path.unlink(missing_ok=True)
    return text


def _wait_for_execution(scenario: Scenario, execution_arn: str, timeout: float = 300) -> dict[str, Any]:
    sfn = scenario.client("stepfunctions")
    deadline = time.monotonic() + timeout
    while True:
        execution = sfn.describe_execution(executionArn=execution_arn)
        if execution["status"] != "RUNNING" or time.monotonic() > deadline:
            return dict(execution)
        time.sleep(1)


def _play(scenario: Scenario) -> None:
    run = scenario.run
    # Quick start and "Test it" (make test is the command running this test).
    run("make venv", "make venv")
    run("make help", "make help")
    run("sam validate", inline("sam validate --lint"))
    run("make build", "make build")
    # Deploy it.
    deploy = run("deploy", block("sam build && sam deploy --guided"), stdin=GUIDED_ANSWERS, timeout=900)
    if deploy.code != 0:
        return
    _stack_values(scenario)
    _world(scenario)
    run("put the configuration", block("aws ssm put-parameter"))
    run("invoke reconcile", inline("aws lambda invoke --function-name <ReconcileFunctionName output>"))
    scenario.facts["reconcile_out"] = _read(scenario.sandbox / "out.json")
    run("invoke auto-stop", inline("aws lambda invoke --function-name <AutoStopFunctionName output>"))
    scenario.facts["autostop_out"] = _read(scenario.sandbox / "out.json")
    # The operator CLI: the README's block, then each synopsis of its table with the options it shows.
    domain_a = scenario.facts["domains"]["A"]
    at = scenario.control("GET", "clock")["now"]
    cli = f"""
domain-steward config show
domain-steward reconcile --stack-name {STACK}
domain-steward reconcile --apply --stack-name {STACK}
domain-steward sweep --stack-name {STACK} --at {at}
domain-steward sweep --apply --stack-name {STACK} --at {at}
domain-steward teardown plan {scenario.facts["domains"]["C"]} --user-profile alice
domain-steward teardown status --stack-name {STACK}
domain-steward teardown start {scenario.facts["domains"]["C"]} --user-profile bob --confirm bob --stack-name {STACK}
"""
    run("operator CLI", cli)
    run("validate and apply", block("domain-steward config validate my-config.yaml"), stdin="y\n")
    run("CLI block", block("domain-steward config validate config/example.yaml"), values={"d-abcdefghijkl": domain_a})
    executions = scenario.client("stepfunctions").list_executions(
        stateMachineArn=scenario.facts["outputs"]["TeardownStateMachineArn"]
    )["executions"]
    scenario.facts["cli_teardowns"] = executions
    if executions:  # otherwise the CLI block's step failed, and says why
        run(
            "teardown status --follow",
            "domain-steward teardown status " + executions[0]["executionArn"] + " --follow --stack-name " + STACK,
        )
    run("python -m domain_steward", "python -m domain_steward")
    # Auto-stop: exempting a space; the heartbeat's installation.
    run("exempt a space", block("aws sagemaker add-tags"))
    run("install the heartbeat", block("ARNS=$(aws cloudformation describe-stacks"))
    # Teardown with the AWS CLI, then the stuck-teardown runbook's commands.
    domain_b = scenario.facts["domains"]["B"]
    teardown = block("ARN=$(aws cloudformation describe-stacks")
    runbook = inline('aws stepfunctions describe-execution --execution-arn "$EXEC" --query cause')
    step = run(
        "teardown with the AWS CLI",
        teardown + 'echo "EXECUTION=$EXEC"\n' + runbook + "\n",
        values={"d-abcdefghijkl": domain_b},
    )
    found = re.search(r"EXECUTION=(\S+)", step.output)
    if found:
        scenario.facts["aws_cli_teardown"] = _wait_for_execution(scenario, found.group(1))
    run("runbook: interfaces", inline("aws ec2 describe-network-interfaces"))
    run("runbook: remove the mark", inline("aws sagemaker delete-tags"))
    # The poisoned-queue runbook.
    run("runbook: read the dead-letter queue", inline("aws sqs receive-message"))
    run("runbook: redrive", inline("aws sqs start-message-move-task"))
    # Cross-Region: the forwarder in the Identity Center home Region.
    run("forwarder", inline("sam deploy -t forwarder/template.yaml"), stdin="y\n")
    # The heartbeat's lifecycle configurations are generated: regenerating them changes nothing.
    before = {p: p.read_bytes() for p in (scenario.sandbox / "lifecycle").rglob("*") if p.is_file()}
    before.update({scenario.sandbox / "template.yaml": (scenario.sandbox / "template.yaml").read_bytes()})
    run("lifecycle content", inline("python -m lifecycle.content --write"))
    scenario.facts["lifecycle_changed"] = sorted(
        str(p.relative_to(scenario.sandbox)) for p, data in before.items() if p.read_bytes() != data
    )
    # Installing the CLI elsewhere: a new virtual environment, then the README's pip command.
    venv = scenario.sandbox.parent / "elsewhere"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    scenario.env["PATH"] = scenario.env["PATH"].replace(
        str(ROOT / ".venv" / "bin"), os.pathsep.join([str(venv / "bin"), str(ROOT / ".venv" / "bin")])
    )
    run("pip install", inline("pip install -e path/to/domain-steward"), timeout=900)
    scenario.facts["installed_cli"] = run(
        "the installed CLI", f"{venv}/bin/domain-steward config validate config/example.yaml"
    )
    scenario.env["PATH"] = scenario.env["PATH"].replace(str(venv / "bin") + os.pathsep, "")
    # Benchmarks and the demo (make bench at its smoke size: every benchmark, smallest size).
    run("teardown benchmark", "python -m benchmarks.teardown --sizes 10 --output .bench/readme-teardown.json")
    run("make demo", "make demo")
    run("make bench", "BENCH_SCALE=smoke make bench")


def test_every_step_of_the_scenario_succeeded(scenario: Scenario):
    failed = [
        f"{s.name} (exit {s.code}):\n{s.script}\n--- output ---\n{s.output[-4000:]}" for s in scenario.steps if s.code
    ]
    assert not failed, "\n\n".join(failed)


def test_every_command_the_readme_shows_ran(scenario: Scenario):
    ran = scenario.ran()
    verdicts = []
    for shown in shown_commands(README):
        tries = [covered(shown, ran, values) for values in scenario.value_sets or [scenario.values]]
        verdicts.append(next((v for v in tries if v.covered), tries[-1]))
    missing = [
        f"README.md:{v.shown.line}: {v.shown.text}  ({v.why})"
        for v in verdicts
        if not v.covered and list(v.shown.words) != ["make", "test"]
    ]
    assert not missing, "\n".join(missing)
    assert len(verdicts) >= 60


def test_make_test_is_what_ci_runs():
    # The one command not run by the scenario: it is the command that runs this test.
    ci = (ROOT / ".ci" / "run").read_text().strip().splitlines()
    assert ci[-1] == "make test"
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"^test: .*\bpytest\b", makefile, flags=re.MULTILINE)


def test_the_deployed_stack_answers_as_the_readme_says(scenario: Scenario):
    stack = scenario.client("cloudformation").describe_stacks(StackName=STACK)["Stacks"][0]
    assert stack["StackStatus"] in {"CREATE_COMPLETE", "UPDATE_COMPLETE"}
    assert set(scenario.facts["outputs"]) >= {
        "TeardownStateMachineArn",
        "ReconcileFunctionName",
        "AutoStopFunctionName",
        "HeartbeatLifecycleConfigArns",
        "IdentityCenterEventsDeadLetterQueueUrl",
    }
    reconcile = json.loads(scenario.facts["reconcile_out"])
    assert reconcile.get("DryRun") is True, reconcile
    autostop = json.loads(scenario.facts["autostop_out"])
    assert "errorMessage" not in autostop, autostop


def test_the_teardowns_removed_their_domains(scenario: Scenario):
    sagemaker = scenario.client("sagemaker")
    remaining = {d["DomainId"] for d in sagemaker.list_domains()["Domains"]}
    domains = scenario.facts["domains"]
    assert domains["A"] not in remaining  # `domain-steward teardown start` (the README's CLI block)
    assert scenario.facts["aws_cli_teardown"]["status"] == "SUCCEEDED"
    assert domains["B"] not in remaining  # `aws stepfunctions start-execution` (the README's teardown block)
    assert domains["C"] in remaining


def test_the_runbooks_and_the_heartbeat_changed_what_they_say(scenario: Scenario):
    sagemaker = scenario.client("sagemaker")
    space_tags = sagemaker.list_tags(ResourceArn=scenario.facts["space_arn"])["Tags"]
    assert {"Key": "domain-steward:autostop", "Value": "off"} in space_tags
    domain_tags = sagemaker.list_tags(ResourceArn=scenario.facts["domain_c_arn"])["Tags"]
    assert all(t["Key"] != "domain-steward:teardown" for t in domain_tags)
    settings = sagemaker.describe_domain(DomainId=scenario.facts["domains"]["C"])["DefaultUserSettings"]
    heartbeat = scenario.facts["outputs"]["HeartbeatLifecycleConfigArns"].split(",")
    assert settings["JupyterLabAppSettings"]["LifecycleConfigArns"] == [heartbeat[0]]
    assert settings["CodeEditorAppSettings"]["LifecycleConfigArns"] == [heartbeat[1]]
    assert settings["KernelGatewayAppSettings"]["LifecycleConfigArns"] == [heartbeat[2]]
    tasks = scenario.client("sqs").list_message_move_tasks(SourceArn=scenario.values["<dead-letter queue ARN>"])
    assert tasks["Results"], tasks
    assert scenario.facts["lifecycle_changed"] == []


def test_the_configuration_applied_is_the_readers_file(scenario: Scenario):
    value = scenario.client("ssm").get_parameter(Name="/domain-steward/config")["Parameter"]["Value"]
    assert value == (scenario.sandbox / "config" / "example.yaml").read_text()


def test_the_forwarder_runs_in_the_home_region(scenario: Scenario):
    stack = scenario.client("cloudformation", HOME_REGION).describe_stacks(StackName=FORWARDER_STACK)["Stacks"][0]
    assert stack["StackStatus"] == "CREATE_COMPLETE"
    assert {"ParameterKey": "TargetRegion", "ParameterValue": REGION} in stack["Parameters"]


def test_the_cli_installed_with_pip_elsewhere_runs(scenario: Scenario):
    step = scenario.facts["installed_cli"]
    assert step.code == 0, step.output
    assert "valid" in step.output.lower()
