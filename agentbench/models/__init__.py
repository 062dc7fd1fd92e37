"""agentbench.models."""
