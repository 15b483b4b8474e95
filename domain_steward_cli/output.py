"""How results reach the operator: rich tables on a terminal, or one JSON document with ``--json``."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from rich.console import Console
from rich.table import Table


@dataclass
class Output:
    """``json_mode``: print exactly one JSON document on stdout and nothing else there (messages go to stderr)."""

    json_mode: bool = False
    out: Console = field(default_factory=lambda: Console(soft_wrap=True))
    err: Console = field(default_factory=lambda: Console(stderr=True, soft_wrap=True))

    def document(self, value: Any) -> None:
        # print(), not rich: rich would wrap and colour the JSON, which scripts parse.
        print(json.dumps(value, indent=2, default=str))

    def say(self, text: str) -> None:
        """A human line: on stdout normally, on stderr in JSON mode (stdout holds only the document)."""
        (self.err if self.json_mode else self.out).print(text)

    def table(self, title: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
        table = Table(title=title, title_justify="left")
        for column in columns:
            table.add_column(column)
        for row in rows:
            table.add_row(*("" if cell is None else str(cell) for cell in row))
        self.out.print(table)
