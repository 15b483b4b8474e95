"""The demo's voice: chapter headings, tables, and the checks that decide whether a step reached its state."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from time import perf_counter

from rich.console import Console
from rich.panel import Panel
from rich.table import Table


@dataclass(frozen=True)
class Check:
    """One expected state and what the demo found."""

    expectation: str
    passed: bool
    found: str


@dataclass
class Chapter:
    """One step of the story and its checks; a step passes when it ran to its end and every check held."""

    number: int
    title: str
    checks: list[Check] = field(default_factory=list)
    error: str | None = None
    started: float = field(default_factory=perf_counter)
    ended: float | None = None

    @property
    def passed(self) -> bool:
        return self.error is None and bool(self.checks) and all(check.passed for check in self.checks)


class Narrator:
    """Prints the story on ``console`` and keeps every chapter's checks for the summary."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.chapters: list[Chapter] = []

    @property
    def current(self) -> Chapter:
        return self.chapters[-1]

    def chapter(self, title: str, intro: str) -> Chapter:
        if self.chapters:
            self.end()
        chapter = Chapter(len(self.chapters) + 1, title)
        self.chapters.append(chapter)
        self.console.rule(f"[bold]{chapter.number}. {title}")
        self.console.print(intro)
        return chapter

    def say(self, text: str) -> None:
        self.console.print(text)

    def clock(self, now: datetime, text: str) -> None:
        self.console.print(f"[dim]{now:%a %H:%M} (virtual)[/dim] {text}")

    def table(self, title: str, columns: Sequence[str], rows: Iterable[Sequence[object]]) -> None:
        table = Table(title=title, title_justify="left", header_style="bold")
        for column in columns:
            table.add_column(column)
        for row in rows:
            table.add_row(*(str(cell) for cell in row))
        self.console.print(table)

    def check(self, expectation: str, passed: bool, found: object = "") -> bool:
        self.current.checks.append(Check(expectation, passed, str(found)))
        mark = "[green]✔[/green]" if passed else "[red]✘[/red]"
        suffix = f" [dim]({found})[/dim]" if found != "" else ""
        self.console.print(f"  {mark} {expectation}{suffix}")
        return passed

    def end(self) -> None:
        """The current chapter is over (its real time stops)."""
        if self.current.ended is None:
            self.current.ended = perf_counter()

    def fail(self, error: BaseException) -> None:
        self.current.error = f"{type(error).__name__}: {error}"
        self.console.print(f"  [red]✘ the step stopped: {self.current.error}[/red]")

    def summary(self, real_seconds: float, virtual: str, log_path: str) -> bool:
        """The closing table; returns whether every chapter passed."""
        table = Table(title="Summary", title_justify="left", header_style="bold")
        for column in ("Step", "Checks", "Real time", "Result"):
            table.add_column(column)
        if self.chapters:
            self.end()
        for chapter in self.chapters:
            held = sum(check.passed for check in chapter.checks)
            result = "[green]passed[/green]" if chapter.passed else f"[red]FAILED[/red] {chapter.error or ''}"
            seconds = f"{(chapter.ended or chapter.started) - chapter.started:.1f} s"
            table.add_row(f"{chapter.number}. {chapter.title}", f"{held}/{len(chapter.checks)}", seconds, result)
        self.console.rule("[bold]Summary")
        self.console.print(table)
        passed = len(self.chapters) == STEPS and all(chapter.passed for chapter in self.chapters)
        verdict = "[green]Demo passed[/green]" if passed else "[red]Demo FAILED[/red]"
        self.console.print(
            Panel(
                f"{verdict}: {sum(c.passed for c in self.chapters)} of {STEPS} steps reached their expected state.\n"
                f"Real time {real_seconds:.1f} s; virtual time {virtual}.\n"
                f"The functions' own log lines: {log_path}",
                expand=False,
            )
        )
        return passed


# The story's five steps (issue 9, "make demo").
STEPS = 5
