"""The commands a Markdown document shows, and whether a log of invocations covers them.

A command is an invocation of one of :data:`PROGRAMS`, found in two places:

- fenced ``sh`` blocks, read as shell: backslash continuations are joined, comments dropped, quotes (even across
  lines) respected, and ``;``, ``&&``, ``||``, ``|``, ``$(`` … ``)`` and new lines separate commands;
- inline code spans whose first word is a program (``make demo`` in a sentence).

Some commands are synopses: ``domain-steward teardown plan DOMAIN [--delete-home-efs]``. Their words up to the
first option or placeholder (upper-case word, ``<...>``, ``[...]``) are the command; the options they show must
each have been used with it. Any other command must have run exactly, word for word, once its placeholders were
replaced by real values (:func:`substitute`).
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

PROGRAMS = frozenset({"aws", "sam", "make", "domain-steward", "python", "python3", "pip", "jq", "curl"})
_FENCE = re.compile(r"^```(\w*)\s*$")
_INLINE = re.compile(r"(?<!`)`([^`]+?)`(?!`)")
_ANGLE_PLACEHOLDER = re.compile(r"(?<![<\w'\"])<[A-Za-z][^<>\n'\"]*>")
_VARIABLE = re.compile(r"\$\{?[A-Za-z_][A-Za-z0-9_]*\}?")
_SEPARATORS = frozenset({";", "&&", "||", "|", "(", ")", "&"})
_PLACEHOLDER = re.compile(r"^(<.*|.*>|\[.*|.*\]|[A-Z][A-Z_]+|.*….*)$")


@dataclass(frozen=True)
class Shown:
    """A command as the document shows it."""

    line: int
    text: str
    fenced: bool

    @property
    def words(self) -> tuple[str, ...]:
        return tuple(shell_words(self.text)[0])

    def resolved(self, values: Mapping[str, str]) -> tuple[str, ...]:
        """The words once the placeholders in ``values`` are replaced (in the text, so ``<a b>`` is one)."""
        return tuple(shell_words(substitute(self.text, values))[0])

    def is_synopsis(self, values: Mapping[str, str]) -> bool:
        return any(_PLACEHOLDER.match(word) for word in self.resolved(values)[1:])

    def command_words(self, values: Mapping[str, str]) -> tuple[str, ...]:
        """The program and subcommands: the words before the first option or placeholder."""
        words = self.resolved(values)
        if words[1:2] == ("-m",):  # `python -m package`: the module is the command
            return (*words[:3], *_head(words[3:]))
        return _head(words)

    @property
    def options(self) -> tuple[str, ...]:
        """The options shown after the command words (``--at`` in ``[--at TIME]`` included)."""
        rest = self.words[3:] if self.words[1:2] == ("-m",) else self.words
        found = {m for word in rest for m in re.findall(r"(?<![\w-])--?[a-zA-Z][\w-]*", word)}
        return tuple(sorted(found))


def _head(words: Sequence[str]) -> tuple[str, ...]:
    head: list[str] = []
    for word in words:
        if word.startswith("-") or _PLACEHOLDER.match(word):
            break
        head.append(word)
    return tuple(head)


def shell_words(script: str) -> list[list[str]]:
    """The simple commands of ``script`` as word lists (assignments and redirections left out)."""
    # `<space ARN>` is a placeholder, not two redirections: quote it so it stays one word.
    script = _ANGLE_PLACEHOLDER.sub(lambda m: "'" + m.group(0) + "'", script)
    lexer = shlex.shlex(_newlines_to_separators(script), posix=True, punctuation_chars=";&|()<>")
    lexer.whitespace_split = True
    lexer.commenters = ""
    commands: list[list[str]] = [[]]
    redirect = False
    for token in lexer:
        if token in _SEPARATORS or token.endswith("$"):
            # `VAR=$(` arrives as `VAR=$` then `(`: the substitution is a command of its own.
            commands.append([])
            continue
        if set(token) <= {"<", ">"}:
            redirect = True  # the next word is a file or here-string, not an argument
            continue
        if redirect:
            redirect = False
            continue
        if not commands[-1] and re.match(r"^[A-Za-z_][A-Za-z0-9_]*=", token):
            continue  # an assignment before the command
        commands[-1].append(token)
    return [words for words in commands if words]


def _newlines_to_separators(script: str) -> str:
    """Join continuations, drop comments, and turn unquoted new lines into ``;``: what bash does before parsing."""
    out: list[str] = []
    quote = ""
    i = 0
    while i < len(script):
        char = script[i]
        if quote:
            if char == "\\" and quote == '"' and i + 1 < len(script):
                out.append(script[i : i + 2])
                i += 2
                continue
            if char == quote:
                quote = ""
            out.append(char)
        elif char == "\\" and script[i + 1 : i + 2] == "\n":
            out.append(" ")
            i += 2
            continue
        elif char in "'\"":
            quote = char
            out.append(char)
        elif char == "#" and (not out or out[-1][-1:] in {" ", "\t", "\n", ";"}):
            while i < len(script) and script[i] != "\n":
                i += 1
            continue
        elif char == "\n":
            out.append(" ; ")
        else:
            out.append(char)
        i += 1
    return "".join(out)


def fenced_blocks(markdown: str, languages: Iterable[str] = ("sh", "bash", "shell")) -> list[tuple[int, str]]:
    """``(first line number, text)`` of each fenced block in one of ``languages``; indented fences included."""
    blocks: list[tuple[int, str]] = []
    lines = markdown.splitlines()
    i = 0
    while i < len(lines):
        match = _FENCE.match(lines[i].strip())
        if match is None:
            i += 1
            continue
        indent = len(lines[i]) - len(lines[i].lstrip())
        start, body = i + 1, []
        i += 1
        while i < len(lines) and not lines[i].strip().startswith("```"):
            body.append(lines[i][indent:] if lines[i][:indent].strip() == "" else lines[i])
            i += 1
        if match.group(1) in set(languages):
            blocks.append((start + 1, "\n".join(body) + "\n"))
        i += 1
    return blocks


def shown_commands(markdown: str) -> list[Shown]:
    """Every command of :data:`PROGRAMS` that ``markdown`` shows, fenced or inline."""
    shown: list[Shown] = []
    for start, text in fenced_blocks(markdown):
        for words in shell_words(text):
            if words[0] in PROGRAMS:
                shown.append(Shown(start, shlex.join(words), fenced=True))
    # Inline spans may wrap onto the next line; fenced blocks are blanked out first (keeping the line numbers).
    prose = "\n".join("" if fenced else line for line, fenced in _fence_mask(markdown.splitlines()))
    for match in _INLINE.finditer(prose):
        span = " ".join(match.group(1).split())
        if span.split(" ", 1)[0] not in PROGRAMS or " " not in span:
            continue
        number = prose.count("\n", 0, match.start()) + 1
        for words in shell_words(span):
            if words[0] in PROGRAMS:
                shown.append(Shown(number, shlex.join(words), fenced=False))
    return shown


def _fence_mask(lines: list[str]) -> list[tuple[str, bool]]:
    """Each line, and whether it belongs to a fenced block (fences included)."""
    masked: list[tuple[str, bool]] = []
    inside = False
    for line in lines:
        if line.strip().startswith("```"):
            masked.append((line, True))
            inside = not inside
            continue
        masked.append((line, inside))
    return masked


def substitute(text: str, values: Mapping[str, str]) -> str:
    """``text`` with each placeholder (a key of ``values``) replaced, longest first."""
    for placeholder in sorted(values, key=len, reverse=True):
        text = text.replace(placeholder, values[placeholder])
    return text


@dataclass(frozen=True)
class Verdict:
    shown: Shown
    covered: bool
    why: str


def covered(shown: Shown, ran: Sequence[Sequence[str]], values: Mapping[str, str]) -> Verdict:
    """Whether the invocations in ``ran`` cover ``shown`` (see the module's docstring)."""
    if not shown.is_synopsis(values):
        wanted = list(shown.resolved(values))
        if any(_same_words(invocation, wanted) for invocation in ran):
            return Verdict(shown, True, "ran exactly")
        return Verdict(shown, False, f"never ran exactly: {shlex.join(wanted)}")
    head = list(shown.command_words(values))
    same = [invocation for invocation in ran if list(invocation[: len(head)]) == head]
    if not same:
        return Verdict(shown, False, f"no invocation of {shlex.join(head)}")
    used = {word.split("=", 1)[0] for invocation in same for word in invocation[len(head) :]}
    missing = [option for option in shown.options if option not in used]
    if missing:
        return Verdict(shown, False, f"{shlex.join(head)} never ran with {', '.join(missing)}")
    return Verdict(shown, True, f"{len(same)} invocation(s) of {shlex.join(head)} with every option shown")


def _same_words(invocation: Sequence[str], wanted: Sequence[str]) -> bool:
    """Word for word, where a shell variable in ``wanted`` (``"$EXEC"``) stands for whatever it expanded to."""
    if len(invocation) != len(wanted):
        return False
    for word, pattern in zip(invocation, wanted, strict=True):
        if "$" not in pattern:
            if word != pattern:
                return False
            continue
        parts = re.split(f"({_VARIABLE.pattern})", pattern)  # the variables kept, at odd positions
        regex = "".join(".+" if i % 2 else re.escape(part) for i, part in enumerate(parts))
        if not re.fullmatch(regex, word, flags=re.DOTALL):
            return False
    return True
