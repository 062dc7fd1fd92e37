"""Containment against the real engine: pids, memory, network, capabilities."""

from __future__ import annotations

import threading

import pytest

from agentbench.sandbox.docker import DockerSandbox
from agentbench.sandbox.limits import SandboxLimits

pytestmark = pytest.mark.docker


def test_limits_are_applied_to_the_container(sandbox: DockerSandbox, docker_client) -> None:
    host = docker_client.api.inspect_container(sandbox.id)["HostConfig"]
    assert host["PidsLimit"] == 256
    assert host["Memory"] == host["MemorySwap"] == 512 * 1024 * 1024
    assert host["NanoCpus"] == 1_000_000_000
    assert host["CapDrop"] == ["ALL"] and "no-new-privileges" in host["SecurityOpt"]
    assert host["NetworkMode"] == "none"
    status = sandbox.exec("grep -E '^(CapEff|NoNewPrivs)' /proc/self/status").output
    assert "CapEff:\t0000000000000000" in status and "NoNewPrivs:\t1" in status


def test_fork_bomb_is_contained_and_the_host_stays_responsive(
    base_image: str, docker_client, run_id: str
) -> None:
    limits = SandboxLimits(pids=64)
    with (
        DockerSandbox(base_image, run_id=run_id, limits=limits, client=docker_client) as bomb,
        DockerSandbox(base_image, run_id=run_id, client=docker_client) as other,
    ):
        answers: list[str] = []

        def neighbour() -> None:  # another sandbox keeps answering during the bomb
            for i in range(20):
                answers.append(other.exec(f"echo {i}", timeout=30).output)

        t = threading.Thread(target=neighbour)
        t.start()
        r = bomb.exec("bomb() { bomb | bomb & }; bomb; sleep 30", timeout=4)
        t.join(60)
        assert r.timed_out
        assert answers == [f"{i}\n" for i in range(20)]
        # The pid limit was hit (forks refused), and after the kill the sandbox works again.
        events = bomb.exec(  # cgroup v1 path, else v2
            "cat /sys/fs/cgroup/pids/pids.events 2>/dev/null || cat /sys/fs/cgroup/pids.events",
            timeout=30,
        )
        assert int(events.output.split()[1]) > 0
        r = bomb.exec("ps -e --no-headers | wc -l", timeout=30)
        assert r.exit_code == 0 and int(r.output) < 10


def test_memory_over_the_limit_kills_the_command_not_the_shell(
    base_image: str, docker_client, run_id: str
) -> None:
    limits = SandboxLimits(memory="96m")
    with DockerSandbox(base_image, run_id=run_id, limits=limits, client=docker_client) as sb:
        sb.exec("cd /tmp && export KEEP=yes")
        r = sb.exec("python3 -c \"x = b'a' * (400 << 20); print('survived')\"", timeout=60)
        assert r.exit_code == 137 and "survived" not in r.output
        assert not r.shell_restarted
        assert sb.exec("pwd; echo $KEEP").output == "/tmp\nyes\n"


def test_network_is_unreachable_unless_opted_in(
    base_image: str, docker_client, run_id: str
) -> None:
    probe = (
        'python3 -c "import socket\n'
        "try:\n socket.create_connection(('1.1.1.1', 80), timeout=3); print('connected')\n"
        'except OSError as e: print(type(e).__name__, e.errno)"'
    )
    with DockerSandbox(base_image, run_id=run_id, client=docker_client) as sb:
        r = sb.exec(probe, timeout=30)
        assert "connected" not in r.output and "101" in r.output  # ENETUNREACH
        assert sb.exec("cut -d: -f1 /proc/net/dev | tail -n +3 | tr -d ' '").output == "lo\n"
    with DockerSandbox(base_image, run_id=run_id, network=True, client=docker_client) as sb:
        assert "eth0" in sb.exec("cat /proc/net/dev").output


def test_bad_limits_are_rejected() -> None:
    with pytest.raises(ValueError):
        SandboxLimits(memory="lots")
    with pytest.raises(ValueError):
        SandboxLimits(pids=2)
    assert SandboxLimits(memory="1.5g").memory_bytes() == int(1.5 * (1 << 30))
