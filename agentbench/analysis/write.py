"""Write a set of output files so that a reader never sees a half-written one."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from agentbench.errors import make_dir


def write_files(out_dir: Path, files: dict[str, bytes]) -> None:
    """Write each file to a temporary name in `out_dir`, then rename it into place."""
    make_dir(out_dir, what="the output folder", fix="pass a writable --out folder")
    for name, data in files.items():
        fd, tmp = tempfile.mkstemp(prefix=f".{name}.", dir=out_dir)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.chmod(tmp, 0o644)  # mkstemp makes 0600; reports are meant to be shared
            os.replace(tmp, out_dir / name)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
