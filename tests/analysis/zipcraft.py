"""Write zip archives with zstd entries (method 93) by the APPNOTE layout, for hostile-input tests.

Python's zipfile cannot write method 93, and a zip bomb needs sizes that lie, so the archive is
laid out by hand: local headers, central directory, end record (APPNOTE 4.3).
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterable
from pathlib import Path

import zstandard

LOCAL = struct.Struct("<4s2B4HL2L2H")
CENTRAL = struct.Struct("<4s6H3L5H2L")
END = struct.Struct("<4s4H2LH")


def zstd_chunks(chunks: Iterable[bytes], level: int = 3) -> tuple[bytes, int, int]:
    """Compress a stream of chunks into one zstd frame: (compressed, crc32, uncompressed size)."""
    comp = zstandard.ZstdCompressor(level=level).compressobj()
    out, crc, size = [], 0, 0
    for c in chunks:
        crc, size = zlib.crc32(c, crc), size + len(c)
        out.append(comp.compress(c))
    out.append(comp.flush())
    return b"".join(out), crc, size


def write_zip(path: Path, entries: list[tuple[str, bytes, int, int]], method: int = 93) -> Path:
    """entries: (name, compressed bytes, crc32, declared uncompressed size) for each member."""
    body, central = bytearray(), bytearray()
    for name, data, crc, size in entries:
        raw = name.encode()
        offset = len(body)
        body += LOCAL.pack(
            b"PK\x03\x04", 63, 0, 0, method, 0, 33, crc, len(data), size, len(raw), 0
        )
        body += raw + data
        central += CENTRAL.pack(
            b"PK\x01\x02", 63, 63, 0, method, 0, 33, crc, len(data), size, len(raw), 0, 0, 0, 0,
            0, offset,
        )  # fmt: skip
        central += raw
    end = END.pack(b"PK\x05\x06", 0, 0, len(entries), len(entries), len(central), len(body), 0)
    path.write_bytes(bytes(body + central + end))
    return path
