"""Fixtures for the models tests: a scripted server and a planted API key."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from agentbench.servers.scripted import Reply, ScriptedServer

from .helpers import KEY, KEY_ENV


@pytest.fixture
def server() -> Iterator[ScriptedServer]:
    """A scripted server answering "hello world" to every call."""
    with ScriptedServer.from_replies([Reply(text="hello world")]) as srv:
        yield srv


@pytest.fixture
def key_env(monkeypatch: pytest.MonkeyPatch) -> str:
    """A planted API key in $AGENTBENCH_TEST_KEY."""
    monkeypatch.setenv(KEY_ENV, KEY)
    return KEY_ENV
