"""Models: one interface over the openai, anthropic and litellm clients; local and scripted servers."""

from agentbench.models.base import Model
from agentbench.models.factory import make_model
from agentbench.models.retry import ModelRequestError, RetryPolicy

__all__ = ["Model", "ModelRequestError", "RetryPolicy", "make_model"]
