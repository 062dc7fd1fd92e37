"""The sandbox interface the agent loop and tasks program against."""

from __future__ import annotations

from typing import Protocol

from agentbench.records import ExecResult


class PatchUnavailable(Exception):
    """The agent's own actions left no patch to take: graded as no patch, the reason on record."""


class PatchTooLarge(PatchUnavailable):
    """The working tree's diff exceeds the sandbox's patch size limit (the agent's doing)."""


class RepoGone(PatchUnavailable):
    """The repository checked at the start is no longer a git work tree with its base commit."""


class Sandbox(Protocol):
    """A running, isolated environment with a persistent shell."""

    id: str
    diff_omitted: list[str]  # paths the last diff() left out (too large), for the record

    def exec(self, command: str, timeout: float = 60.0) -> ExecResult:
        """Run `command` in the persistent shell (cwd and env carry over)."""
        ...

    def diff(
        self,
        base_commit: str | None = None,
        exclude: list[str] | None = None,
        *,
        repo: str | None = None,
        stop_processes: bool = True,
    ) -> str:
        """`git diff` of the working tree (incl. untracked files) against `base_commit`."""
        ...

    def verify_repo(self, base_commit: str | None = None, *, repo: str | None = None) -> None:
        """Check `repo` is a git work tree holding `base_commit`; InfraError if not.

        After this, a diff that finds the repository broken raises RepoGone (the agent's
        doing) instead of InfraError.
        """
        ...

    def close(self) -> None:
        """Stop and remove the container (idempotent)."""
        ...
