"""Read inspect_ai `.eval` archives with limits: zstd (zip method 93), deflate or stored entries.

Python's zipfile cannot decompress method 93, which current inspect_ai writes for every entry,
so zstd entries are read raw from their local header and streamed through `zstandard`. Every
read is capped as it streams (the sizes a header declares are never trusted): per entry, over
the whole archive, in number of entries and in JSON nesting. Each violation is one
InputLimitError naming the file, the entry and the limit it broke.
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from pathlib import Path
from typing import IO, Any

import zstandard

from agentbench.errors import DataError
from agentbench.safeio import (
    MAX_ENTRY_BYTES,
    MAX_JSON_DEPTH,
    MAX_TOTAL_BYTES,
    InputLimitError,
    loads_json,
)

ZIP_ZSTD = 93  # APPNOTE 4.4.5: method 93 = Zstandard
MAX_ENTRIES = 200_000  # a 20k-sample, 10-epoch log has ~200k entries; the listing itself is small
_CHUNK = 1 << 20
_LOCAL = struct.Struct("<4s2B4HL2L2H")  # the 30-byte local file header
_LOCAL_SIG = b"PK\x03\x04"
_FIX = "re-export the log with inspect_ai, or raise the limit (agentbench.importers.evalzip)"


class _Window(io.RawIOBase):
    """Bytes [start, start + size) of a file, read in place (the compressed data of one entry)."""

    def __init__(self, fh: IO[bytes], start: int, size: int) -> None:
        self._fh, self._pos, self._left = fh, start, size

    def readable(self) -> bool:
        return True

    def readinto(self, buf: Any) -> int:
        n = min(len(buf), self._left)
        if n <= 0:
            return 0
        self._fh.seek(self._pos)
        data = self._fh.read(n)
        buf[: len(data)] = data
        self._pos += len(data)
        self._left -= len(data)
        return len(data)


class EvalArchive:
    """An open .eval (zip) archive whose entries are read with size, count and depth caps."""

    def __init__(
        self,
        path: str | Path,
        *,
        max_entry_bytes: int = MAX_ENTRY_BYTES,
        max_total_bytes: int = MAX_TOTAL_BYTES,
        max_entries: int = MAX_ENTRIES,
        max_depth: int = MAX_JSON_DEPTH,
    ) -> None:
        self.path = Path(path)
        self.where = str(path)
        self.max_entry_bytes, self.max_total_bytes = max_entry_bytes, max_total_bytes
        self.max_depth = max_depth
        self.total = 0  # uncompressed bytes read so far, over all entries
        try:
            self._fh = open(self.path, "rb")  # noqa: SIM115 - closed by close()/__exit__
        except OSError as exc:
            raise DataError(
                f"cannot open ({exc.strerror or exc})", path=self.where,
                fix="pass an inspect_ai .eval log",
            ) from None  # fmt: skip
        try:
            self._zf = zipfile.ZipFile(self._fh)
        except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
            self._fh.close()
            raise DataError(
                f"not a zip archive ({exc})", path=self.where,
                fix="pass an inspect_ai .eval log (a zip); a truncated download fails here too",
            ) from None  # fmt: skip
        self._size = self.path.stat().st_size
        infos = self._zf.infolist()
        if len(infos) > max_entries:
            self.close()
            raise InputLimitError(
                f"{len(infos):,} entries, over the limit of {max_entries:,}",
                path=self.where, fix=_FIX,
            )  # fmt: skip
        self._infos = {i.filename: i for i in infos}

    def __enter__(self) -> EvalArchive:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the archive and its file."""
        self._zf.close()
        self._fh.close()

    def names(self) -> list[str]:
        """Entry names in archive order."""
        return list(self._infos)

    def _limit(self, name: str, got: int) -> None:
        if got > self.max_entry_bytes:
            raise InputLimitError(
                f"more than {self.max_entry_bytes:,} bytes once uncompressed "
                "(per-entry limit; a likely zip bomb)",
                path=self.where, field=f"entry {name}", fix=_FIX,
            )  # fmt: skip
        if self.total + got > self.max_total_bytes:
            raise InputLimitError(
                f"archive passes {self.max_total_bytes:,} uncompressed bytes in all "
                "(total limit; a likely zip bomb)",
                path=self.where, field=f"entry {name}", fix=_FIX,
            )  # fmt: skip

    def _zstd_stream(self, info: zipfile.ZipInfo) -> IO[bytes]:
        """The decompressing stream of a method-93 entry, from its local header."""
        start = info.header_offset
        self._fh.seek(start)
        raw = self._fh.read(_LOCAL.size)
        if len(raw) < _LOCAL.size or raw[:4] != _LOCAL_SIG:
            raise DataError(
                "local header is missing or damaged", path=self.where,
                field=f"entry {info.filename}", fix="the archive is truncated or corrupt",
            )  # fmt: skip
        fields = _LOCAL.unpack(raw)
        data_at = start + _LOCAL.size + fields[-2] + fields[-1]  # + name + extra lengths
        if data_at + info.compress_size > self._size:
            raise DataError(
                "entry runs past the end of the file", path=self.where,
                field=f"entry {info.filename}", fix="the archive is truncated",
            )  # fmt: skip
        window = io.BufferedReader(_Window(self._fh, data_at, info.compress_size), _CHUNK)
        # the window cap keeps a hostile frame from making the decoder allocate a huge buffer
        dec = zstandard.ZstdDecompressor(max_window_size=1 << 27)
        return dec.stream_reader(window, read_across_frames=True)  # type: ignore[return-value]

    def read(self, name: str) -> bytes:
        """One entry's bytes, decompressed under the caps; any failure is one DataError line."""
        info = self._infos.get(name)
        if info is None:
            raise DataError(f"no entry {name!r} in the archive", path=self.where)
        if info.flag_bits & 0x1:
            raise DataError(
                "entry is encrypted", path=self.where, field=f"entry {name}",
                fix="inspect_ai logs are never encrypted; re-export the log",
            )  # fmt: skip
        chunks: list[bytes] = []
        got = 0
        crc = 0
        try:
            if info.compress_type == ZIP_ZSTD:
                stream = self._zstd_stream(info)
            elif info.compress_type in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
                stream = self._zf.open(info)
            else:
                raise DataError(
                    f"compression method {info.compress_type} is not supported (stored, "
                    "deflate and zstd are)", path=self.where, field=f"entry {name}",
                    fix="re-export the log with inspect_ai",
                )  # fmt: skip
            with stream:
                while chunk := stream.read(_CHUNK):
                    got += len(chunk)
                    self._limit(name, got)
                    crc = zlib.crc32(chunk, crc)
                    chunks.append(chunk)
        except (zstandard.ZstdError, zipfile.BadZipFile, zlib.error, EOFError, OSError) as exc:
            raise DataError(
                f"cannot decompress ({str(exc).splitlines()[0] if str(exc) else type(exc).__name__})",
                path=self.where, field=f"entry {name}", fix="the archive is truncated or corrupt",
            ) from None  # fmt: skip
        if crc != info.CRC:
            raise DataError(
                "CRC check failed", path=self.where, field=f"entry {name}",
                fix="the archive is truncated or corrupt",
            )  # fmt: skip
        self.total += got
        return b"".join(chunks)

    def json(self, name: str) -> Any:
        """One entry parsed as JSON under the size and nesting caps."""
        return loads_json(
            self.read(name), source=f"{self.where}: entry {name}", max_depth=self.max_depth,
            max_bytes=self.max_entry_bytes,
        )  # fmt: skip
