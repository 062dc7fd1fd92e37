"""`agentbench serve`: run a model server in the foreground (embedded SmolLM2, or scripted)."""

from __future__ import annotations

import sys
from pathlib import Path

import typer
from rich.console import Console

from agentbench.errors import ConfigError, EnvironmentProblem

app = typer.Typer(no_args_is_help=True)
out = Console(soft_wrap=True)  # URLs stay on one line


@app.command("local")
def local(
    port: int = typer.Option(8081, help="Port on 127.0.0.1."),
    n_ctx: int = typer.Option(4096, help="Context size in tokens."),
) -> None:
    """Serve the embedded SmolLM2-135M-Instruct model (OpenAI wire) until Ctrl-C.

    It needs no key and no network, but it is tiny (135M parameters): fine for plumbing and
    demos, it will rarely solve a real task.
    """
    import signal

    from agentbench.servers.embedded.process import LOCAL_MODEL_NAME, LocalServer

    # SIGTERM must unwind through `with server:` so the model process is stopped too
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    server = LocalServer(port, n_ctx=n_ctx)
    out.print(f"starting {LOCAL_MODEL_NAME} on 127.0.0.1:{port} ...")
    with server:
        out.print(
            f"serving {LOCAL_MODEL_NAME} at {server.base_url}/v1 (OpenAI wire; model name "
            f"{LOCAL_MODEL_NAME})."
        )
        out.print(
            "Note: a 135M-parameter model — for plumbing and demos; it will rarely solve a task."
        )
        out.print(
            "Use it with provider: local, base_url: " + server.base_url + "  (Ctrl-C to stop)"
        )
        try:
            code = server.wait()
        except KeyboardInterrupt:
            out.print("stopping")
            return
    raise typer.Exit(code or 1)  # the server exited by itself: that is a failure


@app.command("scripted")
def scripted(
    script: Path = typer.Option(..., "--script", help="YAML file of rules and replies."),
    port: int = typer.Option(8082, help="Port on 127.0.0.1."),
) -> None:
    """Serve scripted replies (OpenAI and Anthropic wire) from a YAML script until Ctrl-C."""
    import asyncio

    from agentbench.servers.scripted import ScriptedServer, load_script

    responder = load_script(script)  # a bad file fails here with a one-line ConfigError
    server = ScriptedServer(responder, port=port)

    def ready(url: str) -> None:
        out.print(
            f"scripted server at {url}  (OpenAI base_url: {url}/v1, Anthropic base_url: {url}; "
            "Ctrl-C to stop)"
        )
        sys.stdout.flush()  # a parent reading our pipe waits for this line

    if not 0 <= port <= 65535:
        raise ConfigError(f"{port} is not a port number", field="--port", fix="use 0..65535")
    try:
        asyncio.run(server.serve_forever(on_ready=ready))
    except KeyboardInterrupt:
        out.print("stopping")
    except OSError as exc:  # the port is taken (or not ours to bind)
        raise EnvironmentProblem(
            f"cannot listen on 127.0.0.1:{port} ({exc.strerror or exc})",
            field="--port",
            fix="pick another port, or 0 for any free one",
        ) from None
