"""The run stores a viewer shows: opened once, queried per page (never loaded whole)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from agentbench.config import SystemConfig
from agentbench.errors import DataError
from agentbench.records import SampleResult
from agentbench.store.rows import SystemRow
from agentbench.store.runstore import RunStore
from agentbench.store.schema import parsed_record


@dataclass(eq=False)
class ViewRun:
    """One run folder: its position in the viewer, a label and its open store."""

    index: int
    path: Path
    store: RunStore
    label: str = ""
    _systems: list[SystemRow] | None = field(default=None, repr=False)

    def system_list(self) -> list[SystemRow]:
        """The run's systems without counting samples (cheap: pages that only need names)."""
        rows = self.store.system_configs()
        out = self._systems or []
        if [(s.name, s.hash) for s in out] != [(n, h) for n, h, _ in rows]:
            out = [
                SystemRow(name=n, hash=h, config=parsed_record(SystemConfig, c, f"systems[{n}]"))
                for n, h, c in rows
            ]
            self._systems = out
        return out

    def system(self, h: str) -> SystemRow | None:
        """One system by hash (or None)."""
        return next((s for s in self.system_list() if s.hash == h), None)

    def version(self) -> tuple[int, ...]:
        """Changes whenever the store is written (database and WAL file stamps)."""
        out: list[int] = []
        for suffix in ("", "-wal"):
            try:
                st = Path(f"{self.store.db_path}{suffix}").stat()
                out += [st.st_mtime_ns, st.st_size]
            except FileNotFoundError:
                out += [0, 0]
        return tuple(out)

    def seeds(self, h: str, task: str, inst: str) -> list[SampleResult]:
        """Every sample of one system on one instance, by seed (one indexed query)."""
        rows = self.store.iter_results(system_hash=h, task=task, instance_id=inst, order="cell")
        return sorted(rows, key=lambda r: r.key.seed)

    def trajectory_file(self, result: SampleResult) -> Path | None:
        """Absolute path of a sample's trajectory file; a path escaping the run is refused."""
        p = self.store.trajectory_file(result)
        if p is None:
            return None
        root = self.path.resolve()
        full = p.resolve()
        if root not in full.parents:
            raise DataError(
                f"trajectory_path {result.trajectory_path!r} points outside the run folder",
                path=str(self.store.db_path),
                field="samples.trajectory_path",
                fix="the store is corrupt or was edited by hand",
            )
        return full

    def close(self) -> None:
        """Close the store's connections."""
        self.store.close()


def open_runs(paths: list[str | Path]) -> list[ViewRun]:
    """Open every run folder; the first bad one is a DataError naming it (others are closed)."""
    runs: list[ViewRun] = []
    try:
        for i, p in enumerate(paths):
            rd = Path(p)
            if not rd.is_dir():
                raise DataError(
                    "not a folder", path=str(rd), fix="pass a run folder made by `agentbench run`"
                )
            store = RunStore.open(rd)
            runs.append(ViewRun(index=i, path=rd, store=store, label=_label(rd, paths)))
    except BaseException:
        for r in runs:
            r.close()
        raise
    return runs


def _label(rd: Path, paths: list[str | Path]) -> str:
    """The folder name, or its path when two runs share a name."""
    names = [Path(p).resolve().name for p in paths]
    name = rd.resolve().name
    return name if names.count(name) == 1 else str(rd)
