"""Readers with limits for files other people wrote: size caps, JSON nesting caps, capped streams.

Every reader of a shared file (importers, replay, the viewer, the spec loader) goes through these,
so a hostile file is refused in bounded time and memory with one line that names the file and
the limit it broke, never a RecursionError, a MemoryError or a traceback.
"""

from __future__ import annotations

import json
import re
from typing import IO, Any

import numpy as np

from agentbench.errors import DataError

# Defaults sized far above any real log or trajectory we have seen (the largest real inspect
# entry we know of is ~200 MB of samples in one log) and far below what takes a host down.
MAX_JSON_DEPTH = 256
MAX_ENTRY_BYTES = 512 * 1024 * 1024
MAX_TOTAL_BYTES = 4 * 1024 * 1024 * 1024

_READ_CHUNK = 1 << 20
# strings (with escapes) removed before counting brackets, so "[[[" inside a string is not depth
_JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)


class InputLimitError(DataError):
    """A file broke a size or nesting limit; the message names the file and the limit."""


def json_depth(data: bytes | str) -> int:
    """The deepest nesting of arrays/objects in a JSON text (0 for a scalar), without parsing it."""
    raw = data.encode() if isinstance(data, str) else data
    if b"[" not in raw and b"{" not in raw:
        return 0
    stripped = _JSON_STRING.sub(b'""', raw)
    codes = np.frombuffer(stripped, dtype=np.uint8)
    steps = np.zeros(codes.shape, dtype=np.int32)
    steps[(codes == ord("[")) | (codes == ord("{"))] = 1
    steps[(codes == ord("]")) | (codes == ord("}"))] = -1
    return int(np.cumsum(steps).max(initial=0))


def loads_json(
    data: bytes | str,
    *,
    source: str,
    max_depth: int = MAX_JSON_DEPTH,
    max_bytes: int = MAX_ENTRY_BYTES,
) -> Any:
    """json.loads with a size and nesting cap; bad or oversized JSON is one InputLimitError/DataError."""
    check_json_limits(data, source=source, max_depth=max_depth, max_bytes=max_bytes)
    try:
        return json.loads(data)
    except json.JSONDecodeError as exc:
        raise DataError(
            f"not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno})", path=source,
            fix="the file is truncated or not in the format expected",
        ) from None  # fmt: skip
    except UnicodeDecodeError:
        raise DataError("not UTF-8 text", path=source, fix="re-export the file as UTF-8") from None


def check_json_limits(
    data: bytes | str,
    *,
    source: str,
    max_depth: int = MAX_JSON_DEPTH,
    max_bytes: int = MAX_ENTRY_BYTES,
) -> None:
    """Refuse JSON text over the size or nesting cap (one InputLimitError), before any parser sees it."""
    size = len(data)
    if size > max_bytes:
        raise InputLimitError(
            f"{size:,} bytes of JSON, over the {max_bytes:,}-byte limit",
            path=source,
            fix="split the file or raise the limit (agentbench.safeio)",
        )
    depth = json_depth(data)
    if depth > max_depth:
        raise InputLimitError(
            f"JSON nested {depth} levels deep, over the limit of {max_depth}",
            path=source,
            fix="this is not a file agentbench or the tools it imports write; check where it came from",
        )


def read_capped(stream: IO[bytes], *, source: str, max_bytes: int = MAX_ENTRY_BYTES) -> bytes:
    """Read a whole stream, refusing it once it passes max_bytes (memory stays ≤ max_bytes + 1 MiB)."""
    chunks: list[bytes] = []
    total = 0
    while chunk := stream.read(_READ_CHUNK):
        total += len(chunk)
        if total > max_bytes:
            raise InputLimitError(
                f"more than {max_bytes:,} bytes once uncompressed",
                path=source,
                fix="a compressed entry this large is refused as a likely zip bomb; raise the limit if the file is genuine",
            )
        chunks.append(chunk)
    return b"".join(chunks)
