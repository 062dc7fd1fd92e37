"""Write every page of a Site as static files that open from disk (relative links).

The pages are written into a temporary folder beside DIR and moved into place at the
end, so an interrupted export never leaves a half-written DIR.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from agentbench.errors import ConfigError, EnvironmentProblem
from agentbench.logging import get_logger
from agentbench.view.site import Site

log = get_logger(__name__)

MARKER = ".agentbench-view"  # marks a folder as an export we may replace


@dataclass
class ExportResult:
    """What was written: the folder, the page count, and pages that are error pages."""

    out_dir: Path
    n_pages: int = 0
    errors: list[tuple[str, int]] = field(default_factory=list)


def export_site(site: Site, out_dir: str | Path) -> ExportResult:
    """Render every page into `out_dir` (replacing an earlier export, never other files)."""
    out = Path(out_dir)
    if out.exists() and (not out.is_dir() or (any(out.iterdir()) and not (out / MARKER).exists())):
        raise ConfigError(
            "exists and is not an earlier viewer export",
            path=str(out),
            field="--export",
            fix="pass a new or empty folder",
        )
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    except OSError as exc:
        raise EnvironmentProblem(
            f"cannot write the export here ({exc.strerror or exc})",
            path=str(out),
            fix="pass --export a folder in a writable place",
        ) from None
    try:
        return _write(site, out, tmp)
    except OSError as exc:  # a full disk, a folder made read-only mid-export
        raise EnvironmentProblem(
            f"cannot write the export ({exc.strerror or exc}: {exc.filename})",
            path=str(out),
            fix="free space or pass --export a writable folder",
        ) from None


def _write(site: Site, out: Path, tmp: Path) -> ExportResult:
    """Render into `tmp`, then move it into place as `out`; `tmp` is gone either way."""
    result = ExportResult(out_dir=out)
    try:
        seen: set[str] = set()
        for path in site.pages():
            if path in seen:
                continue
            seen.add(path)
            page = site.render(path)
            if page.status != 200:
                result.errors.append((path, page.status))
                log.warning("view_export_error_page", path=path, status=page.status)
            dest = tmp / path
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.write_bytes(page.body)
            result.n_pages += 1
        (tmp / MARKER).write_text("agentbench view export\n", encoding="utf-8")
        if out.exists():
            shutil.rmtree(out)
        tmp.rename(out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return result
