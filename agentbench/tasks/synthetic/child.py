"""Run one synthetic-optimizer stage (train or roll out one size) in a child process.

torch is native code: a crash in it (a signal, the OOM killer) must end the child only, and the
CLI then says how it died. The child reports its result, or a user error, through a JSON file.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any, Literal

from agentbench.errors import UserError
from agentbench.exitstatus import describe_exit, last_lines

Stage = Literal["train", "rollout"]


class ChildFailed(UserError):
    """The stage's process died or exited without a result."""

    exit_code = 4


def run_stage(stage: Stage, config: str, size: str, run_dir: Path, fresh: bool = False) -> Any:
    """Run `stage` for `size` in a child Python; its result dict, or a one-line error."""
    fd, result_name = tempfile.mkstemp(prefix=f"agentbench-synth-{stage}-", suffix=".json")
    os.close(fd)
    result = Path(result_name)
    cmd = [sys.executable, "-m", __name__, stage, config, size, str(run_dir), str(result)]
    if fresh:
        cmd.append("--fresh")
    tail: collections.deque[str] = collections.deque(maxlen=50)
    try:
        # stdout (progress) goes straight to the terminal; stderr is echoed and its tail kept
        with subprocess.Popen(cmd, stderr=subprocess.PIPE, text=True, errors="replace") as proc:
            assert proc.stderr is not None
            for line in proc.stderr:
                sys.stderr.write(line)
                tail.append(line)
            code = proc.wait()
        text = result.read_text() if result.stat().st_size else ""
    finally:
        result.unlink(missing_ok=True)
    if code == 0 and text:
        return json.loads(text)["result"]
    if text:  # the child caught a user error: the same one-line message and exit code
        err = json.loads(text)["error"]
        exc = UserError(err["message"])
        exc.exit_code = err["exit_code"]
        raise exc
    raise ChildFailed(
        f"the {stage} process for size {size} {describe_exit(code)}; its last output: "
        f"{last_lines(''.join(tail)) or '(none)'}",
        path=config,
        fix="see the output above; a signal means a crash in torch, not a config problem",
    )


def _main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog=f"python -m {__name__}")
    ap.add_argument("stage", choices=["train", "rollout"])
    ap.add_argument("config")
    ap.add_argument("size")
    ap.add_argument("run_dir", type=Path)
    ap.add_argument("result", type=Path)
    ap.add_argument("--fresh", action="store_true")
    args = ap.parse_args(argv)

    from rich.console import Console

    from agentbench.tasks.synthetic.config import load_config
    from agentbench.tasks.synthetic.experiment import rollout_size, train_size

    console = Console()
    try:
        cfg = load_config(args.config)
        if args.stage == "train":
            res = train_size(cfg, args.size, args.run_dir, fresh=args.fresh, progress=console.log)
        else:
            res = rollout_size(cfg, args.size, args.run_dir, progress=console.log)
    except UserError as exc:
        err = {"message": str(exc), "exit_code": exc.exit_code}
        args.result.write_text(json.dumps({"error": err}))
        return exc.exit_code
    args.result.write_text(json.dumps({"result": res}, default=float))
    return 0


if __name__ == "__main__":
    sys.exit(_main())
