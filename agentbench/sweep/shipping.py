"""Moving the files a sample wrote on a Ray worker into the driver's run folder.

A worker runs a sample into a private folder, then streams a manifest (relative path, size,
sha256 per file) and the files in chunks. The driver writes each file beside its target as a
temporary file, checks size and sha256, and renames it in place only when every file of the
sample arrived whole: the driver never holds more than one chunk, and a worker lost midway
leaves nothing half-written in the run folder.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import Any

from agentbench.errors import InfraError

CHUNK_BYTES = 4 * 1024 * 1024


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(CHUNK_BYTES):
            h.update(block)
    return h.hexdigest()


def manifest(root: Path) -> list[dict[str, Any]]:
    """Every regular file under `root`: relative POSIX path, size and sha256, sorted by path."""
    out: list[dict[str, Any]] = []
    for p in sorted(root.rglob("*")):
        if p.is_file() and not p.is_symlink():
            out.append(
                {
                    "path": p.relative_to(root).as_posix(),
                    "size": p.stat().st_size,
                    "sha256": _sha256(p),
                }
            )
    return out


def chunks(root: Path, files: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """The bytes of each manifest entry in order, as {"i": index, "data": bytes} pieces."""
    for i, f in enumerate(files):
        with open(root / f["path"], "rb") as fh:
            while block := fh.read(CHUNK_BYTES):
                yield {"i": i, "data": block}


def _safe_rel(rel: str) -> PurePosixPath:
    p = PurePosixPath(rel)
    if p.is_absolute() or not p.parts or any(part in ("", ".", "..") for part in p.parts):
        raise InfraError("ship", f"a worker sent a file path outside the run folder: {rel!r}")
    return p


class Receiver:
    """Driver side of one sample's files: temp file per entry, verified, then renamed."""

    def __init__(self, run_dir: Path, files: list[dict[str, Any]]) -> None:
        self.run_dir = Path(run_dir)
        self.files = files
        self._targets = [self.run_dir / _safe_rel(str(f["path"])) for f in files]
        self._tmps: list[Path] = []
        self._fhs: list[Any] = []
        self._hashes = [hashlib.sha256() for _ in files]
        self._sizes = [0] * len(files)
        for t in self._targets:
            t.parent.mkdir(parents=True, exist_ok=True)
            tmp = t.with_name(f".{t.name}.ship-{os.getpid()}-{id(self):x}")
            self._tmps.append(tmp)
            self._fhs.append(open(tmp, "wb"))  # noqa: SIM115 - closed in finish/abort

    def write(self, piece: dict[str, Any]) -> None:
        """Append one chunk to its file."""
        i = int(piece["i"])
        if not 0 <= i < len(self.files):
            raise InfraError("ship", f"a worker sent a chunk for file #{i} not in its manifest")
        data: bytes = piece["data"]
        self._sizes[i] += len(data)
        if self._sizes[i] > int(self.files[i]["size"]):
            raise InfraError("ship", f"{self.files[i]['path']}: more bytes than the manifest says")
        self._hashes[i].update(data)
        self._fhs[i].write(data)

    def finish(self) -> None:
        """Check every file's size and sha256, then rename all into the run folder."""
        for i, f in enumerate(self.files):
            fh = self._fhs[i]
            fh.flush()
            os.fsync(fh.fileno())
            fh.close()
            if self._sizes[i] != int(f["size"]) or self._hashes[i].hexdigest() != f["sha256"]:
                raise InfraError(
                    "ship",
                    f"{f['path']}: got {self._sizes[i]} bytes, sha256 "
                    f"{self._hashes[i].hexdigest()[:12]}; the worker sent {f['size']} bytes, "
                    f"sha256 {str(f['sha256'])[:12]}",
                )
        for tmp, target in zip(self._tmps, self._targets, strict=True):
            os.replace(tmp, target)
        self._tmps = []

    def abort(self) -> None:
        """Drop the temp files (a lost worker, a bad chunk): the run folder is left as it was."""
        for fh in self._fhs:
            if not fh.closed:
                fh.close()
        for tmp in self._tmps:
            tmp.unlink(missing_ok=True)
        self._tmps = []
