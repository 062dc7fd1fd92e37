"""agentbench.analysis."""
