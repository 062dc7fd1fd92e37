"""agentbench.sweep."""
