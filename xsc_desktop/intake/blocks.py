"""Blocks of a posting doc with their source spans: the messages of an e-mail thread (newest first) and the
sentences the rules read. Line by line, no regex over the whole text: linear in the size of the doc."""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_LINE = 2000  # a line longer than this is cut before any regex reads it

_ORIGINAL = re.compile(r"^\s*-{2,}\s*(?:original message|forwarded message)\s*-{2,}\s*$", re.I)
_WROTE = re.compile(r"^\s*>?\s*on\s.{4,200}\bwrote:\s*$", re.I)
_HEADER = re.compile(r"^\s*(?:from|sent|date|to|cc|subject):\s", re.I)


@dataclass(frozen=True)
class Message:
    """One message of a thread: index 0 is the newest (written at the top), `start`/`end` its span."""

    index: int
    start: int
    end: int
    first_line: int
    last_line: int


def line_offsets(text: str) -> list[int]:
    starts = [0]
    pos = text.find("\n")
    while pos >= 0:
        starts.append(pos + 1)
        pos = text.find("\n", pos + 1)
    return starts


def thread_messages(text: str) -> list[Message]:
    """The messages of a reply thread, newest first; a doc that is no thread is one message."""
    lines = text.split("\n")
    starts = line_offsets(text)
    cuts: list[int] = []
    for i, raw in enumerate(lines):
        line = raw[:MAX_LINE]
        if _ORIGINAL.match(line) or _WROTE.match(line):
            cuts.append(i)
        elif (i > 2 and line.lower().lstrip().startswith("from:") and
              any(_HEADER.match(nxt[:MAX_LINE]) and not nxt.lower().lstrip().startswith("from:")
                  for nxt in lines[i + 1:i + 4])):
            if not cuts or i - cuts[-1] > 3:
                cuts.append(i)
        elif line.startswith(">") and (i == 0 or not lines[i - 1].startswith(">")) and (not cuts or i - cuts[-1] > 3):
            cuts.append(i)
    bounds = [0, *cuts, len(lines)]
    out = []
    for k in range(len(bounds) - 1):
        first, last = bounds[k], bounds[k + 1] - 1
        if last < first:
            continue
        end = starts[last] + len(lines[last])
        out.append(Message(index=len(out), start=starts[first], end=end, first_line=first, last_line=last))
    return out


def sentences(line: str) -> list[str]:
    """A line cut into sentences ("Do not use it. Send X." → two)."""
    line = line[:MAX_LINE]
    out = []
    start = 0
    for m in re.finditer(r"[.!?](?=\s|$)", line):
        out.append(line[start:m.end()].strip())
        start = m.end()
    if line[start:].strip():
        out.append(line[start:].strip())
    return out
