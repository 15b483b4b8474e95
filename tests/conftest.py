"""Test-wide setup: no test can reach AWS. (pyproject's pythonpath puts the layer on sys.path, as Lambda does.)"""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def _no_real_aws(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fake credentials and a Region for every test, so nothing can reach a real account by accident."""
    for key in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_CONFIG_FILE", "/dev/null")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")


ECHO_HANDLER = "def handler(event, context):\n    return event\n"


@pytest.fixture
def sam_project(tmp_path: Path) -> Callable[..., Path]:
    """``sam_project(template_text, files=None)``: a throwaway SAM project in ``tmp_path``; returns its template.

    ``code/app.py`` holds an echo handler for functions to point at; ``files`` maps more relative paths
    (ASL files, other handlers) to their text. The template text is dedented, so tests can indent it.
    """

    def write(template: str, files: dict[str, str] | None = None) -> Path:
        for name, text in {"code/app.py": ECHO_HANDLER, **(files or {})}.items():
            (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
            (tmp_path / name).write_text(text)
        path = tmp_path / "template.yaml"
        path.write_text(textwrap.dedent(template))
        return path

    return write
