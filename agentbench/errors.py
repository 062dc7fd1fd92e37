"""User-facing errors: one line that names the file, the field and the fix.

Standard library only: the GPU bench imports it on a machine that has torch and nothing else.
"""

from __future__ import annotations

from pathlib import Path


class UserError(Exception):
    """Bad input or environment; the CLI prints its message on one line and exits non-zero."""

    exit_code = 2

    def __init__(
        self,
        message: str,
        *,
        path: str | None = None,
        field: str | None = None,
        fix: str | None = None,
    ) -> None:
        self.path = path
        self.field = field
        self.fix = fix
        self.detail = message
        super().__init__(self.render())

    def render(self) -> str:
        """The one-line message: `path: field: problem (fix)`."""
        parts = [p for p in (self.path, self.field) if p]
        head = ": ".join([*parts, self.detail])
        return f"{head} ({self.fix})" if self.fix else head


class ConfigError(UserError):
    """A config, spec or scaffold file is wrong."""


class DataError(UserError):
    """A dataset row, trajectory file or run store is malformed."""


class EnvironmentProblem(UserError):
    """Something the machine must provide is missing (Docker engine, a package, a key)."""

    exit_code = 3


class InfraError(Exception):
    """An infrastructure failure during a sample (sandbox, model API): missing data, not an outcome."""

    def __init__(self, reason: str, message: str) -> None:
        self.reason = reason
        super().__init__(f"{reason}: {message}")


def make_dir(path: Path, *, what: str, fix: str) -> Path:
    """`mkdir -p path`, or an EnvironmentProblem naming the folder, the OS reason and `fix`."""
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise EnvironmentProblem(
            f"cannot create {what} ({exc.strerror or exc})", path=str(path), fix=fix
        ) from None
    return path
