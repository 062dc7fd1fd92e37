"""Shell scripts the grader runs: apply the model patch with the harness's fallbacks, run the tests."""

from __future__ import annotations

import re
import shlex

from agentbench.tasks.swebench.environment import WORKDIR

# The SWE-bench harness's markers, so its log parsing and grading apply unchanged.
START_TEST_OUTPUT = ">>>>> Start Test Output"
END_TEST_OUTPUT = ">>>>> End Test Output"
APPLY_PATCH_PASS = ">>>>> Applied Patch"
APPLY_PATCH_FAIL = ">>>>> Patch Apply Failed"
TESTS_ERROR = ">>>>> Tests Errored"
MODEL_PATCH = "/tmp/agentbench/model.patch"
EVAL_SCRIPT = "/tmp/agentbench/eval.sh"

# The harness's order: plain, three-way, with rejects, then GNU patch with fuzz.
APPLY_CMDS = (
    "git apply --verbose",
    "git apply --verbose --3way",
    "git apply --verbose --reject",
    "patch --batch --forward --fuzz=5 -p1 -i",
)
_HEREDOC = "EOF_AGENTBENCH_8c1f2a"
_DIFF_HEAD = re.compile(r"^diff --git a/(\S+) b/(\S+)$", re.M)


def patch_files(patch: str) -> list[str]:
    """Paths a unified git diff touches (new-side names), in order, without repeats."""
    return list(dict.fromkeys(m.group(2) for m in _DIFF_HEAD.finditer(patch)))


def suite_eval_script(*, base_commit: str, test_patch: str, test_cmd: str) -> str:
    """Eval script in the harness's shape: reset test files, apply the test patch, run them."""
    files = patch_files(test_patch)
    quoted = " ".join(shlex.quote(f) for f in files)
    base = shlex.quote(base_commit)
    # a test file the agent created or edited goes back to its base state (or away)
    reset = f'for f in {quoted}; do git checkout -q {base} -- "$f" 2>/dev/null || rm -f "$f"; done'
    body = test_patch.removesuffix("\n")
    return "\n".join(
        [
            "#!/bin/bash",
            "set -uxo pipefail",
            f"cd {WORKDIR}",
            reset,
            f"if ! git apply -v - <<'{_HEREDOC}'",
            body,
            _HEREDOC,
            "then",
            f'  echo "{TESTS_ERROR}: the test patch did not apply"',
            "  exit 1",
            "fi",
            f'echo "{START_TEST_OUTPUT}"',
            f"{test_cmd} {quoted}",
            f'echo "{END_TEST_OUTPUT}"',
            reset,
            "",
        ]
    )


def apply_script() -> str:
    """Apply MODEL_PATCH with the fallbacks; print the harness's pass/fail marker."""
    lines = ["#!/bin/bash", f"cd {WORKDIR}", f"P={MODEL_PATCH}"]
    # an empty patch (validation of the base commit) applies trivially
    lines.append(f'if ! grep -q . "$P"; then echo "{APPLY_PATCH_PASS}"; exit 0; fi')
    for i, cmd in enumerate(APPLY_CMDS):
        if i:
            # a failed try (notably --reject) leaves debris: start again from a clean tree
            lines.append("git checkout -q -- . 2>/dev/null; git clean -fdq 2>/dev/null")
        lines.append(f'if {cmd} "$P" 2>&1; then echo "{APPLY_PATCH_PASS}"; exit 0; fi')
    # every command can exit non-zero while the patch ends up applied anyway
    lines.append(
        f'if git apply --check --reverse "$P" 2>/dev/null; then echo "{APPLY_PATCH_PASS}"; exit 0; fi'
    )
    lines.append(f'echo "{APPLY_PATCH_FAIL}"; exit 1')
    return "\n".join(lines) + "\n"


def grade_script(timeout_s: float) -> str:
    """The grading container's command: apply the model patch, then the eval script under a timeout."""
    t = max(1, int(timeout_s))
    return (
        "#!/bin/bash\n"
        f"bash /tmp/agentbench/apply.sh || exit 97\n"
        f"timeout -s KILL {t} bash {EVAL_SCRIPT}\n"
    )
