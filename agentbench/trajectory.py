"""Trajectory files: one JSON line per event, flushed and fsynced as it happens.

A crash loses at most the event in flight: the reader tolerates a torn last line
and rejects a corrupt line in the middle with an error naming the file and line.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import IO

from pydantic import TypeAdapter, ValidationError

from agentbench.errors import DataError
from agentbench.records import (
    SCHEMA_VERSION,
    EndEvent,
    Event,
    FormatErrorEvent,
    Message,
    ModelCallEvent,
    ObservationEvent,
    Record,
    StartEvent,
)
from agentbench.safeio import InputLimitError, loads_json, read_capped

_EVENT = TypeAdapter(Event)


class TrajectoryWriter:
    """Append-only JSONL writer; every event is flushed and fsynced before `write` returns."""

    def __init__(self, path: str | Path, *, fsync: bool = True) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._fh: IO[str] | None = open(self.path, "a", encoding="utf-8")  # noqa: SIM115
        self._fsync = fsync

    def write(self, event: Record) -> None:
        """Append one event as a JSON line and make it durable."""
        if self._fh is None:
            raise RuntimeError(f"{self.path}: trajectory writer is closed")
        self._fh.write(event.model_dump_json() + "\n")
        self._fh.flush()
        if self._fsync:
            os.fsync(self._fh.fileno())

    def sync(self) -> None:
        """fsync what was written so far (for writers opened with fsync=False)."""
        if self._fh is not None:
            os.fsync(self._fh.fileno())

    def close(self) -> None:
        """Close the file (idempotent)."""
        if self._fh is not None:
            self._fh.close()
            self._fh = None

    def __enter__(self) -> TrajectoryWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class Trajectory:
    """A parsed trajectory file."""

    def __init__(self, path: Path, events: list[Event], torn_tail: bool) -> None:
        self.path = path
        self.events = events
        self.torn_tail = torn_tail

    @property
    def start(self) -> StartEvent:
        """The start event (always first)."""
        first = self.events[0]
        assert isinstance(first, StartEvent)
        return first

    @property
    def end(self) -> EndEvent | None:
        """The end event, or None if the run did not finish."""
        last = self.events[-1]
        return last if isinstance(last, EndEvent) else None

    def model_calls(self) -> list[ModelCallEvent]:
        """Every model call, in order."""
        return [e for e in self.events if isinstance(e, ModelCallEvent)]

    def messages(self) -> list[Message]:
        """Rebuild the message list the model saw (initial prompt, replies, observations)."""
        msgs = list(self.start.messages)
        for e in self.events[1:]:
            if isinstance(e, ModelCallEvent):
                r = e.response
                msgs.append(
                    Message(
                        role="assistant",
                        content=r.text,
                        reasoning=r.reasoning,
                        tool_calls=r.tool_calls,
                    )
                )
            elif isinstance(e, ObservationEvent | FormatErrorEvent):
                msgs.append(e.message)
        return msgs


def read_trajectory(path: str | Path) -> Trajectory:
    """Parse a trajectory file; a torn last line is dropped, a corrupt middle line is an error."""
    p = Path(path)
    try:
        with p.open("rb") as fh:  # capped: a shared file of many GB is refused, not loaded
            raw = read_capped(fh, source=str(p)).decode("utf-8")
    except FileNotFoundError:
        raise DataError("file not found", path=str(p), fix="check the run folder") from None
    except OSError as exc:  # a folder, no permission
        raise DataError(
            f"cannot read ({exc.strerror or exc})",
            path=str(p),
            fix="pass a trajectory .jsonl file from a run's trajectories/ folder",
        ) from None
    except UnicodeDecodeError as exc:
        raise DataError(
            f"not UTF-8 text ({exc.reason})",
            path=str(p),
            fix="the trajectory file is corrupt; re-run the sample",
        ) from None
    lines = raw.split("\n")
    ends_clean = raw.endswith("\n")
    if ends_clean:
        lines = lines[:-1]
    events: list[Event] = []
    torn = False
    for i, line in enumerate(lines, start=1):
        last = i == len(lines)
        try:
            ev = _EVENT.validate_python(loads_json(line, source=f"{p}: line {i}"))
        except InputLimitError:
            raise  # too deep or too large: never a torn tail, always refused
        except (DataError, ValidationError) as exc:
            if last and not ends_clean:
                torn = True  # crash mid-write: lose only this event
                break
            what = (
                "invalid JSON"
                if isinstance(exc, DataError)
                else f"not a trajectory event ({exc.errors()[0]['loc']}: {exc.errors()[0]['msg']})"
            )
            raise DataError(
                f"line {i}: {what}",
                path=str(p),
                fix="the file is corrupt in the middle; delete it and re-run the sample",
            ) from None
        events.append(ev)
    if not events or not isinstance(events[0], StartEvent):
        raise DataError(
            "line 1: first event is not 'start'",
            path=str(p),
            fix="not an agentbench trajectory file",
        )
    if events[0].schema_version > SCHEMA_VERSION:
        raise DataError(
            f"schema_version {events[0].schema_version} is newer than this agentbench ({SCHEMA_VERSION})",
            path=str(p),
            fix="upgrade agentbench",
        )
    return Trajectory(p, events, torn)
