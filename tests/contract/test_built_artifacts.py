"""After `sam build`: every handler imports from its built directory with only the built layer and the
Lambda runtime's boto3 on sys.path, as Lambda would import it. `make test` builds before it runs pytest."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from localcloud.harness.template import load_template

ROOT = Path(__file__).resolve().parents[2]
BUILD = ROOT / ".aws-sam" / "build"
# What the Lambda Python runtime ships besides the standard library.
RUNTIME_PACKAGES = ["boto3", "botocore", "s3transfer", "jmespath", "dateutil", "urllib3", "six"]

pytestmark = pytest.mark.built


@pytest.fixture(scope="module")
def built_template() -> dict[str, Any]:
    path = BUILD / "template.yaml"
    if not path.is_file():
        pytest.fail(f"{path} is missing: run `make build` (or `make test`, which builds first)")
    return load_template(path)


@pytest.fixture(scope="module")
def lambda_runtime(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory holding only what the Lambda runtime provides beside the standard library."""
    runtime = tmp_path_factory.mktemp("lambda-runtime")
    for name in RUNTIME_PACKAGES:
        module = __import__(name)
        origin = Path(module.__file__ or "")
        source = origin.parent if origin.name == "__init__.py" else origin
        (runtime / source.name).symlink_to(source)
    return runtime


def _import_isolated(module: str, paths: list[Path], attribute: str | None = None) -> subprocess.CompletedProcess[str]:
    script = (
        "import importlib, json, sys\n"
        f"sys.path[:0] = {json.dumps([str(p) for p in paths])}\n"
        f"m = importlib.import_module({module!r})\n"
        f"assert {attribute!r} is None or callable(getattr(m, {attribute!r})), 'handler is not callable'\n"
        "leaked = [p for p in sys.path if 'site-packages' in p]\n"
        "assert not leaked, leaked\n"
    )
    # -I: isolated (no user site, no PYTHON* variables); -S: no site-packages, so the venv is invisible.
    return subprocess.run(
        [sys.executable, "-I", "-S", "-c", script],
        check=False,
        capture_output=True,
        text=True,
        cwd=paths[0],
        timeout=120,
        env={"AWS_DEFAULT_REGION": "us-east-1", "POWERTOOLS_TRACE_DISABLED": "true", "PATH": "/usr/bin:/bin"},
    )


def _layer_dirs(template: dict[str, Any]) -> dict[str, Path]:
    return {
        logical_id: BUILD / resource["Properties"]["ContentUri"] / "python"
        for logical_id, resource in template["Resources"].items()
        if resource["Type"] == "AWS::Serverless::LayerVersion"
    }


def _functions(template: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [
        (logical_id, resource["Properties"])
        for logical_id, resource in template["Resources"].items()
        if resource["Type"] == "AWS::Serverless::Function"
    ]


def test_every_module_of_the_shared_layer_imports_from_the_built_layer_alone(built_template, lambda_runtime):
    layer = _layer_dirs(built_template)["CommonLayer"]
    modules = sorted(p.stem for p in (layer / "domain_steward").glob("*.py") if p.stem != "__init__")
    assert modules, f"no modules in {layer / 'domain_steward'}"
    for name in ["domain_steward", *(f"domain_steward.{m}" for m in modules)]:
        result = _import_isolated(name, [layer, lambda_runtime])
        assert result.returncode == 0, f"{name}: {result.stderr}"


def test_the_built_layer_brings_its_runtime_dependencies(built_template, lambda_runtime):
    layer = _layer_dirs(built_template)["CommonLayer"]
    for name in ["aws_lambda_powertools", "pydantic", "aws_lambda_powertools.utilities.parser"]:
        result = _import_isolated(name, [layer, lambda_runtime])
        assert result.returncode == 0, f"{name}: {result.stderr}"


def test_every_function_handler_imports_as_lambda_would(built_template, lambda_runtime):
    layers = _layer_dirs(built_template)
    globals_ = (built_template.get("Globals") or {}).get("Function") or {}
    for logical_id, properties in _functions(built_template):
        handler = properties.get("Handler") or globals_.get("Handler")
        assert handler, f"{logical_id} names no Handler"
        module, _, attribute = str(handler).rpartition(".")
        code = BUILD / properties["CodeUri"]
        layer_refs = properties.get("Layers", globals_.get("Layers", []))
        paths = [code, *(layers[ref["Ref"]] for ref in layer_refs if isinstance(ref, dict)), lambda_runtime]
        result = _import_isolated(module, paths, attribute)
        assert result.returncode == 0, f"{logical_id} ({module}.{attribute}): {result.stderr}"


def test_the_isolated_import_really_hides_the_development_environment(lambda_runtime, tmp_path):
    # moto is installed in the venv but not in Lambda: the check must fail on it.
    result = _import_isolated("moto", [tmp_path, lambda_runtime])
    assert result.returncode != 0
    assert "No module named 'moto'" in result.stderr


def test_the_built_template_keeps_every_function_of_the_source_template(built_template):
    source = load_template(ROOT / "template.yaml")
    assert [name for name, _ in _functions(built_template)] == [
        name for name, resource in source["Resources"].items() if resource["Type"] == "AWS::Serverless::Function"
    ]
