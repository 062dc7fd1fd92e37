"""The bash behind DockerSandbox.diff: stop what the agent left running, then diff a settled tree.

First every process but the worker is killed (a process left running could change the tree
while git reads it, or hold memory git needs). Then files over a size cap are left out of the
diff: `git diff --binary` holds a whole blob plus its deflated and base85 copies in memory, and
git in the container inherits the worker's oom_score_adj of 1000, so one big incompressible
file would get git OOM-killed.
"""

from __future__ import annotations

import shlex

# Runs in the worker shell itself (no fork: it must work while a fork bomb holds every pid)
# and kills every process but the supervisor (1), the worker's wrapper and the worker.
# Rounds, because a process may fork between the scan and its kill; zombies are skipped.
STOP_LEFTOVERS = r"""__ab_n=1 __ab_r=0
while (( __ab_n && __ab_r < 20 )); do
  __ab_n=0 __ab_r=$((__ab_r + 1))
  for __ab_p in /proc/[0-9]*; do
    __ab_p=${__ab_p#/proc/}
    [[ $__ab_p == 1 || $__ab_p == "$$" || $__ab_p == "$PPID" ]] && continue
    IFS= read -r __ab_s 2>/dev/null </proc/$__ab_p/stat || continue
    __ab_s=${__ab_s##*) }
    [[ $__ab_s == Z* || $__ab_s == X* ]] && continue
    builtin kill -9 "$__ab_p" 2>/dev/null && __ab_n=1
  done
done
unset __ab_n __ab_r __ab_p __ab_s
"""

# In a subshell so the agent's cwd and index stay as they were. Output: the paths left out
# (each NUL-terminated), one more NUL, then the patch (or, on failure, git's error).
# A throw-away index shows untracked files without touching the agent's index; `cp -p`
# keeps its mtime so git's racy-entry check still sees a same-size edit made in the same
# second as the last `git add`. --ignore-errors: one unreadable file must not abort the
# whole `git add` (that used to yield an empty patch). Oversized files are kept out of
# `git add` and reset to the base in the throw-away index (the agent may have staged or
# committed them), so git never loads them; only those that differ from the base are
# named (a big file of the base left as it was is not missing from the patch: hashed as a
# stream, not loaded, to tell). At most one byte over the patch limit is sent, enough for
# the host to tell.
_DIFF = r"""( cd {root} 2>&1 || exit 97; idx=$(mktemp) || exit 98
cp -p "$(git rev-parse --git-path index)" "$idx" 2>/dev/null
printf '%s\0' . {specs} >"$idx.ps"; : >"$idx.rs"
while IFS= read -r -d '' f; do
  f=${{f#./}}; h=$(git rev-parse -q --verify {base}:"./$f" 2>/dev/null)
  [ -n "$h" ] && [ "$h" = "$(git -c core.bigFileThreshold=1m hash-object -- "$f" 2>/dev/null)" ] || printf '%s\0' "$f"
  printf ':(exclude,literal)%s\0' "$f" >>"$idx.ps"; printf ':(literal)%s\0' "$f" >>"$idx.rs"
done < <(find . -name .git -prune -o -type f -size +{cap}c -print0 2>/dev/null)
printf '\0'
GIT_INDEX_FILE="$idx" git add -A --ignore-errors --pathspec-from-file="$idx.ps" --pathspec-file-nul >/dev/null 2>&1
if [ -s "$idx.rs" ]; then GIT_INDEX_FILE="$idx" git reset -q --no-refresh {base} --pathspec-from-file="$idx.rs" --pathspec-file-nul >/dev/null 2>&1; fi
set -o pipefail
GIT_INDEX_FILE="$idx" git -c core.quotepath=false diff --cached --binary --no-color --no-ext-diff {base} -- . {specs} 2>"$idx.err" | head -c {total}
rc=$?; [ $rc -eq 0 ] || cat "$idx.err"; rm -f "$idx" "$idx.err" "$idx.ps" "$idx.rs"; exit $rc )"""


def diff_script(
    root: str,
    base: str,
    exclude: list[str],
    max_file_bytes: int,
    max_patch_bytes: int,
    *,
    stop_processes: bool,
) -> str:
    """The command line that prints the omitted paths and the patch of `root` against `base`."""
    specs = " ".join(shlex.quote(f":(exclude){p}") for p in exclude)
    diff = _DIFF.format(
        root=shlex.quote(root),
        base=shlex.quote(base),
        specs=specs,
        cap=int(max_file_bytes),
        total=int(max_patch_bytes) + 1,
    )
    # The worker's own stderr off for the duration: the job notices ("[1]+ Killed ...") it
    # prints for the jobs just killed would otherwise land in the patch.
    return "{ " + (STOP_LEFTOVERS if stop_processes else "") + diff + "\n} 2>/dev/null"


def split_output(out: bytes) -> tuple[list[str], bytes]:
    """(paths left out for size, the rest) from the diff script's output."""
    omitted: list[str] = []
    pos = 0
    while True:
        end = out.find(b"\0", pos)
        if end < 0:  # the script stopped before the list ended (cd or mktemp failed)
            return omitted, out[pos:]
        if end == pos:
            return omitted, out[end + 1 :]
        omitted.append(out[pos:end].decode("utf-8", "replace"))
        pos = end + 1
