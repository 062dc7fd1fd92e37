"""`agentbench scaffold`: list and check scaffold configs."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

app = typer.Typer(no_args_is_help=True, help="Scaffold configs (YAML + Jinja templates).")
out = Console()


def _parse_vars(items: list[str]) -> dict[str, str]:
    from agentbench.errors import ConfigError

    pairs: dict[str, str] = {}
    for item in items:
        if "=" not in item:
            raise ConfigError(f"--var {item!r} is not KEY=VALUE", fix="write --var hints=text")
        k, v = item.split("=", 1)
        pairs[k] = v
    return pairs


@app.command("check")
def check(
    file: Path = typer.Argument(..., help="Scaffold YAML file, or a name in scaffolds/."),
    var: list[str] = typer.Option([], "--var", help="Extra template variable KEY=VALUE."),
    show: bool = typer.Option(False, "--show", help="Print the rendered templates."),
) -> None:
    """Validate a scaffold and render its templates with sample task variables."""
    from agentbench.scaffold import check_scaffold, load_scaffold

    sc = load_scaffold(file)
    rendered = check_scaffold(sc, _parse_vars(var))
    if show:
        for name, text in rendered.items():
            out.rule(name)
            out.print(text, markup=False, highlight=False, soft_wrap=True)
    out.print(
        f"ok: {sc.source}: scaffold {sc.name!r} ({sc.action_format}; tools: "
        f"{', '.join(sc.tool_names)}; hash {sc.content_hash()})",
        highlight=False,
    )


@app.command("ls")
def ls() -> None:
    """List the scaffolds shipped in scaffolds/."""
    from agentbench.errors import ConfigError
    from agentbench.scaffold import list_scaffolds, load_scaffold

    table = Table("name", "format", "tools", "description")
    for path in list_scaffolds():
        try:
            sc = load_scaffold(path)
        except ConfigError as exc:
            table.add_row(path.stem, "[red]invalid[/]", "", str(exc))
            continue
        table.add_row(sc.name, sc.action_format, ", ".join(sc.tool_names), sc.description)
    out.print(table)
