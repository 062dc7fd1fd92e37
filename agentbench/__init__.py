"""agentbench: measure how AI agents fail."""

__version__ = "0.1.0"
