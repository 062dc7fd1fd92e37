"""Keep provider keys and other secrets out of sandboxes and trajectories.

Sandboxes get an environment built from an allow-list, never from os.environ; as a
second line of defence, any secret value that still shows up in an observation is
replaced before it reaches the model or the trajectory log.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping

# Names that look like they hold credentials.
_SECRET_NAME = re.compile(r"KEY|TOKEN|SECRET|PASSW|CREDENTIAL|AUTH|COOKIE|SESSION", re.IGNORECASE)
# Variables a sandbox may inherit from a task (values are the task's, never the host's).
SANDBOX_ENV_ALLOW = frozenset(
    {
        "LANG",
        "LC_ALL",
        "TERM",
        "PAGER",
        "GIT_PAGER",
        "PIP_PROGRESS_BAR",
        "TQDM_DISABLE",
        "PYTHONDONTWRITEBYTECODE",
        "PYTHONUNBUFFERED",
        "HOME",
        "TZ",
    }
)
_MIN_LEN = 8  # shorter values would redact ordinary words
REDACTED = "[REDACTED]"


def secret_values(environ: Mapping[str, str] | None = None) -> tuple[str, ...]:
    """Values of environment variables whose names look like credentials (longest first)."""
    env = os.environ if environ is None else environ
    vals = {v for k, v in env.items() if _SECRET_NAME.search(k) and len(v) >= _MIN_LEN}
    return tuple(sorted(vals, key=len, reverse=True))


def redact(text: str, secrets: tuple[str, ...]) -> str:
    """Replace every secret value in `text`."""
    for s in secrets:
        if s in text:
            text = text.replace(s, REDACTED)
    return text


def json_fragment(secret: str) -> str:
    """How `secret` appears inside a JSON string (quotes, backslashes, controls escaped)."""
    import json

    return json.dumps(secret, ensure_ascii=False)[1:-1]  # as pydantic writes it


def sandbox_env(task_env: Mapping[str, str] | None = None) -> dict[str, str]:
    """The env for an agent sandbox: pager/locale defaults plus allow-listed task variables."""
    env = {
        "PAGER": "cat",
        "GIT_PAGER": "cat",
        "TERM": "dumb",
        "PIP_PROGRESS_BAR": "off",
        "TQDM_DISABLE": "1",
        "LANG": "C.UTF-8",
    }
    for k, v in (task_env or {}).items():
        if k in SANDBOX_ENV_ALLOW and not _SECRET_NAME.search(k):
            env[k] = v
    return env
