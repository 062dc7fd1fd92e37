"""Same outcomes before and after a change: one tiny sweep, report and export at two git refs.

Run: .venv/bin/python bench/same_outcomes.py --base e982917 [--head REF]
(--head defaults to the working tree). For each side it checks the ref out with `git worktree
add` into a temp folder (the working tree is used as is), then with that side's code on
PYTHONPATH and this interpreter: starts `agentbench serve scripted` (real HTTP on 127.0.0.1),
runs `agentbench run` of a multiple-choice sweep (2 systems x 6 questions x 4 seeds, no Docker),
`agentbench report` and `agentbench export --csv`. It then compares:
- store rows: every table of store.sqlite, rows sorted, must be byte-identical, except the
  columns in VOLATILE (they record when or how long, which differs between any two runs);
- report.json: every numeric leaf (by JSON path) both reports carry must be equal (leaves only
  one side has, e.g. a section a report change added, are counted and shown, not failed);
- the export's CSVs: equal after dropping the VOLATILE columns.
Prints one screen and exits 1 on any difference.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import socket
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]

# Columns that differ between any two runs of the same sweep, and why they are left out.
VOLATILE = {
    "meta": set(),  # its value column is blanked only for the keys in VOLATILE_META
    "systems": {"first_seen"},  # wall-clock time the system was registered
    "samples": {
        "started_at",  # wall-clock start
        "finished_at",  # wall-clock end
        "updated_at",  # wall-clock time of the last write
        "wall_s",  # measured duration
    },
}
REPORT_VOLATILE = {".generated_at"}  # report.json: the clock time it was written
VOLATILE_META = {"created_at"}  # a clock stamp; the spec (relative run_dir) is compared

SCRIPT = """\
rules:
  - match: "[02468]\\\\D*$"
    reply: {text: "Reasoning...\\nAnswer: A", usage: {input_tokens: 40, output_tokens: 7}}
  - match: "[13579]\\\\D*$"
    reply: {text: "Reasoning...\\nAnswer: B", usage: {input_tokens: 40, output_tokens: 9}}
default: {text: "Answer: C", usage: {input_tokens: 40, output_tokens: 5}}
"""

SPEC = """\
name: same-outcomes
run_dir: {run_dir}
tasks:
  - kind: mc
    name: arith
    dataset: {{source: procedural, n: 6, difficulty: [1, 3], seed: 0}}
    format: letter
    contexts: 2
    shots: 1
    shuffle: true
systems:
  - name: a
    model: {{provider: scripted, name: scripted-a, base_url: "{url}", temperature: 0.5}}
    scaffold: mc
  - name: b
    model: {{provider: scripted, name: scripted-b, base_url: "{url}", temperature: 1.0}}
    scaffold: mc
seeds: 4
concurrency: {{samples: 4}}
"""


def _cli(code: Path, *args: str, cwd: Path, timeout: float = 300) -> str:
    env = {**os.environ, "PYTHONPATH": str(code), "COLUMNS": "200"}
    r = subprocess.run(
        [sys.executable, "-m", "agentbench.cli", *args],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout,
    )  # fmt: skip
    if r.returncode != 0:
        raise SystemExit(
            f"{code}: agentbench {' '.join(args)} failed ({r.returncode}):\n{r.stderr[-2000:]}"
        )
    return r.stdout


def run_side(code: Path, work: Path, port: int) -> Path:
    """Serve, sweep, report and export with the code at `code`; returns the run folder."""
    work.mkdir(parents=True)
    (work / "script.yaml").write_text(SCRIPT)
    env = {**os.environ, "PYTHONPATH": str(code)}
    srv = subprocess.Popen(
        [sys.executable, "-m", "agentbench.cli", "serve", "scripted", "--script", "script.yaml",
         "--port", str(port)],
        cwd=work, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        line = srv.stdout.readline() if srv.stdout else ""
        m = re.search(r"http://127\.0\.0\.1:\d+", line)
        if not m:
            raise SystemExit(
                f"{code}: scripted server did not start: {line}{srv.stderr.read() if srv.stderr else ''}"
            )
        run_dir = work / "run"
        (work / "spec.yaml").write_text(SPEC.format(run_dir="run", url=m.group(0)))
        _cli(code, "run", "spec.yaml", "--no-progress", cwd=work)
    finally:
        srv.terminate()
        srv.wait(timeout=30)
    _cli(code, "report", str(run_dir), "--boot", "200", "--detail-boot", "50", cwd=work)
    _cli(code, "export", str(run_dir), "--csv", cwd=work)
    return run_dir


def store_rows(db: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every table's rows, sorted, without the VOLATILE columns."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        out = {}
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        for t in sorted(tables):
            cols = [r[1] for r in conn.execute(f"PRAGMA table_info({t})")]
            keep = [c for c in cols if c not in VOLATILE.get(t, set())]
            if t == "meta":
                rows = conn.execute(
                    "SELECT key, CASE WHEN key IN ({}) THEN NULL ELSE value END FROM meta".format(
                        ",".join("?" for _ in VOLATILE_META)
                    ),
                    sorted(VOLATILE_META),
                ).fetchall()
            else:
                rows = conn.execute(f"SELECT {', '.join(keep)} FROM {t}").fetchall()
            out[t] = sorted(rows, key=repr)
        return out
    finally:
        conn.close()


def numbers(obj: Any, path: str = "") -> dict[str, float]:
    """Numeric leaves of a JSON document by path."""
    if isinstance(obj, dict):
        return {k: v for key, val in obj.items() for k, v in numbers(val, f"{path}.{key}").items()}
    if isinstance(obj, list):
        return {k: v for i, val in enumerate(obj) for k, v in numbers(val, f"{path}[{i}]").items()}
    if isinstance(obj, bool) or not isinstance(obj, int | float):
        return {}
    return {path: obj}


def export_rows(folder: Path) -> dict[str, list[dict[str, str]]]:
    """The exported CSVs, without the VOLATILE sample columns."""
    drop = VOLATILE["samples"] | VOLATILE["systems"]
    out = {}
    for p in sorted(folder.glob("*.csv")):
        with p.open(newline="") as f:
            rows = [{k: v for k, v in r.items() if k not in drop} for r in csv.DictReader(f)]
        out[p.name] = sorted(rows, key=lambda r: json.dumps(r, sort_keys=True))
    return out


def main() -> int:
    """Run both sides, compare, print a summary; 1 on any difference."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--base", default="e982917", help="git ref before the change")
    ap.add_argument("--head", default=None, help="git ref after (default: the working tree)")
    a = ap.parse_args()
    diffs: list[str] = []
    with tempfile.TemporaryDirectory(prefix="same-outcomes-") as tmp:
        t = Path(tmp)
        codes = {}
        for side, ref in (("base", a.base), ("head", a.head)):
            if ref is None:
                codes[side] = ROOT
                continue
            codes[side] = t / f"code-{side}"
            subprocess.run(
                [
                    "git",
                    "-C",
                    str(ROOT),
                    "worktree",
                    "add",
                    "--detach",
                    "-q",
                    str(codes[side]),
                    ref,
                ],
                check=True,
            )
        try:
            # one port for both sides: base_url is part of each system's config and hash
            with socket.socket() as so:
                so.bind(("127.0.0.1", 0))
                port = so.getsockname()[1]
            runs = {side: run_side(code, t / side, port) for side, code in codes.items()}
            rows = {s: store_rows(r / "store.sqlite") for s, r in runs.items()}
            for table in sorted(set(rows["base"]) | set(rows["head"])):
                b, h = rows["base"].get(table), rows["head"].get(table)
                same = b == h
                print(f"store {table:<8} rows base={len(b or [])} head={len(h or [])}  "
                      f"{'identical' if same else 'DIFFERENT'}")  # fmt: skip
                if not same:
                    diffs.append(f"store table {table}")
            reps = {
                s: numbers(json.loads((r / "report" / "report.json").read_text()))
                for s, r in runs.items()
            }
            nb, nh = reps["base"], reps["head"]
            # a field only one side's report has (a section added by a report change) is
            # listed, not failed: the claim is that the numbers both reports carry are equal
            common = (set(nb) & set(nh)) - REPORT_VOLATILE
            bad = sorted(
                k for k in common if nb[k] != nh[k] and not (nb[k] != nb[k] and nh[k] != nh[k])
            )
            only = sorted((set(nb) ^ set(nh)) - REPORT_VOLATILE)
            print(f"report.json numbers base={len(nb)} head={len(nh)} common={len(common)}  "
                  f"{'equal' if not bad else f'{len(bad)} DIFFERENT'}; only on one side: {len(only)}")  # fmt: skip
            for k in bad[:8]:
                print(f"  {k}: base={nb.get(k)} head={nh.get(k)}")
            if only:
                print(f"  e.g. {only[0]} (base={nb.get(only[0])} head={nh.get(only[0])})")
            if bad:
                diffs.append("report numbers")
            exp = {s: export_rows(r / "export") for s, r in runs.items()}
            for name in sorted(set(exp["base"]) | set(exp["head"])):
                b2, h2 = exp["base"].get(name), exp["head"].get(name)
                print(f"export {name:<12} rows base={len(b2 or [])} head={len(h2 or [])}  "
                      f"{'equal' if b2 == h2 else 'DIFFERENT'}")  # fmt: skip
                if b2 != h2:
                    diffs.append(f"export {name}")
            n_done = sum(1 for r in rows["head"].get("samples", []) if "done" in r)
            print(f"sweep: {n_done} samples done on head; volatile columns left out: "
                  f"{ {k: sorted(v) for k, v in VOLATILE.items()} }, meta keys {sorted(VOLATILE_META)}")  # fmt: skip
        finally:
            for code in codes.values():
                if code != ROOT:
                    subprocess.run(
                        ["git", "-C", str(ROOT), "worktree", "remove", "--force", str(code)],
                        check=False,
                    )
    print("SAME OUTCOMES" if not diffs else f"DIFFERENCES: {', '.join(diffs)}")
    return 1 if diffs else 0


if __name__ == "__main__":
    raise SystemExit(main())
