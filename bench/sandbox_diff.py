"""Cost of the hardened diff, beside the old bare diff measured in the same run and sandbox.

    .venv/bin/python bench/sandbox_diff.py [--files 3000] [--n 20]

A repo of `--files` small files (a mid-sized project) with a few edits and new files.
Baseline: the diff as it was before the fix (throw-away index, `git add -A`, `git diff
--cached`). Ours: DockerSandbox.diff(), which also kills leftover processes and lists the
files over the size cap with `find`; and the same with stop_processes=False.
"""

from __future__ import annotations

import argparse
import statistics
import time
import uuid
from collections.abc import Callable

_OLD = (
    "( cd /repo || exit 97; idx=$(mktemp) || exit 98; "
    'cp -p "$(git rev-parse --git-path index)" "$idx" 2>/dev/null; '
    'GIT_INDEX_FILE="$idx" git add -A -- . >/dev/null 2>&1; '
    'GIT_INDEX_FILE="$idx" git -c core.quotepath=false diff --cached --binary --no-color '
    '--no-ext-diff {base} -- . 2>"$idx.err"; '
    'rc=$?; [ $rc -eq 0 ] || cat "$idx.err"; rm -f "$idx" "$idx.err"; exit $rc )'
)


def _medians_ms(ways: list[Callable[[], object]], n: int) -> list[float]:
    # Interleaved, so load from other work on the machine hits every way alike.
    times: list[list[float]] = [[] for _ in ways]
    for fn in ways:
        fn()  # warm the page cache and git's stat data
    for _ in range(n):
        for fn, out in zip(ways, times, strict=True):
            t0 = time.perf_counter()
            fn()
            out.append(time.perf_counter() - t0)
    return [statistics.median(out) * 1000 for out in times]


def main() -> None:
    """Build the repo, time each way, print medians and ratios to the baseline."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--files", type=int, default=3000, help="files in the repo")
    parser.add_argument("--n", type=int, default=20, help="diffs per way")
    args = parser.parse_args()

    from agentbench.logging import configure
    from agentbench.sandbox.client import docker_client
    from agentbench.sandbox.docker import DockerSandbox
    from agentbench.sandbox.images import ensure_base_image

    configure("WARNING")
    client = docker_client()
    image = ensure_base_image(client)
    with DockerSandbox(image, run_id=f"bench-{uuid.uuid4().hex[:8]}", client=client) as sb:
        setup = (
            "mkdir -p /repo && cd /repo && git init -q && "
            f"for i in $(seq {args.files}); do d=pkg$((i % 50)); mkdir -p $d; "
            "printf 'def f%d():\\n    return %d\\n' $i $i > $d/m$i.py; done && "
            "git add -A && git -c user.email=b@x -c user.name=b commit -qm base && "
            "for i in 1 2 3; do echo '# edit' >> pkg$i/m$i.py; echo new > new$i.py; done && "
            "git rev-parse HEAD"
        )
        r = sb.exec(setup, timeout=600)
        assert r.exit_code == 0, r.output
        base = r.output.strip()
        old = _OLD.replace("{base}", base)
        patch = sb.diff(base, repo="/repo")
        code, out = sb._exec_bytes(old)
        assert code == 0 and out.decode() == patch, "old and new diffs disagree"
        names = ["baseline: old bare diff", "ours: diff()", "ours: diff(stop_processes=False)"]
        ways: list[Callable[[], object]] = [
            lambda: sb._exec_bytes(old),
            lambda: sb.diff(base, repo="/repo"),
            lambda: sb.diff(base, repo="/repo", stop_processes=False),
        ]
        rows = list(zip(names, _medians_ms(ways, args.n), strict=True))
    print(f"repo of {args.files} files, patch {len(patch)} bytes, median of {args.n}")
    ref = rows[0][1]
    for name, ms in rows:
        print(f"{name:36s} {ms:8.1f} ms   x{ms / ref:.2f}")


if __name__ == "__main__":
    main()
