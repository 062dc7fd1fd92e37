"""The model size table, readable without torch (configs are checked in the CLI process)."""

from __future__ import annotations

import json
from pathlib import Path

SIZES_FILE = Path(__file__).parent / "configs" / "sizes.yaml"


def load_sizes(path: Path = SIZES_FILE) -> dict[str, dict[str, int]]:
    """The size table; it is JSON-compatible YAML so no YAML parser is needed."""
    text = "\n".join(ln for ln in path.read_text().splitlines() if not ln.lstrip().startswith("#"))
    return json.loads(text)
