"""A model server that dies at start says how it died and what to do (not a guess)."""

from __future__ import annotations

import sys

import pytest

from agentbench.errors import EnvironmentProblem
from agentbench.exitstatus import describe_exit
from agentbench.servers.embedded.process import LocalServer


class _DyingServer(LocalServer):
    """A real child process that prints and then dies the way a mismatched build does."""

    def __init__(self, code: str) -> None:
        super().__init__(start_timeout_s=30)
        self._code = code

    def command(self) -> list[str]:
        return [sys.executable, "-c", self._code]


def test_a_server_killed_by_sigill_names_the_signal_its_output_and_the_rebuild() -> None:
    code = (
        "import os, signal, sys; print('llama_model_load: loading tensors', file=sys.stderr,"
        " flush=True); os.kill(os.getpid(), signal.SIGILL)"
    )
    with pytest.raises(EnvironmentProblem) as caught:
        _DyingServer(code).start()
    line = str(caught.value)
    assert "\n" not in line
    assert "killed by SIGILL (Illegal instruction" in line
    assert "llama_model_load: loading tensors" in line
    assert "scripts/setup.sh" in line and "rebuild" in line


def test_a_server_that_exits_with_an_error_gives_its_exit_code_and_last_lines() -> None:
    code = "import sys; print('one'); print('two'); print('OSError: port in use'); sys.exit(2)"
    with pytest.raises(EnvironmentProblem) as caught:
        _DyingServer(code).start()
    line = str(caught.value)
    assert "exit code 2" in line and "one | two | OSError: port in use" in line
    assert "SIGILL" not in line


@pytest.mark.parametrize(
    ("code", "words"),
    [(0, "exit code 0"), (3, "exit code 3"), (-9, "killed by SIGKILL"), (-4, "killed by SIGILL")],
)
def test_exit_statuses_in_words(code: int, words: str) -> None:
    assert describe_exit(code).startswith(words)
