"""File transfer helpers: the archive API (binary-safe fallback) and bash quoting of bytes."""

from __future__ import annotations

import io
import posixpath
import tarfile
import time
from typing import TYPE_CHECKING

from agentbench.sandbox.shell_script import ansi_c_quote_bytes

if TYPE_CHECKING:
    import docker


def ansi_c_bytes(data: bytes) -> str:
    """`data` (no NUL) as one bash $'...' word."""
    return ansi_c_quote_bytes(data)


def read_via_archive(client: docker.DockerClient, cid: str, target: str) -> bytes:
    """Read `target` with the engine's archive API, following symlinks."""
    import docker.errors

    for _ in range(16):
        try:
            stream, _stat = client.api.get_archive(cid, target)
        except docker.errors.NotFound:
            raise FileNotFoundError(f"{target} (in sandbox {cid[:12]})") from None
        with tarfile.open(fileobj=io.BytesIO(b"".join(stream)), mode="r|") as tar:
            member = tar.next()
            if member is None:
                raise FileNotFoundError(target)
            if member.issym():
                target = posixpath.normpath(
                    posixpath.join(posixpath.dirname(target), member.linkname)
                )
                continue
            if member.isdir():
                raise IsADirectoryError(target)
            fh = tar.extractfile(member)
            return fh.read() if fh is not None else b""
    raise OSError(f"too many levels of symbolic links: {target}")


def write_via_archive(
    client: docker.DockerClient, cid: str, target: str, blob: bytes, mode: int
) -> None:
    """Write `blob` to `target` (its folder must exist) with the engine's archive API."""
    parent, name = posixpath.split(target)
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        info = tarfile.TarInfo(name)
        info.size = len(blob)
        info.mode = mode
        info.mtime = int(time.time())
        tar.addfile(info, io.BytesIO(blob))
    if not client.api.put_archive(cid, parent, buf.getvalue()):
        raise OSError(f"writing {target} into sandbox {cid[:12]} failed")
