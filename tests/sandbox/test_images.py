"""Image layers on the real engine: hashing, skipping, CA bundle, failures, the CLI."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

from agentbench.errors import ConfigError, EnvironmentProblem
from agentbench.sandbox.docker import DockerSandbox
from agentbench.sandbox.images import (
    CA_PATH,
    ImageBuildError,
    base_tag,
    build_layer,
    ensure_base_image,
    layer_tag,
)

pytestmark = pytest.mark.docker

_CA = "/etc/ssl/certs/ca-certificates.crt"


def _sha256(sb: DockerSandbox, path: str) -> str:
    # exec output is capped: compare a digest of a file the size of a CA bundle
    return sb.exec(f"sha256sum {path}").output.split()[0]


def test_base_image_has_the_promised_tools(base_image: str, docker_client, run_id: str) -> None:
    assert base_image == base_tag()
    assert ensure_base_image(docker_client) == base_image  # present: returned as is
    with DockerSandbox(base_image, run_id=run_id, client=docker_client) as sb:
        r = sb.exec(
            "python --version && git --version && python3 -m pytest --version && pip --version"
        )
        assert r.exit_code == 0, r.output
        assert "Python 3" in r.output and "pytest" in r.output


def test_layer_is_hashed_built_once_and_used(
    base_image: str, docker_client, run_id: str, tmp_path: Path
) -> None:
    files = {"app/hello.py": b"print('hello from the layer')\n", "data.bin": bytes(range(256))}
    dockerfile = f"COPY app /app\nCOPY data.bin /data.bin\nRUN echo {run_id} > /stamp\n"
    tag = build_layer(
        base_image, kind="env", name=f"Test_{run_id}", dockerfile=dockerfile, files=files,
        client=docker_client, log_dir=tmp_path,
    )  # fmt: skip
    try:
        parent_id = docker_client.api.inspect_image(base_image)["Id"]
        assert tag == layer_tag(
            parent_id, kind="env", name=f"Test_{run_id}", dockerfile=dockerfile, files=files
        )
        assert tag.startswith(f"agentbench-env-test_{run_id}:")
        logs = list(tmp_path.iterdir())
        assert len(logs) == 1 and "Step 1/" in logs[0].read_text()
        image_id = docker_client.api.inspect_image(tag)["Id"]
        # Same inputs: no build (no new log), same image. Changed file: a different tag.
        again = build_layer(
            base_image, kind="env", name=f"Test_{run_id}", dockerfile=dockerfile, files=files,
            client=docker_client, log_dir=tmp_path,
        )  # fmt: skip
        assert again == tag and docker_client.api.inspect_image(again)["Id"] == image_id
        assert len(list(tmp_path.iterdir())) == 1
        other = layer_tag(
            parent_id, kind="env", name=f"Test_{run_id}", dockerfile=dockerfile,
            files={**files, "data.bin": b"changed"},
        )  # fmt: skip
        assert other != tag
        labels = docker_client.api.inspect_image(tag)["Config"]["Labels"]
        assert labels["agentbench"] == "1" and labels["agentbench.kind"] == "env"
        with DockerSandbox(tag, run_id=run_id, client=docker_client) as sb:
            assert (
                sb.exec("python /app/hello.py; cat /stamp").output
                == f"hello from the layer\n{run_id}\n"
            )
            assert (
                sb.exec("od -An -tx1 -v /data.bin | tr -d ' \\n'").output == bytes(range(256)).hex()
            )
    finally:
        docker_client.api.remove_image(tag, force=True)


def test_ca_bundle_is_trusted_inside_the_layer(
    base_image: str, docker_client, run_id: str, tmp_path: Path
) -> None:
    tag = build_layer(
        base_image, kind="env", name=f"ca-{run_id}", dockerfile="RUN true\n", ca_bundle=_CA,
        client=docker_client, log_dir=tmp_path,
    )  # fmt: skip
    try:
        with DockerSandbox(tag, run_id=run_id, client=docker_client) as sb:
            assert _sha256(sb, CA_PATH) == hashlib.sha256(Path(_CA).read_bytes()).hexdigest()
            r = sb.exec(
                "echo $SSL_CERT_FILE $PIP_CERT; python3 -c 'import ssl; print(ssl.get_default_verify_paths().openssl_cafile_env)'"
            )
            assert r.output.split()[:2] == [CA_PATH, CA_PATH]
            r = sb.exec(
                "pip config list; python3 -c \"import os,ssl; ssl.create_default_context(cafile=os.environ['SSL_CERT_FILE'])\""
            )
            assert r.exit_code == 0, r.output
    finally:
        docker_client.api.remove_image(tag, force=True)


def test_base_image_with_ca_bundle_is_a_thin_layer(
    base_image: str, docker_client, run_id: str
) -> None:
    tag = ensure_base_image(docker_client, ca_bundle=_CA)
    assert tag.startswith("agentbench-base-ca:")
    assert ensure_base_image(docker_client, ca_bundle=_CA) == tag
    parent = docker_client.api.inspect_image(tag)["Config"]["Labels"]["agentbench.parent"]
    assert parent == base_image
    with DockerSandbox(tag, run_id=run_id, client=docker_client) as sb:
        assert (
            sb.exec("echo $REQUESTS_CA_BUNDLE; cmp $GIT_SSL_CAINFO " + CA_PATH).output
            == CA_PATH + "\n"
        )
        assert _sha256(sb, CA_PATH) == hashlib.sha256(Path(_CA).read_bytes()).hexdigest()


def test_failing_build_names_its_log(
    base_image: str, docker_client, run_id: str, tmp_path: Path
) -> None:
    with pytest.raises(ImageBuildError) as info:
        build_layer(
            base_image, kind="env", name=f"bad-{run_id}", dockerfile="RUN echo boom-output && exit 7\n",
            client=docker_client, log_dir=tmp_path,
        )  # fmt: skip
    message = str(info.value)
    assert "\n" not in message and str(tmp_path) in message
    log_text = next(tmp_path.iterdir()).read_text()
    assert "boom-output" in log_text


def test_bad_inputs_are_config_errors(base_image: str, docker_client, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="parent"):
        build_layer(
            "agentbench-nope:0", kind="env", name="x", dockerfile="RUN true", client=docker_client
        )
    with pytest.raises(ConfigError, match="files"):
        build_layer(
            base_image,
            kind="env",
            name="x",
            dockerfile="RUN true",
            files={"../x": b""},
            client=docker_client,
        )
    not_pem = tmp_path / "ca.pem"
    not_pem.write_text("hello")
    with pytest.raises(ConfigError, match="ca_bundle"):
        build_layer(
            base_image,
            kind="env",
            name="x",
            dockerfile="RUN true",
            ca_bundle=str(not_pem),
            client=docker_client,
        )
    with pytest.raises(ConfigError, match="ca_bundle"):
        build_layer(
            base_image,
            kind="env",
            name="x",
            dockerfile="RUN true",
            ca_bundle=str(tmp_path / "missing"),
            client=docker_client,
        )


def test_cli_build_and_ls(base_image: str) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "agentbench.cli", "sandbox", "build"],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().endswith(base_image)
    out = subprocess.run(
        [sys.executable, "-m", "agentbench.cli", "sandbox", "ls"],
        capture_output=True, text=True, timeout=60, env=os.environ | {"COLUMNS": "200"},
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert base_image.split(":")[1] in out.stdout and "agentbench containers" in out.stdout


def test_registry_route_without_a_registry_is_one_line(docker_client) -> None:
    with pytest.raises(EnvironmentProblem) as info:
        ensure_base_image(docker_client, from_registry="registry.invalid/agentbench/none:1")
    assert "\n" not in str(info.value) and "--from-registry" in str(info.value)
    out = subprocess.run(
        [sys.executable, "-m", "agentbench.cli", "sandbox", "build", "--from-registry", "registry.invalid/x:1"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert out.returncode == 3 and "cannot pull registry.invalid/x:1" in out.stderr


def test_failed_offline_step_names_its_log(tmp_path: Path) -> None:
    from agentbench.sandbox.images import _run_logged

    logfile = tmp_path / "base.log"
    with pytest.raises(ImageBuildError) as info:
        _run_logged(
            ["sh", "-c", "echo fetching; echo 'E: mirror unreachable' >&2; exit 4"],
            logfile,
            "debootstrap",
        )
    message = str(info.value)
    assert "debootstrap failed with exit code 4" in message and "mirror unreachable" in message
    assert str(logfile) in message and "fetching" in logfile.read_text()
