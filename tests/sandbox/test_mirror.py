"""Images shared through a real registry (Debian's docker-registry on loopback): pushed once, pulled."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from agentbench.errors import EnvironmentProblem
from agentbench.sandbox import mirror
from agentbench.sandbox.images import build_layer

pytestmark = pytest.mark.docker

REGISTRY_BIN = shutil.which("docker-registry") or "/usr/bin/docker-registry"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def registry(tmp_path: Path) -> Iterator[str]:
    """A registry on 127.0.0.1 with its storage in tmp_path, stopped after the test."""
    if not Path(REGISTRY_BIN).exists():
        if os.environ.get("CI"):
            pytest.fail("no docker-registry in CI: scripts/setup.sh should install it")
        pytest.skip("no docker-registry (apt-get install docker-registry)")
    port = _free_port()
    cfg = tmp_path / "registry.yml"
    cfg.write_text(
        "version: 0.1\n"
        f"storage:\n  filesystem:\n    rootdirectory: {tmp_path / 'blobs'}\n"
        "  delete:\n    enabled: true\n"
        f"http:\n  addr: 127.0.0.1:{port}\n"
    )
    proc = subprocess.Popen(
        [REGISTRY_BIN, "serve", str(cfg)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    addr = f"127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                if httpx.get(f"http://{addr}/v2/", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        else:
            pytest.fail("the registry did not answer on /v2/")
        yield addr
    finally:
        proc.terminate()
        proc.wait(10)


def _layer(base: str, client, name: str, log_dir: Path, reg: str | None = None) -> str:  # type: ignore[no-untyped-def]
    return build_layer(
        base, kind="test", name=name, dockerfile=f"RUN echo {name} > /layer.txt",
        client=client, log_dir=log_dir, mirror=reg,
    )  # fmt: skip


def test_a_layer_in_the_registry_is_pulled_not_built(
    base_image: str, docker_client, registry: str, tmp_path: Path
) -> None:
    name = f"mirror-{uuid.uuid4().hex[:8]}"
    built_logs, pulled_logs = tmp_path / "built", tmp_path / "pulled"
    tag = _layer(base_image, docker_client, name, built_logs)
    image_id = docker_client.api.inspect_image(tag)["Id"]
    try:
        chain = mirror.layer_chain(docker_client, tag)
        assert chain == [base_image, tag]  # the labels lead back to the base
        for t in chain:
            mirror.push(docker_client, t, registry)
        repo, version = tag.split(":")
        listed = httpx.get(f"http://{registry}/v2/{repo}/tags/list", timeout=10).json()
        assert listed["tags"] == [version]
        docker_client.api.remove_image(tag)
        # what a worker's task does: the same call, now with the registry to pull from
        again = _layer(base_image, docker_client, name, pulled_logs, registry)
        assert again == tag
        assert docker_client.api.inspect_image(tag)["Id"] == image_id  # the pushed image itself
        assert not list(pulled_logs.glob("*.log"))  # nothing was built
        assert docker_client.api.images(name=f"{registry}/{repo}") == []  # no extra names left
    finally:
        docker_client.api.remove_image(tag, force=True)


def test_a_layer_missing_from_the_registry_is_built(
    base_image: str, docker_client, registry: str, tmp_path: Path
) -> None:
    name = f"mirror-{uuid.uuid4().hex[:8]}"
    tag = _layer(base_image, docker_client, name, tmp_path, registry)
    try:
        assert len(list(tmp_path.glob("*.log"))) == 1  # not in the registry: built here
    finally:
        docker_client.api.remove_image(tag, force=True)


def test_neither_pulled_nor_built_says_both_in_one_line(
    base_image: str, docker_client, tmp_path: Path
) -> None:
    closed = f"127.0.0.1:{_free_port()}"  # nothing listens there
    with pytest.raises(EnvironmentProblem) as err:
        build_layer(
            base_image, kind="test", name=f"mirror-{uuid.uuid4().hex[:8]}",
            dockerfile="RUN exit 3", client=docker_client, log_dir=tmp_path, mirror=closed,
        )  # fmt: skip
    msg = str(err.value)
    assert "\n" not in msg and "failed" in msg and f"not pulled from {closed} either (" in msg


def test_push_to_a_closed_registry_is_one_line(base_image: str, docker_client) -> None:
    closed = f"127.0.0.1:{_free_port()}"
    with pytest.raises(EnvironmentProblem, match=f"cannot push {base_image} to {closed}"):
        mirror.push(docker_client, base_image, closed)
    assert docker_client.api.images(name=f"{closed}/{base_image.split(':')[0]}") == []


def test_tasks_push_fills_the_registry_for_a_suite_instance(
    base_image: str, registry: str, tmp_path: Path
) -> None:
    from tests.cli_run import run_cli

    r = run_cli("tasks", "push", "agentbench-mini", "--registry", registry, "--id", "tinyops-1",
                cwd=tmp_path, env={"COLUMNS": "300"}, timeout=600)  # fmt: skip
    assert r.returncode == 0, r.stderr
    pushed = [ln for ln in r.stdout.splitlines() if ln.startswith(registry + "/")]
    # base, the repo's environment layer, the instance layer
    assert [p.split("/", 1)[1].split(":")[0] for p in pushed] == [
        "agentbench-base",
        pushed[1].split("/", 1)[1].split(":")[0],
        "agentbench-instance-tinyops-1",
    ] and pushed[1].split("/", 1)[1].startswith("agentbench-env-")
    catalog = httpx.get(f"http://{registry}/v2/_catalog", timeout=10).json()["repositories"]
    assert len(catalog) == 3 and "agentbench-instance-tinyops-1" in catalog
    assert "3 images in" in r.stdout
    bad = run_cli("tasks", "push", "agentbench-mini", "--registry", "http://x/y", cwd=tmp_path)
    assert bad.returncode == 2 and "--registry" in bad.stderr and "HOST:PORT" in bad.stderr


def _suite_copy(tmp_path: Path, env_setup: str = "[]") -> tuple[Path, str]:
    """agentbench-tiny under a fresh name: its environment and instance layers are this test's."""
    tiny = Path(__file__).resolve().parents[1] / "fixtures" / "suites" / "agentbench-tiny"
    suite = tmp_path / "suite"
    shutil.copytree(tiny, suite)
    name = f"mirror-{uuid.uuid4().hex[:6]}"
    cfg = (suite / "suite.yaml").read_text().replace("name: agentbench-tiny", f"name: {name}")
    (suite / "suite.yaml").write_text(cfg.replace("env_setup: []", f"env_setup: {env_setup}"))
    return suite, name


def test_a_ray_worker_pulls_the_suite_images_instead_of_building(
    base_image: str, docker_client, registry: str, tmp_path: Path
) -> None:
    import yaml
    from scripted_plans import replies_by_seed

    from agentbench.sandbox.paths import build_log_dir
    from agentbench.servers.scripted import ScriptedServer
    from tests.cli_run import run_cli

    pytest.importorskip("ray")
    suite, name = _suite_copy(tmp_path)
    r = run_cli("tasks", "push", str(suite), "--registry", registry, "--id", "calc-1",
                cwd=tmp_path, timeout=600)  # fmt: skip
    assert r.returncode == 0, r.stderr
    tags = [ln.split("/", 1)[1] for ln in r.stdout.splitlines() if ln.startswith(registry + "/")]
    # base, then this suite's own layers: its environment (named for it) and the instance on it
    ours = tags[1:]
    assert len(tags) == 3 and tags[0] == base_image and name in ours[0], tags
    ids = {t: docker_client.api.inspect_image(t)["Id"] for t in ours}
    logs = [build_log_dir(None) / f"{t.replace(':', '-')}.log" for t in ours]
    for t in reversed(ours):  # as on a node that never had them
        docker_client.api.remove_image(t)
    for log in logs:
        log.unlink(missing_ok=True)
    try:
        with ScriptedServer(replies_by_seed({0: []})) as srv:  # submits at once
            spec = {
                "name": "pull", "run_dir": str(tmp_path / "run"), "seeds": 1,
                "tasks": [{"kind": "swebench", "dataset": str(suite), "filter": "calc-1",
                           "registry": registry}],
                "systems": [{"name": "s", "scaffold": "bash-react",
                             "model": {"provider": "scripted", "name": "s", "base_url": srv.base_url}}],
            }  # fmt: skip
            (tmp_path / "spec.yaml").write_text(yaml.safe_dump(spec))
            r = run_cli("run", str(tmp_path / "spec.yaml"), "--no-progress", "--no-plan",
                        "--executor", "ray", "--ray-num-cpus", "1", cwd=tmp_path,
                        env={"RAY_AUTH_MODE": "disabled"}, timeout=600)  # fmt: skip
        assert r.returncode == 0, r.stderr[-2000:]
        assert "1 done" in r.stdout or "(1 done" in r.stdout, r.stdout
        # the worker's images are the pushed ones, and no build of them ran
        assert {t: docker_client.api.inspect_image(t)["Id"] for t in ours} == ids
        assert not any(log.exists() for log in logs)
    finally:
        for t in reversed(ours):
            with contextlib.suppress(Exception):
                docker_client.api.remove_image(t, force=True)


@pytest.mark.parametrize("executor", ["local", "ray"])
def test_a_node_that_can_neither_pull_nor_build_tells_the_driver_in_one_line(
    base_image: str, tmp_path: Path, executor: str
) -> None:
    import yaml

    from tests.cli_run import run_cli

    if executor == "ray":
        pytest.importorskip("ray")
    suite, name = _suite_copy(tmp_path, '["exit 7"]')  # a fresh environment layer: not cached
    closed = f"127.0.0.1:{_free_port()}"
    spec = {
        "name": "broken", "run_dir": str(tmp_path / "run"), "seeds": 1,
        "tasks": [{"kind": "swebench", "dataset": str(suite), "filter": "calc-1",
                   "registry": closed}],
        "systems": [{"name": "s", "scaffold": "bash-react",
                     "model": {"provider": "scripted", "name": "s", "base_url": "http://127.0.0.1:9/v1"}}],
    }  # fmt: skip
    (tmp_path / "spec.yaml").write_text(yaml.safe_dump(spec))
    extra = ["--executor", "ray", "--ray-num-cpus", "1"] if executor == "ray" else []
    r = run_cli("run", str(tmp_path / "spec.yaml"), "--no-progress", "--no-plan", *extra,
                cwd=tmp_path, env={"COLUMNS": "400", "RAY_AUTH_MODE": "disabled"}, timeout=600)  # fmt: skip
    assert r.returncode == 3, r.stderr[-2000:]
    ours = [ln for ln in r.stderr.splitlines() if ln.startswith("error:")]
    assert len(ours) == 1 and "Traceback" not in r.stderr, r.stderr[-2000:]
    line = ours[0]
    assert f"building agentbench-env-{name}.calc:" in line and "non-zero code: 7" in line
    assert f"not pulled from {closed} either (" in line
    assert (executor == "ray") == line.startswith("error: on a Ray worker: ")
    assert not (tmp_path / "run").exists()  # nothing half-written
