"""Instance images: base -> environment (per repo) -> instance, or the official prebuilt image."""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from agentbench.errors import ConfigError, EnvironmentProblem
from agentbench.logging import get_logger
from agentbench.tasks.swebench.schema import SWEInstance
from agentbench.tasks.swebench.suites import Suite

if TYPE_CHECKING:
    import docker

log = get_logger(__name__)

WORKDIR = "/testbed"
# Fixed in every container (agent and grader): the places where test runs are known to drift.
DETERMINISM_ENV = {
    "PYTHONHASHSEED": "0",
    "TZ": "UTC",
    "LANG": "C.UTF-8",
    "LC_ALL": "C.UTF-8",
    "PYTHONDONTWRITEBYTECODE": "1",
}
# Identity used to replay a suite's `git format-patch` history so commit hashes are stable.
GIT_IDENT = "agentbench"
GIT_EMAIL = "agentbench@localhost"
PREBUILT_NAMESPACE = "swebench"

ImageSource = Literal["build", "prebuilt"]


def prebuilt_image_name(instance_id: str, namespace: str = PREBUILT_NAMESPACE) -> str:
    """The official evaluation image name, as the SWE-bench harness spells it."""
    key = f"{namespace}/sweb.eval.x86_64.{instance_id}:latest"
    return key.replace("__", "_1776_").lower()


def env_dockerfile(env_setup: list[str]) -> str:
    """Environment layer body (build_layer adds FROM): the repo's setup lines."""
    return "".join(f"RUN {cmd}\n" for cmd in env_setup)


def instance_dockerfile(base_commit: str) -> str:
    """Instance layer body: replay the history at /testbed, detach at base_commit, drop later commits."""
    am = (
        f"GIT_COMMITTER_NAME={GIT_IDENT} GIT_COMMITTER_EMAIL={GIT_EMAIL} "
        f"git -c user.name={GIT_IDENT} -c user.email={GIT_EMAIL} "
        "am -q --committer-date-is-author-date /tmp/agentbench-history/*.patch"
    )
    c = shlex.quote(base_commit)
    # Commits after base_commit (the fix, later tests) must not be reachable by the agent.
    steps = [
        f"mkdir -p {WORKDIR}",
        f"cd {WORKDIR}",
        "git init -q -b main",
        am,
        f"git checkout -q --detach {c}",
        f'test "$(git rev-parse HEAD)" = {c}',
        "git branch -D main >/dev/null",
        "git reflog expire --expire=now --all",
        "git gc -q --prune=now",
        f"git config --global user.name {GIT_IDENT}",
        f"git config --global user.email {GIT_EMAIL}",
        "rm -rf /tmp/agentbench-history",
    ]
    return (
        "COPY history/ /tmp/agentbench-history/\n"
        f"RUN set -e; {' && '.join(steps)}\n"
        f"WORKDIR {WORKDIR}\n"
    )


def ensure_suite_image(
    inst: SWEInstance,
    suite: Suite,
    *,
    client: docker.DockerClient | None = None,
    ca_bundle: str | None = None,
    log_dir: Path | None = None,
    mirror: str | None = None,
) -> str:
    """Build (or reuse, by content hash) the instance image of a suite instance; returns its tag.

    With `mirror`, each missing layer is pulled from that registry before it is built.
    """
    from agentbench.sandbox import images

    spec = suite.repo_spec(inst.repo)
    repo_key = suite.repo_key(inst.repo)
    base = images.ensure_base_image(client, ca_bundle=ca_bundle, log_dir=log_dir, mirror=mirror)
    env_tag = images.build_layer(
        base,
        kind="env",
        name=f"{suite.name}.{repo_key}",
        dockerfile=env_dockerfile(spec.env_setup),
        ca_bundle=ca_bundle,
        client=client,
        log_dir=log_dir,
        mirror=mirror,
    )
    files = {f"history/{p.name}": p.read_bytes() for p in suite.history_patches(inst.repo)}
    return images.build_layer(
        env_tag,
        kind="instance",
        name=inst.instance_id,
        dockerfile=instance_dockerfile(inst.base_commit),
        files=files,
        ca_bundle=ca_bundle,
        client=client,
        log_dir=log_dir,
        mirror=mirror,
    )


def ensure_hub_image(inst: SWEInstance, *, client: docker.DockerClient | None = None) -> str:
    """The prebuilt evaluation image of a hub instance: present locally, or pulled."""
    from agentbench.sandbox.client import resolve

    cl = resolve(client)
    name = inst.image or prebuilt_image_name(inst.instance_id)
    import docker as docker_mod

    try:
        cl.images.get(name)
        return name
    except docker_mod.errors.ImageNotFound:
        pass
    try:
        cl.images.pull(name)
    except docker_mod.errors.APIError as exc:
        raise EnvironmentProblem(
            f"image {name} for {inst.instance_id} is not present and cannot be pulled ({exc.explanation or exc})",
            field="image_source",
            fix="run where a registry is reachable, or `docker load` the image first",
        ) from None
    return name


def ensure_image(
    inst: SWEInstance,
    suite: Suite | None,
    *,
    source: ImageSource = "build",
    client: docker.DockerClient | None = None,
    ca_bundle: str | None = None,
    log_dir: Path | None = None,
    mirror: str | None = None,
) -> str:
    """The image an instance runs and is graded in, built or fetched as `source` says."""
    if suite is not None:
        return ensure_suite_image(
            inst, suite, client=client, ca_bundle=ca_bundle, log_dir=log_dir, mirror=mirror
        )
    if source == "prebuilt" or inst.image:
        return ensure_hub_image(inst, client=client)
    raise ConfigError(
        f"cannot build an environment for hub instance {inst.instance_id}: swebench 5.x ships "
        "no per-repo install specs",
        field="image_source",
        fix="set image_source: prebuilt (official swebench/sweb.eval.* images) or give rows an `image` field",
    )
