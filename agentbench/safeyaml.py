"""yaml.safe_load with limits, for config files other people hand us (specs, model configs).

PyYAML composes nodes recursively (a 100k-deep `[[[...` is a RecursionError) and expands
aliases by reference (eight nested aliases of ten make 10^8 items for whoever walks the
result). Both are refused up front with one line naming the file and the limit.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from agentbench.errors import ConfigError

MAX_YAML_BYTES = 16 * 1024 * 1024
MAX_YAML_DEPTH = 128
MAX_YAML_ALIASES = 1000
MAX_YAML_NODES = 1_000_000  # counted as expanded, i.e. each alias use counts its whole subtree


class _LimitedLoader(yaml.SafeLoader):
    """A SafeLoader that counts nesting and alias uses while it composes."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0
        self._aliases = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            self._aliases += 1
            if self._aliases > MAX_YAML_ALIASES:
                raise _Limit(f"more than {MAX_YAML_ALIASES} alias uses (*name)")
        self._depth += 1
        try:
            if self._depth > MAX_YAML_DEPTH:
                raise _Limit(f"nested more than {MAX_YAML_DEPTH} levels deep")
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


class _Limit(Exception):
    pass


def _expanded_size(node: yaml.Node, memo: dict[int, int]) -> int:
    """How many nodes the document has with every alias expanded (shared nodes memoised)."""
    if (n := memo.get(id(node))) is not None:
        return n
    memo[id(node)] = 1  # a node that contains itself counts once (PyYAML allows such loops)
    total = 1
    if isinstance(node, yaml.SequenceNode):
        total += sum(_expanded_size(c, memo) for c in node.value)
    elif isinstance(node, yaml.MappingNode):
        total += sum(_expanded_size(k, memo) + _expanded_size(v, memo) for k, v in node.value)
    memo[id(node)] = total
    return total


def load_yaml(text: str, *, source: str) -> Any:
    """Parse YAML under size, depth and alias caps; a broken cap is one ConfigError line.

    Syntax errors propagate as yaml.YAMLError so callers keep their own messages for them.
    """
    if len(text) > MAX_YAML_BYTES:
        raise ConfigError(
            f"{len(text):,} characters of YAML, over the {MAX_YAML_BYTES:,} limit",
            path=source,
            fix="a config file is never this large; check where it came from",
        )
    loader = _LimitedLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        if (n := _expanded_size(node, {})) > MAX_YAML_NODES:
            raise _Limit(f"{n:,} values once aliases are expanded, over {MAX_YAML_NODES:,}")
        return loader.construct_document(node)
    except _Limit as exc:
        raise ConfigError(
            str(exc),
            path=source,
            fix="this is not a config agentbench writes; check where it came from",
        ) from None
    finally:
        loader.dispose()


def read_yaml(path: Path, *, what: str, fix: str, mapping: bool = True) -> Any:
    """A YAML file's document under load_yaml's caps; unreadable or invalid is one ConfigError."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{what} not found", path=str(path), fix=fix) from None
    except (OSError, UnicodeDecodeError) as exc:  # a folder, no permission, a binary file
        reason = exc.strerror if isinstance(exc, OSError) else exc.reason
        raise ConfigError(
            f"cannot read the {what} ({reason or exc})", path=str(path), fix=fix
        ) from None
    try:
        doc = load_yaml(text, source=str(path))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f"line {mark.line + 1}" if mark is not None else None
        raise ConfigError("invalid YAML", path=str(path), field=at, fix="fix the syntax") from None
    if mapping and not isinstance(doc, dict):
        raise ConfigError("top level must be a mapping", path=str(path), fix=fix)
    return doc
