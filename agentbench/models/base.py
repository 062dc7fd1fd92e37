"""The model interface: one request in, one response out (async)."""

from __future__ import annotations

from abc import ABC, abstractmethod

from agentbench.records import ModelRequest, ModelResponse


class Model(ABC):
    """A chat model behind one provider client. Subclasses implement `acomplete`."""

    name: str

    @abstractmethod
    async def acomplete(
        self, request: ModelRequest, *, seed_index: int | None = None
    ) -> ModelResponse:
        """Send `request`; retries, cost and cache are handled here. `seed_index` keys the cache."""

    async def aclose(self) -> None:
        """Release what the running event loop holds for this model (connections)."""
        return None  # nothing held by default

    def close(self) -> None:
        """Release everything (the cache file); the model is unusable after."""
        return None  # nothing held by default
