"""agentbench.metrics."""
