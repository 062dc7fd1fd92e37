"""A wheel built from this checkout, installed into a fresh venv and run from a folder outside
the checkout, finds its bundled scaffolds and sweep specs (package data, not checkout paths)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import pytest
import yaml

from agentbench.records import ExitStatus, SampleStatus
from agentbench.servers.scripted import ScriptedServer
from agentbench.servers.scripted.types import Reply, ScriptedCall
from agentbench.store.runstore import RunStore
from agentbench.tasks.mc import MCTask
from agentbench.tasks.mc.scripted import KnownDistributionResponder
from tests.scripted_plans import SUBMIT, bash_reply

ROOT = Path(__file__).resolve().parents[1]
# No PYTHONPATH: a checkout on it would stand in for the installed package.
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
TASK = {
    "kind": "mc",
    "name": "arith",
    "dataset": {"source": "procedural", "n": 3, "difficulty": [1]},
}


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The `agentbench` script of a fresh venv holding only the built wheel (deps: system site)."""
    tmp = tmp_path_factory.mktemp("wheel")
    src = (
        tmp / "src"
    )  # build from a copy: the build writes build/ and *.egg-info beside the sources
    src.mkdir()
    shutil.copy2(ROOT / "pyproject.toml", src)
    shutil.copy2(ROOT / "README.md", src)
    shutil.copytree(
        ROOT / "agentbench", src / "agentbench", ignore=shutil.ignore_patterns("__pycache__")
    )
    dist = tmp / "dist"
    # No build isolation: the backend (setuptools) comes from this venv, so the build runs offline.
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(dist), str(src)],
        check=True,
    )  # fmt: skip
    (wheel,) = dist.glob("agentbench-*.whl")
    env_dir = tmp / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)  # ensurepip: offline, bundled with Python
    py = env_dir / "bin" / "python"
    (site,) = (env_dir / "lib").glob("python*/site-packages")
    subprocess.run(
        [str(py), "-m", "pip", "install", "-q", "--no-deps", "--no-index", str(wheel)],
        check=True,
        env=ENV,
    )
    # Then the dependencies come from this venv's site-packages, appended after the new venv's
    # own (written after the install, or pip would see this venv's agentbench as installed): a
    # plain path line does not run that folder's .pth files, so its editable agentbench stays out.
    (site / "deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return env_dir / "bin" / "agentbench"


def run_installed(script: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run the installed CLI in `cwd` with no PYTHONPATH, so the checkout cannot leak in."""
    return subprocess.run(
        [str(script), *args], cwd=cwd, env=ENV, capture_output=True, text=True, timeout=300
    )


def test_the_installed_package_is_not_the_checkout(installed: Path, tmp_path: Path) -> None:
    py = installed.parent / "python"
    code = "import agentbench, sys; print(agentbench.__file__)"
    out = subprocess.run(
        [str(py), "-c", code], cwd=tmp_path, env=ENV, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    assert not Path(out.stdout.strip()).resolve().is_relative_to(ROOT)


def test_the_image_recipes_and_suites_ship_in_the_wheel(installed: Path, tmp_path: Path) -> None:
    # the base image's recipe (its tag hashes the recipe's content) and the bundled suite's
    # repositories: what `agentbench run` of the example needs to build its sandboxes
    py = installed.parent / "python"
    code = (
        "from agentbench.sandbox.images import base_tag; print(base_tag()); "
        "from agentbench.tasks.swebench.dataset import load_dataset; "
        "print(len(load_dataset('agentbench-mini').instances))"
    )
    out = subprocess.run(
        [str(py), "-c", code], cwd=tmp_path, env=ENV, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    from agentbench.sandbox.images import base_tag

    tag, n = out.stdout.split()
    assert tag == base_tag() and int(n) > 0  # the same recipe bytes as the checkout's


def test_scaffold_check_finds_a_bundled_scaffold(installed: Path, tmp_path: Path) -> None:
    r = run_installed(installed, "scaffold", "check", "bash-react", cwd=tmp_path)
    assert r.returncode == 0, r.stdout + r.stderr


def test_plan_of_the_bundled_example_spec(installed: Path, tmp_path: Path) -> None:
    r = run_installed(installed, "plan", "example", cwd=tmp_path)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "agentbench-mini" in r.stdout  # the example's bundled suite was found and counted


def test_a_local_scaffold_file_wins_over_the_bundled_one(installed: Path, tmp_path: Path) -> None:
    (tmp_path / "bash-react.yaml").write_text("not: [valid")
    r = run_installed(installed, "scaffold", "check", "bash-react.yaml", cwd=tmp_path)
    assert r.returncode != 0 and "bash-react.yaml" in r.stdout + r.stderr


def test_run_with_a_bundled_scaffold_by_name(installed: Path, tmp_path: Path) -> None:
    task = MCTask.from_spec(TASK)
    dist = {q.id: [1.0 / q.n_options] * q.n_options for q in task.questions}
    with ScriptedServer(KnownDistributionResponder(task, dist)) as srv:
        model = {"provider": "scripted", "name": "scripted-mc", "base_url": srv.base_url}
        spec = {
            "name": "wheel", "run_dir": str(tmp_path / "run"), "tasks": [TASK], "seeds": 2,
            "systems": [{"name": "s", "model": model, "scaffold": "bash-react"}],
        }  # fmt: skip
        (tmp_path / "spec.yaml").write_text(yaml.safe_dump(spec))
        r = run_installed(installed, "run", "spec.yaml", "--no-progress", cwd=tmp_path)
    assert r.returncode == 0, r.stdout + r.stderr
    with RunStore.open(tmp_path / "run") as store:
        done = list(store.iter_results(status=SampleStatus.DONE))
    assert len(done) == 6  # 3 questions x 2 seeds, each answered by the scripted server


def _look_then_submit(call: ScriptedCall) -> Reply:
    """One `ls`, then submit: through tool calls (bash-react) or a bash block (bash-block)."""
    looked = any(m.role == "assistant" for m in call.messages)
    if call.tools:
        return SUBMIT if looked else bash_reply(0, "ls")
    command = "echo COMPLETE_TASK_AND_SUBMIT_FINAL_OUTPUT" if looked else "ls"
    return Reply(text=f"THOUGHT: next.\n\n```bash\n{command}\n```\n")


@pytest.mark.docker
def test_run_of_the_bundled_example_spec_by_name(installed: Path, tmp_path: Path) -> None:
    # `agentbench run example` from a folder outside the checkout: the spec, both scaffolds,
    # the agentbench-mini suite and the image recipes all come from the installed wheel; only
    # the model is swapped for the scripted server, and the sweep cut to one instance
    with ScriptedServer(_look_then_submit) as srv:
        sets = ["tasks.0.slice=0:1", "seeds=2", f"run_dir={tmp_path / 'run'}"]
        for i in (0, 1):
            sets += [f"systems.{i}.model.provider=scripted", f"systems.{i}.model.base_url={srv.base_url}"]  # fmt: skip
        args = [a for kv in sets for a in ("--set", kv)]
        r = run_installed(installed, "run", "example", *args, "--no-progress", cwd=tmp_path)
        n_calls = len(srv.calls)
    assert r.returncode == 0, r.stdout + r.stderr
    with RunStore.open(tmp_path / "run") as store:
        assert [s.name for s in store.systems()] == ["gpt-react", "gpt-block"]
        done = list(store.iter_results(status=SampleStatus.DONE))
    assert len(done) == 4 and {d.key.instance_id for d in done} == {"confparse-1"}
    # `ls`, then the submit (an action too), graded in the suite's image: an empty patch fails
    assert all(d.exit_status == ExitStatus.SUBMITTED and d.n_actions == 2 for d in done)
    assert not any(d.resolved for d in done)
    assert n_calls == 8  # two model calls per sample: each went to the scripted server
