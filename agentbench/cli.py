"""The `agentbench` command. Each command group lives in `agentbench/commands/<group>.py`."""

from __future__ import annotations

import importlib
import os
import sys
from typing import NoReturn

import typer
from rich.console import Console

from agentbench.errors import UserError
from agentbench.textsafe import safe

app = typer.Typer(
    no_args_is_help=True,
    add_completion=False,
    help="Measure how AI agents fail: bias, variance, incoherence.",
)
err = Console(stderr=True)

# (module, typer sub-app name or None to merge top-level commands, help)
_GROUPS = [
    ("metrics", "metrics", "Metrics core: demo and checks."),
    ("sandbox", "sandbox", "Docker sandboxes and images."),
    ("serve", "serve", "Local model servers."),
    ("scaffold", "scaffold", "Scaffold configs."),
    ("tasks", "tasks", "SWE-bench style task suites."),
    ("sweep", None, "run / export / demo."),
    ("plan", None, "plan: cost and time of a sweep before running it."),
    ("report", None, "report / compare / import."),
    ("mc", "mc", "Multiple-choice and safety evals."),
    ("synth", "synth", "Synthetic optimizer experiments."),
    ("view", None, "Trajectory viewer."),
    ("replay", None, "Replay and fork trajectories."),
]


def _register() -> None:
    for mod_name, group, help_text in _GROUPS:
        mod = importlib.import_module(f"agentbench.commands.{mod_name}")
        sub = mod.app
        if group is None:
            for cmd in sub.registered_commands:
                app.registered_commands.append(cmd)
        else:
            app.add_typer(sub, name=group, help=help_text)


_register()


def main() -> None:
    """Entry point: run the app, turning UserError into one line and a non-zero exit."""
    from agentbench.logging import configure

    configure(os.environ.get("AGENTBENCH_LOG_LEVEL", "WARNING"))
    try:
        code = app(standalone_mode=False)
    except UserError as exc:
        err.print(f"[bold red]error:[/] {safe(str(exc))}", highlight=False, soft_wrap=True)
        sys.exit(exc.exit_code)
    except typer.Abort:
        err.print("aborted")
        sys.exit(130)
    except KeyboardInterrupt:
        err.print("interrupted")
        sys.exit(130)
    except SystemExit:
        raise
    except typer.TyperException as exc:  # usage errors (typer vendors click: not click's classes)
        _usage_error(exc)
    except Exception as exc:  # click usage errors
        import click

        if isinstance(exc, click.exceptions.ClickException):
            exc.show()
            sys.exit(exc.exit_code)
        raise
    # Without standalone mode a command's `raise typer.Exit(n)` comes back as n, not an exit.
    if isinstance(code, int) and not isinstance(code, bool) and code:
        sys.exit(code)


def _usage_error(exc: typer.TyperException) -> NoReturn:
    """Print a usage error on one line naming the command's --help, or the help asked for."""
    ctx = getattr(exc, "ctx", None)
    if type(exc).__name__ == "NoArgsIsHelpError":  # a bare group: its help is the answer
        sys.stdout.write(exc.format_message() + "\n")
        sys.exit(0)
    hint = f" (see '{ctx.command_path} --help')" if ctx is not None else ""
    message = " ".join(exc.format_message().split())
    err.print(f"[bold red]error:[/] {safe(message + hint)}", highlight=False, soft_wrap=True)
    sys.exit(getattr(exc, "exit_code", 2))


if __name__ == "__main__":
    main()
