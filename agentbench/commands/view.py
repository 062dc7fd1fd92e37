"""`agentbench view RUN [RUN ...]`: browse runs on 127.0.0.1, or `--export DIR` static pages."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

app = typer.Typer(no_args_is_help=True, add_completion=False)
out = Console()
err = Console(stderr=True)


@app.command()
def view(
    runs: Annotated[list[Path], typer.Argument(help="Run folders (each holds store.sqlite).")],
    port: Annotated[int, typer.Option(help="Port on 127.0.0.1 (0 = any free port).")] = 8765,
    export: Annotated[
        Path | None, typer.Option(help="Write static pages to this folder instead of serving.")
    ] = None,
    groups: Annotated[int, typer.Option(help="Length groups in the incoherence plot.")] = 5,
) -> None:
    """Browse runs: systems, instances, seeds, trajectories, divergence and the plot."""
    from agentbench.errors import ConfigError
    from agentbench.view.runs import open_runs
    from agentbench.view.site import Site

    if groups < 1:
        raise ConfigError(f"{groups} must be at least 1", field="--groups")
    if not 0 <= port <= 65535:
        raise ConfigError(f"{port} is not a port number", field="--port", fix="use 0..65535")
    opened = open_runs(list(runs))
    try:
        site = Site(opened, groups=groups)
        if export is not None:
            from agentbench.view.export import export_site

            res = export_site(site, export)
            out.print(f"wrote {res.n_pages} pages to {res.out_dir} (open index.html)")
            for path, status in res.errors:
                err.print(f"[yellow]warning:[/] {path}: written as an error page (HTTP {status})")
            return
        from agentbench.view.server import ViewServer

        server = ViewServer(site, port=port)
        out.print(f"agentbench view: {server.url}  (Ctrl-C stops)", highlight=False)
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            server.stop()
    finally:
        for r in opened:
            r.close()
