"""`agentbench sandbox build | ls | prune`: base image, what exists, and cleanup of orphans."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

app = typer.Typer(no_args_is_help=True, add_completion=False)
console = Console()


@app.callback()
def _group() -> None:
    """Docker sandboxes and images."""


@app.command()
def build(
    ca_bundle: Path | None = typer.Option(
        None, help="PEM bundle to trust inside the image (networks that re-sign TLS)."
    ),
    from_registry: str | None = typer.Option(
        None, help="Build FROM this registry image instead of the offline debootstrap route."
    ),
    log_dir: Path | None = typer.Option(None, help="Where build logs go (default: cache)."),
) -> None:
    """Build the base image (python3, git, pytest) unless it exists; print its tag."""
    from agentbench.sandbox.client import docker_client
    from agentbench.sandbox.images import ensure_base_image

    client = docker_client()
    with console.status("building the base image (about a minute the first time)"):
        tag = ensure_base_image(
            client,
            ca_bundle=str(ca_bundle) if ca_bundle else None,
            log_dir=log_dir,
            from_registry=from_registry,
        )
    console.print(tag)


def _age(created: float | str) -> str:
    if isinstance(created, str):
        when = dt.datetime.fromisoformat(created.replace("Z", "+00:00")[:26] + "+00:00")
        seconds = (dt.datetime.now(dt.UTC) - when).total_seconds()
    else:
        seconds = dt.datetime.now(dt.UTC).timestamp() - created
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{int(seconds // size)}{unit} ago"
    return f"{int(seconds)}s ago"


@app.command("ls")
def list_() -> None:
    """agentbench images and containers, as tables."""
    from agentbench.sandbox import ownership
    from agentbench.sandbox.client import docker_client
    from agentbench.sandbox.reaper import list_containers

    client = docker_client()
    images = Table(title="agentbench images")
    for col in ("tag", "id", "size", "created"):
        images.add_column(col)
    rows = []
    for img in client.api.images():
        for tag in img.get("RepoTags") or []:
            if tag.startswith("agentbench-"):
                rows.append((tag, img["Id"][7:19], f"{img['Size'] / 1e6:.0f} MB", img["Created"]))
    for tag, iid, size, created in sorted(rows):
        images.add_row(tag, iid, size, _age(created))
    console.print(images)

    boxes = Table(title="agentbench containers (this host)")
    for col in ("id", "run", "image", "state", "owner pid", "owner", "test"):
        boxes.add_column(col)
    for info in list_containers(client):
        labels = info.get("Labels") or {}
        alive = "alive" if ownership.owner_alive(labels) else "[red]gone[/]"
        boxes.add_row(
            info["Id"][:12],
            labels.get(ownership.RUN, ""),
            info.get("Image", ""),
            info.get("State", ""),
            labels.get(ownership.PID, ""),
            alive,
            labels.get(ownership.TEST, ""),
        )
    console.print(boxes)


@app.command()
def prune(
    all_: bool = typer.Option(
        False, "--all", help="Remove every agentbench container, owners alive or not."
    ),
    images: bool = typer.Option(False, help="Also remove dangling agentbench images."),
    run: str | None = typer.Option(None, help="Only containers of this run id."),
) -> None:
    """Remove containers whose owner process is gone (or all of them with --all)."""
    from agentbench.sandbox.client import docker_client
    from agentbench.sandbox.reaper import reap

    client = docker_client()
    removed = reap(client, everything=all_, run_id=run)
    console.print(
        f"removed {len(removed)} container(s)" + (f": {' '.join(removed)}" if removed else "")
    )
    if images:
        result = client.api.prune_images(filters={"dangling": True, "label": "agentbench=1"})
        gone = result.get("ImagesDeleted") or []
        console.print(f"removed {len(gone)} dangling image layer(s)")
