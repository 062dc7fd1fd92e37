"""The project's Docker client keeps a pool open while many other request URLs come and go."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.docker


def test_a_pool_in_use_is_not_closed_by_forty_other_urls(docker_client: Any) -> None:
    api = docker_client.api
    adapter = api.get_adapter(api.base_url)
    # docker-py keys its pools by URL; a sandbox's exec URLs are all different
    first = adapter.get_connection(f"{api.base_url}/v1.41/exec/first/start")
    for i in range(40):
        adapter.get_connection(f"{api.base_url}/v1.41/exec/other{i}/start")
    assert first.pool is not None  # closed (None) when evicted: the 'qsize' crash in threads
    assert docker_client.ping()
