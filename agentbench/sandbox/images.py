"""Content-hashed image layers: base (offline debootstrap or registry) → environment → instance."""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import subprocess
import tarfile
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from agentbench.errors import ConfigError, EnvironmentProblem
from agentbench.logging import get_logger
from agentbench.records import content_hash
from agentbench.sandbox.client import resolve
from agentbench.sandbox.mirror import pull
from agentbench.sandbox.paths import RECIPES, build_log_dir, file_lock, slug

if TYPE_CHECKING:
    import docker

log = get_logger(__name__)

BASE_REPO = "agentbench-base"
# Where a CA bundle lands inside images, and the variables that make pip/requests/git/curl use it.
CA_PATH = "/etc/ssl/certs/agentbench-ca-bundle.pem"
CA_ENV = ("SSL_CERT_FILE", "PIP_CERT", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "GIT_SSL_CAINFO")
_DOCKERFILE_NAME = "Dockerfile.agentbench"
_CA_NAME = "agentbench-ca-bundle.pem"


class ImageBuildError(EnvironmentProblem):
    """An image build failed; the message names the tag, the last error and the log file."""


# ---------------------------------------------------------------- helpers


def image_exists(client: docker.DockerClient, tag: str) -> bool:
    """True if the engine has an image called `tag`."""
    import docker.errors

    try:
        client.api.inspect_image(tag)
        return True
    except docker.errors.ImageNotFound:
        return False


def _read_ca(ca_bundle: str | os.PathLike[str] | None) -> bytes | None:
    if ca_bundle is None:
        return None
    path = Path(ca_bundle)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigError(
            f"cannot read the CA bundle ({exc.strerror})",
            path=str(path),
            field="ca_bundle",
            fix="pass the host's bundle, e.g. the one `pip config list` shows",
        ) from None
    if b"BEGIN CERTIFICATE" not in data:
        raise ConfigError(
            "not a PEM CA bundle (no BEGIN CERTIFICATE)", path=str(path), field="ca_bundle"
        )
    return data


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# ---------------------------------------------------------------- base image (offline)


def base_recipe() -> dict[str, Any]:
    """The offline base recipe: debootstrap parameters plus the in-root setup script."""
    folder = RECIPES / "base"
    try:
        recipe = json.loads((folder / "recipe.json").read_text())
        recipe["setup_script"] = (folder / "setup-rootfs.sh").read_text()
    except (OSError, json.JSONDecodeError) as exc:
        raise EnvironmentProblem(
            f"base image recipe unreadable ({exc})",
            path=str(folder),
            fix="reinstall agentbench: its package data (agentbench/sandbox/recipes) is incomplete",
        ) from None
    return recipe


def base_tag(recipe: dict[str, Any] | None = None) -> str:
    """Tag of the offline base image: a hash of its recipe."""
    recipe = recipe if recipe is not None else base_recipe()
    return f"{BASE_REPO}:{content_hash([recipe, None], 16)}"


def ensure_base_image(
    client: docker.DockerClient | None = None,
    *,
    ca_bundle: str | os.PathLike[str] | None = None,
    log_dir: str | os.PathLike[str] | None = None,
    from_registry: str | None = None,
    mirror: str | None = None,
) -> str:
    """Tag of the base image (bash, python3, git, pytest), built once if absent.

    With `ca_bundle`, a thin layer on top trusts that bundle (pip, requests, git, curl).
    With `mirror` (a registry `agentbench sandbox push` filled), a missing image is pulled
    from there before it is built.
    """
    client = resolve(client)
    if from_registry:
        return _registry_base(client, from_registry, ca_bundle=ca_bundle, log_dir=log_dir)
    recipe = base_recipe()
    tag = base_tag(recipe)
    if not image_exists(client, tag):
        with file_lock(tag):
            if not image_exists(client, tag):  # another process may have built it meanwhile

                def build() -> None:
                    logfile = build_log_dir(log_dir) / f"base-{tag.split(':')[1]}.log"
                    t0 = time.monotonic()
                    _build_offline_base(client, recipe, tag, logfile)
                    log.info("base image built", tag=tag, seconds=round(time.monotonic() - t0, 1))

                _pull_or_build(client, tag, mirror, build)
    if ca_bundle is None:
        return tag
    return build_layer(
        tag,
        kind="base",
        name="ca",
        dockerfile="",
        ca_bundle=str(ca_bundle),
        client=client,
        log_dir=log_dir,
        mirror=mirror,
    )


def _pull_or_build(
    client: docker.DockerClient, tag: str, mirror: str | None, build: Callable[[], None]
) -> None:
    """Under the tag's lock: pull `tag` from the mirror, else build it (a failure says both)."""
    why = None if mirror is None else pull(client, tag, mirror)
    if mirror is not None and why is None:
        return
    try:
        build()
    except EnvironmentProblem as exc:
        if mirror is None:
            raise
        raise type(exc)(
            f"{exc.detail}; not pulled from {mirror} either ({why})",
            path=exc.path, field=exc.field, fix=exc.fix,
        ) from None  # fmt: skip


def _run_logged(cmd: list[str], logfile: Path, what: str, stdin: str | None = None) -> None:
    with open(logfile, "a") as fh:
        fh.write(f"$ {' '.join(cmd)}\n")
        fh.flush()
        proc = subprocess.run(cmd, input=stdin, text=True, stdout=fh, stderr=subprocess.STDOUT)
    if proc.returncode != 0:
        tail = logfile.read_text(errors="replace").strip().splitlines()[-1:] or [""]
        raise ImageBuildError(
            f"{what} failed with exit code {proc.returncode}: {tail[0][:200]}",
            path=str(logfile),
            fix="see the log; the offline route needs root, debootstrap and the Debian mirror",
        )


def _build_offline_base(
    client: docker.DockerClient, recipe: dict[str, Any], tag: str, logfile: Path
) -> None:
    if shutil.which("debootstrap") is None or os.geteuid() != 0:
        raise EnvironmentProblem(
            "building the offline base image needs root and debootstrap",
            field="debootstrap",
            fix="run as root with `apt-get install debootstrap`, or use --from-registry IMAGE",
        )
    logfile.write_text("")
    with tempfile.TemporaryDirectory(prefix="agentbench-rootfs-", dir="/var/tmp") as tmp:
        root = Path(tmp) / "root"
        cmd = [
            "debootstrap",
            f"--variant={recipe['variant']}",
            f"--include={','.join(recipe['include'])}",
            recipe["suite"],
            str(root),
            recipe["mirror"],
        ]
        _run_logged(cmd, logfile, "debootstrap")
        _run_logged(
            ["chroot", str(root), "/bin/sh", "-s"], logfile, "rootfs setup", recipe["setup_script"]
        )
        changes = [
            "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
            "ENV LANG=C.UTF-8",
            'CMD ["bash"]',
            "LABEL agentbench=1",
            "LABEL agentbench.kind=base",
        ]
        _import_rootfs(client, root, tag, changes, logfile)


def _import_rootfs(
    client: docker.DockerClient, root: Path, tag: str, changes: list[str], logfile: Path
) -> None:
    repo, version = tag.split(":")
    # Stream the tarball straight into the engine: nothing of ~400 MB sits on disk or in memory.
    proc = subprocess.Popen(
        ["tar", "-C", str(root), "--numeric-owner", "-cf", "-", "."],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    assert proc.stdout is not None

    def chunks() -> Iterator[bytes]:
        while block := proc.stdout.read(1 << 20):  # type: ignore[union-attr]
            yield block

    try:
        result = client.api.import_image(
            src=chunks(), repository=repo, tag=version, changes=changes, stream_src=True
        )
    finally:
        proc.stdout.close()
        rc = proc.wait()
    with open(logfile, "a") as fh:
        fh.write(f"docker import -> {tag}: {str(result)[:500]}\n")
    if rc != 0 or not image_exists(client, tag):
        raise ImageBuildError(
            f"docker import of the base root failed (tar exit {rc})", path=str(logfile)
        )


# ---------------------------------------------------------------- base image (registry)


def _registry_base(
    client: docker.DockerClient,
    image: str,
    *,
    ca_bundle: str | os.PathLike[str] | None,
    log_dir: str | os.PathLike[str] | None,
) -> str:
    import docker.errors

    if not image_exists(client, image):
        try:
            client.images.pull(image)
        except docker.errors.APIError as exc:
            raise EnvironmentProblem(
                f"cannot pull {image}: {exc.explanation or exc}",
                field="--from-registry",
                fix="no registry is reachable here: drop --from-registry to build offline",
            ) from None
    dockerfile = (RECIPES / "base" / "Dockerfile.registry").read_text()
    return build_layer(
        image,
        kind="base",
        name="registry",
        dockerfile=dockerfile,
        ca_bundle=str(ca_bundle) if ca_bundle else None,
        client=client,
        log_dir=log_dir,
    )


# ---------------------------------------------------------------- layers


def layer_tag(
    parent_id: str,
    *,
    kind: str,
    name: str,
    dockerfile: str,
    files: dict[str, bytes] | None = None,
    ca: bytes | None = None,
) -> str:
    """`agentbench-{kind}-{name}:{hash}` where the hash covers parent id, Dockerfile and files."""
    digest = content_hash(
        [
            parent_id,
            dockerfile,
            sorted((k, _sha(v)) for k, v in (files or {}).items()),
            _sha(ca) if ca else None,
        ],
        16,
    )
    return f"agentbench-{slug(kind, 40)}-{slug(name)}:{digest}"


def _context_tar(dockerfile_text: str, files: dict[str, bytes], ca: bytes | None) -> io.BytesIO:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        entries = dict(files)
        entries[_DOCKERFILE_NAME] = dockerfile_text.encode()
        if ca is not None:
            entries[_CA_NAME] = ca
        for name, data in sorted(entries.items()):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mode = 0o644
            info.mtime = 0  # a stable context: same bytes, same build cache
            tar.addfile(info, io.BytesIO(data))
    buf.seek(0)
    return buf


def _check_files(files: dict[str, bytes]) -> None:
    for name, data in files.items():
        parts = Path(name).parts
        if (
            not name
            or name.startswith("/")
            or ".." in parts
            or name in (_DOCKERFILE_NAME, _CA_NAME)
        ):
            raise ConfigError(
                f"build context file name {name!r} is not a plain relative path",
                field="files",
                fix="use paths like 'repo/setup.py'",
            )
        if not isinstance(data, bytes):
            raise ConfigError(f"build context file {name!r} must be bytes", field="files")


def build_layer(
    parent: str,
    *,
    kind: str,
    name: str,
    dockerfile: str,
    files: dict[str, bytes] | None = None,
    ca_bundle: str | None = None,
    client: docker.DockerClient | None = None,
    log_dir: str | os.PathLike[str] | None = None,
    mirror: str | None = None,
) -> str:
    """Build `FROM parent` + `dockerfile` with `files` as context; skipped if the tag exists.

    With `mirror`, a missing tag is pulled from that registry before it is built.
    """
    import docker.errors

    client = resolve(client)
    files = dict(files or {})
    _check_files(files)
    try:
        parent_id = client.api.inspect_image(parent)["Id"]
    except docker.errors.ImageNotFound:
        raise ConfigError(
            f"parent image {parent} does not exist",
            field="parent",
            fix="build the parent layer first",
        ) from None
    ca = _read_ca(ca_bundle)
    tag = layer_tag(parent_id, kind=kind, name=name, dockerfile=dockerfile, files=files, ca=ca)
    if image_exists(client, tag):
        return tag
    with file_lock(tag):
        if image_exists(client, tag):
            return tag

        def build() -> None:
            head = f"FROM {parent_id}\n"  # exactly the image the hash covers, even if retagged
            if ca is not None:
                # Trust the CA bundle for every later step (pip behind a TLS-re-signing proxy).
                head += f"COPY {_CA_NAME} {CA_PATH}\n"
                head += "ENV " + " ".join(f"{v}={CA_PATH}" for v in CA_ENV) + "\n"
            context = _context_tar(head + dockerfile.strip() + "\n", files, ca)
            logfile = build_log_dir(log_dir) / f"{tag.replace(':', '-')}.log"
            t0 = time.monotonic()
            _run_build(client, context, tag, logfile, kind=kind, name=name, parent=parent)
            log.info("layer built", tag=tag, seconds=round(time.monotonic() - t0, 1))

        _pull_or_build(client, tag, mirror, build)
    return tag


def _run_build(
    client: docker.DockerClient,
    context: io.BytesIO,
    tag: str,
    logfile: Path,
    *,
    kind: str,
    name: str,
    parent: str,
) -> None:
    error: str | None = None
    with open(logfile, "w") as fh:
        stream = client.api.build(
            fileobj=context,
            custom_context=True,
            dockerfile=_DOCKERFILE_NAME,
            tag=tag,
            rm=True,
            forcerm=True,
            pull=False,
            decode=True,
            labels={
                "agentbench": "1",
                "agentbench.kind": kind,
                "agentbench.name": name,
                "agentbench.parent": parent,
            },
        )
        for chunk in stream:
            if "stream" in chunk:
                fh.write(chunk["stream"])
            elif "error" in chunk:
                error = str(chunk["error"]).strip()
                fh.write(f"ERROR: {error}\n")
            elif "status" in chunk:
                fh.write(f"{chunk['status']}\n")
    if error is not None or not image_exists(client, tag):
        raise ImageBuildError(
            f"building {tag} failed: {(error or 'no image produced').splitlines()[-1][:300]}",
            path=str(logfile),
            fix="see the build log",
        )
