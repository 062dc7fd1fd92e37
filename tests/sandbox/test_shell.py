"""The persistent shell against the real engine: state, exit codes, timeouts, restarts, output."""

from __future__ import annotations

import threading

import pytest

from agentbench.sandbox.docker import DockerSandbox
from agentbench.sandbox.limits import SandboxLimits

pytestmark = pytest.mark.docker


def test_state_carries_over_like_a_terminal(sandbox: DockerSandbox) -> None:
    assert sandbox.exec("mkdir -p /tmp/w && cd /tmp/w && export FOO=bar; x=1").exit_code == 0
    r = sandbox.exec('pwd; echo "$FOO"; echo "$x"')
    assert r.output == "/tmp/w\nbar\n1\n"
    assert sandbox.exec("f() { echo fn-$1; }").exit_code == 0
    assert sandbox.exec("f ok").output == "fn-ok\n"


def test_exit_codes_and_ordered_stderr(sandbox: DockerSandbox) -> None:
    r = sandbox.exec("echo one; echo two >&2; echo three; exit_me() { return 7; }; exit_me")
    assert r.exit_code == 7
    assert r.output == "one\ntwo\nthree\n"
    assert not r.timed_out and not r.shell_restarted
    assert sandbox.exec("false").exit_code == 1
    assert sandbox.exec("printf 'no newline'").output == "no newline"


def test_quoting_is_exact(sandbox: DockerSandbox) -> None:
    weird = "a'b\"c\\d $HOME `x` \t tab ünï €\nsecond line"
    r = sandbox.exec(f"cat <<'EOF'\n{weird}\nEOF")
    assert r.output == weird + "\n"
    r = sandbox.exec("echo 'unterminated")
    assert r.exit_code != 0 and "unexpected EOF" in r.output
    assert sandbox.exec("echo fine").output == "fine\n"  # a syntax error leaves the shell usable


def test_commands_cannot_read_the_control_stream(sandbox: DockerSandbox) -> None:
    r = sandbox.exec("cat; read -r line; echo got:$line", timeout=10)
    assert r.output == "got:\n"
    assert sandbox.exec("echo next").output == "next\n"


def test_command_that_never_ends_is_killed_and_the_next_works(sandbox: DockerSandbox) -> None:
    assert sandbox.exec("cd /tmp && export KEEP=1").exit_code == 0
    r = sandbox.exec("echo started; sleep 1000; echo never", timeout=1.0)
    assert r.timed_out and r.exit_code is None and not r.shell_restarted
    assert r.output.startswith("started\n") and "never" not in r.output
    r = sandbox.exec("pwd; echo $KEEP; ps -eo comm | grep -c '^sleep$'")
    assert r.output == "/tmp\n1\n0\n"  # state kept, the sleep is gone
    # Whole trees go, including processes that left their process group's leader behind.
    r = sandbox.exec("(sleep 1000 &) ; sh -c 'sleep 1001 & sleep 1002'", timeout=1.0)
    assert r.timed_out
    assert sandbox.exec("ps -eo comm | grep -c '^sleep$'").output == "0\n"


def test_builtin_loop_is_interrupted_like_ctrl_c(sandbox: DockerSandbox) -> None:
    sandbox.exec("cd /tmp")
    r = sandbox.exec("while :; do :; done; echo never", timeout=0.5)
    assert r.timed_out and not r.shell_restarted and r.exit_code is None
    assert "never" not in r.output
    r = sandbox.exec("pwd")
    assert r.output == "/tmp\n" and r.exit_code == 0


def test_shell_ignoring_the_interrupt_is_replaced(sandbox: DockerSandbox) -> None:
    sandbox.exec("cd /tmp")
    r = sandbox.exec("trap '' INT; while :; do :; done", timeout=0.5)
    assert r.timed_out and r.shell_restarted and r.exit_code is None
    r = sandbox.exec("pwd")
    assert r.output == "/\n" and r.exit_code == 0 and not r.shell_restarted


def test_exit_restarts_the_shell(sandbox: DockerSandbox) -> None:
    r = sandbox.exec("echo bye; exit 3")
    assert r.exit_code == 3 and r.shell_restarted
    assert r.output in ("bye\n", "bye\nexit\n")  # bash says "exit" like in a terminal
    r = sandbox.exec("kill -9 $$")
    assert r.shell_restarted and r.exit_code == 137
    assert sandbox.exec("echo alive").output == "alive\n"


def test_pkill_bash_does_not_take_the_sandbox_down(sandbox: DockerSandbox) -> None:
    sandbox.exec("cd /tmp")
    r = sandbox.exec("pkill bash; pkill -f bash; pkill -f agentbench; true", timeout=10)
    assert r.exit_code == 0  # SIGTERM: the interactive worker and the supervisor ignore it
    assert sandbox.exec("pwd").output == "/tmp\n"
    # SIGKILL to every process it may signal: the worker dies (noticed within a second),
    # the supervisor is PID 1 and survives, and a fresh shell takes over.
    sandbox.exec("printf 'files survive' > /tmp/keep.txt")
    r = sandbox.exec("pkill -9 bash; kill -9 -1; sleep 30", timeout=20)
    assert r.shell_restarted and r.exit_code == 137 and not r.timed_out
    assert sandbox.exec("cat /tmp/keep.txt").output == "files survive"


def test_orphans_are_reaped(sandbox: DockerSandbox) -> None:
    sandbox.exec("for i in $(seq 20); do (sleep 0.05 &); done; sh -c 'sleep 0.05 & exit'")
    sandbox.exec("sleep 0.5")
    assert sandbox.exec("ps -eo stat= | grep -c '^Z'").output == "0\n"


def test_earlier_background_jobs_survive_a_timeout(sandbox: DockerSandbox) -> None:
    r = sandbox.exec("sleep 300 & echo $! > /tmp/bg.pid; sh -c 'sleep 301 & wait' &")
    assert r.exit_code == 0 and r.output.startswith("[1] ")  # the job notice, as in a terminal
    r = sandbox.exec("sleep 1000 & sleep 1001", timeout=1)
    assert r.timed_out
    r = sandbox.exec(
        "kill -0 $(cat /tmp/bg.pid) && echo running; ps -eo args | grep -c '^sleep 30[01]$'"
    )
    assert r.output == "running\n2\n"
    assert sandbox.exec("ps -eo args | grep -c '^sleep 100[01]$'").output == "0\n"


def test_binary_and_non_utf8_output_is_decodable(sandbox: DockerSandbox) -> None:
    r = sandbox.exec("printf 'ok \\377\\376 \\000 bad'; head -c 3000 /dev/urandom")
    assert r.exit_code == 0
    assert r.output.startswith("ok \ufffd\ufffd \x00 bad")
    r.output.encode("utf-8")  # a str that round-trips: no surrogates


def _peak_rss_kib() -> int:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    raise AssertionError("no VmHWM")


def test_huge_output_is_capped_while_streaming(sandbox: DockerSandbox) -> None:
    # Reset the peak-RSS counter so it measures only this command.
    with open("/proc/self/clear_refs", "w") as fh:
        fh.write("5")
    before = _peak_rss_kib()
    r = sandbox.exec("yes | head -c 100M; echo; echo tail-marker", timeout=120)
    growth_mib = (_peak_rss_kib() - before) / 1024
    assert r.exit_code == 0 and r.truncated
    assert len(r.output.encode()) < 70 * 1024
    assert r.output.startswith("y\ny\n") and r.output.endswith("tail-marker\n")
    assert "bytes of output truncated" in r.output
    assert growth_mib < 40, f"peak RSS grew {growth_mib:.0f} MiB for 100 MB of output"
    assert sandbox.exec("echo small").output == "small\n"


def test_output_limit_is_configurable(base_image: str, docker_client, run_id: str) -> None:
    limits = SandboxLimits(output_bytes=2048)
    with DockerSandbox(base_image, run_id=run_id, limits=limits, client=docker_client) as sb:
        r = sb.exec("seq 1 100000")
        assert (
            r.truncated and r.output.startswith("1\n2\n") and r.output.endswith("99999\n100000\n")
        )
        assert sb.exec("seq 1 10").truncated is False


def test_twenty_sandboxes_from_threads_without_cross_talk(
    base_image: str, docker_client, run_id: str
) -> None:
    errors: list[str] = []
    boxes: list[DockerSandbox] = []
    lock = threading.Lock()

    def work(i: int) -> None:
        try:
            sb = DockerSandbox(base_image, run_id=run_id, client=docker_client)
            with lock:
                boxes.append(sb)
            sb.exec(f"export ME={i}; cd /tmp")
            for j in range(25):
                r = sb.exec(f"echo $ME-{j}-$(pwd); seq 1 {50 + i}| tail -1")
                if r.output != f"{i}-{j}-/tmp\n{50 + i}\n":
                    errors.append(f"{i}/{j}: {r.output!r}")
            sb.exec(f"printf 'file {i}' > /tmp/f{i}")
            if sb.exec(f"cat /tmp/f{i}").output != f"file {i}":
                errors.append(f"{i}: file mismatch")
        except Exception as exc:
            errors.append(f"{i}: {exc!r}")

    threads = [threading.Thread(target=work, args=(i,)) for i in range(20)]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
    finally:
        for sb in boxes:
            sb.close()
    assert not errors, errors[:5]
    assert len(boxes) == 20
    ids = {sb.id for sb in boxes}
    assert len(ids) == 20


def test_an_interrupted_run_is_cleaned_up_before_the_next(sandbox: DockerSandbox) -> None:
    # Simulate a caller interrupted mid-command (KeyboardInterrupt while waiting): the command
    # line went out, its sentinel was never read.
    from agentbench.sandbox.shell_script import command_line

    shell = sandbox._shell
    shell._seq += 1
    shell._dirty = True
    shell._send(command_line("echo stale-output; sleep 1000", shell._seq))
    r = sandbox.exec("echo fresh", timeout=10)
    assert r.output == "fresh\n" and r.exit_code == 0
    assert sandbox.exec("ps -eo comm | grep -c '^sleep$'").output == "0\n"


_FORK_CHILD = """
import os, sys
from agentbench.sandbox.docker import DockerSandbox
sb = DockerSandbox(sys.argv[1], run_id=sys.argv[2])
pid = os.fork()
if pid == 0:
    sys.exit(0)  # a normal exit in the forked child runs the inherited atexit hooks
os.waitpid(pid, 0)
print(sb.exec("echo parent still has it").output, end="")
sb.close()
"""


def test_forked_child_exit_leaves_parent_sandboxes_alone(base_image: str, run_id: str) -> None:
    import subprocess
    import sys

    out = subprocess.run(
        [sys.executable, "-c", _FORK_CHILD, base_image, run_id],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr[-500:]
    assert out.stdout == "parent still has it\n"


def test_endless_flood_is_capped_and_killed(sandbox: DockerSandbox) -> None:
    r = sandbox.exec("yes flood", timeout=1.5)
    assert r.timed_out and r.truncated and r.output.startswith("flood\nflood\n")
    assert len(r.output) < 70 * 1024
    assert sandbox.exec("echo calm").output == "calm\n"


def test_shell_killed_for_memory_is_restarted(base_image: str, docker_client, run_id: str) -> None:
    limits = SandboxLimits(memory="96m")
    with DockerSandbox(base_image, run_id=run_id, limits=limits, client=docker_client) as sb:
        # The shell itself holds the data (command substitution): the OOM killer takes it.
        r = sb.exec("x=$(head -c 300M /dev/zero | tr '\\0' a); echo ${#x}", timeout=60)
        assert r.shell_restarted and r.exit_code == 137
        assert sb.exec("echo back").output == "back\n"


def test_job_dying_of_sigint_ends_the_line_like_ctrl_c(sandbox: DockerSandbox) -> None:
    r = sandbox.exec("echo before; sh -c 'kill -INT $$'; echo after", timeout=10)
    assert r.exit_code == 130 and r.output == "before\n"
    assert not r.timed_out and not r.shell_restarted
    r = sandbox.exec("PROMPT_COMMAND=; echo $?", timeout=10)  # the sentinel cannot be removed
    assert r.exit_code is not None and not r.timed_out
    assert sandbox.exec("echo fine").output == "fine\n"
